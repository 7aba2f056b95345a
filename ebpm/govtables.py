"""Reader for the Excel/CSV tables that ministries publish.

Government tables put notes and a title above the header, split the header over
several rows (a merged "人口総数（人）" over the years), add （注）/出典 lines below,
and write numbers as "1,234", "△256" or "－". :func:`read_gov_table` reads any such
file as text, finds the header by a label you know is in it, and returns a tidy
polars frame with one named column per column of the sheet.

Layout rules (all documented so that a result can be explained):

* The file type is taken from its first bytes, not its name: ``PK`` → xlsx,
  OLE2 → xls, otherwise text (CSV, encoding sniffed by :func:`ebpm.jp.sniff_encoding`).
  An HTML page (a failed download saved as .xlsx) is rejected.
* The header row is the first row with a cell equal to ``header_label`` (after NFKC);
  failing that, the first non-note row with a cell containing it.
* Header rows above it are added while they are non-blank and are not a title/note
  (a row whose only cell is in the first column). Rows below it are added while a
  merged cell of the lowest row spans several columns or reaches further down, or,
  where that row has no merged cells, while the next row has no numbers, a blank
  first cell and labels under blank cells of the row above (a group label such as
  "人口総数（人）" is never the last header row). With
  ``header_rows`` the block has exactly that many non-blank rows and contains the
  label row, as high as possible.
* Header cells are joined top to bottom with ``_``: merged cells are spread over their
  range; without merge information, an upper-row label is carried to the right over
  blank cells (as long as the lowest row names that column).
* Data rows end the table's notes: blank rows, single-cell rows starting with
  （注）/注/※/出典/資料/備考/○, and single-cell rows after the last full row are dropped.
* Excel numbers are written as Excel shows them: at most 15 significant digits
  (``14.799999999999999`` is the ``14.8`` on screen). ``merged_cells=False`` reads the
  cells with calamine (fastexcel, about ten times faster) without merged ranges; the
  header rules then work as for CSV. :func:`read_gov_sheet` also returns the title lines
  above the header and the note lines it dropped.
* A column becomes numeric when every non-blank value is a number or a placeholder
  (－, -, …, x, *** …, see :data:`ebpm.jp.PLACEHOLDERS`, which become null): Int64
  when all are whole numbers, else Float64. Commas, full-width digits and △/▲
  minus signs are understood. Columns with "コード"/"code" in the name or with a
  leading zero ("01") stay text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

from ebpm import jp, limits
from ebpm.codes import code_error_expr, normalize_code_expr
from ebpm.jp import normalize_text, sniff_encoding

__all__ = ["GovSheet", "read_gov_sheet", "read_gov_table"]

_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_NOTE_MARK: Final = r"^(?:[(\[【〔<]?\s*(?:注|出典|資料|備考)|※|○|●)"
_MAX_LISTED: Final = 20
_CODE_NAME: Final = r"(?i)コード|code"

Cell = str | None


@dataclass
class _Grid:
    """A sheet as text: rows of cells, merged ranges (row0, row1, col0, col1; ends excluded)."""

    rows: list[list[Cell]]
    where: str
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def _number_text(value: float) -> str:
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    # Excel shows at most 15 significant digits: 14.799999999999999 is the 14.8 on screen.
    return format(value, ".15g")


def _cell_text(value: object) -> Cell:
    if value is None:
        return None
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float):
        text = _number_text(value)
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    return text or None


def _select_sheet(names: Sequence[str], sheet: str | int | None, where: str) -> int:
    if sheet is None:
        return 0
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return sheet
    else:
        wanted = normalize_text(sheet)
        for index, name in enumerate(names):
            if normalize_text(name) == wanted:
                return index
    listed = "、".join(f"「{name}」" for name in names)
    raise ValueError(f"{where}: シート「{sheet}」がありません（シート: {listed}。番号は0から）")


def _read_xls(data: bytes, sheet: str | int | None, where: str) -> _Grid:
    import xlrd

    try:  # ragged rows: a far cell does not pad every row to its column
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, ragged_rows=True)
    except NotImplementedError:  # formatting_info is not available for every BIFF version
        book = xlrd.open_workbook(file_contents=data, ragged_rows=True)
    index = _select_sheet(book.sheet_names(), sheet, where)
    ws = book.sheet_by_index(index)
    limits.check_shape(ws.nrows, ws.ncols, where, limits.OFFICIAL_TABLE)

    def text(row: int, col: int) -> Cell:
        if col >= ws.row_len(row):
            return None
        kind = ws.cell_type(row, col)
        value = ws.cell_value(row, col)
        if kind == xlrd.XL_CELL_DATE:
            return _cell_text(xlrd.xldate_as_datetime(value, book.datemode))
        if kind == xlrd.XL_CELL_BOOLEAN:
            return _cell_text(bool(value))
        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
            return None
        return _cell_text(value)

    rows = [[text(r, c) for c in range(ws.ncols)] for r in range(ws.nrows)]
    return _Grid(rows, f"{where}（シート「{ws.name}」）", [tuple(m) for m in ws.merged_cells])


def _read_xlsx(data: bytes, sheet: str | int | None, where: str) -> _Grid:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)  # not read_only: merges
    index = _select_sheet(book.sheetnames, sheet, where)
    ws = book.worksheets[index]
    rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    merges = [(m.min_row - 1, m.max_row, m.min_col - 1, m.max_col) for m in ws.merged_cells.ranges]
    return _Grid(rows, f"{where}（シート「{ws.title}」）", merges)


def _read_csv(data: bytes, sheet: str | int | None, where: str) -> _Grid:
    if sheet is not None:
        raise ValueError(
            f"{where}: CSVファイルにはシートがありません（sheet は指定しないでください）"
        )
    try:
        text = data.decode(sniff_encoding(data))
    except UnicodeDecodeError:
        raise ValueError(
            f"{where}: 文字コードを判別できません（UTF-8 か Shift_JIS で保存してください）"
        ) from None
    rows = [[_cell_text(cell) for cell in row] for row in csv.reader(io.StringIO(text))]
    return _Grid(rows, where)


def _merge_numbers(text: pl.DataFrame, numbers: pl.DataFrame) -> pl.DataFrame:
    """calamine rounds the text of a number: take the exact value instead (as Excel shows it,
    15 significant digits), unless the text is a code with a leading zero ("011002")."""
    both = pl.concat([text, numbers.rename(lambda c: f"\0{c}").cast(pl.Float64)], how="horizontal")

    def merged(column: str) -> pl.Expr:
        t, n = pl.col(column).str.strip_chars(), pl.col(f"\0{column}")
        whole = (n == n.floor()) & (n.abs() < 2**53)
        shown = (
            pl.when(whole)
            .then(n.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(n.round_sig_figs(15).cast(pl.String))
        )
        plain = t.str.contains(jp.NUMBER_PATTERN) & ~t.str.contains(r"^0[0-9]")
        return (
            pl.when(n.is_not_null() & plain)
            .then(shown)
            .otherwise(pl.when(t != "").then(t))
            .alias(column)
        )

    return both.select(merged(c) for c in text.columns)


def _read_calamine(data: bytes, sheet: str | int | None, where: str) -> _Grid:
    """Cell values only, without merged ranges (much faster than xlrd/openpyxl)."""
    import fastexcel

    try:
        book = fastexcel.read_excel(data)
    except Exception as error:  # calamine reports many shapes of broken files
        raise ValueError(
            f"{where}: Excelファイルとして読めません（ファイルが壊れているか、形式が違います: {error}）"
        ) from None
    index = _select_sheet(book.sheet_names, sheet, where)
    text = book.load_sheet(index, header_row=None, dtypes="string").to_polars()
    numbers = book.load_sheet(
        index, header_row=None, dtypes="float", dtype_coercion="coerce"
    ).to_polars()
    merged = _merge_numbers(text, numbers) if text.width else text
    rows = [list(row) for row in merged.iter_rows()]
    return _Grid(rows, f"{where}（シート「{book.sheet_names[index]}」）")


def _read_grid(path: Path, sheet: str | int | None, merged_cells: bool = True) -> _Grid:
    where = path.name
    # Measured before loading: no xlsx bomb or huge sheet reaches openpyxl or calamine.
    data = limits.read_bytes(path, where, limits.OFFICIAL_TABLE)
    limits.check_table(data, where, limits.OFFICIAL_TABLE)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")):
        raise ValueError(
            f"{where}: 表ではなくHTML/XMLのページです（ダウンロードに失敗したエラーページの"
            "可能性があります。元のサイトから取得し直してください）"
        )
    if data.startswith((_ZIP_MAGIC, _OLE2_MAGIC)) and not merged_cells:
        return _read_calamine(data, sheet, where)
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, sheet, where)
    if data.startswith(_OLE2_MAGIC):
        return _read_xls(data, sheet, where)
    if path.suffix.lower() in (".xls", ".xlsx", ".xlsm"):
        raise ValueError(
            f"{where}: Excelファイルとして読めません（ファイルが壊れているか、形式が違います）"
        )
    return _read_csv(data, sheet, where)


# --------------------------------------------------------------------------- header


def _nfkc(cell: Cell) -> str:
    return normalize_text(cell)  # None → ""


def _filled(row: Sequence[Cell]) -> list[int]:
    return [j for j, cell in enumerate(row) if cell is not None]


def _is_note(row: Sequence[Cell]) -> bool:
    filled = _filled(row)
    return len(filled) == 1 and re.match(_NOTE_MARK, _nfkc(row[filled[0]])) is not None


def _find_label(grid: _Grid, label: str) -> int:
    wanted = _nfkc(label)
    for index, row in enumerate(grid.rows):
        if any(_nfkc(cell) == wanted for cell in row):
            return index
    for index, row in enumerate(grid.rows):
        if not _is_note(row) and any(wanted in _nfkc(cell) for cell in row):
            return index
    raise ValueError(
        f"{grid.where}: 見出し「{label}」が見つかりません"
        "（header_label には表の見出しにある文字をそのまま指定してください）"
    )


def _in_merge(grid: _Grid, row: int, col: int) -> tuple[int, int, int, int] | None:
    return next(
        (m for m in grid.merges if m[0] <= row < m[1] and m[2] <= col < m[3]),
        None,
    )


def _is_header_row(grid: _Grid, index: int) -> bool:
    row = grid.rows[index]
    filled = _filled(row)
    if not filled or _is_note(row):
        return False
    if len(filled) > 1 or filled[0] > 0:
        return True
    merge = _in_merge(grid, index, 0)  # a lone first-column cell: header only if merged down
    return merge is not None and merge[1] - merge[0] > 1


def _has_number(row: Sequence[Cell]) -> bool:
    return any(re.match(jp.NUMBER_PATTERN, _nfkc(cell).replace(",", "")) for cell in row if cell)


def _sub_header_follows(grid: _Grid, row: int) -> bool:
    """Without merge information: does the next row hold labels under blank cells of ``row``?"""
    upper, lower = grid.rows[row], grid.rows[row + 1]
    width = max(len(upper), len(lower))
    upper = [*upper, *[None] * (width - len(upper))]
    lower = [*lower, *[None] * (width - len(lower))]
    return (
        upper[0] is not None
        and lower[0] is None
        and not _has_number(lower)
        and any(upper[c] is None and lower[c] is not None for c in range(1, width))
    )


def _header_bottom(grid: _Grid, label_row: int) -> int:
    """Lowest header row: a group label (merged, or followed by sub-labels) is never the last."""
    bottom = label_row
    while bottom + 1 < len(grid.rows) and _is_header_row(grid, bottom + 1):
        spans = [m for m in grid.merges if m[0] <= bottom < m[1]]
        if spans:
            goes_down = any(m[1] - 1 > bottom for m in spans)
            groups_columns = any(m[3] - m[2] > 1 and m[1] - 1 == bottom for m in spans)
            if not (goes_down or groups_columns):
                break
        elif not _sub_header_follows(grid, bottom):
            break
        bottom += 1
    return bottom


def _header_block(grid: _Grid, label_row: int, header_rows: int | None) -> range:
    if header_rows is None:
        top = label_row
        while top > 0 and _is_header_row(grid, top - 1):
            top -= 1
        return range(top, _header_bottom(grid, label_row) + 1)
    if header_rows < 1:
        raise ValueError(f"header_rows は1以上で指定してください（{header_rows}）")
    for top in range(max(label_row - header_rows + 1, 0), label_row + 1):
        block = range(top, top + header_rows)
        if block.stop <= len(grid.rows) and all(
            _is_header_row(grid, r) or r == label_row for r in block
        ):
            return block
    raise ValueError(
        f"{grid.where}: 見出し行（{label_row + 1}行目）を含む連続した{header_rows}行の見出しが"
        "見つかりません（header_rows を確認してください）"
    )


def _header_names(grid: _Grid, block: range, width: int) -> list[str]:
    cells = [
        [grid.rows[r][c] if c < len(grid.rows[r]) else None for c in range(width)] for r in block
    ]
    merges = [m for m in grid.merges if m[0] < block.stop and m[1] > block.start]
    if merges:
        for r0, r1, c0, c1 in merges:
            value = grid.rows[r0][c0] if c0 < len(grid.rows[r0]) else None
            for r in range(max(r0, block.start), min(r1, block.stop)):
                for c in range(c0, min(c1, width)):
                    cells[r - block.start][c] = value
    else:  # no merge information: carry an upper label right over blanks
        lowest = cells[-1]
        for upper in cells[:-1]:
            for c in range(1, width):
                if upper[c] is None and upper[c - 1] is not None and lowest[c] is not None:
                    upper[c] = upper[c - 1]
    names: list[str] = []
    for c in range(width):
        parts: list[str] = []
        for row in cells:
            part = row[c]
            if part is None:
                continue
            part = re.sub(r"[\r\n]+", "", part)
            part = re.sub(r"\s+", " ", part).strip()
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        names.append("_".join(parts) or f"列{c + 1}")
    seen: dict[str, int] = {}
    unique: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique


# --------------------------------------------------------------------------- values


def _number_parts(column: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(is_placeholder, is_number, value) for a text column."""
    return jp.number_parts(pl.col(column))


