"""The one read API: a Warehouse snapshot answers every question through one connection."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from ebpm.warehouse import Warehouse, kpi_history, kpi_sources, provenance_records


def test_history_puts_the_published_base_before_the_actuals(built_db):
    k10 = kpi_history("K10", db_path=built_db)
    assert k10.select("fiscal_year", "kind", "actual", "is_sample").rows() == [
        (2023, "基準値", 129.0, False),
        (2024, "実績", 126.4, True),
        (2025, "実績", 120.0, True),
    ]


def test_history_up_to_a_year_and_without_the_base(built_db):
    with Warehouse(built_db) as wh:
        k09 = wh.kpi_history("K09", up_to_fy=2024, with_base=False)
        everything = wh.kpi_history()
    assert k09.select("fiscal_year", "actual").rows() == [(2024, 4_870_000.0)]
    assert everything.height == 15 + 30  # one base per KPI, 30 sample actuals
    assert everything["kpi_id"].n_unique() == 15


def test_sources_of_every_kpi_in_one_answer(built_db):
    with Warehouse(built_db) as wh:
        sources = wh.sources_by_kpi()
    assert len(sources) == 15
    assert [r.path for r in sources["K09"]] == [
        "kpi/actuals/sample_fy2024_fy2025.csv",
        "kpi/kpi_definitions.csv",
    ]
    assert [r.path for r in kpi_sources("K09", built_db)] == [r.path for r in sources["K09"]]
    with pytest.raises(KeyError, match="K99"):
        kpi_sources("K99", built_db)


def test_provenance_of_unknown_paths_is_refused(built_db):
    with pytest.raises(KeyError, match=r"出典の記録がないファイルです: kpi/none\.csv"):
        provenance_records(["kpi/none.csv"], built_db)


def test_bands_and_promotion_period_from_the_warehouse(built_db):
    with Warehouse(built_db) as wh:
        assert (wh.grade_bands().on_track, wh.grade_bands().mostly) == (1.0, 0.6)
        assert wh.promotion_period() == (2025, 2027)


def test_snapshot_is_read_only_and_released(built_db, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(built_db, copy)
    wh = Warehouse(copy)
    with pytest.raises(duckdb.Error):
        wh.connection.execute("DELETE FROM kpi_actual")
    wh.close()
    duckdb.connect(str(copy)).close()  # a writer can open the file once the snapshot is closed


def test_report_reads_through_one_connection(built_db, tmp_path, monkeypatch):
    from ebpm.report import figures, write_report

    opened = []
    real_connect = duckdb.connect

    def counting(*args, **kwargs):
        opened.append(args)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr("ebpm.warehouse.read.duckdb.connect", counting)
    no_rendering = lambda data, chart_dir, formats: figures.Figures(None, {}, "")  # noqa: E731
    monkeypatch.setattr(figures, "draw_figures", no_rendering)
    write_report(tmp_path, built_db, documents=False)
    assert len(opened) == 1
