package app

import "botgate/app/config"

// The server and lock files read the listen address through these; the
// settings and their rules live in package config.

// DefaultListen is config.DefaultListen.
const DefaultListen = config.DefaultListen

// IsLoopback tells whether addr only accepts connections from this computer.
func IsLoopback(addr string) bool { return config.IsLoopback(addr) }

func validateListen(addr string, allowZero bool) error { return config.ValidateListen(addr, allowZero) }

func settingsFromMap(m map[string]string) config.Settings { return config.SettingsFromMap(m) }
