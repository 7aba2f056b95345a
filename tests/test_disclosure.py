"""Small-cell suppression: primary, secondary, display, refusals and the differencing attack."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ebpm import disclosure as d
from ebpm import samples


def _table(counts: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "department": [f"D{i}" for i in range(len(counts))],
            "n": counts,
            "hours": [float(10 * c) for c in counts],
        }
    )


def _suppress(
    table: pl.DataFrame, k: int = 10, group_cols: list[str] | None = None
) -> pl.DataFrame:
    return d.suppress(
        table, count_col="n", value_cols=["hours"], group_cols=group_cols or ["department"], k=k
    )


def _hidden(result: pl.DataFrame) -> dict[str, str]:
    rows = result.filter(pl.col("suppressed")).select("department", "suppression").rows()
    return dict(rows)


# --- primary and secondary suppression -------------------------------------------------


def test_cells_with_1_to_k_minus_1_people_are_hidden_and_zeros_published():
    result = _suppress(_table([0, 2, 9, 10, 25]))
    assert _hidden(result) == {"D1": "一次秘匿", "D2": "一次秘匿"}
    zero = result.filter(pl.col("department") == "D0")
    assert zero["n"][0] == 0 and not zero["suppressed"][0]
    hidden = result.filter(pl.col("suppressed"))
    assert hidden["n"].null_count() == 2 and hidden["hours"].null_count() == 2
    assert result.filter(pl.col("department") == "D3")["hours"][0] == 100.0


def test_a_single_hidden_cell_takes_the_next_smallest_with_it():
    assert _hidden(_suppress(_table([3, 40, 12, 15]))) == {"D0": "一次秘匿", "D2": "二次秘匿"}


def test_zero_cells_are_not_used_as_secondary_suppression():
    assert _hidden(_suppress(_table([0, 4, 30, 20]))) == {"D1": "一次秘匿", "D3": "二次秘匿"}


def test_ties_are_broken_by_table_order():
    assert _hidden(_suppress(_table([25, 5, 12, 12]))) == {"D1": "一次秘匿", "D2": "二次秘匿"}


def test_a_cell_that_no_suppression_can_protect_raises():
    with pytest.raises(ValueError, match="引き算で復元できます"):
        _suppress(_table([0, 4, 0]))


def test_k_is_configurable_but_never_below_3():
    assert _hidden(_suppress(_table([2, 4, 30, 20]), k=3)) == {"D0": "一次秘匿", "D1": "二次秘匿"}
    for k in (2, 1, 0):
        with pytest.raises(ValueError, match="3以上"):
            _suppress(_table([5, 20]), k=k)
    with pytest.raises(ValueError, match="整数"):
        _suppress(_table([5, 20]), k=3.5)  # type: ignore[arg-type]
    assert d.check_k(3) == 3


def test_bad_tables_are_rejected():
    with pytest.raises(ValueError, match="複数あります"):
        _suppress(pl.concat([_table([20]), _table([30])]))
    with pytest.raises(ValueError, match="0以上の整数"):
        _suppress(_table([20, -1]))
    with pytest.raises(ValueError, match="列 people がありません"):
        d.suppress(_table([20]), count_col="people", value_cols=[], group_cols=["department"])


def test_two_dimensional_margins_get_secondary_suppression():
    table = pl.DataFrame(
        {
            "department": ["A", "A", "B", "B"],
            "fiscal_year": [2024, 2025, 2024, 2025],
            "n": [4, 30, 20, 50],
            "hours": [40.0, 300.0, 200.0, 500.0],
        }
    )
    result = _suppress(table, group_cols=["department", "fiscal_year"])
    # A/2024 is primary; its row forces A/2025 and its column forces B/2024; then B/2025
    assert result["suppressed"].to_list() == [True, True, True, True]
    assert result["suppression"].to_list() == ["一次秘匿", "二次秘匿", "二次秘匿", "二次秘匿"]


# --- the differencing attack --------------------------------------------------------------


def _recoverable(published: pl.DataFrame, group_cols: list[str]) -> list[tuple]:
    """Hidden cells an attacker can solve for exactly from all published margins.

    Unknowns are the hidden cells; every margin (cells sharing all group columns
    but one) gives one linear equation. A cell is determined iff adding its unit
    vector to the equations does not raise the rank.
    """
    hidden = published.filter(pl.col("suppressed"))
    if hidden.is_empty():
        return []
    keys = [tuple(r) for r in hidden.select(group_cols).rows()]
    equations = []
    for column in group_cols:
        others = [c for c in group_cols if c != column]
        for margin in {tuple(k[group_cols.index(c)] for c in others) for k in keys}:
            equations.append(
                [
                    1.0 if tuple(k[group_cols.index(c)] for c in others) == margin else 0.0
                    for k in keys
                ]
            )
    system = np.array(equations)
    rank = np.linalg.matrix_rank(system)
    exposed = []
    for i, key in enumerate(keys):
        unit = np.zeros(len(keys))
        unit[i] = 1.0
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            exposed.append(key)
    return exposed


def test_attack_helper_finds_a_lonely_hidden_cell():
    lonely = _table([3, 40, 12]).with_columns(suppressed=pl.Series([True, False, False]))
    assert _recoverable(lonely, ["department"]) == [("D0",)]


def test_secondary_suppression_closes_a_bridge_between_two_hidden_blocks():
    # two 2×2 blocks of small cells joined by one small cell: every row and column has
    # 0 or ≥ 2 hidden cells, yet the joining cell follows from the margins
    small = {("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")}
    small |= {("r3", "c3"), ("r3", "c4"), ("r4", "c3"), ("r4", "c4"), ("r2", "c3")}
    rows = [
        {"row": r, "col": c, "n": 2 if (r, c) in small else 20 + i, "hours": 1.0}
        for i, (r, c) in enumerate(
            (r, c) for r in ("r1", "r2", "r3", "r4") for c in ("c1", "c2", "c3", "c4")
        )
    ]
    table = pl.DataFrame(rows)
    only_primary = table.with_columns(suppressed=pl.col("n") < 10)
    assert _recoverable(only_primary, ["row", "col"]) == [("r2", "c3")]
    result = d.suppress(table, count_col="n", value_cols=["hours"], group_cols=["row", "col"])
    assert (result["suppression"] == "二次秘匿").sum() >= 1
    assert _recoverable(result, ["row", "col"]) == []


@pytest.fixture(scope="module")
def overtime() -> pl.DataFrame:
    return samples.overtime_monthly()


@pytest.mark.parametrize("k", [3, 5, 7, 8, 10, 12])
def test_department_table_and_city_total_do_not_reveal_hidden_departments(overtime, k):
    for fiscal_year in samples.FISCAL_YEARS:
        year = overtime.filter(pl.col("fiscal_year") == fiscal_year)
        truth = year.group_by("department").agg(
            n_people=pl.col("employee_id").n_unique(), hours_sum=pl.col("hours").sum()
        )
        published = d.safe_aggregate(
            year, by=["department"], value="hours", k=k, stats=("sum",), person_col="employee_id"
        )
        # the city-wide total is public (it is how the KPI is computed)
        total_hours, total_people = truth["hours_sum"].sum(), truth["n_people"].sum()
        visible = published.filter(~pl.col("suppressed"))
        hidden = published.filter(pl.col("suppressed")).join(truth, on="department", suffix="_true")
        assert hidden.height != 1
        residual_hours = total_hours - visible["hours_sum"].sum()
        residual_people = total_people - visible["n_people"].sum()
        for true_hours, true_people in hidden.select("hours_sum_true", "n_people_true").rows():
            assert true_people < residual_people  # the subtraction mixes ≥ 2 departments
            assert true_hours != pytest.approx(residual_hours)
        assert _recoverable(published, ["department"]) == []
        assert (published.filter(~pl.col("suppressed"))["n_people"] >= k).all()


@pytest.mark.parametrize("k", [7, 8, 10, 12])
def test_department_by_year_table_with_all_margins_reveals_no_hidden_cell(overtime, k):
    published = d.safe_aggregate(
        overtime,
        by=["department", "fiscal_year"],
        value="hours",
        k=k,
        stats=("sum", "mean"),
        person_col="employee_id",
    )
    assert published["suppressed"].any()
    assert _recoverable(published, ["department", "fiscal_year"]) == []


# --- display ---------------------------------------------------------------------------------


def test_display_shows_x_for_hidden_cells_and_dash_for_empty_values():
    table = pl.DataFrame(
        {
            "department": ["A", "B", "C", "D"],
            "n": [0, 3, 1200, 15],
            "mean": [None, 4.0, 12.345, 9.0],
        }
    )
    result = d.suppress(table, count_col="n", value_cols=["mean"], group_cols=["department"])
    shown = d.format_for_display(result, count_col="n", value_cols=["mean"])
    assert shown.columns == ["department", "n", "mean"]
    assert shown.rows() == [
        ("A", "0", "-"),
        ("B", "x", "x"),
        ("C", "1,200", "12.3"),
        ("D", "x", "x"),
    ]


def test_display_needs_a_suppressed_table():
    with pytest.raises(ValueError, match="suppress"):
        d.format_for_display(_table([20]), count_col="n", value_cols=["hours"])


# --- safe_aggregate ------------------------------------------------------------------------


def _people(sizes: dict[str, int]) -> pl.DataFrame:
    rows = [
        {"department": dep, "employee_id": f"{dep}{i}", "hours": float(i)}
        for dep, size in sizes.items()
        for i in range(size)
    ]
    return pl.DataFrame(rows)


def test_min_max_and_percentiles_are_refused_for_small_groups():
    df = _people({"A": 12, "B": 4, "C": 30})
    for stat in ("min", "max", "median", "p90"):
        with pytest.raises(ValueError, match="10人未満"):
            d.safe_aggregate(df, by=["department"], value="hours", stats=(stat,))


def test_min_max_are_allowed_when_every_group_has_k_people():
    df = _people({"A": 12, "C": 30})
    out = d.safe_aggregate(df, by=["department"], value="hours", stats=("min", "max", "p50"))
    assert out.select("hours_min", "hours_max", "hours_p50").rows() == [
        (0.0, 11.0, 5.5),
        (0.0, 29.0, 14.5),
    ]


def test_means_of_small_groups_are_suppressed():
    out = d.safe_aggregate(_people({"A": 12, "B": 4, "C": 30}), by=["department"], value="hours")
    assert out["suppressed"].to_list() == [True, True, False]  # B primary, A secondary
    assert out.filter(pl.col("department") == "C")["hours_mean"][0] == 14.5


def test_person_col_sums_months_per_person_before_counting():
    monthly = pl.DataFrame(
        {
            "department": ["A"] * 20,
            "employee_id": [f"E{i % 10}" for i in range(20)],
            "hours": [1.0] * 20,
        }
    )
    out = d.safe_aggregate(
        monthly, by=["department"], value="hours", stats=("mean", "max"), person_col="employee_id"
    )
    assert out.select("n_people", "hours_mean", "hours_max").rows() == [(10, 2.0, 2.0)]


def test_unknown_statistics_are_rejected():
    with pytest.raises(ValueError, match="使えません"):
        d.safe_aggregate(_people({"A": 12}), by=["department"], value="hours", stats=("mode",))


def test_the_sample_exercises_secondary_suppression(overtime):
    year = overtime.filter(pl.col("fiscal_year") == 2025)
    published = d.safe_aggregate(
        year, by=["department"], value="hours", k=7, stats=("sum",), person_col="employee_id"
    )
    assert published["suppression"].to_list().count("一次秘匿") == 1
    assert published["suppression"].to_list().count("二次秘匿") == 1
