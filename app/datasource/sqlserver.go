package datasource

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net"
	"sync"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"botgate/app/sqltmpl"
)

// OpenSQLServer opens a Microsoft SQL Server data source through
// go-mssqldb. dsn is a URL (sqlserver://user:pass@host:1433?database=erp,
// sqlserver://user:pass@host/SQLEXPRESS?database=erp for a named instance)
// or ADO text (server=host;user id=sa;password=...;database=erp). No
// connection is made yet.
//
// Read-only: go-mssqldb refuses read-only transactions and SQL Server has no
// session switch for it, so a query runs in an ordinary transaction that is
// always rolled back — a write slipped into a query template is undone, not
// refused. Give query data sources a login with only db_datareader to have
// the server refuse it too (docs/databases.md).
//
// Timeout: when the context ends go-mssqldb sends the server an attention
// packet, which cancels the running statement on the server.
func OpenSQLServer(ctx context.Context, dsn string) (*SQL, error) {
	conn, err := mssql.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("SQL Server 连接字符串有误：%w", err)
	}
	conn.Dialer = watchDialer{d: net.Dialer{KeepAlive: 30 * time.Second}}
	db := sql.OpenDB(ctxConnector{conn})
	limitPool(db)
	s := NewSQL(db, db, sqltmpl.AtP, convSQLServer)
	s.d = dialect{noReadOnlyTx: true}
	return s, nil
}

// go-mssqldb reads the server's first answer (prelogin) without watching
// the context, so a host that accepts the connection and then says nothing
// would hang a template or the "测试连接" button for ever. ctxConnector makes
// the context reach the login: when it ends, the sockets dialled for this
// login get a past deadline, which ends any blocked read.
type ctxConnector struct{ *mssql.Connector }

type loginKey struct{}

// loginWatch holds the sockets dialled during one login.
type loginWatch struct {
	mu      sync.Mutex
	conns   []net.Conn
	aborted bool
}

func (w *loginWatch) add(c net.Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conns = append(w.conns, c)
	if w.aborted {
		c.SetDeadline(time.Unix(1, 0))
	}
}

func (w *loginWatch) abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.aborted = true
	for _, c := range w.conns {
		c.SetDeadline(time.Unix(1, 0))
	}
}

// Connect implements driver.Connector.
func (c ctxConnector) Connect(ctx context.Context) (driver.Conn, error) {
	w := &loginWatch{}
	stop := context.AfterFunc(ctx, w.abort)
	conn, err := c.Connector.Connect(context.WithValue(ctx, loginKey{}, w))
	if !stop() {
		// The context ended during the login: the socket may carry the
		// past deadline, so this connection must not be used.
		if err == nil { // on error conn may be a typed nil
			conn.Close()
		}
		return nil, fmt.Errorf("SQL Server login: %w (%w)", ctx.Err(), err)
	}
	return conn, err
}

// watchDialer registers each socket with the login that dialled it.
type watchDialer struct{ d net.Dialer }

func (w watchDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := w.d.DialContext(ctx, network, addr)
	if err == nil {
		if lw, ok := ctx.Value(loginKey{}).(*loginWatch); ok {
			lw.add(c)
		}
	}
	return c, err
}

// convSQLServer maps go-mssqldb values by column type. DECIMAL and MONEY
// arrive as exact text in []byte; DATETIME/DATETIME2 carry no zone (their
// wall clock is shown as is); DATETIMEOFFSET is shown in local time.
func convSQLServer(v any, dbType string) any {
	switch dbType {
	case "DECIMAL", "MONEY", "SMALLMONEY":
		if b, ok := v.([]byte); ok {
			return string(b)
		}
	case "DATE":
		if t, ok := v.(time.Time); ok {
			return t.Format(dateLayout)
		}
	case "DATETIME", "DATETIME2", "SMALLDATETIME":
		if t, ok := v.(time.Time); ok {
			return wallClock(t)
		}
	case "DATETIMEOFFSET":
		if t, ok := v.(time.Time); ok {
			return zoned(t)
		}
	case "TIME":
		if t, ok := v.(time.Time); ok {
			return t.Format("15:04:05.999999999")
		}
	case "UNIQUEIDENTIFIER":
		if b, ok := v.([]byte); ok && len(b) == 16 {
			var u mssql.UniqueIdentifier
			if err := u.Scan(b); err == nil {
				return u.String()
			}
		}
	case "VARBINARY", "BINARY", "IMAGE":
		return binary(v)
	}
	return v
}
