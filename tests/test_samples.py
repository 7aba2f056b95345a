"""The synthetic training data: reproducible files, exact KPI totals, the modelled shapes."""

from __future__ import annotations

import polars as pl
import pytest

from ebpm import analysis, paths, samples

SAMPLE_DIR = paths.RAW / "sample"
KPI_DIR = paths.RAW / "kpi"


@pytest.fixture(scope="module")
def overtime() -> pl.DataFrame:
    return samples.overtime_monthly()


@pytest.fixture(scope="module")
def paper() -> pl.DataFrame:
    return samples.copy_paper_monthly()


# --- files ------------------------------------------------------------------


def test_committed_files_are_rebuilt_byte_for_byte(tmp_path):
    written = samples.write_samples(tmp_path)
    assert [p.name for p in written] == list(samples.SAMPLE_FILES)
    for path in written:
        assert path.read_bytes() == (SAMPLE_DIR / path.name).read_bytes(), path.name


def test_files_are_utf8_with_lf_endings_and_one_decimal(tmp_path):
    overtime_csv, paper_csv = samples.write_samples(tmp_path)
    data = overtime_csv.read_bytes()
    assert b"\r" not in data and not data.startswith(b"\xef\xbb\xbf")
    data.decode("utf-8")
    hours = [line.split(b",")[6] for line in data.splitlines()[1:]]
    assert all(len(h.split(b".")[1]) == 1 for h in hours)
    assert b"\r" not in paper_csv.read_bytes()


def test_reading_the_file_back_gives_the_generated_frame(overtime, paper):
    assert pl.read_csv(SAMPLE_DIR / "overtime_monthly.csv").equals(overtime)
    assert pl.read_csv(SAMPLE_DIR / "copy_paper_monthly.csv").equals(paper)


def test_every_row_is_flagged_as_sample(overtime, paper):
    assert overtime["is_sample"].all() and paper["is_sample"].all()


def test_rows_are_sorted(overtime, paper):
    assert overtime.equals(overtime.sort("fiscal_year", "fiscal_month", "employee_id"))
    assert paper.equals(paper.sort("fiscal_year", "fiscal_month"))


# --- exact KPI totals --------------------------------------------------------


def test_copy_paper_yearly_totals_equal_the_kpi_sample_actuals(paper):
    totals = dict(paper.group_by("fiscal_year").agg(pl.col("sheets").sum()).iter_rows())
    assert {fy: totals[fy] for fy in (2023, 2024, 2025)} == {
        2023: 5_216_000,
        2024: 4_870_000,
        2025: 4_500_000,
    }
    assert dict(samples.SAMPLE_KPI_TARGETS["K09"]) == {fy: totals[fy] for fy in (2023, 2024, 2025)}


def test_overtime_per_employee_average_equals_the_kpi_sample_actuals(overtime):
    per_person = analysis.annual_mean_per_person(overtime)
    rounded = dict(per_person.select("fiscal_year", pl.col("mean_per_person").round(1)).iter_rows())
    assert {fy: rounded[fy] for fy in (2023, 2024, 2025)} == {2023: 129.0, 2024: 126.4, 2025: 120.0}
    # exact, not only after rounding: total tenths of an hour = target × 10 × staff
    tenths = overtime.with_columns(tenths=(pl.col("hours") * 10).round().cast(pl.Int64))
    for fy, target in samples.SAMPLE_KPI_TARGETS["K10"].items():
        year = tenths.filter(pl.col("fiscal_year") == fy)
        assert year["tenths"].sum() == round(target * 10) * year["employee_id"].n_unique()


def test_pinned_totals_hold_for_any_seed():
    paper = samples.copy_paper_monthly(seed=1)
    overtime = samples.overtime_monthly(seed=1)
    assert not paper.equals(samples.copy_paper_monthly())
    sheets = dict(paper.group_by("fiscal_year").agg(pl.col("sheets").sum()).iter_rows())
    assert sheets[2024] == 4_870_000
    per_person = analysis.annual_mean_per_person(overtime).filter(pl.col("fiscal_year") == 2025)
    assert round(per_person["mean_per_person"][0], 1) == 120.0


def test_targets_agree_with_the_kpi_files():
    definitions = KPI_DIR / "kpi_definitions.csv"
    actual_files = sorted((KPI_DIR / "actuals").glob("*.csv"))
    if not definitions.exists() or not actual_files:
        pytest.skip("KPI files are not in this checkout")
    base = pl.read_csv(definitions).filter(pl.col("kpi_id").is_in(["K09", "K10"]))
    for kpi_id, base_fy, base_value in base.select("kpi_id", "base_fy", "base_value").iter_rows():
        assert samples.SAMPLE_KPI_TARGETS[kpi_id][base_fy] == base_value
    actuals = pl.concat(
        [pl.read_csv(f, schema_overrides={"value": pl.Float64}) for f in actual_files],
        how="diagonal_relaxed",
    ).filter(pl.col("kpi_id").is_in(["K09", "K10"]) & pl.col("is_sample"))
    assert actuals.height > 0
    for kpi_id, fiscal_year, value in actuals.select("kpi_id", "fiscal_year", "value").iter_rows():
        assert samples.SAMPLE_KPI_TARGETS[kpi_id][fiscal_year] == value


