"""Small-cell suppression: rules, refusals, and differencing attacks replayed by an attacker.

The attacker (``_recovered``) is independent of the library: it works in floating point on
the true rows, splits them into atoms by every published figure and candidate group, and
solves for a group's total by least squares when the group lies in the row space of the
published figures. It is first shown to recover the small departments of issue 14 item 1
from tables made without a shared Release, so that its silence later means something.
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest

from ebpm import disclosure as d
from ebpm import samples

SMALL_FY2025 = {"議会事務局": 6, "デジタル戦略課": 7, "会計課": 7, "観光推進室": 7, "防災管理室": 8}
THREE = ["総務課", "会計課", "財政課"]
# A made-up 部 layer for the tests only (not the city's organisation): two 部 merge two or
# three 課 each, every other 課 stands alone.
BU = {"企画調整課": "企画部", "デジタル戦略課": "企画部", "総務課": "総務部", "会計課": "総務部"}


# --- the attacker ------------------------------------------------------------------------


Figure = tuple[np.ndarray, float]  # rows covered, published sum


def _figures(
    rows: pl.DataFrame,
    published: pl.DataFrame,
    by: list[str],
    *,
    where: np.ndarray | None = None,
    totals: bool = True,
    k: int = 10,
) -> list[Figure]:
    """What one published table tells an attacker: the sum over the rows of each visible cell
    (mean × n where only the mean is shown) and, with ``totals``, each total of the table
    (every coarser grouping) that covers at least k people."""
    inside = np.ones(rows.height, dtype=bool) if where is None else where
    figures = []
    for cell in published.filter(~pl.col("suppressed")).iter_rows(named=True):
        mask = inside.copy()
        for column in by:
            mask &= (rows[column] == cell[column]).to_numpy()
        value = cell["hours_sum"] if "hours_sum" in cell else cell["hours_mean"] * cell["n_people"]
        figures.append((mask, value))
    if totals:
        for size in range(len(by)):
            for kept in itertools.combinations(by, size):
                keys = rows.select(kept).rows() if kept else [()] * rows.height
                for key in set(k_ for k_, i in zip(keys, inside, strict=True) if i):
                    mask = inside & np.array([row == key for row in keys])
                    if rows.filter(pl.Series(mask))["employee_id"].n_unique() >= k:
                        figures.append((mask, float(rows.filter(pl.Series(mask))["hours"].sum())))
    return figures


def _recovered(
    rows: pl.DataFrame, figures: list[Figure], groups: dict[str, np.ndarray], k: int = 10
) -> dict[str, tuple[float, float]]:
    """Groups of 1 … k−1 people whose total hours follow exactly from the figures:
    name → (attacker's value, true value)."""
    packed = np.packbits(np.column_stack([m for m, _ in figures] + list(groups.values())), axis=1)
    _, atom = np.unique(packed.view(np.dtype((np.void, packed.shape[1]))), return_inverse=True)
    atom = atom.reshape(-1)

    def over_atoms(mask: np.ndarray) -> np.ndarray:
        vector = np.zeros(atom.max() + 1)
        vector[np.unique(atom[mask])] = 1.0
        return vector

    system = np.array([over_atoms(m) for m, _ in figures])
    values = np.array([v for _, v in figures])
    _, singular, vt = np.linalg.svd(system, full_matrices=False)
    row_space = vt[: int((singular > 1e-9 * singular.max()).sum())]
    hours = rows["hours"].to_numpy()
    found = {}
    for name, mask in groups.items():
        people = rows.filter(pl.Series(mask))["employee_id"].n_unique()
        target = over_atoms(mask)
        outside = target - row_space.T @ (row_space @ target)
        if 0 < people < k and np.abs(outside).max() < 1e-9:
            weights = np.linalg.lstsq(system.T, target, rcond=None)[0]
            found[name] = (float(weights @ values), float(hours[mask].sum()))
    return found


def _departments(rows: pl.DataFrame) -> dict[str, np.ndarray]:
    return {dep: (rows["department"] == dep).to_numpy() for dep in rows["department"].unique()}


@pytest.fixture(scope="module")
def overtime() -> pl.DataFrame:
    return samples.overtime_monthly()


@pytest.fixture(scope="module")
def fy2025(overtime) -> pl.DataFrame:
    year = overtime.filter(pl.col("fiscal_year") == 2025)
    return year.with_columns(部=pl.col("department").replace(BU))


def test_the_sample_has_the_small_departments_the_attacks_need(fy2025):
    sizes = dict(fy2025.group_by("department").agg(pl.col("employee_id").n_unique()).rows())
    assert {dep: n for dep, n in sizes.items() if n < 10} == SMALL_FY2025
    assert sizes["総務課"] == 22 and sizes["財政課"] == 11 and sizes["企画調整課"] == 13


# --- issue 14 item 1, attack 1: three tables of the kind lesson 03 makes -------------------


def test_attack_1_recovers_kaikei_from_three_separate_tables(fy2025):
    """Per-department means (A), a 3-department sum table (B), their one-group total (C):
    会計課 = C − B[総務課] − A[財政課]·n. This is why separate calls are not enough."""
    a = d.safe_aggregate(
        fy2025, by=["department"], value="hours", stats=("mean",), person_col="employee_id"
    )
    three = pl.col("department").is_in(THREE)
    b = d.safe_aggregate(
        fy2025.filter(three), by=["department"], value="hours", stats=("sum",),
        person_col="employee_id", margins=False,
    )  # fmt: skip
    c = d.safe_aggregate(
        fy2025.filter(three).with_columns(group=pl.lit("3課")), by=["group"], value="hours",
        stats=("sum",), person_col="employee_id",
    )  # fmt: skip
    soumu = b.filter(pl.col("department") == "総務課")["hours_sum"][0]
    zaisei = a.filter(pl.col("department") == "財政課").row(0, named=True)
    by_hand = c["hours_sum"][0] - soumu - zaisei["hours_mean"] * zaisei["n_people"]
    assert by_hand == pytest.approx(467.7)  # 会計課's true total, 7 people
    mask = fy2025["department"].is_in(THREE).to_numpy()
    figures = [
        *_figures(fy2025, a, ["department"]),
        *_figures(fy2025, b, ["department"], where=mask, totals=False),
        *_figures(fy2025, c.with_columns(department=pl.lit("x")), [], where=mask),
    ]
    found = _recovered(fy2025, figures, _departments(fy2025))
    assert set(found) == {"会計課"}
    assert found["会計課"][0] == pytest.approx(found["会計課"][1])


def test_attack_1_through_one_release_recovers_nothing(fy2025):
    release = d.Release(fy2025, person_col="employee_id")
    a = release.table(by=["department"], value="hours", stats=("mean",))
    three = pl.col("department").is_in(THREE)
    with pytest.raises(d.DisclosureError, match="department=会計課 の7人"):
        release.table(by=["department"], value="hours", stats=("sum",), where=three)
    b = release.table(by=["department"], value="hours", stats=("sum",), where=three, margins=False)
    with pytest.raises(d.DisclosureError, match="表3（合計） は公表できません"):
        release.table(by=[], value="hours", stats=("sum",), where=three)
    assert [t.title for t in release.tables] == ["表1（department）", "表2（department）"]
    mask = fy2025["department"].is_in(THREE).to_numpy()
    figures = [
        *_figures(fy2025, a, ["department"]),
        *_figures(fy2025, b, ["department"], where=mask, totals=False),
    ]
    assert _recovered(fy2025, figures, _departments(fy2025)) == {}


# --- attack 2: a 部 table merging two 課 --------------------------------------------------------


def test_attack_2_recovers_digital_from_a_bu_table_made_separately(fy2025):
    a = d.safe_aggregate(
        fy2025, by=["department"], value="hours", stats=("mean",), person_col="employee_id"
    )
    bu = d.safe_aggregate(
        fy2025, by=["部"], value="hours", stats=("mean",), person_col="employee_id"
    )
    kikaku = bu.filter(pl.col("部") == "企画部").row(0, named=True)
    chousei = a.filter(pl.col("department") == "企画調整課").row(0, named=True)
    by_hand = (
        kikaku["hours_mean"] * kikaku["n_people"] - chousei["hours_mean"] * chousei["n_people"]
    )
    assert by_hand == pytest.approx(729.8)  # デジタル戦略課's true total, 7 people
    figures = [*_figures(fy2025, a, ["department"]), *_figures(fy2025, bu, ["部"])]
    found = _recovered(fy2025, figures, _departments(fy2025))
    assert set(found) == {"デジタル戦略課", "会計課"}  # 総務部 − 総務課 gives 会計課 too


def test_attack_2_through_one_release_hides_the_merged_bu(fy2025):
    release = d.Release(fy2025.drop("部"), person_col="employee_id")
    a = release.table(by=["department"], value="hours", stats=("mean",))
    merged = pl.col("department").replace(BU).alias("部")  # a grouping made on the fly
    bu = release.table(by=[merged], value="hours", stats=("mean",))
    hidden = dict(bu.filter(pl.col("suppressed")).select("部", "suppression").rows())
    assert hidden == {
        "企画部": "二次秘匿",
        "総務部": "二次秘匿",
        "観光推進室": "一次秘匿",
        "議会事務局": "一次秘匿",
        "防災管理室": "一次秘匿",
    }
    figures = [*_figures(fy2025, a, ["department"]), *_figures(fy2025, bu, ["部"])]
    assert _recovered(fy2025, figures, _departments(fy2025)) == {}


# --- attack 3 (issue 8 item 7): a 19-department table and a 3-department view -------------


def test_attack_3_the_three_department_view_with_its_total_is_refused(fy2025):
    release = d.Release(fy2025, person_col="employee_id")
    release.table(by=["department"], value="hours", stats=("sum", "mean"))
    view = pl.col("department").is_in(THREE)
    with pytest.raises(d.DisclosureError) as refused:
        release.table(by=["department"], value="hours", stats=("sum",), where=view)
    message = str(refused.value)
    assert "表1（department）" in message and "会計課 の7人" in message
    assert "margins" in message  # says how to publish the view without its total
    assert len(release.tables) == 1  # a refused table leaves the release unchanged


def test_attack_3_the_view_published_first_makes_the_big_table_hide_more(fy2025):
    release = d.Release(fy2025, person_col="employee_id")
    view_mask = fy2025["department"].is_in(THREE).to_numpy()
    view = release.table(
        by=["department"], value="hours", stats=("sum",), where=pl.col("department").is_in(THREE)
    )
    assert view.filter(pl.col("suppressed"))["department"].to_list() == ["会計課", "財政課"]
    full = release.table(by=["department"], value="hours", stats=("sum",))
    # 財政課 is shown in neither table: the view's total minus 総務課 would give 会計課 + 財政課
    assert full.filter(pl.col("department") == "財政課")["suppressed"][0]
    figures = [
        *_figures(fy2025, view, ["department"], where=view_mask),
        *_figures(fy2025, full, ["department"]),
    ]
    assert _recovered(fy2025, figures, _departments(fy2025)) == {}


# --- legitimate releases --------------------------------------------------------------------


def test_the_same_table_twice_is_published_unchanged(fy2025):
    release = d.Release(fy2025, person_col="employee_id")
    first = release.table(by=["department"], value="hours", stats=("mean",))
    second = release.table(by=["department"], value="hours", stats=("mean",))
    assert second.equals(first)
    assert first["suppression"].to_list().count("一次秘匿") == 5
    assert first["suppression"].to_list().count("二次秘匿") == 0  # 35 hidden people ≥ 10


def test_a_bu_table_of_large_ka_and_the_city_total_need_no_more_hiding(fy2025):
    welfare = {"保健福祉課": "福祉部", "子ども家庭課": "福祉部", "税務課": "税務部"}
    rows = fy2025.with_columns(部2=pl.col("department").replace_strict(welfare, default=None))
    release = d.Release(rows, person_col="employee_id")
    release.table(by=["department"], value="hours", stats=("mean",))
    bu = release.table(
        by=["部2"], value="hours", stats=("mean",), where=pl.col("部2").is_not_null()
    )
    assert bu.rows() == [("福祉部", 63, pytest.approx(6879.6 / 63), False, None),
                         ("税務部", 28, pytest.approx(4137.5 / 28), False, None)]  # fmt: skip
    city = release.table(by=[], value="hours", stats=("sum",))
    assert city.rows() == [(341, pytest.approx(120.0 * 341), False, None)]  # pinned in samples


def test_a_partial_table_of_large_departments_passes_with_its_total(fy2025):
    release = d.Release(fy2025, person_col="employee_id")
    release.table(by=["department"], value="hours", stats=("mean",))
    big = pl.col("department").is_in(["保健福祉課", "税務課", "建設課"])
    table = release.table(by=["department"], value="hours", stats=("sum",), where=big)
    assert not table["suppressed"].any()
    assert table["n_people"].to_list() == [37, 28, 28]


def test_a_difference_of_two_small_groups_is_refused():
    """Two totals that differ only by small groups expose their difference (an insider in
    one group who knows their own hours would learn the other group's)."""
    rows = _people({"L": 20, "a": 2, "b": 3})
    release = d.Release(rows, person_col="employee_id")
    release.table(by=[], value="hours", where=pl.col("department").is_in(["L", "a"]))
    with pytest.raises(d.DisclosureError, match="department=a・b の5人"):
        release.table(by=[], value="hours", where=pl.col("department").is_in(["L", "b"]))


# --- per-person data: the person column --------------------------------------------------------


def _people(sizes: dict[str, int], months: int = 1) -> pl.DataFrame:
    rows = [
        {"department": dep, "employee_id": f"{dep}{i}", "month": m, "hours": float(i)}
        for dep, size in sizes.items()
        for i in range(size)
        for m in range(months)
    ]
    return pl.DataFrame(rows)


def test_the_person_column_is_required():
    with pytest.raises(ValueError, match="person_col（1人を区別する列"):
        d.safe_aggregate(_people({"A": 12}), by=["department"], value="hours")
    with pytest.raises(ValueError, match="列 staff がありません"):
        d.Release(_people({"A": 12}), person_col="staff")


def test_people_are_counted_once_however_many_months_they_have(fy2025):
    kaikei = fy2025.filter(pl.col("department") == "会計課")
    assert kaikei.height == 84  # 7 people × 12 months
    table = d.safe_aggregate(
        fy2025, by=["department"], value="hours", stats=("sum",), person_col="employee_id", k=3
    )
    row = table.filter(pl.col("department") == "会計課").row(0, named=True)
    assert (row["n_people"], row["hours_sum"]) == (7, pytest.approx(467.7))


def test_a_person_column_with_an_empty_cell_is_refused():
    rows = _people({"A": 12}).with_columns(
        employee_id=pl.when(pl.int_range(pl.len()) == 4).then(None).otherwise("employee_id")
    )
    with pytest.raises(ValueError, match="employee_id列の5行目が空欄です"):
        d.Release(rows, person_col="employee_id")


def test_an_empty_or_infinite_value_is_refused_with_its_row():
    rows = _people({"A": 12}).with_columns(
        hours=pl.when(pl.int_range(pl.len()) == 2).then(float("inf")).otherwise("hours")
    )
    with pytest.raises(ValueError, match="hours列の3行目が空欄か数値ではありません"):
        d.safe_aggregate(rows, by=["department"], value="hours", person_col="employee_id")


def test_person_months_are_summed_per_person_before_the_statistics():
    monthly = _people({"A": 10}, months=2)  # person Ai has i hours in each of 2 months
    out = d.safe_aggregate(
        monthly, by=["department"], value="hours", stats=("mean", "max"), person_col="employee_id"
    )
    assert out.select("n_people", "hours_mean", "hours_max").rows() == [(10, 9.0, 18.0)]


# --- order statistics ----------------------------------------------------------------------------


def test_min_max_and_percentiles_are_refused_for_small_groups():
    rows = _people({"A": 12, "B": 4, "C": 30})
    for stat in ("min", "max", "median", "p90"):
        with pytest.raises(
            ValueError, match="10人未満の区分では計算できません（該当：department=B（4人）"
        ):
            d.safe_aggregate(rows, by=["department"], value="hours", stats=(stat,), person_col="employee_id")  # fmt: skip


def test_min_max_are_allowed_when_every_group_has_k_people():
    out = d.safe_aggregate(
        _people({"A": 12, "C": 30}), by=["department"], value="hours",
        stats=("min", "max", "p50"), person_col="employee_id",
    )  # fmt: skip
    assert out.select("hours_min", "hours_max", "hours_p50").rows() == [
        (0.0, 11.0, 5.5),
        (0.0, 29.0, 14.5),
    ]


def test_maxima_of_two_overlapping_groups_are_refused_when_the_overlap_is_small():
    """max(A ∪ B) and max(B ∪ C) share B (4 people): equal maxima point into B. The sums
    and counts of the two groups are fine (their difference is A − C, 24 people)."""
    rows = _people({"A": 12, "B": 4, "C": 12})
    release = d.Release(rows, person_col="employee_id")
    release.table(by=[], value="hours", stats=("max",), where=pl.col("department") != "C")
    with pytest.raises(d.DisclosureError, match=r"max は公表できません.*department=B の4人"):
        release.table(by=[], value="hours", stats=("max",), where=pl.col("department") != "A")
    mean = release.table(by=[], value="hours", stats=("mean",), where=pl.col("department") != "A")
    assert mean.rows() == [(16, pytest.approx((6 + 66) / 16), False, None)]


def test_unknown_statistics_are_rejected():
    with pytest.raises(ValueError, match="使えません"):
        d.safe_aggregate(
            _people({"A": 12}), by=["department"], value="hours", stats=("mode",),
            person_col="employee_id",
        )  # fmt: skip


# --- tables of counts (suppress) ------------------------------------------------------------


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
    return dict(result.filter(pl.col("suppressed")).select("department", "suppression").rows())


def test_cells_with_1_to_k_minus_1_people_are_hidden_and_zeros_published():
    result = _suppress(_table([0, 2, 9, 10, 25]))
    assert _hidden(result) == {"D1": "一次秘匿", "D2": "一次秘匿"}  # 2 + 9 = 11 people together
    zero = result.filter(pl.col("department") == "D0")
    assert zero["n"][0] == 0 and not zero["suppressed"][0]
    hidden = result.filter(pl.col("suppressed"))
    assert hidden["n"].null_count() == 2 and hidden["hours"].null_count() == 2
    assert result.filter(pl.col("department") == "D3")["hours"][0] == 100.0


def test_a_single_hidden_cell_takes_the_next_smallest_with_it():
    assert _hidden(_suppress(_table([3, 40, 12, 15]))) == {"D0": "一次秘匿", "D2": "二次秘匿"}


def test_hidden_cells_that_add_up_to_fewer_than_k_people_take_one_more():
    # total − visible cells = D0 + D1 = 7 people: not enough, so D2 goes too
    assert _hidden(_suppress(_table([3, 4, 30, 40]))) == {
        "D0": "一次秘匿",
        "D1": "一次秘匿",
        "D2": "二次秘匿",
    }


def test_zero_cells_are_not_used_as_secondary_suppression():
    assert _hidden(_suppress(_table([0, 4, 30, 20]))) == {"D1": "一次秘匿", "D3": "二次秘匿"}


def test_ties_are_broken_by_table_order():
    assert _hidden(_suppress(_table([25, 5, 12, 12]))) == {"D1": "一次秘匿", "D2": "二次秘匿"}


def test_a_total_under_k_is_not_assumed_public():
    # the total (4 people) is itself an "x", so the lone small cell needs no partner
    assert _hidden(_suppress(_table([0, 4, 0]))) == {"D1": "一次秘匿"}


def test_totals_that_alone_reveal_a_small_cell_are_refused():
    # row r2 holds only c2 (30), so column c2 (38) − row r2 = r1/c2 (8 people),
    # and row r1 (12) − r1/c2 = r1/c1 (4 people): the smaller group is named
    table = pl.DataFrame(
        {
            "row": ["r1", "r1", "r2", "r2"],
            "col": ["c1", "c2", "c1", "c2"],
            "n": [4, 8, 0, 30],
            "hours": [1.0, 2.0, None, 3.0],
        }
    )
    with pytest.raises(d.DisclosureError, match="row=r1、col=c1"):
        d.suppress(table, count_col="n", value_cols=["hours"], group_cols=["row", "col"])
    kept = d.suppress(
        table, count_col="n", value_cols=["hours"], group_cols=["row", "col"], margins=[["row"]]
    )
    assert kept["suppressed"].to_list() == [True, True, False, False]


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
    # A/2024 is primary; with every total public, no fewer cells keep it hidden
    assert result["suppression"].to_list() == ["一次秘匿", "二次秘匿", "二次秘匿", "二次秘匿"]


def test_secondary_suppression_closes_a_bridge_between_two_hidden_blocks():
    # two 2×2 blocks of small cells joined by one small cell: every row and column has
    # 0 or ≥ 2 hidden cells, yet the joining cell follows from the totals
    small = {("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")}
    small |= {("r3", "c3"), ("r3", "c4"), ("r4", "c3"), ("r4", "c4"), ("r2", "c3")}
    cells = [(r, c) for r in ("r1", "r2", "r3", "r4") for c in ("c1", "c2", "c3", "c4")]
    table = pl.DataFrame(
        [
            {"row": r, "col": c, "n": 2 if (r, c) in small else 20 + i, "hours": 1.0}
            for i, (r, c) in enumerate(cells)
        ]
    )
    result = d.suppress(table, count_col="n", value_cols=["hours"], group_cols=["row", "col"], k=3)
    # as the attacker sees it: one person per "row" of a long frame, one figure per cell/total
    people = pl.DataFrame(
        [
            {"row": r, "col": c, "employee_id": f"{r}{c}{i}", "hours": 1.0}
            for r, c, n in table.select("row", "col", "n").rows()
            for i in range(n)
        ]
    )
    shown = result.with_columns(hours_sum=pl.col("n").cast(pl.Float64))
    figures = _figures(people, shown, ["row", "col"], k=3)
    groups = {
        f"{r}/{c}": ((people["row"] == r) & (people["col"] == c)).to_numpy() for r, c in small
    }
    assert (result["suppression"] == "二次秘匿").sum() >= 1
    assert _recovered(people, figures, groups, k=3) == {}
    only_primary = table.with_columns(
        hours_sum=pl.col("n").cast(pl.Float64), suppressed=pl.col("n") < 3
    )
    naive = _figures(people, only_primary, ["row", "col"], k=3)
    assert set(_recovered(people, naive, groups, k=3)) == {"r2/c3"}


# --- the sample -------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [3, 5, 7, 8, 10, 12])
def test_each_year_department_table_with_the_city_total_reveals_no_small_group(overtime, k):
    for fiscal_year in samples.FISCAL_YEARS:
        year = overtime.filter(pl.col("fiscal_year") == fiscal_year)
        published = d.safe_aggregate(
            year, by=["department"], value="hours", k=k, stats=("sum",), person_col="employee_id"
        )
        assert (published.filter(~pl.col("suppressed"))["n_people"] >= k).all()
        hidden = published.filter(pl.col("suppressed"))
        departments = _departments(year)
        groups = {**departments, "hidden": np.any([departments[h] for h in hidden["department"]], axis=0)} if hidden.height else departments  # fmt: skip
        figures = _figures(year, published, ["department"], k=k)
        assert _recovered(year, figures, groups, k=k) == {}


def test_department_by_year_with_every_total_is_refused_for_digital(overtime):
    # デジタル戦略課 has the same 7 people in FY2024 and FY2025: the city's yearly totals minus
    # every other department's total over the years would give their two-year total
    with pytest.raises(d.DisclosureError, match="デジタル戦略課、fiscal_year=2024・2025 の7人"):
        d.safe_aggregate(
            overtime, by=["department", "fiscal_year"], value="hours", person_col="employee_id"
        )


@pytest.mark.parametrize("k", [7, 10, 12])
def test_department_by_year_with_yearly_totals_reveals_no_small_group(overtime, k):
    published = d.safe_aggregate(
        overtime, by=["department", "fiscal_year"], value="hours", stats=("sum", "mean"),
        person_col="employee_id", k=k, margins=[["fiscal_year"], []],
    )  # fmt: skip
    assert published["suppressed"].any()
    figures = _figures(overtime, published, ["department", "fiscal_year"], totals=False)
    for year in samples.FISCAL_YEARS:
        mask = (overtime["fiscal_year"] == year).to_numpy()
        figures.append((mask, float(overtime.filter(pl.Series(mask))["hours"].sum())))
    figures.append((np.ones(overtime.height, dtype=bool), float(overtime["hours"].sum())))
    cells = {
        f"{dep}/{year}": ((overtime["department"] == dep) & (overtime["fiscal_year"] == year)).to_numpy()
        for dep, year in published.filter(pl.col("suppressed")).select("department", "fiscal_year").rows()
    }  # fmt: skip
    assert _recovered(overtime, figures, {**cells, **_departments(overtime)}, k=k) == {}


def test_the_sample_exercises_secondary_suppression(fy2025):
    published = d.safe_aggregate(
        fy2025, by=["department"], value="hours", k=7, stats=("sum",), person_col="employee_id"
    )
    assert published["suppression"].to_list().count("一次秘匿") == 1  # 議会事務局, 6 people
    assert published["suppression"].to_list().count("二次秘匿") == 1


# --- the exact arithmetic -----------------------------------------------------------------------


def test_a_rank_lost_modulo_one_prime_is_kept_by_the_other():
    matrix = np.array([[d._PRIMES[0], 0], [0, 1]])
    assert d._rank(matrix, d._PRIMES[0]) == 1
    assert d._reduce(matrix)[0] == d._PRIMES[1]
    assert d._rank(matrix, d._PRIMES[1]) == 2


def test_a_release_too_tangled_to_check_is_refused(monkeypatch, fy2025):
    monkeypatch.setattr(d, "_MAX_CANDIDATES", 0)  # as if the search had too many groups to try
    release = d.Release(fy2025, person_col="employee_id")
    with pytest.raises(d.DisclosureError, match="確かめきれません"):
        release.table(by=["department"], value="hours")
    assert release.tables == ()


def test_null_space_is_exact():
    matrix = np.array([[1, 1, 0], [0, 1, 1]])
    basis = d._null_space(matrix, d._PRIMES[0])
    assert basis.shape == (1, 3)
    assert not (matrix @ basis[0] % d._PRIMES[0]).any()


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


def test_the_release_summary_lists_tables_and_hidden_cells(fy2025):
    release = d.Release(fy2025, person_col="employee_id")
    assert release.summary().endswith("- まだありません")
    release.table(by=["department"], value="hours", stats=("mean",), title="部署別平均")
    assert release.summary().splitlines()[1] == "- 部署別平均：19セル中 5セルを秘匿"


def test_one_grouping_column_may_be_written_without_brackets():
    """by="department" groups by the column, not by its letters (a trainee's typical form)."""
    rows = _people({"A": 12, "B": 15})
    plain = d.Release(rows, person_col="employee_id").table(by="department", value="hours")
    listed = d.Release(rows, person_col="employee_id").table(by=["department"], value="hours")
    assert plain.equals(listed)
    assert plain["n_people"].to_list() == [12, 15]
