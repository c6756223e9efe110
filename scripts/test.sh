#!/usr/bin/env bash
# Install what the tests need (Mosquitto, Chromium, iotlm with its test extra) and run them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh test   # Mosquitto too: the tests use a real broker on a free port
# openssl makes the CA and certificates of the TLS tests
if ! command -v openssl >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq openssl
fi
# Chromium and its driver (Debian's) run the web app's browser tests; where apt-get exists they are installed, and the
# browser tests are required (IOTLM_REQUIRE_BROWSER=1: a missing browser fails them instead of skipping them)
if command -v apt-get >/dev/null 2>&1; then
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium chromium-driver
  fi
  export IOTLM_REQUIRE_BROWSER=1
fi
# the example plugins, installed from their own folders: the tests show they are discovered and work
.venv/bin/python -m pip install -q --no-deps -e examples/plugins/iotlm-notify -e examples/plugins/iotlm-plainjson
# in parallel, one worker per core (each with its own Mosquitto on a free port); IOTLM_TEST_WORKERS=0 runs them in one
exec .venv/bin/python -m pytest -n "${IOTLM_TEST_WORKERS:-auto}" "$@"
