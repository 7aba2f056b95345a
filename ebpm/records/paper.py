"""Paper-purchase exports → one typed row per purchase, checked with Great Expectations.

Purchase exports are small (a city buys paper a few hundred times a year), so each
file is read into polars, every cell is converted with a Japanese message naming its
row and column, and the typed table is validated by a GX suite like the other
warehouse tables. Quantities become sheets: 枚 = 1, 連 = 500 枚, 箱 = the sheets per
box stated in ``mapping.toml`` (one number, one per paper size) or in a column.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ebpm import jp
from ebpm.readers import FILE, ROW, InputError, cell_text_error
from ebpm.records.checks import Findings
from ebpm.records.dates import explain_refusal, lookup_key, spellings
from ebpm.records.exports import ExportFile, ExportRefused, column_notices, read_small
from ebpm.records.mapping import BOX, PAPER_UNITS, RecordMapping, normalize_header
from ebpm.records.overtime import IngestResult, period_of, write_partitions

if TYPE_CHECKING:
    from ebpm.validation import Suite

__all__ = ["PAPER_COLUMNS", "ingest_paper", "paper_suite"]

#: Columns of the stored purchase records (plus the partition column ``fiscal_year``).
PAPER_COLUMNS = {
    "purchase_date": "DATE",
    "year": "INTEGER",
    "month": "INTEGER",
    "fiscal_month": "INTEGER",
    "department": "VARCHAR",
    "paper_size": "VARCHAR",
    "quantity": "DOUBLE",
    "unit": "VARCHAR",
    "sheets_per_unit": "BIGINT",
    "sheets": "BIGINT",
    "is_sample": "BOOLEAN",
    "source_file": "VARCHAR",
    "source_row": "BIGINT",
}


#: The largest sheet count a float holds exactly.
_MAX_EXACT_SHEETS = 2**53


def paper_suite(max_sheets_per_row: int) -> Suite:
    """GX checks of the typed purchases (conversion errors are found before)."""
    from ebpm.validation import Check, Suite

    return Suite(
        "record_paper",
        [
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=0),
                "quantity",
                lambda v: (
                    f"数量「{v:g}」が負の値です（返品は購入から差し引いた数量で書き出してください）"
                ),
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeBetween(
                    column="sheets", max_value=max_sheets_per_row
                ),
                "quantity",
                lambda v: (
                    f"1行で {v:,} 枚は多すぎます（上限 {max_sheets_per_row:,} 枚。数量と単位を確かめるか、"
                    "mapping.toml の [checks] max_sheets_per_row を見直してください）"
                ),
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeInSet(
                    column="unit", value_set=[*PAPER_UNITS, BOX]
                ),
                "unit",
                lambda v: f"単位「{v}」は使えません（枚・連・箱のどれかです）",
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToMatchRegex(
                    column="paper_size", regex=r"^[AB][0-9]$"
                ),
                "paper_size",
                lambda v: f"用紙の大きさ「{v}」が読めません（A4、A3、B4 のように書いてください）",
            ),
        ],
    )


class _RowFailures:
    """Adds one row's findings (file, row, column as shown) and remembers whether any was found."""

    def __init__(self, file: ExportFile, row: int, findings: Findings) -> None:
        self.file = file
        self.row = row
        self.findings = findings
        self.ok = True

    def __call__(self, check: str, column: str | None, message: str) -> None:
        self.ok = False
        self.findings.add(
            check, InputError(self.file.label, message, self.row, self.file.shown(column))
        )


def _purchase_date(
    cells: dict,
    file: ExportFile,
    calendar: dict[str, dt.date],
    period: tuple[dt.date, dt.date],
    fail: _RowFailures,
) -> dt.date | None:
    date_column = file.layout.column("date")
    text = cells.get(date_column) if date_column else None
    day = calendar.get(lookup_key(text)) if isinstance(text, str) else None
    if day is None:
        fail("date", date_column, explain_refusal(text, *period))
    return day


def _quantity(cells: dict, file: ExportFile, fail: _RowFailures) -> float | None:
    quantity_column = file.layout.column("quantity")
    quantity_text = cells.get(quantity_column) if quantity_column is not None else None
    try:
        quantity = jp.parse_number(quantity_text)
    except ValueError:
        quantity = None
    if quantity is None:
        fail(
            "quantity",
            quantity_column,
            f"数量「{quantity_text or ''}」を数値に変換できません（数値だけを入れてください）",
        )
    elif not math.isfinite(quantity):
        fail(
            "quantity",
            quantity_column,
            f"数量「{quantity_text}」は有限の数値ではありません（inf・nan や桁が大きすぎる数は"
            "使えません。数値だけを入れてください）",
        )
        return None
    return quantity


