"""Write the messy example files of lesson 15 (研修用サンプルデータ, all values fictional).

    .venv/bin/python scripts/make_lesson_data.py      # writes notebooks/data/

Lesson 15 teaches reading a department's own files. These two files imitate what staff keep,
with every mess the lesson must handle, and nothing in them is a real figure of 大船渡市:

``サンプル_窓口申請件数.xlsx`` (a 市民課 style monthly sheet, April 2023 – March 2026)
  * a title and a 作成課 line above the table, a blank line, then a header merged over two rows
    (「申請件数」 over 「窓口」「オンライン」; 「年月」「合計」「前年同月差（合計）」 merged down);
  * 年月 written five ways in turn: 令和5年4月, R5.5, 2023年6月, Ｒ５．７, 令和5年 8月;
  * numbers as Excel numbers, as text with separators (「1,234」) and in full-width digits;
  * 「－」 for the two months before online applications started (April–May 2023);
  * 前年同月差 with △ for a decrease and 「…」 in the first year;
  * one cell with a unit typed in: 「115件」 (令和6年9月, オンライン) — the error the lesson finds;
  * （注） and 出典 lines under the table.
  Counts: 窓口 about 820 a month with a March–April peak (転入・転出), drifting down 0.5 % a
  month; オンライン from about 60 in June 2023 growing 4 % a month; Poisson noise.

``サンプル_研修受講記録.csv`` (CP932, one row per attendance, FY2024)
  * 職員番号 (pseudonyms S001…), 所属 (8 departments, three with fewer than 10 people), 受講月
    (和暦 in mixed forms), 研修名 (with ① ② that exist only in CP932), 受講時間 (some in
    full-width digits), 理解度 (1–5). It is about people: lesson 15 aggregates it only through
    :mod:`ebpm.disclosure`.

Both files are generated from SEED; the test suite regenerates them and compares their content.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks" / "data"
SEED = 20260515
APPLICATIONS = "サンプル_窓口申請件数.xlsx"
TRAINING = "サンプル_研修受講記録.csv"
MONTHS = [(2023 + (m + 3) // 12, (m + 3) % 12 + 1) for m in range(36)]  # 2023-04 … 2026-03
BROKEN = (2024, 9)  # the month whose オンライン cell reads 「126件」
FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


def _wareki(year: int, month: int, style: int) -> str:
    era = year - 2018
    return [
        f"令和{era}年{month}月",
        f"R{era}.{month}",
        f"{year}年{month}月",
        f"R{era}.{month}".translate(FULL_WIDTH).replace("R", "Ｒ"),
        f"令和{era}年 {month}月",
    ][style % 5]


def application_counts(seed: int = SEED) -> list[dict[str, object]]:
    """The monthly counts behind the sheet (numbers, before they are written messily)."""
    rng = np.random.default_rng(seed)
    rows = []
    for index, (year, month) in enumerate(MONTHS):
        season = 1.25 if month in (3, 4) else 1.0
        counter = int(rng.poisson(820 * season * 0.995**index))
        online = None if index < 2 else int(rng.poisson(60 * 1.04 ** (index - 2)))
        rows.append({"year": year, "month": month, "counter": counter, "online": online})
    return rows


def _cell_number(value: int, style: int) -> object:
    if style % 4 == 1:
        return f"{value:,}"
    if style % 4 == 3:
        return str(value).translate(FULL_WIDTH)
    return value


def write_applications(path: Path, seed: int = SEED) -> None:
    import openpyxl

    counts = application_counts(seed)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "申請件数"
    sheet["A1"] = "窓口・オンライン申請件数（月別）【研修用サンプルデータ（架空の値）】"
    sheet["A2"] = "市民課 作成"
    sheet["A4"], sheet["B4"], sheet["D4"], sheet["E4"] = (
        "年月",
        "申請件数",
        "合計",
        "前年同月差（合計）",
    )
    sheet["B5"], sheet["C5"] = "窓口", "オンライン"
    for merged in ("A4:A5", "B4:C4", "D4:D5", "E4:E5"):
        sheet.merge_cells(merged)
    totals: dict[tuple[int, int], int] = {}
    for index, row in enumerate(counts):
        year, month = row["year"], row["month"]
        total = row["counter"] + (row["online"] or 0)
        totals[(year, month)] = total
        excel_row = 6 + index
        online: object = "－" if row["online"] is None else _cell_number(row["online"], index + 2)
        if (year, month) == BROKEN:
            online = f"{row['online']}件"
        previous = totals.get((year - 1, month))
        if previous is None:
            change: object = "…"
        else:
            diff = total - previous
            change = f"△{abs(diff):,}" if diff < 0 else diff
        values = [
            _wareki(year, month, index),
            _cell_number(row["counter"], index),
            online,
            total,
            change,
        ]
        for col, value in enumerate(values, start=1):
            sheet.cell(excel_row, col, value)
    last = 6 + len(counts)
    sheet.cell(last + 1, 1, "（注）オンライン申請は令和5年6月に受付開始。「－」は受付前。")
    sheet.cell(last + 2, 1, "（注）前年同月差の△は減少。")
    sheet.cell(last + 3, 1, "出典：市民課調べ（研修用サンプルデータ、架空の値）")
    fixed = dt.datetime(2026, 5, 15, 9, 0, 0)
    book.properties.created = book.properties.modified = fixed
    book.properties.creator = "ebpm scripts/make_lesson_data.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


_DEPARTMENTS = [
    ("総務課", 22), ("税務課", 26), ("保健福祉課", 30), ("建設課", 24),
    ("市民環境課", 20), ("会計課", 6), ("防災管理室", 5), ("デジタル戦略課", 7),
]  # fmt: skip
_COURSES = [
    ("DX基礎研修①", 3.0),
    ("DX基礎研修②", 3.0),
    ("生成AI活用研修", 1.5),
    ("データ分析研修", 6.0),
]


def training_rows(seed: int = SEED) -> list[dict[str, object]]:
    """The attendance records (values before they are written messily)."""
    rng = np.random.default_rng(seed + 1)
    rows = []
    number = 0
    for department, size in _DEPARTMENTS:
        for _ in range(size):
            number += 1
            staff = f"S{number:03d}"
            taken = rng.choice(len(_COURSES), size=int(rng.integers(1, 4)), replace=False)
            for course in sorted(taken):
                name, hours = _COURSES[course]
                month = int(rng.integers(4, 16))  # fiscal months April … March of FY2024
                year, month = (2024, month) if month <= 12 else (2025, month - 12)
                rows.append(
                    {
                        "職員番号": staff,
                        "所属": department,
                        "year": year,
                        "month": month,
                        "研修名": name,
                        "受講時間": hours,
                        "理解度": int(rng.integers(2, 6)),
                    }
                )
    return rows


def write_training(path: Path, seed: int = SEED) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["職員番号", "所属", "受講月", "研修名", "受講時間", "理解度"])
    for index, row in enumerate(training_rows(seed)):
        hours = f"{row['受講時間']:.1f}"
        if index % 3 == 1:
            hours = hours.translate(FULL_WIDTH)
        writer.writerow(
            [
                row["職員番号"],
                row["所属"],
                _wareki(row["year"], row["month"], index),
                row["研修名"],
                hours,
                row["理解度"],
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode("cp932"))


def main(out: Path = OUT) -> list[Path]:
    written = [out / APPLICATIONS, out / TRAINING]
    write_applications(written[0])
    write_training(written[1])
    return written


if __name__ == "__main__":
    for file in main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(f"wrote {file.relative_to(ROOT) if file.is_relative_to(ROOT) else file}")
