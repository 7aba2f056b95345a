"""The generated explanation of one KPI's year, in plain Japanese, from the data only.

:func:`explain_kpi` turns a ``kpi_progress`` row and the KPI's observed values (the
published base and the actuals up to the row's year) into sentences: the year's actual
and the previous year's, the change, the gap to the expected value, the annual change
still needed to reach the target, the grade and why, the forecast with its caveat (where
:func:`ebpm.analysis.forecast` allows one) and, for survey KPIs, the sampling error
(:mod:`ebpm.survey`). Nothing is said that the numbers do not give; the department's own
words (commentary) are kept apart from it.

The HTML page, the workbook, the Word document and the slides all print
:attr:`Explanation.text` (or its parts), so the wording is the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from ebpm.report.present import (
    change_text,
    is_number,
    pace_text,
    percent_text,
    unit_of,
    value_text,
    year_text,
)
from ebpm.warehouse.read import ACTUAL, BASE

__all__ = ["Explanation", "Observed", "explain_kpi", "observed_values"]


@dataclass(frozen=True)
class Observed:
    """One observed value of a KPI: the published base or an actual."""

    fiscal_year: int
    value: float
    kind: str  # 基準値 or 実績
    sample_size: int | None = None
    is_sample: bool = False


@dataclass(frozen=True)
class Explanation:
    """The sentences explaining one KPI's year, each under a short heading."""

    kpi_id: str
    parts: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        """All sentences as one paragraph."""
        return "".join(sentence for _, sentence in self.parts)

    def part(self, heading: str) -> str | None:
        """The sentence under ``heading`` (e.g. 「予測」), or None."""
        return next((s for h, s in self.parts if h == heading), None)


def observed_values(history: pl.DataFrame) -> list[Observed]:
    """``kpi_history`` rows of one KPI (``fiscal_year, kind, actual, sample_size, is_sample``)."""
    out = []
    for row in history.sort("fiscal_year").iter_rows(named=True):
        if not is_number(row["actual"]):
            continue
        out.append(
            Observed(
                int(row["fiscal_year"]),
                float(row["actual"]),
                str(row["kind"]),
                row.get("sample_size"),
                bool(row.get("is_sample") or False),
            )
        )
    return out


def _more_less(unit: str, difference: float) -> str:
    if unit in ("%", "％"):
        return "高く" if difference > 0 else "低く"
    return "多く" if difference > 0 else "少なく"


def _own(observed: list[Observed], fiscal_year: int) -> Observed | None:
    return next((o for o in observed if o.kind == ACTUAL and o.fiscal_year == fiscal_year), None)


def _previous(observed: list[Observed], fiscal_year: int) -> Observed | None:
    """The previous year's actual, or the base when it is the previous year's value."""
    before = [o for o in observed if o.fiscal_year == fiscal_year - 1]
    return next((o for o in before if o.kind == ACTUAL), before[0] if before else None)


def _actual_sentence(row: Mapping[str, Any], own: Observed | None, observed: list[Observed]) -> str:
    fy, unit = int(row["fiscal_year"]), unit_of(row)
    if own is None:
        latest = [o for o in observed if o.kind == ACTUAL]
        text = f"{year_text(fy)}の実績値はまだありません。"
        if latest:
            last = latest[-1]
            text += (
                f"最新の実績は{year_text(last.fiscal_year)}の{value_text(last.value, unit)}です。"
            )
        return text
    sample = "（研修用サンプルデータ）" if own.is_sample else ""
    cumulative = "（累計）" if row.get("aggregation") == "cumulative" else ""
    text = f"{year_text(fy)}の実績は{value_text(own.value, unit)}{cumulative}{sample}です。"
    if row.get("actual_basis") == "period_average" and is_number(row.get("actual")):
        years = row.get("actual_years") or []
        span = "・".join(f"{y}年度" for y in years)
        text += (
            f"この指標の目標は推進期間の平均で判定するため、{span}の実績の平均"
            f"{value_text(row['actual'], unit)}で評価しています。"
        )
    return text


