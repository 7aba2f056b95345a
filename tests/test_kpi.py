"""Progress formulas against hand-computed values (practice-notes §1.3)."""

from __future__ import annotations

import dataclasses
import math

import polars as pl
import pytest

from ebpm.kpi import (
    KPI,
    PROGRESS_COLUMNS,
    GradeBands,
    evaluate,
    expected_path,
    progress_frame,
    promotion_period,
)

COPY_PAPER = KPI(
    kpi_id="K09",
    name="コピー用紙購入枚数",
    strategy_id="3-1",
    aggregation="single_year",
    unit="枚",
    direction="decrease",
    base_fy=2023,
    base_value=5_216_000,
    target_fy=2027,
    target_value=3_652_000,
)
OVERTIME = KPI(
    kpi_id="K10",
    name="1人あたり時間外勤務等年間平均時間数",
    strategy_id="3-1",
    aggregation="single_year",
    unit="時間",
    direction="decrease",
    base_fy=2023,
    base_value=129,
    target_fy=2027,
    target_value=100,
    target_basis="period_average",
    target_period_start_fy=2025,
    target_period_end_fy=2027,
)
GENAI_2023 = KPI(
    kpi_id="X",
    name="生成AI",
    strategy_id="3-2",
    aggregation="single_year",
    unit="%",
    direction="increase",
    base_fy=2023,
    base_value=26,
    target_fy=2027,
    target_value=90,
)
ONLINE = KPI(
    kpi_id="K03",
    name="行政手続のオンライン対応手続数",
    strategy_id="1-2",
    aggregation="cumulative",
    unit="件",
    direction="increase",
    base_fy=2023,
    base_value=33,
    target_fy=2027,
    target_value=43,
)
LITERACY = KPI(
    kpi_id="K07",
    name="デジタルリテラシー講座等の開催回数",
    strategy_id="1-4",
    aggregation="single_year",
    unit="回",
    direction="maintain",
    base_fy=2023,
    base_value=20,
    target_fy=2027,
    target_value=20,
)


def test_copy_paper_decrease_half_way():
    # P = (4.5M − 5.216M) / (3.652M − 5.216M) = 716,000 / 1,564,000
    r = evaluate(COPY_PAPER, {2025: 4_500_000}, 2025)
    assert r.progress == pytest.approx(716_000 / 1_564_000)
    assert round(r.progress, 3) == 0.458
    assert r.expected == 4_434_000
    assert r.pace == pytest.approx(716_000 / 1_564_000 / 0.5)
    assert r.grade == "概ね順調"


def test_never_a_over_t():
    # T/A would be 81 %: the gap closed is what counts.
    r = evaluate(COPY_PAPER, {2025: 4_500_000}, 2025)
    assert pytest.approx(0.8116, abs=1e-4) == 3_652_000 / 4_500_000
    assert r.progress < 0.5


def test_increase_generative_ai():
    r = evaluate(GENAI_2023, {2025: 50}, 2025)
    assert (r.progress, r.expected, r.pace, r.grade) == (0.375, 58.0, 0.75, "概ね順調")


def test_cumulative_reported_value_is_the_actual():
    r = evaluate(ONLINE, {2024: 36, 2025: 38}, 2025)
    assert r.actual == 38 and r.actual_basis == "cumulative"
    assert (r.progress, r.pace, r.grade) == (0.5, 1.0, "順調")  # exactly on the edge


def test_overtime_expected_path_has_the_target_as_its_period_mean():
    # E(y) = 129 + (100 − 129)·(y − 2023)/(2026 − 2023): slope −29/3 per year, so
    # FY2025–FY2027 are 109.67, 100, 90.33 and their mean is exactly 100.
    path = [expected_path(OVERTIME, y) for y in (2025, 2026, 2027)]
    assert path == pytest.approx([129 - 58 / 3, 100.0, 129 - 116 / 3])
    assert sum(path) / 3 == pytest.approx(100.0)
    assert expected_path(OVERTIME, 2023) == 129.0


def test_overtime_following_the_expected_path_is_on_track_then_achieved():
    path = {y: expected_path(OVERTIME, y) for y in (2025, 2026, 2027)}
    grades = [evaluate(OVERTIME, path, y).grade for y in (2025, 2026, 2027)]
    assert grades == ["順調", "順調", "達成"]