def _convert_numbers(df: pl.DataFrame, keep_text: set[str]) -> pl.DataFrame:
    candidates = [c for c in df.columns if c not in keep_text and not re.search(_CODE_NAME, c)]
    if not candidates:
        return df
    checks = df.select(
        pl.struct(
            all_ok=(placeholder | is_number).all(),
            any_number=(is_number & ~placeholder).any(),
            leading_zero=pl.col(c).str.contains(r"^0[0-9]").any(),
            whole=pl.when(is_number & ~placeholder).then(value == value.floor()).all(),
            small=pl.when(is_number & ~placeholder).then(value.abs() < 2**53).all(),
        ).alias(c)
        for c in candidates
        for placeholder, is_number, value in [_number_parts(c)]
    ).row(0, named=True)
    converted = []
    for column, check in checks.items():
        if not (check["all_ok"] and check["any_number"]) or check["leading_zero"]:
            continue
        placeholder, _, value = _number_parts(column)
        number = pl.when(placeholder).then(None).otherwise(value)
        dtype = pl.Int64 if check["whole"] and check["small"] else pl.Float64
        converted.append(number.cast(dtype).alias(column))
    return df.with_columns(converted)


def _find_column(df: pl.DataFrame, wanted: str, where: str) -> str:
    key = _nfkc(wanted)
    for column in df.columns:
        if column == wanted or _nfkc(column) == key:
            return column
    raise ValueError(f"{where}: コード列「{wanted}」がありません（列: {', '.join(df.columns)}）")


