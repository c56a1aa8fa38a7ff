package service

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// fakeElevator stands in for the UAC / pkexec prompt: it records the command
// line and plays the elevated `botgate service ...` by writing its report.
type fakeElevator struct {
	args   []string
	owner  uintptr
	code   int
	err    error
	report string // what the elevated command prints
}

func (f *fakeElevator) run(_ context.Context, owner uintptr, exe string, args []string) (int, error) {
	f.owner = owner
	f.args = append([]string{exe}, args...)
	if f.err != nil {
		return -1, f.err
	}
	if i := slices.Index(args, "--report"); i >= 0 && f.report != "" {
		if err := os.WriteFile(args[i+1], []byte(f.report), 0o600); err != nil {
			return -1, err
		}
	}
	return f.code, nil
}

func TestPanel_WithoutRights_RunsTheCommandElevated(t *testing.T) {
	db := t.TempDir() + "/botgate.db"
	tests := []struct {
		name     string
		elev     fakeElevator
		act      func(p *Panel) error
		wantArgs string // command line after the exe, without the report path
		wantErr  string // "" = success
	}{
		{"install and start, one prompt", fakeElevator{}, func(p *Panel) error { return p.Install(context.Background(), true) },
			"service install --db " + db + " --report * --start", ""},
		{"install only", fakeElevator{}, func(p *Panel) error { return p.Install(context.Background(), false) },
			"service install --db " + db + " --report *", ""},
		{"uninstall", fakeElevator{}, func(p *Panel) error { return p.Uninstall(context.Background()) },
			"service uninstall --db " + db + " --report *", ""},
		{"stop", fakeElevator{}, func(p *Panel) error { return p.Stop(context.Background()) },
			"service stop --db " + db + " --report *", ""},
		{"prompt dismissed", fakeElevator{err: ErrElevationCancelled}, func(p *Panel) error { return p.Uninstall(context.Background()) },
			"service uninstall --db " + db + " --report *", "已取消：没有获得管理员权限，系统服务没有改变"},
		{"command failed: its own message", fakeElevator{code: 1, report: "错误：系统服务 botgate-1 已经存在。要重新安装，请先运行 botgate service uninstall\n"},
			func(p *Panel) error { return p.Install(context.Background(), false) },
			"service install --db " + db + " --report *", "系统服务 botgate-1 已经存在。要重新安装，请先运行 botgate service uninstall"},
		{"command failed silently: exit status and what to run", fakeElevator{code: 3},
			func(p *Panel) error { return p.Stop(context.Background()) },
			"service stop --db " + db + " --report *", "系统服务操作没有完成（退出码 3）。也可以以管理员身份打开命令行"},
		{"rights refused", fakeElevator{err: ErrElevationDenied}, func(p *Panel) error { return p.Stop(context.Background()) },
			"service stop --db " + db + " --report *", "系统拒绝了管理员权限"},
		{"no prompt possible", fakeElevator{err: errors.New("exec: pkexec: not found")},
			func(p *Panel) error { return p.Stop(context.Background()) },
			"service stop --db " + db + " --report *", "无法获得管理员权限（exec: pkexec: not found）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &fakeManager{}
			c := NewControl(m, db, false, (&fakeLock{}).probe())
			p := NewPanel(c, "/opt/botgate/botgate", tt.elev.run)
			p.SetOwner(0x5150)
			err := tt.act(p)
			if tt.elev.owner != 0x5150 {
				t.Errorf("prompt owner %#x, want the window's", tt.elev.owner)
			}
			if m.Calls() != "" {
				t.Errorf("the unprivileged process called the manager itself: %s", m.Calls())
			}
			if tt.elev.args[0] != "/opt/botgate/botgate" {
				t.Errorf("ran %q, want this program", tt.elev.args[0])
			}
			got := strings.Join(tt.elev.args[1:], " ")
			if i := slices.Index(tt.elev.args, "--report"); i > 0 {
				report := tt.elev.args[i+1]
				got = strings.Replace(got, report, "*", 1)
				if _, err := os.Stat(report); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("report file %s left behind", report)
				}
			}
			if got != tt.wantArgs {
				t.Errorf("command line\n got %s\nwant %s", got, tt.wantArgs)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.wantErr != "":
				checkErr(t, err, tt.wantErr)
			}
		})
	}
}

func TestPanel_Admin_ActsDirectlyWithoutPrompt(t *testing.T) {
	m := &fakeManager{}
	l := &fakeLock{}
	m.onStart = func() { l.set(true, "127.0.0.1:7789") }
	c := newTestControl(m, l, true)
	elev := &fakeElevator{}
	p := NewPanel(c, "/opt/botgate/botgate", elev.run)
	if err := p.Install(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if elev.args != nil {
		t.Fatalf("an elevated process asked for rights: %v", elev.args)
	}
	if got := m.Calls(); got != "install,start" {
		t.Fatalf("manager calls %q, want install,start", got)
	}
	st, err := p.Status(context.Background())
	if err != nil || !st.Installed || !st.Running || st.Server.Addr != "127.0.0.1:7789" {
		t.Fatalf("status %+v err %v", st, err)
	}
}
