"""Issue 14 applied to the own records (ebpm.records): their Parquet views readable on the
locked read-only connection without opening file access, a hostile export refused by
name before calamine loads it, and a killed build's staging and work folders removed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest
from bad_inputs import corpus
from conftest import sha256

from ebpm import paths, records
from ebpm.cli import main
from ebpm.records.store import records_root
from ebpm.tempfiles import remove_leftovers
from ebpm.warehouse import build, connect


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """KPI data and the training records (source = "sample"), built once."""
    root = tmp_path_factory.mktemp("records")
    raw = root / "raw"
    shutil.copytree(paths.RAW / "kpi", raw / "kpi")
    shutil.copytree(paths.RAW / "records", raw / "records")
    shutil.copytree(paths.RAW / "sample" / "records", raw / "sample" / "records")
    build(raw, root / "processed" / "ebpm.duckdb")
    return raw, root / "processed" / "ebpm.duckdb"


def test_record_views_are_read_through_the_locked_connection(base):
    _, db = base
    with connect(db) as con:
        [(months,)] = con.sql("SELECT count(*) FROM record_overtime").fetchall()
        assert months > 0
        assert con.sql("SELECT current_setting('enable_external_access')").fetchall() == [(False,)]
        [(path,)] = con.sql("SELECT path FROM record_partition LIMIT 1").fetchall()
        with pytest.raises(duckdb.PermissionException):  # the files themselves stay closed
            con.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()
        with pytest.raises(duckdb.PermissionException):
            con.sql(f"COPY (SELECT 1 AS x) TO '{path}' (FORMAT parquet)").fetchall()
    assert records.overtime_monthly(db).height == months


def test_a_partition_listed_outside_the_records_folder_is_not_opened(base, tmp_path):
    _, db = base
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    shutil.copytree(records_root(db), records_root(copy))
    with duckdb.connect(str(copy)) as con:  # a tampered warehouse points at another file
        con.execute(
            "UPDATE record_partition SET path = replace(path, $old, $new)",
            {"old": str(records_root(db)), "new": str(records_root(copy))},
        )
        con.execute("UPDATE record_partition SET path = '/etc/hostname' WHERE kind = 'paper'")
    with connect(copy) as con:
        assert con.sql("SELECT count(*) FROM record_overtime").fetchall()[0][0] > 0
        with pytest.raises(duckdb.PermissionException):
            con.sql("SELECT count(*) FROM record_paper").fetchall()


def test_a_hostile_xlsx_export_is_refused_by_name(base, tmp_path, capsys):
    raw, db = base
    work = tmp_path / "raw"
    shutil.copytree(raw, work)
    warehouse = tmp_path / "ebpm.duckdb"
    shutil.copy(db, warehouse)
    shutil.copytree(records_root(db), records_root(warehouse))
    corpus.dimension_bomb_xlsx(work / "sample" / "records" / "paper" / "物品購入_R9.xlsx")
    before = sha256(warehouse)
    assert main(["build", "--raw", str(work), "--db", str(warehouse)]) == 1
    err = capsys.readouterr().err
    assert "sample/records/paper/物品購入_R9.xlsx: シートの範囲が大きすぎます" in err
    assert sha256(warehouse) == before


def test_staging_and_work_folders_of_a_killed_build_are_removed(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    db = tmp_path / "ebpm.duckdb"
    root = records_root(db)
    dead_stage = root / f".staging-{child.pid}-0a1b2c3d"
    live_stage = root / f".staging-{os.getpid()}-0a1b2c3d"
    dead_work = Path(tempfile.gettempdir()) / f"ebpm-records-{child.pid}-k2j4h5g6"
    for folder in (dead_stage, live_stage, dead_work):
        folder.mkdir(parents=True)
        (folder / "clear_ids.csv").write_text("E0001,総務課\n", encoding="utf-8")
    try:
        removed = remove_leftovers(db, root)
        assert sorted(removed) == sorted([dead_stage, dead_work])
        assert live_stage.exists() and not dead_stage.exists() and not dead_work.exists()
    finally:
        shutil.rmtree(dead_work, ignore_errors=True)


def test_the_registered_views_have_the_stored_views_columns_and_rows(base):
    _, db = base
    with duckdb.connect(str(db), read_only=True) as plain:  # the stored views, file access on
        stored = {
            name: (plain.sql(f"DESCRIBE {name}").fetchall(), plain.sql(f"FROM {name}").fetchall())
            for name in ("record_overtime", "record_paper")
        }
    with connect(db) as con:
        for name, (columns, rows) in stored.items():
            assert con.sql(f"DESCRIBE {name}").fetchall() == columns
            assert sorted(con.sql(f"FROM {name}").fetchall(), key=repr) == sorted(rows, key=repr)