def _change_sentence(
    row: Mapping[str, Any], own: Observed | None, previous: Observed | None
) -> str | None:
    if own is None:
        return None
    unit = unit_of(row)
    fy = int(row["fiscal_year"])
    if previous is None:
        text = f"前年度の{year_text(fy - 1)}には値がないため、前年度との比較はできません。"
    else:
        what = "基準値" if previous.kind == BASE else "実績"
        text = (
            f"前年度の{year_text(previous.fiscal_year)}の{what}"
            f"{value_text(previous.value, unit)}からは"
            f"{change_text(own.value - previous.value, unit)}です。"
        )
    base_fy = int(row["base_fy"])
    if base_fy < fy - 1 or (previous is not None and previous.kind != BASE and base_fy < fy):
        base = float(row["base_value"])
        text += (
            f"基準年度の{year_text(base_fy)}の基準値{value_text(base, unit)}からは"
            f"{change_text(own.value - base, unit)}です。"
        )
    return text


def _expected_sentence(row: Mapping[str, Any]) -> str | None:
    actual, expected, unit = row.get("actual"), row.get("expected"), unit_of(row)
    if not (is_number(actual) and is_number(expected)):
        return None
    if row.get("direction") == "maintain":
        return None  # the level to keep is the target itself: said in the needed sentence
    difference = float(actual) - float(expected)  # type: ignore[arg-type]
    basis = "期間平均の実績" if row.get("actual_basis") == "period_average" else "実績"
    head = f"{year_text(int(row['fiscal_year']))}の期待値は{value_text(expected, unit)}です。"
    if difference == 0:
        return head + f"{basis}は期待値と同じです。"
    toward_target = (difference < 0) == (row.get("direction") == "decrease")
    verdict = "期待値より目標に近い側にあります" if toward_target else "期待値に届いていません"
    return (
        head
        + f"{basis}はそれより{value_text(abs(difference), unit.replace('%', 'ポイント'))}"
        + f"{_more_less(unit, difference)}、{verdict}。"
    )


def _needed_sentence(row: Mapping[str, Any], own: Observed | None) -> str | None:
    unit, fy = unit_of(row), int(row["fiscal_year"])
    target, target_fy = float(row["target_value"]), int(row["target_fy"])
    direction = row.get("direction")
    if row.get("grade") == "達成":
        keep = (
            f"目標年度の{year_text(target_fy)}まで水準を保つことが必要です。"
            if fy < target_fy
            else ""
        )
        return f"目標値の{value_text(target, unit)}に到達しています。{keep}"
    if direction == "maintain":
        return f"目標は毎年度{value_text(target, unit)}以上を保つことです。"
    if row.get("target_basis") == "period_average":
        return _needed_for_average(row)
    if fy >= target_fy:
        return f"目標年度の実績です（目標値は{value_text(target, unit)}）。"
    if own is None:
        return None
    remaining = target_fy - fy
    per_year = (target - own.value) / remaining
    text = (
        f"{year_text(target_fy)}に目標値{value_text(target, unit)}に届くには、"
        f"残り{remaining}年度で毎年度平均{change_text(per_year, unit)}が必要です。"
    )
    base_fy, base = int(row["base_fy"]), float(row["base_value"])
    if fy > base_fy:
        so_far = (own.value - base) / (fy - base_fy)
        text += f"基準年度からこれまでの平均は毎年度{change_text(so_far, unit)}です。"
    return text


def _needed_for_average(row: Mapping[str, Any]) -> str | None:
    """For a period-average target: what the period's remaining years must average."""
    start, end = row.get("promotion_start_fy"), row.get("promotion_end_fy")
    if start is None or end is None:
        return None
    start, end = int(start), int(end)
    fy, unit, target = int(row["fiscal_year"]), unit_of(row), float(row["target_value"])
    word = "以下" if row.get("direction") == "decrease" else "以上"
    period = (
        f"推進期間（{start}〜{end}年度）の平均を目標の{value_text(target, unit)}{word}にするには、"
    )
    if fy < start:
        return (
            period
            + f"期間の{end - start + 1}年度の実績を平均{value_text(target, unit)}{word}にする必要があります。"
        )
    years = [y for y in (row.get("actual_years") or []) if start <= y <= fy]
    remaining = end - fy
    if remaining <= 0:
        return f"推進期間の最終年度です（目標は期間の平均{value_text(target, unit)}{word}）。"
    if len(years) != fy - start + 1 or not is_number(row.get("actual")):
        return "推進期間のうち実績のない年度があるため、残りの年度に必要な値は示しません。"
    needed = (target * (end - start + 1) - float(row["actual"]) * len(years)) / remaining
    return (
        period
        + f"残り{remaining}年度の実績を平均{value_text(needed, unit)}{word}にする必要があります。"
    )


