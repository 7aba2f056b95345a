"""Progress formulas against hand-computed values (practice-notes §1.3)."""

from __future__ import annotations

import dataclasses
import math

import polars as pl
import pytest

from ebpm.kpi import KPI, PROGRESS_COLUMNS, GradeBands, evaluate, progress_frame, promotion_period

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


def test_overtime_period_average_first_year():
    r = evaluate(OVERTIME, {2024: 126.4, 2025: 120}, 2025)
    assert r.actual == 120 and r.actual_basis == "period_average" and r.actual_years == (2025,)
    assert r.progress == pytest.approx(9 / 29)
    assert r.expected == 114.5
    assert r.pace == pytest.approx(18 / 29)  # 0.6207: just inside 概ね順調
    assert r.grade == "概ね順調"


def test_overtime_period_average_uses_available_period_years():
    # FY2024 is outside the promotion period and must not enter the average.
    r = evaluate(OVERTIME, {2024: 126.4, 2025: 120, 2026: 104}, 2026)
    assert r.actual == 112 and r.actual_years == (2025, 2026)
    assert r.progress == pytest.approx(17 / 29)
    assert r.pace == pytest.approx((17 / 29) / 0.75)
    assert r.grade == "概ね順調"


def test_overtime_achieved_on_period_average_not_final_year():
    # FY2027 alone is 95 h, but the period average is (110 + 104 + 95) / 3 = 103 h > 100 h.
    r = evaluate(OVERTIME, {2025: 110, 2026: 104, 2027: 95}, 2027)
    assert r.actual == 103
    assert r.grade != "達成"
    r = evaluate(OVERTIME, {2025: 100, 2026: 99, 2027: 98}, 2027)
    assert r.actual == 99 and r.grade == "達成"


def test_overtime_before_period_is_single_year():
    r = evaluate(OVERTIME, {2024: 126.4}, 2024)
    assert r.actual == 126.4 and r.actual_basis == "single_year"
    assert r.pace == pytest.approx((2.6 / 29) / 0.25)
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
    # Mean of FY2025–FY2026 = 112 h; P = (112 − 129) / (100 − 129) = 17/29; one sample year used.
    assert (fy2026["actual"], fy2026["actual_years"]) == (112.0, [2025, 2026])
    assert fy2026["progress"] == pytest.approx(17 / 29)
    assert (fy2026["is_sample"], fy2026["promotion_start_fy"], fy2026["promotion_end_fy"]) == (
        True,
        2025,
        2027,
    )
    assert frame.row(0, named=True)["grade"] == "評価不能"  # FY2024: no actual
