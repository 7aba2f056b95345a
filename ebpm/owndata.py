"""A department's own Excel/CSV: read it, check it, analyse it, hand the result back in Excel.

The files staff keep are rarely tidy: a title above the header, a header merged over two rows,
年月 written as 「令和6年4月」「R6.5」「2024年6月」, numbers as 「1,234」「１２３」「△5」, a unit typed
into a cell (「126件」), notes and 出典 under the table, CP932 CSV from Excel. This module is the
thin layer the course (lesson 15) and planners use on such files; it is built on the project's
readers rather than copying them:

* :func:`read_own_table` is :func:`ebpm.govtables.read_gov_table` (layout, merged headers,
  encodings, △ and 「－」) keeping the sheet's row numbers, so that problems can name the row;
* :func:`to_numbers` converts the columns that should be numbers with
  :func:`ebpm.jp.number_parts` and lists every cell that is not a number as an
  :class:`ebpm.readers.InputError` (file, row, column, value, fix) instead of dropping it;
* :func:`parse_months` reads 年月 in 和暦 or 西暦 with :func:`ebpm.jp.parse_fiscal_year` for the
  era year and adds 年度 and 年度の月 as :func:`ebpm.analysis.add_fiscal_columns` does;
* :func:`to_excel` writes a table to an .xlsx that Japanese Excel opens as intended (numbers
  as numbers with separators, codes and text as text, never a formula, the 出典 and （注） under
  the table) and refuses a table about people that did not go through :mod:`ebpm.disclosure`;
* :func:`provenance_of` describes the file (title, publisher, SHA-256 …) so that
  :func:`ebpm.source_line` writes its 出典 line like for every warehouse file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ebpm import jp
from ebpm.readers import InputError

if TYPE_CHECKING:
    import polars as pl

    from ebpm.manifest import Provenance

__all__ = [
    "ROW",
    "parse_month",
    "parse_months",
    "provenance_of",
    "read_own_table",
    "to_excel",
    "to_numbers",
]

#: The column :func:`read_own_table` adds: the row number as Excel shows it.
ROW = "行"
_MONTH = re.compile(
    r"^(?P<year>.+?)[年./／\-]\s*(?P<month>\d{1,2})\s*月?(?:[./／\-]\s*(?P<day>\d{1,2})\s*日?)?$"
)
_CODE_NAME = re.compile(r"(?i)コード|code|番号|_id$|^id$")
_MAX_LISTED = 50


def read_own_table(
    path: str | Path,
    *,
    header_label: str,
    sheet: str | int | None = None,
    header_rows: int | None = None,
) -> pl.DataFrame:
    """Read a department's Excel or CSV file; every column named from its (merged) header.

    Same layout rules as :func:`ebpm.govtables.read_gov_table` (see there); the last column
    :data:`ROW` holds each row's number in the sheet. Columns whose every cell is a number
    (or 「－」「…」) are converted already; the others stay text for :func:`to_numbers`.

    Raises
    ------
    ValueError
        In Japanese, naming the file and what to change.
    """
    from ebpm.govtables import read_gov_table

    return read_gov_table(
        path, header_label=header_label, sheet=sheet, header_rows=header_rows, row_column="行"
    )


def to_numbers(
    table: pl.DataFrame,
    columns: Sequence[str],
    *,
    label: str,
    corrections: Mapping[tuple[int, str], float] | None = None,
) -> tuple[pl.DataFrame, list[InputError]]:
    """Convert ``columns`` to numbers; list each cell that is not a number with its fix.

    「1,234」「１２３」「△5」 are numbers; blank, 「－」「…」「x」 become null (no value);
    anything else (「126件」) becomes null *and* an error naming file, row and column.
    ``corrections`` maps (row, column) to the value the department confirmed for a cell
    that was wrong in the file; report them in the （注） of whatever you publish.

    Returns
    -------
    (table, errors)
        The table with those columns as Float64, and the problems (empty when clean).
    """
    import polars as pl

    missing = [c for c in columns if c not in table.columns]
    if missing:
        listed = "、".join(c for c in table.columns if c != ROW)
        raise ValueError(f"{label}: 列「{'」「'.join(missing)}」がありません（今ある列：{listed}）")
    fixes = dict(corrections or {})
    errors: list[InputError] = []
    converted = []
    for column in columns:
        text = pl.col(column).cast(pl.String)
        placeholder, is_number, value = jp.number_parts(text)
        checked = table.select(
            pl.col(ROW) if ROW in table.columns else pl.int_range(2, table.height + 2).alias(ROW),
            text.alias("raw"),
            (~placeholder & ~is_number).alias("bad"),
            value.alias("value"),
        )
        fixed = [fixes.get((row, column)) for row in checked[ROW].to_list()]
        for row, raw, bad, fix in zip(
            checked[ROW].to_list(),
            checked["raw"].to_list(),
            checked["bad"].to_list(),
            fixed,
            strict=True,
        ):
            if bad and fix is None and len(errors) < _MAX_LISTED:
                errors.append(
                    InputError(
                        label,
                        f"「{raw}」を数値に変換できません（単位や文字は書かずに数値だけを入力してください。"
                        "値がないときは「－」か空欄にします）",
                        row,
                        column,
                    )
                )
        numbers = pl.Series(
            column,
            [
                float(f) if f is not None else v
                for f, v in zip(fixed, checked["value"].to_list(), strict=True)
            ],
            dtype=pl.Float64,
        )
        converted.append(numbers)
    return table.with_columns(converted), errors


def parse_month(value: object) -> dt.date:
    """The first day of the month written as 和暦 or 西暦 年月.

    >>> parse_month("令和6年4月"), parse_month("R6.5"), parse_month("Ｈ３１．３")
    (datetime.date(2024, 4, 1), datetime.date(2024, 5, 1), datetime.date(2019, 3, 1))
    >>> parse_month("令和元年5月"), parse_month("2024年6月"), parse_month("2024-07-01")
    (datetime.date(2019, 5, 1), datetime.date(2024, 6, 1), datetime.date(2024, 7, 1))

    Raises
    ------
    ValueError
        In Japanese when the text is not a year and month.
    """
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = unicodedata.normalize("NFKC", str(value or "")).strip().replace(" ", "")
    match = _MONTH.match(text)
    problem = f"「{value}」は年月として読めません（令和6年4月、R6.4、2024年4月 のように年と月を書いてください）"
    if not match:
        raise ValueError(problem)
    try:
        year = jp.parse_fiscal_year(match["year"])  # the era-year part: 令和6 → 2024
    except ValueError:
        raise ValueError(problem) from None
    month = int(match["month"])
    if not 1 <= month <= 12:
        raise ValueError(f"「{value}」の月（{month}）が1〜12の範囲にありません")
    return dt.date(year, month, 1)


def parse_months(
    table: pl.DataFrame, column: str, *, label: str
) -> tuple[pl.DataFrame, list[InputError]]:
    """Add ``年月日`` (first day of the month), ``fiscal_year`` and ``fiscal_month`` from a 年月 column.

    Cells that are not a year and month become null and an :class:`InputError` each.
    """
    import polars as pl

    from ebpm import analysis

    if column not in table.columns:
        raise ValueError(f"{label}: 列「{column}」がありません")
    rows = table[ROW].to_list() if ROW in table.columns else list(range(2, table.height + 2))
    dates: list[dt.date | None] = []
    errors: list[InputError] = []
    for row, value in zip(rows, table[column].to_list(), strict=True):
        try:
            dates.append(parse_month(value))
        except ValueError as error:
            dates.append(None)
            errors.append(InputError(label, str(error), row, column))
    with_dates = table.with_columns(pl.Series("年月日", dates, dtype=pl.Date))
    return analysis.add_fiscal_columns(with_dates, "年月日"), errors


def provenance_of(
    path: str | Path,
    *,
    title: str,
    publisher: str,
    licence: str = "庁内資料",
    retrieved_at: dt.date | None = None,
    is_sample: bool = False,
    processing: str | None = None,
) -> Provenance:
    """Describe a department's file so that :func:`ebpm.source_line` can credit it.

    ``retrieved_at`` defaults to the file's modification date; the SHA-256 and size are read
    from the file, so a chart's 出典 can be traced back to exactly this version.
    """
    from ebpm.manifest import Provenance, file_sha256

    file = Path(path)
    if not file.is_file():
        raise ValueError(f"ファイル {file} がありません（パスを確かめてください）")
    when = retrieved_at or dt.date.fromtimestamp(file.stat().st_mtime)
    return Provenance(
        path=file.name,
        sha256=file_sha256(file),
        size_bytes=file.stat().st_size,
        title=title,
        publisher=publisher,
        licence=licence,
        retrieved_at=when,
        is_sample=is_sample,
        processing=processing,
    )


# ----------------------------------------------------------------------------- Excel


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def _number_format(values: list[Any], decimals: int | None) -> str:
    if decimals is None:
        fractional = [v for v in values if isinstance(v, float) and not float(v).is_integer()]
        decimals = (
            0 if not fractional else min(max(len(repr(v).split(".")[1]) for v in fractional), 2)
        )
    return "#,##0" if decimals == 0 else "#,##0." + "0" * decimals


def _checked_excel_target(path: str | Path, source: str) -> Path:
    """The .xlsx path, once the name and the 出典 are known to be there."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ValueError(f"保存先は .xlsx で指定してください：{target.name}")
    if not str(source or "").strip():
        raise ValueError("出典（source）を指定してください。表には必ず出典を付けます。")
    return target


