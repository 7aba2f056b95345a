"""The progress overview: every KPI's pace against the grade bands, grouped by strategy.

:func:`plan_overview` decides what to draw (an :class:`OverviewPlan`: one row per KPI with
its bar, label and text, the scale, ticks, band edges and the caption); :func:`draw_overview`
turns it into one bar panel per strategy above the footer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import altair as alt
import polars as pl

from ebpm.charts.marks import HALO, RULE_COLOR, dashed_rules, zero_rule
from ebpm.charts.text import (
    Caption,
    check_bands,
    check_bands_match_data,
    display_text,
    footer_chart,
    framed,
    is_flagged,
    note_text,
    require_columns,
    require_source,
    wrap_japanese,
)
from ebpm.charts.theme import AXIS_TITLE_SIZE, FONT_STACK, LABEL_SIZE, TEXT_COLOR
from ebpm.jp import fiscal_year_label
from ebpm.kpi import format_band, format_progress
from ebpm.kpi.display import points_text
from ebpm.kpi.grades import GRADE_STYLES, GRADES, NEUTRAL, OUTLINE, UNGRADED, grade_label
from ebpm.manifest import SAMPLE_LABEL

__all__ = ["OverviewPlan", "OverviewRow", "plan_overview", "progress_overview_chart"]

_REQUIRED: Final = ("kpi_id", "strategy_id", "pace", "progress", "grade", "actual")
_OPTIONAL: Final[dict[str, Any]] = {
    "short_name": None,
    "name": None,
    "strategy_name": None,
    "field_id": None,
    "field_name": None,
    "fiscal_year": None,
    "is_sample": False,
    "reason": None,
    "direction": None,
}
_ROW_SCHEMA: Final = {
    "kpi_id": pl.String,
    "strategy_id": pl.String,
    "group": pl.String,
    "row_label": pl.String,
    "pace": pl.Float64,
    "progress": pl.Float64,
    "grade": pl.String,
    "value_text": pl.String,
    "fiscal_year": pl.Int64,
    "is_sample": pl.Boolean,
}
#: ``_ROW_SCHEMA`` plus the bar: the columns of an :class:`OverviewRow`, in its order
_SCHEMA: Final = {**_ROW_SCHEMA, "pace_bar": pl.Float64}
PLOT_WIDTH: Final = 400
LABEL_WIDTH: Final = 300  # fixed width of the row labels, so the footer lines up
_STEP: Final = 24
_STEP_2LINES: Final = 36
_DEFAULT_TITLE: Final = "KPIの進捗状況（ペースと評価区分）"
_NO_ACTUAL: Final = "実績値がありません"


# --------------------------------------------------------------------------------------
# Deciding what to draw
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewRow:
    """One KPI as drawn: its bar (``pace_bar``, clipped to the scale), label and text."""

    kpi_id: str
    strategy_id: str
    #: the strategy panel the row belongs to (「戦略3-1 …（分野3 …）」)
    group: str
    row_label: str
    pace: float | None
    progress: float | None
    grade: str
    value_text: str
    fiscal_year: int | None
    is_sample: bool
    pace_bar: float | None


@dataclass(frozen=True)
class Zone:
    """A band name written above the first panel, centred at pace ``x``."""

    x: float
    label: str


@dataclass(frozen=True)
class OverviewPlan:
    """Everything the overview shows, decided before anything is drawn."""

    rows: tuple[OverviewRow, ...]
    #: strategy panels, top to bottom
    groups: tuple[str, ...]
    #: the pace scale (bars beyond it are clipped; their text keeps the value)
    domain: tuple[float, float]
    ticks: tuple[float, ...]
    #: band edges drawn as dashed rules (those inside the scale)
    edges: tuple[float, ...]
    zones: tuple[Zone, ...]
    bands: tuple[float, float]
    #: height of one row in px (taller when a label wraps)
    row_step: int
    caption: Caption


def _observed(frame: pl.DataFrame) -> pl.Expr:
    """True where the row's actual was observed in its own fiscal year."""
    observed = pl.col("actual").is_not_null() & pl.col("actual").cast(pl.Float64).is_not_nan()
    if isinstance(frame.schema.get("actual_years"), pl.List):
        # period averages / carried values: only years listed in actual_years count
        observed = observed & pl.col("actual_years").list.contains(pl.col("fiscal_year"))
    return observed


