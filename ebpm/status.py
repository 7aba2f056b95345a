"""``ebpm status``: KPI progress formatted for people (table) and programs (JSON, CSV).

Formatting only: the rows come from :meth:`ebpm.warehouse.Warehouse.progress_table` and
every number is printed by :func:`ebpm.kpi.format_progress` (half-up rounding, fixed
decimals per column, published precision), so the table, the charts and the report agree.
JSON and CSV carry the unrounded values for programs, with the decimals to show them.
"""

from __future__ import annotations

import json

import polars as pl

from ebpm.jp import display_width, plain_table
from ebpm.kpi import NEUTRAL, PERIOD_AVERAGE_RULE, SURVEY_RULE, format_progress
from ebpm.kpi.grades import GRADE_STYLES
from ebpm.kpi.model import GradeBands
from ebpm.kpi.progress import PROGRESS_COLUMNS

__all__ = ["STATUS_COLUMNS", "format_table", "to_csv", "to_json"]

#: Columns of ``ebpm status --format json|csv``, in order.
STATUS_COLUMNS: tuple[str, ...] = PROGRESS_COLUMNS

_HEADERS = (
    "ID",
    "指標名",
    "単/累",
    "単位",
    "基準値",
    "目標値",
    "実績値",
    "期待値",
    "進捗率",
    "ペース",
    "評価",
)
_NUMERIC = {4, 5, 6, 7, 8, 9}


def to_json(table: pl.DataFrame) -> str:
    """JSON rows; floats as they are (unrounded), years as Western start years."""
    return json.dumps(table.to_dicts(), ensure_ascii=False, indent=2)


def to_csv(table: pl.DataFrame) -> str:
    """CSV text (the caller adds a BOM when writing a file for Excel)."""
    return table.with_columns(
        pl.col("actual_years").list.eval(pl.element().cast(pl.String)).list.join(";")
    ).write_csv()


def _shorten(name: str, width: int) -> str:
    if display_width(name) <= width:
        return name
    while display_width(name) > width - 1:
        name = name[:-1]
    return name + "…"


def _cells(row: dict[str, object], name_width: int, mark: str) -> list[str]:
    text = format_progress(row)
    return [
        str(row["kpi_id"]),
        _shorten(str(row["short_name"] or row["name"]), name_width),
        str(row["aggregation_label"]),
        text.unit,
        f"{text.base}（{row['base_fy']}）",
        f"{text.target}（{row['target_fy']}）",
        text.actual + mark,
        text.expected,
        text.progress,
        text.pace,
        text.grade_label + ("（サンプル）" if row["is_sample"] else ""),
    ]


def _legend() -> str:
    """The grade symbols, so a greyscale print or a colour-blind reader needs no colour."""
    return "記号：" + "、".join(f"{s.symbol} {g}" for g, s in GRADE_STYLES.items()) + "。"


def format_table(table: pl.DataFrame, *, name_width: int = 28) -> str:
    """A Japanese table for the terminal, with the grade bands and a note per special KPI.

    The 実績値 column is always the year's own actual; a ※ number points to the note that
    says what the grade was judged on (a period average, a survey share with its sampling
    error, a corrected unit).
    """
    rows: list[list[str]] = []
    notes: list[str] = []
    for row in table.iter_rows(named=True):
        row_notes = format_progress(row).notes
        mark = f"※{len(notes) + 1}" if row_notes else ""
        if row_notes:
            notes.append(f"{mark} " + "".join(row_notes))
        rows.append(_cells(row, name_width, mark))
    out = [plain_table(_HEADERS, rows, right=_NUMERIC)]
    if table.height:
        first = table.row(0, named=True)
        out += ["", f"{first['fiscal_year']}年度の評価（年度は4月〜翌年3月、開始年の西暦で表示）。"]
        out.append(GradeBands(first["band_on_track"], first["band_mostly"]).describe())
        out.append(_legend())
        out += notes
        if (table["actual_basis"] == "period_average").any():
            out.append(PERIOD_AVERAGE_RULE)
        if table["is_survey"].any() and (table["grade"] == NEUTRAL).any():
            out.append(SURVEY_RULE)
        if table["is_sample"].any():
            out.append("（サンプル）は研修用サンプルデータ（架空の値）による評価です。")
    return "\n".join(out)
