#!/usr/bin/env bash
# Release builds, written to dist/ (or $DIST):
#   botgate-linux-amd64          GUI + tray (Fyne, cgo; needs the GL/X11 dev packages)
#   botgate-linux-amd64-nogui    headless server, CGO_ENABLED=0 -tags nogui, static
#   botgate-windows-amd64.exe    GUI subsystem, cross-compiled with mingw-w64, with
#                                the app icon, version info and a manifest
#   BotGate-Setup-<version>.exe  Windows installer (NSIS, packaging/windows/botgate.nsi)
# The version comes from FyneApp.toml ([Details] Version) unless $VERSION is set.
# DIST_TARGETS picks builds (default "linux nogui windows installer"; the
# installer needs windows): scripts/test-windows.sh builds "windows installer".
# Debian packages needed: gcc pkg-config libgl1-mesa-dev xorg-dev (Linux GUI),
# gcc-mingw-w64-x86-64 (gcc + windres for Windows), nsis (makensis, installer).
set -euo pipefail
cd "$(dirname "$0")/.."
# On Debian/Ubuntu, install what the three builds need (elsewhere the checks below say what is missing).
if command -v dpkg-query >/dev/null; then bash scripts/setup-debian.sh --dist; fi

VERSION=${VERSION:-$(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml | head -n1)}
VERSION=${VERSION:-0.0.0}
out=${DIST:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd) # makensis runs from packaging/windows
targets=" ${DIST_TARGETS:-linux nogui windows installer} "
want() { [[ $targets == *" $1 "* ]]; }
if want installer && ! want windows; then
	echo "dist: the installer packs the Windows build: DIST_TARGETS needs windows too" >&2
	exit 1
fi
ldflags="-s -w -X main.version=$VERSION"

need() {
	command -v "$1" >/dev/null 2>&1 || { echo "dist: $1 not found: apt-get install $2" >&2; exit 1; }
}
need go golang
if want windows; then
	need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
	need x86_64-w64-mingw32-windres binutils-mingw-w64-x86-64
fi
if want installer; then
	need makensis nsis
fi

# timed NAME CMD...: runs CMD and prints how long it took.
timed() {
	local name=$1 t0=$EPOCHREALTIME
	shift
	"$@"
	local t1=$EPOCHREALTIME
	awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "dist: %-28s %6.1f s\n", n, b - a }'
}

tmp=$(mktemp -d)
syso=botgate_dist_windows_amd64.syso # linked only into windows/amd64 builds of package main
cleanup() { rm -rf "$tmp"; rm -f "$syso"; }
trap cleanup EXIT

# --- Windows resources: icon (.ico from assets/icons/app.png), version info, manifest.
windows_resources() {
mkdir -p "$tmp/mkico"
cat >"$tmp/mkico/main.go" <<'GO'
// mkico writes a Windows .ico holding the PNG at 256, 48, 32 and 16 pixels
// (PNG-compressed entries, read by Windows Vista and later).
package main

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
)

