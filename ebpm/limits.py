"""Resource limits of every reader: a file is measured before it is loaded.

A hostile or broken file must be refused with a Japanese message naming it, never abort
the process or fill the memory. Each reader picks a :class:`Limits` profile and calls
:func:`read_bytes` (a regular file, no larger than ``max_bytes``, read with a bounded
read), then :func:`check_table` on the bytes, which measures without loading:

- **CSV/text**: rows are counted as line breaks (a byte count, no decoding), columns from
  the header line; rows × columns is the cell count.
- **xlsx** (a zip of XML parts): the number of parts and the *declared* uncompressed size
  of each part and of all parts are checked first (a zip bomb stops here); then every
  part is decompressed in a stream through :mod:`zipfile`, which stops at the declared
  size and checks the CRC, so a part that lies about its size is refused too; every
  worksheet is parsed with expat in the same stream: the declared ``<dimension>``, the
  largest cell reference, the number of cells (so a 5 KB sheet with cells A1 and
  XFD1048576 is refused before calamine would allocate 549 GB). A DOCTYPE is refused (no
  entity expansion). Formulas without a cached value in the first sheet are reported with
  their cell, since they would otherwise read as blank. In the same pass the sheet that is
  read reports its hidden rows and columns that hold values (``<row hidden="1">``, also
  rows an AutoFilter hides, and ``<col hidden="1">``) and whether the sheet itself is
  hidden: :func:`hidden_reasons` words them for a steward's file.
- **xls** (BIFF): the file size; the sheet's rows × columns are checked by the reader right
  after xlrd opens it (:func:`check_shape`).

The cell limits stand for a memory budget: :data:`MEMORY_BUDGET` bytes at about
:data:`BYTES_PER_CELL` per cell as polars/Python strings.

>>> check_shape(10, 5, "x.csv", KPI_TABLE)
>>> check_shape(2_000_000, 3, "x.csv", KPI_TABLE)
Traceback (most recent call last):
...
ebpm.limits.LimitError: x.csv: 行が多すぎます（2,000,000行。上限 100,000行）。不要な行を削除するか、ファイルを分けてください
"""

from __future__ import annotations

import functools
import io
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from xml.parsers import expat

__all__ = [
    "BYTES_PER_CELL",
    "ESTAT_FILE",
    "KPI_TABLE",
    "MEMORY_BUDGET",
    "OFFICIAL_TABLE",
    "OLE2_MAGIC",
    "RECORDS_DUCKDB_MEMORY",
    "RECORDS_TABLE",
    "SAMPLE_TABLE",
    "ZIP_MAGIC",
    "ErrorCell",
    "FormulaCell",
    "LimitError",
    "Limits",
    "XlsxReport",
    "add_hidden_row",
    "check_csv",
    "check_shape",
    "check_table",
    "check_xlsx",
    "hidden_reasons",
    "read_bytes",
]

MB: Final = 1024 * 1024
#: The memory one reader may use for the cells of one file.
MEMORY_BUDGET: Final = 400 * MB
#: About what one cell costs once read (a polars string or a Python str in a list).
BYTES_PER_CELL: Final = 80

ZIP_MAGIC: Final = b"PK\x03\x04"
OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


class LimitError(ValueError):
    """A file beyond a resource limit, or not measurable (message in Japanese, names the file).

    ``label`` is the file as the user knows it, ``reason`` the Japanese explanation and fix.
    """

    def __init__(self, label: str, reason: str) -> None:
        self.label = label
        self.reason = reason
        super().__init__(f"{label}: {reason}")


@dataclass(frozen=True)
class Limits:
    """The largest file a reader accepts.

    ``max_cells`` follows from the memory budget; ``max_uncompressed`` bounds the XML
    of an xlsx (all parts together), ``max_parts`` the number of parts.
    """

    max_bytes: int
    max_rows: int
    max_columns: int
    max_cells: int = MEMORY_BUDGET // BYTES_PER_CELL
    max_uncompressed: int = 200 * MB
    max_parts: int = 1000


