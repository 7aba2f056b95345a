"""The KPI trend chart: actuals by 年度 against base, target, expected path and 推進期間.

:func:`plan_trend` decides what to draw (a :class:`TrendPlan`: years, points, labels, axis,
text) and checks the inputs; :func:`draw_trend` turns a plan into layers. The public
:func:`kpi_trend_chart` is the two in a row.

What the chart says, and how it stays honest:

- The expected path is the rule's own (:func:`ebpm.kpi.expected_path`); for a target that
  is a **period average** (K10) the target is drawn as a segment over the period
  (「期間平均の目標 100時間」), never as a point in the last year, and the period average
  the grade is judged on (:func:`ebpm.kpi.judged_actual`) is its own series beside the
  year's actuals.
- **Survey shares** carry their 95 % confidence interval (Wilson, :mod:`ebpm.survey`) as
  vertical bars, and the axis always covers them (:mod:`ebpm.charts.axes`).
- The value axis follows :func:`ebpm.charts.axes.y_axis`: no negative range, zero unless the
  change would vanish, a visible break mark (波線) and a note when it starts above zero,
  whole-number ticks for counts.
- Every number is printed by :func:`ebpm.kpi.format_progress` (published precision,
  half-up), and the unit is the corrected one (K14: 回, with a note that 人 was published).

年度 labels use :func:`ebpm.jp.fiscal_year_label` (``2025年度`` = April 2025 – March 2026).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

import altair as alt
import polars as pl

from ebpm.charts.axes import YAxis, cut_note, y_axis
from ebpm.charts.marks import HALO, axis_break, sample_watermark
from ebpm.charts.profile import WEB, ChartProfile, top_level
from ebpm.charts.text import (
    Caption,
    check_bands,
    check_bands_match_data,
    display_text,
    footer_chart,
    framed,
    is_flagged,
    note_parts,
    require_columns,
    require_source,
    text_em,
)
from ebpm.charts.theme import OKABE_ITO, value_axis
from ebpm.jp import fiscal_period_label, fiscal_year_label, format_fixed, shortest_decimals
from ebpm.kpi import (
    KPI,
    expected_path,
    format_progress,
    judged_actual,
    survey_note,
    unit_note,
)
from ebpm.kpi.display import derived_decimals, points_text, survey_assumption, value_text
from ebpm.kpi.grades import GRADES, NEUTRAL, UNGRADED
from ebpm.kpi.model import Direction
from ebpm.manifest import SAMPLE_LABEL

__all__ = [
    "AveragePoint",
    "TrendPlan",
    "TrendPoint",
    "kpi_trend_chart",
    "plan_trend",
]

Y_AXIS_EXTENT: Final = WEB.y_axis_extent  # fixed width of the y-axis labels (web profile)
_TREND_KEYS: Final = ("base_fy", "base_value", "target_fy", "target_value", "unit")
_DIRECTION_JA: Final = {
    "increase": "増加が目標",
    "decrease": "減少が目標",
    "maintain": "維持が目標",
}
_AGGREGATION_JA: Final = {"single_year": "単年度", "cumulative": "累計"}

# Series. Colours stay clear of the grade palette's meaning: the trend chart shows no grade
# by colour (the grade is written in its subtitle), so actuals are near-black, not 順調 blue.
_ACTUAL: Final = "実績値"
_ACTUAL_YEARLY: Final = "実績値（各年度）"
_AVERAGE: Final = "期間平均"
_EXPECTED: Final = "期待値（直線）"
_EXPECTED_AVERAGE: Final = "期待値（期間平均が目標値になる経路）"
_BASE: Final = "基準値"
_TARGET: Final = "目標値"
_TARGET_AVERAGE: Final = "期間平均の目標"
_CI: Final = "95%信頼区間"
_INK: Final = "#222222"
_TARGET_COLOR: Final = "#9B3D84"  # reddish purple, darkened to 6:1 on white
_AVERAGE_COLOR: Final = "#00785A"  # bluish green, darkened to 5.5:1 on white
_EXPECTED_COLOR: Final = "#666666"
_STYLES: Final[dict[str, tuple[str, str, list[float]]]] = {
    # series: (colour, legend symbol, stroke dash)
    _ACTUAL: (_INK, "circle", [1, 0]),
    _ACTUAL_YEARLY: (_INK, "circle", [1, 0]),
    _AVERAGE: (_AVERAGE_COLOR, "square", [2, 3]),
    _EXPECTED: (_EXPECTED_COLOR, "stroke", [7, 5]),
    _EXPECTED_AVERAGE: (_EXPECTED_COLOR, "stroke", [7, 5]),
    _BASE: (_INK, "diamond", [1, 0]),
    _TARGET: (_TARGET_COLOR, "diamond", [1, 0]),
    _TARGET_AVERAGE: (_TARGET_COLOR, "stroke", [1, 0]),
    _CI: (_INK, "stroke", [1, 0]),
}
_EXPECTED_DASH: Final = [7, 5]


# --------------------------------------------------------------------------------------
# Deciding what to draw
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    """One observed actual as drawn (with its 95 % CI for a survey share)."""

    fiscal_year: int
    actual: float
    is_sample: bool
    #: the number printed by the point; empty where it would repeat the base value's label
    label: str
    ci_lower: float | None = None
    ci_upper: float | None = None


@dataclass(frozen=True)
class AveragePoint:
    """The period average a period-average KPI is judged on in one year."""

    fiscal_year: int
    value: float
    #: the number printed; empty where it equals the year's actual (its label says it)
    label: str
    #: -1 label above the square, 1 below: on the side away from the year's actual
    side: float = 1.0


@dataclass(frozen=True)
class TrendPlan:
    """Everything a trend chart shows, decided before anything is drawn."""

    kpi_id: Any
    unit: str
    y_title: str
    base: tuple[int, float]  # (年度, value)
    target: tuple[int, float]
    #: first and last 年度 on the x axis
    years: tuple[int, int]
    #: 推進期間 (first and last 年度) from the progress row, and its label; None without one
    period: tuple[int, int] | None
    period_label: str | None
    points: tuple[TrendPoint, ...]
    #: the expected path as (年度, value) points (a straight line: its two ends)
    expected: tuple[tuple[int, float], ...]
    #: True when the target is a period average (drawn as a segment over the period)
    period_target: bool
    averages: tuple[AveragePoint, ...]
    axis: YAxis
    #: the series shown, in legend order
    series: tuple[str, ...]
    bands: tuple[float, float]
    caption: Caption
    #: base and target values as printed (published precision)
    base_text: str = ""
    target_text: str = ""
    #: the sizes the chart is laid out for
    profile: ChartProfile = WEB
    #: every （注） sentence of the chart (the user's first), shown or not in its footer
    note_parts: tuple[str, ...] = ()

    @property
    def decreasing(self) -> bool:
        """True when the target lies below the base (labels then sit to the right)."""
        return self.target[1] < self.base[1]

    @property
    def target_label(self) -> str:
        """「目標値 3,652,000」 or 「期間平均の目標 100時間」."""
        if self.period_target:
            return f"{_TARGET_AVERAGE} {self.target_text}{self.unit}"
        return f"{_TARGET} {self.target_text}"


def _kpi_value(kpi: Mapping[str, Any], key: str) -> Any:
    value = kpi.get(key)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _anchors(kpi: Mapping[str, Any]) -> tuple[tuple[int, float], tuple[int, float]]:
    missing = [k for k in _TREND_KEYS if _kpi_value(kpi, k) is None]
    if missing:
        msg = f"KPIの定義に必要な項目がありません：{', '.join(missing)}"
        raise ValueError(msg)
    base = (int(kpi["base_fy"]), float(kpi["base_value"]))
    return base, (int(kpi["target_fy"]), float(kpi["target_value"]))


def _period(kpi: Mapping[str, Any]) -> tuple[int, int] | None:
    """The 推進期間 of the progress row (``promotion_start_fy``/``promotion_end_fy``)."""
    start, end = _kpi_value(kpi, "promotion_start_fy"), _kpi_value(kpi, "promotion_end_fy")
    return None if start is None or end is None else (int(start), int(end))


def _kpi_of(kpi: Mapping[str, Any], period: tuple[int, int] | None) -> KPI:
    """The KPI definition behind a progress row, so the chart uses the rule's own path."""
    averaged = kpi.get("target_basis") == "period_average" and period is not None
    base, target = float(kpi["base_value"]), float(kpi["target_value"])
    given = kpi.get("direction")
    direction: Direction = (
        cast(Direction, given)
        if given in ("increase", "decrease", "maintain")
        else ("maintain" if base == target else ("decrease" if target < base else "increase"))
    )
    return KPI(
        kpi_id=str(kpi.get("kpi_id") or ""),
        name=str(kpi.get("name") or ""),
        strategy_id=str(kpi.get("strategy_id") or ""),
        aggregation=kpi.get("aggregation") or "single_year",
        unit=str(kpi["unit"]),
        direction=direction,
        base_fy=int(kpi["base_fy"]),
        base_value=base,
        target_fy=int(kpi["target_fy"]),
        target_value=target,
        target_basis="period_average" if averaged else "final_year",
        target_period_start_fy=period[0] if averaged and period else None,
        target_period_end_fy=period[1] if averaged and period else None,
        base_value_decimals=_kpi_value(kpi, "base_decimals"),
        target_value_decimals=_kpi_value(kpi, "target_decimals"),
    )


