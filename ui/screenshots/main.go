// Command screenshots runs the real BotGate window over demo data and writes
// one PNG per tab (make screenshots runs it under Xvfb at 1024x768).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	kservice "github.com/kardianos/service"

	"botgate/apiserver"
	"botgate/app"
	"botgate/app/config"
	"botgate/model"
	"botgate/service"
	"botgate/ui"
)

func main() {
	out := flag.String("out", "docs/screenshots", "directory for the PNG files")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "botgate-shots")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := filepath.Join(dir, "botgate.db")
	opts := app.Options{DBPath: db, Log: log,
		Handler: func(a *app.App) http.Handler { return apiserver.New(apiserver.AppDeps(a), log, "screenshots") }}
	// The real service control, as the app has it: the 开机自动启动 switch shows.
	if p, err := service.PanelForDatabase(db); err == nil {
		opts.Service = p
	}
	a, err := app.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer a.Close()
	password, err := a.SetupDemo(ctx)
	if err != nil {
		return err
	}
	if _, err := a.Import(ctx, config.File{
		DataSources: []config.DataSource{{Name: "erp", Driver: "sqlite", DSN: filepath.Join(dir, "erp.db")}},
		Users:       []config.User{{Name: "warehouse", Password: "warehouse-pass", Roles: []string{"sales"}}},
		// A real platform's form (never contacted: nothing here clicks 测试连接).
		Channels: []config.Channel{{Name: "销售群", Type: "dingtalk", Config: config.Values{
			"url": "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef", "secret": "SEC0123456789abcdef", "at_all": "true"}},
			// The forms of the transports and API versions (docs/channels.md):
			// none of them is contacted (nothing sends; a reverse WebSocket
			// waits for NapCat to connect).
			{Name: "QQ-NapCat", Type: "onebot", Config: config.Values{"transport": "ws-reverse", "access_token": "napcat-token"}},
			{Name: "微信-GeWe", Type: "gewe", Config: config.Values{"url": "http://127.0.0.1:2531", "token": "gewe-token", "appid": "wx_ECMY4oEDuQAP6W", "api": "v2"}},
			{Name: "QQ-Mojo", Type: "openqq", Config: config.Values{"url": "http://127.0.0.1:5000", "api": "auto"}}},
	}); err != nil {
		return err
	}
	// A free port, saved as the listen address (not given as on the command
	// line, which the 服务 tab would point out).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	listen := ln.Addr().String()
	ln.Close()
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	listen2 := ln.Addr().String()
	ln.Close()
	if _, err := a.Import(ctx, config.File{Settings: &config.SettingsPatch{Listen: &listen}}); err != nil {
		return err
	}
	addr, err := a.StartServer()
	if err != nil {
		return err
	}
	if _, err := a.SendTest(ctx, app.SendRequest{Channel: "log", Group: "123456", QQ: "350310976", Content: "今日销售图表",
		At: []model.Mention{{ID: "289192968", Name: "张三"}}, Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "销售.png", Data: chart()}}}); err != nil {
		return err
	}
	// A little traffic so the counts, the chart and the logs have something to show.
	calls := []url.Values{
		{"user": {app.DemoUser}, "Access_token": {password}, "keyword": {"账号"}, "QQ": {"289192968"}},
		{"user": {app.DemoUser}, "Access_token": {password}, "QQ": {"350310976"}, "content": {"今日订单已审核"}},
		{"user": {app.DemoUser}, "Access_token": {password}, "group": {"123456"}, "QQ": {"350310976"}, "content": {"库存预警：A-100"}},
		{"user": {"erp"}, "Access_token": {"wrong"}, "keyword": {"库存"}},
	}
	for _, q := range calls {
		resp, err := http.Get("http://" + addr + "/?" + q.Encode())
		if err != nil {
			return err
		}
		resp.Body.Close()
	}
	time.Sleep(time.Second) // the request log is written in batches

	// The first-run guide runs over a second, empty database.
	empty, err := app.Open(ctx, app.Options{DBPath: filepath.Join(dir, "empty", "botgate.db"), Log: log})
	if err != nil {
		return err
	}
	defer empty.Close()
	if _, err := empty.Import(ctx, config.File{Settings: &config.SettingsPatch{Listen: &listen}}); err != nil {
		return err
	}

	// 以系统服务运行: a third database, run by a stand-in for the service
	// manager (a second App serving it, as the service process would).
	svcDB := filepath.Join(dir, "service", "botgate.db")
	mgr := &standIn{db: svcDB, log: log}
	defer mgr.Stop()
	svcApp, err := app.Open(ctx, app.Options{DBPath: svcDB, Log: log,
		Service: service.NewPanel(service.NewControl(mgr, svcDB, true, service.Probe{}), "botgate", nil)})
	if err != nil {
		return err
	}
	defer svcApp.Close()
	if _, err := svcApp.Import(ctx, config.File{Settings: &config.SettingsPatch{Listen: &listen2}, Users: []config.User{{Name: "erp", Password: "erp-secret-1"}},
		Channels: []config.Channel{{Name: "log", Type: "log"}}}); err != nil {
		return err
	}
	if err := mgr.Install(); err != nil {
		return err
	}
	if err := mgr.Start(); err != nil {
		return err
	}

	fa := ui.NewApp("0.1.0")
	u := ui.New(fa, a, ui.Options{Version: "0.1.0", Log: log})
	defer u.Close()
	g := ui.New(fa, empty, ui.Options{Version: "0.1.0", Log: log})
	defer g.Close()
	sv := ui.New(fa, svcApp, ui.Options{Version: "0.1.0", Log: log})
	defer sv.Close()
	for _, w := range []fyne.Window{u.Window(), g.Window(), sv.Window()} {
		w.Resize(fyne.NewSize(1024, 768))
		w.SetFixedSize(true)
	}
	errc := make(chan error, 1)
	grab := func(path string) error {
		// ImageMagick's import reads the Xvfb screen; the window fills it (no window manager).
		if b, err := exec.Command("import", "-window", "root", "-crop", "1024x768+0+0", path).CombinedOutput(); err != nil {
			return fmt.Errorf("import: %v: %s", err, b)
		}
		return nil
	}
	go func() {
		defer fyne.Do(fa.Quit)
		settle := 1500 * time.Millisecond
		if err := u.CaptureTabs(out, settle, grab); err != nil {
			errc <- err
			return
		}
		fyne.DoAndWait(func() {
			u.Window().Hide()
			sv.Window().Show()
		})
		time.Sleep(3 * settle) // the poller sees the service
		if err := grab(filepath.Join(out, "service-installed.png")); err != nil {
			errc <- err
			return
		}
		fyne.DoAndWait(func() {
			sv.Window().Hide()
			g.Window().Show()
		})
		errc <- g.CaptureGuide(out, settle, grab)
	}()
	u.Window().ShowAndRun()
	return <-errc
}