#: Tables people type (KPI definitions, actuals, the strategy tree): small by nature.
KPI_TABLE: Final = Limits(
    max_bytes=20 * MB,
    max_rows=100_000,
    max_columns=200,
    max_cells=1_000_000,
    max_uncompressed=100 * MB,
)
#: Published statistics (MIC, census, open-data survey): a few MB each today.
OFFICIAL_TABLE: Final = Limits(
    max_bytes=100 * MB, max_rows=1_048_576, max_columns=2_000, max_cells=1_500_000
)
#: e-Stat responses and downloads. A full getStatsData page (100,000 values) is about 11 MB;
#: parsing a file takes about 25 times its size in memory, so 24 MB stays well under 1 GB.
ESTAT_FILE: Final = Limits(max_bytes=24 * MB, max_rows=1_000_000, max_columns=200)
#: Own records read into memory (xlsx exports, small CSV exports such as paper purchases).
#: Large CSV exports are streamed by DuckDB instead, under :data:`RECORDS_DUCKDB_MEMORY`.
RECORDS_TABLE: Final = Limits(
    max_bytes=100 * MB,
    max_rows=1_048_576,
    max_columns=300,
    max_cells=3_000_000,
    max_uncompressed=600 * MB,
)
#: DuckDB's memory limit while it aggregates record exports; beyond it, it spills to disk.
RECORDS_DUCKDB_MEMORY: Final = "512MB"
#: The synthetic training tables written by ``ebpm samples`` (about 1.3 MB).
SAMPLE_TABLE: Final = Limits(max_bytes=50 * MB, max_rows=1_000_000, max_columns=50)


def _size(n: int) -> str:
    return f"{n / MB:,.1f}MB" if n >= MB else f"{n:,}バイト"


def read_bytes(path: Path, label: str, limits: Limits) -> bytes:
    """The bytes of a regular file no larger than ``limits.max_bytes``.

    Folders, devices, pipes and sockets are refused before they are opened (a FIFO would
    block, ``/dev/zero`` never ends); the read itself is bounded in case the file grows.

    Raises
    ------
    LimitError
        Naming ``label``, with the fix.
    """
    info = path.stat()  # FileNotFoundError names the path
    if stat.S_ISDIR(info.st_mode):
        raise LimitError(
            label,
            "ファイルではなくフォルダです（フォルダの名前を変えるか、別の場所に移してください）",
        )
    if not stat.S_ISREG(info.st_mode):
        raise LimitError(
            label,
            "通常のファイルではありません（デバイスやパイプは読みません。ファイルを置き直してください）",
        )
    if info.st_size > limits.max_bytes:
        raise LimitError(
            label,
            f"ファイルが大きすぎます（{_size(info.st_size)}。上限 {_size(limits.max_bytes)}）。"
            "不要な行やシートを削除するか、ファイルを分けてください",
        )
    with path.open("rb") as handle:
        data = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise LimitError(
            label, "読み込み中にファイルが大きくなりました（書き込み中でないか確かめてください）"
        )
    return data


def check_shape(rows: int, columns: int, label: str, limits: Limits) -> None:
    """Refuse a table of more rows, columns or cells than ``limits`` allow."""
    if rows > limits.max_rows:
        raise LimitError(
            label,
            f"行が多すぎます（{rows:,}行。上限 {limits.max_rows:,}行）。"
            "不要な行を削除するか、ファイルを分けてください",
        )
    if columns > limits.max_columns:
        raise LimitError(
            label,
            f"列が多すぎます（{columns:,}列。上限 {limits.max_columns:,}列）。"
            "不要な列を削除してください",
        )
    if rows * columns > limits.max_cells:
        raise LimitError(
            label,
            f"セルが多すぎます（{rows:,}行 × {columns:,}列。上限 {limits.max_cells:,}セル）。"
            "不要な行・列を削除するか、ファイルを分けてください",
        )


def check_csv(data: bytes, label: str, limits: Limits) -> None:
    """Count the rows (line breaks) and the header's columns of a CSV without decoding it all."""
    # Old Mac files end lines with CR alone: the larger count bounds the rows either way.
    breaks = max(data.count(b"\n"), data.count(b"\r"))
    rows = breaks + (0 if data.endswith((b"\n", b"\r")) else 1)
    first = data.split(b"\n", 1)[0].split(b"\r", 1)[0]
    # A quoted comma would count twice: an upper bound, which is what a limit needs.
    columns = first.count(b",") + 1
    check_shape(rows, columns, label, limits)


