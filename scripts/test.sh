#!/usr/bin/env bash
# BotGate's whole check, as CI runs it: installs what is missing (Debian/Ubuntu),
# starts PostgreSQL and MariaDB on 127.0.0.1 for the database tests, then
# gofmt, go vet, the headless CGO_ENABLED=0 build, and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo /root/go)/bin"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

bash scripts/setup-debian.sh --test
eval "$($SUDO bash scripts/test-dbs.sh)"

unformatted=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
CGO_ENABLED=0 go build -tags nogui -o /dev/null .
# Xvfb gives the window tests a display when they need one; the widget tests use Fyne's test driver.
xvfb-run -a go test -count=1 -timeout 20m ./...
