package datasource_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/microsoft/go-mssqldb/msdsn"

	"botgate/app/config"
	"botgate/app/datasource"
	"botgate/app/sqltmpl"
)

// parsed is what a driver's own parser reads back from a DSN.
type parsed struct{ host, port, db, user, pw string }

func parseBack(t *testing.T, driver, dsn string) parsed {
	t.Helper()
	switch driver {
	case "mysql":
		c, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("mysql.ParseDSN(%q): %v", dsn, err)
		}
		host, port, _ := strings.Cut(c.Addr, ":")
		if strings.HasPrefix(c.Addr, "[") {
			i := strings.LastIndex(c.Addr, "]:")
			host, port = c.Addr[1:i], c.Addr[i+2:]
		}
		return parsed{host, port, c.DBName, c.User, c.Passwd}
	case "postgres":
		c, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatalf("pgx.ParseConfig(%q): %v", dsn, err)
		}
		return parsed{c.Host, itoa(int(c.Port)), c.Database, c.User, c.Password}
	case "sqlserver":
		c, err := msdsn.Parse(dsn)
		if err != nil {
			t.Fatalf("msdsn.Parse(%q): %v", dsn, err)
		}
		host := c.Host
		if c.Instance != "" {
			host += `\` + c.Instance
		}
		return parsed{host, itoa(int(c.Port)), c.Database, c.User, c.Password}
	}
	t.Fatalf("driver %s", driver)
	return parsed{}
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func TestBuildDSN_DriverReadsBackEveryField(t *testing.T) {
	// A password made to break naive DSN building: every separator of every form.
	const pw = `p@ss:w/rd?#&;= '"{}%密码`
	tests := []struct {
		name   string
		driver string
		f      datasource.Fields
		want   parsed
	}{
		{"mysql with default port", "mysql", datasource.Fields{Host: "erp.local", Database: "erp", User: "bot", Password: pw},
			parsed{"erp.local", "3306", "erp", "bot", pw}},
		{"mysql with port and options", "mysql", datasource.Fields{Host: "10.0.0.5", Port: 3307, Database: "账套", User: "用户", Password: pw, Options: "tls=skip-verify&loc=Asia/Shanghai"},
			parsed{"10.0.0.5", "3307", "账套", "用户", pw}},
		{"mysql on IPv6", "mysql", datasource.Fields{Host: "::1", Database: "erp", User: "bot", Password: "x"},
			parsed{"::1", "3306", "erp", "bot", "x"}},
		{"postgres with default port", "postgres", datasource.Fields{Host: "db.example", Database: "erp", User: "bot", Password: pw, Options: "sslmode=disable"},
			parsed{"db.example", "5432", "erp", "bot", pw}},
		{"postgres with Chinese database and options separated by ;", "postgres", datasource.Fields{Host: "127.0.0.1", Port: 5433, Database: "进销存", User: "bot", Password: pw, Options: "sslmode=disable; connect_timeout=3"},
			parsed{"127.0.0.1", "5433", "进销存", "bot", pw}},
		{"sqlserver with default port", "sqlserver", datasource.Fields{Host: "erp-srv", Database: "UFDATA_001_2024", User: "sa", Password: pw, Options: "encrypt=disable"},
			parsed{"erp-srv", "1433", "UFDATA_001_2024", "sa", pw}},
		{"sqlserver named instance without port", "sqlserver", datasource.Fields{Host: `erp-srv\SQLEXPRESS`, Database: "erp", User: "sa", Password: pw},
			parsed{`erp-srv\SQLEXPRESS`, "", "erp", "sa", pw}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn, err := datasource.BuildDSN(tc.driver, tc.f)
			if err != nil {
				t.Fatalf("BuildDSN: %v", err)
			}
			if got := parseBack(t, tc.driver, dsn); got != tc.want {
				t.Fatalf("driver reads %+v from %q, want %+v", got, dsn, tc.want)
			}
			// Export masks the password whole, and nothing else.
			masked := config.MaskDSN(dsn)
			if strings.Contains(masked, "ss:w") || strings.Contains(masked, "密码") || strings.Contains(masked, "%E5%AF%86") {
				t.Fatalf("MaskDSN(%q) = %q still shows the password", dsn, masked)
			}
			back := parseBack(t, tc.driver, masked)
			if back.pw != config.Mask || back.user != tc.want.user || back.host != tc.want.host || back.db != tc.want.db {
				t.Fatalf("masked DSN %q reads as %+v: only the password may change", masked, back)
			}
			// And the opener accepts it (no connection is made).
			src, err := datasource.Open(context.Background(), tc.driver, dsn, "")
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			src.Close()
		})
	}
}

