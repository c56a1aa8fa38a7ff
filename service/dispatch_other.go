//go:build !windows

package service

import kservice "github.com/kardianos/service"

// dispatch runs the service program under systemd or SysV init: kardianos
// starts it and stops it on SIGTERM.
func dispatch(s kservice.Service, name string) error { return s.Run() }

// systemLogger is syslog (the journal under systemd).
func systemLogger(s kservice.Service) (kservice.Logger, error) { return s.Logger(nil) }

// DefaultDB is the database `botgate service ...` uses without --db: the
// user's own default (userDB). A Linux service runs as the owner of the
// database's folder (runAs), so the window and the service share it.
func DefaultDB(userDB string) string { return userDB }

// WindowDB is the database the window opens when it is given none: the
// user's own; a Linux service uses that one too.
func WindowDB(userDB string) string { return userDB }

// shareDatabaseDir: the service runs as the database folder's owner here.
func shareDatabaseDir(string) {}
