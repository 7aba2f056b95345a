"""The generated explanation of a KPI's year: hand-checked sentences, from the data only."""

from __future__ import annotations

from typing import Any

import polars as pl

from ebpm.kpi import KPI, evaluate, survey_note
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


def row_of(
    kpi: KPI,
    actuals: dict[int, float],
    fiscal_year: int,
    sizes: dict[int, int] | None = None,
) -> dict[str, Any]:
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
        **evaluate(kpi, actuals, fiscal_year, sample_sizes=sizes).as_dict(),
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
    # E(2025) = 5,216,000 + (3,652,000 − 5,216,000) × 2/4 = 4,434,000; 4,500,000 is 66,000 above.
    # 期待値 is derived: one decimal, as ebpm status prints it (4,434,000.0).
    _, explanation = paper_2025()
    assert explanation.part("期待値との差") == (
        "令和7年度（2025年度）の期待値は4,434,000.0枚です。"
        "実績はそれより66,000.0枚多く、期待値に届いていません。"
    )


def test_annual_change_still_needed_and_the_pace_so_far() -> None:
    # (3,652,000 − 4,500,000) / 2 = −424,000 a year; so far 716,000 / 2 = 358,000 a year
    # (derived values: one decimal)
    _, explanation = paper_2025()
    assert explanation.part("目標までに必要な変化") == (
        "令和9年度（2027年度）に目標値3,652,000枚に届くには、残り2年度で毎年度平均424,000.0枚減少が必要です。"
        "基準年度からこれまでの平均は毎年度358,000.0枚減少です。"
    )


