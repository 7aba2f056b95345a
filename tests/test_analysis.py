"""Analysis helpers against hand-computed and textbook results."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from ebpm import analysis as a

# --- 年度 calendar -------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [(2024, 3, 2023), (2024, 4, 2024), (2024, 12, 2024), (2025, 1, 2024)],
)
def test_fiscal_year_from_year_and_month(year, month, expected):
    assert a.fiscal_year(year, month) == expected


def test_fiscal_year_from_dates():
    assert a.fiscal_year(dt.date(2024, 3, 31)) == 2023
    assert a.fiscal_year(dt.datetime(2024, 4, 1, 9, 0)) == 2024


def test_fiscal_year_needs_a_month_with_a_year():
    with pytest.raises(ValueError, match="月"):
        a.fiscal_year(2024)
    with pytest.raises(ValueError, match="1〜12"):
        a.fiscal_year(2024, 13)


def test_fiscal_and_calendar_months_are_inverse():
    assert [a.fiscal_month(m) for m in (4, 12, 1, 3)] == [1, 9, 10, 12]
    assert all(a.calendar_month(a.fiscal_month(m)) == m for m in range(1, 13))
    with pytest.raises(ValueError, match="1〜12"):
        a.fiscal_month(0)


def test_add_fiscal_columns_at_the_march_april_boundary():
    df = pl.DataFrame({"date": [dt.date(2024, 3, 31), dt.date(2024, 4, 1), dt.date(2025, 1, 15)]})
    out = a.add_fiscal_columns(df, "date")
    assert out["fiscal_year"].to_list() == [2023, 2024, 2024]
    assert out["fiscal_month"].to_list() == [12, 1, 10]


def test_add_fiscal_columns_on_datetimes_keeps_missing_dates_missing():
    df = pl.DataFrame({"at": [dt.datetime(2025, 3, 31, 23, 59), None, dt.datetime(2025, 4, 1)]})
    out = a.add_fiscal_columns(df, "at")
    assert out.select("fiscal_year", "fiscal_month").rows() == [(2024, 12), (None, None), (2025, 1)]


def test_add_fiscal_columns_rejects_text_dates():
    with pytest.raises(ValueError, match="日付型ではありません"):
        a.add_fiscal_columns(pl.DataFrame({"date": ["2024-04-01"]}), "date")


# --- aggregation ---------------------------------------------------------------


def _monthly(fiscal_years: list[int], value: float = 1.0) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "fiscal_year": np.repeat(fiscal_years, 12),
            "fiscal_month": np.tile(np.arange(1, 13), len(fiscal_years)),
            "value": value,
        }
    )


def test_aggregate_fiscal_year_flags_incomplete_years():
    df = _monthly([2023, 2024]).filter(
        ~((pl.col("fiscal_year") == 2024) & (pl.col("fiscal_month") > 6))
    )
    out = a.aggregate_fiscal_year(df, "value")
    assert out.rows() == [(2023, 12.0, 12, True), (2024, 6.0, 6, False)]
    mean = a.aggregate_fiscal_year(df, "value", how="mean")
    assert mean["value"].to_list() == [1.0, 1.0]


def test_annual_mean_per_person_divides_by_distinct_people():
    df = pl.DataFrame(
        {
            "employee_id": ["E1", "E1", "E2", "E3"],
            "fiscal_year": [2024, 2024, 2024, 2024],
            "hours": [10.0, 20.0, 30.0, 0.0],
        }
    )
    out = a.annual_mean_per_person(df)
    assert out.rows() == [(2024, 60.0, 3, 20.0)]


def test_year_on_year_change_and_gap_years():
    df = pl.DataFrame({"fiscal_year": [2021, 2022, 2024], "value": [100.0, 90.0, 81.0]})
    out = a.year_on_year(df, "value")
    assert out["change"].to_list() == [None, -10.0, None]  # 2023 is missing
    assert out["change_pct"].to_list() == [None, -10.0, None]


def test_year_on_year_by_group():
    df = pl.DataFrame(
        {"group": ["a", "a", "b", "b"], "fiscal_year": [2023, 2024] * 2, "value": [10, 12, 5, 4]}
    )
    out = a.year_on_year(df, "value", by=["group"])
    assert out["change"].to_list() == [None, 2, None, -1]


def test_moving_average_is_trailing_and_grouped():
    df = pl.DataFrame(
        {
            "group": ["a"] * 4 + ["b"] * 3,
            "fiscal_year": [4, 1, 2, 3, 1, 2, 3],
            "v": [4, 1, 2, 3, 10, 20, 30],
        }
    )
    out = a.moving_average(df, "v", window=3, by=["group"])
    assert out["v_ma3"].to_list() == [None, None, 2.0, 3.0, None, None, 20.0]


def test_seasonality_index_recovers_a_known_pattern_and_skips_incomplete_years():
    pattern = np.array([2.0, 1, 1, 1, 0.5, 1, 1, 1, 1, 1, 1, 1.5])
    df = _monthly([2022, 2023, 2024]).with_columns(
        value=pl.Series(np.concatenate([pattern * 10, pattern * 20, pattern * 30]))
    )
    partial = pl.DataFrame({"fiscal_year": [2025], "fiscal_month": [1], "value": [999.0]})
    out = a.seasonality_by_fiscal_month(pl.concat([df, partial]), "value")
    assert out["month"].to_list()[:2] == [4, 5] and out["month"][11] == 3
    assert out["seasonal_index"].to_list() == pytest.approx(list(pattern / pattern.mean()))
    assert out["n_years"].to_list() == [3] * 12
    assert out["mean"][0] == pytest.approx(40.0)


# --- linear trend ------------------------------------------------------------------


def test_linear_trend_matches_scipy_linregress():
    rng = np.random.default_rng(1)
    x = np.arange(2015, 2025)
    y = 50 - 1.5 * (x - 2015) + rng.normal(0, 2, x.size)
    trend = a.linear_trend(pl.DataFrame({"fiscal_year": x, "y": y}), y_col="y")
    reference = stats.linregress(x, y)
    half = stats.t.ppf(0.975, x.size - 2) * reference.stderr
    assert trend.slope == pytest.approx(reference.slope)
    assert trend.slope_ci == pytest.approx((reference.slope - half, reference.slope + half))
    assert trend.p_value == pytest.approx(reference.pvalue)
    assert trend.r_squared == pytest.approx(reference.rvalue**2)
    assert trend.fitted.height == x.size
    assert "1年度あたり" in str(trend)


def test_linear_trend_needs_three_points():
    with pytest.raises(ValueError, match="3点以上"):
        a.linear_trend(pl.DataFrame({"fiscal_year": [1, 2], "y": [1.0, 2.0]}), y_col="y")


# --- interrupted time series ---------------------------------------------------------


def test_its_recovers_exact_level_and_slope_changes_on_yearly_data():
    years = np.arange(2011, 2026)
    t0 = 2019
    y = 200 - 2 * (years - 2011) + np.where(years >= t0, -15 - 3 * (years - t0), 0)
    result = a.interrupted_time_series(
        pl.DataFrame({"fiscal_year": years, "y": y}),
        time_col="fiscal_year",
        value_col="y",
        intervention=t0,
    )
    assert result.level_change == pytest.approx(-15, abs=1e-8)
    assert result.slope_change == pytest.approx(-3, abs=1e-8)
    assert result.pre_slope == pytest.approx(-2, abs=1e-8)
    assert result.post_slope == pytest.approx(-5, abs=1e-8)
    assert result.effect_at_end == pytest.approx(-15 - 3 * (2025 - t0), abs=1e-8)
    assert (result.n_pre, result.n_post) == (8, 7)
    fitted = result.fitted
    assert fitted["fitted"].to_list() == pytest.approx(list(y))
    assert fitted["counterfactual"][-1] == pytest.approx(200 - 2 * (2025 - 2011))


def test_its_on_monthly_dates_with_seasonality():
    dates = pl.date_range(dt.date(2019, 4, 1), dt.date(2026, 3, 1), "1mo", eager=True)
    t = np.arange(dates.len())
    month = dates.dt.month().to_numpy()
    season = np.where(month == 4, 30.0, 0.0) + np.where(month == 8, -10.0, 0.0)
    start = 42  # 2022-10
    y = 500 - 1.0 * t + season + np.where(t >= start, -40 - 2.5 * (t - start), 0)
    df = pl.DataFrame({"date": dates, "sheets": y})
    result = a.interrupted_time_series(
        df, time_col="date", value_col="sheets", intervention=dt.date(2022, 10, 1), seasonal=True
    )
    assert result.level_change == pytest.approx(-40, abs=1e-6)
    assert result.slope_change == pytest.approx(-2.5, abs=1e-6)
    assert result.time_unit == "月"
    assert "1か月あたり" in result.summary()


def test_its_hac_keeps_estimates_and_changes_standard_errors():
    rng = np.random.default_rng(7)
    years = np.arange(40)
    noise = np.convolve(rng.normal(0, 1, 42), [1, 0.8, 0.6], mode="valid")  # autocorrelated
    y = 10 + 0.5 * years + np.where(years >= 20, 5 + 0.2 * (years - 20), 0) + noise
    df = pl.DataFrame({"t": years, "y": y})
    plain = a.interrupted_time_series(df, time_col="t", value_col="y", intervention=20)
    hac = a.interrupted_time_series(df, time_col="t", value_col="y", intervention=20, hac_lags=3)
    assert hac.level_change == pytest.approx(plain.level_change)
    assert hac.level_change_ci != pytest.approx(plain.level_change_ci)
    assert "Newey–West（HAC、ラグ3）" in hac.summary()


def test_its_warns_about_few_pre_points_and_rejects_too_few():
    df = pl.DataFrame({"fiscal_year": list(range(2019, 2026)), "y": [5.0, 6, 5, 7, 4, 3, 2]})
    result = a.interrupted_time_series(df, time_col="fiscal_year", value_col="y", intervention=2023)
    assert "介入前が 4 時点しかありません" in result.summary()
    with pytest.raises(ValueError, match="介入前は3時点以上"):
        a.interrupted_time_series(df, time_col="fiscal_year", value_col="y", intervention=2021)
    with pytest.raises(ValueError, match="年度（整数）"):
        a.interrupted_time_series(
            df, time_col="fiscal_year", value_col="y", intervention=dt.date(2023, 4, 1)
        )


# --- difference-in-differences --------------------------------------------------------


def _two_by_two() -> pl.DataFrame:
    rows = []
    cells = {(True, 2023): 10.0, (True, 2024): 7.0, (False, 2023): 12.0, (False, 2024): 11.0}
    for (treated, year), mean in cells.items():
        for offset in (-1.0, 0.0, 1.0):  # replicates around the cell mean
            rows.append({"treated": treated, "fiscal_year": year, "y": mean + offset})
    return pl.DataFrame(rows)


def test_did_equals_the_difference_of_differences_of_a_2x2_table():
    result = a.difference_in_differences(
        _two_by_two(),
        outcome_col="y",
        treated_col="treated",
        time_col="fiscal_year",
        intervention=2024,
    )
    assert result.estimate == pytest.approx((7 - 10) - (11 - 12))
    assert result.means.rows() == [
        ("処置群", "介入前", 10.0, 3),
        ("処置群", "介入後", 7.0, 3),
        ("対照群", "介入前", 12.0, 3),
        ("対照群", "介入後", 11.0, 3),
    ]
    assert result.pre_trend is None
    text = result.summary()
    assert "平行トレンドの仮定" in text and "事前トレンドは確認できません" in text
    assert result.assumption == a.PARALLEL_TRENDS_ASSUMPTION


def test_did_needs_all_four_cells():
    df = _two_by_two().filter(~(pl.col("treated") & (pl.col("fiscal_year") == 2024)))
    with pytest.raises(ValueError, match="介入前と介入後"):
        a.difference_in_differences(
            df, outcome_col="y", treated_col="treated", time_col="fiscal_year", intervention=2024
        )


def _panel(pre_slope_treated: float) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for unit in range(20):
        treated = unit < 10
        for year in range(2018, 2026):
            slope = pre_slope_treated if treated else 1.0
            y = 50 + 5 * treated + slope * (year - 2018) + (-4 if treated and year >= 2023 else 0)
            rows.append(
                {
                    "city": f"C{unit:02d}",
                    "treated": treated,
                    "fiscal_year": year,
                    "y": y + rng.normal(0, 0.5),
                }
            )
    return pl.DataFrame(rows)


def test_did_with_clusters_and_parallel_pre_trends():
    result = a.difference_in_differences(
        _panel(1.0),
        outcome_col="y",
        treated_col="treated",
        time_col="fiscal_year",
        intervention=2023,
        cluster_col="city",
    )
    assert result.estimate == pytest.approx(-4, abs=0.6)
    assert result.ci[0] < -4 < result.ci[1]
    assert result.pre_trend is not None and not result.pre_trend.rejects_parallel
    assert "クラスター頑健標準誤差" in result.summary()


def test_pre_trend_check_flags_diverging_groups():
    check = a.pre_trend_check(
        _panel(3.0),
        outcome_col="y",
        treated_col="treated",
        time_col="fiscal_year",
        intervention=2023,
    )
    assert check.slope_difference == pytest.approx(2.0, abs=0.2)
    assert check.rejects_parallel
    assert "平行トレンドの仮定は疑わしい" in str(check)


# --- survey proportions (the maths lives in ebpm.survey, tested in test_survey.py) --------


def test_the_survey_functions_are_the_survey_modules_own():
    from ebpm import survey

    assert a.proportion_ci is survey.proportion_ci
    assert a.two_proportion_test is survey.two_proportion_test
    assert a.sample_size_per_wave is survey.sample_size_per_wave
    assert str(a.proportion_ci(100 * 81 / 263, 263)) == (
        "30.8%（回答数 263）の95%信頼区間：25.5%〜36.6%（Wilson法）"
    )


# --- forecast -----------------------------------------------------------------------


def _yearly(values: list[float], start: int = 2019) -> pl.DataFrame:
    return pl.DataFrame({"fiscal_year": list(range(start, start + len(values))), "v": values})


def test_forecast_prediction_interval_matches_the_textbook_formula():
    df = _yearly([135.0, 131, 133, 128, 129, 126, 120])
    result = a.forecast(df, value_col="v", target_year=2027)
    x = np.arange(2019, 2026, dtype=float)
    y = df["v"].to_numpy()
    fit = stats.linregress(x, y)
    residual = y - (fit.intercept + fit.slope * x)
    s2 = residual @ residual / (x.size - 2)
    se = math.sqrt(s2 * (1 + 1 / x.size + (2027 - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum()))
    mean = fit.intercept + fit.slope * 2027
    half = stats.t.ppf(0.975, x.size - 2) * se
    assert result.df_resid == x.size - 2
    assert result.mean == pytest.approx(mean)
    assert result.se_prediction == pytest.approx(se)
    assert (result.lower, result.upper) == pytest.approx((mean - half, mean + half))
    last = result.path.filter(pl.col("fiscal_year") == 2027)
    assert (last["pi_lower"][0], last["pi_upper"][0]) == pytest.approx((mean - half, mean + half))
    assert result.path["fiscal_year"].to_list() == list(range(2019, 2028))


def _line_with_scatter(start: int, pattern: list[float], scale: float) -> pl.DataFrame:
    years = list(range(start, start + len(pattern)))
    return pl.DataFrame(
        {"fiscal_year": years, "v": [100 - 2 * (y - start) + scale * e for y, e in zip(years, pattern, strict=True)]}
    )  # fmt: skip


def test_the_interval_widens_with_fewer_years_for_the_same_scatter():
    # residual patterns orthogonal to the line, scaled so that s² = 2 in both fits
    four = a.forecast(_line_with_scatter(2022, [1, -1, -1, 1], 1.0), value_col="v")
    eight = a.forecast(
        _line_with_scatter(2018, [1, -1, -1, 1, 1, -1, -1, 1], math.sqrt(1.5)), value_col="v"
    )
    # by hand: se = s·√(1 + 1/n + (2027 − x̄)²/Sxx); n=4: x̄ 2023.5, Sxx 5; n=8: x̄ 2021.5, Sxx 42
    se_four, se_eight = (
        math.sqrt(2 * (1 + 1 / 4 + 3.5**2 / 5)),
        math.sqrt(2 * (1 + 1 / 8 + 5.5**2 / 42)),
    )
    assert four.se_prediction == pytest.approx(se_four)
    assert eight.se_prediction == pytest.approx(se_eight)
    half_four = (four.upper - four.lower) / 2
    half_eight = (eight.upper - eight.lower) / 2
    assert half_four == pytest.approx(stats.t.ppf(0.975, 2) * se_four)  # 11.70
    assert half_eight == pytest.approx(stats.t.ppf(0.975, 6) * se_eight)  # 4.70
    assert half_four > 2 * half_eight


def test_probability_of_reaching_is_direction_aware():
    result = a.forecast(_yearly([135.0, 131, 133, 128, 129, 126, 120]), value_col="v")
    far_better = result.probability_of_reaching(result.mean - 10 * result.se_prediction, "decrease")
    far_worse = result.probability_of_reaching(result.mean + 10 * result.se_prediction, "decrease")
    assert far_better < 0.001 and far_worse > 0.999
    assert result.probability_of_reaching(result.mean, "decrease") == pytest.approx(0.5)
    target = result.mean + result.se_prediction
    up = result.probability_of_reaching(target, "increase")
    down = result.probability_of_reaching(target, "decrease")
    assert up + down == pytest.approx(1.0)
    assert up == pytest.approx(stats.t.sf(1.0, result.df_resid))
    with pytest.raises(ValueError, match="direction"):
        result.probability_of_reaching(100, "down")


def test_a_probability_comes_with_its_caveat():
    df = _yearly([5_600_000.0, 5_450_000, 5_216_000, 5_100_000, 4_870_000, 4_500_000])
    result = a.forecast(df, value_col="v", target_value=3_652_000, direction="decrease")
    assert result.probability == pytest.approx(
        result.probability_of_reaching(3_652_000, "decrease")
    )
    assert 0 < result.probability < 1
    text = result.summary()
    assert "2027年度" in text and "3,652,000以下に届く確率（目安）" in text
    for shown in (text, result.note()):
        assert "2019〜2024年度の6年度分の値に直線をあてはめ" in shown
        assert "実際に目標に届く確率を示すものではありません" in shown
    assert result.note().startswith("2027年度の予測 ")
    assert result.caveat.startswith("予測の前提：")


def test_no_probability_from_fewer_than_six_years():
    df = _yearly([5_216_000.0, 4_870_000, 4_500_000, 4_400_000, 4_100_000], start=2021)
    result = a.forecast(df, value_col="v", target_value=3_652_000, direction="decrease")
    assert result.n_years == 5 < a.PROBABILITY_MIN_YEARS == 6
    assert result.probability is None
    assert "6年度以上のデータがあるときだけ示します（いまは5年度）" in result.summary()
    assert "確率" not in result.note().split("。")[0]
    assert "5年度分しかないため" in result.caveat
    with pytest.raises(ValueError, match="6年度以上"):
        result.probability_of_reaching(3_652_000, "decrease")
    with pytest.raises(ValueError, match="両方"):
        a.forecast(df, value_col="v", target_value=3_652_000)
    with pytest.raises(ValueError, match="direction"):
        a.forecast(df, value_col="v", target_value=3_652_000, direction="down")  # type: ignore[arg-type]


def test_a_forecast_needs_three_years():
    assert a.FORECAST_MIN_YEARS == 3
    with pytest.raises(ValueError, match="3年度以上のデータが必要です（2年度）"):
        a.forecast(_yearly([1.0, 2.0]), value_col="v")


def test_a_known_break_is_not_crossed_by_the_line():
    df = _yearly([200.0, 190, 180, 130, 129, 126.4, 120])  # a new system from FY2022
    result = a.forecast(df, value_col="v", target_year=range(2025, 2028), breaks=[2022])
    assert result.years_used == (2022, 2025) and result.n_years == 4
    fit = stats.linregress([2022, 2023, 2024, 2025], [130, 129, 126.4, 120])
    predicted = [fit.intercept + fit.slope * year for year in (2026, 2027)]
    assert result.mean == pytest.approx((120 + sum(predicted)) / 3)
    assert "2022年度に構造変化があるため、2022年度以降だけで" in result.caveat
    with pytest.raises(ValueError, match="またいで直線をあてはめることはできません（since=2019）"):
        a.forecast(df, value_col="v", since=2019, breaks=[2022])


def test_too_few_years_after_a_break_are_refused():
    with pytest.raises(ValueError, match="2024年度の構造変化より後は2年度"):
        a.forecast(_yearly([130.0, 129, 128, 127, 126, 120, 110]), value_col="v", breaks=[2024])


def test_a_break_after_the_data_is_named_in_the_caveat():
    result = a.forecast(
        _yearly([130.0, 129, 128, 127, 125, 124, 122]), value_col="v", breaks=[2026]
    )
    assert result.break_year is None and result.later_breaks == (2026,)
    assert "2026年度からの構造変化は予測に含まれていません" in result.caveat


def test_forecast_of_a_period_average_uses_observed_years():
    df = _yearly([133.0, 131, 151, 130, 129, 126.4, 120])
    result = a.forecast(df, value_col="v", target_year=range(2025, 2028))
    x = np.arange(2019, 2026, dtype=float)
    fit = stats.linregress(x, df["v"].to_numpy())
    predicted = [fit.intercept + fit.slope * year for year in (2026, 2027)]
    assert result.mean == pytest.approx((120 + sum(predicted)) / 3)
    assert result.target_years == (2025, 2026, 2027)
    assert "2025〜2027年度の平均" in result.summary()
    # the average of two predictions is less uncertain than one far prediction ×2/3
    single = a.forecast(df, value_col="v", target_year=2027)
    assert result.se_prediction < single.se_prediction


def test_forecast_when_every_target_year_is_observed():
    df = _yearly([130.0, 125, 118, 101, 99, 98])  # 2019 … 2024
    result = a.forecast(df, value_col="v", target_year=[2022, 2023, 2024])
    assert result.mean == pytest.approx(99.3333333)
    assert result.se_prediction == 0
    assert result.probability_of_reaching(100, "decrease") == 1.0
    assert result.probability_of_reaching(99, "decrease") == 0.0


def test_forecast_since_fits_recent_years_but_keeps_observed_target_years():
    df = _yearly([200.0, 190, 180, 130, 129, 126.4, 120])
    recent = a.forecast(df, value_col="v", target_year=range(2025, 2028), since=2022)
    assert recent.years_used == (2022, 2025) and recent.n_years == 4
    fit = stats.linregress([2022, 2023, 2024, 2025], [130, 129, 126.4, 120])
    predicted = [fit.intercept + fit.slope * year for year in (2026, 2027)]
    assert recent.mean == pytest.approx((120 + sum(predicted)) / 3)


def test_forecast_rejects_duplicate_years():
    with pytest.raises(ValueError, match="複数あります"):
        a.forecast(pl.concat([_yearly([1.0, 2.0, 3.0])] * 2), value_col="v")