def _rows_of_latest_year(progress: pl.DataFrame) -> pl.DataFrame:
    """One row per KPI, all of one fiscal year: the latest with any observed actual.

    KPIs without a row in that year keep their definition but show no actual.
    """
    if "fiscal_year" not in progress.columns or progress["fiscal_year"].n_unique() <= 1:
        return progress.unique("kpi_id", keep="last", maintain_order=True)
    observed = progress.filter(_observed(progress))
    year = (observed if observed.height else progress)["fiscal_year"].max()
    at_year = progress.filter(pl.col("fiscal_year") == year).unique(
        "kpi_id", keep="last", maintain_order=True
    )
    rest = (
        progress.join(at_year.select("kpi_id"), on="kpi_id", how="anti")
        .sort("fiscal_year")
        .unique("kpi_id", keep="last", maintain_order=True)
        .with_columns(
            pl.lit(None, dtype=pl.Float64).alias("actual"),
            pl.lit(None, dtype=pl.Float64).alias("progress"),
            pl.lit(None, dtype=pl.Float64).alias("pace"),
            pl.lit(None, dtype=pl.String).alias("grade"),
            pl.lit(year).cast(progress.schema["fiscal_year"]).alias("fiscal_year"),
        )
    )
    if "reason" in rest.columns:
        rest = rest.with_columns(pl.lit(_NO_ACTUAL).alias("reason"))
    return pl.concat([at_year, rest], how="diagonal_relaxed")


