"""The value-axis rule (ebpm.charts.axes) and how the trend chart applies it."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from ebpm import charts
from ebpm.charts.axes import SURVEY_MIN_SPAN, y_axis
from ebpm.charts.trend import plan_trend

SOURCE = "出典：テスト"


def spec_of(chart: alt.TopLevelMixin) -> dict[str, Any]:
    with alt.theme.enable(charts.THEME_NAME):
        return chart.to_dict()


def row(**overrides: Any) -> dict[str, Any]:
    base = {
        "kpi_id": "K04",
        "name": "キャッシュレス決済対応手続数",
        "strategy_id": "1-2",
        "unit": "件",
        "aggregation": "cumulative",
        "direction": "increase",
        "base_fy": 2023,
        "base_value": 14.0,
        "target_fy": 2027,
        "target_value": 16.0,
        "fiscal_year": 2025,
        "actual": 15.0,
        "progress": 0.5,
        "pace": 1.0,
        "grade": "順調",
        "is_sample": False,
        "promotion_start_fy": 2025,
        "promotion_end_fy": 2027,
    }
    return base | overrides


def y_encodings(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        layer["encoding"]["y"]
        for layer in spec["vconcat"][0]["layer"]
        if "scale" in layer.get("encoding", {}).get("y", {})
    ]


# --- the rule -----------------------------------------------------------------------------


def test_ons_example_a_zero_based_axis_that_still_shows_the_trend():
    # ONS: "if your data range from 2.5 to 9.5, start the axis at 0, rather than 2"
    axis = y_axis([2.5, 9.5], unit="%")
    assert axis.domain[0] == 0 and not axis.cut


def test_ons_example_a_cut_axis_with_a_gap_under_the_lowest_value():
    # ONS: "if your data values range between 92 and 100, start your axis at 90"; the gap
    # under the first value is "around one-quarter to one-third of the space of the chart"
    axis = y_axis([92, 100], unit="%")
    low, high = axis.domain
    assert axis.cut and low < 92
    assert 0.25 <= (92 - low) / (high - low) <= 0.45
    assert high <= 100  # a share never runs past 100 %


def test_quantities_that_cannot_be_negative_never_get_a_negative_range():
    assert y_axis([0, 6, 20], unit="人").domain == (0.0, 22.0)
    assert y_axis([0, 0], unit="人").domain[0] == 0.0


def test_data_never_fill_the_whole_height_of_a_cut_axis():
    for values in ([5_216_000, 3_652_000, 4_500_000], [129, 100, 90.33, 126.4], [14, 16, 15]):
        axis = y_axis(values, unit="枚")
        low, high = axis.domain
        assert (max(values) - min(values)) / (high - low) <= 0.7, values


def test_survey_axis_without_intervals_spans_at_least_the_minimum():
    axis = y_axis([48.9, 48.2, 49.5], unit="%", survey=True)
    assert axis.domain[1] - axis.domain[0] >= SURVEY_MIN_SPAN


# --- the trend chart ----------------------------------------------------------------------


def test_count_kpis_get_whole_number_ticks():
    history = pl.DataFrame({"fiscal_year": [2024, 2025], "actual": [14.0, 15.0]})
    spec = spec_of(charts.kpi_trend_chart(row(), history, source=SOURCE))
    axes = [y["axis"] for y in y_encodings(spec) if "axis" in y]
    assert axes and all(a["tickMinStep"] == 1 and a["format"] == ",d" for a in axes)
    rates = spec_of(
        charts.kpi_trend_chart(
            row(unit="%", base_value=26.0, target_value=90.0, actual=52.0),
            pl.DataFrame({"fiscal_year": [2025], "actual": [52.0]}),
            source=SOURCE,
        )
    )
    assert all("tickMinStep" not in y["axis"] for y in y_encodings(rates) if "axis" in y)


def test_headcount_from_zero_has_no_negative_range_and_no_cut():
    k12 = row(kpi_id="K12", unit="人", base_value=0.0, target_value=20.0, actual=6.0)
    history = pl.DataFrame({"fiscal_year": [2024, 2025], "actual": [0.0, 6.0]})
    plan = plan_trend(k12, history, source=SOURCE)
    assert plan.axis.domain == (0.0, 22.0) and not plan.axis.cut
    spec = spec_of(charts.kpi_trend_chart(k12, history, source=SOURCE))
    assert {tuple(y["scale"]["domain"]) for y in y_encodings(spec)} == {(0.0, 22.0)}
    assert "縦軸は" not in spec["usermeta"]["ebpm"]["note"]


def test_a_cut_axis_carries_a_break_mark_and_a_note():
    paper = row(
        kpi_id="K09",
        unit="枚",
        aggregation="single_year",
        direction="decrease",
        base_value=5_216_000.0,
        target_value=3_652_000.0,
        actual=4_500_000.0,
    )
    history = pl.DataFrame({"fiscal_year": [2024, 2025], "actual": [4_870_000.0, 4_500_000.0]})
    spec = spec_of(charts.kpi_trend_chart(paper, history, source=SOURCE))
    assert spec["usermeta"]["ebpm"]["y_domain"] == [2_500_000.0, 5_500_000.0]
    breaks = [
        layer
        for layer in spec["vconcat"][0]["layer"]
        if layer["mark"]["type"] == "rule"
        and "y2" in layer.get("encoding", {})
        and "value" in layer["encoding"]["y"]
    ]
    assert len(breaks) == 3  # the white gap and two strokes, in pixels over the axis
    assert "縦軸は2,500,000枚から始まっています" in spec["usermeta"]["ebpm"]["note"]


def survey_row(**overrides: Any) -> dict[str, Any]:
    return (
        row(
            kpi_id="K06",
            name="「行政情報は容易に入手できる」と答えた割合",
            unit="%",
            aggregation="single_year",
            base_value=48.9,
            target_value=56.9,
            actual=48.2,
            grade="変化なし（誤差の範囲）",
            formula_grade="悪化",
            is_survey=True,
            sample_size=795,
            ci_lower=44.74,
            ci_upper=51.67,
            survey_change=-0.7,
            survey_margin=4.91,
            base_sample_size=795,
            base_sample_size_assumed=True,
            progress=-0.0875,
            pace=-0.175,
        )
        | overrides
    )


def test_survey_chart_draws_intervals_and_its_axis_covers_them():
    history = pl.DataFrame(
        {"fiscal_year": [2024, 2025], "actual": [49.5, 48.2], "sample_size": [812, 795]}
    )
    plan = plan_trend(survey_row(), history, source=SOURCE)
    low, high = plan.axis.domain
    assert all(low <= p.ci_lower and p.ci_upper <= high for p in plan.points)
    # the within-error fall of 0.7 points takes under 5 % of the height; its interval is wider
    assert 0.7 / (high - low) < 0.05
    assert all(p.ci_upper - p.ci_lower > 0.7 for p in plan.points)
    assert "95%信頼区間" in plan.series
    status = "".join(plan.caption.subtitle[:2])  # the status line, wrapped to the width
    assert status == (
        "2025年度実績 48.2%（回答数 795、95%信頼区間 44.7〜51.7%）｜基準値から -0.7ポイント"
        "（誤差 ±4.9）｜評価：変化なし（誤差の範囲）（計算上は悪化）"
    )
    assert "795件と仮定しました" in plan.caption.note


def test_survey_chart_uses_the_rows_interval_when_history_has_no_sample_size():
    history = pl.DataFrame({"fiscal_year": [2024, 2025], "actual": [49.5, 48.2]})
    plan = plan_trend(survey_row(), history, source=SOURCE)
    assert [(p.fiscal_year, p.ci_lower) for p in plan.points] == [(2024, None), (2025, 44.74)]


def test_overview_draws_no_bar_for_a_change_within_sampling_error():
    from ebpm.charts.overview import plan_overview

    table = pl.DataFrame([survey_row(strategy_name="「伝わる」ように「伝える」", reason="")])
    (only,) = plan_overview(table, source=SOURCE).rows
    assert only.grade == "変化なし（誤差の範囲）" and only.pace_bar is None
    assert only.value_text == (
        "変化なし（誤差の範囲）：基準値から -0.7ポイント（誤差 ±4.9）・計算上は悪化"
    )


def test_maintain_kpi_status_line_shows_the_ratio_to_the_level_not_a_pace():
    k07 = row(
        kpi_id="K07",
        unit="回",
        aggregation="single_year",
        direction="maintain",
        base_value=20.0,
        target_value=20.0,
        actual=18.0,
        progress=0.9,
        pace=None,
        grade="遅れ",
    )
    history = pl.DataFrame({"fiscal_year": [2024, 2025], "actual": [22.0, 18.0]})
    plan = plan_trend(k07, history, source=SOURCE)
    assert plan.caption.subtitle[0] == "2025年度実績 18回｜目標比 90.0%｜評価：遅れ"
