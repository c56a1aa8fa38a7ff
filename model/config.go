package model

import "time"

// User is an API user. PasswordHash is a bcrypt hash; the plain password is never stored.
type User struct {
	ID           int64
	Name         string
	PasswordHash string
	Roles        []string
	Disabled     bool
	UpdatedAt    time.Time
}

// DataSource is a database that templates run against.
type DataSource struct {
	Name   string
	Driver string
	DSN    string
}

// Channel is a configured chat connector.
type Channel struct {
	Name          string
	Type          string
	RatePerMinute int
	Config        map[string]string
	Enabled       bool
}

// Template is a keyword-triggered SQL statement.
type Template struct {
	Keyword    string
	Kind       string
	DataSource string
	SQL        string
	Roles      []string
	Users      []string
	Chat       bool
	Reply      string
	MaxRows    int
	TimeoutMS  int
	Enabled    bool
}
