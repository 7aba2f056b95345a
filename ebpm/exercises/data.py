"""The data the judges compare answers with, read the way the lessons read it.

Lessons 07–11 read the city's records through :mod:`ebpm.records` (whether the warehouse holds
the training samples or the city's own exports), so the judges do too: one place instead of a
copy per lesson.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

__all__ = ["E_APPROVAL_START", "overtime", "paper_by_month"]

#: The assumed start of electronic approval in lessons 09–10 (a training assumption).
E_APPROVAL_START = dt.date(2022, 10, 1)


def overtime() -> pl.DataFrame:
    """Overtime per employee (pseudonym), department and month (lessons 07, 08, 11)."""
    from ebpm import records

    return records.overtime_monthly()


def paper_by_month() -> pl.DataFrame:
    """Copy paper per month with ``date``, ``sheets_per_staff`` and ``e_approval`` (09, 10)."""
    import polars as pl

    from ebpm import records

    return (
        records.paper_monthly()
        .with_columns(
            pl.date("year", "month", 1).alias("date"),
            (pl.col("sheets") / pl.col("staff")).alias("sheets_per_staff"),
        )
        .with_columns((pl.col("date") >= E_APPROVAL_START).alias("e_approval"))
    )
