#!/usr/bin/env bash
# Sets up and runs the hub on its embedded default: videos under ./uploads, metadata in SQLite
# under ./data, web UI and API on http://127.0.0.1:8080. Arguments go to `streamhub serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product streamhub
exec "$(swift build -c release --show-bin-path)/streamhub" serve "$@"