def _history(kpi: Mapping[str, Any], history: pl.DataFrame) -> pl.DataFrame:
    """The KPI's observed actuals, one per 年度 (a second value for a year is refused)."""
    require_columns(history, ("fiscal_year", "actual"), "history")
    if "kpi_id" in history.columns and kpi.get("kpi_id") is not None:
        history = history.filter(pl.col("kpi_id") == kpi["kpi_id"])
    duplicated = history.filter(pl.col("fiscal_year").is_duplicated())["fiscal_year"]
    if duplicated.len():
        years_text = "、".join(fiscal_year_label(y) for y in sorted(set(duplicated.to_list())))
        msg = f"history に同じ年度の実績が複数あります：{years_text}"
        raise ValueError(msg)
    optional = {
        "is_sample": pl.col("is_sample").cast(pl.Boolean).fill_null(False),
        "sample_size": pl.col("sample_size").cast(pl.Int64),
        "value_decimals": pl.col("value_decimals").cast(pl.Int64),
    }
    defaults = {
        "is_sample": pl.lit(False),
        "sample_size": pl.lit(None, dtype=pl.Int64),
        "value_decimals": pl.lit(None, dtype=pl.Int64),
    }
    return (
        history.select(
            pl.col("fiscal_year").cast(pl.Int64),
            pl.col("actual").cast(pl.Float64),
            *(
                (optional[c] if c in history.columns else defaults[c]).alias(c)
                for c in ("is_sample", "sample_size", "value_decimals")
            ),
        )
        .sort("fiscal_year")
        .filter(pl.col("actual").is_not_null() & pl.col("actual").is_not_nan())
    )


