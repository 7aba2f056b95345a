"""The KPI trend chart: actuals by 年度 against base, target, expected path and 推進期間.

:func:`plan_trend` decides what to draw (a :class:`TrendPlan`: years, points, labels, text)
and checks the inputs; :func:`draw_trend` turns a plan into layers. The public
:func:`kpi_trend_chart` is the two in a row.

年度 labels use the Western start year + 年度 (``2025年度`` = April 2025 – March 2026).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

import altair as alt
import polars as pl

from ebpm.charts.marks import HALO, sample_watermark
from ebpm.charts.profile import WEB, ChartProfile, apply
from ebpm.charts.text import (
    Caption,
    band_note,
    check_bands,
    check_bands_match_data,
    display_text,
    fiscal_year_text,
    footer_chart,
    framed,
    is_flagged,
    note_parts,
    require_columns,
    require_source,
    text_em,
)
from ebpm.charts.theme import OKABE_ITO, UNGRADED
from ebpm.jp import format_number
from ebpm.kpi import GRADES
from ebpm.manifest import SAMPLE_LABEL

__all__ = ["PROMOTION_PERIOD", "TrendPlan", "TrendPoint", "kpi_trend_chart", "plan_trend"]

#: 推進期間 of the 大船渡市DX戦略: 令和7年度–令和9年度.
PROMOTION_PERIOD: Final = (2025, 2027)

Y_AXIS_EXTENT: Final = WEB.y_axis_extent  # fixed width of the y-axis labels (web profile)
_TREND_KEYS: Final = ("base_fy", "base_value", "target_fy", "target_value", "unit")
_DIRECTION_JA: Final = {
    "increase": "増加が目標",
    "decrease": "減少が目標",
    "maintain": "維持が目標",
}
_AGGREGATION_JA: Final = {"single_year": "単年度", "cumulative": "累計"}

_SERIES_ACTUAL: Final = "実績値"
_SERIES_EXPECTED: Final = "期待値（直線）"
_SERIES_BASE: Final = "基準値"
_SERIES_TARGET: Final = "目標値"
_SERIES: Final = (_SERIES_ACTUAL, _SERIES_EXPECTED, _SERIES_BASE, _SERIES_TARGET)
_SERIES_COLORS: Final = (OKABE_ITO["blue"], "#666666", OKABE_ITO["black"], OKABE_ITO["vermillion"])
_EXPECTED_DASH: Final = [7, 5]
_ACTUAL_SCHEMA: Final = {
    "fiscal_year": pl.Int64,
    "actual": pl.Float64,
    "is_sample": pl.Boolean,
    "series": pl.String,
    "年度": pl.String,
    "label": pl.String,
}


# --------------------------------------------------------------------------------------
# Deciding what to draw
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    """One observed actual as drawn."""

    fiscal_year: int
    actual: float
    is_sample: bool
    #: the number printed by the point; empty where it would repeat the base value's label
    label: str


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
    #: 推進期間 (first and last 年度) and its label (shortened when the band is narrow)
    period: tuple[int, int]
    period_label: str
    points: tuple[TrendPoint, ...]
    bands: tuple[float, float]
    caption: Caption
    #: the sizes the chart is laid out for
    profile: ChartProfile = WEB
    #: every （注） sentence of the chart (the user's first), shown or not in its footer
    note_parts: tuple[str, ...] = ()

    @property
    def decreasing(self) -> bool:
        """True when the target lies below the base (labels then sit to the right)."""
        return self.target[1] < self.base[1]


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


def _points(
    kpi: Mapping[str, Any], history: pl.DataFrame, base: tuple[int, float]
) -> tuple[TrendPoint, ...]:
    """The KPI's observed actuals, one per 年度 (a second value for a year is refused)."""
    require_columns(history, ("fiscal_year", "actual"), "history")
    if "kpi_id" in history.columns and kpi.get("kpi_id") is not None:
        history = history.filter(pl.col("kpi_id") == kpi["kpi_id"])
    duplicated = history.filter(pl.col("fiscal_year").is_duplicated())["fiscal_year"]
    if duplicated.len():
        years_text = "、".join(fiscal_year_text(y) for y in sorted(set(duplicated.to_list())))
        msg = f"history に同じ年度の実績が複数あります：{years_text}"
        raise ValueError(msg)
    shown = (
        history.select(
            pl.col("fiscal_year").cast(pl.Int64),
            pl.col("actual").cast(pl.Float64),
            (
                pl.col("is_sample").cast(pl.Boolean).fill_null(False)
                if "is_sample" in history.columns
                else pl.lit(False).alias("is_sample")
            ),
        )
        .sort("fiscal_year")
        .filter(pl.col("actual").is_not_null() & pl.col("actual").is_not_nan())
    )
    return tuple(
        TrendPoint(fy, actual, sample, "" if (fy, actual) == base else format_number(actual))
        for fy, actual, sample in shown.iter_rows()
    )


