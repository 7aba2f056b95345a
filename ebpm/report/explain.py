"""The generated explanation of one KPI's year, in plain Japanese, from the data only.

:func:`explain_kpi` turns a ``kpi_progress`` row and the KPI's observed values (the
published base and the actuals up to the row's year) into sentences: the year's actual
and the previous year's, the change, the gap to the expected value, the annual change
still needed to reach the target, the grade and why, the forecast with its caveat (where
:func:`ebpm.analysis.forecast` allows one) and, for survey KPIs, the sampling error.
Nothing is said that the numbers do not give; the department's own words (commentary)
are kept apart from it.

It says what ``ebpm status`` says, in the same words where there are rules behind them:

- numbers follow the rounding rule of :mod:`ebpm.kpi.display` (:mod:`ebpm.report.present`);
- a period-average KPI (※推進期間の平均) names the year's own actual first, then what
  the grade compared — the period average against the expected path's average
  (:func:`ebpm.kpi.display.period_average_sentence`, the wording of the status note);
- a survey KPI's sampling error is :func:`ebpm.kpi.survey_note` (:mod:`ebpm.survey`'s
  wording, with the assumption about the base's sample size);
- the forecast is :meth:`ebpm.analysis.Forecast.note` with its caveats, refused below the
  analysis module's minimum of years.

The HTML page, the workbook, the Word document and the slides all print
:attr:`Explanation.text` (or its parts), so the wording is the same everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from ebpm.jp import fiscal_period_label, round_half_up
from ebpm.kpi import format_progress, survey_note
from ebpm.kpi.display import period_average_sentence, progress_text
from ebpm.kpi.grades import ACHIEVED, UNGRADED
from ebpm.report.present import (
    change_text,
    derived_digits,
    is_number,
    observed_decimals,
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
    #: decimals as published or entered (None: not recorded)
    decimals: int | None = None


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
    """``kpi_history`` rows of one KPI (``fiscal_year, kind, actual`` and, when present,
    ``sample_size, is_sample, value_decimals``)."""
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
                row.get("value_decimals"),
            )
        )
    return out


def _shown(row: Mapping[str, Any], observed: Observed) -> str:
    """An observed value with its unit, at its published precision."""
    return value_text(
        observed.value, unit_of(row), observed_decimals(row, observed.decimals, observed.value)
    )


def _as_shown(value: float, decimals: int) -> Decimal:
    """A value rounded as it is printed: differences are taken between printed numbers."""
    return round_half_up(value, decimals)


def _more_less(unit: str, difference: Decimal) -> str:
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
    """The year's own actual; for a period-average KPI also what its grade compared."""
    fy = int(row["fiscal_year"])
    if own is None:
        latest = [o for o in observed if o.kind == ACTUAL]
        text = f"{year_text(fy)}の実績値はまだありません。"
        if latest:
            last = latest[-1]
            text += f"最新の実績は{year_text(last.fiscal_year)}の{_shown(row, last)}です。"
        return text
    sample = "（研修用サンプルデータ）" if own.is_sample else ""
    cumulative = "（累計）" if row.get("aggregation") == "cumulative" else ""
    text = f"{year_text(fy)}の実績は{_shown(row, own)}{cumulative}{sample}です。"
    return text + (period_average_sentence(row) or "")