def _hidden_rows(table: pl.DataFrame, about_people: bool) -> list[bool]:
    """Which rows disclosure suppressed; a table about people must have been through it."""
    if not about_people:
        return [False] * table.height
    if "suppressed" not in table.columns:
        raise ValueError(
            "人についての表は、disclosure.safe_aggregate で小さな区分を秘匿してから書き出してください"
            "（10人未満の区分がそのまま公表されるのを防ぐためです）。人についての表でなければ about_people=False にします。"
        )
    return table["suppressed"].to_list()


def _write_heading(sheet: Any, title: str | None, is_sample: bool) -> int:
    """The title and the sample notice above the table; returns the header's row."""
    from openpyxl.styles import Font

    from ebpm.csvsafe import protect_xlsx_cell

    row = 1
    if title:
        sheet.cell(row, 1, title).font = Font(name="游ゴシック", size=12, bold=True)
        protect_xlsx_cell(sheet.cell(row, 1))  # a title or header from input is never a formula
        row += 2 if not is_sample else 1
    if is_sample:
        sheet.cell(row, 1, "【研修用サンプルデータ（架空の値）】").font = _bold_font()
        row += 2
    return row


def _body_font() -> Any:
    from openpyxl.styles import Font

    return Font(name="游ゴシック", size=11)


