"""Issue 8 end to end: the period-average and survey rules agree in the pure functions, the
materialised ``kpi_progress``, ``ebpm status`` and the chart data."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from conftest import run_ebpm

from ebpm import charts
from ebpm.kpi import judged_actual
from ebpm.warehouse import Warehouse, build

SOURCE = "出典：テスト"
ACTUALS_SOURCES = """
["k10.csv"]
title = "時間外勤務の試算（テスト用の架空の値）"
publisher = "ebpm テスト"
licence = "CC0"
retrieved_at = 2026-11-26
is_sample = true
"""


def ebpm(*args: str) -> subprocess.CompletedProcess[str]:
    return run_ebpm(*args)


def status_json(db: Path, fiscal_year: int) -> dict[str, dict[str, object]]:
    result = ebpm("status", "--db", str(db), "--fy", str(fiscal_year), "--format", "json")
    assert result.returncode == 0, result.stderr
    return {row["kpi_id"]: row for row in json.loads(result.stdout)}


def with_overtime(raw: Path, values: dict[int, str]) -> Path:
    """``raw`` with K10's sample actuals replaced by ``values`` (as written in the CSV)."""
    actuals = raw / "kpi" / "actuals"
    sample = actuals / "sample_fy2024_fy2025.csv"
    kept = [line for line in sample.read_text("utf-8").splitlines() if not line.startswith("K10,")]
    sample.write_text("\n".join(kept) + "\n", encoding="utf-8")
    rows = "".join(f"K10,{year},{value},,,,true\n" for year, value in values.items())
    (actuals / "k10.csv").write_text(
        "kpi_id,fiscal_year,value,sample_size,source,note,is_sample\n" + rows, encoding="utf-8"
    )
    with (actuals / "SOURCES.toml").open("a", encoding="utf-8") as handle:
        handle.write(ACTUALS_SOURCES)
    return raw


@pytest.fixture(scope="module")
def expected_k10(built_db: Path) -> dict[int, float]:
    """The expected values ``ebpm status --format json`` gives for K10 in FY2025–FY2027
    (of the repository's data/raw)."""
    return {fy: status_json(built_db, fy)["K10"]["expected"] for fy in (2025, 2026, 2027)}  # type: ignore[misc]


