#!/usr/bin/env bash
# Sets up and runs every test: the Swift suites (unit and in-process HTTP), the fuzz targets'
# corpus and a bounded fuzzing run, then the end-to-end suite, which starts real hub processes
# on loopback and drives them with tuspy, curl, ffmpeg and a headless Chromium. Every server a test needs is started and stopped by the test itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
swift build --build-tests
swift test --skip-build
bin="$(swift build --show-bin-path)"
# Every input the fuzzers ever kept or crashed on stays a regression test: replay the corpus,
# then fuzz each parser for a few seconds from it (libFuzzer with AddressSanitizer).
for corpus in Fuzz/corpus/*/; do "$bin/hub-fuzz" --target "$(basename "$corpus")" "$corpus"; done
FUZZ_SECONDS="${FUZZ_SECONDS:-7}" scripts/fuzz.sh
STREAMHUB_BINARY="$bin/streamhub" python3 -m pytest -q Tests/e2e
# The end-to-end suites that exercise the database, again with every hub on PostgreSQL (a
# throwaway server, removed on exit): the same answers on both databases through the binary.
postgres_url="$(mktemp)"
python3 scripts/postgres_server.py > "$postgres_url" &
postgres_pid=$!
trap 'kill $postgres_pid 2>/dev/null; wait $postgres_pid 2>/dev/null; rm -f "$postgres_url"' EXIT
for _ in $(seq 150); do [ -s "$postgres_url" ] && break; sleep 0.2; done
STREAMHUB_TEST_POSTGRES="$(head -1 "$postgres_url")" STREAMHUB_BINARY="$bin/streamhub" python3 -m pytest -q \
    Tests/e2e/test_accounts.py Tests/e2e/test_uploads.py Tests/e2e/test_notes.py Tests/e2e/test_security.py \
    Tests/e2e/test_cli_and_config.py Tests/e2e/test_peer_catalogue.py
