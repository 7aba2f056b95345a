"""The generated explanation of a KPI's year: hand-checked sentences, from the data only."""

from __future__ import annotations

from typing import Any

import polars as pl

from ebpm.kpi import KPI, evaluate
from ebpm.report.explain import explain_kpi

COPY_PAPER = KPI(
    "K09", "コピー用紙購入枚数", "3-1", "single_year", "枚", "decrease",
    2023, 5_216_000, 2027, 3_652_000, short_name="コピー用紙購入枚数",
)  # fmt: skip
OVERTIME = KPI(
    "K10", "1人あたり時間外勤務等年間平均時間数", "3-1", "single_year", "時間", "decrease",
    2023, 129, 2027, 100, target_basis="period_average",
    target_period_start_fy=2025, target_period_end_fy=2027, target_note="※推進期間の平均",
)  # fmt: skip
SURVEY = KPI(
    "K06", "「行政情報は容易に入手できる」と答えた割合", "1-3", "single_year", "%", "increase",
    2023, 48.9, 2027, 56.9, is_survey=True,
)  # fmt: skip
GENERATIVE_AI = KPI(
    "K11", "生成AIを業務で活用している職員の割合", "3-2", "single_year", "%", "increase",
    2024, 26.0, 2027, 90.0, base_note="※R6.5月時点",
)  # fmt: skip
LITERACY = KPI(
    "K07", "デジタルリテラシー講座等の開催回数", "1-4", "single_year", "回", "maintain",
    2023, 20, 2027, 20,
)  # fmt: skip


def row_of(kpi: KPI, actuals: dict[int, float], fiscal_year: int) -> dict[str, Any]:
    """A ``kpi_progress`` row as the warehouse stores it (definition + the rule's output)."""
    period = (2025, 2027)
    return {
        "name": kpi.name,
        "short_name": kpi.short_name,
        "strategy_id": kpi.strategy_id,
        "unit": kpi.unit,
        "unit_corrected": kpi.unit_corrected,
        "aggregation": kpi.aggregation,
        "target_basis": kpi.target_basis,
        "is_survey": kpi.is_survey,
        **evaluate(kpi, actuals, fiscal_year).as_dict(),
        "promotion_start_fy": period[0],
        "promotion_end_fy": period[1],
        "is_sample": False,
    }


def history(
    kpi: KPI, actuals: dict[int, float], sizes: dict[int, int] | None = None
) -> pl.DataFrame:
    rows = [(kpi.base_fy, "基準値", float(kpi.base_value), None, False)]
    rows += [(y, "実績", float(v), (sizes or {}).get(y), False) for y, v in sorted(actuals.items())]
    return pl.DataFrame(
        rows,
        schema={
            "fiscal_year": pl.Int64,
            "kind": pl.String,
            "actual": pl.Float64,
            "sample_size": pl.Int64,
            "is_sample": pl.Boolean,
        },
        orient="row",
    )


PAPER_ACTUALS = {2024: 4_870_000.0, 2025: 4_500_000.0}


def paper_2025() -> Any:
    row = row_of(COPY_PAPER, PAPER_ACTUALS, 2025)
    return row, explain_kpi(row, history(COPY_PAPER, PAPER_ACTUALS))


def test_actual_sentence_names_the_year_in_reiwa_and_western_years() -> None:
    _, explanation = paper_2025()
    assert explanation.part("実績") == "令和7年度（2025年度）の実績は4,500,000枚です。"


def test_change_from_the_previous_year_and_from_the_base() -> None:
    # 4,870,000 − 4,500,000 = 370,000; 5,216,000 − 4,500,000 = 716,000
    _, explanation = paper_2025()
    assert explanation.part("増減") == (
        "前年度の令和6年度（2024年度）の実績4,870,000枚からは370,000枚減少です。"
        "基準年度の令和5年度（2023年度）の基準値5,216,000枚からは716,000枚減少です。"
    )


def test_gap_to_the_expected_value() -> None:
    # E(2025) = 5,216,000 + (3,652,000 − 5,216,000) × 2/4 = 4,434,000; 4,500,000 is 66,000 above
    _, explanation = paper_2025()
    assert explanation.part("期待値との差") == (
        "令和7年度（2025年度）の期待値は4,434,000枚です。"
        "実績はそれより66,000枚多く、期待値に届いていません。"
    )


def test_annual_change_still_needed_and_the_pace_so_far() -> None:
    # (3,652,000 − 4,500,000) / 2 = −424,000 a year; so far 716,000 / 2 = 358,000 a year
    _, explanation = paper_2025()
    assert explanation.part("目標までに必要な変化") == (
        "令和9年度（2027年度）に目標値3,652,000枚に届くには、残り2年度で毎年度平均424,000枚減少が必要です。"
        "基準年度からこれまでの平均は毎年度358,000枚減少です。"
    )


def test_grade_sentence_gives_the_rules_reason_and_the_ratio() -> None:
    # progress 716,000 / 1,564,000 = 45.8 %, elapsed 2/4 = 50.0 %, pace 0.9156 → 0.92
    row, explanation = paper_2025()
    assert row["grade"] == "概ね順調"
    assert explanation.part("評価") == (
        f"評価は「概ね順調」です（{row['reason']}）。進捗率45.8%÷経過割合50.0%＝ペース0.92です。"
    )


