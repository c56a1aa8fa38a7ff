package app

// Admin operations for the window (ui) that belong to no one part of the
// configuration. Listing, deleting and testing are in users.go,
// channels.go, templates.go and sources.go; saving goes through Import, the
// one validated write path.

import (
	"context"
	"errors"
	"fmt"
	"net"

	"botgate/model"
	"botgate/storage"
)

// GenerateToken returns a fresh random token for token mode.
func (a *App) GenerateToken() string { return NewToken() }

// DBPath is the state database file.
func (a *App) DBPath() string { return a.db.Path() }

// deleteOne runs del and reloads; a row that is already gone is named in
// Chinese, so the admin refreshes the list.
func (a *App) deleteOne(ctx context.Context, what, name string, del func(*storage.Tx) error) error {
	err := a.db.Update(ctx, del)
	if errors.Is(err, storage.ErrNotFound) {
		return model.Invalid("name", "%s“%s”不存在（可能已被删除），请刷新列表", what, name)
	}
	if err != nil {
		return err
	}
	return a.Reload(ctx)
}

// ExampleURL is a ready-to-copy QQAP query URL for the running server, with
// the password left for the admin to fill in.
func ExampleURL(addr, user string) string {
	if user == "" {
		user = "用户名"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "127.0.0.1", addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // listening on every interface: this computer answers on loopback
	}
	return fmt.Sprintf("http://%s/?user=%s&Access_token=密码&QQ=接收QQ&content=测试消息", net.JoinHostPort(host, port), user)
}
