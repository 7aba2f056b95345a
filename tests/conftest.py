"""Shared fixtures: a private copy of data/raw, a warehouse built from it, the CLI in-process."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from ebpm import paths

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    """``os.environ`` replaced by ``env`` for the block (unchanged when ``None``)."""
    if env is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_ebpm(
    *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``ebpm ARGS`` run in this process, as the command would: same parser, output, exit code.

    A subprocess would pay Great Expectations' or Altair's import again for every call (seconds
    each); the entry point itself (``python -m ebpm``) keeps its own subprocess tests. ``env``
    replaces the whole environment for the run, ``cwd`` the working folder.
    """
    from ebpm import paths
    from ebpm.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(cwd or Path.cwd()),
        _environment(env),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main(list(args))
        except SystemExit as done:  # argparse: --help (0) and usage errors (2)
            code = 0 if done.code is None else done.code if isinstance(done.code, int) else 1
        finally:
            paths.set_root(None)  # --root is per run, as in a fresh process
    return subprocess.CompletedProcess(["ebpm", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session", autouse=True)
def shared_chart_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One chart cache for the whole run, shared by the xdist workers: a chart drawn by one
    test is taken from the cache by the next (tests/test_render.py tests the cache itself)."""
    from ebpm.report import CHART_CACHE_ENV

    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "chart-cache"
    saved = os.environ.get(CHART_CACHE_ENV)
    os.environ[CHART_CACHE_ENV] = str(shared)
    yield shared
    if saved is None:
        os.environ.pop(CHART_CACHE_ENV, None)
    else:
        os.environ[CHART_CACHE_ENV] = saved


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


@pytest.fixture
def estat_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A local stand-in for e-Stat (tests/estat_standin.py): its base URL and the queries."""
    from estat_standin import serve

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with serve() as running:
        yield running