def _bold_font() -> Any:
    from openpyxl.styles import Font

    return Font(name="游ゴシック", size=11, bold=True)


def _write_header(sheet: Any, header_row: int, columns: list[str]) -> None:
    from openpyxl.styles import Alignment, PatternFill

    from ebpm.csvsafe import protect_xlsx_cell

    fill = PatternFill("solid", fgColor="DDEBF7")
    for col, name in enumerate(columns, start=1):
        cell = sheet.cell(header_row, col, name)
        protect_xlsx_cell(cell)
        cell.font, cell.fill = _bold_font(), fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _write_value(cell: Any, value: Any, *, hidden: bool, group: bool, number_format: str) -> None:
    """One body cell: 「x」 when hidden, dates as dates, groups and text as text, numbers formatted."""
    from openpyxl.styles import Alignment

    from ebpm.disclosure import SUPPRESSED_MARK

    if hidden and not group:
        cell.value = SUPPRESSED_MARK
        cell.alignment = Alignment(horizontal="right")
    elif isinstance(value, dt.date | dt.datetime):
        cell.value = value
        cell.number_format = "yyyy/m/d"
    elif value is None:
        cell.value = None
    elif group or isinstance(value, str):
        cell.value = str(value)
        cell.data_type = "s"  # text stays text: no formula, no lost leading zero
    else:
        cell.value = value
        cell.number_format = number_format
    cell.font = _body_font()