def _period_label(
    period: tuple[int, int], years: tuple[int, int], profile: ChartProfile = WEB
) -> str:
    """「推進期間（2025年度〜2027年度）」, or just 「推進期間」 when the band is too narrow."""
    start, end = period
    text = f"推進期間（{fiscal_year_text(start)}〜{fiscal_year_text(end)}）"
    band_px = profile.plot_width * (end - start + 1) / (years[1] - years[0] + 1)
    return "推進期間" if text_em(text) * profile.label_size + 12 > band_px else text


def _status_line(kpi: Mapping[str, Any], latest_fy: int | None, unit: str) -> str:
    fy = _kpi_value(kpi, "fiscal_year") or latest_fy
    actual = _kpi_value(kpi, "actual")
    grade = _kpi_value(kpi, "grade") if actual is not None else None
    grade = grade if grade in GRADES else UNGRADED
    year = fiscal_year_text(fy) if fy else ""  # a row without its 年度 says just 実績
    if actual is None:
        return f"{year}実績値なし｜評価：{UNGRADED}"
    progress = _kpi_value(kpi, "progress")
    pace = _kpi_value(kpi, "pace")
    parts = [f"{year}実績 {format_number(actual)}{unit}"]
    parts.append(f"進捗率 {progress:.1%}" if progress is not None else "進捗率 −")
    parts.append(f"ペース {pace:.2f}" if pace is not None else "ペース −")
    parts.append(f"評価：{grade}")
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


def _trend_note(
    note: str | None,
    base_fy: int,
    target_fy: int,
    period: tuple[int, int],
    bands: tuple[float, float],
) -> list[str]:
    """The user's （注） followed by how to read the chart and the band edges (sentences)."""
    start, end = period
    return note_parts(
        note,
        f"破線は基準値（{fiscal_year_text(base_fy)}）から目標値（{fiscal_year_text(target_fy)}）"
        "までを直線で結んだ各年度の期待値",
        f"網掛けは推進期間（{fiscal_year_text(start)}〜{fiscal_year_text(end)}）",
        "年度は4月〜翌年3月で、開始年で表示",
        band_note(bands),
    )


