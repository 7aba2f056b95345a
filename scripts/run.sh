#!/usr/bin/env bash
# The main job: set up, build the warehouse from data/raw, show KPI progress and write the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ebpm build
.venv/bin/ebpm status
.venv/bin/ebpm report
