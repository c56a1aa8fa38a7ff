package outbox_test

import (
	"botgate/model"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/app/outbox"
	"botgate/storage"
)

// enqueuerEnv makes the test binary a stand-in for a BotGate process under
// load: it queues messages with images through a Queue on the database named
// by the variable and prints "ack <content> <sha256>" for each one the queue
// acknowledged, until it is killed.
const enqueuerEnv = "BOTGATE_TEST_ENQUEUER_DB"

func TestMain(m *testing.M) {
	if db := os.Getenv(enqueuerEnv); db != "" {
		enqueueUntilKilled(db)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testImage is a small PNG-signed image unique to content, so every
// message's attachment has its own hash.
func testImage(content string) []byte {
	b := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte(content+"|"), 20<<10/(len(content)+1))...)
	return b
}

func enqueueUntilKilled(path string) {
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	q := outbox.NewQueue(db, nil)
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	deadline := time.Now().Add(60 * time.Second) // never outlive a parent that forgot to kill
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				content := fmt.Sprintf("w%d-%d", w, i)
				data := testImage(content)
				msg := model.NewMessage{Channel: "qq", TargetKind: channel.Group, Target: fmt.Sprint(w), Content: content,
					At: []model.Mention{{ID: "10001"}}, Attachments: []model.Attachment{{Kind: "image", Name: content + ".png", Data: data}}}
				if i%3 == 0 {
					// Some plain messages in between take the single-INSERT path.
					msg.Attachments, msg.At = nil, nil
				}
				if _, err := q.Add(context.Background(), msg); err != nil {
					continue
				}
				sum := ""
				if msg.Attachments != nil {
					s := sha256.Sum256(data)
					sum = hex.EncodeToString(s[:])
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %s %s\n", content, sum)
				out.Flush()
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
}

// TestCrash_KillDashNineWhileEnqueuing_AttachmentsIntact: a process queuing
// messages with images is killed with SIGKILL; after reopening, every
// message it acknowledged is there with its image byte for byte (by
// sha256), and no message lacks the attachments its row lists.
func TestCrash_KillDashNineWhileEnqueuing_AttachmentsIntact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), enqueuerEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // a failed test leaves no process behind
	// content -> sha256 of its image ("" for a plain message)
	acked := map[string]string{}
	lines := bufio.NewScanner(stdout)
	start := time.Now()
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		if len(f) >= 2 && f[0] == "ack" {
			acked[f[1]] = strings.Join(f[2:], "")
		}
		if len(acked) >= 600 || time.Since(start) > 20*time.Second {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Acknowledgements printed before the kill landed are acknowledgements too.
	for lines.Scan() {
		if f := strings.Fields(lines.Text()); len(f) >= 2 && f[0] == "ack" {
			acked[f[1]] = strings.Join(f[2:], "")
		}
	}
	cmd.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d messages acknowledged before the kill; the test did not load the queue\n%s", len(acked), stderr.String())
	}

	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	found := map[string]bool{}
	withImages := 0
	for after := int64(0); ; {
		page, err := db.PendingMessages(ctx, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			after = m.ID
			found[m.Content] = true
			as, err := db.Attachments(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != len(m.Attachments) {
				t.Fatalf("message %d (%s) lists %d attachments and has %d", m.ID, m.Content, len(m.Attachments), len(as))
			}
			for i, a := range as {
				s := sha256.Sum256(a.Data)
				if got := hex.EncodeToString(s[:]); got != m.Attachments[i].SHA256 || !bytes.Equal(a.Data, testImage(m.Content)) {
					t.Fatalf("message %d (%s): attachment bytes do not match (sha256 %s, row says %s)", m.ID, m.Content, got, m.Attachments[i].SHA256)
				}
			}
			if want, ok := acked[m.Content]; ok && want != "" {
				withImages++
				if len(m.Attachments) != 1 || m.Attachments[0].SHA256 != want || len(m.At) != 1 {
					t.Fatalf("acknowledged message %s: %+v, want its image with sha256 %s and its mention", m.Content, m, want)
				}
			}
		}
		if len(page) < 500 {
			break
		}
	}
	var missing []string
	for c := range acked {
		if !found[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged messages lost, e.g. %v", len(missing), len(acked), missing[:min(5, len(missing))])
	}
	t.Logf("acknowledged %d (%d with an image), found %d after kill -9; every acknowledged one intact", len(acked), withImages, len(found))
}
