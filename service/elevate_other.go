//go:build !unix && !windows

package service

func systemElevator() Elevator { return nil }