# --------------------------------------------------------------------------- xlsx


@dataclass(frozen=True)
class FormulaCell:
    """A formula without a cached value (it reads as blank): sheet, Excel row and column."""

    ref: str
    row: int
    column: str


@dataclass(frozen=True)
class ErrorCell:
    """A cell holding an Excel error (``#DIV/0!``, ``#REF!``…), which reads as blank."""

    ref: str
    row: int
    column: str
    error: str


@dataclass(frozen=True)
class XlsxReport:
    """What :func:`check_xlsx` measured: the first sheet's size and the cells that read blank.

    ``error_cells`` and ``merged`` (ranges such as ``E2:E3``, whose cells other than the
    top-left one read blank) are those of the first sheet.
    """

    rows: int
    columns: int
    cells: int
    formulas_without_value: tuple[FormulaCell, ...]
    error_cells: tuple[ErrorCell, ...] = ()
    merged: tuple[str, ...] = ()
    #: The sheet measured (its name as the tab shows it) and its state: ``visible``,
    #: ``hidden`` or ``veryHidden`` (only VBA can show it again).
    sheet: str = ""
    sheet_state: str = "visible"
    #: Hidden rows holding a value or formula, as (first, last) Excel row ranges (at most
    #: :data:`_MAX_HIDDEN_RANGES`), their count, and hidden columns with values (letters).
    hidden_rows: tuple[tuple[int, int], ...] = ()
    hidden_row_count: int = 0
    hidden_columns: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1024)  # called for every cell: the same few columns again and again
def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + (ord(char) - 64)
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


_MAX_HIDDEN_RANGES: Final = 50


def add_hidden_row(ranges: list[list[int]], row: int) -> None:
    """Add ``row`` (rows arrive in ascending order) to the (first, last) row ranges of an
    :class:`XlsxReport`, keeping at most :data:`_MAX_HIDDEN_RANGES` of them."""
    if ranges and ranges[-1][1] == row - 1:
        ranges[-1][1] = row
    elif len(ranges) < _MAX_HIDDEN_RANGES:
        ranges.append([row, row])


def _flag(value: str | None) -> bool:
    return value in ("1", "true")


def _zero(value: str | None) -> bool:
    """A row height or column width of 0 (hidden without the hidden flag)."""
    try:
        return value is not None and float(value) == 0
    except ValueError:
        return False


