"""Issue 14 item 1, checked from outside (the design is ebpm.disclosure's): two differencing
attacks that the issue did not list — a table leaving one person out, and a table filtered
on the value — are refused through one Release, and the person column stays required."""

from __future__ import annotations

import polars as pl
import pytest

from ebpm import disclosure, samples


@pytest.fixture(scope="module")
def fy2025() -> pl.DataFrame:
    overtime = samples.overtime_monthly()
    return overtime.filter(pl.col("fiscal_year") == 2025)


def test_a_table_leaving_one_person_out_is_refused(fy2025):
    release = disclosure.Release(fy2025, person_col="employee_id")
    somu = pl.col("department") == "総務課"
    whole = release.table(by=["department"], value="hours", stats=("sum",), where=somu)
    assert whole["n_people"].to_list() == [22]  # 22 people: publishable alone
    victim = fy2025.filter(somu)["employee_id"].unique().sort()[0]
    with pytest.raises(disclosure.DisclosureError, match=f"employee_id={victim} の1人の値"):
        release.table(
            by=["department"],
            value="hours",
            stats=("sum",),
            where=somu & (pl.col("employee_id") != victim),
        )
    assert len(release.tables) == 1  # the refused table is not recorded


def test_a_table_filtered_on_the_value_is_refused_when_the_rest_is_small(fy2025):
    release = disclosure.Release(fy2025, person_col="employee_id")
    somu = pl.col("department") == "総務課"
    release.table(by=["department"], value="hours", stats=("sum",), where=somu)
    with pytest.raises(disclosure.DisclosureError, match="の7人の値が求められます"):
        release.table(
            by=["department"], value="hours", stats=("sum",), where=somu & (pl.col("hours") < 40)
        )


def test_rows_are_never_counted_as_people(fy2025):
    with pytest.raises(ValueError, match="person_col"):
        disclosure.Release(fy2025, person_col=None)
