"""Every project path in one place.

The project root is found from this file, so commands work from any folder; the
environment variable ``EBPM_ROOT`` points elsewhere (e.g. a copy of ``data/``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["NOTEBOOKS", "PROCESSED", "RAW", "REPORT", "ROOT", "WAREHOUSE"]

ROOT = Path(os.environ.get("EBPM_ROOT", Path(__file__).resolve().parents[1]))
RAW = ROOT / "data" / "raw"
PROCESSED = ROOT / "data" / "processed"
WAREHOUSE = PROCESSED / "ebpm.duckdb"
REPORT = PROCESSED / "report"
NOTEBOOKS = ROOT / "notebooks"
