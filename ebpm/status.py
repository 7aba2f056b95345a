"""``ebpm status``: KPI progress formatted for people (table) and programs (JSON, CSV).

Formatting only: the rows come from :meth:`ebpm.warehouse.Warehouse.progress_table`.
"""

from __future__ import annotations

import json

import polars as pl

from ebpm.jp import display_width, fiscal_period_label, format_number, format_percent, plain_table
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
    """JSON rows; floats as they are, years as Western start years."""
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