def test_overtime_straight_line_to_100_misses_the_period_average():
    # The old path (114.5, 107.25, 100) averages 107.25 h > 100 h: not achieved.
    line = {2025: 114.5, 2026: 107.25, 2027: 100.0}
    first = evaluate(OVERTIME, line, 2025)
    # P = 14.5/29 = 0.5; expected progress (129 − 109.67)/29 = 2/3; pace 0.75
    assert (first.progress, first.expected_progress, first.pace) == pytest.approx(
        (0.5, 2 / 3, 0.75)
    )
    assert first.grade == "概ね順調"
    second = evaluate(OVERTIME, line, 2026)
    # mean 110.875 is shown (and judged) as 110.88; the expected mean is 104.83
    assert second.period_average == 110.88 and second.actual == 107.25
    assert second.expected_period_average == pytest.approx((129 - 58 / 3 + 100) / 2)
    assert second.grade == "概ね順調"
    last = evaluate(OVERTIME, line, 2027)
    assert last.period_average == 107.25 and last.grade == "未達成"
    assert (
        last.reason == "推進期間（2025〜2027年度）の平均 107.25時間が目標値 100時間に届いていません"
    )


def test_overtime_period_average_first_year():
    r = evaluate(OVERTIME, {2024: 126.4, 2025: 120}, 2025)
    assert r.actual == 120 and r.actual_basis == "period_average" and r.actual_years == (2025,)
    assert r.period_average == 120.0
    assert r.progress == pytest.approx(9 / 29)
    assert r.expected == pytest.approx(129 - 58 / 3)  # 109.67 on the period-average path
    assert r.pace == pytest.approx((9 / 29) / (2 / 3))  # 0.4655
    assert r.grade == "遅れ"


def test_overtime_period_average_uses_available_period_years():
    # FY2024 is outside the promotion period and must not enter the average.
    r = evaluate(OVERTIME, {2024: 126.4, 2025: 120, 2026: 104}, 2026)
    assert r.actual == 104 and r.period_average == 112 and r.actual_years == (2025, 2026)
    assert r.progress == pytest.approx(17 / 29)
    # expected mean over FY2025–26: (109.67 + 100)/2 = 104.83; its progress 24.17/29 = 0.8333
    assert r.pace == pytest.approx((17 / 29) / (29 * 5 / 6 / 29))
    assert r.grade == "概ね順調"


def test_overtime_year_without_its_own_actual_is_ungraded():
    r = evaluate(OVERTIME, {2025: 110}, 2026)
    assert (r.grade, r.actual, r.period_average, r.reason) == (
        "評価不能",
        None,
        None,
        "実績値がありません",
    )


def test_overtime_final_year_needs_every_year_of_the_period():
    r = evaluate(OVERTIME, {2025: 100, 2027: 95}, 2027)
    assert r.grade == "評価不能"
    assert r.reason == (
        "推進期間（2025〜2027年度）のうち2026年度の実績値がないため、期間平均で判定できません"
    )


def test_overtime_achieved_on_period_average_not_final_year():
    # FY2027 alone is 95 h, but the period average is (110 + 104 + 95) / 3 = 103 h > 100 h.
    r = evaluate(OVERTIME, {2025: 110, 2026: 104, 2027: 95}, 2027)
    assert r.period_average == 103 and r.actual == 95
    assert r.grade == "未達成"
    r = evaluate(OVERTIME, {2025: 100, 2026: 99, 2027: 98}, 2027)
    assert r.period_average == 99 and r.grade == "達成"


def test_period_average_is_judged_as_shown():
    # (100.1 + 100.0 + 100.0)/3 = 100.033…, shown with the data's one decimal as 100.0:
    # a printed 100.0 h is never 未達成 against a target of 100 h.
    r = evaluate(OVERTIME, {2025: 100.1, 2026: 100.0, 2027: 100.0}, 2027)
    assert (r.period_average, r.derived_decimals, r.grade) == (100.0, 1, "達成")
    r = evaluate(OVERTIME, {2025: 100.2, 2026: 100.0, 2027: 100.0}, 2027)  # 100.07 → 100.1
    assert (r.period_average, r.grade) == (100.1, "未達成")


def test_overtime_before_period_is_single_year_on_the_same_path():
    r = evaluate(OVERTIME, {2024: 126.4}, 2024)
    assert r.actual == 126.4 and r.actual_basis == "single_year" and r.period_average is None
    # E(2024) = 129 − 29/3 = 119.33; expected progress 1/3
    assert r.expected == pytest.approx(129 - 29 / 3)
    assert r.pace == pytest.approx((2.6 / 29) * 3)
    assert r.grade == "遅れ"