def _change_sentence(
    row: Mapping[str, Any], own: Observed | None, previous: Observed | None
) -> str | None:
    if own is None:
        return None
    unit = unit_of(row)
    fy = int(row["fiscal_year"])

    def change(earlier: Observed) -> str:
        digits = max(
            observed_decimals(row, own.decimals, own.value),
            observed_decimals(row, earlier.decimals, earlier.value),
        )
        difference = _as_shown(own.value, digits) - _as_shown(earlier.value, digits)
        return change_text(float(difference), unit, digits)

    if previous is None:
        text = f"前年度の{year_text(fy - 1)}には値がないため、前年度との比較はできません。"
    else:
        what = "基準値" if previous.kind == BASE else "実績"
        text = (
            f"前年度の{year_text(previous.fiscal_year)}の{what}{_shown(row, previous)}からは"
            f"{change(previous)}です。"
        )
    base_fy = int(row["base_fy"])
    if base_fy < fy - 1 or (previous is not None and previous.kind != BASE and base_fy < fy):
        base = Observed(base_fy, float(row["base_value"]), BASE, decimals=row.get("base_decimals"))
        text += (
            f"基準年度の{year_text(base_fy)}の基準値{_shown(row, base)}からは{change(base)}です。"
        )
    return text


def _expected_sentence(row: Mapping[str, Any]) -> str | None:
    """The gap between what was judged and the expected value it was compared with."""
    if row.get("direction") == "maintain":
        return None  # the level to keep is the target itself: said in the needed sentence
    unit, digits = unit_of(row), derived_digits(row)
    fy = int(row["fiscal_year"])
    averaged = row.get("actual_basis") == "period_average"
    if averaged:
        judged, expected = row.get("period_average"), row.get("expected_period_average")
        years = [int(y) for y in row.get("actual_years") or []] or [fy]
        head = f"{year_text(fy)}の期待値は{value_text(row.get('expected'), unit, digits)}"
        if len(years) > 1:
            span = fiscal_period_label(years[0], years[-1])
            head += f"、{span}の期待値の平均は{value_text(expected, unit, digits)}"
        head += "です。"
        basis = f"期間平均の実績{value_text(judged, unit, digits)}"
        judged_digits = digits
    else:
        judged, expected = row.get("actual"), row.get("expected")
        head = f"{year_text(fy)}の期待値は{value_text(expected, unit, digits)}です。"
        basis = "実績"
        judged_digits = observed_decimals(row, row.get("actual_decimals"), judged)
    if not (is_number(judged) and is_number(expected)):
        return None
    shown_digits = max(digits, judged_digits)
    difference = _as_shown(judged, shown_digits) - _as_shown(expected, shown_digits)
    if difference == 0:
        return head + f"{basis}は期待値と同じです。"
    toward_target = (difference < 0) == (row.get("direction") == "decrease")
    verdict = "期待値より目標に近い側にあります" if toward_target else "期待値に届いていません"
    gap = value_text(float(abs(difference)), unit.replace("%", "ポイント"), shown_digits)
    return head + f"{basis}はそれより{gap}{_more_less(unit, difference)}、{verdict}。"


def _needed_sentence(row: Mapping[str, Any], own: Observed | None) -> str | None:
    text = format_progress(row)
    unit, fy = unit_of(row), int(row["fiscal_year"])
    target, target_fy = f"{text.target}{unit}", int(row["target_fy"])
    averaged = row.get("target_basis") == "period_average"
    if row.get("grade") == ACHIEVED:
        if averaged and row.get("actual_basis") == "period_average":
            return (
                f"期間平均の実績{text.period_average}{unit}は、推進期間の平均の目標値"
                f"{target}に到達しています。"
            )
        keep = (
            f"目標年度の{year_text(target_fy)}まで水準を保つことが必要です。"
            if fy < target_fy
            else ""
        )
        return f"目標値の{target}に到達しています。{keep}"
    if row.get("direction") == "maintain":
        return f"目標は毎年度{target}以上を保つことです。"
    if averaged:
        return _needed_for_average(row)
    if fy >= target_fy:
        return f"目標年度の実績です（目標値は{target}）。"
    if own is None:
        return None
    remaining = target_fy - fy
    digits = derived_digits(row)
    per_year = (float(row["target_value"]) - own.value) / remaining
    sentence = (
        f"{year_text(target_fy)}に目標値{target}に届くには、"
        f"残り{remaining}年度で毎年度平均{change_text(per_year, unit, digits)}が必要です。"
    )
    base_fy, base = int(row["base_fy"]), float(row["base_value"])
    if fy > base_fy:
        so_far = (own.value - base) / (fy - base_fy)
        sentence += f"基準年度からこれまでの平均は毎年度{change_text(so_far, unit, digits)}です。"
    return sentence