def _sheets_per_unit(
    cells: dict, file: ExportFile, unit: str | None, paper_size: str, fail: _RowFailures
) -> int | None:
    """Sheets in one unit: 枚 and 連 are fixed, a box is read from its column or mapping.toml."""
    layout = file.layout
    unit_column = layout.column("unit")
    per_unit = PAPER_UNITS.get(unit or "")
    if unit == BOX:
        box_column = layout.column("sheets_per_box_column")
        if box_column:
            try:
                number = jp.parse_number(cells.get(box_column))
            except ValueError:
                number = None
            per_unit = int(number) if number and number > 0 and number.is_integer() else None
            if per_unit is None:
                fail("box", box_column, "1箱の枚数が正の整数ではありません")
        else:
            per_unit = layout.sheets_per_box.get(paper_size, layout.sheets_per_box.get("*"))
            if per_unit is None:
                fail(
                    "box",
                    unit_column,
                    f"{paper_size} の1箱の枚数がわかりません"
                    f"（mapping.toml の sheets_per_box に {paper_size} = 2500 のように書いてください）",
                )
    elif per_unit is None and unit:
        fail("unit", unit_column, f"単位「{unit}」は使えません（枚・連・箱のどれかです）")
    elif not unit:
        fail("unit", unit_column, "単位が空欄です（枚・連・箱のどれかを入れてください）")
    return per_unit


def _convert_row(
    cells: dict,
    file: ExportFile,
    calendar: dict[str, dt.date],
    period: tuple[dt.date, dt.date],
    findings: Findings,
) -> dict[str, object] | None:
    """One kept row as a record, or None when any of its cells was refused."""
    layout = file.layout
    row = cells[ROW]
    record: dict[str, object] = {FILE: file.label, ROW: row}
    fail = _RowFailures(file, row, findings)
    record["purchase_date"] = _purchase_date(cells, file, calendar, period, fail)
    for field in ("department", "paper_size"):
        column = layout.column(field)
        value = normalize_header((cells.get(column) if column is not None else None) or "")
        if not value:
            fail(field, column, "空欄です（値を入れてください）")
        elif problem := cell_text_error(value):
            fail(field, column, problem)
        record[field] = value.upper() if field == "paper_size" else value
    quantity = _quantity(cells, file, fail)
    record["quantity"] = quantity
    unit_column = layout.column("unit")
    unit = normalize_header(cells.get(unit_column) or "") if unit_column else layout.unit_value
    record["unit"] = unit
    per_unit = _sheets_per_unit(cells, file, unit, str(record["paper_size"]), fail)
    record["sheets_per_unit"] = per_unit
    if fail.ok and quantity is not None and per_unit is not None:
        sheets = quantity * per_unit
        if not float(sheets).is_integer():
            fail(
                "quantity",
                layout.column("quantity"),
                f"数量 {quantity:g}{unit} は枚数が整数になりません（数量と単位を確かめてください）",
            )
        elif abs(sheets) > _MAX_EXACT_SHEETS:
            # Beyond 2**53 a float no longer holds whole sheets, nor does the table's
            # integer column hold 2**63: refused here; the mapping's limit checks the rest.
            fail(
                "quantity",
                layout.column("quantity"),
                f"数量 {quantity:g}{unit}"
                + (f"（{sheets:.3g}枚）" if unit != "枚" else "")
                + "は大きすぎます。桁の誤りではありませんか（数量と単位を確かめてください）",
            )
        else:
            record["sheets"] = int(sheets)
    return record if fail.ok else None


