//go:build !unix && !windows

package service

func isAdmin() bool          { return false }
func runAs(db string) string { return "" }
