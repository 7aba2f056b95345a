"""Read the raw tables that people edit (CSV and Excel) into typed polars frames.

One reader for every Japanese CSV/xlsx: encoding sniffed (UTF-8 with or without BOM,
CP932), every cell read as text, then converted column by column. Each problem becomes
an :class:`InputError` naming file, row (as Excel numbers it: the header is row 1),
column, the offending value and the fix, so a data steward can correct the file.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ebpm import jp, limits

__all__ = [
    "ACTUALS_COLUMNS",
    "FILE",
    "ROW",
    "STRATEGY_COLUMNS",
    "BuildError",
    "Column",
    "InputError",
    "cell_text_error",
    "named_as_in_files",
    "read_actuals",
    "read_table",
    "table_files",
]

ROW = "_row"
FILE = "_file"
TABLE_SUFFIXES = (".csv", ".xlsx", ".xls")
#: Longest text in one cell: far above any name or note, far below Excel's 32,767 limit.
MAX_CELL_TEXT = 1000
#: Characters that XML (so xlsx, docx, pptx) cannot hold, and invisible ones that change
#: how text reads (bidi overrides, zero-width space): refused with the cell named.
_BAD_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]"
)


@dataclass(frozen=True)
class InputError:
    """One problem in one cell (or file) of a raw table."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" {self.row}行目"
        if self.column:
            where += f" {self.column}列"
        return f"{where}: {self.message}"