def _attach_area_code(df: pl.DataFrame, code_column: str, where: str) -> pl.DataFrame:
    checked = df.with_columns(
        normalize_code_expr(code_column).alias("area_code"),
        code_error_expr(code_column).alias("_code_error"),
    )
    bad = checked.filter(pl.col("_code_error").is_not_null())
    if bad.height:
        lines = [
            f"  {row['_row']}行目 {code_column}列: {row['_code_error']}"
            for row in bad.head(_MAX_LISTED).iter_rows(named=True)
        ]
        if bad.height > _MAX_LISTED:
            lines.append(f"  ほか {bad.height - _MAX_LISTED} 件")
        raise ValueError(
            f"{where}: 団体コードが正しくない行が {bad.height} 件あります:\n" + "\n".join(lines)
        )
    return checked.drop("_code_error").select("area_code", pl.exclude("area_code"))


# --------------------------------------------------------------------------- public


@dataclass(frozen=True)
class GovSheet:
    """A ministry table read by :func:`read_gov_sheet`: the frame and the text around it."""

    frame: pl.DataFrame
    #: The sheet (and file) as named in messages, e.g. ``R3.xlsx（シート「…」）``.
    where: str
    #: Non-blank lines above the header (titles, units), each cell text joined by a space.
    preamble: list[str]
    #: Note lines (（注）, ※, 出典 …) dropped from the body, in sheet order.
    notes: list[str]


