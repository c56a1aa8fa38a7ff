package ui

import (
	"botgate/model"
	"context"

	"botgate/app"
	"botgate/app/channel"
	"botgate/app/config"
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
	Settings() config.Settings
	Stats(ctx context.Context) (app.Stats, error)

	Import(ctx context.Context, cf config.File) (config.Summary, error)
	Export(ctx context.Context) (config.File, error)

	ListUsers(ctx context.Context) ([]config.User, error)
	DeleteUser(ctx context.Context, name string) error
	RenameUser(ctx context.Context, from, to string) error
	GenerateToken() string

	ListChannels(ctx context.Context) ([]config.Channel, error)
	DeleteChannel(ctx context.Context, name string) error
	ChannelKinds() []channel.Type
	TestChannel(ctx context.Context, c config.Channel) error
	ChannelFeatures(typ string) (test, contacts bool)
	ChannelContacts(ctx context.Context, c config.Channel) ([]channel.Contact, error)
	SendTest(ctx context.Context, channelName, qq, group, content string) (int64, error)

	ListTemplates(ctx context.Context) ([]config.Template, error)
	DeleteTemplate(ctx context.Context, keyword string) error
	DryRunTemplate(ctx context.Context, t config.Template, vars model.Vars, write bool) (*model.KeywordResult, error)

	ListDataSources(ctx context.Context) ([]config.DataSource, error)
	DeleteDataSource(ctx context.Context, name string) error
	DataSourceNames() []string
	Drivers() []string
	TestDataSource(ctx context.Context, d config.DataSource) error

	RequestLogs(ctx context.Context, contains string, limit int) ([]model.RequestLog, error)
	Messages(ctx context.Context, status string, limit int) ([]model.Message, error)
	RetryMessage(ctx context.Context, id int64) error
	CancelMessage(ctx context.Context, id int64) error

	DBPath() string
}

var _ Controller = (*app.App)(nil)