def test_maintain_kpi():
    kept = evaluate(LITERACY, {2025: 22}, 2025)
    assert (kept.grade, kept.progress, kept.pace, kept.expected) == ("達成", 1.1, None, 20.0)
    exact = evaluate(LITERACY, {2025: 20}, 2025)
    assert exact.grade == "達成"
    short = evaluate(LITERACY, {2025: 18}, 2025)
    assert (short.grade, short.progress) == ("遅れ", 0.9)


def test_deterioration_and_achievement():
    assert evaluate(COPY_PAPER, {2025: 5_300_000}, 2025).grade == "悪化"
    assert evaluate(COPY_PAPER, {2025: 3_652_000}, 2025).grade == "達成"
    assert evaluate(GENAI_2023, {2024: 95}, 2024).grade == "達成"
    assert evaluate(GENAI_2023, {2025: 25}, 2025).grade == "悪化"


def test_behind():
    r = evaluate(GENAI_2023, {2025: 40}, 2025)  # P = 14/64 = 0.219, R = 0.4375
    assert r.grade == "遅れ" and r.pace == pytest.approx(0.4375)


def test_missing_actual():
    r = evaluate(COPY_PAPER, {2024: 4_900_000}, 2025)
    assert (r.actual, r.progress, r.pace, r.grade) == (None, None, None, "評価不能")
    assert r.expected == 4_434_000  # the path is known even without data


def test_no_time_elapsed_cannot_be_paced():
    genai = KPI(
        kpi_id="K11",
        name="生成AI",
        strategy_id="3-2",
        aggregation="single_year",
        unit="%",
        direction="increase",
        base_fy=2024,
        base_value=26,
        target_fy=2027,
        target_value=90,
    )
    r = evaluate(genai, {2024: 34}, 2024)
    assert r.pace is None and r.grade == "評価不能" and "基準年度" in r.reason
    later = evaluate(genai, {2025: 52}, 2025)  # elapsed 1/3
    assert later.pace == pytest.approx((26 / 64) * 3) and later.grade == "順調"


def test_band_edges_are_configurable():
    strict = GradeBands(on_track=1.2, mostly=0.95)
    assert evaluate(COPY_PAPER, {2025: 4_500_000}, 2025, strict).grade == "遅れ"
    lenient = GradeBands(on_track=0.9, mostly=0.5)
    assert evaluate(COPY_PAPER, {2025: 4_500_000}, 2025, lenient).grade == "順調"
    with pytest.raises(ValueError, match="境界"):
        GradeBands(on_track=0.5, mostly=0.6)


def test_result_carries_components():
    row = evaluate(COPY_PAPER, {2025: 4_500_000}, 2025).as_dict()
    for key in (
        "base_value",
        "target_value",
        "actual",
        "base_fy",
        "target_fy",
        "fiscal_year",
        "progress",
        "expected",
        "pace",
        "elapsed",
        "band_on_track",
        "band_mostly",
        "grade",
    ):
        assert key in row
    assert math.isclose(row["elapsed"], 0.5)


def test_definition_guards():
    with pytest.raises(ValueError, match="維持目標"):
        KPI(
            kpi_id="Z",
            name="z",
            strategy_id="1-1",
            aggregation="single_year",
            unit="回",
            direction="maintain",
            base_fy=2023,
            base_value=20,
            target_fy=2027,
            target_value=25,
        )
    with pytest.raises(ValueError, match="目標年度"):
        KPI(
            kpi_id="Z",
            name="z",
            strategy_id="1-1",
            aggregation="single_year",
            unit="回",
            direction="increase",
            base_fy=2027,
            base_value=1,
            target_fy=2027,
            target_value=2,
        )


def test_no_negative_zero_when_actual_equals_base():
    # A printed 「-0.0%」 would read as a (tiny) deterioration.
    r = evaluate(OVERTIME, {2025: 129}, 2025)
    assert math.copysign(1, r.progress) == 1 and math.copysign(1, r.pace) == 1
    assert f"{r.progress:.1%}" == "0.0%"


