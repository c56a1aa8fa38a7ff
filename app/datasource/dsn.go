package datasource

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/microsoft/go-mssqldb/msdsn"
)

// Fields are connection settings as the GUI asks for them, one box each.
type Fields struct {
	Host     string // name or IP; SQL Server also HOST\INSTANCE for a named instance
	Port     int    // 0 = the driver's usual port (3306, 5432, 1433; SQL Server named instance: found by the SQL Browser)
	Database string // database name; for sqlite the data file's path
	User     string
	Password string
	// Options are extra driver settings, "key=value" pairs separated by & ;
	// or new lines, e.g. "sslmode=disable" (postgres), "tls=true" (mysql),
	// "encrypt=disable" (sqlserver).
	Options string
}

var optionKey = regexp.MustCompile(`^[A-Za-z0-9_. -]+$`)

// parseOptions reads Fields.Options. Values are taken as typed and escaped
// when the DSN is written; a value cannot contain & ; or a new line.
func parseOptions(s string) (url.Values, error) {
	vals := url.Values{}
	for _, kv := range strings.FieldsFunc(s, func(r rune) bool { return r == '&' || r == ';' || r == '\n' || r == '\r' }) {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || !optionKey.MatchString(k) {
			return nil, fmt.Errorf("连接选项“%s”格式不对，应为 名称=值，多个用 & 分隔", kv)
		}
		vals.Add(k, strings.TrimSpace(v))
	}
	return vals, nil
}

// BuildDSN turns connection fields into the DSN the driver reads. Every part
// is escaped for the DSN's syntax, so a password with @ : / ? & or Chinese
// characters works as typed. The result is checked with the driver's own
// parser before it is returned.
func BuildDSN(driver string, f Fields) (string, error) {
	f.Host = strings.TrimSpace(f.Host)
	f.Database = strings.TrimSpace(f.Database)
	f.User = strings.TrimSpace(f.User)
	if f.Port < 0 || f.Port > 65535 {
		return "", fmt.Errorf("端口 %d 无效：应为 1 到 65535，留空表示默认端口", f.Port)
	}
	opts, err := parseOptions(f.Options)
	if err != nil {
		return "", err
	}
	if driver == "sqlite" {
		if f.Database == "" {
			return "", fmt.Errorf("请填写 SQLite 数据文件的路径")
		}
		return f.Database, nil
	}
	if f.Host == "" {
		return "", fmt.Errorf("请填写数据库服务器的主机名或 IP 地址")
	}
	hostPort := func(def int) string {
		p := f.Port
		if p == 0 {
			p = def
		}
		return net.JoinHostPort(f.Host, strconv.Itoa(p))
	}
	var user *url.Userinfo
	if f.User != "" {
		user = url.UserPassword(f.User, f.Password)
	}
	switch driver {
	case "mysql":
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = f.User, f.Password, "tcp", hostPort(3306), f.Database
		dsn := cfg.FormatDSN()
		// FormatDSN writes only non-default options; ours go after it.
		if len(opts) > 0 {
			sep := "?"
			if strings.Contains(dsn[strings.LastIndexByte(dsn, '/'):], "?") { // the password may hold a '?'; options follow the database
				sep = "&"
			}
			dsn += sep + opts.Encode()
		}
		if _, err := mysql.ParseDSN(dsn); err != nil {
			return "", fmt.Errorf("MySQL 连接选项有误：%v", err)
		}
		return dsn, nil
	case "postgres":
		u := url.URL{Scheme: "postgres", User: user, Host: hostPort(5432), RawQuery: opts.Encode()}
		if f.Database != "" {
			u.Path = "/" + f.Database
		}
		dsn := u.String()
		if _, err := pgx.ParseConfig(dsn); err != nil {
			return "", fmt.Errorf("PostgreSQL 连接选项有误：%v", err)
		}
		return dsn, nil
	case "sqlserver":
		u := url.URL{Scheme: "sqlserver", User: user}
		host, instance, named := strings.Cut(f.Host, `\`)
		switch {
		case named && f.Port == 0:
			u.Host, u.Path = host, "/"+instance // the SQL Browser service tells the port
		case named:
			u.Host = net.JoinHostPort(host, strconv.Itoa(f.Port)) // a fixed port wins over the instance name
		default:
			u.Host = hostPort(1433)
		}
		if f.Database != "" {
			opts.Set("database", f.Database)
		}
		u.RawQuery = opts.Encode()
		dsn := u.String()
		if _, err := msdsn.Parse(dsn); err != nil {
			return "", fmt.Errorf("SQL Server 连接选项有误：%v", err)
		}
		return dsn, nil
	}
	return "", fmt.Errorf("不支持的数据库类型 %q", driver)
}
