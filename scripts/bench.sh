#!/usr/bin/env bash
# BotGate's benchmark: builds the headless binary and the reference server,
# then runs bench/load on 127.0.0.1 and prints the Markdown table for README
# (with the rounds of sends carrying an image, alternated with plain text).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
CGO_ENABLED=0 go build -tags nogui -o bench/out/botgate .
go build -o bench/out/refserver ./bench/refserver
# BENCH_IMAGE_KB: the image of the attachment rounds (0: none), BENCH_ROUNDS how many.
# BENCH_PRUNE: rows older than the retention window for the startup-prune rows (0: none).
# BENCH_GROWTH: the database sizes compared with an empty one in the same run ("": none).
go run ./bench/load -botgate bench/out/botgate -ref bench/out/refserver -d "${BENCH_DURATION:-5s}" \
  -image-kb "${BENCH_IMAGE_KB:-200}" -rounds "${BENCH_ROUNDS:-5}" -prune "${BENCH_PRUNE:-0}" \
  -growth "${BENCH_GROWTH-1000000,5000000}"
