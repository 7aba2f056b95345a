#!/usr/bin/env bash
# Every check: set up, lint, type-check, build the warehouse the notebooks read, then pytest
# (library + nbval).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/ebpm build >/dev/null
.venv/bin/python -m pytest "$@"