def read_gov_table(
    path: str | Path,
    *,
    header_label: str,
    sheet: str | int | None = None,
    header_rows: int | None = None,
    code_column: str | None = None,
    convert_numbers: bool = True,
    row_column: str | None = None,
    merged_cells: bool = True,
) -> pl.DataFrame:
    """Read a ministry's Excel (.xls/.xlsx) or CSV table into a tidy frame.

    Parameters
    ----------
    path
        The file; its type is recognised from its content.
    header_label
        Text of a header cell, e.g. ``"市区町村名"`` (compared after NFKC). Best the
        label of one column in the lowest header row; a merged group label also works.
    sheet
        Sheet name or 0-based index (Excel only); default the first sheet.
    header_rows
        Number of header rows, when the automatic rule (see the module) is not enough.
    code_column
        Column with 全国地方公共団体コード (4, 5 or 6 digits, check digit verified);
        adds a first column ``area_code`` with the 5-digit code.
    convert_numbers
        ``False`` keeps every cell as text (the caller then keeps 「－」 as a marker).
    row_column
        Name of an added Int64 column with each row's number in the sheet (1-based, as
        Excel numbers rows), so that messages can point at the cell.
    merged_cells
        ``False`` reads Excel cells with calamine, about ten times faster, but without
        merged ranges: use it for tables whose header is one row (or is understood
        without merge information, see the module).

    Returns
    -------
    polars.DataFrame
        One column per sheet column (names joined from the header rows with ``_``),
        numeric columns converted, note rows and empty columns dropped.

    Raises
    ------
    ValueError
        In Japanese, naming the file, sheet and rows (1-based, as in Excel).

    Examples
    --------
    >>> df = read_gov_table("file01.xls", header_label="市区町村名",
    ...                     code_column="市区町村コード")  # doctest: +SKIP
    >>> df.columns[:4]  # doctest: +SKIP
    ['area_code', '市区町村名', '市区町村コード', '人口総数（人）_1970年']
    """
    return read_gov_sheet(
        path,
        header_label=header_label,
        sheet=sheet,
        header_rows=header_rows,
        code_column=code_column,
        convert_numbers=convert_numbers,
        row_column=row_column,
        merged_cells=merged_cells,
    ).frame


