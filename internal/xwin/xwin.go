//go:build linux && cgo

// Package xwin lets tests and the tray benchmark act as the window manager
// would on an X11 display (Xvfb has none): find a top-level window by its
// title, ask it to close as the title bar's close button does, and see
// whether it is shown.
package xwin

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib.h>
#include <X11/Xatom.h>

// title returns the window's _NET_WM_NAME (UTF-8), else its WM_NAME; the
// caller frees it with XFree. NULL when it has neither.
static char *title(Display *d, Window w) {
	Atom utf8 = XInternAtom(d, "UTF8_STRING", False), type;
	int format;
	unsigned long n, after;
	unsigned char *v = NULL;
	if (XGetWindowProperty(d, w, XInternAtom(d, "_NET_WM_NAME", False), 0, 1024, False, utf8,
	                       &type, &format, &n, &after, &v) == Success && v != NULL) {
		if (type == utf8 && n > 0) return (char *)v;
		XFree(v);
	}
	char *name = NULL;
	if (XFetchName(d, w, &name) && name != NULL) return name;
	return NULL;
}

// find returns the first child of the root whose title starts with prefix,
// preferring one that is shown (Wine keeps hidden windows of the same
// title), or 0.
static Window find(Display *d, const char *prefix) {
	Window root, parent, *kids = NULL, found = 0, hidden = 0;
	unsigned int n = 0;
	if (!XQueryTree(d, DefaultRootWindow(d), &root, &parent, &kids, &n)) return 0;
	for (unsigned int i = 0; i < n && !found; i++) {
		char *t = title(d, kids[i]);
		if (t != NULL) {
			if (strncmp(t, prefix, strlen(prefix)) == 0) {
				XWindowAttributes a;
				if (XGetWindowAttributes(d, kids[i], &a) && a.map_state == IsViewable) found = kids[i];
				else if (!hidden) hidden = kids[i];
			}
			XFree(t);
		}
	}
	if (kids != NULL) XFree(kids);
	return found ? found : hidden;
}

// askClose sends WM_DELETE_WINDOW, as a window manager does for the close button.
static void askClose(Display *d, Window w) {
	XEvent e;
	memset(&e, 0, sizeof e);
	e.xclient.type = ClientMessage;
	e.xclient.window = w;
	e.xclient.message_type = XInternAtom(d, "WM_PROTOCOLS", False);
	e.xclient.format = 32;
	e.xclient.data.l[0] = XInternAtom(d, "WM_DELETE_WINDOW", False);
	e.xclient.data.l[1] = CurrentTime;
	XSendEvent(d, w, False, NoEventMask, &e);
	XFlush(d);
}

static int viewable(Display *d, Window w) {
	XWindowAttributes a;
	if (!XGetWindowAttributes(d, w, &a)) return -1;
	return a.map_state == IsViewable;
}

static int ignoreErrors(Display *d, XErrorEvent *e) { return 0; }
static void quiet(void) { XSetErrorHandler(ignoreErrors); }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"
)

// ErrGone: the window no longer exists.
var ErrGone = errors.New("the window is gone")

// Display is a connection to the X server named by DISPLAY.
type Display struct{ d *C.Display }

// Window is an X window id.
type Window uint64

// Open connects to the display in $DISPLAY.
func Open() (*Display, error) {
	d := C.XOpenDisplay(nil)
	if d == nil {
		return nil, fmt.Errorf("cannot open X display %q", os.Getenv("DISPLAY"))
	}
	// A window that goes away between two calls must not end the caller
	// (Xlib's default handler exits the process).
	C.quiet()
	return &Display{d: d}, nil
}

// Close ends the connection.
func (x *Display) Close() { C.XCloseDisplay(x.d) }

// Find waits up to timeout for a top-level window whose title starts with prefix.
func (x *Display) Find(prefix string, timeout time.Duration) (Window, error) {
	p := C.CString(prefix)
	defer C.free(unsafe.Pointer(p))
	deadline := time.Now().Add(timeout)
	for {
		if w := C.find(x.d, p); w != 0 {
			return Window(w), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no window titled %q… after %v", prefix, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// AskClose asks w to close, as its title bar's close button would.
func (x *Display) AskClose(w Window) { C.askClose(x.d, C.Window(w)) }

// Viewable reports whether w is shown.
func (x *Display) Viewable(w Window) (bool, error) {
	switch C.viewable(x.d, C.Window(w)) {
	case -1:
		return false, ErrGone
	case 0:
		return false, nil
	}
	return true, nil
}

// WaitViewable waits up to timeout for w to be shown (want true) or hidden.
func (x *Display) WaitViewable(w Window, want bool, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		v, err := x.Viewable(w)
		if err != nil {
			return time.Since(start), err
		}
		if v == want {
			return time.Since(start), nil
		}
		if time.Since(start) > timeout {
			still := "shown"
			if want {
				still = "hidden"
			}
			return time.Since(start), fmt.Errorf("window still %s after %v", still, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
