"""Range checks on numbers: GX compares a column given as plain doubles in one step; every
value it would have refused one by one is still refused, at its row."""

from __future__ import annotations

import polars as pl

from ebpm.validation import Suite, _between, _plain_numbers, validate


def _rows(frame: pl.DataFrame, low: float | None, high: float | None) -> list[tuple[str, int]]:
    suite = Suite("t", [_between("v", low, high, "範囲外")])
    return [(e.message, e.row) for e in validate(frame, suite)]


def _frame(values: list[object], dtype: pl.DataType) -> pl.DataFrame:
    return pl.DataFrame(
        {"v": pl.Series(values, dtype=dtype), "_file": "t.csv", "_row": range(1, len(values) + 1)}
    )


def test_a_float_out_of_range_is_reported_and_a_blank_is_not() -> None:
    frame = _frame([0.5, None, 1.5, -0.1], pl.Float64)  # rows 3 and 4 lie outside 0–1
    assert _plain_numbers(frame, "v") is not None
    assert _rows(frame, 0, 1) == [("「1.5」: 範囲外", 3), ("「-0.1」: 範囲外", 4)]


def test_a_nan_is_refused_not_skipped_as_a_blank() -> None:
    frame = _frame([0.5, float("nan"), None], pl.Float64)  # NaN is a value, not a blank
    assert _plain_numbers(frame, "v") is None
    assert _rows(frame, 0, 1) == [("「nan」: 範囲外", 2)]


def test_integers_with_blanks_are_compared_exactly() -> None:
    frame = _frame([None, 130_000_001, 7], pl.Int64)  # 130,000,001 is 1 over the bound
    assert _plain_numbers(frame, "v") is not None
    assert _rows(frame, 0, 130_000_000) == [("「130000001」: 範囲外", 2)]


def test_integers_beyond_two_to_the_53_stay_exact() -> None:
    # 2**53 + 1 becomes 2**53 as a double and would pass a bound of 2**53; compared as the
    # integer it is, it is one over.
    frame = _frame([2**53 + 1, 1], pl.Int64)
    assert _plain_numbers(frame, "v") is None
    assert _rows(frame, None, 2**53) == [(f"「{2**53 + 1}」: 範囲外", 1)]
