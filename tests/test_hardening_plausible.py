"""Implausible magnitudes: an actual far beyond its KPI's scale (K05 = 1e15 stretched every
chart's axis), and own records beyond what a day or a month can hold. Refused with file,
row, column, the value and the fix; a KPI's plausible range is 100 × the larger of its
base and target magnitudes (or of 1)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from test_hardening_inputs import actual, base, built, put, refused, ws
from test_records_ingest import DAILY, PAPER, PAPER_DATA, folder_with
from test_records_ingest import refused as records_refused

from ebpm import validation
from ebpm.records.mapping import MappingError, load_mapping

__all__ = ["base", "ws"]  # fixtures shared with test_hardening_inputs

ACTUALS = "kpi_id,fiscal_year,value\n"


# --- KPI actuals through `ebpm build` ---------------------------------------------------------


def test_an_actual_a_trillion_times_the_target_is_refused_naming_base_and_target(ws, capsys):
    # K05 (LINE friends): base 1,020, target 2,000 → at most 100 × 2,000 = 200,000.
    put(ws[0], "x.csv", ACTUALS + "K05,2026,1e15\n")
    err = refused(ws, capsys)
    assert (
        "kpi/actuals/x.csv 2行目 実績値（value）列: 実績値 1,000,000,000,000,000人 は、指標 K05 の"
        "基準値 1,020人・目標値 2,000人 の大きいほう（2,000人）の100倍（200,000人）を"
        "超えています。桁の誤りではありませんか。余分な 0 がないか、単位（千・万など）を"
        "取り違えていないか、ほかの指標の値を入力していないかを確かめて直してください"
    ) in err


def test_paper_sheets_typed_with_three_extra_zeros_are_refused(ws, capsys):
    # K09: base 5,216,000 sheets → at most 521,600,000; 4,500,000,000 is 4,500,000 × 1,000.
    put(ws[0], "x.csv", ACTUALS + "K09,2026,4500000000\n")
    err = refused(ws, capsys)
    assert (
        "kpi/actuals/x.csv 2行目 実績値（value）列: 実績値 4,500,000,000枚 は、指標 K09 の" in err
    )
    assert "の大きいほう（5,216,000枚）の100倍（521,600,000枚）を超えています" in err


def test_a_tenfold_actual_is_loaded(ws, capsys):
    # Growth far beyond the target is unusual, not impossible: 20,000 friends is 10 × 2,000.
    put(ws[0], "x.csv", ACTUALS + "K05,2026,20000\n")
    db = built(ws, capsys)
    assert actual(db, "K05", 2026) == [(20000.0, False, "kpi/actuals/x.csv", 2)]


# --- the rule's edges (the GX suite alone) ----------------------------------------------------


def scale_frame(rows: list[tuple[str, float, float | None, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "kpi_id": pl.String,
            "value": pl.Float64,
            "base_value": pl.Float64,
            "target_value": pl.Float64,
        },
        orient="row",
    ).with_columns(
        pl.lit("人").alias("unit"),
        pl.lit("x.csv").alias("_file"),
        pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias("_row"),
    )


def failing_rows(rows: list[tuple[str, float, float | None, float | None]]) -> list[int | None]:
    return [e.row for e in validation.validate(scale_frame(rows), validation.plausibility_suite())]


def test_exactly_100_times_the_larger_anchor_passes_and_one_more_fails():
    # K12: base 0, target 20 → at most 2,000.
    assert failing_rows([("K12", 2000, 0, 20), ("K12", 2001, 0, 20)]) == [3]


def test_base_and_target_both_zero_allow_up_to_100_of_the_unit():
    # A KPI keeping zero (maintain 0): the scale is 1, so 100 passes and 101 fails.
    assert failing_rows([("K99", 100, 0, 0), ("K99", 101, 0, 0)]) == [3]


def test_a_decrease_kpi_is_scaled_by_its_base():
    # Base 129 h, target 100 h → at most 12,900.
    assert failing_rows([("K10", 12900, 129, 100), ("K10", 12900.5, 129, 100)]) == [3]


def test_an_unknown_kpi_is_left_to_the_other_checks():
    assert failing_rows([("K77", 1e15, None, None)]) == []


# --- own records: what a day and a month can hold ---------------------------------------------


def mapping_errors(tmp_path: Path, checks: str) -> list[str]:
    text = DAILY.replace("max_hours_per_day = 10\nmax_hours_per_month = 20\n", checks)
    (tmp_path / "mapping.toml").write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(tmp_path / "mapping.toml", "overtime", "overtime/mapping.toml")
    return caught.value.messages


def test_a_daily_limit_above_24_hours_is_refused(tmp_path):
    assert mapping_errors(tmp_path, "max_hours_per_day = 25\n") == [
        "overtime/mapping.toml [checks]: max_hours_per_day = 25 は、ありえない時間です"
        "（1日は24時間）。24 以下の上限を書いてください"
    ]


def test_a_monthly_limit_above_744_hours_is_refused(tmp_path):
    assert mapping_errors(tmp_path, "max_hours_per_month = 1e9\n") == [
        "overtime/mapping.toml [checks]: max_hours_per_month = 1e+09 は、ありえない時間です"
        "（31日の月でも 31 × 24 = 744 時間）。744 以下の上限を書いてください"
    ]


def test_limits_at_the_physical_bounds_are_accepted(tmp_path):
    text = DAILY.replace(
        "max_hours_per_day = 10\nmax_hours_per_month = 20\n",
        "max_hours_per_day = 24\nmax_hours_per_month = 744\n",
    )
    (tmp_path / "mapping.toml").write_text(text, encoding="utf-8")
    checks = load_mapping(tmp_path / "mapping.toml", "overtime", "m").checks
    assert (checks.max_hours_per_day, checks.max_hours_per_month) == (24.0, 744.0)


def test_a_monthly_record_beyond_744_hours_is_refused(tmp_path):
    mapping = DAILY.replace(
        'date = "勤務日"\ndate_unit = "day"', 'date = "対象年月"\ndate_unit = "month"'
    ).replace("max_hours_per_month = 20", "max_hours_per_month = 744")
    data = "対象年月,職員番号,所属,時間外（分）\n2025-04,S001,総務課,44700\n"  # 745 h
    [message] = records_refused(folder_with(tmp_path, mapping, {"m.csv": data}), tmp_path)
    assert "の 2025年04月 の時間外勤務が合計 745.0 時間で、上限 744 時間を超えています" in message


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [
        ("inf", "数量「inf」は有限の数値ではありません"),
        ("nan", "数量「nan」は有限の数値ではありません"),
        ("1e30", "数量 1e+30箱（2.5e+33枚）は大きすぎます。桁の誤りではありませんか"),
    ],
)
def test_a_paper_quantity_beyond_any_count_is_refused_with_its_row(tmp_path, quantity, reason):
    # These crashed the build (OverflowError / ValueError / a polars ComputeError).
    data = PAPER_DATA + f"2025/07/01,総務課,コピー用紙,A4,{quantity},箱,\n"
    [message] = records_refused(
        folder_with(tmp_path, PAPER, {"p.csv": data}, "paper"), tmp_path, "paper"
    )
    assert message.startswith(f"paper/p.csv 7行目 数量列: {reason}")