def _points(
    kpi: Mapping[str, Any], shown: pl.DataFrame, base: tuple[int, float], decimals: int
) -> tuple[TrendPoint, ...]:
    """Each actual with its label (published precision) and, for a survey share, its CI."""
    survey = bool(kpi.get("is_survey"))
    row_year = _kpi_value(kpi, "fiscal_year")
    row_decimals = _kpi_value(kpi, "actual_decimals")
    points = []
    for fy, actual, sample, n, recorded in shown.iter_rows():
        if recorded is None and fy == row_year and actual == _kpi_value(kpi, "actual"):
            recorded = row_decimals
        places = max(recorded, decimals) if recorded is not None else _decimals_of(actual, decimals)
        low = high = None
        if survey and n:
            from ebpm.survey import wilson_interval

            low, high = wilson_interval(actual, int(n))
        elif survey and fy == row_year and _kpi_value(kpi, "ci_lower") is not None:
            low, high = float(kpi["ci_lower"]), float(kpi["ci_upper"])
        label = "" if (fy, actual) == base else value_text(actual, places)
        points.append(TrendPoint(fy, actual, sample, label, low, high))
    return tuple(points)


def _decimals_of(value: float, kpi_decimals: int) -> int:
    return max(shortest_decimals(value), kpi_decimals)


def _averages(
    definition: KPI, points: tuple[TrendPoint, ...], kpi_decimals: int
) -> tuple[AveragePoint, ...]:
    """The period average of every period year with an actual, by the rule itself."""
    if definition.target_basis != "period_average" or definition.period is None:
        return ()
    actuals = {p.fiscal_year: p.actual for p in points}
    first, last = definition.period
    out = []
    for year in range(first, last + 1):
        value, basis, used = judged_actual(definition, actuals, year)
        if value is None or basis != "period_average":
            continue
        digits = derived_decimals(kpi_decimals, *(shortest_decimals(actuals[y]) for y in used))
        own = actuals[year]
        label = "" if value == own else value_text(value, digits)
        out.append(AveragePoint(year, value, label, -1.0 if value > own else 1.0))
    return tuple(out)


def _expected_points(definition: KPI, years: tuple[int, int]) -> tuple[tuple[int, float], ...]:
    """The expected path from the base year to the final year (two ends of a straight line)."""
    end = max(definition.final_fy, definition.target_fy)
    return tuple((y, expected_path(definition, y)) for y in (definition.base_fy, end))


def _period_label(
    period: tuple[int, int], years: tuple[int, int], profile: ChartProfile = WEB
) -> str:
    """「推進期間（2025〜2027年度）」, or just 「推進期間」 when the band is too narrow."""
    text = f"推進期間（{fiscal_period_label(*period)}）"
    band_px = profile.plot_width * (period[1] - period[0] + 1) / (years[1] - years[0] + 1)
    return "推進期間" if text_em(text) * profile.label_size + 12 > band_px else text


def _status_line(kpi: Mapping[str, Any], latest_fy: int | None) -> str:
    """「2025年度実績 4,500,000枚｜進捗率 45.8%｜ペース 0.92｜評価：概ね順調」 and its variants."""
    fy = _kpi_value(kpi, "fiscal_year") or latest_fy
    text = format_progress(kpi)
    actual = _kpi_value(kpi, "actual")
    grade = _kpi_value(kpi, "grade") if actual is not None else None
    grade = grade if grade in GRADES else UNGRADED
    year = fiscal_year_label(fy) if fy else ""  # a row without its 年度 says just 実績
    if actual is None:
        return f"{year}実績値なし｜評価：{UNGRADED}"
    parts = [f"{year}実績 {text.actual}{text.unit}"]
    if text.sample_size is not None:
        parts[0] += f"（回答数 {text.sample_size}、95%信頼区間 {text.ci}）"
    if text.period_average is not None:
        years = [int(y) for y in kpi.get("actual_years") or []]
        used = fiscal_period_label(years[0], years[-1]) if len(years) > 1 else year
        parts.append(f"期間平均（{used}）{text.period_average}{text.unit}")
    change, margin = _kpi_value(kpi, "survey_change"), _kpi_value(kpi, "survey_margin")
    if kpi.get("is_survey") and change is not None and margin is not None:
        parts.append(
            f"基準値から {points_text(change)}ポイント（誤差 ±{points_text(margin, signed=False)}）"
        )
    elif kpi.get("direction") == "maintain":  # judged on the ratio to the level kept
        parts.append(f"目標比 {text.progress}")
    else:
        parts.append(f"進捗率 {text.progress}")
        parts.append(f"ペース {text.pace}")
    parts.append(f"評価：{grade}")
    if grade == NEUTRAL and text.formula_grade != grade:
        parts[-1] += f"（計算上は{text.formula_grade}）"
    return "｜".join(parts)