class _SheetScan:
    """An expat handler measuring one worksheet as it streams; raises LimitError early."""

    def __init__(
        self, label: str, limits: Limits, want_formulas: bool, *, measure: bool = True
    ) -> None:
        self.label = label
        self.limits = limits
        self.want_formulas = want_formulas
        self.rows = self.columns = self.cells = 0
        self.row = 0
        self.column = 0
        # The cell being read (its reference is spelt out only when reported).
        self.cell_row = self.cell_column = 0
        self.in_cell = self.in_value = self.string_result = self.error_result = False
        self.has_formula = self.has_value = False
        self.value_text = ""
        self.formulas: list[FormulaCell] = []
        self.errors: list[ErrorCell] = []
        self.merged: list[str] = []
        # Hidden rows and columns of the sheet that is read (want_formulas): a value there
        # would load although nobody sees it on screen.
        self.row_hidden = self.rows_hidden_by_default = False
        self.hidden_column_numbers: set[int] = set()
        self.hidden_rows: list[list[int]] = []
        self.hidden_row_count = self.last_hidden_row = 0
        self.hidden_value_columns: set[int] = set()
        self.parser = expat.ParserCreate()
        if measure:
            self.parser.StartElementHandler = self.start
            self.parser.EndElementHandler = self.end
            self.parser.CharacterDataHandler = self.text
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.EntityDeclHandler = self.doctype

    def doctype(self, *_: object) -> None:
        raise LimitError(
            self.label,
            "Excel ファイルに DOCTYPE・実体宣言があります（Excel で保存し直してください）",
        )

    def _grow(self, row: int, column: int) -> None:
        if row > self.rows or column > self.columns:
            self.rows, self.columns = max(self.rows, row), max(self.columns, column)
            self._check_range(f"{_column_letters(self.columns)}{self.rows}")

    def _check_range(self, where: str) -> None:
        limits = self.limits
        if (
            self.rows > limits.max_rows
            or self.columns > limits.max_columns
            or self.rows * self.columns > limits.max_cells
        ):
            raise LimitError(
                self.label,
                f"シートの範囲が大きすぎます（{where} まで、{self.rows:,}行 × "
                f"{self.columns:,}列。上限 {limits.max_rows:,}行・{limits.max_columns:,}列・"
                f"{limits.max_cells:,}セル）。使っていない行・列を削除して保存し直してください",
            )

    def _cell_ref(self) -> str:
        return f"{_column_letters(self.cell_column)}{self.cell_row}"

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name if ":" not in name else _local(name)  # runs for every element: no call
        if tag == "c":
            self.cells += 1
            ref = attrs.get("r")
            found = _CELL_REF.match(ref) if ref else None
            if found:
                self.column = _column_number(found.group(1))
                row = int(found.group(2))
            else:
                self.column += 1
                row = self.row
            if row > self.rows or self.column > self.columns:
                self._grow(row, self.column)
            self.cell_row, self.cell_column = row, self.column
            self.in_cell, self.has_formula, self.has_value = True, False, False
            kind = attrs.get("t")
            self.string_result = kind == "str"
            self.error_result = kind == "e"
            self.value_text = ""
            if self.cells > self.limits.max_cells:
                self._check_range(self._cell_ref())
        elif self.in_cell and tag == "f":
            self.has_formula = True
        elif self.in_cell and tag == "is":
            self.has_value = True
        elif self.in_cell and tag == "v":
            self.in_value = True
            # Excel caches a formula's empty-text result as <v/> with t="str".
            self.has_value = self.has_value or self.string_result
        elif tag == "row":
            number = attrs.get("r")
            self.row = int(number) if number and number.isdigit() else self.row + 1
            self.column = 0
            self._grow(self.row, self.columns)
            if self.want_formulas:
                self.row_hidden = (
                    _flag(attrs.get("hidden"))
                    or _zero(attrs.get("ht"))
                    # zeroHeight: rows are hidden unless they carry their own height
                    or (self.rows_hidden_by_default and "ht" not in attrs)
                )
        elif tag == "col" and self.want_formulas:
            if _flag(attrs.get("hidden")) or _zero(attrs.get("width")):
                low, high = attrs.get("min", ""), attrs.get("max", "")
                if low.isdigit() and high.isdigit():
                    # A range may run to XFD; columns beyond the limit cannot hold values.
                    last = min(int(high), self.limits.max_columns)
                    self.hidden_column_numbers.update(range(int(low), last + 1))
        elif tag == "sheetFormatPr":
            self.rows_hidden_by_default = _flag(attrs.get("zeroHeight"))
        elif tag == "dimension":
            self._dimension(attrs.get("ref", ""))
        elif tag == "mergeCell" and self.want_formulas and len(self.merged) < 100:
            self.merged.append(attrs.get("ref", ""))

    def _dimension(self, ref: str) -> None:
        last = ref.split(":")[-1]
        found = _CELL_REF.match(last)
        if not found:
            return
        rows, columns = int(found.group(2)), _column_number(found.group(1))
        limits = self.limits
        if (
            rows > limits.max_rows
            or columns > limits.max_columns
            or rows * columns > limits.max_cells
        ):
            raise LimitError(
                self.label,
                f"シートの範囲が {ref} と宣言されています（{rows:,}行 × {columns:,}列。"
                f"上限 {limits.max_rows:,}行・{limits.max_columns:,}列・{limits.max_cells:,}セル）。"
                "使っていない行・列を削除して保存し直してください",
            )

    def text(self, data: str) -> None:
        if self.in_value and data.strip():
            self.has_value = True  # an empty <v/> is what a formula never calculated leaves
            if self.error_result and len(self.value_text) < 20:
                self.value_text += data.strip()

    def end(self, name: str) -> None:
        tag = name if ":" not in name else _local(name)
        if tag == "v":
            self.in_value = False
        elif tag == "c":
            if self.want_formulas and self.has_formula and not self.has_value:
                self.formulas.append(
                    FormulaCell(self._cell_ref(), self.cell_row, _column_letters(self.cell_column))
                )
            if (
                (self.row_hidden or self.hidden_column_numbers)
                and self.want_formulas
                and (self.has_value or self.has_formula)
            ):
                self._hidden_value()
            if self.want_formulas and self.error_result and len(self.errors) < 100:
                self.errors.append(
                    ErrorCell(
                        self._cell_ref(),
                        self.cell_row,
                        _column_letters(self.cell_column),
                        self.value_text[:20],
                    )
                )
            self.in_cell = False

    def _hidden_value(self) -> None:
        """Record the current cell if its row or column is hidden."""
        if self.column in self.hidden_column_numbers:
            self.hidden_value_columns.add(self.column)
        if not self.row_hidden:
            return
        if self.last_hidden_row == self.row:
            return  # another cell of the same row
        self.last_hidden_row = self.row
        self.hidden_row_count += 1
        add_hidden_row(self.hidden_rows, self.row)


