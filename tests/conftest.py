"""Shared fixtures: a private copy of data/raw, a warehouse built from it, the CLI in-process."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from ebpm import paths

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
_IPYTHONDIR = pytest.StashKey[tuple[Path, str | None]]()


def pytest_configure(config: pytest.Config) -> None:
    """Notebook kernels (nbval) start in an empty IPython profile of their own, so the
    developer's IPython settings stay out of the compared outputs; they load ebpm first as
    every kernel of the environment does (:func:`ebpm.cli.configure_kernels`, which
    ``scripts/setup.sh`` also runs), so lessons that import Altair before ebpm do not load
    ``rfc3987_syntax`` (≈ 1.5 s a kernel, see ebpm/_imports.py).
    """
    from ebpm.cli import configure_kernels

    configure_kernels()
    folder = Path(tempfile.mkdtemp(prefix="ebpm-ipython-"))
    config.stash[_IPYTHONDIR] = (folder, os.environ.get("IPYTHONDIR"))
    os.environ["IPYTHONDIR"] = str(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    folder, before = config.stash[_IPYTHONDIR]
    if before is None:
        os.environ.pop("IPYTHONDIR", None)
    else:
        os.environ["IPYTHONDIR"] = before
    shutil.rmtree(folder, ignore_errors=True)


#: Test modules reading the committee pack (a session fixture): one worker writes it once.
_COMMITTEE_PACK_MODULES = frozenset({"test_context.py", "test_documents.py", "test_report.py"})


def _work_unit(nodeid: str) -> str:
    """What goes to one xdist worker whole: a file (a notebook's cells run in order in one
    kernel; a module's fixtures are made once), the committee-pack modules together."""
    path = nodeid.split("::", 1)[0]
    return "committee_pack" if Path(path).name in _COMMITTEE_PACK_MODULES else path


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # a hook of pytest-xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile`` (scripts/test.sh) with the units of :func:`_work_unit`.

    (``--dist loadgroup`` would say the same with marks, but xdist 3.8 cannot add its group to
    pytest 9's node ids.)
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnits(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

    return WorkUnits(config, log)  # type: ignore[arg-type]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The committee-pack unit first and the notebooks (many short units) last, so that both
    workers finish together (scripts/test.sh keeps this order: --no-loadscope-reorder)."""
    items.sort(
        key=lambda item: (_work_unit(item.nodeid) != "committee_pack", item.path.suffix == ".ipynb")
    )


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
    """One chart cache for the whole run, shared by the xdist workers and the notebook
    kernels: a chart drawn by one test is taken from the cache by the next
    (tests/test_render.py tests the cache itself, each test with a cache of its own).

    ``EBPM_TEST_CHART_CACHE`` names a folder kept between runs instead (scripts/test.sh sets
    it): its keys cover the spec, vl-convert and the fonts, so only charts that changed are
    drawn again; a clean clone (CI) starts with none and draws every chart.
    """
    from ebpm.render import CHART_CACHE_ENV

    base = tmp_path_factory.getbasetemp()
    kept = os.environ.get("EBPM_TEST_CHART_CACHE", "").strip()
    shared = (
        Path(kept)
        if kept
        else (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "chart-cache"
    )
    saved = os.environ.get(CHART_CACHE_ENV)
    os.environ[CHART_CACHE_ENV] = str(shared)
    yield shared
    if saved is None:
        os.environ.pop(CHART_CACHE_ENV, None)
    else:
        os.environ[CHART_CACHE_ENV] = saved


@pytest.fixture(scope="session", autouse=True)
def charts_drawn_in_process() -> Iterator[None]:
    """Reports made by the tests draw in the test's own process (``EBPM_RENDER_WORKERS=0``).

    Each report otherwise starts two render workers that import Altair and the chart
    builders again (≈ 30 s of CPU over the suite) while the xdist workers already keep both
    cores busy. The worker path itself is tested where it is named: tests/test_render.py
    (the same bytes as this process, Ctrl-C, scripts without a ``__main__`` guard) and the
    ``ebpm report`` command run with the default. A value set before the run is kept.
    """
    from ebpm.render import WORKERS_ENV

    if os.environ.get(WORKERS_ENV) is not None:
        yield
        return
    os.environ[WORKERS_ENV] = "0"
    yield
    os.environ.pop(WORKERS_ENV, None)


@pytest.fixture
def kpi_workspace(tmp_path: Path, kpi_warehouse: Path) -> tuple[Path, Path]:
    """A private data/raw/kpi and its warehouse (copied from the session's build of the same
    files): (raw folder, warehouse file)."""
    shutil.copytree(paths.RAW / "kpi", tmp_path / "raw" / "kpi")
    db = tmp_path / "processed" / "ebpm.duckdb"
    db.parent.mkdir()
    shutil.copy(kpi_warehouse, db)
    return tmp_path / "raw", db


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """A writable copy of the repository's KPI data (data/raw/kpi only)."""
    target = tmp_path / "raw"
    shutil.copytree(paths.RAW / "kpi", target / "kpi")
    return target


@pytest.fixture(scope="session")
def kpi_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse built once from a copy of data/raw/kpi (what ``raw`` holds).

    Tests that need a previous build of ``raw`` copy this file instead of building it again:
    the same files give the same tables (the provenance names paths relative to the folder).
    """
    from ebpm.warehouse import build

    raw = tmp_path_factory.mktemp("kpi") / "raw"
    shutil.copytree(paths.RAW / "kpi", raw / "kpi")
    db = tmp_path_factory.mktemp("kpi_wh") / "ebpm.duckdb"
    build(raw, db)
    return db


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
