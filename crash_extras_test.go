package main

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeWeComRobot is a WeCom group robot webhook that can be switched busy
// (errcode -1, which BotGate retries). Like WeCom it checks that an image's
// md5 is that of its base64-decoded bytes; it then knows the image by its
// sha256, which the senders announce before sending, and counts for each
// message its text and its intact image.
type fakeWeComRobot struct {
	delay   time.Duration
	busy    atomic.Bool
	expect  sync.Map // sha256 hex of an image sent -> message key
	mu      sync.Mutex
	texts   map[string]int // message key (the text) -> times delivered
	images  map[string]int // message key -> times its image arrived intact
	corrupt []string       // images whose md5 did not match, or no sender sent
}

func newFakeWeComRobot(delay time.Duration) *fakeWeComRobot {
	return &fakeWeComRobot{delay: delay, texts: map[string]int{}, images: map[string]int{}}
}

func (f *fakeWeComRobot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if f.busy.Load() {
		io.WriteString(w, `{"errcode":-1,"errmsg":"system busy"}`)
		return
	}
	var body struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
		Image struct {
			Base64 string `json:"base64"`
			MD5    string `json:"md5"`
		} `json:"image"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		io.WriteString(w, `{"errcode":40035,"errmsg":"invalid args"}`)
		return
	}
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch body.MsgType {
	case "text":
		f.texts[body.Text.Content]++
	case "image":
		data, err := base64.StdEncoding.DecodeString(body.Image.Base64)
		sum := md5.Sum(data)
		if err != nil || hex.EncodeToString(sum[:]) != body.Image.MD5 {
			f.corrupt = append(f.corrupt, "md5 mismatch")
			io.WriteString(w, `{"errcode":40009,"errmsg":"invalid image size"}`)
			return
		}
		key, ok := f.expect.Load(sha256hex(data))
		if !ok {
			f.corrupt = append(f.corrupt, fmt.Sprintf("unknown image of %d bytes", len(data)))
		} else {
			f.images[key.(string)]++
		}
	}
	io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
}

// count is how many times message key arrived whole: its text and its image.
func (f *fakeWeComRobot) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return min(f.texts[key], f.images[key])
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// pngFor is a small real PNG (24×24, ~2 KB) whose pixels derive from key,
// so every message carries an image of its own.
func pngFor(key string) []byte {
	seed := sha256.Sum256([]byte(key))
	img := image.NewNRGBA(image.Rect(0, 0, 24, 24))
	for i := range img.Pix {
		img.Pix[i] = seed[i%len(seed)] ^ byte(i*7)
	}
	img.Set(0, 0, color.NRGBA{A: 255})
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// TestCrash_KillDashNineUnderLoad_AttachmentsArriveIntact: sends carrying a
// PNG as base64 (half through the native API, half as QQAP JSON bodies)
// pour into a WeCom robot channel; after 100 are acknowledged the robot
// turns busy, after 100 more the server is killed with SIGKILL, restarted
// with the robot back, and every
// acknowledged message must arrive with its own image, byte for byte.
func TestCrash_KillDashNineUnderLoad_AttachmentsArriveIntact(t *testing.T) {
	fake := newFakeWeComRobot(time.Millisecond)
	platform := httptest.NewServer(fake)
	defer platform.Close()
	db := configuredDB(t, fmt.Sprintf(`{"settings":{"default_channel":"企业微信群"},
	  "users":[{"name":"erp","password":"erp-password","roles":["admin"]}],
	  "channels":[{"name":"企业微信群","type":"wecom","rate_per_minute":100000,"config":{"url":%q}}]}`,
		platform.URL+"/cgi-bin/webhook/send?key=crash"))

	cmd, addr := startServe(t, db)
	load := startLoadOf(8, func(client *http.Client, w, i int) (string, int64, error) {
		key := fmt.Sprintf("w%d-%d", w, i)
		img := pngFor(key)
		fake.expect.Store(sha256hex(img), key)
		b64 := base64.StdEncoding.EncodeToString(img)
		if w%2 == 0 {
			body := fmt.Sprintf(`{"content":%q,"attachments":[{"kind":"image","name":"%s.png","data":%q}]}`, key, key, b64)
			req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/messages", strings.NewReader(body))
			req.SetBasicAuth("erp", "erp-password")
			resp, err := client.Do(req)
			if err != nil {
				return key, 0, err
			}
			defer resp.Body.Close()
			var v struct {
				ID int64 `json:"id"`
			}
			if json.NewDecoder(resp.Body).Decode(&v) != nil || resp.StatusCode != http.StatusAccepted {
				return key, 0, nil
			}
			return key, v.ID, nil
		}
		q := url.Values{"Access_token": {"erp-password"}, "user": {"erp"}}
		body := fmt.Sprintf(`{"content":%q,"image":"base64://%s"}`, key, b64)
		resp, err := client.Post("http://"+addr+"/?"+q.Encode(), "application/json", strings.NewReader(body))
		if err != nil {
			return key, 0, err
		}
		return key, qqapMsgID(resp), nil
	})
	// Counts, not times: on a busy machine the first sends wait for their
	// password checks, and a fixed sleep may see none acknowledged.
	waitAcked(t, load, 100)
	fake.busy.Store(true) // the robot turns busy while sends keep coming
	waitAcked(t, load, load.nAcked.Load()+100)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	load.halt()

	fake.busy.Store(false)
	startServe(t, db)
	if missing := load.waitDelivered(fake); len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged messages never arrived whole (text and intact image), e.g. %v", len(missing), load.nAcked.Load(), missing[:min(5, len(missing))])
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.corrupt) > 0 {
		t.Fatalf("%d images arrived damaged, e.g. %v", len(fake.corrupt), fake.corrupt[:min(5, len(fake.corrupt))])
	}
	dups := 0
	for _, n := range fake.texts {
		dups += max(n-1, 0)
	}
	t.Logf("acknowledged %d, unanswered at the kill %d, all acknowledged delivered after restart with their image intact (sha256 and WeCom's md5); duplicate deliveries: %d",
		load.nAcked.Load(), load.nErr.Load(), dups)
}