def _needed_for_average(row: Mapping[str, Any]) -> str | None:
    """For a period-average target: what the period's remaining years must average."""
    start, end = row.get("promotion_start_fy"), row.get("promotion_end_fy")
    if start is None or end is None:
        return None
    start, end = int(start), int(end)
    fy, unit, digits = int(row["fiscal_year"]), unit_of(row), derived_digits(row)
    target = f"{format_progress(row).target}{unit}"
    word = "以下" if row.get("direction") == "decrease" else "以上"
    period = (
        f"推進期間（{fiscal_period_label(start, end)}）の平均を目標の{target}{word}にするには、"
    )
    if fy < start:
        return (
            period + f"期間の{end - start + 1}年度の実績を平均{target}{word}にする必要があります。"
        )
    remaining = end - fy
    if remaining <= 0:
        return f"推進期間の最終年度です（目標は期間の平均{target}{word}）。"
    years = [int(y) for y in row.get("actual_years") or [] if start <= int(y) <= fy]
    average = row.get("period_average")
    if len(years) != fy - start + 1 or not is_number(average):
        return "推進期間のうち実績のない年度があるため、残りの年度に必要な値は示しません。"
    needed = (float(row["target_value"]) * (end - start + 1) - float(average) * len(years)) / (
        remaining
    )
    return (
        period
        + f"残り{remaining}年度の実績を平均{value_text(needed, unit, digits)}{word}にする必要があります。"
    )


def _grade_sentence(row: Mapping[str, Any]) -> str:
    text = format_progress(row)
    reason = row.get("reason") or ""
    sentence = f"評価は「{text.grade}」です" + (f"（{reason}）。" if reason else "。")
    progress, pace, expected = row.get("progress"), row.get("pace"), row.get("expected_progress")
    if row.get("direction") == "maintain" and is_number(progress):
        sentence += f"実績は目標値の{text.progress}です。"
    elif is_number(progress) and is_number(pace) and is_number(expected):
        what = "期間平均の進捗率" if row.get("actual_basis") == "period_average" else "進捗率"
        sentence += (
            f"{what}{text.progress}÷期待される進捗率{progress_text(float(expected))}"
            f"＝ペース{text.pace}です。"
        )
    return sentence


def _clipped(result: Any, unit: str) -> tuple[Any, str]:
    """A forecast of a quantity that cannot be negative (or pass 100 %) kept inside its range."""
    lower, upper = result.lower, result.upper
    ceiling = 100.0 if unit in ("%", "％") else None
    notes = []
    if lower < 0:
        lower = 0.0
        notes.append("予測区間の下限は、負にならない量のため0としました。")
    if ceiling is not None and upper > ceiling:
        upper = ceiling
        notes.append("予測区間の上限は、割合のため100%としました。")
    if not notes:
        return result, ""
    return dataclasses.replace(result, lower=lower, upper=upper), "".join(notes)


def _forecast_sentence(row: Mapping[str, Any], observed: list[Observed]) -> str | None:
    """The forecast note of :mod:`ebpm.analysis` (with its caveat), or why there is none."""
    fy, target_fy = int(row["fiscal_year"]), int(row["target_fy"])
    if fy >= target_fy or row.get("grade") == UNGRADED:
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
    result, clipped = _clipped(result, unit_of(row))
    return f"予測：{result.note()}{clipped}"


def _survey_sentence(row: Mapping[str, Any], own: Observed | None) -> str | None:
    """The sampling error of a survey share, in the words of ``ebpm status``."""
    if not row.get("is_survey") or own is None:
        return None
    note = survey_note({**row, "kpi_id": None})
    return f"市民意識調査による標本推計値です。{note}" if note else None


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
