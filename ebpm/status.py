"""``ebpm status``: KPI progress formatted for people (table) and programs (JSON, CSV).

Formatting only: the rows come from :meth:`ebpm.warehouse.Warehouse.progress_table`.
"""

from __future__ import annotations

import csv
import io
import json

import polars as pl

from ebpm.cells import safe_cell
from ebpm.jp import (
    display_width,
    fiscal_period_label,
    fiscal_year_label_ja,
    format_number,
    format_percent,
    plain_table,
)
from ebpm.kpi.model import GradeBands
from ebpm.kpi.progress import PROGRESS_COLUMNS

__all__ = ["CSV_HEADERS", "STATUS_COLUMNS", "format_table", "to_csv", "to_json"]

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
    """JSON rows; floats as they are, years as Western start years."""
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
    "実績値（判定に使った値）",
    "判定に使った値の種類",
    "判定に使った年度",
    "回答数",
    "期待値",
    "進捗率",
    "ペース",
    "評価",
    "判定の理由",
    "サンプル",
)
#: Columns written as numbers (never neutralised: a negative pace stays a number).
_CSV_NUMERIC = frozenset({7, 9, 11, 14, 15, 16, 17})
_BASIS = {"single_year": "その年度の値", "cumulative": "累計値", "period_average": "推進期間の平均"}


def _plain(value: float | None) -> str:
    """A number as Excel reads it back as a number: rounded as printed, no separators."""
    return "" if value is None or value != value else format_number(value).replace(",", "")


def _csv_row(row: dict[str, object]) -> list[object]:
    pace = row["pace"]
    return [
        row["kpi_id"],
        row["name"],
        f"分野{row['field_id']} {row['field_name']}",
        f"戦略{row['strategy_id']}",
        "累計" if row["aggregation"] == "cumulative" else "単年度",
        row["unit_corrected"] or row["unit"],
        fiscal_year_label_ja(row["base_fy"]),  # type: ignore[arg-type]
        _plain(row["base_value"]),  # type: ignore[arg-type]
        fiscal_year_label_ja(row["target_fy"]),  # type: ignore[arg-type]
        _plain(row["target_value"]),  # type: ignore[arg-type]
        fiscal_year_label_ja(row["fiscal_year"]),  # type: ignore[arg-type]
        _plain(row["actual"]),  # type: ignore[arg-type]
        _BASIS.get(str(row["actual_basis"]), "実績なし"),
        "・".join(f"{y}年度" for y in row["actual_years"] or []),  # type: ignore[attr-defined]
        "" if row["sample_size"] is None else row["sample_size"],
        _plain(row["expected"]),  # type: ignore[arg-type]
        "" if row["progress"] is None else format_percent(row["progress"]),  # type: ignore[arg-type]
        "" if pace is None else f"{pace:.2f}",
        row["grade"],
        row["reason"],
        "研修用サンプルデータ" if row["is_sample"] else "",
    ]


def to_csv(table: pl.DataFrame) -> str:
    """CSV for Excel: Japanese headers, numbers rounded as printed, years in 和暦 and 西暦.

    Text cells that a spreadsheet would run as a formula are neutralised
    (:func:`ebpm.cells.safe_cell`); numbers stay numbers. The caller adds a BOM when
    writing a file, so Japanese Excel reads it as UTF-8. Programs use ``--format json``.
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


def _cells(row: dict[str, object], name_width: int) -> list[str]:
    judged_on_average = "※" if row["actual_basis"] == "period_average" else ""
    return [
        str(row["kpi_id"]),
        _shorten(str(row["short_name"] or row["name"]), name_width),
        str(row["aggregation_label"]),
        str(row["unit_corrected"] or row["unit"]),
        f"{format_number(row['base_value'], 1)}（{row['base_fy']}）",  # type: ignore[arg-type]
        f"{format_number(row['target_value'], 1)}（{row['target_fy']}）",  # type: ignore[arg-type]
        format_number(row["actual"], 1) + judged_on_average,  # type: ignore[arg-type]
        format_number(row["expected"], 1),  # type: ignore[arg-type]
        format_percent(row["progress"]),  # type: ignore[arg-type]
        format_number(row["pace"], 2),  # type: ignore[arg-type]
        str(row["grade"]) + ("（サンプル）" if row["is_sample"] else ""),
    ]


def _period_note(table: pl.DataFrame) -> str | None:
    """The note on KPIs judged on a promotion-period average, with the period from the data."""
    averaged = table.filter(pl.col("actual_basis") == "period_average")
    if averaged.height == 0:
        return None
    first = averaged.row(0, named=True)
    period = fiscal_period_label(first["promotion_start_fy"], first["promotion_end_fy"])
    return f"※ 推進期間（{period}）の平均で判定する指標は、期間内の実績の平均値を表示しています。"


def format_table(table: pl.DataFrame, *, name_width: int = 28) -> str:
    """A Japanese table for the terminal, with a legend of the grade bands."""
    rows = [_cells(row, name_width) for row in table.iter_rows(named=True)]
    out = [plain_table(_HEADERS, rows, right=_NUMERIC)]
    if table.height:
        first = table.row(0, named=True)
        out += ["", f"{first['fiscal_year']}年度の評価（年度は4月〜翌年3月、開始年の西暦で表示）。"]
        out.append(GradeBands(first["band_on_track"], first["band_mostly"]).describe())
        note = _period_note(table)
        if note:
            out.append(note)
        if table["is_sample"].any():
            out.append("（サンプル）は研修用サンプルデータ（架空の値）による評価です。")
    return "\n".join(out)
