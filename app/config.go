package app

import (
	"context"

	"botgate/app/config"
	"botgate/model"
	"botgate/storage"
)

// current is the stored configuration, read fresh for validation and export.
func (a *App) current(ctx context.Context) (*config.Stored, error) {
	m, err := a.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	c := &config.Stored{Settings: config.SettingsFromMap(m)}
	us, err := a.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	c.Users = byKey(us, func(u model.User) string { return u.Name })
	ds, err := a.db.DataSources(ctx)
	if err != nil {
		return nil, err
	}
	c.DataSources = byKey(ds, func(d model.DataSource) string { return d.Name })
	cs, err := a.db.Channels(ctx)
	if err != nil {
		return nil, err
	}
	c.Channels = byKey(cs, func(ch model.Channel) string { return ch.Name })
	ts, err := a.db.Templates(ctx)
	if err != nil {
		return nil, err
	}
	c.Templates = byKey(ts, func(t model.Template) string { return t.Keyword })
	ss, err := a.db.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	c.Schedules = byKey(ss, func(s model.Schedule) string { return s.Name })
	return c, nil
}

// byKey indexes rows by their name.
func byKey[T any](rows []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(rows))
	for _, r := range rows {
		m[key(r)] = r
	}
	return m
}

// Import validates the whole file first, then applies it in one transaction:
// a bad entry anywhere changes nothing.
func (a *App) Import(ctx context.Context, f config.File) (config.Summary, error) {
	cur, err := a.current(ctx)
	if err != nil {
		return config.Summary{}, err
	}
	ch, err := config.Check(f, cur, a.db.Path())
	if err != nil {
		return config.Summary{}, err
	}
	err = a.db.Update(ctx, func(tx *storage.Tx) error {
		for k, v := range ch.Settings {
			if err := tx.SetSetting(k, v); err != nil {
				return err
			}
		}
		for _, d := range ch.DataSources {
			if err := tx.UpsertDataSource(d); err != nil {
				return err
			}
		}
		for _, c := range ch.Channels {
			if err := tx.UpsertChannel(c); err != nil {
				return err
			}
		}
		for _, u := range ch.Users {
			if err := tx.UpsertUser(u); err != nil {
				return err
			}
		}
		for _, t := range ch.Templates {
			if err := tx.UpsertTemplate(t); err != nil {
				return err
			}
		}
		for _, s := range ch.Schedules {
			if err := tx.UpsertSchedule(s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return config.Summary{}, err
	}
	return ch.Summary, a.Reload(ctx)
}

// Export returns the configuration with password hashes only and secrets masked.
func (a *App) Export(ctx context.Context) (config.File, error) {
	cur, err := a.current(ctx)
	if err != nil {
		return config.File{}, err
	}
	return config.Export(cur), nil
}
