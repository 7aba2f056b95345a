"""Time of the disclosure checks on the training sample, printed as figures (not a test).

    .venv/bin/python benchmarks/disclosure.py

Tables of the synthetic overtime sample (29,400 person-months, 19 departments,
FY2019–FY2025) released through :class:`ebpm.disclosure.Release`, from the
lesson's department table up to a department × month table of 1,536 cells.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable

import polars as pl

from ebpm import disclosure, samples


def timed(label: str, job: Callable[[], str]) -> None:
    start = time.perf_counter()
    outcome = job()
    print(f"{time.perf_counter() - start:7.2f} s  {label}: {outcome}")


def hidden(table: pl.DataFrame) -> str:
    counts = dict(table["suppression"].value_counts().rows())
    return (
        f"{table.height} cells, {counts.get('一次秘匿', 0)} primary, "
        f"{counts.get('二次秘匿', 0)} secondary"
    )


def refused(job: Callable[[], object]) -> str:
    try:
        job()
    except disclosure.DisclosureError as error:
        return "refused: " + str(error)[:60] + "…"
    return "published"


def main() -> None:
    overtime = samples.overtime_monthly().with_columns(
        month_key=pl.col("year") * 100 + pl.col("month")
    )
    fy2025 = overtime.filter(pl.col("fiscal_year") == 2025)
    three = pl.col("department").is_in(["総務課", "会計課", "財政課"])

    def lesson() -> str:
        release = disclosure.Release(fy2025, person_col="employee_id")
        release.table(by=["department"], value="hours", stats=("mean",))
        second = refused(lambda: release.table(by=["department"], value="hours", where=three))
        return "department table, then the 3-department view " + second

    def yearly_then_panel() -> str:
        release = disclosure.Release(overtime, person_col="employee_id")
        for year in samples.FISCAL_YEARS:
            release.table(by=["department"], value="hours", where=pl.col("fiscal_year") == year)
        return hidden(
            release.table(
                by=["department", "fiscal_year"], value="hours", margins=[["fiscal_year"], []]
            )
        )

    timed("FY2025 lesson tables", lesson)
    timed(
        "department × 年度 with yearly totals",
        lambda: hidden(
            disclosure.safe_aggregate(
                overtime, by=["department", "fiscal_year"], value="hours",
                person_col="employee_id", margins=[["fiscal_year"], []],
            )
        ),
    )  # fmt: skip
    timed("7 yearly tables, then department × 年度, one Release", yearly_then_panel)
    timed(
        "department × month (84 months), grand total only",
        lambda: hidden(
            disclosure.safe_aggregate(
                overtime, by=["department", "month_key"], value="hours",
                person_col="employee_id", margins=[[]],
            )
        ),
    )  # fmt: skip
    timed(
        "department × month (84 months), every total",
        lambda: refused(
            lambda: disclosure.safe_aggregate(
                overtime, by=["department", "month_key"], value="hours", person_col="employee_id"
            )
        ),
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
