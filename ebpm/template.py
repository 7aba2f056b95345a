"""The blank Excel template that data stewards copy to enter a year's actuals.

The package ships ``templates/actuals_template.xlsx`` (input sheet, guide, and the example
workspace's KPI list). ``ebpm template`` copies it with the 指標一覧 sheet refilled from the
current workspace's ``kpi_definitions.csv``, so every municipality gets its own KPI list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ebpm import paths
from ebpm.readers import ACTUALS_COLUMNS, STRATEGY_COLUMNS, read_table

__all__ = ["TEMPLATE", "latest_definitions", "make_actuals_template", "write_actuals_template"]

TEMPLATE = Path(__file__).with_name("templates") / "actuals_template.xlsx"

#: Header cells of the template: the Japanese alias of each actuals column.
HEADERS = [column.aliases[1] for column in ACTUALS_COLUMNS]

_HELP = [
    ("列", "入力する内容", "例"),
    ("指標ID", "指標ID（K01〜K15）または公表どおりの指標名", "K09"),
    ("年度", "実績の年度。2025、FY2025、R7、令和7年度 のどれでも可（4月〜翌年3月）", "令和7年度"),
    (
        "実績値",
        "数値だけ（単位は書かない）。5,216,000 や全角数字、△/▲（マイナス）も可",
        "4,500,000",
    ),
    ("標本数", "アンケート指標の回答者数（任意）", "795"),
    ("出典", "数値の出どころ（任意）", "総務課 集計表"),
    ("備考", "補足（任意）", ""),
    ("サンプル", "研修用の架空データなら TRUE、実データなら空欄か FALSE", ""),
    ("", "", ""),
    (
        "保存のしかた",
        "このファイルをコピーして入力し、data/raw/kpi/actuals/ に置いてから ebpm build を実行します。",
        "",
    ),
    ("", "同じフォルダの SOURCES.toml に、ファイル名・作成した課・日付を書き足してください。", ""),
    ("", "誤りがあると、ファイル名・行・列と直し方が表示され、ウェアハウスは更新されません。", ""),
]


KPI_LIST_SHEET = "指標一覧"
KPI_LIST_HEADERS = [
    "指標ID",
    "指標名（公表どおり）",
    "単/累",
    "単位",
    "基準値",
    "基準年度",
    "目標値",
    "目標年度",
]


def _latest_definitions(raw: Path) -> pl.DataFrame:
    """The latest revision of each KPI in ``kpi/kpi_definitions.csv``; ValueError if unreadable."""
    definitions, errors = read_table(
        raw / "kpi" / "kpi_definitions.csv",
        STRATEGY_COLUMNS["kpi_definitions.csv"],
        "kpi/kpi_definitions.csv",
        allow_empty=True,
    )
    if errors:
        raise ValueError(f"{errors[0]}（`ebpm build` ですべての誤りを確かめられます）")
    return definitions.sort("kpi_id", "revision").unique("kpi_id", keep="last", maintain_order=True)


def _fill_kpi_list(sheet: Any, definitions: pl.DataFrame) -> None:
    from ebpm.csvsafe import protect_xlsx_cell

    sheet.append(KPI_LIST_HEADERS)
    for row in definitions.iter_rows(named=True):
        sheet.append(
            [
                row["kpi_id"],
                row["name"],
                row["aggregation_label"],
                row["unit_corrected"] or row["unit"],
                row["base_value"],
                row["base_fy"],
                row["target_value"],
                row["target_fy"],
            ]
        )
    for row in sheet.iter_rows(min_row=2):
        for cell in row:  # a name like 「=…」 from the definitions stays text
            protect_xlsx_cell(cell)
    sheet.column_dimensions["B"].width = 60


def latest_definitions(raw_dir: Path | None = None) -> pl.DataFrame:
    """The latest revision of each KPI of a workspace (the commentary template uses it too)."""
    return _latest_definitions(raw_dir or paths.workspace().raw)


def make_actuals_template(out: Path, raw_dir: Path | None = None) -> Path:
    """Write a fresh template (how the shipped one is made) from ``kpi_definitions.csv``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    definitions = _latest_definitions(raw_dir or paths.workspace().raw)
    book = Workbook()
    sheet = book.active
    sheet.title = "実績"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for letter, width in zip("ABCDEFG", (10, 12, 14, 10, 24, 24, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"

    guide = book.create_sheet("入力方法")
    for row in _HELP:
        guide.append(row)
    guide.column_dimensions["B"].width = 80

    _fill_kpi_list(book.create_sheet(KPI_LIST_SHEET), definitions)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out


def write_actuals_template(out: Path, raw_dir: Path | None = None) -> Path:
    """Copy the shipped template to ``out`` with the workspace's KPI list (refuses to overwrite)."""
    from openpyxl import load_workbook

    if out.exists():
        raise FileExistsError(f"{out} はすでにあります（別の名前を指定してください）")
    definitions = _latest_definitions(raw_dir or paths.workspace().raw)
    book = load_workbook(TEMPLATE)
    del book[KPI_LIST_SHEET]
    _fill_kpi_list(book.create_sheet(KPI_LIST_SHEET), definitions)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out