def _line(row: Sequence[Cell]) -> str:
    """The text of a title or note row as published (cells joined by a space)."""
    return " ".join(cell.strip() for cell in row if cell is not None and cell.strip())


def read_gov_sheet(
    path: str | Path,
    *,
    header_label: str,
    sheet: str | int | None = None,
    header_rows: int | None = None,
    code_column: str | None = None,
    convert_numbers: bool = True,
    row_column: str | None = None,
    merged_cells: bool = True,
) -> GovSheet:
    """:func:`read_gov_table`, also returning the title lines above the header and the notes.

    Readers use the title and notes to check a file (the year in 「…（令和３年度）」, the
    meaning of 「－」 stated in a （注）).
    """
    path = Path(path)
    grid = _read_grid(path, sheet, merged_cells)
    label_row = _find_label(grid, header_label)
    block = _header_block(grid, label_row, header_rows)
    width = max((len(row) for row in grid.rows), default=0)
    names = _header_names(grid, block, width)
    preamble = [line for row in grid.rows[: block.start] if (line := _line(row))]

    body = [row + [None] * (width - len(row)) for row in grid.rows[block.stop :]]
    df = pl.DataFrame(body, schema=dict.fromkeys(names, pl.String), orient="row").with_columns(
        pl.int_range(block.stop + 1, block.stop + 1 + len(body), dtype=pl.Int64).alias("_row")
    )

    filled = pl.sum_horizontal(pl.col(names).is_not_null().cast(pl.Int32))
    first = pl.coalesce(names).str.normalize("NFKC").str.strip_chars()
    last_full = df.filter(filled >= 2)["_row"].max()
    single = filled == 1
    note = single & first.str.contains(_NOTE_MARK)
    footer = single & (pl.col("_row") > last_full) if last_full is not None else pl.lit(False)
    notes = [_line(row) for row in df.filter(note | footer).drop("_row").iter_rows()]
    df = df.filter((filled > 0) & ~note & ~footer)

    empty = [
        c
        for c, count in zip(names, df.select(pl.col(names).null_count()).row(0), strict=True)
        if count == df.height and re.fullmatch(r"列[0-9]+", c)
    ]
    df = df.drop(empty)
    keep_text = {"_row"}
    if code_column is not None:
        code_column = _find_column(df.drop("_row"), code_column, grid.where)
        df = _attach_area_code(df, code_column, grid.where)
        keep_text |= {code_column, "area_code"}
    if convert_numbers:
        df = _convert_numbers(df, keep_text)
    df = df.rename({"_row": row_column}) if row_column else df.drop("_row")
    return GovSheet(df, grid.where, preamble, notes)
