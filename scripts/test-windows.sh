#!/usr/bin/env bash
# Runs BotGate's Windows builds under Wine and checks them with real calls on
# 127.0.0.1: the headless exe (version; serve --demo answering the QQAP GET
# and POST examples and /api/v1; config import/export with Windows paths;
# the default database in %APPDATA%; kill -9 and restart losing nothing;
# the Windows service from install --start to uninstall, and its log), the
# installer in silent mode (files, shortcuts, 开机自动启动, upgrade in place,
# uninstall keeping the data) and the GUI exe (a window titled BotGate under
# Xvfb, the server auto-started, a screenshot, closed to the tray and still
# serving).
#
# Installs what is missing (Debian/Ubuntu, root or sudo): wine64, mingw-w64,
# nsis, Xvfb, xdotool, x11-utils, imagemagick, gcc and libx11-dev (for
# internal/xwin/xclose, which closes the window to the tray). Builds into a
# temp folder and makes a fresh Wine prefix there; nothing outside it is touched but the
# screenshot, written to $SCREENSHOT (default docs/screenshots/windows-wine.png).
#
# Wine is not Windows: there is no real desktop, no UAC prompt (every
# process may install services), OpenGL is Mesa's llvmpipe through Wine, and
# Wine 8.0 lacks ProcessPrng, which Go's runtime needs, so a test shim
# (scripts/windows/processprng.c, never shipped) goes into the prefix.
#
# Output ends with "N passed, M failed"; the exit status is 1 if M > 0.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$PATH:/usr/local/go/bin"
t0=$EPOCHREALTIME
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# --- Packages.
pkgs=(wine64 gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis xvfb xauth xdotool x11-utils imagemagick curl
	fonts-wqy-microhei gcc libx11-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "test-windows: installing ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ echo "test-windows: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver64
[ -x "$WINE" ] || WINE=$(command -v wine64)
[ -x "$WINESERVER" ] || WINESERVER=$(command -v wineserver)

VERSION=${VERSION:-$(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml | head -n1)}
export VERSION=${VERSION:-0.0.0}
SCREENSHOT=${SCREENSHOT:-docs/screenshots/windows-wine.png}
mkdir -p "$(dirname "$SCREENSHOT")"

tmp=$(mktemp -d /tmp/botgate-wine.XXXXXX)
export WINEPREFIX=$tmp/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree=;mshtml=" # no Mono/Gecko prompts
C=$WINEPREFIX/drive_c
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -d "$WINEPREFIX" ] && "$WINESERVER" -k 2>/dev/null # only this prefix's wineserver and its processes
	[ -n "${xvfb:-}" ] && kill "$xvfb" 2>/dev/null
	exec 9>&- 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