def _identity_line(kpi: Mapping[str, Any], title: str, name: str) -> str:
    """「K09 戦略3-1｜指標：…｜単年度・減少が目標」 (the published name only if not the title)."""
    aggregation = _AGGREGATION_JA.get(str(kpi.get("aggregation")), "")
    direction = _DIRECTION_JA.get(str(kpi.get("direction")), "")
    meta = "・".join(p for p in (aggregation, direction) if p)
    strategy = f"戦略{kpi['strategy_id']}" if kpi.get("strategy_id") else None
    ident = " ".join(str(p) for p in (kpi.get("kpi_id"), strategy) if p)
    name_line = f"指標：{name}" if name and name != title else ""
    return "｜".join(p for p in (ident, name_line, meta) if p)


def _path_note(definition: KPI, period_target: bool, target_text: str) -> list[str]:
    base_fy, target_fy = (
        fiscal_year_label(definition.base_fy),
        fiscal_year_label(definition.target_fy),
    )
    if not period_target or definition.period is None:
        return [
            f"破線は基準値（{base_fy}）から目標値（{target_fy}）までを直線で結んだ各年度の期待値"
        ]
    period = f"推進期間（{fiscal_period_label(*definition.period)}）"
    return [
        f"目標は{period}の平均で{target_text}（横線）",
        f"破線は期待値：基準値（{base_fy}）から一定の傾きで進み、{period}の平均がちょうど目標値になる経路",
        f"四角は{period}の初年度からその年度までの実績の平均（期間平均）で、"
        "評価は期間平均を同じ年度の期待値の平均と比べたもの",
    ]


def _trend_note(
    kpi: Mapping[str, Any],
    note: str | None,
    definition: KPI,
    plan_bits: dict[str, Any],
    bands: tuple[float, float],
) -> list[str]:
    """The user's （注） followed by how to read the chart, the axis and the band edges
    (sentences, each ending in 「。」)."""
    text = format_progress(kpi)
    sentences = _path_note(definition, plan_bits["period_target"], plan_bits["target_text"])
    period = plan_bits["period"]
    if period is not None:
        sentences.append(f"網掛けは推進期間（{fiscal_period_label(*period)}）")
    if plan_bits["has_ci"]:
        sentences.append("縦線は95%信頼区間（Wilson法、回答数から計算）")
    cut = cut_note(plan_bits["axis"], text.unit, plan_bits["axis_start"])
    if cut and plan_bits["compact"]:
        # the start is this chart's; what the mark means is the same on every cut chart
        start = cut.partition("（")[0]
        sentences += [start, "縦軸の下端の「//」は、0からの部分を省略した印"]
    elif cut:
        sentences.append(cut)
    # the period average is in the subtitle and the path note; the unit and survey notes here
    # (a compact profile keeps of the survey note what the subtitle does not say)
    survey = survey_assumption(kpi) if plan_bits["compact"] else survey_note(kpi)
    for extra in (unit_note(kpi), survey):
        if extra:
            sentences.append(extra.removeprefix(f"{kpi.get('kpi_id')}："))
    sentences.append("年度は4月〜翌年3月で、開始年で表示")
    sentences.append(check_bands(bands).describe())
    return note_parts(note, *sentences)


def plan_trend(
    kpi: Mapping[str, Any],
    history: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    bands: tuple[float, float] = (1.0, 0.6),
    profile: ChartProfile = WEB,
    omit_notes: Collection[str] = (),
) -> TrendPlan:
    """Check the inputs and decide what the trend chart shows (see :func:`kpi_trend_chart`).

    The 推進期間 shaded on the plot is the progress row's ``promotion_start_fy`` …
    ``promotion_end_fy`` (read from the KPI definitions at build); none is shaded without it.
    ``profile`` sets the sizes; （注） sentences in ``omit_notes`` are left out of the footer
    (a document prints them once, in its own note) but kept in :attr:`TrendPlan.note_parts`.
    """
    source = require_source(source)
    edges = check_bands(bands)
    check_bands_match_data(edges, kpi.get("band_on_track"), kpi.get("band_mostly"))
    base, target = _anchors(kpi)
    period = _period(kpi)
    definition = _kpi_of(kpi, period)
    text = format_progress(kpi)
    points = _points(kpi, _history(kpi, history), base, definition.value_decimals)
    averages = _averages(definition, points, definition.value_decimals)
    period_target = definition.target_basis == "period_average"
    every_year = [base[0], target[0], *(period or ()), *(p.fiscal_year for p in points)]
    years = (min(every_year), max(every_year))
    expected = _expected_points(definition, years)
    has_ci = any(p.ci_lower is not None for p in points)
    axis = _trend_axis(kpi, (base, target), expected, points, averages, text.unit)
    bits = {
        "period_target": period_target,
        "target_text": f"{text.target}{text.unit}",
        "period": period,
        "has_ci": has_ci,
        "axis": axis,
        "axis_start": format_fixed(axis.domain[0], 0 if axis.domain[0].is_integer() else 1),
        "compact": profile.compact,
    }
    parts = _trend_note(kpi, note, definition, bits, (edges.on_track, edges.mostly))
    shown_notes = [p for p in parts if p not in omit_notes]
    return TrendPlan(
        kpi_id=kpi.get("kpi_id"),
        unit=text.unit,
        y_title=_y_title(kpi, text.unit),
        base=base,
        target=target,
        years=years,
        period=period,
        period_label=_period_label(period, years, profile) if period else None,
        points=points,
        expected=expected,
        period_target=period_target,
        averages=averages,
        axis=axis,
        series=_trend_series(period_target, bool(averages), has_ci),
        bands=(edges.on_track, edges.mostly),
        caption=_trend_caption(kpi, points, source, shown_notes, profile),
        base_text=text.base,
        target_text=text.target,
        profile=profile,
        note_parts=tuple(parts),
    )