// chart is a small bar chart image, the kind of picture an ERP sends.
func chart() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 120, 80))
	for x := 0; x < 120; x++ {
		for y := 0; y < 80; y++ {
			c := color.NRGBA{0xff, 0xff, 0xff, 0xff}
			if bar := x / 20; x%20 > 4 && 80-y < 10+bar*12 {
				c = color.NRGBA{0x3b, 0x82, 0xf6, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// standIn is the service manager for the 以系统服务运行 screenshot: Start
// opens a second App on the database and serves it, as the installed
// service's process does, so the window finds it as it would in the field
// (the manager's status and the database lock).
type standIn struct {
	db  string
	log *slog.Logger

	mu        sync.Mutex
	installed bool
	srv       *app.App
}

func (m *standIn) Install() error { m.mu.Lock(); defer m.mu.Unlock(); m.installed = true; return nil }
func (m *standIn) Uninstall() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.installed = false
	return nil
}

func (m *standIn) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, err := app.Open(context.Background(), app.Options{DBPath: m.db, Log: m.log,
		Handler: func(a *app.App) http.Handler { return apiserver.New(apiserver.AppDeps(a), m.log, "service") }})
	if err != nil {
		return err
	}
	if _, err := a.StartServer(); err != nil {
		a.Close()
		return err
	}
	m.srv = a
	return nil
}

func (m *standIn) Stop() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.srv != nil {
		m.srv.StopServer()
		m.srv.Close()
		m.srv = nil
	}
	return nil
}

func (m *standIn) Status() (kservice.Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case !m.installed:
		return kservice.StatusUnknown, kservice.ErrNotInstalled
	case m.srv != nil:
		return kservice.StatusRunning, nil
	}
	return kservice.StatusStopped, nil
}