pass=0 failed=0
# check NAME CMD...: one numbered check; CMD's output is shown only when it fails.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
		[ -n "$out" ] && sed 's/^/     | /' <<<"$out" | tail -n 30
	fi
}
# contains FILE TEXT...: every TEXT is in FILE (else the file is shown).
contains() {
	local f=$1
	shift
	for s in "$@"; do
		grep -qF -- "$s" "$f" || { echo "missing: $s"; cat "$f"; return 1; }
	done
}
lacks() { ! grep -qF -- "$2" "$1" || { echo "unexpected: $2"; cat "$1"; return 1; }; }
# w runs a Windows program and waits. Programs left running are started
# with "$WINE" ... & instead, so that $! is the Windows process itself.
w() { "$WINE" "$@"; }
# freeport: a port on 127.0.0.1 nobody listens on.
freeport() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
# up URL [SECONDS]: URL answers 200 within SECONDS (default 30).
up() {
	local i
	for ((i = 0; i < ${2:-30} * 5; i++)); do
		curl -sf -m 1 -o /dev/null "$1" && return 0
		sleep 0.2
	done
	echo "no answer from $1"
	return 1
}
down() {
	local i
	for ((i = 0; i < ${2:-30} * 5; i++)); do
		curl -s -m 1 -o /dev/null "$1" || return 0
		sleep 0.2
	done
	echo "$1 still answers"
	return 1
}
# waitfor FILE TEXT [SECONDS]
waitfor() {
	local i
	for ((i = 0; i < ${3:-30} * 5; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "no \"$2\" in $1:"
	cat "$1"
	return 1
}
# eventually SECONDS CMD...: CMD succeeds within SECONDS (the uninstaller
# runs from a copy of itself, so its caller returns at once).
eventually() {
	local i n=$(($1 * 5))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@"
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'; }

# --- A display first: Wine's desktop binds to the display of the first process.
exec 8>"$tmp/display"
Xvfb -displayfd 8 -screen 0 1024x768x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xvfb=$!
exec 8>&-
for _ in $(seq 50); do [ -s "$tmp/display" ] && break; sleep 0.1; done
export DISPLAY=:$(head -n1 "$tmp/display")

# --- Builds: the shim, the headless exe, the GUI exe and the installer.
echo "test-windows: building (version $VERSION) in $tmp"
tb=$EPOCHREALTIME
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$tmp/bcryptprimitives.dll" scripts/windows/processprng.c -ladvapi32 || exit 1
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -tags nogui -ldflags "-s -w -X main.version=$VERSION" \
	-o "$tmp/botgate-nogui.exe" . || exit 1
DIST=$tmp/dist DIST_TARGETS="windows installer" bash scripts/dist.sh >"$tmp/dist.log" 2>&1 ||
	{ cat "$tmp/dist.log"; exit 1; }
setup=$tmp/dist/BotGate-Setup-$VERSION.exe
echo "test-windows: built in $(elapsed "$tb") s"

# --- A fresh prefix with the shim, and one ordinary Wine process kept alive:
# Wine 8 ends services.exe, and every service, once no other process is left.
tb=$EPOCHREALTIME
w wineboot -i >"$tmp/wineboot.log" 2>&1
"$WINESERVER" -w
cp "$tmp/bcryptprimitives.dll" "$C/windows/system32/"
# The installer's Chinese dialogs ask for 宋体 (SimSun), which a Chinese
# Windows has and Wine has not: draw them with the CJK font Debian has.
for f in 宋体 SimSun; do
	w reg add 'HKCU\Software\Wine\Fonts\Replacements' /v "$f" /t REG_SZ /d 'WenQuanYi Micro Hei' /f >/dev/null 2>&1
done
mkfifo "$tmp/hold"
"$WINE" cmd /c pause <"$tmp/hold" >/dev/null 2>&1 &
pids+=($!)
exec 9>"$tmp/hold"
mkdir -p "$C/BotGate"
cp "$tmp/botgate-nogui.exe" "$C/BotGate/botgate.exe"
bg='C:\BotGate\botgate.exe'
echo "test-windows: Wine prefix ready in $(elapsed "$tb") s ($("$WINE" --version))"

# --- version
w "$bg" version >"$tmp/version.out" 2>&1
check "version prints BotGate $VERSION" contains "$tmp/version.out" "BotGate $VERSION"

# --- serve --demo: the QQAP examples of the seed and /api/v1.
port=$(freeport)
"$WINE" "$bg" --db 'C:\demo\botgate.db' serve --demo --listen "127.0.0.1:$port" >"$tmp/demo.out" 2>&1 &
demo=$!
pids+=($demo)
check "serve --demo starts on 127.0.0.1:$port" waitfor "$tmp/demo.out" "已启动：http://127.0.0.1:$port/"
waitfor "$tmp/demo.out" "试一试（发送）" 10 >/dev/null
pw=$(sed -n 's/^  用户 demo  密码 \([^ ]*\) .*/\1/p' "$tmp/demo.out")
base="http://127.0.0.1:$port"
curl -s -m 10 "$base/?Access_token=$pw&user=demo&QQ=350310976&group=350310976&content=API%E5%8F%91%E9%80%81%E6%B6%88%E6%81%AF%E6%B5%8B%E8%AF%95&keyword=%E8%B4%A6%E5%8F%B7" >"$tmp/get.json"
check "QQAP GET (send + keyword 账号) → errcode 0, admin's row, msg_id" \
	contains "$tmp/get.json" '"errcode":0' '"xtuser":"admin"' '"name":"管理员"' '"msg_id":'
curl -s -m 10 "$base/?Access_token=$pw&user=demo" -H 'Content-Type: application/json' \
	-d '{"qq": "350310976", "group": "", "content": "信息内容", "Keyword": "账号", "data": [{"content": "admin"}, {"content": "350310976"}]}' >"$tmp/post.json"
check "QQAP POST JSON with data → errcode 0, admin's row, msg_id" \
	contains "$tmp/post.json" '"errcode":0' '"xtuser":"admin"' '"qq":"350310976"' '"msg_id":'
curl -s -m 10 -o "$tmp/api-send.json" -w '%{http_code}' -u "demo:$pw" "$base/api/v1/messages" \
	-d '{"to":"350310976","content":"订单 17 已发货"}' >"$tmp/api-send.code"
id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$tmp/api-send.json")
check "/api/v1/messages → 202 with an id" contains "$tmp/api-send.code" 202
delivered() {
	local i
	for ((i = 0; i < 50; i++)); do
		curl -s -m 10 -u "demo:$pw" "$base/api/v1/messages/$id" >"$tmp/api-get.json"
		grep -qF '"status":"delivered"' "$tmp/api-get.json" && break
		sleep 0.2
	done
	contains "$tmp/api-get.json" "\"id\":$id" '"status":"delivered"'
}
check "/api/v1/messages/$id → delivered through the demo channel log" delivered
curl -s -m 10 -u "demo:$pw" "$base/api/v1/templates/%E8%B4%A6%E5%8F%B7/run" -d '{"args":["cs02"]}' >"$tmp/api-run.json"
check "/api/v1/templates/账号/run → rows" contains "$tmp/api-run.json" '"kind":"query"' '"xtuser":"cs02"'
kill "$demo"

# --- config import/export with Windows paths: a folder with Chinese and
# spaces for the configuration file, the state database and a data source.
dir='C:\数据 目录'
port=$(freeport)
dead=$(freeport) # the OneBot channel's server is down: messages stay queued
mkdir -p "$C/配置 文件"
cat >"$C/配置 文件/botgate 配置.json" <<JSON
{
  "settings": {"listen": "127.0.0.1:$port", "default_channel": "qq"},
  "users": [{"name": "erp", "password": "Erp-pass-1234", "roles": ["admin"]}],
  "datasources": [{"name": "本地", "driver": "sqlite", "dsn": "C:\\\\数据 目录\\\\业务 数据.db"}],
  "channels": [{"name": "qq", "type": "onebot", "enabled": true, "config": {"url": "http://127.0.0.1:$dead"}}],
  "templates": [{"keyword": "回声", "kind": "query", "datasource": "本地", "sql": "SELECT {{1}} AS echo", "enabled": true}]
}
JSON
db="$dir\\状态 库.db"
w "$bg" --db "$db" config import 'C:\配置 文件\botgate 配置.json' >"$tmp/import.out" 2>&1
check "config import 'C:\\配置 文件\\botgate 配置.json' into '$db'" \
	contains "$tmp/import.out" "导入完成" "用户 1 个" "数据源 1 个" "通道 1 个" "模板 1 个"
check "the state database is at C:\\数据 目录\\状态 库.db" test -s "$C/数据 目录/状态 库.db"
w "$bg" --db "$db" config export >"$tmp/export.json" 2>&1
check "config export from '$db'" contains "$tmp/export.json" '"name": "erp"' '"keyword": "回声"' '数据 目录' '"listen": "127.0.0.1:'"$port"'"'

# --- Kill and restart: nothing acknowledged is lost.
"$WINE" "$bg" --db "$db" serve >"$tmp/serve1.out" 2>&1 &
srv=$!
pids+=($srv)
base="http://127.0.0.1:$port"
check "serve on '$db'" up "$base/healthz"
curl -s -m 10 -u erp:Erp-pass-1234 "$base/api/v1/templates/%E5%9B%9E%E5%A3%B0/run" -d '{"args":["你好 world"]}' >"$tmp/echo.json"
check "template on the data source 'C:\\数据 目录\\业务 数据.db'" contains "$tmp/echo.json" '"echo":"你好 world"'
check "data source file created at C:\\数据 目录\\业务 数据.db" test -e "$C/数据 目录/业务 数据.db"
ids=()
for i in 1 2 3; do
	curl -s -m 10 -u erp:Erp-pass-1234 "$base/api/v1/messages" -d "{\"to\":\"1000$i\",\"content\":\"第 $i 条\"}" >"$tmp/q$i.json"
	ids+=("$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$tmp/q$i.json")")
done
check "3 messages queued (ids ${ids[*]})" test "${#ids[@]}" -eq 3 -a -n "${ids[2]:-}"
kill -9 "$srv"
wait "$srv" 2>/dev/null
check "killed (-9): the port is closed" down "$base/healthz" 10
"$WINE" "$bg" --db "$db" serve >"$tmp/serve2.out" 2>&1 &
srv=$!
pids+=($srv)
check "restarted after kill -9 (the stale lock does not block it)" up "$base/healthz"
lost=0
for id in "${ids[@]}"; do
	curl -s -m 10 -u erp:Erp-pass-1234 "$base/api/v1/messages/$id" >"$tmp/m$id.json"
	grep -q "\"id\":$id" "$tmp/m$id.json" && grep -qE '"status":"(queued|sending)"' "$tmp/m$id.json" || { lost=1; cat "$tmp/m$id.json"; }
done
check "after the restart each queued message is still queued" test "$lost" -eq 0
kill "$srv"
wait "$srv" 2>/dev/null

# --- The default database: %APPDATA%\botgate\botgate.db without --db.
appdata=$(w cmd /c echo %APPDATA% 2>/dev/null | tr -d '\r')
appdata_u=$(w winepath -u "$appdata" 2>/dev/null | tr -d '\r')
env -u BOTGATE_DB "$WINE" "$bg" config import 'C:\配置 文件\botgate 配置.json' >"$tmp/default.out" 2>&1
check "config import without --db → $appdata\\botgate\\botgate.db" test -s "$appdata_u/botgate/botgate.db"
env -u BOTGATE_DB "$WINE" "$bg" config export >"$tmp/default.json" 2>&1
check "config export without --db reads it back" contains "$tmp/default.json" '"name": "erp"'

# --- The Windows service, on the machine-wide database that `service`
# commands use without --db (%ProgramData%\BotGate\botgate.db).
shared='C:\ProgramData\BotGate\botgate.db'
env -u BOTGATE_DB "$WINE" "$bg" service -h >"$tmp/svc-help.out" 2>&1
check "service -h names the service's default database, $shared" contains "$tmp/svc-help.out" "默认 $shared"
sport=$(freeport)
printf '{"settings":{"listen":"127.0.0.1:%s"},"users":[{"name":"erp","password":"Erp-pass-1234","roles":["admin"]}]}' "$sport" >"$C/svc.json"
w "$bg" --db "$shared" config import 'C:\svc.json' >/dev/null 2>&1
base="http://127.0.0.1:$sport"
w "$bg" service install --start >"$tmp/svc-install.out" 2>&1
check "service install --start (no --db) → installed and started on $shared" \
	contains "$tmp/svc-install.out" "已安装并启动系统服务" "数据库 $shared" "http://127.0.0.1:$sport/"
check "/healthz of the service" up "$base/healthz" 10
name=$(sed -n 's/.*系统服务 \(botgate-[0-9a-f]*\).*/\1/p' "$tmp/svc-install.out")
w reg query "HKLM\\System\\CurrentControlSet\\Services\\$name" /v ImagePath >"$tmp/svc-reg.out" 2>&1
check "registered as 'botgate.exe serve --db $shared --as-service'" contains "$tmp/svc-reg.out" "serve --db $shared --as-service"
w "$bg" service status >"$tmp/svc-status.out" 2>&1
check "service status → running, with its address" contains "$tmp/svc-status.out" "已安装，正在运行" "http://127.0.0.1:$sport/"
check "service log at C:\\ProgramData\\BotGate\\botgate.log (docs/service.md)" \
	contains "$C/ProgramData/BotGate/botgate.log" "BotGate service starting" "BotGate service started" "platform=windows-service"
w "$bg" service stop >"$tmp/svc-stop.out" 2>&1
check "service stop → stopped, the port closed" contains "$tmp/svc-stop.out" "服务已停止"
check "service stopped: /healthz gone" down "$base/healthz" 10
check "service log says it stopped" contains "$C/ProgramData/BotGate/botgate.log" "BotGate service stopped"
w "$bg" service status >"$tmp/svc-status2.out" 2>&1
check "service status → installed, stopped" contains "$tmp/svc-status2.out" "已安装，已停止"
w "$bg" service uninstall >"$tmp/svc-uninstall.out" 2>&1
check "service uninstall" contains "$tmp/svc-uninstall.out" "已卸载系统服务"
w "$bg" service status >"$tmp/svc-status3.out" 2>&1
check "service status → not installed; the database stays" contains "$tmp/svc-status3.out" "未安装"
check "the service's database is kept" test -s "$C/ProgramData/BotGate/botgate.db"

# --- The installer, silent: install with 开机自动启动, upgrade in place,
# uninstall keeping the data; then uninstall with /DELETEDATA.
pf="$C/Program Files/BotGate"
menu="$C/ProgramData/Microsoft/Windows/Start Menu/Programs/BotGate"
w "$setup" /S /AUTOSTART >"$tmp/setup1.out" 2>&1
check "installer /S /AUTOSTART: botgate.exe and uninstall.exe in C:\\Program Files\\BotGate" test -s "$pf/botgate.exe" -a -s "$pf/uninstall.exe"
check "installer: Start-menu shortcuts and the desktop shortcut" test -s "$menu/BotGate.lnk" -a -s "$menu/卸载 BotGate.lnk" -a -s "$C/users/Public/Desktop/BotGate.lnk"
w reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\BotGate' >"$tmp/setup-reg.out" 2>&1
check "installer: listed in Programs and Features, version $VERSION" contains "$tmp/setup-reg.out" "DisplayVersion    REG_SZ    $VERSION" "uninstall.exe"
check "installer's 开机自动启动: the service answers on the saved port" up "$base/healthz" 15
w reg query "HKLM\\System\\CurrentControlSet\\Services\\$name" /v ImagePath >"$tmp/setup-svc.out" 2>&1
check "the installed service runs C:\\Program Files\\BotGate\\botgate.exe on $shared" \
	contains "$tmp/setup-svc.out" '"C:\Program Files\BotGate\botgate.exe" serve --db '"$shared"' --as-service'
grep -c "BotGate service starting" "$C/ProgramData/BotGate/botgate.log" >"$tmp/starts1"
w "$setup" /S >"$tmp/setup2.out" 2>&1
grep -c "BotGate service starting" "$C/ProgramData/BotGate/botgate.log" >"$tmp/starts2"
check "upgrade in place: the running service was stopped and started again" \
	test "$(cat "$tmp/starts2")" -eq $(($(cat "$tmp/starts1") + 1)) -a -n "$(grep -F 'BotGate service stopped' "$C/ProgramData/BotGate/botgate.log")"
check "upgrade in place: the service answers again" up "$base/healthz" 15
w "$bg" --db "$shared" config export >"$tmp/upgrade.json" 2>&1
check "upgrade in place: the configuration is kept" contains "$tmp/upgrade.json" '"name": "erp"' "127.0.0.1:$sport"
w 'C:\Program Files\BotGate\uninstall.exe' /S >"$tmp/uninst1.out" 2>&1
# removed: the uninstaller's last steps are done (files, shortcuts, then the registry).
removed() {
	test ! -e "$pf/botgate.exe" -a ! -e "$pf/uninstall.exe" -a ! -e "$menu/BotGate.lnk" -a ! -e "$C/users/Public/Desktop/BotGate.lnk" &&
		! "$WINE" reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\BotGate' >/dev/null 2>&1
}
check "uninstaller /S: program, shortcuts and the Programs and Features entry removed" eventually 30 removed
check "uninstaller /S: the service is gone" down "$base/healthz" 10
w "$bg" service status >"$tmp/uninst-status.out" 2>&1
check "uninstaller /S: service status says not installed" contains "$tmp/uninst-status.out" "未安装"
check "uninstaller /S: the data is kept (database, log)" test -s "$C/ProgramData/BotGate/botgate.db" -a -s "$C/ProgramData/BotGate/botgate.log"
w "$setup" /S /NODESKTOP >"$tmp/setup3.out" 2>&1
check "installer /S /NODESKTOP: no desktop shortcut" test -s "$pf/botgate.exe" -a ! -e "$C/users/Public/Desktop/BotGate.lnk"
w 'C:\Program Files\BotGate\uninstall.exe' /S /DELETEDATA >"$tmp/uninst2.out" 2>&1
check "uninstaller /S /DELETEDATA (同时删除数据): the data folders are removed" \
	eventually 30 test ! -e "$C/ProgramData/BotGate" -a ! -e "$appdata_u/botgate"

# --- The installer's window: Chinese, shown on its first page, then closed.
"$WINE" "$setup" >"$tmp/setup-ui.out" 2>&1 &
setupui=$!
pids+=($setupui)
swin=""
for _ in $(seq 100); do
	swin=$(xdotool search --onlyvisible --name '安装' 2>/dev/null | head -n1)
	[ -n "$swin" ] && break
	sleep 0.2
done
check "installer window in Chinese ($(xdotool getwindowname "$swin" 2>/dev/null))" test -n "$swin"
sleep 1
xdotool key --window "$swin" Return 2>/dev/null # welcome → folder
sleep 1
xdotool key --window "$swin" Return 2>/dev/null # folder → components (开机自动启动)
sleep 1.5
import -window root "$tmp/setup.png" 2>/dev/null && cp "$tmp/setup.png" "$(dirname "$SCREENSHOT")/windows-installer.png"
kill "$setupui" 2>/dev/null
wait "$setupui" 2>/dev/null

# --- The GUI exe: a window titled BotGate, the server auto-started, a screenshot.
gport=7789 # as an admin would see it, unless this machine uses it
(exec 3<>/dev/tcp/127.0.0.1/$gport) 2>/dev/null && gport=$(freeport)
printf '{"settings":{"listen":"127.0.0.1:%s"}}' "$gport" >"$C/gui.json"
w "$bg" --db 'C:\gui\botgate.db' config import 'C:\gui.json' >/dev/null 2>&1
cp "$tmp/dist/botgate-windows-amd64.exe" "$C/BotGate/botgate-gui.exe"
"$WINE" 'C:\BotGate\botgate-gui.exe' --db 'C:\gui\botgate.db' >"$tmp/gui.out" 2>&1 &
gui=$!
pids+=($gui)
check "GUI exe: the server auto-starts (自动启动) on 127.0.0.1:$gport" up "http://127.0.0.1:$gport/healthz" 60
win=""
for _ in $(seq 100); do
	win=$(xdotool search --onlyvisible --name '^BotGate' 2>/dev/null | head -n1)
	[ -n "$win" ] && break
	sleep 0.2
done
check "GUI exe: a window titled BotGate appears ($(xdotool getwindowname "$win" 2>/dev/null))" test -n "$win"
xwininfo -root -tree >"$tmp/tree.out" 2>&1
check "GUI exe: the window is mapped and large (xwininfo)" \
	bash -c "xwininfo -id '$win' | grep -q 'Map State: IsViewable' && [ \$(xwininfo -id '$win' | sed -n 's/.*Width: //p') -ge 600 ]"
sleep 3 # let the first frames draw
import -window root "$tmp/shot.png" 2>"$tmp/import.err" && cp "$tmp/shot.png" "$SCREENSHOT"
colors=$(identify -format '%k' "$tmp/shot.png" 2>/dev/null || echo 0)
check "GUI exe: the screenshot shows a drawn window ($colors colours) → $SCREENSHOT" test "${colors:-0}" -gt 50
# Closed to the tray (WM_DELETE_WINDOW, as the close button sends): the window
# hides, botgate keeps running and serving, and its window loop naps
# (ui/idle.go; on Windows it waits in GLFW for the tray's messages).
go build -o "$tmp/xclose" ./internal/xwin/xclose || exit 1
check "GUI exe: the close button hides the window to the tray ($("$tmp/xclose" BotGate 2>&1))" \
	bash -c "! xwininfo -id '$win' 2>/dev/null | grep -q 'Map State: IsViewable'"
sleep 2
check "GUI exe: closed to the tray, botgate keeps running" kill -0 "$gui"
check "GUI exe: closed to the tray, the server still answers" up "http://127.0.0.1:$gport/healthz" 5
gpid=$(pgrep -f 'botgate-gui.exe --db' | head -n1)
if [ -n "$gpid" ]; then
	c0=$(awk '{print $14+$15}' "/proc/$gpid/stat")
	sleep 10
	c1=$(awk '{print $14+$15}' "/proc/$gpid/stat")
	echo "test-windows: in the tray the GUI exe used $(((c1 - c0) * 10)) ms of CPU in 10 s under Wine"
fi
kill "$gui" 2>/dev/null

echo "test-windows: $(elapsed "$t0") s in all"
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
