#!/usr/bin/env bash
# Installs the Debian packages a few test suites drive for real, when missing:
#   docker-compose  validates docker-compose.yml (no Docker engine needed)
#   prometheus      a real Prometheus scrapes our /metrics; promtool checks the alert rules
#   chromium        the Temporal Web UI browser test (playwright-core drives it; no browser download)
set -euo pipefail
missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v prometheus >/dev/null || missing+=(prometheus)
command -v chromium >/dev/null || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them (e.g. sudo apt-get install ${missing[*]}) and run npm test again." >&2
  exit 1
fi
echo "Installing test tools with apt-get: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
