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