@pytest.mark.parametrize(
    ("on_track", "mostly"), [(0.6, 0.6), (0.5, 0.6), (1.0, -0.1), (math.nan, 0.6)]
)
def test_band_edges_that_cannot_be_drawn_are_refused(on_track, mostly):
    # 順調 must start strictly above 概ね順調, or the chart's bands and the grades disagree.
    with pytest.raises(ValueError, match="0 ≦ 概ね順調の下限 < 順調の下限"):
        GradeBands(on_track=on_track, mostly=mostly)


def test_promotion_period_is_read_from_the_definitions():
    assert promotion_period([COPY_PAPER, OVERTIME]) == (2025, 2027)
    assert promotion_period([COPY_PAPER]) is None
    other = dataclasses.replace(OVERTIME, kpi_id="K99", target_period_start_fy=2024)
    with pytest.raises(ValueError, match="2024〜2027年度、2025〜2027年度"):
        promotion_period([OVERTIME, other])


def test_progress_frame_judges_every_plan_year_with_its_components():
    definitions = pl.DataFrame(
        [
            {
                **{
                    f: getattr(OVERTIME, f)
                    for f in ("kpi_id", "name", "strategy_id", "aggregation")
                },
                **{f: getattr(OVERTIME, f) for f in ("unit", "direction", "base_fy", "base_value")},
                **{f: getattr(OVERTIME, f) for f in ("target_fy", "target_value", "target_basis")},
                "target_period_start_fy": 2025,
                "target_period_end_fy": 2027,
                "revision": 1,
                "short_name": "時間外",
                "field_id": 3,
                "field_name": "行政・職員のDX",
                "strategy_name": "庁内業務のデジタルシフト",
                "unit_corrected": None,
                "aggregation_label": "単",
                "base_note": None,
                "target_note": "※推進期間の平均",
                "is_survey": False,
            }
        ]
    )
    actuals = pl.DataFrame(
        {
            "kpi_id": ["K10", "K10"],
            "fiscal_year": [2025, 2026],
            "value": [120.0, 104.0],
            "sample_size": [None, None],
            "is_sample": [True, False],
        }
    )
    frame = progress_frame(definitions, actuals)
    assert frame.columns == list(PROGRESS_COLUMNS)
    assert frame["fiscal_year"].to_list() == [2024, 2025, 2026, 2027]  # base year + 1 … target
    fy2026 = frame.row(2, named=True)
    # The year's own actual, and the mean of FY2025–FY2026 = 112 h the grade is judged on:
    # P = (112 − 129) / (100 − 129) = 17/29; one sample year used.
    assert (fy2026["actual"], fy2026["period_average"]) == (104.0, 112.0)
    assert fy2026["actual_years"] == [2025, 2026]
    assert fy2026["progress"] == pytest.approx(17 / 29)
    assert (fy2026["is_sample"], fy2026["promotion_start_fy"], fy2026["promotion_end_fy"]) == (
        True,
        2025,
        2027,
    )
    assert frame.row(0, named=True)["grade"] == "評価不能"  # FY2024: no actual


# --- the final year: 達成 or not achieved -------------------------------------------------


def test_target_year_is_achieved_or_not_never_mostly_on_track():
    # 3,700,000 would be pace 0.97 (概ね順調) in FY2026; in the target year it is a miss.
    assert evaluate(COPY_PAPER, {2027: 3_700_000}, 2027).grade == "未達成"
    assert evaluate(COPY_PAPER, {2027: 3_700_000}, 2027).reason == (
        "目標年度の実績値 3,700,000枚が目標値 3,652,000枚に届いていません"
    )
    assert evaluate(COPY_PAPER, {2027: 3_652_000}, 2027).grade == "達成"
    assert evaluate(COPY_PAPER, {2027: 5_300_000}, 2027).grade == "悪化"  # worse than the base
    assert evaluate(COPY_PAPER, {2028: 3_700_000}, 2028).grade == "未達成"  # after the target


def test_maintain_kpi_in_its_target_year():
    assert evaluate(LITERACY, {2027: 18}, 2027).grade == "未達成"
    assert evaluate(LITERACY, {2026: 18}, 2026).grade == "遅れ"
    assert evaluate(LITERACY, {2027: 20}, 2027).grade == "達成"


# --- survey shares: sampling error ---------------------------------------------------------

K06 = KPI(
    kpi_id="K06",
    name="「行政情報は容易に入手できる」と答えた割合",
    strategy_id="1-3",
    aggregation="single_year",
    unit="%",
    direction="increase",
    base_fy=2023,
    base_value=48.9,
    target_fy=2027,
    target_value=56.9,
    is_survey=True,
)


