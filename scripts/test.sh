#!/usr/bin/env bash
# Sets up and runs every test: the Swift suites (unit and in-process HTTP), then the end-to-end
# suite, which starts real hub processes on loopback and drives them with tuspy, curl, ffmpeg and
# a headless Chromium. Every server a test needs is started and stopped by the test itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
swift build --build-tests
swift test --skip-build
STREAMHUB_BINARY="$(swift build --show-bin-path)/streamhub" python3 -m pytest -q Tests/e2e