@dataclass(frozen=True)
class _Sheet:
    """A worksheet as ``xl/workbook.xml`` lists it: part name, tab name and state."""

    part: str
    name: str
    state: str


def _read_sheet(book: zipfile.ZipFile, name: str | None = None) -> _Sheet | None:
    """The worksheet ``name``, or the first one (what ``polars.read_excel`` reads by
    default, hidden or not)."""
    import html

    try:
        workbook = book.read("xl/workbook.xml")
        rels = book.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    chosen: dict[bytes, bytes] | None = None
    for tag in re.finditer(rb"<(?:\w+:)?sheet\b[^>]*>", workbook):
        attrs = dict(re.findall(rb'([\w:]+)="([^"]*)"', tag.group(0)))
        shown = html.unescape(attrs.get(b"name", b"").decode("utf-8", "replace"))
        if name is None or shown == name:
            chosen = attrs | {b"name": shown.encode("utf-8")}
            break
    rid = next((v for k, v in (chosen or {}).items() if k.endswith(b":id")), None)
    if chosen is None or rid is None:
        return None
    for rel in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        attrs = dict(re.findall(rb'(\w+)="([^"]*)"', rel.group(0)))
        if attrs.get(b"Id") == rid:
            target = attrs.get(b"Target", b"").decode("utf-8", "replace").lstrip("/")
            return _Sheet(
                target if target.startswith("xl/") else f"xl/{target}",
                chosen[b"name"].decode("utf-8"),
                chosen.get(b"state", b"visible").decode("utf-8", "replace"),
            )
    return None


def check_xlsx(data: bytes, label: str, limits: Limits, sheet: str | None = None) -> XlsxReport:
    """Measure an xlsx without loading it; the read sheet's size, value-less formulas and
    hidden rows and columns. The read sheet is ``sheet`` (by name) or the first one.

    Raises
    ------
    LimitError
        On a zip bomb, a part lying about its size, a sheet range or cell count over the
        limits, a DOCTYPE, or a file that is not a zip.
    """
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise LimitError(
            label,
            "Excel（.xlsx）ファイルとして開けません（ファイルが壊れています。Excel で開き直して保存してください）",
        ) from None
    with book:
        parts = book.infolist()
        if len(parts) > limits.max_parts:
            raise LimitError(
                label,
                f"Excel ファイルの中の部品が多すぎます（{len(parts):,}個。上限 {limits.max_parts:,}個）",
            )
        total = sum(p.file_size for p in parts)
        if total > limits.max_uncompressed:
            raise LimitError(
                label,
                f"展開すると大きすぎる Excel ファイルです（展開後 {_size(total)}。"
                f"上限 {_size(limits.max_uncompressed)}）。不要なシートや行を削除して保存し直してください",
            )
        read = _read_sheet(book, sheet)
        first = read.part if read else None
        report: XlsxReport | None = None
        for part in parts:
            is_sheet = part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")
            is_xml = part.filename.endswith((".xml", ".rels"))
            # Every XML part is parsed (a DOCTYPE anywhere is refused); sheets are measured.
            scan = (
                _SheetScan(label, limits, part.filename == first, measure=is_sheet)
                if is_xml
                else None
            )
            try:
                with book.open(part) as stream:
                    while chunk := stream.read(1 << 20):
                        if scan is not None:
                            scan.parser.Parse(chunk, False)
                if scan is not None:
                    scan.parser.Parse(b"", True)
            except LimitError:
                raise
            except (
                zipfile.BadZipFile,
                zipfile.LargeZipFile,
                NotImplementedError,
                OSError,
                EOFError,
            ):
                raise LimitError(
                    label,
                    f"Excel ファイルの中の {part.filename} が壊れています（Excel で開き直して保存してください）",
                ) from None
            except expat.ExpatError as error:
                raise LimitError(
                    label,
                    f"Excel ファイルの中の {part.filename} が正しい XML ではありません"
                    f"（{expat.ErrorString(error.code)}。Excel で開き直して保存してください）",
                ) from None
            if is_sheet and scan is not None and (report is None or part.filename == first):
                report = XlsxReport(
                    scan.rows,
                    scan.columns,
                    scan.cells,
                    tuple(scan.formulas),
                    tuple(scan.errors),
                    tuple(scan.merged),
                    read.name if read and part.filename == first else "",
                    read.state if read and part.filename == first else "visible",
                    tuple((low, high) for low, high in scan.hidden_rows),
                    scan.hidden_row_count,
                    tuple(_column_letters(c) for c in sorted(scan.hidden_value_columns)),
                )
    return report or XlsxReport(0, 0, 0, ())