def _is_number(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _value_text(r: Mapping[str, Any], grade: str, has_actual: bool) -> str:
    """「概ね順調：ペース 0.92・進捗率 45.8%」, 「変化なし（誤差の範囲）：基準値から …」,
    or 「評価不能：<reason>」 — every number as :func:`ebpm.kpi.format_progress` prints it."""
    if grade == UNGRADED:
        reason = r["reason"] or (_NO_ACTUAL if not has_actual else "")
        return f"{UNGRADED}：{reason}" if reason else UNGRADED
    text = format_progress({**r, "grade": grade})
    if grade == NEUTRAL and _is_number(r.get("survey_change")):
        margin = points_text(r["survey_margin"], signed=False)
        return (
            f"{grade}：基準値から {points_text(r['survey_change'])}ポイント"
            f"（誤差 ±{margin}）・計算上は{text.formula_grade}"
        )
    maintain = r.get("direction") == "maintain"  # graded on the target ratio, no pace
    pace = _is_number(r["pace"])
    parts = [f"ペース {text.pace}" if pace else ("維持目標" if maintain else "ペース −")]
    if _is_number(r["progress"]):
        parts.append(f"{'目標比' if maintain else '進捗率'} {text.progress}")
    averaged = "（期間平均）" if r.get("actual_basis") == "period_average" else ""
    return f"{grade}：" + "・".join(parts) + averaged


def _group_name(r: Mapping[str, Any]) -> str:
    """「戦略3-1 庁内業務のデジタルシフト（分野3 行政・職員のDX）」."""
    group = f"戦略{r['strategy_id']}"
    if r["strategy_name"]:
        group += f" {r['strategy_name']}"
    if r["field_name"]:
        field_id = r["field_id"]
        group += f"（分野{field_id} {r['field_name']}）" if field_id else f"（{r['field_name']}）"
    return display_text(group)


def _row_record(r: Mapping[str, Any]) -> dict[str, Any]:
    """One KPI row as shown; the grade is the warehouse's (評価不能 without an actual)."""
    has_actual = _is_number(r["actual"])
    grade = r["grade"] if has_actual and r["grade"] in GRADES else UNGRADED
    # no bar where the grade claims no direction (評価不能, a change within sampling error)
    pace = r["pace"] if has_actual and grade not in (UNGRADED, NEUTRAL) else None
    pace = None if pace is None or math.isnan(pace) else float(pace)
    strategy = str(r["strategy_id"])
    label_name = r["short_name"] or r["name"] or r["kpi_id"]
    label = display_text(f"{strategy} {label_name}")
    return {
        "kpi_id": str(r["kpi_id"]),
        "strategy_id": strategy,
        "group": _group_name(r),
        "row_label": "\n".join(wrap_japanese(label, LABEL_WIDTH - 16, LABEL_SIZE)),
        "pace": pace,
        "progress": r["progress"] if has_actual else None,
        "grade": grade,
        "value_text": _value_text(r, grade, has_actual),
        "fiscal_year": r["fiscal_year"],
        "is_sample": is_flagged(r["is_sample"]),
    }


def _domain(records: list[dict[str, Any]], on_track: float) -> tuple[float, float]:
    """Pace scale: from 0 (or −0.5 when a pace is negative) to past the 順調 edge."""
    paces = [r["pace"] for r in records if r["pace"] is not None and r["grade"] != UNGRADED]
    lo = 0.0 if all(p >= 0 for p in paces) else -0.5
    hi = max(1.5, on_track + 0.5) if all(p <= 1.5 for p in paces) else max(2.0, on_track + 1.0)
    return lo, hi


def _overview_rows(
    progress: pl.DataFrame, on_track: float
) -> tuple[tuple[OverviewRow, ...], tuple[float, float]]:
    """The shown rows, sorted by strategy number then KPI, and the pace scale."""
    require_columns(progress, _REQUIRED, "progress")
    frame = _rows_of_latest_year(progress)
    frame = frame.with_columns(
        pl.lit(v).alias(k) for k, v in _OPTIONAL.items() if k not in frame.columns
    )
    records = [_row_record(r) for r in frame.iter_rows(named=True)]
    lo, hi = _domain(records, on_track)
    out = pl.DataFrame(records, schema=_ROW_SCHEMA, orient="row").with_columns(
        pace_bar=pl.when(pl.col("grade") == UNGRADED)
        .then(None)
        .otherwise(pl.col("pace").clip(lo, hi)),
        _strategy_order=pl.col("strategy_id")
        .str.split("-")
        .list.eval(pl.element().cast(pl.Int64, strict=False)),
    )
    out = out.sort(["_strategy_order", "kpi_id"]).drop("_strategy_order")
    return tuple(OverviewRow(**r) for r in out.iter_rows(named=True)), (lo, hi)


def _ticks(lo: float, hi: float, on_track: float, roughly: float) -> tuple[float, ...]:
    """Scale ends, 0 and the band edges; 0.5 and 1.5 too where they do not crowd an edge."""
    ticks = {lo, 0.0, roughly, on_track, hi} | {
        t for t in (0.5, 1.5) if min(abs(t - roughly), abs(t - on_track)) > 0.25
    }
    return tuple(t for t in sorted(ticks) if lo <= t <= hi)


def _zones(lo: float, hi: float, on_track: float, roughly: float) -> tuple[Zone, ...]:
    return (
        Zone((max(lo, 0.0) + roughly) / 2, f"遅れ（<{format_band(roughly)}）"),
        Zone((roughly + on_track) / 2, "概ね順調"),
        Zone((on_track + hi) / 2, f"順調（≧{format_band(on_track)}）"),
    )


def _overview_caption(
    rows: tuple[OverviewRow, ...],
    domain: tuple[float, float],
    bands: tuple[float, float],
    *,
    source: str,
    note: str | None,
    title: str | None,
) -> Caption:
    is_sample = any(r.is_sample for r in rows)
    years = {r.fiscal_year for r in rows if r.fiscal_year is not None}  # one year, or none
    counts = {g: sum(r.grade == g for r in rows) for g in GRADES}
    summary = "・".join(f"{g} {n}" for g, n in counts.items() if n)
    when = f"{fiscal_year_label(max(years))}時点" if years else "各指標の最新年度"
    lo, hi = domain
    clipped = any(
        r.grade != UNGRADED and r.pace is not None and not lo <= r.pace <= hi for r in rows
    )
    extra = [f"＊は{SAMPLE_LABEL}"] if is_sample and not all(r.is_sample for r in rows) else []
    extra.append("棒はペース、破線は評価区分の境界")
    if clipped:
        extra.append(
            f"ペースが{format_band(lo)}〜{format_band(hi)}の範囲外の棒は端で切り詰め（数値は文字で表示）"
        )
    extra.append(check_bands(bands).describe())
    return Caption.compose(
        title or _DEFAULT_TITLE,
        [f"{when}｜{summary}（全{len(rows)}指標）"],
        source=source,
        note=note_text(note, *extra),
        is_sample=is_sample,
        width_px=PLOT_WIDTH + LABEL_WIDTH,
    )


def plan_overview(
    progress: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    bands: tuple[float, float] = (1.0, 0.6),
    title: str | None = None,
) -> OverviewPlan:
    """Check the inputs and decide what the overview shows (see :func:`progress_overview_chart`)."""
    source = require_source(source)
    edges = check_bands(bands)
    on_track, roughly = edges.on_track, edges.mostly
    if {"band_on_track", "band_mostly"} <= set(progress.columns):
        check_bands_match_data(
            edges,
            progress["band_on_track"].unique().sort().to_list(),
            progress["band_mostly"].unique().sort().to_list(),
        )
    rows, (lo, hi) = _overview_rows(progress, on_track)
    if not rows:
        msg = "progress に表示するKPIの行がありません。"
        raise ValueError(msg)
    if any(r.is_sample for r in rows) and not all(r.is_sample for r in rows):
        rows = tuple(
            dataclasses.replace(r, row_label=r.row_label + "＊") if r.is_sample else r for r in rows
        )
    return OverviewPlan(
        rows=rows,
        groups=tuple(dict.fromkeys(r.group for r in rows)),
        domain=(lo, hi),
        ticks=_ticks(lo, hi, on_track, roughly),
        edges=tuple(e for e in (roughly, on_track) if lo <= e <= hi),
        zones=_zones(lo, hi, on_track, roughly),
        bands=(on_track, roughly),
        row_step=_STEP_2LINES if any("\n" in r.row_label for r in rows) else _STEP,
        caption=_overview_caption(
            rows, (lo, hi), (on_track, roughly), source=source, note=note, title=title
        ),
    )


# --------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------


def _symbol_expr() -> str:
    """A Vega expression that prefixes each grade with its symbol (「○ 順調」)."""
    expr = "datum.label"
    for grade in reversed(GRADES):
        expr = f"datum.label === '{grade}' ? '{grade_label(grade)}' : ({expr})"
    return expr


def _grade_color() -> alt.Color:
    """Fill by grade from the one palette; the legend pairs each colour with its symbol."""
    return alt.Color(
        "grade:N",
        scale=alt.Scale(domain=list(GRADES), range=[GRADE_STYLES[g].fill for g in GRADES]),
        legend=alt.Legend(
            title="評価",
            orient="top",
            direction="horizontal",
            columns=4,
            labelFontSize=LABEL_SIZE,
            labelExpr=_symbol_expr(),
            symbolType="square",
            symbolSize=160,
            symbolStrokeColor=OUTLINE,
            symbolStrokeWidth=1,
            offset=12,
        ),
    )


def _row_axis() -> alt.Axis:
    """Row labels in a fixed-width column, split on the line breaks of the wrapped label."""
    return alt.Axis(
        title=None,
        labelExpr="split(datum.label, '\\n')",
        labelLimit=LABEL_WIDTH - 10,
        labelFontSize=LABEL_SIZE,
        labelPadding=8,
        ticks=False,
        domain=False,
        minExtent=LABEL_WIDTH,
        maxExtent=LABEL_WIDTH,
    )


def _pace_axis(plan: OverviewPlan, last: bool) -> alt.Axis:
    """The pace axis; only the bottom panel shows its labels and title."""
    return alt.Axis(
        values=list(plan.ticks),
        format=".1f",
        title="ペース（進捗率÷期待される進捗率）" if last else None,
        labels=last,
        ticks=last,
        domain=last,
        labelOverlap=False,
    )


def _bars_and_texts(plan: OverviewPlan, base: alt.Chart, x: Any) -> list[alt.Chart]:
    """Pace bars coloured by grade, then each row's text (halo first) right of its bar."""
    # A dark outline keeps the lighter fills (遅れ) visible on white (WCAG 1.4.11).
    bars = base.mark_bar(height={"band": 0.62}, stroke=OUTLINE, strokeWidth=1).encode(
        x=x("pace_bar:Q"),
        x2=alt.datum(0),
        color=_grade_color(),
        tooltip=[
            alt.Tooltip("kpi_id:N", title="KPI"),
            alt.Tooltip("row_label:N", title="指標"),
            alt.Tooltip("grade:N", title="評価"),
            alt.Tooltip("pace:Q", title="ペース", format=".2f"),
            alt.Tooltip("progress:Q", title="進捗率", format=".1%"),
        ],
    )
    lo, _ = plan.domain
    text_base = base.transform_calculate(
        text_x=f"isValid(datum.pace_bar) ? max(datum.pace_bar, 0) : {max(lo, 0.0)}"
    ).encode(x=x("text_x:Q"), text=alt.Text("value_text:N"))
    style: dict[str, Any] = {"align": "left", "dx": 5, "fontSize": LABEL_SIZE - 1}
    halo = text_base.mark_text(**style, color="white", **HALO)
    return [bars, halo, text_base.mark_text(**style, color=TEXT_COLOR)]


def _zone_labels(plan: OverviewPlan, x: Any) -> alt.Chart:
    zones = pl.DataFrame({"x": [z.x for z in plan.zones], "zone": [z.label for z in plan.zones]})
    return (
        alt.Chart(zones)
        .mark_text(baseline="bottom", dy=-4, fontSize=LABEL_SIZE - 1, color=RULE_COLOR)
        .encode(x=x("x:Q"), y=alt.YValue(0), text=alt.Text("zone:N"))
    )


def _panel(plan: OverviewPlan, index: int) -> alt.LayerChart | alt.FacetChart:
    """One strategy's rows: band edges, bars, texts (zone names over the first panel)."""
    group = plan.groups[index]
    scale = alt.Scale(domain=list(plan.domain), clamp=True, nice=False, zero=True)
    axis = _pace_axis(plan, last=index == len(plan.groups) - 1)

    def x(field: str) -> alt.X:
        return alt.X(field, scale=scale, axis=axis)

    shown = [r for r in plan.rows if r.group == group]
    rows = pl.DataFrame([dataclasses.astuple(r) for r in shown], orient="row", schema=_SCHEMA)
    base = alt.Chart(rows).encode(
        y=alt.Y("row_label:N", sort=[r.row_label for r in shown], axis=_row_axis())
    )
    layers = [dashed_rules("edge", list(plan.edges), x("edge:Q")), *_bars_and_texts(plan, base, x)]
    if plan.domain[0] < 0:
        layers.insert(0, zero_rule(x("zero:Q")))
    if index == 0:
        layers.append(_zone_labels(plan, x))
    title = alt.Title(
        group,
        anchor="start",
        frame="bounds",
        fontSize=AXIS_TITLE_SIZE,
        fontWeight="bold",
        font=FONT_STACK,
        offset=22 if index == 0 else 6,
    )
    return alt.layer(*layers, width=PLOT_WIDTH, height=alt.Step(plan.row_step), title=title)


def draw_overview(plan: OverviewPlan) -> alt.VConcatChart:
    """One bar panel per strategy above the footer, under the title."""
    caption = plan.caption
    on_track, roughly = plan.bands
    meta = {
        "chart": "progress_overview",
        "source": caption.source,
        "note": caption.note,
        "is_sample": caption.is_sample,
        "bands": [on_track, roughly],
    }
    panels = [_panel(plan, i) for i in range(len(plan.groups))]
    footer = footer_chart(caption.footer, PLOT_WIDTH, LABEL_WIDTH)
    shared = alt.Resolve(scale=alt.ScaleResolveMap(color="shared", x="shared"))
    return framed(panels, footer, meta=meta, caption=caption, spacing=14, resolve=shared)


def progress_overview_chart(
    progress: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    bands: tuple[float, float] = (1.0, 0.6),
    title: str | None = None,
) -> alt.VConcatChart:
    """Pace of every KPI against the grade bands, grouped by strategy.

    Parameters
    ----------
    progress
        ``kpi_progress`` rows (one per KPI, or several years: the latest year with an
        actual is shown). Needs ``kpi_id``, ``strategy_id``, ``pace``, ``progress``,
        ``grade``, ``actual``; uses ``short_name``/``name``, ``strategy_name``,
        ``field_id``, ``field_name``, ``fiscal_year`` and ``is_sample`` when present.
    source
        The 出典 line, printed verbatim under the chart (required).
    note
        Extra （注） text; the band edges are always appended.
    bands
        Lower pace edges of (順調, 概ね順調), drawn as dashed rules and printed in the note.
        Must equal ``band_on_track``/``band_mostly`` when those columns are present.
    title
        Chart title; default 「KPIの進捗状況（ペースと評価区分）」.

    Returns
    -------
    alt.VConcatChart
        One bar panel per strategy (rows ``"3-1 コピー用紙購入枚数"``) above a footer.
        KPIs without an actual are shown as 評価不能 with no bar.
    """
    plan = plan_overview(progress, source=source, note=note, bands=bands, title=title)
    return draw_overview(plan)
