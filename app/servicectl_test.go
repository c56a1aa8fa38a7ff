package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"botgate/app"
	"botgate/model"
)

// fakeService is the system service as the window sees it: it records the
// calls and answers with what the test set.
type fakeService struct {
	calls []string
	state app.ServiceState
	err   error
	owner uintptr
}

var _ app.ServiceControl = (*fakeService)(nil)

func (f *fakeService) Status(context.Context) (app.ServiceState, error) {
	f.calls = append(f.calls, "status")
	return f.state, f.err
}

func (f *fakeService) Install(_ context.Context, start bool) error {
	if start {
		f.calls = append(f.calls, "install+start")
	} else {
		f.calls = append(f.calls, "install")
	}
	return f.err
}

func (f *fakeService) Uninstall(context.Context) error {
	f.calls = append(f.calls, "uninstall")
	return f.err
}

func (f *fakeService) Start(context.Context) (app.ServiceState, error) {
	f.calls = append(f.calls, "start")
	return f.state, f.err
}

func (f *fakeService) Stop(context.Context) error {
	f.calls = append(f.calls, "stop")
	return f.err
}

func (f *fakeService) SetOwner(hwnd uintptr) { f.owner = hwnd }
func (f *fakeService) Name() string          { return "botgate-1234abcd" }
func (f *fakeService) LogPath() string       { return "/srv/botgate/botgate.log" }

func openWithService(t *testing.T, svc app.ServiceControl) *app.App {
	t.Helper()
	a, err := app.Open(context.Background(), app.Options{DBPath: filepath.Join(t.TempDir(), "botgate.db"),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Service: svc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// The App hands each service action to the control main wired in, with its
// arguments and answers unchanged.
func TestServiceControl_Wired_AppPassesEachActionThrough(t *testing.T) {
	ctx := context.Background()
	f := &fakeService{state: app.ServiceState{Installed: true, Running: true, Serving: true, Server: app.ServerInfo{PID: 42, Addr: "127.0.0.1:7789"}}}
	a := openWithService(t, f)
	if !a.HasService() {
		t.Fatal("HasService is false with a service control wired in")
	}
	st, err := a.ServiceStatus(ctx)
	if err != nil || st != f.state {
		t.Fatalf("ServiceStatus = %+v, %v; want %+v", st, err, f.state)
	}
	if st, err := a.StartService(ctx); err != nil || st.Server.Addr != "127.0.0.1:7789" {
		t.Fatalf("StartService = %+v, %v", st, err)
	}
	for _, act := range []func() error{
		func() error { return a.InstallService(ctx, true) },
		func() error { return a.InstallService(ctx, false) },
		func() error { return a.StopService(ctx) },
		func() error { return a.UninstallService(ctx) },
	} {
		if err := act(); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(f.calls, ","); got != "status,start,install+start,install,stop,uninstall" {
		t.Fatalf("calls %s", got)
	}
	a.SetServiceOwner(0x5150)
	if f.owner != 0x5150 {
		t.Fatalf("prompt owner %#x, want the window's", f.owner)
	}
	if a.ServiceName() != "botgate-1234abcd" || a.ServiceLogPath() != "/srv/botgate/botgate.log" {
		t.Fatalf("name %q log %q", a.ServiceName(), a.ServiceLogPath())
	}
	f.err = &model.Error{Code: model.CodeInvalid, Msg: "已取消：没有获得管理员权限，系统服务没有改变"}
	if err := a.StopService(ctx); !errors.Is(err, f.err) {
		t.Fatalf("StopService error %v, want the control's own", err)
	}
}

// Without a service manager every action says so in Chinese and nothing panics.
func TestServiceControl_None_ActionsRefusedInChinese(t *testing.T) {
	ctx := context.Background()
	a := openWithService(t, nil)
	if a.HasService() {
		t.Fatal("HasService is true without a service control")
	}
	_, statusErr := a.ServiceStatus(ctx)
	_, startErr := a.StartService(ctx)
	for name, err := range map[string]error{
		"status": statusErr, "start": startErr,
		"install":   a.InstallService(ctx, true),
		"uninstall": a.UninstallService(ctx),
		"stop":      a.StopService(ctx),
	} {
		if e := model.ErrorOf(err); err == nil || e.Code != model.CodeInvalid || !strings.Contains(e.Msg, "没有可用的系统服务管理") {
			t.Errorf("%s: %v", name, err)
		}
	}
	a.SetServiceOwner(1)
	if a.ServiceName() != "" || a.ServiceLogPath() != "" {
		t.Fatalf("name %q log %q without a service", a.ServiceName(), a.ServiceLogPath())
	}
}
