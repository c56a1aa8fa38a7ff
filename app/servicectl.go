package app

import (
	"context"

	"botgate/model"
)

// ServiceControl is the operating system's service for this App's database,
// as the window controls it: install, uninstall, start, stop and its state.
// The service package implements it (service.Panel) and imports app, so the
// interface is declared here and main passes the implementation in through
// Options.Service; the window reaches it only through the App.
type ServiceControl interface {
	Status(ctx context.Context) (ServiceState, error)
	// Install registers the service; with start it also starts it (one
	// prompt for rights instead of two).
	Install(ctx context.Context, start bool) error
	Uninstall(ctx context.Context) error
	// Start starts the service and waits until it listens.
	Start(ctx context.Context) (ServiceState, error)
	// Stop stops the service and waits until it released the database.
	Stop(ctx context.Context) error
	// SetOwner names the native window (a Windows HWND) a prompt for
	// administrator rights belongs to, so that it shows in front.
	SetOwner(hwnd uintptr)
	// Name is the service's name, LogPath its log file.
	Name() string
	LogPath() string
}

// ServiceState is what the window shows of the service: whether the service
// manager has it and runs it, and who holds the database.
type ServiceState struct {
	Installed bool
	Running   bool       // the service manager reports it running
	Serving   bool       // some BotGate (the service or another) holds the database
	Server    ServerInfo // who holds the database, when Serving
}

// errNoService answers service actions where the system has no service
// manager; the window offers none there, so an admin meets it only if that
// changes under it.
var errNoService = &model.Error{Code: model.CodeInvalid,
	Msg: "这台电脑上没有可用的系统服务管理，无法安装或控制系统服务：请在窗口中启动服务，或用 botgate serve 在前台运行"}

// HasService tells whether the system service of this database can be
// controlled from here (Options.Service was set).
func (a *App) HasService() bool { return a.opts.Service != nil }

// ServiceStatus is the state of the system service.
func (a *App) ServiceStatus(ctx context.Context) (ServiceState, error) {
	if a.opts.Service == nil {
		return ServiceState{}, errNoService
	}
	return a.opts.Service.Status(ctx)
}

// InstallService registers the system service; with start it starts it too.
func (a *App) InstallService(ctx context.Context, start bool) error {
	if a.opts.Service == nil {
		return errNoService
	}
	return a.opts.Service.Install(ctx, start)
}

// UninstallService stops and removes the system service.
func (a *App) UninstallService(ctx context.Context) error {
	if a.opts.Service == nil {
		return errNoService
	}
	return a.opts.Service.Uninstall(ctx)
}

// StartService starts the system service and waits until it listens.
func (a *App) StartService(ctx context.Context) (ServiceState, error) {
	if a.opts.Service == nil {
		return ServiceState{}, errNoService
	}
	return a.opts.Service.Start(ctx)
}

// StopService stops the system service and waits until it released the database.
func (a *App) StopService(ctx context.Context) error {
	if a.opts.Service == nil {
		return errNoService
	}
	return a.opts.Service.Stop(ctx)
}

// SetServiceOwner names the window a prompt for rights belongs to.
func (a *App) SetServiceOwner(hwnd uintptr) {
	if a.opts.Service != nil {
		a.opts.Service.SetOwner(hwnd)
	}
}

// ServiceName is the system service's name ("" without service control).
func (a *App) ServiceName() string {
	if a.opts.Service == nil {
		return ""
	}
	return a.opts.Service.Name()
}

// ServiceLogPath is the system service's log file ("" without service control).
func (a *App) ServiceLogPath() string {
	if a.opts.Service == nil {
		return ""
	}
	return a.opts.Service.LogPath()
}
