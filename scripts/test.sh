#!/usr/bin/env bash
# Install what the tests need (Mosquitto, iotlm with its test extra) and run them.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq mosquitto
fi
bash scripts/install.sh test
# the example plugin, installed from its own folder: the tests show it is discovered and callable
.venv/bin/python -m pip install -q --no-deps -e examples/plugins/iotlm-notify
exec .venv/bin/python -m pytest "$@"