def plan_trend(
    kpi: Mapping[str, Any],
    history: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    bands: tuple[float, float] = (1.0, 0.6),
    period: tuple[int, int] = PROMOTION_PERIOD,
    profile: ChartProfile = WEB,
    omit_notes: Collection[str] = (),
) -> TrendPlan:
    """Check the inputs and decide what the trend chart shows (see :func:`kpi_trend_chart`).

    ``period`` is the 推進期間 shaded on the plot (first and last 年度). ``profile`` sets the
    sizes; （注） sentences in ``omit_notes`` are left out of the footer (a document prints
    them once, in its own note) but kept in :attr:`TrendPlan.note_parts`.
    """
    source = require_source(source)
    bands = check_bands(bands)
    check_bands_match_data(bands, kpi.get("band_on_track"), kpi.get("band_mostly"))
    base, target = _anchors(kpi)
    points = _points(kpi, history, base)
    every_year = [base[0], target[0], *period, *(p.fiscal_year for p in points)]
    years = (min(every_year), max(every_year))
    unit = str(kpi["unit"])
    aggregation = _AGGREGATION_JA.get(str(kpi.get("aggregation")), "")
    name = str(kpi.get("name") or "")
    title = display_text(str(kpi.get("short_name") or name or kpi.get("kpi_id") or ""))
    latest_fy = max(p.fiscal_year for p in points) if points else None
    parts = _trend_note(note, base[0], target[0], period, bands)
    shown = [p for p in parts if p not in omit_notes]
    caption = Caption.compose(
        title,
        [_status_line(kpi, latest_fy, unit), _identity_line(kpi, title, display_text(name))],
        source=source,
        note="（注）" + "".join(shown) if shown else "",
        is_sample=is_flagged(kpi.get("is_sample")) or any(p.is_sample for p in points),
        width_px=profile.text_width,
        profile=profile,
    )
    return TrendPlan(
        kpi_id=kpi.get("kpi_id"),
        unit=unit,
        y_title=f"{unit}（{aggregation}）" if aggregation else unit,
        base=base,
        target=target,
        years=years,
        period=period,
        period_label=_period_label(period, years, profile),
        points=points,
        bands=bands,
        caption=caption,
        profile=profile,
        note_parts=tuple(parts),
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


def _axes(plan: TrendPlan) -> _Axes:
    fy_min, fy_max = plan.years
    profile = plan.profile
    return _Axes(
        x_scale=alt.Scale(domain=[fy_min - 0.5, fy_max + 0.5], nice=False, zero=False),
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
        y_scale=alt.Scale(zero=False, nice=True, padding=26),
        y_axis=alt.Axis(
            title=plan.y_title,
            format=",~r",
            titleAngle=0,
            titleAlign="left",
            titleAnchor="end",
            titleY=-14,
            titleX=0,
            titleBaseline="bottom",
            minExtent=profile.y_axis_extent,
            maxExtent=profile.y_axis_extent,
        ),
    )


def _series_encodings(profile: ChartProfile = WEB) -> dict[str, Any]:
    """Shared color/shape/strokeDash encodings so the legend merges into one."""
    field = "series:N"
    legend = alt.Legend(
        title=None,
        orient="top",
        direction="horizontal",
        symbolStrokeWidth=2.5,
        symbolSize=140,
        labelFontSize=profile.label_size,
        offset=8,
    )
    domain = list(_SERIES)
    return {
        "color": alt.Color(
            field, scale=alt.Scale(domain=domain, range=list(_SERIES_COLORS)), legend=legend
        ),
        "shape": alt.Shape(
            field,
            scale=alt.Scale(domain=domain, range=["circle", "stroke", "diamond", "diamond"]),
            legend=legend,
        ),
        "strokeDash": alt.StrokeDash(
            field,
            scale=alt.Scale(domain=domain, range=[[1, 0], _EXPECTED_DASH, [1, 0], [1, 0]]),
            legend=legend,
        ),
    }


def _period_layers(plan: TrendPlan, axes: _Axes) -> list[alt.Chart]:
    """The shaded 推進期間 and its label at the top left of the band."""
    start, end = plan.period
    period = alt.Chart(
        pl.DataFrame({"start": [start - 0.5], "end": [end + 0.5], "label": [plan.period_label]})
    )
    rect = period.mark_rect(color=OKABE_ITO["yellow"], opacity=0.22).encode(
        x=axes.x("start:Q"), x2="end:Q"
    )
    label = period.mark_text(
        align="left", baseline="top", dx=6, dy=6, fontSize=plan.profile.label_size, color="#5A5200"
    ).encode(x="start:Q", y=alt.value(0), text="label:N")
    return [rect, label]


def _expected_layer(plan: TrendPlan, axes: _Axes, series: dict[str, Any]) -> alt.Chart:
    """The dashed straight path from the base value to the target value."""
    (base_fy, base_value), (target_fy, target_value) = plan.base, plan.target
    data = {
        "fiscal_year": [base_fy, target_fy],
        "value": [base_value, target_value],
        "series": [_SERIES_EXPECTED, _SERIES_EXPECTED],
    }
    return (
        alt.Chart(pl.DataFrame(data))
        .mark_line(strokeDash=_EXPECTED_DASH, strokeWidth=2)
        .encode(
            x=axes.x("fiscal_year:Q"),
            y=axes.y("value:Q"),
            color=series["color"],
            strokeDash=series["strokeDash"],
        )
    )


def _actual_base(plan: TrendPlan, axes: _Axes, series: dict[str, Any]) -> alt.Chart:
    rows = [
        (
            p.fiscal_year,
            p.actual,
            p.is_sample,
            _SERIES_ACTUAL,
            fiscal_year_text(p.fiscal_year),
            p.label,
        )
        for p in plan.points
    ]
    data = pl.DataFrame(rows, schema=_ACTUAL_SCHEMA, orient="row")
    return alt.Chart(data).encode(
        x=axes.x("fiscal_year:Q"),
        y=axes.y("actual:Q"),
        color=series["color"],
        tooltip=[alt.Tooltip("年度:N"), alt.Tooltip("actual:Q", title=f"実績値（{plan.unit}）")],
    )


def _actual_layers(plan: TrendPlan, base: alt.Chart, series: dict[str, Any]) -> list[alt.Chart]:
    """Line, points, and the value labels with their halo (halo first)."""
    # Labels sit on the side away from the incoming segment: upper right when falling.
    style: dict[str, Any] = {
        "align": "left" if plan.decreasing else "right",
        "dx": 7 if plan.decreasing else -7,
        "dy": -11,
        "fontSize": plan.profile.label_size,
    }
    return [
        base.mark_line(strokeWidth=2.5).encode(strokeDash=series["strokeDash"]),
        base.mark_point(filled=True, size=80, opacity=1).encode(shape=series["shape"]),
        base.mark_text(**style, **HALO).encode(text="label:N", color=alt.value("white")),
        base.mark_text(**style).encode(text="label:N", color=alt.value(OKABE_ITO["blue"])),
    ]


def _anchor_base(plan: TrendPlan, axes: _Axes, series: dict[str, Any]) -> alt.Chart:
    (base_fy, base_value), (target_fy, target_value) = plan.base, plan.target
    data = {
        "fiscal_year": [base_fy, target_fy],
        "value": [base_value, target_value],
        "series": [_SERIES_BASE, _SERIES_TARGET],
        "label": [f"基準値 {format_number(base_value)}", f"目標値 {format_number(target_value)}"],
        # base label on the side the path leaves from, target label beyond the end
        "offset": [-1.0, 1.0] if plan.decreasing else [1.0, -1.0],
    }
    return alt.Chart(pl.DataFrame(data)).encode(
        x=axes.x("fiscal_year:Q"), y=axes.y("value:Q"), color=series["color"]
    )


def _anchor_labels(anchors: alt.Chart, profile: ChartProfile = WEB) -> list[alt.Chart]:
    """基準値/目標値 labels below or above their diamonds, each with a halo first."""
    return [
        anchors.transform_filter(alt.datum.offset == side)
        .mark_text(
            baseline="top" if side > 0 else "bottom",
            dy=11 * side,
            fontSize=profile.label_size,
            **extra,
        )
        .encode(text="label:N", **enc)
        for side in (-1.0, 1.0)
        for extra, enc in ((HALO, {"color": alt.value("white")}), ({}, {}))
    ]


def trend_layers(plan: TrendPlan) -> list[alt.Chart]:
    """The plot's layers, back to front."""
    axes, series = _axes(plan), _series_encodings(plan.profile)
    actual_line, actual_points, *actual_labels = _actual_layers(
        plan, _actual_base(plan, axes, series), series
    )
    anchors = _anchor_base(plan, axes, series)
    layers = [
        *_period_layers(plan, axes),
        _expected_layer(plan, axes, series),
        actual_line,
        actual_points,
        anchors.mark_point(filled=True, size=130, opacity=1).encode(shape=series["shape"]),
        *actual_labels,
        *_anchor_labels(anchors, plan.profile),
    ]
    if plan.caption.is_sample:
        profile = plan.profile
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
    plot = alt.layer(*trend_layers(plan)).properties(
        width=profile.plot_width, height=profile.plot_height
    )
    caption = plan.caption
    meta = {
        "chart": "kpi_trend",
        "kpi_id": plan.kpi_id,
        "source": caption.source,
        "note": caption.note,
        "is_sample": caption.is_sample,
        "bands": list(plan.bands),
    }
    footer = footer_chart(caption.footer, profile.plot_width, profile.y_axis_extent, profile)
    return apply(framed([plot], footer, meta=meta, caption=caption), profile)


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
        One ``kpi_progress`` row (latest year): ``kpi_id``, ``name``, ``short_name``,
        ``strategy_id``, ``unit``, ``aggregation``, ``direction``, ``base_fy``,
        ``base_value``, ``target_fy``, ``target_value``, ``fiscal_year``, ``actual``,
        ``progress``, ``pace``, ``grade``, ``is_sample``.
    history
        Observed actuals (e.g. from ``kpi_actual``, not carried-forward values) with columns
        ``fiscal_year`` (int), ``actual`` (float) and optionally ``is_sample`` (bool). If it
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