def test_survey_change_within_sampling_error_is_neutral_with_the_formula_grade_kept():
    r = evaluate(K06, {2025: 48.2}, 2025, sample_sizes={2025: 795})
    assert (r.grade, r.formula_grade) == ("変化なし（誤差の範囲）", "悪化")
    # base n unknown: assumed 795; p̄ = 0.4455, margin 1.96·√(p̄(1−p̄)·2/795) = 4.91 points
    assert (r.base_sample_size, r.base_sample_size_assumed) == (795, True)
    assert r.survey_change == pytest.approx(-0.7)
    assert r.survey_margin == pytest.approx(4.913, abs=1e-3)
    assert r.reason == (
        "基準値からの差 -0.7ポイントは標本誤差の範囲（±4.9ポイント）内で、変化したとは言えません"
        "（計算上の評価：悪化）。基準値の回答数は公表されていないため795と仮定"
    )


def test_survey_large_fall_is_still_worse():
    r = evaluate(K06, {2025: 40.0}, 2025, sample_sizes={2025: 795})
    assert (r.grade, r.formula_grade) == ("悪化", "悪化")
    assert "標本誤差（±4.9ポイント）を超えています" in r.reason


def test_survey_share_carries_its_wilson_interval():
    from statsmodels.stats.proportion import proportion_confint

    r = evaluate(K06, {2025: 48.2}, 2025, sample_sizes={2025: 795})
    low, high = proportion_confint(0.482 * 795, 795, method="wilson")
    assert (r.ci_lower, r.ci_upper) == pytest.approx((low * 100, high * 100))
    assert r.sample_size == 795


def test_survey_without_sample_size_claims_nothing():
    r = evaluate(K06, {2025: 48.2}, 2025)
    assert (r.grade, r.formula_grade, r.ci_lower) == ("評価不能", "悪化", None)
    assert "sample_size 列に回答数を入力してください" in r.reason


def test_survey_known_base_sample_size_is_used_not_assumed():
    # A base of 200 answers widens the margin: 46.1 → 50.9 is 4.8 points, within ±7.8.
    k02 = dataclasses.replace(K06, base_value=46.1, target_value=54.1)
    known = evaluate(k02, {2025: 50.9}, 2025, sample_sizes={2025: 795}, base_sample_size=200)
    assert (known.base_sample_size, known.base_sample_size_assumed) == (200, False)
    assert known.grade == "変化なし（誤差の範囲）"
    assumed = evaluate(k02, {2025: 50.9}, 2025, sample_sizes={2025: 795})
    assert assumed.survey_margin < known.survey_margin
    assert "公表されていない" not in known.reason


# --- rounding: half-up on the decimal value, thresholds on the number shown -------------


def test_progress_and_pace_print_half_up_from_the_decimal_value():
    from ebpm.kpi import format_progress

    # K02 by the formula: P = (48.0 − 46.1)/(54.1 − 46.1) = 1.9/8 = 0.2375, pace 0.475
    k02 = dataclasses.replace(K06, base_value=46.1, target_value=54.1, is_survey=False)
    r = evaluate(k02, {2025: 48.0}, 2025, decimals={2025: 1})
    text = format_progress(r.as_dict() | {"unit": "%"})
    assert (text.progress, text.pace) == ("23.8%", "0.48")  # not 23.7 % / 0.47 (binary floats)
    assert r.reason == "ペース0.48が0.6未満です"  # the reason prints the column's number
    assert text.actual == "48.0" and text.base == "46.1"


def test_pace_is_judged_as_shown():
    # P = 0.4975 at half time: pace 0.995, shown 1.00 — so 順調, never 「ペース1.00 … 未満」.
    kpi = dataclasses.replace(GENAI_2023, base_value=0, target_value=100)
    r = evaluate(kpi, {2025: 49.75}, 2025)
    assert r.pace == pytest.approx(0.995)
    assert (r.grade, r.reason) == ("順調", "ペース1.00が1.0以上です")


def test_reasons_print_band_edges_and_pace_with_fixed_decimals():
    r = evaluate(ONLINE, {2024: 36, 2025: 38}, 2025)
    assert r.reason == "ペース1.00が1.0以上です"
    r = evaluate(GENAI_2023, {2025: 50}, 2025, GradeBands(1.0, 0.7))
    assert r.reason == "ペース0.75が0.7以上1.0未満です"
