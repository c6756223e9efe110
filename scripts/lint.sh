#!/usr/bin/env bash
# Lint (ruff) and types (mypy --strict) over the installed layout, iotlm.*. Run after scripts/install.sh test.
set -euo pipefail
cd "$(dirname "$0")/.."

.venv/bin/ruff check .
# mypy reads modules from folders, and the repository's folders install under other names (agent -> iotlm.agent):
# check them through a tree of links that has the installed layout
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/iotlm"
for f in iotlm/*; do ln -s "$PWD/$f" "$tree/iotlm/"; done
for d in agent automations tools device_drivers memory policies; do ln -s "$PWD/$d" "$tree/iotlm/$d"; done
(cd "$tree" && "$OLDPWD/.venv/bin/mypy" --config-file "$OLDPWD/pyproject.toml" -p iotlm)
