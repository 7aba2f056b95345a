"""Shared fixtures: a private copy of data/raw and a warehouse built from it."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from ebpm import paths

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """A writable copy of the repository's KPI data (data/raw/kpi only)."""
    target = tmp_path / "raw"
    shutil.copytree(paths.RAW / "kpi", target / "kpi")
    return target


@pytest.fixture(scope="session")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse built once from the repository's data/raw."""
    from ebpm.warehouse import build

    db = tmp_path_factory.mktemp("wh") / "ebpm.duckdb"
    build(paths.RAW, db)
    return db


@pytest.fixture
def realdata() -> Path:
    """The shared real public data files; tests using them skip when absent."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata がないため実データのテストを省略")
    return REALDATA


@pytest.fixture(scope="session")
def committee_pack(built_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """``ebpm report`` for FY2025 of the repository's data: page, both chart sets, documents."""
    import datetime as dt

    from ebpm.report import write_report

    out = tmp_path_factory.mktemp("report")
    return write_report(out, built_db, today=dt.date(2026, 11, 26))
