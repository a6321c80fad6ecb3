#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, with AddressSanitizer) of every parser of untrusted bytes:
# Range and conditional headers, tus metadata and checksums, multipart bodies, mDNS packets,
# markdown, peer messages and the notes' CRDT operations (Fuzz/HubFuzz/FuzzTargets.swift).
#
#   scripts/fuzz.sh                 every target for FUZZ_SECONDS (default 7) each
#   scripts/fuzz.sh dns markdown    only these
#
# Each run starts from the committed corpus (Fuzz/corpus/TARGET) and keeps what it finds in a
# temporary directory. An input that crashes, trips ASan or takes over 10 s is written to
# .build-fuzz/findings/ and fails the run; commit it to Fuzz/corpus/TARGET/ with the fix, and
# the test command's replay keeps it a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-7}
targets=("$@")
((${#targets[@]})) || targets=(range conditional tus multipart dns markdown peer-message crdt)

mkdir -p .build-fuzz
# The build's output (ld.gold prints a harmless warning per ASan symbol) is shown only on failure.
if ! swift build --product hub-fuzz --scratch-path .build-fuzz --sanitize fuzzer --sanitize address -Xswiftc -DFUZZING \
    >.build-fuzz/build.log 2>&1; then
  grep -v "Cannot export local symbol" .build-fuzz/build.log | tail -n 40 >&2
  exit 1
fi
binary="$(swift build --scratch-path .build-fuzz --show-bin-path)/hub-fuzz"
findings=.build-fuzz/findings
mkdir -p "$findings"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  # The first directory receives new inputs; the committed corpus is only read.
  if FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$findings/$target-" "$work/$target" "Fuzz/corpus/$target" \
      >"$work/$target.log" 2>&1; then
    echo "fuzz $target: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$target.log" | grep -Eo '[0-9]+$') runs in ${seconds}s, no finding"
  else
    failed=1
    echo "fuzz $target: FINDING (input in $findings/):" >&2
    tail -n 40 "$work/$target.log" >&2
  fi
done
exit $failed
