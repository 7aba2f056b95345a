"""The value-axis rule: when an axis may start above zero, and how a cut is shown.

The rule (README 「進捗評価のルール」 states it for planners)
------------------------------------------------------------
1. **Bars and areas always start at zero** (the overview's pace bars). ONS: "For charts
   that use a filled area or line starting from the axis to represent data values, the
   axis should always start at zero."
2. **Quantities that cannot be negative never get a negative range**; a share never runs
   past 100 %.
3. **Lines and points start at zero when they can still show the change**: when the
   values fill at least a third of a zero-based axis ((max − min) ÷ max ≥ 1/3). ONS: "it
   is often still best to start your axis at zero if you can do this and still show the
   trend clearly."
4. **Otherwise the axis may start above zero, with the cut made visible**: a wavy break
   mark (波線) on the axis and a note 「縦軸は○から始まっています」. The lowest value sits
   about 30 % of the height above the axis start (ONS: a gap of "around one-quarter to
   one-third of the space of the chart"), so the data never fill the whole height.
   Japanese public-sector guidance agrees: 三重県「統計グラフって?」 — 目盛りは0から始め、
   省略するときは波線または二重線で一か所だけ; 東京都「統計グラフの見方」 — 波線で省略した
   部分が大きいほど実態とかけ離れたグラフになる; ONS style guide — a time series that does
   not start at zero "must be indicated by breaking the y-axis in an obvious way".
5. **Survey shares never make sampling noise look steep**: the axis always covers the 95 %
   confidence interval of every share drawn (the intervals are drawn too), and spans at
   least :data:`SURVEY_MIN_SPAN` points when no interval is known.
6. **Counts (件・人・回・枚) get whole-number ticks only.**

>>> y_axis([5_216_000, 3_652_000, 4_500_000], unit="枚")
YAxis(domain=(2500000.0, 5500000.0), cut=True, integer=True)
>>> y_axis([0, 20, 6], unit="人")
YAxis(domain=(0.0, 22.0), cut=False, integer=True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "COUNT_UNITS",
    "CUT_GAP",
    "SURVEY_MIN_SPAN",
    "ZERO_SHARE",
    "YAxis",
    "cut_note",
    "nice_step",
    "y_axis",
]

#: Units whose values are whole counts: ticks only at whole numbers.
COUNT_UNITS: Final = frozenset({"件", "人", "回", "枚", "か所", "箇所", "団体", "者"})
#: Start at zero when the values fill at least this share of a zero-based axis.
ZERO_SHARE: Final = 1 / 3
#: On a cut axis, the gap under the lowest value, as a share of the axis height.
CUT_GAP: Final = 0.3
#: Headroom above the highest value, as a share of the axis height.
HEADROOM: Final = 0.08
#: The smallest span (percentage points) of a survey axis without confidence intervals.
SURVEY_MIN_SPAN: Final = 20.0


@dataclass(frozen=True)
class YAxis:
    """A value axis: its domain, whether it starts above zero (cut), whole-number ticks."""

    domain: tuple[float, float]
    cut: bool
    integer: bool


def nice_step(raw: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k that is at least ``raw``.

    >>> nice_step(0.64), nice_step(6.24), nice_step(252_000)
    (1.0, 10.0, 500000.0)
    """
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * power >= raw * (1 - 1e-12):
            return factor * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def _round_down(value: float, step: float) -> float:
    return math.floor(value / step + 1e-9) * step


def _round_up(value: float, step: float) -> float:
    return math.ceil(value / step - 1e-9) * step


def y_axis(
    values: Iterable[float],
    *,
    unit: str,
    nonnegative: bool = True,
    survey: bool = False,
) -> YAxis:
    """The value axis for ``values`` (every value drawn: actuals, base, target, path, CIs).

    ``nonnegative`` keeps the axis at or above zero; a ``%`` unit also stops at 100.
    ``survey`` makes the axis span at least :data:`SURVEY_MIN_SPAN` points.
    """
    numbers = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    integer = unit in COUNT_UNITS
    ceiling = 100.0 if unit == "%" else math.inf
    if not numbers:
        return YAxis((0.0, 100.0 if unit == "%" else 1.0), False, integer)
    low, high = min(numbers), max(numbers)
    if survey and high - low < SURVEY_MIN_SPAN:
        middle = (low + high) / 2
        low, high = middle - SURVEY_MIN_SPAN / 2, middle + SURVEY_MIN_SPAN / 2
        if nonnegative and low < 0:
            low, high = 0.0, SURVEY_MIN_SPAN
        if high > ceiling:
            low, high = ceiling - SURVEY_MIN_SPAN, ceiling
    if high <= 0 or (nonnegative and low <= 0) or (high - low) / high >= ZERO_SHARE:
        return _from_zero(low, high, integer, ceiling, nonnegative)
    height = (high - low) / (1 - CUT_GAP - HEADROOM)
    step = nice_step(height / 10)
    if integer:
        step = max(step, 1.0)
    start = _round_down(low - CUT_GAP * height, step)
    if start <= 0:
        return _from_zero(low, high, integer, ceiling, nonnegative)
    end = min(_round_up(high + HEADROOM * height, step), ceiling)
    return YAxis((start, end), True, integer)


def _from_zero(low: float, high: float, integer: bool, ceiling: float, nonnegative: bool) -> YAxis:
    start = 0.0 if nonnegative or low >= 0 else low
    top = max(high, 0.0)
    if top == start:
        top = start + 1.0
    step = nice_step((top - start) / 10)
    if integer:
        step = max(step, 1.0)
    if not nonnegative and start < 0:
        start = _round_down(start - HEADROOM * (top - start), step)
    end = min(_round_up(top + HEADROOM * (top - start), step), ceiling)
    return YAxis((start, end), False, integer)


def cut_note(axis: YAxis, unit: str, text: str) -> str | None:
    """The （注） sentence of a cut axis, or None: 「縦軸は2,500,000枚から始まっています…」.

    ``text`` is the axis start as printed (the caller formats it with the axis's format).
    """
    if not axis.cut:
        return None
    return f"縦軸は{text}{unit}から始まっています（0からの部分を省略し、縦軸の下端に省略の印「//」を付けています）"
