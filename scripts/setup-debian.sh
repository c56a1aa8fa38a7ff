#!/usr/bin/env bash
# Installs what BotGate needs to build, run and test on Debian/Ubuntu (as root
# or with sudo): the C libraries Fyne's GLFW driver links, Xvfb and a CJK font
# for the window and its screenshots, PostgreSQL and MariaDB for the database
# tests, and mingw-w64 and nsis for the Windows build and its installer. Go
# itself must already be installed.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev
      libxxf86vm-dev xvfb xauth fonts-wqy-microhei postgresql mariadb-server gcc-mingw-w64-x86-64 nsis)
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