def test_forecast_from_three_years_carries_its_caveat() -> None:
    # OLS through (2023, 5,216,000), (2024, 4,870,000), (2025, 4,500,000): slope −358,000,
    # 4,862,000 at 2024 → 4,862,000 − 3 × 358,000 = 3,788,000 in 2027
    _, explanation = paper_2025()
    forecast = explanation.part("予測")
    assert forecast is not None
    assert forecast.startswith("予測：2027年度の予測 3,788,000（95%予測区間 ")
    assert "予測の前提：" in forecast and "3年度分しかないため" in forecast


def test_no_forecast_from_two_years_and_the_reason_is_given() -> None:
    # the base (May 2024) and the FY2024 actual are one year: 2 years, below the minimum of 3
    actuals = {2024: 34.0, 2025: 52.0}
    row = row_of(GENERATIVE_AI, actuals, 2025)
    forecast = explain_kpi(row, history(GENERATIVE_AI, actuals)).part("予測")
    assert forecast is not None
    assert forecast.startswith("予測は示しません（予測には3年度以上のデータが必要です（2年度）")


def test_period_average_kpi_says_what_the_remaining_years_must_average() -> None:
    # target: mean of FY2025–2027 ≤ 100; FY2025 = 120 → (3 × 100 − 120) / 2 = 90
    actuals = {2024: 126.4, 2025: 120.0}
    row = row_of(OVERTIME, actuals, 2025)
    explanation = explain_kpi(row, history(OVERTIME, actuals))
    assert explanation.part("目標までに必要な変化") == (
        "推進期間（2025〜2027年度）の平均を目標の100時間以下にするには、"
        "残り2年度の実績を平均90時間以下にする必要があります。"
    )
    assert "2025年度の実績の平均120時間で評価しています" in (explanation.part("実績") or "")


def test_period_average_kpi_before_the_period_asks_for_the_whole_period() -> None:
    actuals = {2024: 126.4}
    row = row_of(OVERTIME, actuals, 2024)
    explanation = explain_kpi(row, history(OVERTIME, actuals))
    assert explanation.part("目標までに必要な変化") == (
        "推進期間（2025〜2027年度）の平均を目標の100時間以下にするには、"
        "期間の3年度の実績を平均100時間以下にする必要があります。"
    )


def test_survey_kpi_states_its_sampling_error_and_the_assumed_base_sample() -> None:
    # Wilson 95 % for 48.2 %, n = 795: 44.7 %–51.7 %; the detectable change is ±4.9 points
    actuals = {2025: 48.2}
    row = row_of(SURVEY, actuals, 2025)
    survey = explain_kpi(row, history(SURVEY, actuals, {2025: 795})).part("標本誤差")
    assert survey is not None
    assert "48.2%（回答数 795）の95%信頼区間：44.7%〜51.7%（Wilson法）" in survey
    assert "±4.9ポイント" in survey and "795件と仮定しました" in survey


def test_survey_kpi_without_a_sample_size_says_it_cannot_be_computed() -> None:
    actuals = {2025: 48.2}
    row = row_of(SURVEY, actuals, 2025)
    survey = explain_kpi(row, history(SURVEY, actuals)).part("標本誤差")
    assert survey is not None and survey.startswith("回答数が記録されていないため")


def test_maintain_kpi_speaks_of_the_level_to_keep() -> None:
    actuals = {2024: 22.0, 2025: 18.0}
    row = row_of(LITERACY, actuals, 2025)
    explanation = explain_kpi(row, history(LITERACY, actuals), with_forecast=False)
    assert explanation.part("目標までに必要な変化") == "目標は毎年度20回以上を保つことです。"
    assert (
        explanation.part("評価")
        == f"評価は「遅れ」です（{row['reason']}）。実績は目標値の90.0%です。"
    )
    assert explanation.part("期待値との差") is None


def test_year_without_its_own_actual_says_so_and_names_the_latest() -> None:
    row = row_of(COPY_PAPER, PAPER_ACTUALS, 2026)
    explanation = explain_kpi(row, history(COPY_PAPER, PAPER_ACTUALS))
    assert explanation.part("実績") == (
        "令和8年度（2026年度）の実績値はまだありません。"
        "最新の実績は令和7年度（2025年度）の4,500,000枚です。"
    )
    assert explanation.part("増減") is None and explanation.part("予測") is None


def test_values_after_the_year_are_never_used() -> None:
    later = {**PAPER_ACTUALS, 2026: 1_000_000.0}
    row = row_of(COPY_PAPER, later, 2025)
    text = explain_kpi(row, history(COPY_PAPER, later)).text
    assert "1,000,000" not in text and "2026" not in text
    assert text == paper_2025()[1].text


def test_text_is_the_parts_in_order() -> None:
    _, explanation = paper_2025()
    assert [h for h, _ in explanation.parts] == [
        "実績", "増減", "期待値との差", "目標までに必要な変化", "評価", "予測",
    ]  # fmt: skip
    assert explanation.text == "".join(s for _, s in explanation.parts)