def _grade_sentence(row: Mapping[str, Any]) -> str:
    grade, reason = row.get("grade") or "評価不能", row.get("reason") or ""
    text = f"評価は「{grade}」です" + (f"（{reason}）。" if reason else "。")
    progress, pace, elapsed = row.get("progress"), row.get("pace"), row.get("elapsed")
    if row.get("direction") == "maintain" and is_number(progress):
        text += f"実績は目標値の{percent_text(progress)}です。"
    elif is_number(progress) and is_number(pace) and is_number(elapsed):
        text += (
            f"進捗率{percent_text(progress)}÷経過割合{percent_text(elapsed)}"
            f"＝ペース{pace_text(pace)}です。"
        )
    return text


def _forecast_sentence(row: Mapping[str, Any], observed: list[Observed]) -> str | None:
    """The forecast note of :mod:`ebpm.analysis` (with its caveat), or why there is none."""
    fy, target_fy = int(row["fiscal_year"]), int(row["target_fy"])
    if fy >= target_fy or row.get("grade") == "評価不能":
        return None
    from ebpm.analysis import forecast

    # one value per year: an actual wins over a base recorded for the same year
    by_year: dict[int, float] = {}
    for o in observed:
        if o.kind == BASE:
            by_year.setdefault(o.fiscal_year, o.value)
        else:
            by_year[o.fiscal_year] = o.value
    frame = pl.DataFrame(
        {"fiscal_year": list(by_year), "value": list(by_year.values())},
        schema={"fiscal_year": pl.Int64, "value": pl.Float64},
    )
    start, end = row.get("promotion_start_fy"), row.get("promotion_end_fy")
    averaged = row.get("target_basis") == "period_average" and start is not None and end is not None
    years = list(range(int(start), int(end) + 1)) if averaged else target_fy  # type: ignore[arg-type]
    try:
        result = forecast(
            frame,
            value_col="value",
            target_year=years,
            target_value=float(row["target_value"]),
            direction=row["direction"],
        )
    except ValueError as error:
        return f"予測は示しません（{str(error).rstrip('。')}）。"
    return f"予測：{result.note()}"


def _survey_sentence(row: Mapping[str, Any], own: Observed | None) -> str | None:
    if not row.get("is_survey") or own is None:
        return None
    from ebpm.survey import proportion_ci, two_proportion_test

    if not own.sample_size:
        return (
            "回答数が記録されていないため、標本誤差は計算できません"
            "（実績の「標本数」列に回答数を入力してください）。"
        )
    ci = proportion_ci(own.value, own.sample_size)
    change = two_proportion_test(float(row["base_value"]), None, own.value, own.sample_size)
    return (
        f"市民意識調査による標本推計値です。{ci.summary()}。"
        f"基準値からの変化：{change.summary().replace(chr(10), '')}"
    )


def explain_kpi(
    row: Mapping[str, Any], history: pl.DataFrame, *, with_forecast: bool = True
) -> Explanation:
    """Explain one ``kpi_progress`` row from the KPI's observed values.

    Parameters
    ----------
    row
        One row of :meth:`ebpm.warehouse.Warehouse.progress_table`.
    history
        This KPI's :meth:`~ebpm.warehouse.Warehouse.kpi_history` (base and actuals) up to
        the row's year; later rows are ignored, so a report never looks ahead.
    with_forecast
        Add the forecast sentence (statsmodels; a few milliseconds per KPI).
    """
    fy = int(row["fiscal_year"])
    observed = [o for o in observed_values(history) if o.fiscal_year <= fy]
    own = _own(observed, fy)
    parts = [
        ("実績", _actual_sentence(row, own, observed)),
        ("増減", _change_sentence(row, own, _previous(observed, fy))),
        ("期待値との差", _expected_sentence(row)),
        ("目標までに必要な変化", _needed_sentence(row, own)),
        ("評価", _grade_sentence(row)),
        ("標本誤差", _survey_sentence(row, own)),
        ("予測", _forecast_sentence(row, observed) if with_forecast else None),
    ]
    return Explanation(str(row["kpi_id"]), tuple((h, s) for h, s in parts if s))
