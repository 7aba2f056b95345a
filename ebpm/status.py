"""``ebpm status``: KPI progress formatted for people (table) and programs (JSON, CSV).

Formatting only: the rows come from :meth:`ebpm.warehouse.Warehouse.progress_table` and
every number is printed by :func:`ebpm.kpi.format_progress` (half-up rounding, fixed
decimals per column, published precision), so the table, the CSV for Excel, the charts and
the report agree. JSON carries the unrounded values for programs, with the decimals to
show them.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import polars as pl

from ebpm.csvsafe import safe_cell
from ebpm.jp import display_width, fiscal_year_label_ja, plain_table
from ebpm.kpi import NEUTRAL, PERIOD_AVERAGE_RULE, SURVEY_RULE, format_progress
from ebpm.kpi.grades import grade_legend
from ebpm.kpi.model import GradeBands
from ebpm.kpi.progress import PROGRESS_COLUMNS

__all__ = ["CSV_HEADERS", "STATUS_COLUMNS", "format_table", "to_csv", "to_json"]

#: Columns of ``ebpm status --format json``, in order (the CSV has :data:`CSV_HEADERS`).
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


#: The columns of ``ebpm status --format csv``: Japanese headers for Excel.
CSV_HEADERS: tuple[str, ...] = (
    "指標ID",
    "指標名",
    "分野",
    "戦略",
    "単/累",
    "単位",
    "基準年度",
    "基準値",
    "目標年度",
    "目標値",
    "評価年度",
    "実績値",
    "期間平均",
    "判定に使った値の種類",
    "判定に使った年度",
    "回答数",
    "95%信頼区間（下限）",
    "95%信頼区間（上限）",
    "期待値",
    "期待値の期間平均",
    "進捗率",
    "ペース",
    "評価",
    "計算上の評価",
    "判定の理由",
    "注",
    "サンプル",
)
#: Columns written as numbers (never neutralised: a negative pace stays a number).
_CSV_NUMERIC = frozenset(
    CSV_HEADERS.index(h)
    for h in (
        "基準値",
        "目標値",
        "実績値",
        "期間平均",
        "回答数",
        "95%信頼区間（下限）",
        "95%信頼区間（上限）",
        "期待値",
        "期待値の期間平均",
        "進捗率",
        "ペース",
    )
)
_BASIS = {"single_year": "その年度の値", "cumulative": "累計値", "period_average": "推進期間の平均"}


def _plain(text: str | None) -> str:
    """A number as printed (:func:`ebpm.kpi.format_progress`) without separators, so
    Excel reads it back as a number; empty when missing."""
    return "" if text is None or text == "−" else text.replace(",", "")


def _csv_row(row: dict[str, Any]) -> list[object]:
    text = format_progress(row)
    ci = text.ci.removesuffix("%").split("〜") if text.ci else ["", ""]
    return [
        row["kpi_id"],
        row["name"],
        f"分野{row['field_id']} {row['field_name']}",
        f"戦略{row['strategy_id']}",
        "累計" if row["aggregation"] == "cumulative" else "単年度",
        text.unit,
        fiscal_year_label_ja(row["base_fy"]),
        _plain(text.base),
        fiscal_year_label_ja(row["target_fy"]),
        _plain(text.target),
        fiscal_year_label_ja(row["fiscal_year"]),
        _plain(text.actual),
        _plain(text.period_average),
        _BASIS.get(str(row["actual_basis"]), "実績なし"),
        "・".join(f"{y}年度" for y in row["actual_years"] or []),
        _plain(text.sample_size),
        _plain(ci[0]),
        _plain(ci[1]),
        _plain(text.expected),
        _plain(text.expected_period_average),
        _plain(text.progress),
        _plain(text.pace),
        text.grade,
        text.formula_grade if text.formula_grade != text.grade else "",
        row["reason"],
        "".join(text.notes),
        "研修用サンプルデータ" if row["is_sample"] else "",
    ]


def to_csv(table: pl.DataFrame) -> str:
    """CSV for Excel: Japanese headers, numbers as printed, years in 和暦 and 西暦.

    Every number is the text :func:`ebpm.kpi.format_progress` prints (half-up, fixed
    decimals per column, published precision) without thousands separators, so Excel reads
    it as a number and shows what the table shows. 実績値 is the year's own value; a
    period-average KPI has its 期間平均 and 期待値の期間平均 beside it; survey KPIs their
    回答数 and 95% interval. Text cells that a spreadsheet would run as a formula are
    neutralised (:func:`ebpm.csvsafe.safe_cell`). The caller adds a BOM when writing a file,
    so Japanese Excel reads it as UTF-8. Programs use ``--format json`` (unrounded values
    with their ``*_decimals``).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for row in table.iter_rows(named=True):
        cells = _csv_row(row)
        writer.writerow([c if i in _CSV_NUMERIC else safe_cell(c) for i, c in enumerate(cells)])
    return out.getvalue()


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
        out.append(grade_legend())
        out += notes
        if (table["actual_basis"] == "period_average").any():
            out.append(PERIOD_AVERAGE_RULE)
        if table["is_survey"].any() and (table["grade"] == NEUTRAL).any():
            out.append(SURVEY_RULE)
        if table["is_sample"].any():
            out.append("（サンプル）は研修用サンプルデータ（架空の値）による評価です。")
    return "\n".join(out)