def _trend_axis(
    kpi: Mapping[str, Any],
    anchors: tuple[tuple[int, float], tuple[int, float]],
    expected: tuple[tuple[int, float], ...],
    points: tuple[TrendPoint, ...],
    averages: tuple[AveragePoint, ...],
    unit: str,
) -> YAxis:
    """The value axis over every value drawn (a survey share without intervals spans at least
    :data:`~ebpm.charts.axes.SURVEY_MIN_SPAN` points)."""
    has_ci = any(p.ci_lower is not None for p in points)
    return y_axis(
        [
            anchors[0][1],
            anchors[1][1],
            *(v for _, v in expected),
            *(p.actual for p in points),
            *(a.value for a in averages),
            *(v for p in points for v in (p.ci_lower, p.ci_upper) if v is not None),
        ],
        unit=unit,
        survey=bool(kpi.get("is_survey")) and not has_ci,
    )


def _y_title(kpi: Mapping[str, Any], unit: str) -> str:
    """「枚（単年度）」: the unit and, when known, how the year's value is aggregated."""
    aggregation = _AGGREGATION_JA.get(str(kpi.get("aggregation")), "")
    return f"{unit}（{aggregation}）" if aggregation else unit


def _trend_series(period_target: bool, has_averages: bool, has_ci: bool) -> tuple[str, ...]:
    """The series shown, in legend order."""
    series = [_ACTUAL_YEARLY if period_target else _ACTUAL]
    if has_averages:
        series.append(_AVERAGE)
    series.append(_EXPECTED_AVERAGE if period_target else _EXPECTED)
    series += [_BASE, _TARGET_AVERAGE if period_target else _TARGET]
    if has_ci:
        series.append(_CI)
    return tuple(series)


def _trend_caption(
    kpi: Mapping[str, Any],
    points: tuple[TrendPoint, ...],
    source: str,
    shown_notes: list[str],
    profile: ChartProfile,
) -> Caption:
    """Title, status and identity lines, 出典 and the （注） shown in the footer."""
    name = str(kpi.get("name") or "")
    title = display_text(str(kpi.get("short_name") or name or kpi.get("kpi_id") or ""))
    latest_fy = max(p.fiscal_year for p in points) if points else None
    return Caption.compose(
        title,
        [
            _status_line(kpi, latest_fy),
            _identity_line(kpi, title, "" if profile.compact else display_text(name)),
        ],
        source=source,
        note="（注）" + "".join(shown_notes) if shown_notes else "",
        is_sample=is_flagged(kpi.get("is_sample")) or any(p.is_sample for p in points),
        width_px=profile.wrap_width,
        profile=profile,
    )


# --------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Axes:
    x_scale: alt.Scale
    x_axis: alt.Axis
    y_scale: alt.Scale
    y_axis: alt.Axis

    def x(self, field: str) -> alt.X:
        return alt.X(field, scale=self.x_scale, axis=self.x_axis)

    def y(self, field: str) -> alt.Y:
        return alt.Y(field, scale=self.y_scale, axis=self.y_axis)


def _u(plan: TrendPlan, value: float) -> float:
    """A stroke width or label offset at the plan's profile (the web sizes unchanged)."""
    scale = plan.profile.mark_scale
    return value if scale == 1 else round(value * scale, 2)


def _area(plan: TrendPlan, size: float) -> float:
    """A point or legend symbol size (an area) at the plan's profile."""
    scale = plan.profile.mark_scale
    return size if scale == 1 else round(size * scale * scale, 1)


def _halo(plan: TrendPlan) -> dict[str, Any]:
    return HALO if plan.profile.mark_scale == 1 else HALO | {"strokeWidth": _u(plan, 4)}


def _axes(plan: TrendPlan) -> _Axes:
    fy_min, fy_max = plan.years
    profile = plan.profile
    low, high = plan.axis.domain
    # counts: whole-number ticks only
    extra: dict[str, Any] = {"tickMinStep": 1, "format": ",d"} if plan.axis.integer else {}
    return _Axes(
        x_scale=alt.Scale(
            domain=[fy_min - profile.x_padding, fy_max + profile.x_padding], nice=False, zero=False
        ),
        x_axis=alt.Axis(
            values=list(range(fy_min, fy_max + 1)),
            labelExpr=(
                "[toString(datum.value), '年度']"
                if profile.stacked_year_labels
                else "datum.value + '年度'"
            ),
            title=None,
            grid=False,
            labelFontSize=profile.label_size,
        ),
        y_scale=alt.Scale(domain=[low, high], nice=False, zero=False),
        y_axis=value_axis(
            plan.y_title,
            extent=profile.y_axis_extent,
            format=extra.pop("format", ",~r"),
            **extra,
        ),
    )


