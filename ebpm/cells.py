"""Cells written for spreadsheets: text that Excel must never run as a formula.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel (and LibreOffice) as a formula when a CSV is opened, and openpyxl writes
such a string as a formula into an xlsx. Text that came from an input file (a KPI name,
a department's commentary) is therefore prefixed with ``'``, which Excel shows as the
plain text. Numbers are left alone: a negative number is a number, not text.

>>> neutralize("=HYPERLINK(\\"x\\")"), neutralize("-0.5"), neutralize("順調")
('\\'=HYPERLINK("x")', "'-0.5", '順調')
>>> safe_cell(-0.5), safe_cell("@SUM(A1)")
(-0.5, "'@SUM(A1)")
"""

from __future__ import annotations

from typing import Final

__all__ = ["FORMULA_PREFIXES", "neutralize", "safe_cell"]

#: First characters that make a spreadsheet treat a text cell as a formula.
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralize(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def safe_cell(value: object) -> object:
    """A value for a CSV or xlsx cell: text neutralised, numbers, dates and None unchanged."""
    return neutralize(value) if isinstance(value, str) else value