def test_grade_sentence_gives_the_rules_reason_and_the_ratio() -> None:
    # progress 716,000 / 1,564,000 = 45.8 %; on the straight path the expected progress is
    # the elapsed share 2/4 = 50.0 %; pace 0.9156 → 0.92
    row, explanation = paper_2025()
    assert row["grade"] == "概ね順調"
    assert explanation.part("評価") == (
        f"評価は「概ね順調」です（{row['reason']}）。"
        "進捗率45.8%÷期待される進捗率50.0%＝ペース0.92です。"
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
    # target: mean of FY2025–2027 ≤ 100; FY2025 = 120 → (3 × 100 − 120) / 2 = 90 (derived: 90.0)
    actuals = {2024: 126.4, 2025: 120.0}
    row = row_of(OVERTIME, actuals, 2025)
    explanation = explain_kpi(row, history(OVERTIME, actuals))
    assert explanation.part("目標までに必要な変化") == (
        "推進期間（2025〜2027年度）の平均を目標の100時間以下にするには、"
        "残り2年度の実績を平均90.0時間以下にする必要があります。"
    )


def test_period_average_kpi_names_the_years_actual_and_then_what_was_compared() -> None:
    # FY2026: the year's own actual 104; the period average (120 + 104) / 2 = 112.0 against
    # the expected path's average (109.67 + 100) / 2 = 104.83 → 104.8, as ebpm status says it
    actuals = {2024: 126.4, 2025: 120.0, 2026: 104.0}
    row = row_of(OVERTIME, actuals, 2026)
    explanation = explain_kpi(row, history(OVERTIME, actuals), with_forecast=False)
    assert explanation.part("実績") == (
        "令和8年度（2026年度）の実績は104時間です。"
        "評価は推進期間（2025〜2027年度）のうち2025〜2026年度の実績の平均 112.0時間を、"
        "期待値の同じ年度の平均 104.8時間と比べたもの（目標は推進期間の平均 100時間）。"
    )
    # E(2026) = 100.0 on the path whose period mean is the target; 112.0 − 104.8 = 7.2
    assert explanation.part("期待値との差") == (
        "令和8年度（2026年度）の期待値は100.0時間、2025〜2026年度の期待値の平均は104.8時間です。"
        "期間平均の実績112.0時間はそれより7.2時間多く、期待値に届いていません。"
    )
    # (3 × 100 − 2 × 112.0) / 1 = 76.0
    assert "残り1年度の実績を平均76.0時間以下にする必要があります" in (
        explanation.part("目標までに必要な変化") or ""
    )
    # progress (129 − 112) / 29 = 58.6 %; expected (129 − 104.83) / 29 = 83.3 %; pace 0.70
    assert explanation.part("評価") == (
        f"評価は「概ね順調」です（{row['reason']}）。"
        "期間平均の進捗率58.6%÷期待される進捗率83.3%＝ペース0.70です。"
    )


def test_period_average_kpi_on_the_expected_path_is_achieved_in_the_final_year() -> None:
    # 109.7, 100, 90.3 average exactly 100.0: 達成, and the explanation says the average reached it
    actuals = {2025: 109.7, 2026: 100.0, 2027: 90.3}
    row = row_of(OVERTIME, actuals, 2027)
    explanation = explain_kpi(row, history(OVERTIME, actuals))
    assert row["grade"] == "達成"
    assert explanation.part("目標までに必要な変化") == (
        "期間平均の実績100.0時間は、推進期間の平均の目標値100時間に到達しています。"
    )
    assert explanation.part("予測") is None  # nothing left to forecast


def test_period_average_kpi_off_the_path_is_not_achieved_in_the_final_year() -> None:
    # the straight line to 100 (114.5, 107.25, 100) averages 107.25: 未達成, never 概ね順調
    actuals = {2025: 114.5, 2026: 107.25, 2027: 100.0}
    row = row_of(OVERTIME, actuals, 2027)
    explanation = explain_kpi(row, history(OVERTIME, actuals))
    assert row["grade"] == "未達成"
    assert "2025〜2027年度の実績の平均 107.25時間" in (explanation.part("実績") or "")
    assert explanation.part("目標までに必要な変化") == (
        "推進期間の最終年度です（目標は期間の平均100時間以下）。"
    )


def test_period_average_kpi_before_the_period_asks_for_the_whole_period() -> None:
    actuals = {2024: 126.4}
    row = row_of(OVERTIME, actuals, 2024)
    explanation = explain_kpi(row, history(OVERTIME, actuals))
    assert explanation.part("目標までに必要な変化") == (
        "推進期間（2025〜2027年度）の平均を目標の100時間以下にするには、"
        "期間の3年度の実績を平均100時間以下にする必要があります。"
    )


def test_survey_kpi_states_its_sampling_error_and_the_assumed_base_sample() -> None:
    # Wilson 95 % for 48.2 %, n = 795: 44.7 %–51.7 %; the detectable change is ±4.9 points;
    # the same words as the note of ebpm status (ebpm.kpi.survey_note)
    actuals = {2025: 48.2}
    row = row_of(SURVEY, actuals, 2025, {2025: 795})
    explanation = explain_kpi(row, history(SURVEY, actuals, {2025: 795}))
    assert row["grade"] == "変化なし（誤差の範囲）"
    survey = explanation.part("標本誤差")
    assert survey is not None
    assert survey.startswith(
        "市民意識調査による標本推計値です。"
        "48.2%（回答数 795、95%信頼区間 44.7〜51.7%、Wilson法）。"
        "基準値 48.9% からの差 -0.7ポイントは標本誤差の範囲内（±4.9ポイント）で、"
        "計算上の評価は悪化です。"
        "基準の調査の回答数が公表されていないため、795件と仮定しました"
    )
    assert survey.removeprefix("市民意識調査による標本推計値です。") in (survey_note(row) or "")


def test_survey_kpi_without_a_sample_size_says_it_cannot_be_computed() -> None:
    actuals = {2025: 48.2}
    row = row_of(SURVEY, actuals, 2025)
    explanation = explain_kpi(row, history(SURVEY, actuals))
    assert row["grade"] == "評価不能"
    assert explanation.part("標本誤差") == (
        "市民意識調査による標本推計値です。"
        "回答数（標本数）が入力されていないため、標本誤差を考慮した判定ができません。"
    )


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


def test_forecast_interval_of_a_count_never_goes_below_zero() -> None:
    # OLS through (2023, 20), (2024, 22), (2025, 18): slope −1, 17 in 2027; with df = 1 the
    # 95 % interval runs far below zero, which a number of courses cannot
    actuals = {2024: 22.0, 2025: 18.0}
    row = row_of(LITERACY, actuals, 2025)
    forecast = explain_kpi(row, history(LITERACY, actuals)).part("予測") or ""
    assert forecast.startswith("予測：2027年度の予測 17.0（95%予測区間 0.0〜")
    assert forecast.endswith("予測区間の下限は、負にならない量のため0としました。")