def _write_body(
    sheet: Any,
    shown: pl.DataFrame,
    header_row: int,
    hidden: list[bool],
    decimals: Mapping[str, int] | None,
) -> dict[str, int]:
    """The table's rows under the header; returns each column's widest shown text."""
    from ebpm.disclosure import SUPPRESSED_MARK

    group_like = {
        c for c in shown.columns if not shown.schema[c].is_numeric() or _CODE_NAME.search(c)
    }
    formats = {
        c: _number_format(shown[c].to_list(), (decimals or {}).get(c))
        for c in shown.columns
        if c not in group_like
    }
    widths = {c: _display_width(c) for c in shown.columns}
    for index, record in enumerate(shown.iter_rows(named=True)):
        excel_row = header_row + 1 + index
        for col, name in enumerate(shown.columns, start=1):
            value = record[name]
            _write_value(
                sheet.cell(excel_row, col),
                value,
                hidden=hidden[index],
                group=name in group_like,
                number_format=formats.get(name, ""),
            )
            shown_text = (
                SUPPRESSED_MARK
                if hidden[index]
                else jp.format_number(value)
                if isinstance(value, int | float)
                else str(value or "")
            )
            widths[name] = max(widths[name], _display_width(shown_text))
    return widths


def _footer_lines(source: str, note: str | None, about_people: bool, is_sample: bool) -> list[str]:
    """出典, then （注） lines: the user's note, suppression, sample data."""
    from ebpm.disclosure import SUPPRESSED_MARK

    lines = [source.strip()]
    if note:
        lines.append(note if note.startswith("（注）") else f"（注）{note}")
    if about_people:
        lines.append(
            f"（注）{SUPPRESSED_MARK} は人数が少ないため秘匿した値（他の値からの計算で分からないよう、必要に応じて二次秘匿）。"
        )
    if is_sample:
        lines.append("※研修用サンプルデータ（架空の値）です。")
    return lines


def to_excel(
    table: pl.DataFrame,
    path: str | Path,
    *,
    source: str,
    about_people: bool,
    note: str | None = None,
    is_sample: bool = False,
    title: str | None = None,
    sheet_name: str = "集計",
    decimals: Mapping[str, int] | None = None,
) -> Path:
    """Write a table to an .xlsx for Japanese Excel, with its 出典 (and （注）) under it.

    Parameters
    ----------
    table
        The result to hand over (a summary, not personal rows).
    path
        Target ``.xlsx``; folders are created.
    source
        The 出典 line (e.g. from :func:`provenance_of` and :func:`ebpm.source_line`); required.
    about_people
        Whether the table describes people (staff, residents). Then it must be the result of
        :func:`ebpm.disclosure.safe_aggregate` (it has a ``suppressed`` column): hidden cells
        are written as 「x」 and the ``suppressed``/``suppression`` columns are left out.
    note, is_sample, title
        A （注） line; the 「研修用サンプルデータ」 notice; a title above the table.
    decimals
        Decimals shown per column (default: as many as the values have, at most 2).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValueError
        In Japanese: no source, a table about people without suppression, a wrong suffix.
    """
    import openpyxl
    from openpyxl.utils import get_column_letter

    target = _checked_excel_target(path, source)
    hidden = _hidden_rows(table, about_people)
    shown = table.drop([c for c in ("suppressed", "suppression") if c in table.columns])

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_name
    header_row = _write_heading(sheet, title, is_sample)
    _write_header(sheet, header_row, shown.columns)
    widths = _write_body(sheet, shown, header_row, hidden, decimals)
    for col, name in enumerate(shown.columns, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = min(max(widths[name] + 2, 8), 60)
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    footer = header_row + shown.height + 2
    for offset, line in enumerate(_footer_lines(source, note, about_people, is_sample)):
        cell = sheet.cell(footer + offset, 1, line)
        cell.data_type = "s"
        cell.font = _body_font()
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target