def _legend_columns(plan: TrendPlan) -> int:
    """Entries per legend row: three on screen; in a narrow profile as many as fit."""
    profile = plan.profile
    if profile.legend_columns is None:
        return 3
    widest = max(text_em(s) for s in plan.series) * profile.label_size + _u(plan, 30)
    return max(1, min(profile.legend_columns, int(profile.text_width // widest)))


def _series_encodings(plan: TrendPlan) -> dict[str, Any]:
    """Shared color/shape/strokeDash encodings so the legend merges into one."""
    field = "series:N"
    legend = alt.Legend(
        title=None,
        orient="top",
        direction="horizontal",
        symbolStrokeWidth=_u(plan, 2.5),
        symbolSize=_area(plan, 140),
        labelFontSize=plan.profile.label_size,
        labelLimit=0,
        offset=_u(plan, 8),
        columns=_legend_columns(plan),
    )
    domain = list(plan.series)

    def scale(position: int) -> alt.Scale:
        return alt.Scale(domain=domain, range=[_STYLES[s][position] for s in domain])

    return {
        "color": alt.Color(field, scale=scale(0), legend=legend),
        "shape": alt.Shape(field, scale=scale(1), legend=legend),
        "strokeDash": alt.StrokeDash(field, scale=scale(2), legend=legend),
    }


def _period_layers(plan: TrendPlan, axes: _Axes) -> list[alt.Chart]:
    """The shaded 推進期間 and its label at the top left of the band (in a compact profile,
    at the bottom when the values fall: the top of a narrow band is taken by their labels)."""
    if plan.period is None:
        return []
    start, end = plan.period
    period = alt.Chart(
        pl.DataFrame({"start": [start - 0.5], "end": [end + 0.5], "label": [plan.period_label]})
    )
    rect = period.mark_rect(color=OKABE_ITO["yellow"], opacity=0.22).encode(
        x=axes.x("start:Q"), x2=alt.X2("end:Q")
    )
    bottom = plan.profile.compact and plan.decreasing
    label = period.mark_text(
        align="left",
        baseline="bottom" if bottom else "top",
        dx=_u(plan, 6),
        dy=-_u(plan, 6) if bottom else _u(plan, 6),
        fontSize=plan.profile.label_size,
        color="#5A5200",
    ).encode(
        x=alt.X("start:Q"),
        y=alt.YValue(plan.profile.plot_height if bottom else 0),
        text=alt.Text("label:N"),
    )
    return [rect, label]


def _expected_layer(plan: TrendPlan, axes: _Axes, series: dict[str, Any]) -> alt.Chart:
    """The dashed expected path from the base year to the final year."""
    name = _EXPECTED_AVERAGE if plan.period_target else _EXPECTED
    data = {
        "fiscal_year": [fy for fy, _ in plan.expected],
        "value": [v for _, v in plan.expected],
        "series": [name] * len(plan.expected),
    }
    return (
        alt.Chart(pl.DataFrame(data))
        .mark_line(strokeDash=_EXPECTED_DASH, strokeWidth=_u(plan, 2))
        .encode(
            x=axes.x("fiscal_year:Q"),
            y=axes.y("value:Q"),
            color=series["color"],
            strokeDash=series["strokeDash"],
        )
    )


def _actual_base(plan: TrendPlan, axes: _Axes, series: dict[str, Any]) -> alt.Chart:
    name = _ACTUAL_YEARLY if plan.period_target else _ACTUAL
    data = pl.DataFrame(
        {
            "fiscal_year": [p.fiscal_year for p in plan.points],
            "actual": [p.actual for p in plan.points],
            "is_sample": [p.is_sample for p in plan.points],
            "series": [name] * len(plan.points),
            "年度": [fiscal_year_label(p.fiscal_year) for p in plan.points],
            "label": [p.label for p in plan.points],
        },
        schema={
            "fiscal_year": pl.Int64,
            "actual": pl.Float64,
            "is_sample": pl.Boolean,
            "series": pl.String,
            "年度": pl.String,
            "label": pl.String,
        },
    )
    return alt.Chart(data).encode(
        x=axes.x("fiscal_year:Q"),
        y=axes.y("actual:Q"),
        color=series["color"],
        tooltip=[alt.Tooltip("年度:N"), alt.Tooltip("actual:Q", title=f"{name}（{plan.unit}）")],
    )


def _actual_layers(plan: TrendPlan, base: alt.Chart, series: dict[str, Any]) -> list[alt.Chart]:
    """Line, points, and the value labels with their halo (halo first)."""
    # Labels sit on the side away from the incoming segment: upper right when falling.
    style: dict[str, Any] = {
        "align": "left" if plan.decreasing else "right",
        "dx": _u(plan, 7) if plan.decreasing else -_u(plan, 7),
        "dy": -_u(plan, 11),
        "fontSize": plan.profile.label_size,
    }
    return [
        base.mark_line(strokeWidth=_u(plan, 2.5)).encode(strokeDash=series["strokeDash"]),
        base.mark_point(filled=True, size=_area(plan, 80), opacity=1).encode(shape=series["shape"]),
        base.mark_text(**style, **_halo(plan)).encode(
            text=alt.Text("label:N"), color=alt.ColorValue("white")
        ),
        base.mark_text(**style).encode(text=alt.Text("label:N"), color=alt.ColorValue(_INK)),
    ]


def _ci_layer(plan: TrendPlan, axes: _Axes, series: dict[str, Any]) -> list[alt.Chart]:
    """Vertical 95 % confidence-interval bars of survey shares, with short caps."""
    shown = [p for p in plan.points if p.ci_lower is not None]
    if not shown:
        return []
    data = alt.Chart(
        pl.DataFrame(
            {
                "fiscal_year": [p.fiscal_year for p in shown],
                "low": [p.ci_lower for p in shown],
                "high": [p.ci_upper for p in shown],
                "series": [_CI] * len(shown),
            }
        )
    )
    bar = data.mark_rule(strokeWidth=1.5).encode(
        x=axes.x("fiscal_year:Q"), y=axes.y("low:Q"), y2=alt.Y2("high:Q"), color=series["color"]
    )
    caps = [
        data.mark_tick(orient="horizontal", size=_u(plan, 12), thickness=1.5, color=_INK).encode(
            x=axes.x("fiscal_year:Q"), y=axes.y(f"{end}:Q")
        )
        for end in ("low", "high")
    ]
    return [bar, *caps]


def _average_layers(plan: TrendPlan, axes: _Axes, series: dict[str, Any]) -> list[alt.Chart]:
    """The period averages: open squares joined by a dotted line, with their values."""
    if not plan.averages:
        return []
    data = alt.Chart(
        pl.DataFrame(
            {
                "fiscal_year": [a.fiscal_year for a in plan.averages],
                "value": [a.value for a in plan.averages],
                "label": [a.label for a in plan.averages],
                "side": [a.side for a in plan.averages],
                "series": [_AVERAGE] * len(plan.averages),
            }
        )
    ).encode(x=axes.x("fiscal_year:Q"), y=axes.y("value:Q"), color=series["color"])
    labels = []
    for side in (-1.0, 1.0):  # above or below the square, away from the year's actual
        style: dict[str, Any] = {
            "align": "left",
            "dx": _u(plan, 8),
            "dy": _u(plan, 12) * side,
            "baseline": "top" if side > 0 else "bottom",
            "fontSize": plan.profile.label_size,
        }
        shown = data.transform_filter(alt.datum.side == side)
        labels += [
            shown.mark_text(**style, **_halo(plan)).encode(
                text=alt.Text("label:N"), color=alt.ColorValue("white")
            ),
            shown.mark_text(**style).encode(
                text=alt.Text("label:N"), color=alt.ColorValue(_AVERAGE_COLOR)
            ),
        ]
    return [
        data.mark_line(strokeWidth=_u(plan, 2)).encode(strokeDash=series["strokeDash"]),
        data.mark_point(
            filled=False, size=_area(plan, 90), strokeWidth=_u(plan, 2), opacity=1
        ).encode(shape=series["shape"]),
        *labels,
    ]


def _anchor_layers(plan: TrendPlan, axes: _Axes, series: dict[str, Any]) -> list[alt.Chart]:
    """基準値 diamond, and the target: a diamond, or a segment over the averaged period."""
    (base_fy, base_value), (target_fy, target_value) = plan.base, plan.target
    rows: dict[str, list[Any]] = {
        "fiscal_year": [base_fy],
        "value": [base_value],
        "series": [_BASE],
        "label": [plan.base_text if plan.profile.compact else f"{_BASE} {plan.base_text}"],
        # base label on the side the path leaves from, target label beyond the end
        "offset": [-1.0 if plan.decreasing else 1.0],
    }
    if not plan.period_target:
        rows = {k: [*v] for k, v in rows.items()}
        rows["fiscal_year"].append(target_fy)
        rows["value"].append(target_value)
        rows["series"].append(_TARGET)
        rows["label"].append(plan.target_text if plan.profile.compact else plan.target_label)
        rows["offset"].append(1.0 if plan.decreasing else -1.0)
    rows["offset"] = [
        _label_side(plan, v, side) for v, side in zip(rows["value"], rows["offset"], strict=True)
    ]
    anchors = alt.Chart(pl.DataFrame(rows)).encode(
        x=axes.x("fiscal_year:Q"), y=axes.y("value:Q"), color=series["color"]
    )
    layers = [
        anchors.mark_point(filled=True, size=_area(plan, 130), opacity=1).encode(
            shape=series["shape"]
        ),
        *_anchor_labels(plan, anchors),
    ]
    if plan.period_target and plan.period is not None:
        layers[:0] = _target_segment(plan, axes, series)
    return layers


def _label_side(plan: TrendPlan, value: float, side: float) -> float:
    """Keep a label inside the plot: above a point near the bottom, below one near the top."""
    low, high = plan.axis.domain
    position = (value - low) / (high - low) if high > low else 0.5
    if side > 0 and position < 0.12:
        return -1.0
    if side < 0 and position > 0.9:
        return 1.0
    return side


def _target_segment(plan: TrendPlan, axes: _Axes, series: dict[str, Any]) -> list[alt.Chart]:
    """期間平均の目標: a solid segment over the whole period, labelled at its right end."""
    assert plan.period is not None
    start, end = plan.period
    segment = alt.Chart(
        pl.DataFrame(
            {
                "start": [start - 0.5],
                "end": [end + 0.5],
                "value": [plan.target[1]],
                "series": [_TARGET_AVERAGE],
                "label": [plan.target_label],
            }
        )
    )
    style: dict[str, Any] = {
        "align": "right",
        "baseline": "top" if plan.decreasing else "bottom",
        "dx": -_u(plan, 4),
        "dy": _u(plan, 5) if plan.decreasing else -_u(plan, 5),
        "fontSize": plan.profile.label_size,
    }
    return [
        segment.mark_rule(strokeWidth=_u(plan, 3)).encode(
            x=axes.x("start:Q"), x2=alt.X2("end:Q"), y=axes.y("value:Q"), color=series["color"]
        ),
        segment.mark_text(**style, **_halo(plan)).encode(
            x=alt.X("end:Q"),
            y=axes.y("value:Q"),
            text=alt.Text("label:N"),
            color=alt.ColorValue("white"),
        ),
        segment.mark_text(**style).encode(
            x=alt.X("end:Q"),
            y=axes.y("value:Q"),
            text=alt.Text("label:N"),
            color=alt.ColorValue(_TARGET_COLOR),
        ),
    ]


def _anchor_labels(plan: TrendPlan, anchors: alt.Chart) -> list[alt.Chart]:
    """基準値/目標値 labels below or above their diamonds, each with a halo first."""
    return [
        anchors.transform_filter(alt.datum.offset == side)
        .mark_text(
            baseline="top" if side > 0 else "bottom",
            dy=_u(plan, 11) * side,
            fontSize=plan.profile.label_size,
            **extra,
        )
        .encode(text=alt.Text("label:N"), **enc)
        for side in (-1.0, 1.0)
        for extra, enc in ((_halo(plan), {"color": alt.ColorValue("white")}), ({}, {}))
    ]


def trend_layers(plan: TrendPlan) -> list[alt.Chart]:
    """The plot's layers, back to front."""
    axes, series = _axes(plan), _series_encodings(plan)
    actual_line, actual_points, *actual_labels = _actual_layers(
        plan, _actual_base(plan, axes, series), series
    )
    layers = [
        *_period_layers(plan, axes),
        _expected_layer(plan, axes, series),
        *_ci_layer(plan, axes, series),
        actual_line,
        actual_points,
        *_average_layers(plan, axes, series),
        *_anchor_layers(plan, axes, series),
        *actual_labels,
    ]
    profile = plan.profile
    if plan.axis.cut:
        # the mark sits as far up the axis, in proportion, as on screen (below the first tick)
        at = 16 if profile == WEB else round(16 * profile.plot_height / WEB.plot_height, 1)
        layers += axis_break(profile.plot_height, at=at, scale=profile.mark_scale)
    if plan.caption.is_sample:
        layers.append(
            sample_watermark(
                SAMPLE_LABEL,
                profile.plot_width / 2,
                profile.plot_height / 2,
                font_size=profile.watermark_size,
            )
        )
    return layers


def draw_trend(plan: TrendPlan) -> alt.VConcatChart:
    """The plot above its 出典/注 footer, under the title (see :func:`kpi_trend_chart`)."""
    profile = plan.profile
    plot = alt.layer(*trend_layers(plan), width=profile.plot_width, height=profile.plot_height)
    caption = plan.caption
    meta = {
        "chart": "kpi_trend",
        "kpi_id": plan.kpi_id,
        "source": caption.source,
        "note": caption.note,
        "is_sample": caption.is_sample,
        "bands": list(plan.bands),
        "y_domain": list(plan.axis.domain),
        "y_cut": plan.axis.cut,
    }
    footer = footer_chart(caption.footer, profile.plot_width, profile.y_axis_extent, profile)
    return framed([plot], footer, meta=meta, caption=caption, **top_level(profile))


def kpi_trend_chart(
    kpi: Mapping[str, Any],
    history: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    bands: tuple[float, float] = (1.0, 0.6),
    profile: ChartProfile = WEB,
    omit_notes: Collection[str] = (),
) -> alt.VConcatChart:
    """Trend of one KPI: actuals by 年度, base, target, expected path and 推進期間.

    Parameters
    ----------
    kpi
        One ``kpi_progress`` row (the year reported): ``kpi_id``, ``name``, ``short_name``,
        ``strategy_id``, ``unit`` (and ``unit_corrected``), ``aggregation``, ``direction``,
        ``base_fy``, ``base_value``, ``target_fy``, ``target_value``, ``fiscal_year``,
        ``actual``, ``progress``, ``pace``, ``grade``, ``is_sample``; the 推進期間 from
        ``promotion_start_fy``/``promotion_end_fy``; ``target_basis`` (a period-average
        target), ``is_survey`` with ``sample_size``/``ci_lower``/``ci_upper``, and the
        ``*_decimals`` columns when present.
    history
        Observed actuals (e.g. from ``kpi_actual``, not carried-forward values) with columns
        ``fiscal_year`` (int), ``actual`` (float) and optionally ``is_sample`` (bool) and
        ``sample_size`` (a survey's number of answers: its 95 % interval is drawn). If it
        has a ``kpi_id`` column, only this KPI's rows are used.
    source
        The 出典 line, printed verbatim under the chart (required).
    note
        Extra （注） text; the band edges and chart conventions are always appended.
    bands
        Lower pace edges of (順調, 概ね順調), printed in the note. Must equal the row's
        ``band_on_track``/``band_mostly`` when present.
    profile
        The sizes to lay the chart out at: :data:`~ebpm.charts.profile.WEB` (default) or
        :data:`~ebpm.charts.profile.DOCUMENT` (8 cm wide, every text ≥ 8 pt there).
    omit_notes
        （注） sentences to leave out of the footer because a document prints them once.

    Returns
    -------
    alt.VConcatChart
        The plot above a 出典/注 footer.
    """
    plan = plan_trend(
        kpi, history, source=source, note=note, bands=bands, profile=profile, omit_notes=omit_notes
    )
    return draw_trend(plan)
