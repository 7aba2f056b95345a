"""Text cells that Excel will not run: every CSV and xlsx that ebpm writes goes through here.

Excel treats a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
as a formula (CSV injection: ``=HYPERLINK(…)``, ``=cmd|…``). Text from input files (KPI
names, notes, e-Stat labels) therefore gets a leading ``'`` in CSV, the form Excel and
OWASP use for "this is text". Numbers are never touched: numeric columns stay numbers,
and a text cell that is a plain number (``-5``, ``+3.2``) or a lone ``-`` (the usual
"no value" mark of government tables) cannot run and stays as it is.

>>> neutralize("=HYPERLINK(\\"http://x\\")"), neutralize("-5"), neutralize("大船渡市")
('\\'=HYPERLINK("http://x")', '-5', '大船渡市')
>>> frame = pl.DataFrame({"name": ["@SUM(A1)", "K01"], "value": [-2.0, 3.0]})
>>> neutralize_frame(frame).rows()
[("'@SUM(A1)", -2.0), ('K01', 3.0)]
"""

from __future__ import annotations

import re
from typing import Any, Final

import polars as pl

__all__ = [
    "FORMULA_START",
    "neutralize",
    "neutralize_frame",
    "protect_workbook",
    "protect_xlsx_cell",
    "safe_cell",
    "write_csv",
]

#: A cell starting with one of these is read by Excel as a formula.
FORMULA_START: Final = "=+-@\t\r"
_RISKY: Final = r"^[=+\-@\t\r]"
#: Text that Excel reads as a number, or the lone dash of "no value": nothing to run.
_HARMLESS: Final = r"^(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|-)$"
_RISKY_RE = re.compile(_RISKY)
_HARMLESS_RE = re.compile(_HARMLESS)


def neutralize(value: str) -> str:
    """``value`` with a leading ``'`` when Excel would read it as a formula."""
    if _RISKY_RE.match(value) and not _HARMLESS_RE.match(value):
        return "'" + value
    return value


def safe_cell(value: object) -> object:
    """A value for a CSV cell: text neutralised, numbers, dates and None unchanged."""
    return neutralize(value) if isinstance(value, str) else value


def neutralize_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column neutralised (see :func:`neutralize`); other columns as they are."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_RISKY) & ~pl.col(name).str.contains(_HARMLESS))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def write_csv(frame: pl.DataFrame) -> str:
    """CSV text of ``frame`` with text cells neutralised (the caller adds a BOM for Excel)."""
    return neutralize_frame(frame).write_csv()


def protect_xlsx_cell(cell: Any) -> None:
    """Keep an openpyxl cell holding text as text: openpyxl stores ``=…`` as a formula.

    The cell is marked as a string with Excel's quote prefix, so it shows the text as
    written and never calculates it.
    """
    if isinstance(cell.value, str) and cell.value.startswith(tuple(FORMULA_START)):
        cell.data_type = "s"
        cell.quotePrefix = True


def protect_workbook(book: Any) -> None:
    """:func:`protect_xlsx_cell` on every cell of every sheet (ebpm writes no formulas)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                protect_xlsx_cell(cell)