func TestBuildDSN_RejectsBadFieldsInChinese(t *testing.T) {
	tests := []struct {
		name   string
		driver string
		f      datasource.Fields
	}{
		{"missing host", "postgres", datasource.Fields{Database: "erp"}},
		{"port out of range", "mysql", datasource.Fields{Host: "h", Port: 70000}},
		{"option without =", "sqlserver", datasource.Fields{Host: "h", Options: "encrypt"}},
		{"option with a strange key", "postgres", datasource.Fields{Host: "h", Options: "a/b=1"}},
		{"sqlite without a path", "sqlite", datasource.Fields{}},
		{"unknown driver", "oracle", datasource.Fields{Host: "h"}},
		{"mysql option the driver rejects", "mysql", datasource.Fields{Host: "h", Options: "timeout=soon"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := datasource.BuildDSN(tc.driver, tc.f)
			if err == nil || !hasHan(err.Error()) {
				t.Fatalf("err = %v, want a Chinese error", err)
			}
		})
	}
	if dsn, err := datasource.BuildDSN("sqlite", datasource.Fields{Database: `D:\ERP\data.db`}); err != nil || dsn != `D:\ERP\data.db` {
		t.Fatalf("sqlite DSN = %q, %v: want the path itself", dsn, err)
	}
}

func TestMaskDSN_HidesEveryDriversPassword(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"mysql password holding @ and /", "erp:p@s/s@tcp(127.0.0.1:3306)/erp", "erp:******@tcp(127.0.0.1:3306)/erp"},
		{"mysql without password stays", "erp@tcp(127.0.0.1:3306)/erp", "erp@tcp(127.0.0.1:3306)/erp"},
		{"postgres URL with unescaped @ in password", "postgres://erp:p@ss@db:5432/erp", "postgres://erp:******@db:5432/erp"},
		{"postgres URL password in the query", "postgres://db/erp?user=erp&password=secret&sslmode=disable", "postgres://db/erp?user=erp&password=******&sslmode=disable"},
		{"postgres key=value quoted with space", "host=db user=erp password='se cret' dbname=erp", "host=db user=erp password=****** dbname=erp"},
		{"postgres key=value quoted with escaped quote", `host=db password='it\'s' dbname=erp`, "host=db password=****** dbname=erp"},
		{"sqlserver ADO", "server=erp;user id=sa;password=Secret1;database=erp", "server=erp;user id=sa;password=******;database=erp"},
		{"sqlserver ADO braces with ;", "server=erp;user id=sa;Password={a;b}}c};database=erp", "server=erp;user id=sa;Password=******;database=erp"},
		{"sqlserver ADO double quotes with ;", `server=erp;pwd="a;b";database=erp`, "server=erp;pwd=******;database=erp"},
		{"sqlserver named instance URL", `sqlserver://sa:S3cret@erp/SQLEXPRESS?database=erp`, `sqlserver://sa:******@erp/SQLEXPRESS?database=erp`},
		{"sqlite path with @ and : stays", `C:\data\a@b\erp.db`, `C:\data\a@b\erp.db`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := config.MaskDSN(tc.in); got != tc.want {
				t.Fatalf("MaskDSN(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestOpen_EachDriverBindsInItsStyle(t *testing.T) {
	st, err := sqltmpl.Compile("SELECT name FROM staff WHERE qq = '{{qq}}' AND id = {{1}} AND note LIKE '%{{1}}%'",
		func(n string) (string, bool) { return n, true })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		driver, dsn, want string
	}{
		{"sqlite", t.TempDir() + "/x.db", "SELECT name FROM staff WHERE qq = ? AND id = ? AND note LIKE ?"},
		{"mysql", "u:p@tcp(127.0.0.1:1)/x", "SELECT name FROM staff WHERE qq = ? AND id = ? AND note LIKE ?"},
		{"postgres", "postgres://u:p@127.0.0.1:1/x", "SELECT name FROM staff WHERE qq = $1 AND id = $2 AND note LIKE $3"},
		{"sqlserver", "sqlserver://u:p@127.0.0.1:1?database=x", "SELECT name FROM staff WHERE qq = @p1 AND id = @p2 AND note LIKE @p3"},
	}
	for _, tc := range tests {
		t.Run(tc.driver, func(t *testing.T) {
			// Opening a server source makes no connection: a closed port is fine.
			src, err := datasource.Open(context.Background(), tc.driver, tc.dsn, "")
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if got := st.SQL(src.Style()); got != tc.want {
				t.Fatalf("SQL = %q, want %q", got, tc.want)
			}
			args := st.Args(map[string]string{"qq": "10001", "1": "7"})
			if want := []any{"10001", "7", "%7%"}; len(args) != 3 || args[0] != want[0] || args[1] != want[1] || args[2] != want[2] {
				t.Fatalf("args = %v, want %v", args, want)
			}
		})
	}
}

func TestOpen_BadDSNIsAChineseError(t *testing.T) {
	for _, tc := range []struct{ driver, dsn string }{
		{"mysql", "u:p@tcp(127.0.0.1:1/x"},
		{"postgres", "postgres://u:p@127.0.0.1:notaport/x"},
		{"sqlserver", "sqlserver://u:p@127.0.0.1?dial+timeout=abc"},
	} {
		t.Run(tc.driver, func(t *testing.T) {
			_, err := datasource.Open(context.Background(), tc.driver, tc.dsn, "")
			if err == nil || !hasHan(err.Error()) {
				t.Fatalf("Open(%q) = %v, want a Chinese error", tc.dsn, err)
			}
		})
	}
}
