package ui

import (
	"botgate/model"
	"context"

	"botgate/app"
	"botgate/app/channel"
)

// Controller is everything the window asks of BotGate. *app.App implements
// it; widgets never touch SQL or HTTP themselves. Saving always goes through
// Import, so the window and `botgate config import` share one validation.
type Controller interface {
	StartServer() (string, error)
	StopServer()
	Running() (bool, string)
	// FindServer tells whether any process serves this database, and where.
	FindServer() (app.ServerInfo, bool, error)
	ListenAddr() string
	Settings() app.Settings
	Stats(ctx context.Context) (app.Stats, error)

	Import(ctx context.Context, cf app.ConfigFile) (app.ImportSummary, error)
	Export(ctx context.Context) (app.ConfigFile, error)

	ListUsers(ctx context.Context) ([]app.UserConfig, error)
	DeleteUser(ctx context.Context, name string) error
	RenameUser(ctx context.Context, from, to string) error
	GenerateToken() string

	ListChannels(ctx context.Context) ([]app.ChannelConfig, error)
	DeleteChannel(ctx context.Context, name string) error
	ChannelKinds() []channel.Type
	TestChannel(ctx context.Context, c app.ChannelConfig) error
	ChannelFeatures(typ string) (test, contacts bool)
	ChannelContacts(ctx context.Context, c app.ChannelConfig) ([]channel.Contact, error)
	SendTest(ctx context.Context, channelName, qq, group, content string) (int64, error)

	ListTemplates(ctx context.Context) ([]app.TemplateConfig, error)
	DeleteTemplate(ctx context.Context, keyword string) error
	DryRunTemplate(ctx context.Context, t app.TemplateConfig, vars model.Vars, write bool) (*model.KeywordResult, error)

	ListDataSources(ctx context.Context) ([]app.DataSourceConfig, error)
	DeleteDataSource(ctx context.Context, name string) error
	DataSourceNames() []string
	Drivers() []string
	TestDataSource(ctx context.Context, d app.DataSourceConfig) error

	RequestLogs(ctx context.Context, contains string, limit int) ([]model.RequestLog, error)
	Messages(ctx context.Context, status string, limit int) ([]model.Message, error)
	RetryMessage(ctx context.Context, id int64) error
	CancelMessage(ctx context.Context, id int64) error

	DBPath() string

	// The system service of this database (see app.ServiceControl);
	// HasService is false where the system has none, and the window then
	// only runs the server itself.
	HasService() bool
	ServiceStatus(ctx context.Context) (app.ServiceState, error)
	InstallService(ctx context.Context, start bool) error
	UninstallService(ctx context.Context) error
	StartService(ctx context.Context) (app.ServiceState, error)
	StopService(ctx context.Context) error
	SetServiceOwner(hwnd uintptr)
	ServiceName() string
	ServiceLogPath() string
}

var _ Controller = (*app.App)(nil)
