package app

import (
	"botgate/app/config"
	"botgate/model"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"math/big"
)

// DemoUser is the API user serve --demo creates.
const DemoUser = "demo"

// demoStaff is the seed's example result, so the seed's own GET/POST examples answer as documented.
var demoStaff = [][3]string{
	{"cs01", "测试员01", "289192968"},
	{"cs02", "测试员02", "2303831209"},
	{"cs03", "cscs", "289192968"},
	{"admin", "管理员", "350310976"},
}

// ExampleSQL and ExampleReply are the seed's 账号 template over the example
// staff table: the demo's template, and the first-run guide's first one.
const (
	ExampleSQL   = "SELECT xtuser, name, qq FROM staff WHERE qq = '{{来源QQ}}' OR xtuser = {{1}}"
	ExampleReply = "{{name}}({{xtuser}}) QQ {{qq}}"
)

// IsEmpty tells whether nothing has been configured yet (no users, channels or templates).
func (a *App) IsEmpty() bool {
	st := a.state.Load()
	return len(st.users) == 0 && len(st.channels) == 0 && len(st.templates) == 0
}

// SetupDemo creates a working example on an empty database: a staff table in
// the default data file, a demo user with a random password (returned once,
// stored hashed), the seed's 账号 template and the log channel.
func (a *App) SetupDemo(ctx context.Context) (password string, err error) {
	if !a.IsEmpty() {
		return "", model.Errorf(model.CodeInvalid, "数据库中已有配置，演示数据只会在空数据库上创建")
	}
	if err := a.createDemoTable(ctx); err != nil {
		return "", fmt.Errorf("创建演示数据表失败: %w", err)
	}
	password = randomString(16)
	def, chat := "log", true
	_, err = a.Import(ctx, config.File{
		Settings: &config.SettingsPatch{DefaultChannel: &def},
		Users:    []config.User{{Name: DemoUser, Password: password, Roles: []string{"admin"}}},
		Channels: []config.Channel{{Name: "log", Type: "log", Config: config.Values{}}},
		Templates: []config.Template{{
			Keyword: "账号", Kind: model.KindQuery, DataSource: DefaultSource,
			SQL:  ExampleSQL,
			Chat: chat, Reply: ExampleReply, MaxRows: 50, TimeoutMS: 5000,
		}},
	})
	return password, err
}

// CreateExampleTable makes the example staff table (the seed's four rows)
// in the built-in data file, so that a first template can be tried before
// the ERP's database is connected. Rows already there are kept.
func (a *App) CreateExampleTable(ctx context.Context) error {
	if err := a.createDemoTable(ctx); err != nil {
		return &model.Error{Code: model.CodeNoSource, Msg: "在内置数据库中创建示例表失败：" + err.Error() + "。请确认状态数据库所在的文件夹可以写入", Err: err}
	}
	return nil
}

func (a *App) createDemoTable(ctx context.Context) error {
	db, err := sql.Open("sqlite", a.DataPath()+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS staff (xtuser TEXT PRIMARY KEY, name TEXT NOT NULL, qq TEXT NOT NULL)`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS staff_qq ON staff (qq)`); err != nil {
		return err
	}
	for _, s := range demoStaff {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO staff (xtuser, name, qq) VALUES (?, ?, ?)`, s[0], s[1], s[2]); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// randomString returns n characters from an unambiguous alphabet.
func randomString(n int) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// NewToken returns a random token for token mode (GUI "生成").
func NewToken() string { return randomString(32) }