def _row_list(report: XlsxReport) -> str:
    """``5・8〜10行目``, and how many more rows when the list was cut."""
    shown = "・".join(f"{a}" if a == b else f"{a}〜{b}" for a, b in report.hidden_rows)
    listed = sum(b - a + 1 for a, b in report.hidden_rows)
    more = report.hidden_row_count - listed
    return f"{shown}行目" + (f"（ほか{more:,}行）" if more > 0 else "")


def hidden_reasons(report: XlsxReport) -> list[str]:
    """Why a steward's xlsx is refused for what its read sheet hides, in Japanese with the
    fix: the sheet itself hidden, hidden rows or hidden columns holding values. A value
    nobody sees on screen would otherwise become a warehouse figure nobody checked.
    Empty hidden rows and columns, and hidden sheets that are not read, are fine.

    >>> hidden_reasons(XlsxReport(3, 2, 6, (), sheet="実績", hidden_rows=((2, 3),),
    ...                           hidden_row_count=2, hidden_columns=("B",)))[0]
    'シート「実績」の 2〜3行目は非表示の行（フィルターで隠れた行を含む）で、値が入っています。画面に見えない値は読み込みません。Excel で行の再表示（フィルターの解除）をして値を確かめ、要らない行は削除してから保存してください'
    """
    sheet = f"シート「{report.sheet}」"
    reasons: list[str] = []
    if report.sheet_state == "veryHidden":
        reasons.append(
            f"読み込む{sheet}は、Excel の画面から再表示できない非表示のシート（veryHidden）です。"
            "画面に見えない値は読み込みません。値を確かめて表示されているシートに入力し、"
            "そのシートを先頭にして保存してください"
        )
    elif report.sheet_state != "visible":
        reasons.append(
            f"読み込む{sheet}は非表示のシートです。画面に見えない値は読み込みません。"
            "Excel でシートの再表示をして値を確かめ、要らないシートは削除してから保存してください"
        )
    if report.hidden_row_count:
        reasons.append(
            f"{sheet}の {_row_list(report)}は非表示の行（フィルターで隠れた行を含む）で、"
            "値が入っています。画面に見えない値は読み込みません。Excel で行の再表示"
            "（フィルターの解除）をして値を確かめ、要らない行は削除してから保存してください"
        )
    if report.hidden_columns:
        reasons.append(
            f"{sheet}の {'・'.join(report.hidden_columns)}列は非表示の列で、値が入っています。"
            "画面に見えない値は読み込みません。Excel で列の再表示をして値を確かめ、"
            "要らない列は削除してから保存してください"
        )
    return reasons


def check_table(data: bytes, label: str, limits: Limits) -> XlsxReport | None:
    """Measure a table's bytes by their format (xlsx, xls, else text); the xlsx report."""
    if data.startswith(ZIP_MAGIC):
        return check_xlsx(data, label, limits)
    if data.startswith(OLE2_MAGIC):
        return None  # BIFF: xlrd's sheet size is checked with check_shape once it is open
    check_csv(data, label, limits)
    return None
