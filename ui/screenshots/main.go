// Command screenshots runs the real BotGate window over demo data and writes
// one PNG per tab (make screenshots runs it under Xvfb at 1024x768).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"

	"botgate/apiserver"
	"botgate/app"
	"botgate/app/config"
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
	opts := app.Options{DBPath: db, Listen: "127.0.0.1:0", Log: log,
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
	}); err != nil {
		return err
	}
	addr, err := a.StartServer()
	if err != nil {
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

	fa := ui.NewApp("0.1.0")
	u := ui.New(fa, a, ui.Options{Version: "0.1.0", Log: log})
	defer u.Close()
	u.Window().Resize(fyne.NewSize(1024, 768))
	u.Window().SetFixedSize(true)
	errc := make(chan error, 1)
	grab := func(path string) error {
		// ImageMagick's import reads the Xvfb screen; the window fills it (no window manager).
		if b, err := exec.Command("import", "-window", "root", "-crop", "1024x768+0+0", path).CombinedOutput(); err != nil {
			return fmt.Errorf("import: %v: %s", err, b)
		}
		return nil
	}
	go func() { errc <- u.CaptureTabs(out, 1500*time.Millisecond, grab) }()
	u.Window().ShowAndRun()
	return <-errc
}
