#!/usr/bin/env bash
# Install iotlm into ./.venv. Usage: scripts/install.sh [test|dev]
#   "test": the test, lint and type tools too; "dev": those and pre-commit.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY=$candidate; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "iotlm needs Python 3.11 or newer; install it or set PYTHON=/path/to/python3.11" >&2
  exit 2
fi

# Mosquitto: the broker iotlm starts when you give it none (the demo, the tests)
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ] && [ ! -x /opt/homebrew/sbin/mosquitto ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq mosquitto
  elif command -v brew >/dev/null 2>&1; then
    brew install mosquitto
  else
    echo "iotlm needs Mosquitto for its embedded broker; install it with your package manager," >&2
    echo "or always pass --broker mqtt://host:port to a broker of your own" >&2
  fi
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch pinned first: a bare "torch" requirement would pull a multi-GB CUDA build.
# Elsewhere, set PIP_EXTRA_INDEX_URL to PyTorch's CPU wheel index to get the CPU build.
.venv/bin/python -m pip install -q "torch==2.13.0"
extra=""
case "${1:-}" in
  test) extra="[test]" ;;
  dev) extra="[dev]" ;;
esac
# llama-cpp-python builds llama.cpp from source the first time (about 5 minutes on 2 cores).
.venv/bin/python -m pip install -q -e ".${extra}"
echo "iotlm installed in .venv (run .venv/bin/iotlm --help)" >&2
