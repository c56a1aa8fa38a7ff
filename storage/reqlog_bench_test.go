package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"botgate/model"
)

// BenchmarkInsertRequestLogs is one transaction of the request log (64 rows,
// as app's requestLog writes them) of QQAP sends. µs/row is what each
// request costs the writer connection; at 32 connections the request log
// was 8% of the server's CPU (README, 性能测试).
func BenchmarkInsertRequestLogs(b *testing.B) {
	db := openTest(b, filepath.Join(b.TempDir(), "state.db"))
	defer db.Close()
	rows := make([]model.RequestLog, 64)
	for i := range rows {
		rows[i] = model.RequestLog{At: time.Now(), Remote: "127.0.0.1:54321", Method: "GET", Path: "/?Access_token=***&QQ=350310976&content=API%E5%8F%91%E9%80%81%E6%B6%88%E6%81%AF%E6%B5%8B%E8%AF%95&user=demo", APIUser: "demo", Action: "send", Errcode: 0, Errmsg: "ok", DurationUS: 321}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := db.InsertRequestLogs(context.Background(), rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/64/1000, "µs/row")
}
