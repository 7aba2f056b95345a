"""Read the raw tables that people edit (CSV and Excel) into typed polars frames.

One reader for every Japanese CSV/xlsx: encoding sniffed (UTF-8 with or without BOM,
CP932), every cell read as text, then converted column by column. Each problem becomes
an :class:`InputError` naming file, row (as Excel numbers it: the header is row 1),
column, the offending value and the fix, so a data steward can correct the file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ebpm import jp

__all__ = [
    "ACTUALS_COLUMNS",
    "FILE",
    "ROW",
    "STRATEGY_COLUMNS",
    "BuildError",
    "Column",
    "InputError",
    "read_actuals",
    "read_table",
    "table_files",
]

ROW = "_row"
FILE = "_file"
TABLE_SUFFIXES = (".csv", ".xlsx")


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


def _code(value: str) -> str:
    code = jp.normalize_text(value)
    if not code:
        raise ValueError("空欄です（値を入力してください）")
    return code


def _optional_text(value: str) -> str | None:
    # Names are kept as published (no NFKC: it would turn 「～」 into 「~」).
    return value.strip() or None


def _required_text(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("空欄です（値を入力してください）")
    return text


def _number(value: str) -> float:
    number = jp.parse_number(value)
    if number is None:
        raise ValueError(f"「{value}」は数値ではありません（実績値を数値で入力してください）")
    return number


def _optional_int(value: str) -> int | None:
    number = jp.parse_number(value)
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
        Column("strategy_id", ("strategy_id",), _required_text, pl.String()),
        Column("field_id", ("field_id",), _int, pl.Int32()),
        Column("number", ("number",), _int, pl.Int32()),
        Column("name", ("name",), _required_text, pl.String()),
    ),
    "tactics.csv": (
        Column("tactic_id", ("tactic_id",), _required_text, pl.String()),
        Column("strategy_id", ("strategy_id",), _required_text, pl.String()),
        Column("number", ("number",), _int, pl.Int32()),
        Column("name", ("name",), _required_text, pl.String()),
    ),
    "kpi_definitions.csv": (
        Column("kpi_id", ("kpi_id",), _required_text, pl.String()),
        Column("revision", ("revision",), _int, pl.Int32()),
        Column("valid_from", ("valid_from",), _date, pl.Date()),
        Column("strategy_id", ("strategy_id",), _required_text, pl.String()),
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


def _read_cells(path: Path, label: str, allow_empty: bool = False) -> pl.DataFrame:
    """Every cell as text, plus the Excel-style row number; raises BuildError.

    A file with a header and no rows is refused unless ``allow_empty`` (a new workspace's
    definition files start that way).
    """
    data = path.read_bytes()
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise BuildError(
            [InputError(label, "ファイルが空です（見出し行とデータ行を入力してください）")]
        )
    if path.suffix.lower() == ".xlsx":
        if not data.startswith(b"PK"):
            raise BuildError(
                [
                    InputError(
                        label,
                        "Excel（.xlsx）形式のファイルではありません（Excel で開き「Excel ブック」として保存し直してください）",
                    )
                ]
            )
        try:
            frame = pl.read_excel(io.BytesIO(data), infer_schema_length=0)
        except Exception as error:  # calamine reports many shapes of broken files
            raise BuildError(
                [InputError(label, f"Excel ファイルを読めません（{error}）")]
            ) from None
    else:
        try:
            encoding = jp.sniff_encoding(data)
        except UnicodeDecodeError:
            raise BuildError(
                [
                    InputError(
                        label,
                        "文字コードを判別できません（UTF-8 か Shift_JIS（CP932）で保存し直してください）",
                    )
                ]
            ) from None
        text = data.decode(encoding)
        try:
            frame = pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=False)
        except pl.exceptions.PolarsError as error:
            raise BuildError(
                [
                    InputError(
                        label,
                        f"CSV として読めません（列の数がそろっているか確かめてください: {error}）",
                    )
                ]
            ) from None
    frame = frame.rename({c: jp.normalize_text(c) for c in frame.columns})
    frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    value_columns = [c for c in frame.columns if c != ROW]
    blank = pl.all_horizontal(pl.col(value_columns).fill_null("").str.strip_chars() == "")
    frame = frame.filter(~blank)
    if frame.height == 0 and not allow_empty:
        raise BuildError(
            [InputError(label, "データ行がありません（見出しの下に1行以上入力してください）")]
        )
    return frame


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
    errors: list[InputError] = []
    found = {c: c for c in cells.columns}
    picked: dict[str, str | None] = {}
    for column in columns:
        header = next((found[a] for a in column.aliases if a in found), None)
        if header is None and column.required:
            expected = "」か「".join(column.aliases[:3])
            errors.append(
                InputError(
                    label,
                    f"必要な列「{expected}」がありません（見出し行に列を追加してください。今ある列: {', '.join(c for c in cells.columns if c != ROW)}）",
                )
            )
        picked[column.name] = header
    if errors:
        return pl.DataFrame(), errors
    out: dict[str, list[object]] = {}
    rows = cells[ROW].to_list()
    for column in columns:
        header = picked[column.name]
        raw = cells[header].to_list() if header else [""] * cells.height
        values: list[object] = []
        for row, cell in zip(rows, raw, strict=True):
            try:
                values.append(column.convert("" if cell is None else cell))
            except ValueError as error:
                values.append(None)
                errors.append(InputError(label, str(error), row, header))
        out[column.name] = values
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


def table_files(folder: Path) -> list[Path]:
    """The CSV and xlsx files of a folder, sorted; Excel lock files (~$…) are skipped."""
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