// scale is a box filter: each target pixel averages its source area.
func scale(src image.Image, n int) image.Image {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			x0, x1 := b.Min.X+x*b.Dx()/n, b.Min.X+(x+1)*b.Dx()/n
			y0, y1 := b.Min.Y+y*b.Dy()/n, b.Min.Y+(y+1)*b.Dy()/n
			var r, g, bl, a, cnt uint64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					c := color.NRGBA64Model.Convert(src.At(sx, sy)).(color.NRGBA64)
					r, g, bl, a = r+uint64(c.R)*uint64(c.A), g+uint64(c.G)*uint64(c.A), bl+uint64(c.B)*uint64(c.A), a+uint64(c.A)
					cnt++
				}
			}
			if a > 0 {
				dst.SetNRGBA(x, y, color.NRGBA{uint8(r / a >> 8), uint8(g / a >> 8), uint8(bl / a >> 8), uint8(a / cnt >> 8)})
			}
		}
	}
	return dst
}

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	src, err := png.Decode(f)
	if err != nil {
		panic(err)
	}
	sizes := []int{256, 48, 32, 16}
	var imgs [][]byte
	for _, n := range sizes {
		var buf bytes.Buffer
		if err := png.Encode(&buf, scale(src, n)); err != nil {
			panic(err)
		}
		imgs = append(imgs, buf.Bytes())
	}
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, [3]uint16{0, 1, uint16(len(sizes))})
	offset := 6 + 16*len(sizes)
	for i, n := range sizes {
		dim := uint8(n % 256) // 0 means 256
		binary.Write(&out, binary.LittleEndian, struct {
			W, H, Colors, Reserved uint8
			Planes, BPP            uint16
			Size, Offset           uint32
		}{dim, dim, 0, 0, 1, 32, uint32(len(imgs[i])), uint32(offset)})
		offset += len(imgs[i])
	}
	for _, b := range imgs {
		out.Write(b)
	}
	if err := os.WriteFile(os.Args[2], out.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
GO
(cd "$tmp/mkico" && printf 'module mkico\n\ngo 1.22\n' >go.mod && go run . "$OLDPWD/assets/icons/app.png" "$tmp/botgate.ico")

# FILEVERSION wants four numbers: 1.2.3-rc1 -> 1,2,3,0.
IFS=. read -r v1 v2 v3 _ <<<"${VERSION%%[-+]*}"
filever="${v1:-0},${v2:-0},${v3:-0},0"
cat >"$tmp/botgate.manifest" <<'XML'
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity type="win32" name="io.botgate.desktop" version="1.0.0.0" processorArchitecture="amd64"/>
  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3">
    <security><requestedPrivileges><requestedExecutionLevel level="asInvoker" uiAccess="false"/></requestedPrivileges></security>
  </trustInfo>
  <application xmlns="urn:schemas-microsoft-com:asm.v3">
    <windowsSettings>
      <dpiAware xmlns="http://schemas.microsoft.com/SMI/2005/WindowsSettings">true/pm</dpiAware>
      <dpiAwareness xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">PerMonitorV2, PerMonitor</dpiAwareness>
    </windowsSettings>
  </application>
  <compatibility xmlns="urn:schemas-microsoft-com:compatibility.v1">
    <application><supportedOS Id="{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}"/></application>
  </compatibility>
</assembly>
XML
cat >"$tmp/botgate.rc" <<RC
#pragma code_page(65001)
1 ICON "botgate.ico"
1 24 "botgate.manifest"
1 VERSIONINFO
FILEVERSION $filever
PRODUCTVERSION $filever
FILEOS 0x40004
FILETYPE 0x1
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "080404b0"
    BEGIN
      VALUE "CompanyName", "BotGate"
      VALUE "FileDescription", "BotGate 机器人 API 服务"
      VALUE "FileVersion", "$VERSION"
      VALUE "InternalName", "botgate"
      VALUE "OriginalFilename", "botgate.exe"
      VALUE "ProductName", "BotGate"
      VALUE "ProductVersion", "$VERSION"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x0804, 1200
  END
END
RC
(cd "$tmp" && x86_64-w64-mingw32-windres -c 65001 -i botgate.rc -O coff -o "$OLDPWD/$syso")
}
if want windows; then
	windows_resources
fi

# --- The builds.
if want linux; then
	timed "linux-amd64 (GUI)" env CGO_ENABLED=1 GOOS=linux GOARCH=amd64 \
		go build -trimpath -ldflags "$ldflags" -o "$out/botgate-linux-amd64" .
fi
if want nogui; then
	timed "linux-amd64-nogui" env CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
		go build -trimpath -tags nogui -ldflags "$ldflags" -o "$out/botgate-linux-amd64-nogui" .
fi
if want windows; then
	timed "windows-amd64.exe (GUI)" env CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
		go build -trimpath -ldflags "$ldflags -H=windowsgui" -o "$out/botgate-windows-amd64.exe" .
fi
if want installer; then
	# -INPUTCHARSET: the script's Chinese is UTF-8 without a BOM.
	timed "BotGate-Setup-$VERSION.exe" makensis -V2 -INPUTCHARSET UTF8 \
		"-DVERSION=$VERSION" "-DFILEVERSION=${filever//,/.}" "-DEXE=$out/botgate-windows-amd64.exe" \
		"-DICON=$tmp/botgate.ico" "-DOUTFILE=$out/BotGate-Setup-$VERSION.exe" packaging/windows/botgate.nsi
fi

# --- Checks: the headless binary runs; the Windows one is a GUI-subsystem PE
# carrying the icon and version resources; so is the installer.
if want nogui; then
	"$out/botgate-linux-amd64-nogui" version | grep -qF "BotGate $VERSION" ||
		{ echo "dist: nogui binary does not report version $VERSION" >&2; exit 1; }
fi
if want windows; then
	pe=$(x86_64-w64-mingw32-objdump -p "$out/botgate-windows-amd64.exe")
	grep -q 'Subsystem.*(Windows GUI)' <<<"$pe" || { echo "dist: windows exe is not a GUI-subsystem program" >&2; exit 1; }
	grep -q 'Resource Directory' <<<"$pe" || { echo "dist: windows exe has no resources (icon, version)" >&2; exit 1; }
fi
if want installer; then
	pe=$(x86_64-w64-mingw32-objdump -p "$out/BotGate-Setup-$VERSION.exe")
	grep -q 'Magic.*020b' <<<"$pe" || { echo "dist: the installer is not a 64-bit program" >&2; exit 1; }
	grep -q 'Subsystem.*(Windows GUI)' <<<"$pe" || { echo "dist: the installer is not a GUI-subsystem program" >&2; exit 1; }
fi
ls -l "$out"
