package datasource

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
)

// Why a connection test failed; the GUI may pick an icon or hint from it.
const (
	FailDSN         = "dsn"         // the settings themselves are malformed
	FailUnreachable = "unreachable" // no server answers at that host and port
	FailLogin       = "login"       // the server refused the user name or password
	FailNoDatabase  = "nodatabase"  // logged in, but the database does not exist or is not allowed
	FailTimeout     = "timeout"     // no answer in time
	FailOther       = "other"
)

// TestError is a failed "测试连接": Msg is the Chinese reason and what to do,
// Err the driver's own error for the log.
type TestError struct {
	Kind string
	Msg  string
	Err  error
}

func (e *TestError) Error() string { return e.Msg }
func (e *TestError) Unwrap() error { return e.Err }

// testTimeout bounds a connection test when the caller's context has no
// deadline: long enough for a slow LAN login, short enough for a button.
const testTimeout = 10 * time.Second

// Test opens the data source, logs in and runs SELECT 1 in the read-only way
// templates use — the "测试连接" button. It returns nil or a *TestError.
// forbidden is BotGate's state database (see Open).
func Test(ctx context.Context, driver, dsn, forbidden string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, testTimeout)
		defer cancel()
	}
	if driver == "sqlite" {
		// Opening an SQLite path creates the file: a test of a mistyped
		// path would say 连接成功 and leave an empty database behind.
		if p := sqlitePath(dsn); p != "" && p != ":memory:" {
			// The state database comes first: a link to its journal that
			// does not exist yet is that, not a missing file.
			if abs, err := filepath.Abs(p); err == nil {
				if err := newStateGuard(forbidden).check(abs); err != nil {
					return &TestError{Kind: FailDSN, Msg: err.Error(), Err: err}
				}
			}
			if _, err := os.Stat(p); err != nil {
				return &TestError{Kind: FailDSN, Msg: "找不到 SQLite 数据库文件“" + p + "”：请检查路径和文件名是否写错（测试连接不会新建文件）；要用一个新的空数据库，直接保存即可", Err: err}
			}
		}
	}
	src, err := Open(ctx, driver, dsn, forbidden)
	if errors.Is(err, ErrStateDB) {
		// Its message already says what to do; the generic hint about hosts and ports would mislead.
		return &TestError{Kind: FailDSN, Msg: err.Error(), Err: err}
	}
	if err != nil && driver == "sqlite" && strings.Contains(err.Error(), "not a database") {
		return classifyFor(ctx, driver, dsn, err)
	}
	if err != nil {
		return &TestError{Kind: FailDSN, Msg: "连接设置有误：" + err.Error() + "。请检查主机、端口、数据库名和连接选项", Err: err}
	}
	defer src.Close()
	if err := src.Ping(ctx); err != nil {
		return classifyFor(ctx, driver, dsn, err)
	}
	if _, err := src.Query(ctx, "SELECT 1", nil, 1); err != nil {
		return classifyFor(ctx, driver, dsn, err)
	}
	return nil
}

// classifyFor is classify, with SQLite's "not a database" (a file that is
// something else: a spreadsheet, an Access .mdb) said in Chinese.
func classifyFor(ctx context.Context, driver, dsn string, err error) *TestError {
	if driver == "sqlite" && strings.Contains(err.Error(), "not a database") {
		return &TestError{Kind: FailDSN, Msg: "文件“" + sqlitePath(dsn) + "”不是 SQLite 数据库：请选 ERP 的 SQLite 数据库文件（.db / .sqlite），其他数据库请选对应的数据库类型", Err: err}
	}
	return classify(ctx, err)
}

// classify turns a driver error into the reason an office admin can act on.
func classify(ctx context.Context, err error) *TestError {
	te := &TestError{Kind: FailOther, Err: err}
	var (
		pgErr  *pgconn.PgError
		myErr  *mysql.MySQLError
		dnsErr *net.DNSError
	)
	msNumber := mssqlNumber(err)
	switch {
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "28P01", "28000": // invalid_password, invalid_authorization_specification
			te.Kind = FailLogin
		case "3D000": // invalid_catalog_name
			te.Kind = FailNoDatabase
		case "57014": // query_canceled (statement_timeout)
			te.Kind = FailTimeout
		}
	case errors.As(err, &myErr):
		switch myErr.Number {
		case 1045, 1698: // access denied (wrong password / auth plugin)
			te.Kind = FailLogin
		case 1049, 1044: // unknown database; no rights on it
			te.Kind = FailNoDatabase
		case 1969, 3024: // MariaDB max_statement_time, MySQL max_execution_time
			te.Kind = FailTimeout
		}
	case msNumber != 0:
		switch msNumber {
		case 18456: // login failed
			te.Kind = FailLogin
		case 4060, 911: // cannot open database; database does not exist
			te.Kind = FailNoDatabase
		}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || isNetTimeout(err):
		te.Kind = FailTimeout
	case errors.As(err, &dnsErr):
		te.Kind = FailUnreachable
		te.Msg = "找不到数据库服务器“" + dnsErr.Name + "”：主机名无法解析。请检查主机名拼写，或改填服务器的 IP 地址"
		return te
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, os.ErrNotExist):
		te.Kind = FailUnreachable
	}
	if te.Kind == FailOther && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		te.Kind = FailTimeout
	}
	switch te.Kind {
	case FailLogin:
		te.Msg = "登录失败：用户名或密码不正确，或该用户不允许从本机登录。请核对用户名和密码，并确认数据库允许 BotGate 所在电脑连接"
	case FailNoDatabase:
		te.Msg = "已连上服务器并登录，但数据库不存在或该用户无权访问。请核对数据库名，并确认已给该用户授权"
	case FailUnreachable:
		te.Msg = "无法连接到数据库服务器：连接被拒绝或网络不通。请检查主机和端口是否正确、数据库服务是否已启动、防火墙是否放行该端口"
	case FailTimeout:
		te.Msg = "连接超时：数据库服务器没有及时响应。请检查主机和端口是否正确、网络是否通畅、防火墙是否放行，或稍后再试"
	default:
		te.Msg = "连接失败：" + err.Error() + "。请检查连接设置，或把这段提示发给数据库管理员"
	}
	return te
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// mssqlNumber is SQL Server's error number, 0 if err is not one; go-mssqldb
// returns its Error both as a value and as a pointer.
func mssqlNumber(err error) int32 {
	var e mssql.Error
	if errors.As(err, &e) {
		return e.Number
	}
	var p *mssql.Error
	if errors.As(err, &p) {
		return p.Number
	}
	return 0
}
