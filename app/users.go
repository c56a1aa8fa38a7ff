package app

// API users: listing, deleting and renaming; saving goes through Import.

import (
	"context"
	"errors"
	"strings"

	"botgate/app/config"
	"botgate/model"
	"botgate/storage"
)

// ListUsers returns the API users without their password hashes.
func (a *App) ListUsers(ctx context.Context) ([]config.User, error) {
	cf, err := a.Export(ctx)
	if err != nil {
		return nil, err
	}
	for i := range cf.Users {
		cf.Users[i].PasswordHash = ""
	}
	return cf.Users, nil
}

// DeleteUser removes an API user.
func (a *App) DeleteUser(ctx context.Context, name string) error {
	return a.deleteOne(ctx, "用户", name, func(tx *storage.Tx) error { return tx.DeleteUser(name) })
}

// RenameUser renames an API user, keeping password, roles and the templates
// that name the user. Programs calling with the old name must be changed.
func (a *App) RenameUser(ctx context.Context, from, to string) error {
	to = strings.TrimSpace(to)
	if err := config.CheckName("name", "用户", to); err != nil {
		return err
	}
	if to == from {
		return nil
	}
	err := a.db.Update(ctx, func(tx *storage.Tx) error { return tx.RenameUser(from, to) })
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return model.Invalid("name", "用户“%s”不存在（可能已被删除），请刷新列表", from)
	case errors.Is(err, storage.ErrExists):
		return model.Invalid("name", "用户“%s”已存在，请换一个名字", to)
	case err != nil:
		return err
	}
	return a.Reload(ctx)
}
