package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"botgate/model"
)

// BenchmarkSendCarryingPrune is one send's commit (synchronous=FULL) while
// a retention prune rides with it (pruneBatched, carrying): what each send
// at one connection pays for it, by table and by rows a job deletes.
func BenchmarkSendCarryingPrune(b *testing.B) {
	for _, c := range []struct {
		spec pruneSpec
		rows int
	}{{pruneRequests, 0}, {pruneRequests, 4}, {pruneRequests, 16}, {pruneRequests, 64}, {pruneOutbox, 4}, {pruneOutbox, 16}, {pruneOutbox, 64}} {
		b.Run(fmt.Sprintf("%s/%d", c.spec.table, c.rows), func(b *testing.B) {
			db := openTest(b, filepath.Join(b.TempDir(), "state.db"))
			defer db.Close()
			ctx := context.Background()
			old := time.Now().AddDate(-1, 0, 0).UnixMilli()
			const n = 400000
			for _, q := range []string{
				`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
				INSERT INTO outbox (channel, target_kind, target, content, status, attempts, next_attempt_at, created_at, delivered_at, api_user)
				SELECT 'log', 'user', CAST(20000 + i % 1000 AS TEXT), 'prefill ' || i, 'delivered', 1, ?1 + i, ?1 + i, ?1 + i, 'demo' FROM s`,
				`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
				INSERT INTO request_log (at, remote, method, path, api_user, action, errcode, duration_us)
				SELECT ?1 + i, '127.0.0.1', 'GET', '/', 'demo', 'send', 0, 300 FROM s`,
			} {
				if _, err := db.w.ExecContext(ctx, q, old, n); err != nil {
					b.Fatal(err)
				}
			}
			st, err := db.w.PrepareContext(ctx, c.spec.delete(max(c.rows, 1)))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			cut := time.Now().AddDate(0, -1, 0).UnixMilli()
			msg := []model.NewMessage{{Channel: "log", TargetKind: "private", Target: "10001", Content: "API发送消息测试", APIUser: "demo"}}
			deleted := 0
			for b.Loop() {
				var jobs []*carryJob
				if c.rows > 0 {
					done := make(chan error, 1)
					jobs = []*carryJob{{rows: c.rows, done: done, run: func(ctx context.Context, tx *sql.Tx) error {
						res, err := tx.StmtContext(ctx, st).ExecContext(ctx, cut)
						if err != nil {
							return err
						}
						k, _ := res.RowsAffected()
						deleted += int(k)
						return nil
					}}}
				}
				if _, err := db.enqueueWith(ctx, msg, jobs); err != nil {
					b.Fatal(err)
				}
			}
			if c.rows > 0 && deleted < b.N*c.rows {
				b.Fatalf("deleted %d rows in %d sends: the prefill ran out", deleted, b.N)
			}
		})
	}
}
