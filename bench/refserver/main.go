// Command refserver is the benchmark's yardstick: a bare net/http server that
// does one SQLite insert per request (WAL, like BotGate's state database) and
// nothing else: no auth, no validation, no dispatcher. With -sync full (the
// default, BotGate's pragma for sends) each insert is durable against power
// loss; with -sync normal it is not fsynced, the upper bound of what a
// durable send could cost. BotGate's send path is measured against both.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

func main() {
	dbPath := flag.String("db", "ref.db", "database file")
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	syncMode := flag.String("sync", "full", "synchronous pragma: full or normal")
	flag.Parse()
	if *syncMode != "full" && *syncMode != "normal" {
		fmt.Fprintln(os.Stderr, "-sync: full 或 normal")
		os.Exit(2)
	}
	db, err := sql.Open("sqlite", *dbPath+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous("+strings.ToUpper(*syncMode)+")")
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
