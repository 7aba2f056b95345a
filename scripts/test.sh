#!/usr/bin/env bash
# Every check: set up, lint, type-check, build the warehouse the notebooks read, then pytest
# (library + nbval) on parallel workers.
#   PYTEST_WORKERS=0 bash scripts/test.sh   # one process (e.g. to debug with -x --pdb)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: each test process would otherwise
# compile ebpm and re-run pytest's assertion rewriting for every test module (≈ 10 s of CPU).
# The caches go to __pycache__/ folders, which git ignores.
unset PYTHONDONTWRITEBYTECODE
# The build mostly waits for Great Expectations' import: overlap it with the linters.
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
.venv/bin/ebpm build >"$build_log" 2>&1 &
build=$!
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy  # incremental: .mypy_cache keeps what did not change
if ! wait "$build"; then
  cat "$build_log" >&2
  exit 1
fi
# Files go to the workers whole (--dist loadfile; tests/conftest.py puts the modules sharing the
# committee pack in one unit and orders the units: the longest first, the notebooks last, kept by
# --no-loadscope-reorder): a notebook's cells run in order in one kernel, a module's fixtures are
# made once.
# Charts drawn by the tests are kept between runs (see shared_chart_cache in tests/conftest.py).
export EBPM_TEST_CHART_CACHE="${EBPM_TEST_CHART_CACHE-$PWD/.cache/test-charts}"
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "$@"