class BuildError(Exception):
    """Raised when any raw input is wrong; nothing has been written."""

    def __init__(self, errors: Sequence[InputError | str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [str(e) for e in self.errors]


@dataclass(frozen=True)
class Column:
    """A column of a raw table: canonical name, accepted headers, converter."""

    name: str
    aliases: tuple[str, ...]
    convert: Callable[[str], object]
    dtype: pl.DataType
    required: bool = True
    #: An id: NFKC-normalised, and two spellings of one id (K05 and Ｋ０５) are refused.
    identifier: bool = False


def cell_text_error(cell: str) -> str | None:
    """Why a cell's text cannot be stored and printed (too long, an invisible control
    character), in Japanese with the fix; None when it can."""
    if len(cell) > MAX_CELL_TEXT:
        return (
            f"文字が多すぎます（{len(cell):,}字。1つのセルは{MAX_CELL_TEXT:,}字以内です）。"
            "長い説明は要約して入力してください"
        )
    found = _BAD_CHARACTERS.search(cell)
    if found:
        return (
            f"目に見えない制御文字（U+{ord(found.group()):04X}、{found.start() + 1}文字目）が"
            "含まれています。ほかのソフトから貼り付けたときに入ることがあります。"
            "この文字を削除するか、セルの内容を入力し直してください"
        )
    return None


def _code(value: str) -> str:
    code = jp.normalize_text(value)
    if not code:
        raise ValueError("空欄です（値を入力してください）")
    return code


def _identifier(value: str) -> str:
    # Ｋ０５ and K05 are one id after NFKC; read_table refuses a file that mixes them.
    return _code(value)


def _optional_text(value: str) -> str | None:
    # Names are kept as published (no NFKC: it would turn 「～」 into 「~」).
    return value.strip() or None


def _required_text(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("空欄です（値を入力してください）")
    return text


def _finite(value: str) -> float | None:
    number = jp.parse_number(value)
    if number is not None and not math.isfinite(number):
        raise ValueError(
            f"「{value}」は有限の数値ではありません（inf・nan や桁が大きすぎる数は使えません。"
            "数値を入力してください）"
        )
    return number


def _number(value: str) -> float:
    number = _finite(value)
    if number is None:
        raise ValueError(f"「{value}」は数値ではありません（実績値を数値で入力してください）")
    return number


def _optional_int(value: str) -> int | None:
    number = _finite(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError(f"「{value}」は整数ではありません（人数などは整数で入力してください）")
    return int(number)


def _int(value: str) -> int:
    number = _optional_int(value)
    if number is None:
        raise ValueError("空欄です（整数を入力してください）")
    return number


_TRUE = {"true", "1", "yes", "y", "はい", "○", "〇", "サンプル"}
_FALSE = {"false", "0", "no", "n", "いいえ", "", "×"}


def _bool(value: str) -> bool:
    text = jp.normalize_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"「{value}」は真偽値ではありません（TRUE か FALSE を入力してください）")


def _fiscal_year(value: str) -> int:
    return jp.parse_fiscal_year(value)


def _date(value: str) -> object:
    import datetime as dt

    text = jp.normalize_text(value)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(
            f"「{value}」は日付ではありません（2025-02-01 の形で入力してください）"
        ) from None


#: The actuals format for data stewards; the first alias is the canonical header.
ACTUALS_COLUMNS: tuple[Column, ...] = (
    Column("kpi_id", ("kpi_id", "指標ID", "KPI", "指標", "指標名"), _code, pl.String()),
    Column("fiscal_year", ("fiscal_year", "年度"), _fiscal_year, pl.Int32()),
    Column("value", ("value", "実績値", "値"), _number, pl.Float64()),
    Column(
        "sample_size",
        ("sample_size", "標本数", "回答数", "回答者数"),
        _optional_int,
        pl.Int64(),
        False,
    ),
    Column("source", ("source", "出典"), _optional_text, pl.String(), False),
    Column("note", ("note", "備考"), _optional_text, pl.String(), False),
    Column("is_sample", ("is_sample", "サンプル"), _bool, pl.Boolean(), False),
)

STRATEGY_COLUMNS: dict[str, tuple[Column, ...]] = {
    "fields.csv": (
        Column("field_id", ("field_id",), _int, pl.Int32()),
        Column("name", ("name",), _required_text, pl.String()),
        Column("target_group", ("target_group",), _optional_text, pl.String(), False),
        Column("intent", ("intent",), _optional_text, pl.String(), False),
    ),
    "strategies.csv": (
        Column("strategy_id", ("strategy_id",), _identifier, pl.String(), identifier=True),
        Column("field_id", ("field_id",), _int, pl.Int32()),
        Column("number", ("number",), _int, pl.Int32()),
        Column("name", ("name",), _required_text, pl.String()),
    ),
    "tactics.csv": (
        Column("tactic_id", ("tactic_id",), _identifier, pl.String(), identifier=True),
        Column("strategy_id", ("strategy_id",), _identifier, pl.String(), identifier=True),
        Column("number", ("number",), _int, pl.Int32()),
        Column("name", ("name",), _required_text, pl.String()),
    ),
    "kpi_definitions.csv": (
        Column("kpi_id", ("kpi_id",), _identifier, pl.String(), identifier=True),
        Column("revision", ("revision",), _int, pl.Int32()),
        Column("valid_from", ("valid_from",), _date, pl.Date()),
        Column("strategy_id", ("strategy_id",), _identifier, pl.String(), identifier=True),
        Column("name", ("name",), _required_text, pl.String()),
        Column("short_name", ("short_name",), _optional_text, pl.String(), False),
        Column("aggregation_label", ("aggregation",), _required_text, pl.String()),
        Column("unit", ("unit",), _required_text, pl.String()),
        Column("unit_corrected", ("unit_corrected",), _optional_text, pl.String(), False),
        Column("direction", ("direction",), _required_text, pl.String()),
        Column("base_fy", ("base_fy",), _fiscal_year, pl.Int32()),
        Column("base_value", ("base_value",), _number, pl.Float64()),
        Column("base_note", ("base_note",), _optional_text, pl.String(), False),
        Column("target_fy", ("target_fy",), _fiscal_year, pl.Int32()),
        Column("target_value", ("target_value",), _number, pl.Float64()),
        Column("target_basis", ("target_basis",), _required_text, pl.String()),
        Column(
            "target_period_start_fy", ("target_period_start_fy",), _optional_int, pl.Int32(), False
        ),
        Column("target_period_end_fy", ("target_period_end_fy",), _optional_int, pl.Int32(), False),
        Column("target_note", ("target_note",), _optional_text, pl.String(), False),
        Column("is_survey", ("is_survey",), _bool, pl.Boolean()),
        Column("notes", ("notes",), _optional_text, pl.String(), False),
    ),
}


_XLSX_FIX = "Excel で開き「Excel ブック（*.xlsx）」として保存し直してください"


def _decode_csv(data: bytes, label: str) -> str:
    """The text of a CSV: UTF-8 (with or without BOM) or CP932, else a message with the fix."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BuildError(
            [
                InputError(
                    label,
                    "UTF-16（Unicode テキスト）で保存されています"
                    "（Excel の「CSV UTF-8（コンマ区切り）」で保存し直してください）",
                )
            ]
        )
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise BuildError(
            [
                InputError(
                    label,
                    "NUL 文字（0x00）が含まれています。テキストではないデータが混ざっています"
                    "（Excel などで開いて CSV として保存し直してください）",
                    line,
                )
            ]
        )
    try:
        text = data.decode(jp.sniff_encoding(data))
    except UnicodeDecodeError:
        raise BuildError(
            [
                InputError(
                    label,
                    "文字コードを判別できません（UTF-8 か Shift_JIS（CP932）で保存し直してください）",
                )
            ]
        ) from None
    if "\r" in text and "\n" not in text:  # old Mac line ends (「CSV（Macintosh）」 in Excel)
        text = text.replace("\r", "\n")
    return text


def _xlsx_cells(data: bytes, label: str) -> pl.DataFrame:
    try:
        report = limits.check_xlsx(data, label, limits.KPI_TABLE)
    except limits.LimitError as error:
        raise BuildError([InputError(label, error.reason)]) from None
    blank_cells = [
        InputError(
            label,
            f"{cell.ref}セルは数式ですが、計算結果が保存されていません"
            "（Excel で開いて上書き保存するか、値として貼り付けてください）",
            cell.row,
            cell.column,
        )
        for cell in report.formulas_without_value
    ]
    blank_cells += [
        InputError(
            label,
            f"{cell.ref}セルは Excel のエラー（{cell.error or '#…'}）です"
            "（数式の参照先や割り算を直して値が出るようにするか、値を入力してください）",
            cell.row,
            cell.column,
        )
        for cell in report.error_cells
    ]
    blank_cells += [
        InputError(
            label,
            f"{ref} は結合されたセルです。結合したセルは左上のセルにしか値がなく、ほかの行・列は"
            "空欄として読まれます（「セルを結合して中央揃え」を解除し、各行に値を入力してください）",
        )
        for ref in report.merged
    ]
    # Values in hidden rows, columns or a hidden sheet would load unseen.
    blank_cells += [InputError(label, reason) for reason in limits.hidden_reasons(report)]
    if blank_cells:
        raise BuildError(blank_cells)
    try:
        return pl.read_excel(
            io.BytesIO(data), has_header=False, infer_schema_length=0, raise_if_empty=False
        )
    except Exception as error:  # calamine reports many shapes of broken files
        raise BuildError(
            [InputError(label, f"Excel ファイルを読めません（{_XLSX_FIX}。詳細: {error}）")]
        ) from None


def _sheet_names(data: bytes) -> list[str]:
    """The sheet names of an xlsx in their order (for messages); empty if unreadable."""
    import html
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            workbook = book.read("xl/workbook.xml")[: 1 << 20].decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return []
    return [
        html.unescape(n) for n in re.findall(r'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"', workbook)
    ]


def _xls_text(value: object, kind: int, datemode: int) -> str | None:
    import xlrd

    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if kind == xlrd.XL_CELL_DATE:
        return xlrd.xldate_as_datetime(value, datemode).isoformat(sep=" ")
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "true" if value else "false"
    if isinstance(value, float):  # as calamine shows numbers: 2025, 46.1
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)


def _xls_cells(data: bytes, label: str) -> pl.DataFrame:
    """The first sheet of an Excel 97–2003 workbook (.xls), every cell as text."""
    import xlrd

    try:
        # formatting_info: the rows' and columns' hidden flags (BIFF 5–8; older files
        # have none to read, so they open without).
        try:
            book = xlrd.open_workbook(file_contents=data, on_demand=True, formatting_info=True)
        except NotImplementedError:
            book = xlrd.open_workbook(file_contents=data, on_demand=True)
        sheet = book.sheet_by_index(0)
    except Exception as error:  # xlrd raises many shapes of errors on broken files
        raise BuildError(
            [
                InputError(
                    label,
                    f"Excel 97–2003（.xls）ファイルを読めません（{_XLSX_FIX}。詳細: {error}）",
                )
            ]
        ) from None
    try:
        limits.check_shape(sheet.nrows, sheet.ncols, label, limits.KPI_TABLE)
    except limits.LimitError as error:
        raise BuildError([InputError(label, error.reason)]) from None
    columns = {
        f"column_{c}": [
            _xls_text(sheet.cell_value(r, c), sheet.cell_type(r, c), book.datemode)
            for r in range(sheet.nrows)
        ]
        for c in range(sheet.ncols)
    }
    hidden = limits.hidden_reasons(_xls_hidden(sheet, columns))
    if hidden:
        raise BuildError([InputError(label, reason) for reason in hidden])
    return pl.DataFrame(columns, schema={name: pl.String() for name in columns})


def _xls_hidden(sheet: Any, columns: dict[str, list[str | None]]) -> limits.XlsxReport:
    """What an .xls sheet hides (as :func:`limits.check_xlsx` reports it for an xlsx):
    its state and the hidden rows and columns holding values."""
    filled_rows = {r for cells in columns.values() for r, v in enumerate(cells) if v}
    rows = sorted(
        r + 1 for r, info in sheet.rowinfo_map.items() if info.hidden and r in filled_rows
    )
    ranges: list[list[int]] = []
    for row in rows:
        limits.add_hidden_row(ranges, row)
    from openpyxl.utils import get_column_letter

    hidden_columns = tuple(
        get_column_letter(c + 1)
        for c, info in sorted(sheet.colinfo_map.items())
        if info.hidden and any(columns.get(f"column_{c}", ()))
    )
    return limits.XlsxReport(
        sheet.nrows,
        sheet.ncols,
        sheet.nrows * sheet.ncols,
        (),
        sheet=sheet.name,
        sheet_state={1: "hidden", 2: "veryHidden"}.get(sheet.visibility, "visible"),
        hidden_rows=tuple((a, b) for a, b in ranges),
        hidden_row_count=len(rows),
        hidden_columns=hidden_columns,
    )


def _csv_cells(data: bytes, label: str) -> pl.DataFrame:
    try:
        limits.check_csv(data, label, limits.KPI_TABLE)
    except limits.LimitError as error:
        raise BuildError([InputError(label, error.reason)]) from None
    text = _decode_csv(data, label)
    try:
        return pl.read_csv(
            io.StringIO(text), has_header=False, infer_schema=False, truncate_ragged_lines=False
        )
    except pl.exceptions.PolarsError as error:
        raise BuildError(
            [
                InputError(
                    label,
                    'CSV として読めません。列の数がそろっているか、引用符（"）が閉じているか'
                    f"確かめてください（詳細: {error}）",
                )
            ]
        ) from None


def _grid(path: Path, label: str) -> pl.DataFrame:
    """Every cell of the first sheet (or the CSV) as text, columns in file order."""
    try:
        data = limits.read_bytes(path, label, limits.KPI_TABLE)
    except limits.LimitError as error:
        raise BuildError([InputError(label, error.reason)]) from None
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise BuildError(
            [InputError(label, "ファイルが空です（見出し行とデータ行を入力してください）")]
        )
    suffix = path.suffix.lower()
    if data.startswith(limits.ZIP_MAGIC):
        if suffix != ".xlsx":
            raise BuildError(
                [
                    InputError(
                        label, "中身は Excel（.xlsx）ファイルです（拡張子を .xlsx にしてください）"
                    )
                ]
            )
        return _xlsx_cells(data, label)
    if data.startswith(limits.OLE2_MAGIC):
        if suffix != ".xls":
            raise BuildError(
                [
                    InputError(
                        label,
                        "中身は Excel 97–2003（.xls）ファイルです（拡張子を .xls にしてください）",
                    )
                ]
            )
        return _xls_cells(data, label)
    if suffix in (".xlsx", ".xls"):
        raise BuildError(
            [InputError(label, f"Excel（{suffix}）形式のファイルではありません（{_XLSX_FIX}）")]
        )
    return _csv_cells(data, label)


@dataclass(frozen=True)
class _Cells:
    """A raw table as read: the header row (as written and NFKC-normalised) and the body."""

    written: list[str]
    headers: list[str]
    body: pl.DataFrame  # columns column_0 … as text, plus ROW (the Excel row number)
    sheets: tuple[str, ...] = ()  # an xlsx's sheet names, first one read


def _read_cells(path: Path, label: str, allow_empty: bool = False) -> _Cells:
    """Every cell as text, plus the Excel-style row number; raises BuildError.

    A file with a header and no rows is refused unless ``allow_empty`` (a new workspace's
    definition files start that way).
    """
    grid = _grid(path, label)
    sheets: tuple[str, ...] = ()
    if path.suffix.lower() == ".xlsx" and path.is_file():
        sheets = tuple(_sheet_names(path.read_bytes()))
    grid = grid.rename({c: f"column_{i}" for i, c in enumerate(grid.columns)})
    if grid.height == 0:
        raise BuildError(
            [InputError(label, "ファイルが空です（見出し行とデータ行を入力してください）")]
        )
    written = ["" if v is None else str(v).strip() for v in grid.row(0)]
    body = grid.slice(1).with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    value_columns = [c for c in body.columns if c != ROW]
    blank = pl.all_horizontal(pl.col(value_columns).fill_null("").str.strip_chars() == "")
    body = body.filter(~blank)
    if body.height == 0 and not allow_empty:
        raise BuildError(
            [
                InputError(
                    label,
                    "データ行がありません（見出しの下に1行以上入力してください）"
                    + _other_sheets_hint(sheets),
                )
            ]
        )
    return _Cells(written, [jp.normalize_text(h) for h in written], body, sheets)


def _other_sheets_hint(sheets: Sequence[str]) -> str:
    if len(sheets) < 2:
        return ""
    return (
        f"。ebpm は最初のシート「{sheets[0]}」だけを読みます。ほかのシートに入力したときは、"
        f"そのシートを先頭に移してください（このファイルのシート: {'、'.join(sheets[:10])}）"
    )


def _layout_hint(cells: _Cells, columns: Sequence[Column]) -> str | None:
    """Why the header row lacks the columns, when the cause is plain: a title row above the
    header, a tab- or semicolon-separated file, or the table on another sheet."""
    required = [c for c in columns if c.required]
    first = cells.written[0] if cells.written else ""
    for mark, name in (("\t", "タブ"), (";", "セミコロン（;）")):
        if len([h for h in cells.written if h]) == 1 and mark in first:
            parts = {jp.normalize_text(part) for part in first.split(mark)}
            if all(parts & set(c.aliases) for c in required):
                return (
                    f"列が{name}で区切られています。ebpm はコンマ区切りの CSV を読みます"
                    "（Excel で開き「CSV UTF-8（コンマ区切り）」として保存し直してください）"
                )
    for values in cells.body.head(10).iter_rows(named=True):
        texts = {jp.normalize_text(str(v)) for k, v in values.items() if k != ROW and v}
        if all(texts & set(c.aliases) for c in required):
            return (
                f"見出しが{values[ROW]}行目にあります。ebpm は1行目を見出しとして読みます"
                "（その上の表題などの行を削除して、見出しを1行目にしてください）"
            )
    if len(cells.sheets) > 1:
        return "1行目に見出しがありません" + _other_sheets_hint(cells.sheets)
    return None


def _pick_columns(
    cells: _Cells, columns: Sequence[Column], label: str
) -> tuple[dict[str, int | None], list[InputError]]:
    """The position of each column's header; an error for a missing or doubled column.

    Headers are compared after NFKC, so 「ｖａｌｕｅ」 is 「value」; two headers naming the
    same column (``value,value``, ``value,実績値``) are refused, never one silently dropped.
    """
    picked: dict[str, int | None] = {}
    errors: list[InputError] = []
    shown = [h if len(h) <= 40 else h[:40] + "…" for h in cells.written if h]
    present = ", ".join(shown[:30]) + (f" ほか{len(shown) - 30}列" if len(shown) > 30 else "")
    for column in columns:
        hits = [i for i, h in enumerate(cells.headers) if h in column.aliases]
        if len(hits) > 1:
            named = "」と「".join(f"{cells.written[i]}（{i + 1}列目）" for i in hits)
            what = column.aliases[1] if len(column.aliases) > 1 else column.name
            errors.append(
                InputError(
                    label,
                    f"見出し「{named}」はどちらも{what}（{column.name}）の列です。"
                    "1つの列だけにしてください（重複した列を削除するか、見出しを直してください）",
                    1,
                )
            )
        if not hits and column.required:
            expected = "」か「".join(column.aliases[:3])
            errors.append(
                InputError(
                    label,
                    f"必要な列「{expected}」がありません（見出し行に列を追加してください。今ある列: {present}）",
                )
            )
        picked[column.name] = hits[0] if hits else None
    return picked, errors


def _spelling_errors(
    raw: Sequence[object],
    ids: Sequence[object],
    rows: Sequence[int],
    header: str | None,
    label: str,
) -> list[InputError]:
    """Rows whose id, once NFKC-normalised, is an id written differently on an earlier row."""
    first: dict[object, tuple[str, int]] = {}
    errors: list[InputError] = []
    for cell, normalised, row in zip(raw, ids, rows, strict=True):
        if normalised is None:
            continue
        written = str(cell).strip()
        seen = first.setdefault(normalised, (written, row))
        if seen[0] != written:
            errors.append(
                InputError(
                    label,
                    f"「{written}」は半角にすると「{normalised}」になり、{seen[1]}行目の「{seen[0]}」と"
                    f"同じIDになります（同じものなら「{seen[0]}」と同じ書き方に、別のものなら別のIDにしてください）",
                    row,
                    header,
                )
            )
    return errors


def read_table(
    path: Path, columns: Sequence[Column], label: str, *, allow_empty: bool = False
) -> tuple[pl.DataFrame, list[InputError]]:
    """Read a raw table and convert it; returns the frame and every cell error.

    The frame keeps ``_file`` and ``_row`` so later checks can point at the cell.
    """
    try:
        cells = _read_cells(path, label, allow_empty)
    except BuildError as error:
        return pl.DataFrame(), [e for e in error.errors if isinstance(e, InputError)]
    picked, errors = _pick_columns(cells, columns, label)
    if errors:
        missing = any(picked[c.name] is None for c in columns if c.required)
        hint = _layout_hint(cells, columns) if missing else None
        if hint:
            errors = [InputError(label, hint, 1)]
        return pl.DataFrame(), errors
    body = cells.body
    out: dict[str, list[object]] = {}
    rows = body[ROW].to_list()
    for column in columns:
        position = picked[column.name]
        header = None if position is None else cells.written[position]
        raw = body[f"column_{position}"].to_list() if position is not None else [""] * body.height
        values: list[object] = []
        for row, cell in zip(rows, raw, strict=True):
            problem = cell_text_error(cell) if cell else None
            if problem:
                values.append(None)
                errors.append(InputError(label, problem, row, header))
                continue
            try:
                values.append(column.convert("" if cell is None else cell))
            except ValueError as error:
                values.append(None)
                errors.append(InputError(label, str(error), row, header))
        out[column.name] = values
        if column.identifier:
            errors += _spelling_errors(raw, values, rows, header, label)
        if column.convert is _number:
            # Published precision (26.0 stays 26.0): the decimals of the text as written.
            out[f"{column.name}_decimals"] = [jp.decimal_places(cell) for cell in raw]
    schema = {c.name: c.dtype for c in columns} | {
        f"{c.name}_decimals": pl.Int32() for c in columns if c.convert is _number
    }
    frame = pl.DataFrame(out, schema=schema).with_columns(
        pl.lit(label).alias(FILE), pl.Series(ROW, rows, dtype=pl.Int64)
    )
    return frame, errors


def named_as_in_files(errors: Sequence[InputError], columns: Sequence[Column]) -> list[InputError]:
    """``errors`` whose column is one of ``columns``, named as the templates head it and
    as the code does: 「実績値（value）」. Checks after reading (Great Expectations) know the
    code's name only, which is not what a department's Excel file shows."""
    shown = {c.name: f"{c.aliases[1]}（{c.name}）" for c in columns if len(c.aliases) > 1}
    return [
        dataclasses.replace(e, column=shown[e.column]) if e.column in shown else e for e in errors
    ]


def table_files(folder: Path) -> list[Path]:
    """The CSV, xlsx and xls files of a folder, sorted; Excel lock files (~$…) are skipped.

    A folder named like a table (``x.csv``) is listed too, so that the reader refuses it
    with a message instead of skipping it.
    """
    if not folder.exists():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in TABLE_SUFFIXES and not p.name.startswith(("~$", "."))
    )


def read_actuals(paths: Sequence[Path], raw_dir: Path) -> tuple[pl.DataFrame, list[InputError]]:
    """Read every actuals file and stack them."""
    frames: list[pl.DataFrame] = []
    errors: list[InputError] = []
    for path in paths:
        frame, file_errors = read_table(path, ACTUALS_COLUMNS, path.relative_to(raw_dir).as_posix())
        errors.extend(file_errors)
        if frame.height:
            frames.append(frame)
    if not frames:  # no file yet (a new workspace): an empty table of the right shape
        schema = {c.name: c.dtype for c in ACTUALS_COLUMNS} | {
            "value_decimals": pl.Int32(),
            FILE: pl.String(),
            ROW: pl.Int64(),
        }
        return pl.DataFrame(schema=schema), errors
    return pl.concat(frames, how="vertical"), errors