def _convert(
    frame: pl.DataFrame,
    file: ExportFile,
    calendar: dict[str, dt.date],
    period: tuple[dt.date, dt.date],
    findings: Findings,
) -> pl.DataFrame:
    """Cell-by-cell conversion of one file's kept rows (small tables only)."""
    rows = [
        record
        for cells in frame.iter_rows(named=True)
        if (record := _convert_row(cells, file, calendar, period, findings)) is not None
    ]
    schema = {
        FILE: pl.String,
        ROW: pl.Int64,
        "purchase_date": pl.Date,
        "department": pl.String,
        "paper_size": pl.String,
        "quantity": pl.Float64,
        "unit": pl.String,
        "sheets_per_unit": pl.Int64,
        "sheets": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def ingest_paper(
    mapping: RecordMapping,
    files: list[ExportFile],
    stage: Path,
    today: dt.date | None = None,
) -> IngestResult:
    """Read, convert and validate paper purchases; write one staged Parquet file per fiscal year.

    Raises :class:`~ebpm.readers.BuildError` listing every problem (file, row, column).
    """
    from ebpm import validation
    from ebpm.readers import BuildError

    period = period_of(mapping, today or dt.date.today())
    findings = Findings()
    calendars = {unit: spellings(*period, unit) for unit in {f.layout.date_unit for f in files}}
    frames: list[pl.DataFrame] = []
    dropped = 0
    for file in files:
        for notice in column_notices(file):
            findings.notice(
                f"{mapping.label.rsplit('/', 1)[0]}: {notice}（{file.layout.where} の形式のファイル）"
            )
        try:
            frame = read_small(file)
        except ExportRefused as refused:
            for error in refused.errors:
                findings.add("file", error)
            continue
        item_column = file.layout.column("item")
        if item_column:
            text = pl.col(item_column).fill_null("").str.normalize("NFKC")
            keep = pl.any_horizontal(
                [text.str.contains(k, literal=True) for k in file.layout.item_keywords]
            )
            dropped += frame.height - frame.filter(keep).height
            frame = frame.filter(keep)
        typed = _convert(frame, file, calendars[file.layout.date_unit], period, findings)
        frames.append(typed.with_columns(is_sample=pl.lit(file.is_sample)))
    if dropped:
        findings.notice(
            f"{mapping.label}: 品名がコピー用紙でない {dropped:,} 行は数えませんでした（item_keywords で選んでいます）"
        )
    purchases = pl.concat(frames) if frames else pl.DataFrame()
    if purchases.height:
        by_label = {f.label: f for f in files}
        for error in validation.validate(purchases, paper_suite(mapping.checks.max_sheets_per_row)):
            export = by_label.get(error.file)
            if export is not None and error.column:  # name the export's own column
                header = export.layout.column(error.column) or export.layout.column("quantity")
                error = InputError(error.file, error.message, error.row, export.shown(header))
            findings.add("gx", error)
        known = set(mapping.checks.departments)
        if known:
            for department, count in (
                purchases.group_by("department").len().sort("department").iter_rows()
            ):
                if department not in known:
                    message = f"所属「{department}」（{count:,}行）は mapping.toml の [checks] departments の一覧にありません"
                    if mapping.checks.unknown_departments == "error":
                        findings.add(
                            "department",
                            InputError(
                                mapping.label, message + "（所属名を直すか、一覧に加えてください）"
                            ),
                        )
                    else:
                        findings.notice(
                            f"{mapping.label}: {message}（新しい所属なら一覧に加えてください）"
                        )
    if findings:
        raise BuildError(findings.close())
    return _store(purchases, stage, findings.notices)


def _store(purchases: pl.DataFrame, stage: Path, notices: list[str]) -> IngestResult:
    import duckdb

    if purchases.height == 0:
        empty = pl.DataFrame(
            schema={"fiscal_year": pl.Int32, "source_file": pl.String, "rows": pl.Int64}
        )
        return IngestResult(
            "paper",
            {},
            {},
            empty,
            pl.DataFrame(
                schema={"fiscal_year": pl.Int32, "sheets": pl.Int64, "is_sample": pl.Boolean}
            ),
            notices,
        )
    table = purchases.rename({FILE: "source_file", ROW: "source_row"}).with_columns(
        fiscal_year=(
            pl.col("purchase_date").dt.year().cast(pl.Int32)
            - (pl.col("purchase_date").dt.month() < 4).cast(pl.Int32)
        ),
        year=pl.col("purchase_date").dt.year().cast(pl.Int32),
        month=pl.col("purchase_date").dt.month().cast(pl.Int32),
        fiscal_month=((pl.col("purchase_date").dt.month().cast(pl.Int32) + 8) % 12 + 1),
    )
    with duckdb.connect() as con:
        con.register("purchases", table)
        partitions, rows = write_partitions(con, "purchases", list(PAPER_COLUMNS), stage / "paper")
    sources = (
        table.group_by("fiscal_year", "source_file")
        .agg(rows=pl.len().cast(pl.Int64))
        .sort("fiscal_year", "source_file")
    )
    totals = (
        table.group_by("fiscal_year")
        .agg(sheets=pl.col("sheets").sum(), is_sample=pl.col("is_sample").any())
        .sort("fiscal_year")
    )
    return IngestResult("paper", partitions, rows, sources, totals, notices)
