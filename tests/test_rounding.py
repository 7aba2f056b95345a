"""The rounding rule: half-up on decimal values, fixed decimals per column, published precision."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ebpm.jp import decimal_places, format_fixed, format_percent, round_half_up
from ebpm.kpi import format_progress
from ebpm.readers import STRATEGY_COLUMNS, read_actuals, read_table
from ebpm.warehouse import progress_table


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (0.475, 2, "0.48"),  # the binary float is 0.47499999…; the decimal value rounds up
        (1.0, 2, "1.00"),  # a column keeps its decimals
        (0.7, 2, "0.70"),
        (-0.125, 2, "-0.13"),  # half away from zero
        (-0.0004, 2, "0.00"),  # never "-0.00"
        (4_434_000.0, 1, "4,434,000.0"),
        (2.675, 2, "2.68"),  # Python's round() gives 2.67
    ],
)
def test_format_fixed_is_half_up_with_fixed_decimals(value, digits, shown):
    assert format_fixed(value, digits) == shown


def test_percent_rounds_the_decimal_value():
    assert format_percent(0.2375) == "23.8%"  # f"{0.2375:.1%}" gives 23.7%
    assert format_percent(0.458) == "45.8%"
    assert str(round_half_up(23.75, 1)) == "23.8"


@pytest.mark.parametrize(
    ("text", "places"),
    [("26.0", 1), ("48.00", 2), ("5,216,000", 0), ("４８．０", 1), ("△1.50", 2), ("－", None)],
)
def test_published_decimals_are_read_from_the_text(text, places):
    assert decimal_places(text) == places


def test_reader_records_the_published_decimals(tmp_path: Path):
    raw = tmp_path / "raw"
    (raw / "kpi" / "actuals").mkdir(parents=True)
    path = raw / "kpi" / "actuals" / "a.csv"
    path.write_text(
        'kpi_id,fiscal_year,value\nK02,2025,48.0\nK09,2025,"4,500,000"\nK10,2025,120.25\n',
        encoding="utf-8",
    )
    frame, errors = read_actuals([path], raw)
    assert not errors
    assert frame["value"].to_list() == [48.0, 4_500_000.0, 120.25]
    assert frame["value_decimals"].to_list() == [1, 0, 2]
    definitions, errors = read_table(
        Path(__file__).parents[1] / "data" / "raw" / "kpi" / "kpi_definitions.csv",
        STRATEGY_COLUMNS["kpi_definitions.csv"],
        "kpi/kpi_definitions.csv",
    )
    assert not errors
    k11 = definitions.row(by_predicate=pl.col("kpi_id") == "K11", named=True)
    assert (k11["base_value"], k11["base_value_decimals"], k11["target_value_decimals"]) == (
        26.0,
        1,
        1,
    )


def test_warehouse_rows_keep_published_precision(built_db):
    rows = {r["kpi_id"]: r for r in progress_table(2025, built_db).to_dicts()}
    k11, k02 = format_progress(rows["K11"]), format_progress(rows["K02"])
    assert (k11.base, k11.target) == ("26.0", "90.0")  # not 26 / 90
    assert (k02.actual, k02.progress, k02.pace) == ("48.0", "23.8%", "0.48")
    k09 = format_progress(rows["K09"])
    assert (k09.base, k09.actual, k09.expected) == ("5,216,000", "4,500,000", "4,434,000.0")
