"""Read KPI progress from the warehouse and format it for people and programs."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import polars as pl

from ebpm.jp import format_number, format_percent
from ebpm.kpi import KPI, GradeBands
from ebpm.warehouse import connect

__all__ = [
    "STATUS_COLUMNS",
    "format_table",
    "latest_fiscal_year",
    "load_kpis",
    "progress_table",
    "to_csv",
    "to_json",
]

#: Columns of ``ebpm status --format json|csv``, in order.
STATUS_COLUMNS: tuple[str, ...] = (
    "kpi_id",
    "name",
    "short_name",
    "field_id",
    "field_name",
    "strategy_id",
    "strategy_name",
    "unit",
    "unit_corrected",
    "aggregation",
    "aggregation_label",
    "direction",
    "base_fy",
    "base_value",
    "base_note",
    "target_fy",
    "target_value",
    "target_basis",
    "target_note",
    "is_survey",
    "fiscal_year",
    "actual",
    "actual_basis",
    "actual_years",
    "sample_size",
    "elapsed",
    "expected",
    "progress",
    "pace",
    "grade",
    "reason",
    "band_on_track",
    "band_mostly",
    "is_sample",
)


def latest_fiscal_year(db_path: str | Path | None = None) -> int | None:
    """The latest fiscal year with at least one actual, or ``None``."""
    with connect(db_path) as con:
        return con.sql("SELECT max(fiscal_year) FROM kpi_actual").fetchall()[0][0]


def progress_table(
    fiscal_year: int | None = None, db_path: str | Path | None = None
) -> pl.DataFrame:
    """The ``kpi_progress`` rows of one fiscal year (default: the latest with actuals)."""
    with connect(db_path) as con:
        if fiscal_year is None:
            fiscal_year = con.sql("SELECT max(fiscal_year) FROM kpi_actual").fetchall()[0][0]
        columns = ", ".join(STATUS_COLUMNS)
        return con.sql(
            f"SELECT {columns} FROM kpi_progress WHERE fiscal_year = $fy ORDER BY kpi_id",
            params={"fy": fiscal_year},
        ).pl()


def load_kpis(db_path: str | Path | None = None) -> list[KPI]:
    """The current KPI definitions as typed records."""
    fields = list(KPI.__dataclass_fields__)
    with connect(db_path) as con:
        rows = con.sql(f"SELECT {', '.join(fields)} FROM kpi_current ORDER BY kpi_id").pl()
    return [KPI(**row) for row in rows.to_dicts()]


def to_json(table: pl.DataFrame) -> str:
    """JSON rows; floats as they are, years as Western start years."""
    return json.dumps(table.to_dicts(), ensure_ascii=False, indent=2)


def to_csv(table: pl.DataFrame) -> str:
    """CSV text (the caller adds a BOM when writing a file for Excel)."""
    return table.with_columns(
        pl.col("actual_years").list.eval(pl.element().cast(pl.String)).list.join(";")
    ).write_csv()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def format_table(table: pl.DataFrame, *, name_width: int = 28) -> str:
    """A Japanese table for the terminal, with a legend of the grade bands."""
    headers = [
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
    ]
    lines: list[list[str]] = []
    for row in table.iter_rows(named=True):
        name = row["short_name"] or row["name"]
        if _width(name) > name_width:
            while _width(name) > name_width - 1:
                name = name[:-1]
            name += "…"
        unit = row["unit_corrected"] or row["unit"]
        lines.append(
            [
                row["kpi_id"],
                name,
                row["aggregation_label"],
                unit,
                f"{format_number(row['base_value'], 1)}（{row['base_fy']}）",
                f"{format_number(row['target_value'], 1)}（{row['target_fy']}）",
                format_number(row["actual"], 1)
                + ("※" if row["actual_basis"] == "period_average" else ""),
                format_number(row["expected"], 1),
                format_percent(row["progress"]),
                format_number(row["pace"], 2),
                row["grade"] + ("（サンプル）" if row["is_sample"] else ""),
            ]
        )
    widths = [
        max(_width(h), *(_width(r[i]) for r in lines)) if lines else _width(h)
        for i, h in enumerate(headers)
    ]
    numeric = {4, 5, 6, 7, 8, 9}
    out = ["  ".join(_pad(h, widths[i], i in numeric) for i, h in enumerate(headers))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(_pad(c, widths[i], i in numeric) for i, c in enumerate(r)) for r in lines]
    if table.height:
        fy = table["fiscal_year"][0]
        first = table.row(0, named=True)
        out.append("")
        out.append(f"{fy}年度の評価（年度は4月〜翌年3月、開始年の西暦で表示）。")
        bands = GradeBands(first["band_on_track"], first["band_mostly"])
        out.append(bands.describe())
        if table.filter(pl.col("actual_basis") == "period_average").height:
            out.append(
                "※ 推進期間（2025〜2027年度）の平均で判定する指標は、期間内の実績の平均値を表示しています。"
            )
        if table["is_sample"].any():
            out.append("（サンプル）は研修用サンプルデータ（架空の値）による評価です。")
    return "\n".join(out)
