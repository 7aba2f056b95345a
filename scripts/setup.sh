#!/usr/bin/env bash
# Create .venv and install ebpm with pinned versions; does nothing when already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "エラー: Python 3.11 以上が必要です（今の $PYTHON: $("$PYTHON" --version 2>&1)）。" >&2
  echo "        PYTHON=/path/to/python3.11 bash $0 のように指定してください。" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv

stamp=.venv/.ebpm-installed
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "依存パッケージをインストールしています（初回は数分かかります）…" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
  echo "$want" > "$stamp"
fi

# ebpm's own bytecode, as pip writes it for the packages it installs (an editable install leaves
# it to the first import, which writes nothing where PYTHONDONTWRITEBYTECODE is set).
.venv/bin/python -m compileall -q ebpm >/dev/null || true  # a speed-up only: never fails the setup

# JupyterLab in Japanese by default (the language pack is installed from pyproject).
.venv/bin/python -m ebpm lab --configure-only >/dev/null
