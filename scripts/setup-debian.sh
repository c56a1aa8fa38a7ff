#!/usr/bin/env bash
# Installs what BotGate needs on Debian/Ubuntu (as root or with sudo). Go itself
# must already be installed. With no option, only what the demo needs
# (`go run -tags nogui . serve --demo` is pure Go): CA certificates, to fetch
# the Go modules. The options add, for
#   --gui   the window (`go run .`): gcc and the C libraries Fyne's GLFW driver
#           links, and a CJK font;
#   --test  scripts/test.sh and `make screenshots`: --gui, Xvfb, DBus (the tray
#           test runs its own session bus), ImageMagick,
#           and PostgreSQL and MariaDB for the database tests;
#   --dist  scripts/dist.sh: --gui, mingw-w64 for the Windows build and nsis
#           for its installer.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

base=(ca-certificates)
gui=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev
     libxxf86vm-dev fonts-wqy-microhei)
pkgs=("${base[@]}")
for opt in "$@"; do
  case "$opt" in
    --gui) pkgs+=("${gui[@]}") ;;
    --test) pkgs+=("${gui[@]}" xvfb xauth dbus imagemagick postgresql mariadb-server) ;;
    --dist) pkgs+=("${gui[@]}" gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis) ;;
    -h|--help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *) echo "setup: unknown option $opt (use --gui, --test or --dist)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "setup: Go is not installed (https://go.dev/dl/); BotGate needs Go 1.26 or later" >&2; exit 1; }
echo "setup: ok ($(go version))"
