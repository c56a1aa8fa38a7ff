# BotGate developer tasks.

.PHONY: screenshots test bench bench-tray dist test-windows

# screenshots runs the real window under Xvfb at 1024x768 over demo data and
# writes one PNG per tab to docs/screenshots/ (needs xvfb and the GLFW dev packages).
screenshots:
	LANG=zh_CN.UTF-8 LANGUAGE=zh_CN xvfb-run -a -s "-screen 0 1024x768x24" go run ./ui/screenshots -out docs/screenshots

# test is README's test command: packages, databases, gofmt, vet, every test.
test:
	bash scripts/test.sh

# bench prints the benchmark table (BotGate vs. the net/http + SQLite reference).
bench:
	bash scripts/bench.sh

# bench-tray measures the real window's CPU, shown and closed to the tray, under
# Xvfb with its own DBus session bus (README, 性能测试, 托盘).
bench-tray:
	mkdir -p bench/out && go build -o bench/out/botgate-gui .
	xvfb-run -a go run ./bench/tray -bin bench/out/botgate-gui

# dist builds the Linux GUI, headless and Windows binaries into dist/.
dist:
	bash scripts/dist.sh

# test-windows runs the Windows builds and the installer under Wine with real
# calls on 127.0.0.1 (installs wine64, nsis, ... if missing); see README.
test-windows:
	bash scripts/test-windows.sh
