package app

// Data sources for the window: listing, deleting and testing them.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"botgate/app/config"
	"botgate/app/datasource"
	"botgate/model"
	"botgate/storage"
)

// ListDataSources returns the added data sources (not the built-in one) with
// passwords in DSNs masked.
func (a *App) ListDataSources(ctx context.Context) ([]config.DataSource, error) {
	cf, err := a.Export(ctx)
	return cf.DataSources, err
}

// DataSourceNames lists every data source a template may use, the built-in first.
func (a *App) DataSourceNames() []string {
	st := a.state.Load()
	names := []string{DefaultSource}
	for n := range st.sources {
		if n != DefaultSource {
			names = append(names, n)
		}
	}
	slices.Sort(names[1:])
	return names
}

// Drivers lists the data source drivers for the data source form.
func (a *App) Drivers() []string { return datasource.Drivers() }

// DeleteDataSource removes a data source that no template and no SQL
// authorization still uses.
func (a *App) DeleteDataSource(ctx context.Context, name string) error {
	if name == DefaultSource {
		return model.Invalid("name", "内置数据库“%s”不能删除", DefaultSource)
	}
	cur, err := a.current(ctx)
	if err != nil {
		return err
	}
	var users []string
	for _, t := range cur.Templates {
		if t.DataSource == name {
			users = append(users, t.Keyword)
		}
	}
	if len(users) > 0 {
		slices.Sort(users)
		return model.Invalid("name", "数据源“%s”仍被模板 %s 使用：请先修改或删除这些模板", name, strings.Join(users, "、"))
	}
	if cur.Settings.AuthDataSource == name {
		return model.Invalid("name", "数据源“%s”用于 SQL 授权：请先在“授权”中换一个数据源", name)
	}
	return a.deleteOne(ctx, "数据源", name, func(tx *storage.Tx) error { return tx.DeleteDataSource(name) })
}

// TestDataSource opens d (unsaved; a masked DSN takes the stored one) and
// pings it ("测试连接").
func (a *App) TestDataSource(ctx context.Context, d config.DataSource) error {
	cur, err := a.current(ctx)
	if err != nil {
		return err
	}
	// A connection can be tried before the name is settled.
	if name := strings.TrimSpace(d.Name); name == DefaultSource || config.CheckName("name", "数据源", name) != nil {
		d.Name = "连接测试"
	}
	sd, err := config.CheckDataSource(d, cur.DataSources[strings.TrimSpace(d.Name)])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// datasource.Test names the cause in Chinese: host unreachable, login
	// failed, database missing, timeout.
	if err := datasource.Test(ctx, sd.Driver, sd.DSN, a.db.Path()); err != nil {
		var te *datasource.TestError
		msg := err.Error()
		if errors.As(err, &te) {
			msg = te.Msg
		}
		return &model.Error{Code: model.CodeNoSource, Field: "dsn", Msg: msg, Err: err}
	}
	return nil
}
