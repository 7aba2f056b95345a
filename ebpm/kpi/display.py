"""How a KPI progress row is printed: one rule for ``ebpm status``, the charts and the report.

The rounding rule
-----------------
- Rounding is **half-up on the decimal value** a person wrote (:func:`ebpm.jp.round_half_up`),
  never on the binary float: progress 0.2375 is 23.8 %, pace 0.475 is 0.48.
- Each column has a fixed number of decimals: 進捗率 1 (as %), ペース 2, 95 % 信頼区間 and
  the survey's ポイント 1.
- 基準値・目標値・実績値 keep their **published precision** (26.0 stays 26.0, 48.0 stays 48.0):
  the decimals of the text are recorded when the file is read; every value of a KPI is shown
  with at least the decimals of its published base and target.
- 期待値 and period averages are derived, so they get one decimal, or two when the KPI's
  values have two or more (:func:`derived_decimals`).
- Thresholds are applied to the number as shown (see :mod:`ebpm.kpi.progress`), so a reason
  and its column never disagree.

>>> row = {"base_value": 48.9, "target_value": 56.9, "actual": 48.2, "expected": 52.9,
...        "progress": -0.0875, "pace": -0.175, "grade": "変化なし（誤差の範囲）", "unit": "%"}
>>> text = format_progress(row)
>>> text.actual, text.expected, text.progress, text.pace, text.grade_label
('48.2', '52.9', '-8.8%', '-0.18', '＝ 変化なし（誤差の範囲）')
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ebpm.jp import (
    MISSING,
    fiscal_period_label,
    fiscal_year_label,
    format_fixed,
    format_percent,
    shortest_decimals,
)
from ebpm.kpi.grades import NEUTRAL, UNGRADED, grade_label

__all__ = [
    "CI_DIGITS",
    "PACE_DIGITS",
    "PERIOD_AVERAGE_RULE",
    "POINT_DIGITS",
    "PROGRESS_DIGITS",
    "SURVEY_RULE",
    "ProgressText",
    "derived_decimals",
    "display_unit",
    "format_progress",
    "pace_text",
    "period_average_sentence",
    "period_label",
    "period_note",
    "points_text",
    "progress_text",
    "survey_assumption",
    "survey_note",
    "unit_note",
    "value_text",
]

#: Decimals of 進捗率 shown as a percentage (45.8%).
PROGRESS_DIGITS: Final = 1
#: Decimals of ペース (0.92, 1.00).
PACE_DIGITS: Final = 2
#: Decimals of survey percentage points (差 -0.7ポイント, ±4.9ポイント).
POINT_DIGITS: Final = 1
#: Decimals of the ends of a 95 % confidence interval (44.7〜51.7%).
CI_DIGITS: Final = 1
_MAX_DERIVED: Final = 2

#: The period-average rule in one paragraph, for the report and notes (Japanese, planners).
PERIOD_AVERAGE_RULE: Final = (
    "「※推進期間の平均」の指標は、推進期間の各年度の実績の平均が目標値に届けば達成です。"
    "期待値は、基準値から一定の傾きで進み、推進期間の平均がちょうど目標値になる経路です。"
    "各年度は、推進期間の初年度からその年度までの実績の平均（期間平均）を、同じ年度の期待値の平均と比べて評価します。"
    "その年度の実績がなければ評価不能、推進期間の最終年度は達成か未達成です。"
)

#: The survey rule in one paragraph (the maths and the assumption are :mod:`ebpm.survey`'s).
SURVEY_RULE: Final = (
    "「…と答えた割合」の指標は市民意識調査の標本推計値なので、実績値に回答数と95%信頼区間"
    "（Wilson法）を付けます。基準値からの変化が標本誤差の範囲内（2回の調査を独立な無作為標本とみなした"
    "2標本の割合の z 検定、両側5%で有意でない）なら、評価は「変化なし（誤差の範囲）」とし、"
    "式だけで計算した評価（計算上の評価）も併せて示します。"
    "基準値の回答数が公表されていないときは、その年度の調査と同じ回答数と仮定します"
    "（実際の回答数がこれより少なければ、誤差の範囲はもっと広くなります）。"
    "重み付けや回答しなかった人の偏りは考慮していません。"
)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _decimals(row: Mapping[str, Any], key: str, value: float | None) -> int:
    recorded = row.get(key)
    if recorded is not None and not (isinstance(recorded, float) and math.isnan(recorded)):
        return int(recorded)
    return 0 if value is None else shortest_decimals(value)


def derived_decimals(*decimals: int) -> int:
    """Decimals of a derived value (期待値, period average): 1, or 2 when the inputs have 2+.

    >>> derived_decimals(0, 0), derived_decimals(1), derived_decimals(2, 0), derived_decimals(14)
    (1, 1, 2, 2)
    """
    return max(1, min(_MAX_DERIVED, max(decimals, default=0)))


def value_text(value: float | None, decimals: int) -> str:
    """A KPI value with its published decimals: ``value_text(26.0, 1)`` → ``'26.0'``."""
    return format_fixed(value, decimals)


def progress_text(progress: float | None) -> str:
    """進捗率 as shown: ``0.2375`` → ``'23.8%'``."""
    return format_percent(progress, PROGRESS_DIGITS)


def pace_text(pace: float | None) -> str:
    """ペース as shown: ``0.475`` → ``'0.48'``, ``1.0`` → ``'1.00'``."""
    return format_fixed(pace, PACE_DIGITS)


def points_text(points: float | None, *, signed: bool = True) -> str:
    """Percentage points: ``-0.7`` → ``'-0.7'``, ``1.9`` → ``'+1.9'``."""
    text = format_fixed(points, POINT_DIGITS)
    return "+" + text if signed and text != MISSING and not text.startswith("-") else text


def display_unit(row: Mapping[str, Any]) -> str:
    """The unit shown everywhere: the corrected one when the published unit was wrong."""
    return str(row.get("unit_corrected") or row.get("unit") or "")


def unit_note(row: Mapping[str, Any]) -> str | None:
    """The note that a unit was corrected, e.g. K14 (published 人, counted in 回)."""
    published, corrected = row.get("unit"), row.get("unit_corrected")
    if not corrected or corrected == published:
        return None
    return (
        f"{row.get('kpi_id') or ''}の単位は「{corrected}」で表示しています"
        f"（公表資料の単位は「{published}」ですが、指標は{corrected}数を数えるため）。"
    ).lstrip()


def period_label(row: Mapping[str, Any]) -> str | None:
    """「推進期間（2025〜2027年度）」 for a period-average KPI (None otherwise)."""
    start, end = row.get("promotion_start_fy"), row.get("promotion_end_fy")
    if row.get("target_basis") != "period_average" or start is None or end is None:
        return None
    return f"推進期間（{fiscal_period_label(int(start), int(end))}）"


@dataclass(frozen=True)
class ProgressText:
    """Every number of one progress row, formatted as tables, charts and the report show it."""

    unit: str
    base: str
    target: str
    actual: str
    expected: str
    #: the period average and its expected counterpart (None unless judged on a period average)
    period_average: str | None
    expected_period_average: str | None
    progress: str
    pace: str
    grade: str
    #: the grade with its symbol, e.g. 「○ 順調」
    grade_label: str
    formula_grade: str
    #: survey KPIs: number of answers and the 95 % confidence interval (None otherwise)
    sample_size: str | None
    ci: str | None
    #: notes to print under the table or chart: corrected unit, period average, survey
    notes: tuple[str, ...]


def _core(row: Mapping[str, Any]) -> ProgressText:
    """The formatted numbers of a row, without notes."""
    base, target = _number(row.get("base_value")), _number(row.get("target_value"))
    actual = _number(row.get("actual"))
    kpi_decimals = max(
        _decimals(row, "base_decimals", base), _decimals(row, "target_decimals", target)
    )
    actual_decimals = max(_decimals(row, "actual_decimals", actual), kpi_decimals)
    recorded = row.get("derived_decimals")
    derived = int(recorded) if recorded is not None else derived_decimals(kpi_decimals)
    averaged = row.get("actual_basis") == "period_average"
    ci_lower, ci_upper = _number(row.get("ci_lower")), _number(row.get("ci_upper"))
    sample_size = row.get("sample_size")
    grade = str(row.get("grade") or UNGRADED)
    return ProgressText(
        unit=display_unit(row),
        base=value_text(base, kpi_decimals),
        target=value_text(target, kpi_decimals),
        actual=value_text(actual, actual_decimals),
        expected=value_text(_number(row.get("expected")), derived),
        period_average=(
            value_text(_number(row.get("period_average")), derived) if averaged else None
        ),
        expected_period_average=(
            value_text(_number(row.get("expected_period_average")), derived) if averaged else None
        ),
        progress=progress_text(_number(row.get("progress"))),
        pace=pace_text(_number(row.get("pace"))),
        grade=grade,
        grade_label=grade_label(grade),
        formula_grade=str(row.get("formula_grade") or grade),
        sample_size=f"{int(sample_size):,}" if sample_size is not None else None,
        ci=(
            f"{format_fixed(ci_lower, CI_DIGITS)}〜{format_fixed(ci_upper, CI_DIGITS)}%"
            if ci_lower is not None and ci_upper is not None
            else None
        ),
        notes=(),
    )


def format_progress(row: Mapping[str, Any]) -> ProgressText:
    """Format one ``kpi_progress`` row (a dict) with the rounding rule of this module.

    ``notes`` holds the sentences to print under a table or chart: the corrected unit,
    how a period average was judged, and how a survey share was judged.
    """
    text = _core(row)
    notes = (unit_note(row), period_note(row, text), survey_note(row, text))
    return dataclasses.replace(text, notes=tuple(n for n in notes if n))


def _prefix(row: Mapping[str, Any]) -> str:
    kpi_id = row.get("kpi_id")
    return f"{kpi_id}：" if kpi_id else ""


def period_note(row: Mapping[str, Any], text: ProgressText | None = None) -> str | None:
    """Which number is the year's actual and which is the period average (None if neither).

    >>> period_note({"kpi_id": "K10", "fiscal_year": 2026, "unit": "時間",
    ...     "base_value": 129.0, "target_value": 100.0, "actual": 104.0,
    ...     "actual_basis": "period_average", "actual_years": [2025, 2026],
    ...     "period_average": 112.0, "expected_period_average": 104.83333333333333,
    ...     "target_basis": "period_average", "promotion_start_fy": 2025, "promotion_end_fy": 2027})
    'K10：2026年度の実績値は 104時間。評価は推進期間（2025〜2027年度）のうち2025〜2026年度の実績の平均 112.0時間を、期待値の同じ年度の平均 104.8時間と比べたもの（目標は推進期間の平均 100時間）。'
    """
    text = text or _core(row)
    judged = period_average_sentence(row, text)
    if judged is None:
        return None
    return (
        f"{_prefix(row)}{fiscal_year_label(int(row['fiscal_year']))}の実績値は"
        f" {text.actual}{text.unit}。{judged}"
    )


def period_average_sentence(row: Mapping[str, Any], text: ProgressText | None = None) -> str | None:
    """What a period-average grade compared, in one sentence (None for other rows).

    >>> period_average_sentence({"fiscal_year": 2025, "unit": "時間", "base_value": 129.0,
    ...     "target_value": 100.0, "actual": 120.0, "actual_basis": "period_average",
    ...     "actual_years": [2025], "period_average": 120.0,
    ...     "expected_period_average": 109.66666666666667, "target_basis": "period_average",
    ...     "promotion_start_fy": 2025, "promotion_end_fy": 2027})
    '評価は推進期間（2025〜2027年度）のうち2025年度の実績の平均 120.0時間を、期待値の同じ年度の平均 109.7時間と比べたもの（目標は推進期間の平均 100時間）。'
    """
    label = period_label(row)
    if label is None or row.get("actual_basis") != "period_average":
        return None
    text = text or _core(row)
    years = [int(y) for y in row.get("actual_years") or []]
    if not years:
        return None
    used = (
        fiscal_period_label(years[0], years[-1]) if len(years) > 1 else fiscal_year_label(years[0])
    )
    unit = text.unit
    return (
        f"評価は{label}のうち{used}の実績の平均 {text.period_average}{unit}を、"
        f"期待値の同じ年度の平均 {text.expected_period_average}{unit}と比べたもの"
        f"（目標は推進期間の平均 {text.target}{unit}）。"
    )


def survey_note(row: Mapping[str, Any], text: ProgressText | None = None) -> str | None:
    """How a survey KPI was judged: sample size, 95 % CI, the change against sampling error,
    and what was assumed about the base's sample size (wording of :mod:`ebpm.survey`).

    >>> survey_note({"kpi_id": "K06", "is_survey": True, "base_value": 48.9, "actual": 48.2,
    ...     "target_value": 56.9, "sample_size": 795, "ci_lower": 44.74, "ci_upper": 51.67,
    ...     "survey_change": -0.7, "survey_margin": 4.913, "base_sample_size": 795,
    ...     "base_sample_size_assumed": True, "grade": "変化なし（誤差の範囲）",
    ...     "formula_grade": "悪化", "unit": "%"}).split("。")[:3]
    ['K06：48.2%（回答数 795、95%信頼区間 44.7〜51.7%、Wilson法）', '基準値 48.9% からの差 -0.7ポイントは標本誤差の範囲内（±4.9ポイント）で、計算上の評価は悪化です', '基準の調査の回答数が公表されていないため、795件と仮定しました（同じ調査を同程度の回答数で繰り返したと仮定）']
    """
    if not row.get("is_survey") or _number(row.get("actual")) is None:
        return None
    if row.get("sample_size") is None:
        return f"{_prefix(row)}回答数（標本数）が入力されていないため、標本誤差を考慮した判定ができません。"
    text = text or _core(row)
    parts = [
        f"{_prefix(row)}{text.actual}%（回答数 {text.sample_size}、95%信頼区間 {text.ci}、Wilson法）。"
    ]
    change, margin = _number(row.get("survey_change")), _number(row.get("survey_margin"))
    if change is not None and margin is not None:
        within = text.grade == NEUTRAL
        spread = f"（±{points_text(margin, signed=False)}ポイント）"
        parts.append(
            f"基準値 {text.base}% からの差 {points_text(change)}ポイントは"
            + (
                f"標本誤差の範囲内{spread}で、計算上の評価は{text.formula_grade}です。"
                if within
                else f"標本誤差{spread}を超える変化です。"
            )
        )
    parts.append(survey_assumption(row) or "")
    return "".join(parts)


def survey_assumption(row: Mapping[str, Any]) -> str | None:
    """What the survey rule assumed about the base's sample size (None when nothing was).

    Worded once, by :mod:`ebpm.survey` (the same test the rule ran).
    """
    if not (row.get("base_sample_size_assumed") and row.get("base_sample_size") is not None):
        return None
    base, actual = _number(row.get("base_value")), _number(row.get("actual"))
    if base is None or actual is None or row.get("sample_size") is None:
        return None
    from ebpm.survey import two_proportion_test

    test = two_proportion_test(
        base,
        None,
        actual,
        int(row["sample_size"]),
        assumed_n_before=int(row["base_sample_size"]),
    )
    return test.assumption
