"""Opening system exports: CSV (UTF-8, BOM, CP932) and xlsx, as DuckDB relations.

Large CSV files are never read into Python: the encoding is sniffed from the first
non-ASCII bytes, the header line is parsed, and DuckDB's parallel reader does the
rest. DuckDB 2.0 reads only UTF-8 offline (stack-notes §4), so a CP932 file is
streamed once through a byte-for-byte *latin-1 → UTF-8* transcoding into a private
temporary file: every CP932 byte ≥ 0x80 becomes one code point U+0080–U+00FF, which
is lossless and about four times faster than decoding CP932. Delimiters, quotes and
line ends are ASCII and are never the trail byte of a CP932 character (trail bytes
are 0x40–0x7E, 0x80–0xFC), so DuckDB splits the fields exactly where a CP932 reader
would. The few values that are text (employee ids, departments) are turned back
into proper strings once per distinct value (:func:`from_raw`), and literals the SQL
compares with (date spellings) are turned into the same form (:func:`to_raw`).

xlsx files (at most 1,048,576 rows) are read with calamine into a polars frame of
strings and registered in DuckDB.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from ebpm.readers import InputError
from ebpm.records.mapping import Layout, is_direct_identifier, normalize_header

__all__ = [
    "ExportFile",
    "column_notices",
    "from_raw",
    "open_export",
    "read_small",
    "to_raw",
    "transcode_cp932",
]

ROW = "_row"
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_SNIFF_WINDOW = 1 << 20
Encoding = Literal["utf-8", "utf-8-sig", "cp932"]


class ExportRefused(Exception):
    """An export that cannot be read at all (carries InputErrors)."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass(frozen=True)
class ExportFile:
    """One export file, its layout and what its header holds."""

    path: Path
    label: str  # path relative to data/raw, for messages and provenance
    layout: Layout
    format: Literal["csv", "xlsx"]
    encoding: Encoding
    headers: tuple[str, ...]  # normalised, in file order
    is_sample: bool
    written: tuple[str, ...] = ()  # the headers as written in the file (for messages)

    def position(self, header: str) -> int:
        return self.headers.index(header)

    def shown(self, header: str | None) -> str | None:
        """A (normalised) header as the file writes it, for messages."""
        if header is None or header not in self.headers or not self.written:
            return header
        return self.written[self.headers.index(header)].strip()

    @property
    def first_data_row(self) -> int:
        """Excel-style number of the first data row (the header row is ``layout.header_row``)."""
        return self.layout.header_row + 1


def to_raw(text: str, encoding: Encoding) -> str:
    """A literal as the SQL sees it in a file of ``encoding`` (see the module docstring)."""
    return text.encode("cp932").decode("latin-1") if encoding == "cp932" else text


def from_raw(value: str, encoding: Encoding) -> str:
    """Undo :func:`to_raw` for a value read from a file of ``encoding``."""
    if encoding != "cp932":
        return value
    return value.encode("latin-1").decode("cp932", errors="replace")


