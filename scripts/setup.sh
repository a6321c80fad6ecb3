#!/usr/bin/env bash
# Installs what the hub needs on Debian: build libraries (SQLite, zlib, cmark-gfm for markdown), ffmpeg (thumbnails, probing and
# faststart; optional at run time), and with --test the tools the test suite drives (Chromium
# and its driver, curl, tuspy, selenium, pytest, botocore to check the S3 signer against, moto's S3 server
# with boto3 for the S3 backend's tests, python-zeroconf and iproute2 for the mDNS tests between
# network namespaces, PostgreSQL for the PostgreSQL repositories' tests, which start their own
# throwaway server, nginx to run deploy/nginx.conf in front of several instances, and Debian's
# docker-compose to validate deploy/docker-compose.yml without a container engine, schemathesis and
# openapi-spec-validator for the API contract's tests); with --bench
# also wrk and hyperfine, which only the benchmarks under scripts/bench drive. Installs only what
# is missing.
set -euo pipefail

packages=(libsqlite3-dev zlib1g-dev libcmark-gfm-dev libcmark-gfm-extensions-dev ffmpeg curl)
python_packages=()
if [[ "${1:-}" == "--test" || "${1:-}" == "--bench" ]]; then
  packages+=(chromium chromium-driver iproute2 postgresql nginx docker-compose)
  python_packages+=(pytest tuspy selenium botocore boto3 "moto[server]" zeroconf prometheus_client schemathesis openapi-spec-validator)
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(wrk hyperfine)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  # Packages with a service (nginx, postgresql) would start it on install; the tests start
  # their own, on free ports, so none is started (a policy-rc.d answering 101 forbids it).
  policy=/usr/sbin/policy-rc.d
  added_policy=false
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod +x "$policy"
    added_policy=true
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if $added_policy; then "${sudo_cmd[@]}" rm -f "$policy"; fi
fi

if ((${#python_packages[@]})); then
  pip_missing=()
  for package in "${python_packages[@]}"; do
    module=${package%%\[*}
    module=${module/tuspy/tusclient}
    module=${module//-/_}
    python3 -c "import $module" 2>/dev/null || pip_missing+=("$package")
  done
  if ((${#pip_missing[@]})); then
    echo "setup: pip installing ${pip_missing[*]}" >&2
    python3 -m pip install -q --disable-pip-version-check "${pip_missing[@]}"
  fi
fi
