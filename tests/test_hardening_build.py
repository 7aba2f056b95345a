"""Issue 14 items 8, 10 and 11: a killed build leaves nothing that lasts, a full disk is
reported in Japanese, and `ebpm estat import` is all or nothing with its sidecar."""

from __future__ import annotations

import errno
import importlib
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from conftest import sha256

from ebpm.cli import main
from ebpm.tempfiles import remove_leftovers
from ebpm.warehouse import build

FIXTURES = Path(__file__).parent / "fixtures" / "estat"


@pytest.fixture
def ws(kpi_workspace: tuple[Path, Path]) -> tuple[Path, Path]:
    return kpi_workspace


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- leftovers of a killed build -------------------------------------------------------------


def test_a_build_killed_while_writing_leaves_files_the_next_build_removes(ws):
    raw, db = ws
    before = sha256(db)
    killed = textwrap.dedent(f"""
        import time
        import importlib
        module = importlib.import_module("ebpm.warehouse.build")
        real = module._write
        def slow(path, tables, bands):
            real(path, tables, bands)
            open(str(path) + ".wal", "w").write("x")   # as DuckDB leaves it mid-write
            print("WRITTEN", flush=True)
            time.sleep(60)
        module._write = slow
        module.build({str(raw)!r}, {str(db)!r})
    """)
    child = subprocess.Popen(
        [sys.executable, "-c", killed], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "WRITTEN"
        child.kill()  # kill -9
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    leftovers = sorted(p.name for p in db.parent.iterdir() if p.name != db.name)
    assert [n.endswith((".tmp", ".tmp.wal")) for n in leftovers] == [True, True]
    assert sha256(db) == before  # the killed build never replaced the warehouse
    build(raw, db)
    assert [p.name for p in db.parent.iterdir()] == [db.name]


def test_leftovers_of_live_builds_are_kept(tmp_path):
    db = tmp_path / "ebpm.duckdb"
    dead, alive = dead_pid(), os.getpid()
    old_style = tmp_path / ".ebpm.duckdb.k2j4h5g6.tmp"  # an older build's name: no pid
    files = {
        tmp_path / f".ebpm.duckdb.{dead}.0a1b2c3d.tmp": False,
        tmp_path / f".ebpm.duckdb.{dead}.0a1b2c3d.tmp.wal": False,
        tmp_path / f".ebpm.duckdb.{alive}.9f8e7d6c.tmp": True,  # this process builds it
        old_style: True,  # recent: it may belong to a running build
        tmp_path / ".other.duckdb.12.0a1b2c3d.tmp": True,  # another warehouse's
    }
    for path in files:
        path.write_text("x")
    removed = remove_leftovers(db)
    assert sorted(removed) == sorted(p for p, kept in files.items() if not kept)
    assert all(p.exists() == kept for p, kept in files.items())
    assert remove_leftovers(db, now=time.time() + 7200) == [old_style]  # an hour later


# --- a full disk ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        duckdb.IOException('Could not write file ".ebpm.duckdb.tmp": No space left on device'),
    ],
)
def test_a_full_disk_is_reported_in_japanese(ws, capsys, monkeypatch, failure):
    raw, db = ws
    before = sha256(db)
    module = importlib.import_module("ebpm.warehouse.build")
    real = module._write

    def fill_disk(path, tables, bands):
        real(path, tables, bands)  # the temporary file exists, then the disk is full
        raise failure

    monkeypatch.setattr(module, "_write", fill_disk)
    code = main(["build", "--raw", str(raw), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 1
    assert (
        f"{db.parent}: ディスクの空き容量が足りないため、ウェアハウスを書き込めませんでした"
        "（以前のウェアハウスはそのままです）"
    ) in err
    assert "Traceback" not in err and "TransactionException" not in err
    assert sha256(db) == before
    assert [p.name for p in db.parent.iterdir()] == [db.name]


def test_a_full_disk_while_writing_an_output_is_named(capsys, monkeypatch, tmp_path):
    target = tmp_path / "out.csv"

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full)
    args = [
        "estat",
        "show",
        str(FIXTURES / "long_layout.csv"),
        "--format",
        "csv",
        "-o",
        str(target),
    ]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 1
    assert f"ディスクの空き容量が足りないため書き込めません: {target}" in err


# --- e-Stat import: all or nothing ---------------------------------------------------------------


def cache_files(cache: Path) -> list[str]:
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())


def test_an_import_that_cannot_write_its_sidecar_leaves_nothing(tmp_path, capsys, monkeypatch):
    from ebpm import manifest

    def full(path, record, **_options):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(manifest, "write_sidecar", full)
    cache = tmp_path / "cache"
    code = main(
        ["estat", "import", str(FIXTURES / "stats_data_special.json"), "--cache", str(cache)]
    )
    assert code == 1
    assert "ディスクの空き容量が足りない" in capsys.readouterr().err
    assert cache_files(cache) == []


def test_an_import_that_cannot_place_its_data_removes_its_sidecar(tmp_path, monkeypatch):
    from ebpm import estat
    from ebpm.estat import cache as module

    real = os.replace

    def fail_on_data(src, dst):
        if not str(dst).endswith(".provenance.json"):
            raise OSError(errno.EIO, "I/O error", str(dst))
        return real(src, dst)

    monkeypatch.setattr(module.os, "replace", fail_on_data)
    cache = tmp_path / "cache"
    with pytest.raises(OSError):
        estat.import_file(FIXTURES / "stats_data_special.json", cache)
    assert cache_files(cache) == []


def test_an_import_of_a_shift_jis_named_file_keeps_a_readable_record(ws, capsys):
    raw, db = ws
    folder = raw.parent / "downloads"
    folder.mkdir()
    name = "国勢調査.json".encode("cp932")
    shutil.copy(FIXTURES / "stats_data_special.json", bytes(folder) + b"/" + name)
    [source] = list(folder.iterdir())
    assert main(["estat", "import", str(source), "--cache", str(raw / "estat")]) == 0
    assert "取り込みました" in capsys.readouterr().out
    [sidecar] = list((raw / "estat").rglob("*.provenance.json"))
    assert '"imported_from": "国勢調査.json"' in sidecar.read_text(encoding="utf-8")
    assert main(["build", "--raw", str(raw), "--db", str(db)]) == 0  # later builds still work


# --- a warehouse held open for writing -------------------------------------------------------------


def test_a_warehouse_held_by_a_writer_is_named_not_a_traceback(ws, capsys):
    raw, db = ws
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; con = duckdb.connect({str(db)!r}); print('HELD', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "HELD"
        before = sha256(db)
        assert main(["status", "--db", str(db)]) == 1
        status_err = capsys.readouterr().err
        assert main(["build", "--raw", str(raw), "--db", str(db)]) == 1
        build_err = capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    message = f"{db}: ほかのプログラムが書き込み用に開いているため、ウェアハウスを開けません"
    assert message in status_err and "Traceback" not in status_err
    assert message in build_err  # the revision check is never skipped because of a lock
    assert sha256(db) == before