def _sniff_encoding(path: Path, label: str) -> Encoding:
    """BOM → utf-8-sig; the first non-ASCII bytes decide between UTF-8 and CP932."""
    with path.open("rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        offset = 0
        while block := handle.read(_SNIFF_WINDOW):
            if b"\x00" in block:
                raise ExportRefused(
                    [
                        InputError(
                            label,
                            "テキストの CSV ではありません（UTF-16 などは UTF-8 か Shift_JIS で保存し直してください）",
                        )
                    ]
                )
            found = _NON_ASCII.search(block)
            if found is None:
                offset += len(block)
                continue
            handle.seek(offset + found.start())
            window = handle.read(_SNIFF_WINDOW)
            try:
                codecs.getincrementaldecoder("utf-8")().decode(window, final=False)
                return "utf-8"
            except UnicodeDecodeError:
                pass
            cut = window.rfind(b"\n")
            try:
                window[: cut if cut > 0 else len(window)].decode("cp932")
                return "cp932"
            except UnicodeDecodeError:
                raise ExportRefused(
                    [
                        InputError(
                            label,
                            "文字コードを判別できません（UTF-8 か Shift_JIS（CP932）で保存し直してください）",
                        )
                    ]
                ) from None
    return "utf-8"


def _csv_header(path: Path, encoding: Encoding, layout: Layout, label: str) -> list[str]:
    with path.open("r", encoding=encoding, newline="", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=layout.delimiter)
        row: list[str] | None = None
        for _ in range(layout.header_row):
            row = next(reader, None)
            if row is None:  # the file ended before that row
                break
    if not row or not any(cell.strip() for cell in row):
        raise ExportRefused(
            [
                InputError(
                    label,
                    f"{layout.header_row}行目に見出しがありません（ファイルが空か、mapping.toml の header_row が違います）",
                )
            ]
        )
    return row


def _check_headers(headers: list[str], layout: Layout, label: str) -> tuple[str, ...]:
    normalised = tuple(normalize_header(h) for h in headers)
    written = [str(h).strip() for h in headers]
    errors: list[InputError] = []
    seen: set[str] = set()
    for header in normalised:
        if header and header in seen:
            errors.append(
                InputError(
                    label,
                    f"見出し「{header}」が2つあります（列の見出しは重ならないようにしてください）",
                )
            )
        seen.add(header)
    present = set(normalised)
    for field, names in layout.columns.items():
        for name in names:
            if name not in present:
                shown = "、".join(h for h in written if h)
                errors.append(
                    InputError(
                        label,
                        f"mapping.toml の {field} に書いた列「{name}」がありません"
                        f"（{layout.where} を直してください。このファイルの見出し: {shown}）",
                    )
                )
    if errors:
        raise ExportRefused(errors)
    return normalised


def column_notices(file: ExportFile) -> list[str]:
    """Columns of the export that are not imported: direct identifiers first (never read)."""
    mapped = {name for names in file.layout.columns.values() for name in names}
    notices = []
    for header in file.headers:
        if not header or header in mapped:
            continue
        if is_direct_identifier(header):
            notices.append(
                f"列「{header}」は個人を直接特定できる情報のため、読み込まずに除きました"
            )
        else:
            notices.append(
                f"列「{header}」は mapping.toml に対応づけがないため、取り込みませんでした"
            )
    return notices


def open_export(path: Path, label: str, layout: Layout, is_sample: bool) -> ExportFile:
    """Sniff a file: format, encoding and header; checks the mapped columns exist.

    Raises
    ------
    ExportRefused
        Empty or unreadable file, unknown encoding, missing mapped columns.
    """
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise ExportRefused([InputError(label, "ファイルが空です")])
    if suffix == ".xlsx":
        frame = _read_xlsx(path, layout, label, header_only=True)
        headers = _check_headers(list(frame.columns), layout, label)
        return ExportFile(
            path, label, layout, "xlsx", "utf-8", headers, is_sample, tuple(frame.columns)
        )
    if suffix != ".csv":
        raise ExportRefused(
            [InputError(label, "CSV（.csv）か Excel（.xlsx）のファイルにしてください")]
        )
    encoding = _sniff_encoding(path, label)
    written = _csv_header(path, encoding, layout, label)
    headers = _check_headers(written, layout, label)
    return ExportFile(path, label, layout, "csv", encoding, headers, is_sample, tuple(written))


def transcode_cp932(source: Path, target: Path, block: int = 1 << 24) -> None:
    """Write ``source`` as UTF-8 with each byte ≥ 0x80 as U+0080–U+00FF (lossless, fast)."""
    with source.open("rb") as src, target.open("wb") as out:
        while chunk := src.read(block):
            out.write(chunk.decode("latin-1").encode("utf-8"))


def _read_xlsx(
    path: Path, layout: Layout, label: str, *, header_only: bool = False
) -> pl.DataFrame:
    from ebpm import limits

    if path.stat().st_size > limits.RECORDS_TABLE.max_bytes:
        raise ExportRefused(
            [
                InputError(
                    label,
                    f"Excel ファイルが大きすぎます（{limits.RECORDS_TABLE.max_bytes // 2**20}MB まで。"
                    "CSV で書き出してください）",
                )
            ]
        )
    with path.open("rb") as handle:
        magic = handle.read(2)
    if magic == b"PK" and header_only:  # measured once, before calamine loads the sheet
        try:
            report = limits.check_xlsx(
                limits.read_bytes(path, label, limits.RECORDS_TABLE),
                label,
                limits.RECORDS_TABLE,
                layout.sheet,
            )
        except limits.LimitError as error:
            raise ExportRefused([InputError(label, error.reason)]) from None
        # Values in hidden rows, columns or a hidden sheet would load unseen.
        hidden = [InputError(label, reason) for reason in limits.hidden_reasons(report)]
        if hidden:
            raise ExportRefused(hidden)
    if magic != b"PK":
        raise ExportRefused(
            [
                InputError(
                    label,
                    "Excel（.xlsx）形式のファイルではありません（Excel ブックとして保存し直してください）",
                )
            ]
        )
    options: dict[str, object] = {"header_row": layout.header_row - 1}
    if header_only:
        options["n_rows"] = 1
    try:
        frame = pl.read_excel(
            path,
            sheet_name=layout.sheet,
            infer_schema_length=0,
            read_options=options,
        )
    except Exception as error:  # calamine reports many shapes of broken files
        name = type(error).__name__
        where = f"シート「{layout.sheet}」" if layout.sheet else "最初のシート"
        raise ExportRefused(
            [InputError(label, f"Excel ファイルの{where}を読めません（{name}）")]
        ) from None
    return frame


def read_small(file: ExportFile) -> pl.DataFrame:
    """A small export (paper purchases, an xlsx) as strings: normalised headers plus ``_row``.

    Fully blank rows are dropped; ``_row`` is the Excel-style row number.
    """
    from ebpm import limits

    if file.format == "xlsx":
        frame = _read_xlsx(file.path, file.layout, file.label)
    else:
        try:
            data = limits.read_bytes(file.path, file.label, limits.RECORDS_TABLE)
            limits.check_csv(data, file.label, limits.RECORDS_TABLE)
        except limits.LimitError as error:
            raise ExportRefused([InputError(file.label, error.reason)]) from None
        text = data.decode(file.encoding)
        try:
            frame = pl.read_csv(
                io.StringIO(text),
                infer_schema=False,
                separator=file.layout.delimiter,
                skip_rows=file.layout.header_row - 1,
                truncate_ragged_lines=False,
            )
        except pl.exceptions.PolarsError:
            raise ExportRefused(
                [
                    InputError(
                        file.label, "CSV として読めません（列の数がそろっているか確かめてください）"
                    )
                ]
            ) from None
    frame = frame.rename(dict(zip(frame.columns, file.headers, strict=False)))
    frame = frame.with_row_index(ROW, offset=file.first_data_row).with_columns(
        pl.col(ROW).cast(pl.Int64)
    )
    values = [c for c in frame.columns if c != ROW]
    blank = pl.all_horizontal(pl.col(values).fill_null("").str.strip_chars() == "")
    return frame.filter(~blank)