# --- the modelled shapes -----------------------------------------------------


def test_overtime_columns_and_calendar(overtime):
    assert overtime.columns == [
        "employee_id",
        "department",
        "fiscal_year",
        "year",
        "month",
        "fiscal_month",
        "hours",
        "is_sample",
    ]
    assert sorted(overtime["fiscal_year"].unique()) == list(samples.FISCAL_YEARS)
    calendar = overtime.select("year", "month", "fiscal_year", "fiscal_month").unique()
    for year, month, fiscal_year, fiscal_month in calendar.iter_rows():
        assert analysis.fiscal_year(year, month) == fiscal_year
        assert analysis.fiscal_month(month) == fiscal_month
    assert overtime["employee_id"].str.contains(r"^E\d{4}$").all()
    assert (overtime["hours"] >= 0).all()


def test_every_employee_works_whole_fiscal_years(overtime):
    months = overtime.group_by("employee_id", "fiscal_year").agg(
        pl.len(), pl.col("department").n_unique()
    )
    assert (months["len"] == 12).all() and (months["department"] == 1).all()


def test_headcount_is_300_to_400_with_some_small_departments(overtime):
    staff = overtime.group_by("fiscal_year").agg(pl.col("employee_id").n_unique())
    assert staff["employee_id"].is_between(300, 400).all()
    sizes = overtime.group_by("fiscal_year", "department").agg(pl.col("employee_id").n_unique())
    small = sizes.filter(pl.col("employee_id") < 10).group_by("fiscal_year").len()
    assert small.height == len(samples.FISCAL_YEARS) and (small["len"] >= 3).all()


def test_staff_move_between_departments_and_new_department_appears(overtime):
    moves = overtime.group_by("employee_id").agg(pl.col("department").n_unique())
    assert (moves["department"] > 1).sum() > 100
    digital = overtime.filter(pl.col("department") == "デジタル戦略課")
    assert digital["fiscal_year"].min() == 2024


def test_disaster_response_surge_is_in_fy2021_autumn_in_disaster_departments(overtime):
    def mean_hours(department: str, fiscal_years: list[int]) -> float:
        return overtime.filter(
            (pl.col("department") == department)
            & pl.col("fiscal_year").is_in(fiscal_years)
            & pl.col("month").is_in([9, 10, 11])
        )["hours"].mean()

    others = [2019, 2020, 2022, 2023]
    assert mean_hours("防災管理室", [2021]) > mean_hours("防災管理室", others) + 25
    assert mean_hours("建設課", [2021]) > mean_hours("建設課", others) + 15
    assert mean_hours("会計課", [2021]) < mean_hours("会計課", others) + 8


def test_budget_season_and_year_end_peaks(overtime):
    finance = overtime.filter(pl.col("department") == "財政課")
    season = analysis.seasonality_by_fiscal_month(finance, "hours")
    index = dict(season.select("month", "seasonal_index").iter_rows())
    assert index[1] > 1.4 and index[2] > 1.4 and index[8] < 0.8
    everyone = dict(
        analysis.seasonality_by_fiscal_month(overtime, "hours")
        .select("month", "seasonal_index")
        .iter_rows()
    )
    assert everyone[4] > 1.1 and everyone[3] > 1.1 and everyone[8] < 0.9


def test_overtime_drifts_down_after_work_style_measures(overtime):
    per_person = analysis.annual_mean_per_person(overtime)
    mean = dict(per_person.select("fiscal_year", "mean_per_person").iter_rows())
    assert mean[2025] < mean[2024] < mean[2023] < mean[2022]


def test_copy_paper_columns_reams_and_flags(paper):
    assert paper.columns == [
        "fiscal_year",
        "year",
        "month",
        "fiscal_month",
        "reams",
        "sheets",
        "staff",
        "bulk_purchase",
        "e_approval",
        "is_sample",
    ]
    assert paper.height == 84
    assert (paper["sheets"] == paper["reams"] * 500).all()
    after = paper.filter(pl.col("e_approval"))
    assert (after["year"] * 100 + after["month"]).min() == 202210
    assert set(paper.filter(pl.col("bulk_purchase"))["month"].unique()) == {4, 10}


def test_copy_paper_staff_is_the_overtime_headcount(paper, overtime):
    headcount = overtime.group_by("fiscal_year").agg(
        staff=pl.col("employee_id").n_unique().cast(pl.Int64)
    )
    staff = paper.group_by("fiscal_year").agg(pl.col("staff").unique())
    assert (staff["staff"].list.len() == 1).all()
    joined = staff.with_columns(pl.col("staff").list.first()).join(headcount, on="fiscal_year")
    assert (joined["staff"] == joined["staff_right"]).all()


def test_bulk_purchase_months_buy_more(paper):
    by_flag = paper.group_by("bulk_purchase").agg(pl.col("sheets").mean())
    mean = dict(by_flag.iter_rows())
    assert mean[True] > 1.5 * mean[False]


def test_copy_paper_falls_after_electronic_approval(paper):
    per_staff = analysis.aggregate_fiscal_year(
        paper.with_columns(per_staff=pl.col("sheets") / pl.col("staff")), "per_staff"
    )
    values = per_staff["per_staff"].to_list()
    assert values[-1] < values[3] < values[0]  # FY2025 < FY2022 < FY2019
