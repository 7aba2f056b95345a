"""Hostile and broken files that are too large (or too binary) to commit: built by code.

Every builder writes one file and returns its path; the small hand-written files of this
corpus sit beside this module (see README.md). Sizes are chosen to reproduce issue 14:
a 5 KB xlsx whose cells span A1:XFD1048576, a ~3 MB xlsx holding 1 GB of sheet XML, a
110 MB CSV of duplicates.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
HEADER = "kpi_id,fiscal_year,value,sample_size,source,note,is_sample\n"

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>"
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b"</Relationships>"
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def _workbook(path: Path, write_sheet) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD)
            write_sheet(sheet)
            sheet.write(_SHEET_TAIL)
    return path


def _inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def dimension_bomb_xlsx(path: Path) -> Path:
    """About 1 KB: a header row, and one number in XFD1048576 (the last cell of a sheet)."""

    def sheet(stream) -> None:
        headers = ["kpi_id", "fiscal_year", "value", "is_sample"]
        cells = b"".join(_inline(f"{c}1", h) for c, h in zip("ABCD", headers, strict=True))
        stream.write(b'<row r="1">' + cells + b"</row>")
        stream.write(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')

    return _workbook(path, sheet)


def declared_dimension_xlsx(path: Path) -> Path:
    """Two cells, but a ``<dimension ref="A1:XFD1048576"/>`` that a reader may allocate for."""

    def sheet(stream) -> None:
        stream.write(b'<row r="1">' + _inline("A1", "kpi_id") + b"</row>")

    path = _workbook(path, sheet)
    data = path.read_bytes()
    # Rebuild with the dimension element first (it belongs before sheetData).
    with zipfile.ZipFile(path) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, body in parts.items():
            book.writestr(name, body)
    assert path.read_bytes() != data
    return path


def zip_bomb_xlsx(path: Path, sheet_bytes: int = 1 << 30) -> Path:
    """About 3 MB on disk, ``sheet_bytes`` (1 GB) of identical rows once inflated."""
    block = b'<row><c t="inlineStr"><is><t>K01</t></is></c></row>' * 20_000

    def sheet(stream) -> None:
        written = 0
        while written < sheet_bytes:
            stream.write(block)
            written += len(block)

    return _workbook(path, sheet)


def lying_size_xlsx(path: Path, real_bytes: int = 50 * 1024 * 1024) -> Path:
    """A sheet part whose zip headers declare 1,000 bytes but which inflates to ``real_bytes``."""
    zip_bomb_xlsx(path, real_bytes)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    central = data.index(b"PK\x01\x02")
    while True:  # find the central directory entry of the sheet
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_length]) == name:
            break
        extra, comment = struct.unpack_from("<HH", data, central + 30)
        central += 46 + name_length + extra + comment
    extra_at = central + 46 + name_length
    if struct.unpack_from("<I", data, central + 24)[0] == 0xFFFFFFFF:  # zip64: size in extra
        struct.pack_into("<Q", data, extra_at + 4, 1000)
    else:
        struct.pack_into("<I", data, central + 24, 1000)
    path.write_bytes(bytes(data))
    return path


def formula_without_value_xlsx(path: Path) -> Path:
    """An actuals sheet whose value in C3 is a formula never calculated (no cached value)."""

    def sheet(stream) -> None:
        headers = ["kpi_id", "fiscal_year", "value", "is_sample"]
        stream.write(
            b'<row r="1">'
            + b"".join(_inline(f"{c}1", h) for c, h in zip("ABCD", headers, strict=True))
            + b"</row>"
        )
        stream.write(
            b'<row r="2">'
            + _inline("A2", "K01")
            + b'<c r="B2"><v>2025</v></c><c r="C2"><v>12</v></c>'
            + _inline("D2", "true")
            + b"</row>"
        )
        stream.write(
            b'<row r="3">'
            + _inline("A3", "K02")
            + b'<c r="B3"><v>2025</v></c><c r="C3"><f>SUM(X1:X9)</f><v></v></c>'
            + _inline("D3", "true")
            + b"</row>"
        )

    return _workbook(path, sheet)


def duplicates_csv(path: Path, size: int = 110 * 1024 * 1024) -> Path:
    """``size`` bytes of one actual repeated (written in blocks, never held in memory)."""
    line = b"K01,2025,12,,,,true\n"
    block = line * 50_000
    with path.open("wb") as handle:
        handle.write(HEADER.encode())
        written = 0
        while written < size:
            handle.write(block)
            written += len(block)
    return path


def many_rows_csv(path: Path, rows: int = 150_000) -> Path:
    """Below the size limit but above the row limit (100,000 rows)."""
    with path.open("wb") as handle:
        handle.write(HEADER.encode())
        handle.write(b"K01,2025,12,,,,true\n" * rows)
    return path


def big_estat_json(path: Path, size: int = 70 * 1024 * 1024) -> Path:
    """A JSON file larger than the e-Stat file limit (24 MB)."""
    with path.open("wb") as handle:
        handle.write(b'{"GET_STATS_DATA": {"RESULT": {"STATUS": 0}, "PAD": "')
        handle.write(b"x" * size)
        handle.write(b'"}}')
    return path
