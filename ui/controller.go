package ui

import (
	"context"

	"botgate/app"
	"botgate/app/config"
)

// Controller is everything the window asks of BotGate: one small interface
// per tab, each declared beside its tab with only what that tab calls.
// *app.App implements it; widgets never touch SQL or HTTP themselves. Saving
// always goes through Import, so the window and `botgate config import`
// share one validation.
type Controller interface {
	ServiceController
	AuthController
	ChannelsController
	TemplatesController
	SourcesController
	LogsController
	SchedulesController
	AboutController
	GuideController
}

var _ Controller = (*app.App)(nil)

// SettingsController reads the settings and saves a change, as the setting
// rows (chat prefix, log retention) and most tabs do.
type SettingsController interface {
	Settings() config.Settings
	Import(ctx context.Context, cf config.File) (config.Summary, error)
}

var _ SettingsController = (*app.App)(nil)
