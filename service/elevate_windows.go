//go:build windows

package service

import (
	"context"
	"errors"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
)

// shellExecuteInfo is SHELLEXECUTEINFOW. Go lays these fields out as C does
// on both 386 and amd64 (no field needs packing).
type shellExecuteInfo struct {
	cbSize       uint32
	fMask        uint32
	hwnd         windows.Handle
	lpVerb       *uint16
	lpFile       *uint16
	lpParameters *uint16
	lpDirectory  *uint16
	nShow        int32
	hInstApp     windows.Handle
	lpIDList     uintptr
	lpClass      *uint16
	hkeyClass    windows.Handle
	dwHotKey     uint32
	hIcon        windows.Handle
	hProcess     windows.Handle
}

const (
	seeMaskNoCloseProcess = 0x00000040
	seeMaskNoAsync        = 0x00000100
	swHide                = 0
)

var procShellExecuteExW = windows.NewLazySystemDLL("shell32.dll").NewProc("ShellExecuteExW")

// systemElevator runs the program through the "runas" verb: Windows shows its
// UAC prompt ("是否允许此应用对你的设备进行更改？") and the command runs
// elevated and hidden; we wait for it and read its exit status.
func systemElevator() Elevator {
	return func(ctx context.Context, owner uintptr, exe string, args []string) (int, error) {
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = windows.EscapeArg(a)
		}
		verb, _ := windows.UTF16PtrFromString("runas")
		file, err := windows.UTF16PtrFromString(exe)
		if err != nil {
			return -1, err
		}
		params, err := windows.UTF16PtrFromString(strings.Join(quoted, " "))
		if err != nil {
			return -1, err
		}
		info := shellExecuteInfo{
			fMask:        seeMaskNoCloseProcess | seeMaskNoAsync,
			hwnd:         windows.Handle(owner),
			lpVerb:       verb,
			lpFile:       file,
			lpParameters: params,
			nShow:        swHide,
		}
		info.cbSize = uint32(unsafe.Sizeof(info))
		if ok, _, callErr := procShellExecuteExW.Call(uintptr(unsafe.Pointer(&info))); ok == 0 {
			if errors.Is(callErr, windows.ERROR_CANCELLED) {
				return -1, ErrElevationCancelled
			}
			return -1, callErr
		}
		if info.hProcess == 0 {
			return -1, errors.New("ShellExecuteEx returned no process")
		}
		defer windows.CloseHandle(info.hProcess)
		for {
			ev, err := windows.WaitForSingleObject(info.hProcess, 200)
			if err != nil {
				return -1, err
			}
			if ev == windows.WAIT_OBJECT_0 {
				break
			}
			if ctx.Err() != nil {
				// The elevated command finishes on its own; we only stop waiting.
				return -1, ctx.Err()
			}
		}
		var code uint32
		if err := windows.GetExitCodeProcess(info.hProcess, &code); err != nil {
			return -1, err
		}
		return int(code), nil
	}
}
