// Command refserver is the benchmark's yardstick: a bare net/http server that
// does one durable SQLite insert per request (same pragmas as BotGate's state
// database: WAL, synchronous=FULL) and nothing else: no auth, no validation,
// no dispatcher. BotGate's send path is measured against it.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	_ "modernc.org/sqlite"
)

func main() {
	dbPath := flag.String("db", "ref.db", "database file")
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	flag.Parse()
	db, err := sql.Open("sqlite", *dbPath+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, qq TEXT, content TEXT, created_at INTEGER)`); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		res, err := db.Exec(`INSERT INTO outbox (qq, content, created_at) VALUES (?, ?, ?)`, q.Get("QQ"), q.Get("content"), time.Now().UnixMilli())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		id, _ := res.LastInsertId()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"errcode":0,"errmsg":"OK","data":[],"msg_id":%d}`, id)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("已启动：http://%s/\n", ln.Addr())
	http.Serve(ln, nil)
}