@pytest.fixture(scope="module")
def old_line(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse whose K10 actuals follow the old straight line to 100 h (114.5, 107.25, 100)."""
    from ebpm import paths

    raw = tmp_path_factory.mktemp("old_line") / "raw"
    shutil.copytree(paths.RAW / "kpi", raw / "kpi")
    db = raw.parent / "ebpm.duckdb"
    build(with_overtime(raw, {2025: "114.5", 2026: "107.25", 2027: "100"}), db)
    return db


def test_following_the_expected_values_of_status_is_on_track_then_achieved(
    raw: Path, tmp_path: Path, expected_k10: dict[int, float]
) -> None:
    # The path's FY2025–FY2027 mean is the 100 h target: 109.67, 100, 90.33.
    assert sum(expected_k10.values()) / 3 == pytest.approx(100.0)
    db = tmp_path / "ebpm.duckdb"
    build(with_overtime(raw, {y: repr(v) for y, v in expected_k10.items()}), db)
    rows = {fy: status_json(db, fy)["K10"] for fy in (2025, 2026, 2027)}
    assert [rows[fy]["grade"] for fy in (2025, 2026, 2027)] == ["順調", "順調", "達成"]
    # the year's own actual and the period average are separate columns
    assert rows[2026]["actual"] == expected_k10[2026]
    assert rows[2026]["period_average"] == pytest.approx((expected_k10[2025] + 100) / 2, abs=0.01)
    assert rows[2027]["actual_basis"] == "period_average"


def test_the_old_straight_line_is_not_achieved(old_line: Path) -> None:
    db = old_line
    grades = [status_json(db, fy)["K10"]["grade"] for fy in (2025, 2026, 2027)]
    assert grades == ["概ね順調", "概ね順調", "未達成"]
    final = status_json(db, 2027)["K10"]
    assert (final["actual"], final["period_average"]) == (100.0, 107.25)
    table = ebpm("status", "--db", str(db), "--fy", "2027")
    assert table.returncode == 0
    # the table says which number is the year's actual and which the period average
    assert (
        "K10：2027年度の実績値は 100時間。評価は推進期間（2025〜2027年度）のうち"
        "2025〜2027年度の実績の平均 107.25時間を、期待値の同じ年度の平均 100.00時間と比べたもの"
    ) in table.stdout
    assert "× 未達成" in table.stdout


def test_chart_data_of_a_period_average_kpi(old_line: Path) -> None:
    from ebpm.charts.trend import plan_trend

    with Warehouse(old_line) as wh:
        row = wh.progress_table(2027).filter(pl.col("kpi_id") == "K10").row(0, named=True)
        history = wh.kpi_history("K10", with_base=False)
        definition = next(k for k in wh.kpis() if k.kpi_id == "K10")
    plan = plan_trend(row, history, source=SOURCE)
    actuals = dict(zip(history["fiscal_year"], history["actual"], strict=True))
    # the averages drawn are the rule's own, year by year
    assert [(a.fiscal_year, a.value) for a in plan.averages] == [
        (y, judged_actual(definition, actuals, y)[0]) for y in (2025, 2026, 2027)
    ]
    # the first year's average is the actual itself: its label is the actual's
    assert [a.label for a in plan.averages] == ["", "110.88", "107.25"]
    # the target is a period average: a segment over FY2025–27, no diamond at FY2027
    assert plan.period_target and plan.target_label == "期間平均の目標 100時間"
    spec = charts.kpi_trend_chart(row, history, source=SOURCE).to_dict()
    layers = spec["vconcat"][0]["layer"]
    diamonds = [
        r
        for layer in layers
        if layer["mark"]["type"] == "point" and "data" in layer
        for r in spec["datasets"][layer["data"]["name"]]
        if r.get("series") in ("目標値", "基準値")
    ]
    assert {r["series"] for r in diamonds} == {"基準値"}
    subtitle = spec["title"]["subtitle"]
    assert any(
        "2027年度実績 100時間｜期間平均（2025〜2027年度）107.25時間" in line for line in subtitle
    )


def test_survey_rule_in_the_view_and_status(built_db: Path) -> None:
    rows = status_json(built_db, 2025)
    k06 = rows["K06"]
    assert (k06["grade"], k06["formula_grade"]) == ("変化なし（誤差の範囲）", "悪化")
    assert (k06["sample_size"], k06["base_sample_size"], k06["base_sample_size_assumed"]) == (
        795,
        795,
        True,
    )
    assert k06["ci_lower"] == pytest.approx(44.74, abs=0.01)
    table = ebpm("status", "--db", str(built_db))
    assert "＝ 変化なし（誤差の範囲）" in table.stdout
    assert "基準の調査の回答数が公表されていないため、795件と仮定しました" in table.stdout


def test_corrected_unit_everywhere(built_db: Path) -> None:
    with Warehouse(built_db) as wh:
        row = wh.progress_table(2025).filter(pl.col("kpi_id") == "K14").row(0, named=True)
        history = wh.kpi_history("K14", with_base=False)
    table = ebpm("status", "--db", str(built_db)).stdout
    k14_line = next(line for line in table.splitlines() if line.startswith("K14"))
    assert " 回 " in k14_line and " 人 " not in k14_line
    assert "K14の単位は「回」で表示しています（公表資料の単位は「人」" in table
    spec = charts.kpi_trend_chart(row, history, source=SOURCE).to_dict()
    assert "2025年度実績 8回" in spec["title"]["subtitle"][1]
    note = "".join(spec["vconcat"][-1]["mark"]["text"])
    assert "公表資料の単位は「人」" in note
