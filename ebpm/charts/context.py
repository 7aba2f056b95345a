"""Context charts: the city beside the prefecture, the nation and its peers (national data).

Three builders, each in two steps as elsewhere in :mod:`ebpm.charts`: a ``plan_*`` function
checks the rows read from the warehouse and decides, as data, what is drawn (values, gaps,
axis, labels and the composed :class:`~ebpm.charts.text.Caption`); a ``draw_*`` function
turns the plan into layers. Tests read the plans without rendering.

``population``  the census population of one municipality, 1970–2020, with preliminary counts
                (速報値) drawn hollow and labelled, and re-based counts shown where they differ
``fiscal``      one fiscal indicator by 年度: the city, its prefecture's mean, the national
                mean, and the peer group (median line inside a minimum–maximum band)
``position``    the city among every municipality in one 年度: a histogram per indicator
                with the city's bin marked and its rank stated

Rules every context chart follows
---------------------------------
- A value that is missing (a published mark such as 「－」, or a blank) is a gap: never drawn
  as zero, never bridged by a line, and counted in the （注）.
- Census years are labelled 年, fiscal years 年度 (the Western start year).
- Value axes follow the one rule of :func:`ebpm.charts.axes.y_axis` (zero, or a cut marked by
  :func:`ebpm.charts.marks.axis_break` and stated in the （注）). The population axis starts at
  zero by choice; a fiscal ratio in % may pass 100 (経常収支比率 102.6, 将来負担比率 285.7),
  so the rule is asked without the unit's 100 % ceiling.
- 出典 comes from the provenance records of the files the rows came from; the peer rule,
  series names, boundaries and preliminary labels come from the rows themselves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import altair as alt
import polars as pl

from ebpm.charts.axes import YAxis, cut_note, nice_step, y_axis
from ebpm.charts.marks import HALO, RULE_COLOR, axis_break
from ebpm.charts.text import (
    Caption,
    footer_chart,
    framed,
    note_text,
    require_columns,
    require_source,
)
from ebpm.charts.theme import LABEL_SIZE, OKABE_ITO, PLOT_HEIGHT, PLOT_WIDTH, value_axis
from ebpm.charts.trend import Y_AXIS_EXTENT
from ebpm.jp import format_fixed, shortest_decimals

__all__ = [
    "CensusPoint",
    "FiscalPlan",
    "FiscalPoint",
    "PeerRange",
    "PopulationPlan",
    "PositionBin",
    "PositionPanel",
    "PositionPlan",
    "draw_fiscal",
    "draw_population",
    "draw_position",
    "fiscal_chart",
    "plan_fiscal",
    "plan_population",
    "plan_position",
    "population_chart",
    "position_chart",
    "years_text",
]

#: The census series that re-counts an earlier census within later borders (組替).
REBASED_SERIES: Final = "census_2015_rebased_2010"
PRELIMINARY: Final = "速報値"
_POSITION_BINS: Final = 50
_PANEL_HEIGHT: Final = 90

_CITY_COLOR: Final = OKABE_ITO["blue"]
_PREFECTURE_COLOR: Final = OKABE_ITO["orange"]
_NATION_COLOR: Final = "#444444"
_PEER_COLOR: Final = OKABE_ITO["bluish_green"]
_OTHER_BIN_COLOR: Final = "#B8B8B8"
_DASHES: Final = ([1, 0], [7, 4], [2, 3], [1, 0])  # city, prefecture, nation, peer median


# --------------------------------------------------------------------------------------
# Shared pieces: numbers, years, gaps and the value axis
# --------------------------------------------------------------------------------------


def decimals_of(values: Iterable[float | None], cap: int = 2) -> int:
    """How many decimals the published values carry (the most any value has, up to ``cap``).

    The tables store numbers, not their text, so the decimals are those of each value's
    shortest form (:func:`ebpm.jp.shortest_decimals`); over a whole column this recovers
    the published precision (財政力指数 0.43 → 2 decimals, so 0.40 prints as 0.40).

    >>> decimals_of([0.43, 0.4, 1.0]), decimals_of([90.6, 88.0]), decimals_of([48816.0])
    (2, 1, 0)
    """
    found = [shortest_decimals(float(v)) for v in values if v is not None and v == v]
    return min(max(found, default=0), cap)


def number_text(value: float | None, decimals: int) -> str:
    """``0.40`` / ``89.4`` / ``48,816``: :func:`ebpm.jp.format_fixed` (half-up); − if missing."""
    return format_fixed(value, decimals)


def median_text(value: float | None, decimals: int) -> str:
    """A median keeps one more decimal when it falls between two published values."""
    if value is None or value != value:
        return format_fixed(None, decimals)
    extra = 1 if shortest_decimals(float(value)) > decimals else 0
    return number_text(value, decimals + extra)


def years_text(years: Sequence[int], suffix: str, step: int = 1) -> str:
    """Years as runs: ``2005〜2007・2010年度`` (``suffix`` 年 or 年度; census ``step`` 5).

    >>> years_text([2005, 2006, 2007, 2010], "年度")
    '2005〜2007・2010年度'
    >>> years_text([1970, 1975, 1980, 2020], "年", step=5)
    '1970〜1980・2020年'
    """
    ordered = sorted(set(years))
    runs: list[list[int]] = []
    for year in ordered:
        if runs and year == runs[-1][-1] + step:
            runs[-1].append(year)
        else:
            runs.append([year])
    parts = [f"{r[0]}" if len(r) == 1 else f"{r[0]}〜{r[-1]}" for r in runs]
    return "・".join(parts) + suffix if parts else ""


def segments(years: Sequence[int], present: Sequence[bool], step: int = 1) -> list[int]:
    """A segment number per year: consecutive years with values share one, a gap starts anew.

    Lines are drawn per segment, so they never bridge a missing year.

    >>> segments([2005, 2006, 2007, 2009], [True, False, True, True])
    [0, 1, 2, 3]
    >>> segments([2005, 2006, 2007], [True, True, True])
    [0, 0, 0]
    """
    out: list[int] = []
    current, previous = 0, None
    for year, has_value in zip(years, present, strict=True):
        if previous is not None and (not has_value or year - previous != step):
            current += 1
        out.append(current)
        previous = year if has_value else None
        if not has_value:
            current += 1
    return out


def _floor_to(value: float, step: float) -> float:
    return math.floor(value / step + 1e-9) * step


def _ceil_to(value: float, step: float) -> float:
    return math.ceil(value / step - 1e-9) * step


def fiscal_axis(values: Iterable[float | None]) -> YAxis:
    """The value axis of a fiscal indicator: :func:`ebpm.charts.axes.y_axis` on every value
    drawn (lines and band edges), negative values allowed when there are some, and no 100 %
    ceiling (ratios such as 将来負担比率 run past 100 %).

    >>> fiscal_axis([78.3, 89.4, 102.6])
    YAxis(domain=(65.0, 110.0), cut=True, integer=False)
    >>> fiscal_axis([0.23, 0.36, 0.8])
    YAxis(domain=(0.0, 0.9), cut=False, integer=False)
    """
    numbers = [float(v) for v in values if v is not None and v == v]
    return y_axis(numbers, unit="", nonnegative=all(v >= 0 for v in numbers))


def cut_sentence(axis: YAxis, unit: str, decimals: int) -> str | None:
    """The （注） sentence of a cut axis (:func:`ebpm.charts.axes.cut_note`), or None."""
    start = number_text(axis.domain[0], decimals_of([axis.domain[0]], decimals))
    return cut_note(axis, unit, start)


def _unit_suffix(unit: str | None) -> str:
    return f"（{unit}）" if unit else ""


def _meta(chart: str, caption: Caption, **extra: Any) -> dict[str, Any]:
    return {
        "chart": chart,
        "source": caption.source,
        "note": caption.note,
        "is_sample": caption.is_sample,
        **extra,
    }


def _y_axis(title: str, axis_format: str) -> alt.Axis:
    return value_axis(title, extent=Y_AXIS_EXTENT, format=axis_format)


def _national_caption(
    title: str,
    subtitle: list[str],
    *,
    source: str,
    note: str | None,
    extra: Iterable[str | None],
    credits: Sequence[str],
) -> Caption:
    """The caption of a chart of national data: the user's note, the chart's sentences
    (None: nothing to say) and the verbatim credits, in this order; never sample data."""
    return Caption.compose(
        title,
        subtitle,
        source=source,
        note=note_text(note, *(e for e in extra if e), *credits),
        is_sample=False,
        width_px=PLOT_WIDTH + Y_AXIS_EXTENT,
    )


# --------------------------------------------------------------------------------------
# Population (census years 年)
# --------------------------------------------------------------------------------------

_CENSUS_COLUMNS: Final = (
    "area_code",
    "name",
    "year",
    "population",
    "marker",
    "status",
    "is_preliminary",
    "series",
    "series_label",
    "boundary",
)


@dataclass(frozen=True)
class CensusPoint:
    """One census count as drawn (``population`` None: a published mark, drawn as a gap)."""

    year: int
    population: int | None
    marker: str | None
    status: str
    series: str
    series_label: str
    boundary: str
    #: consecutive census years with counts share a segment; a gap starts a new one
    segment: int
    #: printed by the point ('' for none)
    label: str


@dataclass(frozen=True)
class PopulationPlan:
    """Everything the population chart shows, decided before anything is drawn."""

    area_code: str
    area_name: str
    #: the final counts (確定値), one per census year: the line
    points: tuple[CensusPoint, ...]
    #: preliminary counts (速報値): hollow points labelled 速報値
    preliminary: tuple[CensusPoint, ...]
    #: counts re-based to later borders (組替) that differ from the line's value that year
    rebased: tuple[CensusPoint, ...]
    #: re-based counts equal to the line's value (said in the note, not drawn twice)
    rebased_same: tuple[CensusPoint, ...]
    years: tuple[int, int]
    axis: YAxis
    #: census years whose count is a mark instead of a number
    gaps: tuple[int, ...]
    #: years between two censuses
    step: int
    caption: Caption

    def describe(self) -> str:
        """A Japanese text alternative: first and last counts, the preliminary ones named."""
        shown = [p for p in self.points if p.population is not None]
        parts = [f"{self.area_name}の国勢調査人口（{self.years[0]}〜{self.years[1]}年）。"]
        if shown:
            first, last = shown[0], shown[-1]
            parts.append(
                f"{first.year}年 {first.population:,}人、{last.year}年 {last.population:,}人（確定値）"
            )
        for point in self.preliminary:
            if point.population is not None:
                parts.append(f"、{point.year}年 {point.population:,}人（{PRELIMINARY}）")
        parts.append("。")
        if self.gaps:
            parts.append(f"{years_text(self.gaps, '年', self.step)}は値がありません。")
        return "".join(parts)


def _census_point(row: dict[str, Any], segment: int, label: str) -> CensusPoint:
    return CensusPoint(
        year=int(row["year"]),
        population=None if row["population"] is None else int(row["population"]),
        marker=row["marker"],
        status=str(row["status"]),
        series=str(row["series"]),
        series_label=str(row["series_label"]),
        boundary=str(row["boundary"]),
        segment=segment,
        label=label,
    )


def _final_points(final: pl.DataFrame, step: int) -> tuple[CensusPoint, ...]:
    repeated = final.filter(pl.col("year").is_duplicated())["year"].unique().sort().to_list()
    if repeated:
        raise ValueError(
            f"国勢調査の確定値が同じ年に複数の系列であります：{years_text(repeated, '年')}"
            "（組替の系列は census_2015_rebased_2010 として分けてください）"
        )
    rows = final.sort("year").to_dicts()
    present = [r["population"] is not None for r in rows]
    segs = segments([int(r["year"]) for r in rows], present, step)
    numbered = [i for i, ok in enumerate(present) if ok]
    labelled = {numbered[0], numbered[-1]} if numbered else set()
    return tuple(
        _census_point(r, s, f"{r['population']:,}" if i in labelled else "")
        for i, (r, s) in enumerate(zip(rows, segs, strict=True))
    )


def _boundary_sentences(points: Sequence[CensusPoint], step: int) -> list[str]:
    """「1970〜2010年は2014年4月1日現在の市区町村の区域による人口」, one per boundary."""
    by_boundary: dict[str, list[int]] = {}
    for point in points:
        by_boundary.setdefault(point.boundary, []).append(point.year)
    return [f"{years_text(years, '年', step)}は{b}による人口" for b, years in by_boundary.items()]


def _rebased_sentence(
    rebased: Sequence[CensusPoint], same: Sequence[CensusPoint], points: Sequence[CensusPoint]
) -> list[str]:
    line = {p.year: p for p in points}
    out = []
    for point in same:
        other = line[point.year]
        out.append(
            f"{point.series_label}も{point.population:,}人で、"
            f"グラフの{point.year}年の値（{other.boundary}による）と同じ"
        )
    for point in rebased:
        found = line.get(point.year)
        against = (
            f"。グラフの{point.year}年の線上の値 {found.population:,}人は{found.boundary}による"
            if found is not None and found.population is not None
            else ""
        )
        out.append(f"◇は{point.series_label}（{point.population:,}人）{against}")
    return out


def plan_population(
    rows: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    credits: Sequence[str] = (),
    step: int = 5,
) -> PopulationPlan:
    """Check the census rows of one municipality and decide what the chart shows.

    Parameters
    ----------
    rows
        ``national_census_population`` rows of one area (every series), e.g. from
        :meth:`ebpm.warehouse.Warehouse.census_population`.
    source
        The 出典 line (from the provenance of the rows' files).
    note
        Extra （注） text; boundaries, the preliminary label, the re-based value and the
        gaps are always added.
    credits
        Credits that must be shown verbatim (e.g. the e-Stat API notice), last in the （注）.
    step
        Years between two censuses: a longer distance is drawn as a gap.
    """
    source = require_source(source)
    area_code = _check_census(rows)
    name = str(rows["name"].drop_nulls()[0])
    points = _final_points(
        rows.filter(~pl.col("is_preliminary") & (pl.col("series") != REBASED_SERIES)), step
    )
    rebased, same = _rebased_points(rows, points)
    prelim = _preliminary_points(rows)
    gaps = tuple(p.year for p in (*points, *prelim) if p.population is None)
    every_year = [p.year for p in (*points, *prelim, *rebased)]
    years = (min(every_year), max(every_year))
    counts = [p.population for p in (*points, *prelim, *rebased)]
    caption = _national_caption(
        f"{name}の人口の推移（{years[0]}〜{years[1]}年、国勢調査）",
        _population_subtitle(points, prelim),
        source=source,
        note=note,
        extra=_population_notes(points, prelim, rebased, same, gaps, step),
        credits=credits,
    )
    return PopulationPlan(
        area_code=area_code,
        area_name=name,
        points=points,
        preliminary=prelim,
        rebased=rebased,
        rebased_same=same,
        years=years,
        axis=y_axis([0.0, *(float(c) for c in counts if c is not None)], unit="人"),
        gaps=gaps,
        step=step,
        caption=caption,
    )


def _check_census(rows: pl.DataFrame) -> str:
    """The area code of census rows that hold one municipality."""
    require_columns(rows, _CENSUS_COLUMNS, "国勢調査の人口")
    if rows.height == 0:
        raise ValueError("国勢調査の人口の行がありません")
    codes = rows["area_code"].unique().to_list()
    if len(codes) != 1:
        raise ValueError(
            f"1つの団体の行を渡してください（団体コード：{', '.join(map(str, codes))}）"
        )
    return str(codes[0])


def _rebased_points(
    rows: pl.DataFrame, points: Sequence[CensusPoint]
) -> tuple[tuple[CensusPoint, ...], tuple[CensusPoint, ...]]:
    """Re-based counts (組替) that differ from the line's value that year, and those equal."""
    rebased_rows = rows.filter(~pl.col("is_preliminary") & (pl.col("series") == REBASED_SERIES))
    line = {p.year: p.population for p in points}
    rebased_all = [_census_point(r, -1, "") for r in rebased_rows.sort("year").to_dicts()]
    rebased = tuple(
        p for p in rebased_all if p.population is not None and line.get(p.year) != p.population
    )
    same = tuple(
        p for p in rebased_all if p.population is not None and line.get(p.year) == p.population
    )
    return rebased, same


def _preliminary_points(rows: pl.DataFrame) -> tuple[CensusPoint, ...]:
    """Preliminary counts (速報値), each labelled as such."""
    return tuple(
        _census_point(
            r,
            -1,
            "" if r["population"] is None else f"{r['population']:,}人（{PRELIMINARY}）",
        )
        for r in rows.filter(pl.col("is_preliminary")).sort("year").to_dicts()
    )


def _population_notes(
    points: Sequence[CensusPoint],
    prelim: Sequence[CensusPoint],
    rebased: Sequence[CensusPoint],
    same: Sequence[CensusPoint],
    gaps: Sequence[int],
    step: int,
) -> list[str]:
    """Boundaries, preliminary and re-based counts, gaps and the axis, one sentence each."""
    line = {p.year: p.population for p in points}
    extra = [*_boundary_sentences(points, step)]
    for point in prelim:
        final_that_year = line.get(point.year)
        both = f"。同じ年の確定値は{final_that_year:,}人" if final_that_year is not None else ""
        extra.append(f"白抜きの点は{point.year}年の{PRELIMINARY}（{point.series_label}）{both}")
    extra += _rebased_sentence(rebased, same, points)
    if gaps:
        extra.append(
            f"{years_text(gaps, '年', step)}は原表が記号（{_marks(points, prelim)}）"
            "で値がないため空白"
        )
    extra.append("人口の縦軸は0から")
    return extra


def _population_subtitle(points: Sequence[CensusPoint], prelim: Sequence[CensusPoint]) -> list[str]:
    """The latest final count, and a newer preliminary one (none without counts)."""
    last = next((p for p in reversed(points) if p.population is not None), None)
    newest = next((p for p in reversed(prelim) if p.population is not None), None)
    subtitle = []
    if last is not None:
        subtitle.append(f"{last.year}年 {last.population:,}人（確定値）")
    if newest is not None and (last is None or newest.year > last.year):
        subtitle.append(f"{newest.year}年 {newest.population:,}人（{PRELIMINARY}）")
    return ["｜".join(subtitle)] if subtitle else []


def _marks(*groups: Sequence[CensusPoint]) -> str:
    found = sorted({p.marker or "空欄" for group in groups for p in group if p.population is None})
    return "・".join(f"「{m}」" if m != "空欄" else m for m in found)


_POP_SCHEMA: Final = {
    "year": pl.Int64,
    "population": pl.Float64,
    "segment": pl.Int64,
    "label": pl.String,
    "kind": pl.String,
}
_KIND_FINAL, _KIND_PRELIMINARY, _KIND_REBASED = "確定値", "速報値", "組替"


def _population_frame(points: Sequence[CensusPoint], kind: str) -> pl.DataFrame:
    rows = [
        (p.year, float(p.population), p.segment, p.label, kind)
        for p in points
        if p.population is not None
    ]
    return pl.DataFrame(rows, schema=_POP_SCHEMA, orient="row")


def _connector(plan: PopulationPlan) -> pl.DataFrame:
    """Dashed segments from the last final count before each preliminary one (same year: none)."""
    finals = {p.year: p.population for p in plan.points if p.population is not None}
    rows = []
    for i, point in enumerate(plan.preliminary):
        if point.population is None or point.year in finals:
            continue
        before = [year for year in finals if year < point.year]
        if before:
            rows += [
                (max(before), float(finals[max(before)]), i, "", _KIND_PRELIMINARY),
                (point.year, float(point.population), i, "", _KIND_PRELIMINARY),
            ]
    return pl.DataFrame(rows, schema=_POP_SCHEMA, orient="row")


def draw_population(plan: PopulationPlan) -> alt.VConcatChart:
    """The population plot above its 出典/注 footer (see :func:`population_chart`)."""
    first, last = plan.years
    x = alt.X(
        "year:Q",
        scale=alt.Scale(domain=[first - 2, last + 2], nice=False, zero=False),
        axis=alt.Axis(
            values=list(range(first, last + 1, 5)),
            labelExpr="datum.value + '年'",
            title=None,
            grid=False,
            labelFontSize=LABEL_SIZE,
        ),
    )
    y = alt.Y(
        "population:Q",
        scale=alt.Scale(domain=list(plan.axis.domain), nice=False, zero=True),
        axis=_y_axis("人", ",d"),
    )
    styles = {  # colour, shape, fill of each kind of count; only the kinds drawn are listed
        _KIND_FINAL: (_CITY_COLOR, "circle", _CITY_COLOR, plan.points),
        _KIND_PRELIMINARY: (_CITY_COLOR, "circle", "white", plan.preliminary),
        _KIND_REBASED: (OKABE_ITO["vermillion"], "diamond", OKABE_ITO["vermillion"], plan.rebased),
    }
    kinds = [k for k, v in styles.items() if any(p.population is not None for p in v[3])]
    legend = alt.Legend(title=None, orient="top", direction="horizontal", labelFontSize=LABEL_SIZE)
    color, shape, fill = (
        channel(
            "kind:N",
            scale=alt.Scale(domain=kinds, range=[styles[k][i] for k in kinds]),
            legend=legend,
        )
        for i, channel in enumerate((alt.Color, alt.Shape, alt.Fill))
    )
    final = alt.Chart(_population_frame(plan.points, _KIND_FINAL))
    prelim = alt.Chart(_population_frame(plan.preliminary, _KIND_PRELIMINARY))
    rebased = alt.Chart(_population_frame(plan.rebased, _KIND_REBASED))
    tooltip = [
        alt.Tooltip("year:Q", title="年"),
        alt.Tooltip("population:Q", title="人口", format=",d"),
    ]
    # final counts labelled above their points, preliminary ones below and to the left
    label_styles = (
        (final, {"dy": -12, "fontSize": LABEL_SIZE, "align": "center"}),
        (prelim, {"dy": 16, "dx": 4, "fontSize": LABEL_SIZE, "align": "right"}),
    )
    layers = [
        final.mark_line(strokeWidth=2.5, color=_CITY_COLOR).encode(
            x=x, y=y, detail=alt.Detail("segment:N")
        ),
        alt.Chart(_connector(plan))
        .mark_line(strokeWidth=2, strokeDash=[5, 4], color=_CITY_COLOR)
        .encode(x=x, y=y, detail=alt.Detail("segment:N")),
        *(
            chart.mark_point(size=70, opacity=1, strokeWidth=2).encode(
                x=x, y=y, color=color, shape=shape, fill=fill, tooltip=tooltip
            )
            for chart in (final, prelim, rebased)
        ),
        *(
            chart.mark_text(**style, **extra).encode(
                x=x, y=y, text=alt.Text("label:N"), color=alt.ColorValue(c)
            )
            for chart, style in label_styles
            for extra, c in ((HALO, "white"), ({}, "#222222"))
        ),
    ]
    plot = alt.layer(*layers, width=PLOT_WIDTH, height=PLOT_HEIGHT)
    footer = footer_chart(plan.caption.footer, PLOT_WIDTH, Y_AXIS_EXTENT)
    meta = _meta(
        "context_population",
        plan.caption,
        area_code=plan.area_code,
        preliminary_years=[p.year for p in plan.preliminary],
        gaps=list(plan.gaps),
    )
    return framed([plot], footer, meta=meta, caption=plan.caption)


def population_chart(
    rows: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    credits: Sequence[str] = (),
) -> alt.VConcatChart:
    """The census population of one municipality, 1970–2020, with 速報値 marked.

    Parameters
    ----------
    rows
        ``national_census_population`` rows of one area (all series).
    source
        The 出典 line, printed verbatim under the chart (required).
    note
        Extra （注） text; boundaries, the preliminary label, the re-based value and gaps are
        always added.
    credits
        Credits that must be shown verbatim (e.g. the e-Stat API notice), last in the （注）.
    """
    return draw_population(plan_population(rows, source=source, note=note, credits=credits))


# --------------------------------------------------------------------------------------
# One fiscal indicator by 年度: city, prefecture, nation, peers
# --------------------------------------------------------------------------------------

_COMPARISON_COLUMNS: Final = (
    "fiscal_year",
    "indicator_id",
    "indicator",
    "unit",
    "target_name",
    "target_value",
    "target_marker",
    "target_note",
    "prefecture_mean_name",
    "prefecture_mean",
    "prefecture_mean_marker",
    "national_mean",
    "national_mean_marker",
    "peer_median",
    "peer_min",
    "peer_max",
    "peer_n",
    "peer_n_marked",
    "n_peers",
    "peer_rule",
)
_NATION_NAME: Final = "全国（市町村平均）"


@dataclass(frozen=True)
class FiscalPoint:
    """One series' value in one 年度 (``value`` None: a mark or blank, drawn as a gap)."""

    fiscal_year: int
    series: str
    value: float | None
    marker: str | None
    segment: int


@dataclass(frozen=True)
class PeerRange:
    """The peers' minimum–maximum in one 年度, from the ``n`` peers with a value."""

    fiscal_year: int
    low: float
    high: float
    n: int
    n_marked: int
    segment: int


@dataclass(frozen=True)
class FiscalPlan:
    """Everything one fiscal-indicator chart shows, decided before anything is drawn."""

    indicator_id: str
    indicator: str
    unit: str
    decimals: int
    city: str
    #: first and last 年度 on the x axis
    years: tuple[int, int]
    #: the series drawn, in legend order (a series without any value is left out)
    series: tuple[str, ...]
    #: every series × 年度 in the rows, values and gaps alike
    points: tuple[FiscalPoint, ...]
    peer_range: tuple[PeerRange, ...]
    peer_range_name: str
    #: 年度 of the span whose tables do not have this indicator
    absent_years: tuple[int, ...]
    #: per series, the 年度 without a value (a mark such as 「－」, or a blank)
    gaps: tuple[tuple[str, tuple[int, ...]], ...]
    axis: YAxis
    caption: Caption

    def values(self, series: str) -> dict[int, float | None]:
        """One series by 年度 (None where it has a gap)."""
        return {p.fiscal_year: p.value for p in self.points if p.series == series}

    def describe(self) -> str:
        """A Japanese text alternative: the span, and every series in the latest 年度."""
        latest = max((p.fiscal_year for p in self.points if p.value is not None), default=None)
        head = f"{self.indicator}{_unit_suffix(self.unit)}の{self.years[0]}〜{self.years[1]}年度の推移。"
        if latest is None:
            return head + "値はありません。"
        parts = [
            f"{s} {number_text(self.values(s).get(latest), self.decimals)}"
            if not s.endswith("中央値")
            else f"{s} {median_text(self.values(s).get(latest), self.decimals)}"
            for s in self.series
        ]
        band = next((r for r in self.peer_range if r.fiscal_year == latest), None)
        if band is not None:
            parts.append(
                f"比較対象の最小 {number_text(band.low, self.decimals)}〜最大 {number_text(band.high, self.decimals)}"
            )
        return head + f"{latest}年度は" + "、".join(parts) + "。"


def _first(frame: pl.DataFrame, column: str) -> Any:
    values = frame[column].drop_nulls()
    return values[0] if values.len() else None


def _series_points(
    rows: pl.DataFrame, name: str, value: str, marker: str | None
) -> list[FiscalPoint]:
    ordered = rows.sort("fiscal_year")
    years = ordered["fiscal_year"].cast(pl.Int64).to_list()
    values = ordered[value].to_list()
    markers = ordered[marker].to_list() if marker else [None] * len(years)
    segs = segments(years, [v is not None for v in values])
    return [
        FiscalPoint(y, name, None if v is None else float(v), m, s)
        for y, v, m, s in zip(years, values, markers, segs, strict=True)
    ]


def _peer_ranges(rows: pl.DataFrame) -> list[PeerRange]:
    ordered = rows.sort("fiscal_year")
    years = ordered["fiscal_year"].cast(pl.Int64).to_list()
    present = [n > 0 for n in ordered["peer_n"].to_list()]
    segs = segments(years, present)
    return [
        PeerRange(
            int(r["fiscal_year"]),
            float(r["peer_min"]),
            float(r["peer_max"]),
            int(r["peer_n"]),
            int(r["peer_n_marked"]),
            s,
        )
        for r, s, ok in zip(ordered.iter_rows(named=True), segs, present, strict=True)
        if ok
    ]


def _gap_sentence(
    gaps: Sequence[tuple[str, tuple[int, ...]]], points: Sequence[FiscalPoint]
) -> str | None:
    if not gaps:
        return None
    marks = sorted({p.marker for p in points if p.value is None and p.marker})
    how = "・".join(f"「{m}」" for m in marks) or "空欄"
    listed = "、".join(
        f"{series} {len(years)}年度（{years_text(years, '年度')}）" for series, years in gaps
    )
    return f"値がなく空白にした点（原表が{how}など）：{listed}"


def _peer_missing_sentence(rows: pl.DataFrame) -> str | None:
    """How many peers lack a value: a mark (「－」) in the table, or no row at all that 年度."""
    counted = rows.select(
        "fiscal_year",
        pl.col("peer_n_marked").alias("marked"),
        (pl.col("n_peers") - pl.col("peer_n") - pl.col("peer_n_marked")).alias("absent"),
    ).sort("fiscal_year")
    parts = []
    for column, what in (
        ("marked", "「－」など記号で値のない市"),
        ("absent", "その年度の表にない市"),
    ):
        found = counted.filter(pl.col(column) > 0)
        if found.height == 0:
            continue
        most = found.sort([column, "fiscal_year"], descending=[True, True]).row(0, named=True)
        years = found["fiscal_year"].to_list()
        if len(years) == 1:
            parts.append(f"{what}：{years[0]}年度に{int(found[column].sum())}市")
            continue
        parts.append(
            f"{what}：{years_text(years, '年度')}に延べ{int(found[column].sum())}市・年度、"
            f"最多は{most['fiscal_year']}年度の{most[column]}市"
        )
    if not parts:
        return None
    return f"比較対象の中央値と範囲は値のある市だけから計算（除いた市は、{'。'.join(parts)}）"


def plan_fiscal(
    rows: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    credits: Sequence[str] = (),
    years: tuple[int, int] | None = None,
) -> FiscalPlan:
    """Check the comparison rows of one indicator and decide what its chart shows.

    Parameters
    ----------
    rows
        ``national_comparison`` rows of one indicator (one per 年度).
    source
        The 出典 line (from the provenance of the fiscal tables and the peer rule).
    note
        Extra （注） text; the peer rule, the band, gaps, absent years and a cut axis are
        always added.
    credits
        Credits that must be shown verbatim (e.g. the e-Stat API notice), last in the （注）.
    years
        First and last 年度 of the x axis (default: the rows' span), so that the charts of
        several indicators line up.
    """
    source = require_source(source)
    indicator_id = _check_comparison(rows)
    series = _fiscal_series(rows)
    points = series.points
    ranges = _peer_ranges(rows)
    present = set(rows["fiscal_year"].to_list())
    span = years or (min(present), max(present))
    absent = tuple(y for y in range(span[0], span[1] + 1) if y not in present)
    decimals = decimals_of(v for p in points if p.series != series.median_name for v in [p.value])
    axis = fiscal_axis(
        [p.value for p in points] + [r.low for r in ranges] + [r.high for r in ranges]
    )
    indicator, unit = str(_first(rows, "indicator")), str(_first(rows, "unit") or "")
    range_name = f"比較対象{series.n_peers}市の最小〜最大"
    caption = _national_caption(
        f"{indicator}の推移（{span[0]}〜{span[1]}年度）",
        [_fiscal_subtitle(series, decimals, span[1])],
        source=source,
        note=note,
        extra=_fiscal_notes(rows, series, range_name, absent, cut_sentence(axis, unit, decimals)),
        credits=credits,
    )
    return FiscalPlan(
        indicator_id=indicator_id,
        indicator=indicator,
        unit=unit,
        decimals=decimals,
        city=series.city,
        years=span,
        series=series.drawn,
        points=points,
        peer_range=tuple(ranges),
        peer_range_name=range_name,
        absent_years=absent,
        gaps=series.gaps,
        axis=axis,
        caption=caption,
    )


def _check_comparison(rows: pl.DataFrame) -> str:
    """The indicator id of rows that hold one indicator, one row per 年度."""
    require_columns(rows, _COMPARISON_COLUMNS, "財政指標の比較")
    ids = rows["indicator_id"].unique().to_list()
    if len(ids) != 1:
        raise ValueError(f"1つの指標の行を渡してください（指標：{', '.join(map(str, ids))}）")
    if rows["fiscal_year"].is_duplicated().any():
        raise ValueError("同じ年度の行が2つ以上あります")
    return str(ids[0])


#: value and marker columns of the four series: city, prefecture, nation, peer median
_SERIES_COLUMNS: Final = (
    ("target_value", "target_marker"),
    ("prefecture_mean", "prefecture_mean_marker"),
    ("national_mean", "national_mean_marker"),
    ("peer_median", None),
)


@dataclass(frozen=True)
class _FiscalSeries:
    """The four series of the comparison rows, values and gaps alike."""

    city: str
    n_peers: int
    #: city, prefecture, nation, peer median
    names: tuple[str, str, str, str]
    points: tuple[FiscalPoint, ...]
    #: the series with at least one value, in legend order
    drawn: tuple[str, ...]
    #: per series (the peer median aside), the 年度 without a value
    gaps: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def median_name(self) -> str:
        return self.names[3]


def _fiscal_series(rows: pl.DataFrame) -> _FiscalSeries:
    city = str(_first(rows, "target_name"))
    n_peers = int(_first(rows, "n_peers") or 0)
    names = (
        city,
        str(_first(rows, "prefecture_mean_name") or "都道府県（市町村平均）"),
        _NATION_NAME,
        f"比較対象{n_peers}市の中央値",
    )
    points = tuple(
        p
        for name, (v, m) in zip(names, _SERIES_COLUMNS, strict=True)
        for p in _series_points(rows, name, v, m)
    )
    drawn = tuple(n for n in names if any(p.series == n and p.value is not None for p in points))
    gaps = tuple(
        (n, years_in)
        for n in names[:3]
        if (years_in := tuple(p.fiscal_year for p in points if p.series == n and p.value is None))
    )
    return _FiscalSeries(city, n_peers, names, points, drawn, gaps)


def _fiscal_subtitle(series: _FiscalSeries, decimals: int, last_year: int) -> str:
    """「<年度>年度：<series> <value>｜…」: every drawn series in the latest 年度 with a value."""
    points = series.points
    last = max((p.fiscal_year for p in points if p.value is not None), default=last_year)
    latest = {p.series: p.value for p in points if p.fiscal_year == last}
    return f"{last}年度：" + "｜".join(
        f"{n} {median_text(latest.get(n), decimals) if n == series.median_name else number_text(latest.get(n), decimals)}"
        for n in series.drawn
    )


def _fiscal_notes(
    rows: pl.DataFrame,
    series: _FiscalSeries,
    range_name: str,
    absent: tuple[int, ...],
    cut: str | None,
) -> list[str | None]:
    """The （注） sentences the chart always carries (None: nothing to say)."""
    area_notes = sorted(
        {(int(y), str(t)) for y, t in rows.select("fiscal_year", "target_note").iter_rows() if t}
    )
    return [
        str(_first(rows, "peer_rule") or ""),
        f"線は{series.median_name}、網掛けは{range_name}",
        _peer_missing_sentence(rows),
        _gap_sentence(series.gaps, series.points),
        f"{years_text(absent, '年度')}の表にはこの指標がない" if absent else None,
        *(f"{series.city}の{y}年度：{t}" for y, t in area_notes),
        cut,
        "年度は4月〜翌年3月で、開始年で表示",
    ]


_FISCAL_SCHEMA: Final = {
    "fiscal_year": pl.Int64,
    "series": pl.String,
    "value": pl.Float64,
    "segment": pl.Int64,
}
_BAND_SCHEMA: Final = {
    "fiscal_year": pl.Int64,
    "low": pl.Float64,
    "high": pl.Float64,
    "segment": pl.Int64,
    "band": pl.String,
}


def draw_fiscal(plan: FiscalPlan) -> alt.VConcatChart:
    """The indicator plot above its 出典/注 footer (see :func:`fiscal_chart`)."""
    layers = [
        *_fiscal_layers(plan),
        *(axis_break(PLOT_HEIGHT) if plan.axis.cut else []),
    ]
    plot = alt.layer(*layers, width=PLOT_WIDTH, height=PLOT_HEIGHT)
    footer = footer_chart(plan.caption.footer, PLOT_WIDTH, Y_AXIS_EXTENT)
    meta = _meta(
        "context_fiscal",
        plan.caption,
        indicator_id=plan.indicator_id,
        axis_start=plan.axis.domain[0],
        axis_cut=plan.axis.cut,
    )
    return framed([plot], footer, meta=meta, caption=plan.caption)


def _fiscal_x(plan: FiscalPlan) -> alt.X:
    """年度 on the x axis, every other one labelled."""
    first, last = plan.years
    return alt.X(
        "fiscal_year:Q",
        scale=alt.Scale(domain=[first - 0.5, last + 0.5], nice=False, zero=False),
        axis=alt.Axis(
            values=list(range(first, last + 1)),
            labelExpr=f"(datum.value - {first}) % 2 == 0 ? datum.value + '年度' : ''",
            title=None,
            grid=False,
            labelFontSize=LABEL_SIZE,
        ),
    )


def _fiscal_look(plan: FiscalPlan) -> tuple[alt.Color, alt.StrokeDash]:
    """Colour and dash of each drawn series, in one legend (a series keeps its look when
    another is left out)."""
    order = list(plan.series)
    looks = _series_order(plan)
    colors = dict(
        zip(looks, (_CITY_COLOR, _PREFECTURE_COLOR, _NATION_COLOR, _PEER_COLOR), strict=True)
    )
    dashes = dict(zip(looks, _DASHES, strict=True))
    legend = alt.Legend(
        title=None,
        orient="top",
        direction="horizontal",
        labelFontSize=LABEL_SIZE,
        symbolType="stroke",
        symbolStrokeWidth=2.5,
        symbolSize=300,
        columns=2,
    )
    color = alt.Color(
        "series:N", scale=alt.Scale(domain=order, range=[colors[s] for s in order]), legend=legend
    )
    dash = alt.StrokeDash(
        "series:N", scale=alt.Scale(domain=order, range=[dashes[s] for s in order]), legend=legend
    )
    return color, dash


def _fiscal_frames(plan: FiscalPlan) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The drawn series' values and the peers' minimum–maximum band, as data."""
    data = pl.DataFrame(
        [
            (p.fiscal_year, p.series, p.value, p.segment)
            for p in plan.points
            if p.value is not None and p.series in plan.series
        ],
        schema=_FISCAL_SCHEMA,
        orient="row",
    )
    band = pl.DataFrame(
        [(r.fiscal_year, r.low, r.high, r.segment, plan.peer_range_name) for r in plan.peer_range],
        schema=_BAND_SCHEMA,
        orient="row",
    )
    return data, band


def _peer_band_layer(plan: FiscalPlan, band: pl.DataFrame, x: alt.X) -> alt.Chart:
    """The peers' minimum–maximum as a shaded area, with its own legend entry."""
    fill = alt.Fill(
        "band:N",
        scale=alt.Scale(domain=[plan.peer_range_name], range=[_PEER_COLOR]),
        legend=alt.Legend(
            title=None,
            orient="top",
            symbolType="square",
            symbolOpacity=0.25,
            labelFontSize=LABEL_SIZE,
        ),
    )
    return (
        alt.Chart(band)
        .mark_area(opacity=0.2)
        .encode(
            x=x,
            y=alt.Y("low:Q", scale=_fiscal_y_scale(plan), axis=_y_axis(plan.unit, ",~f")),
            y2=alt.Y2("high:Q"),
            fill=fill,
            detail=alt.Detail("segment:N"),
        )
    )


def _fiscal_y_scale(plan: FiscalPlan) -> alt.Scale:
    return alt.Scale(domain=list(plan.axis.domain), nice=False, zero=False)


def _fiscal_layers(plan: FiscalPlan) -> list[alt.Chart]:
    """The peer band, then the series' lines and points (the city's drawn larger)."""
    x = _fiscal_x(plan)
    y = alt.Y("value:Q", scale=_fiscal_y_scale(plan), axis=_y_axis(plan.unit, ",~f"))
    color, dash = _fiscal_look(plan)
    data, band = _fiscal_frames(plan)
    tooltip = [
        alt.Tooltip("fiscal_year:Q", title="年度"),
        alt.Tooltip("series:N", title="系列"),
        alt.Tooltip("value:Q", title=plan.indicator),
    ]
    base = alt.Chart(data).encode(x=x, y=y, color=color)
    city = alt.datum.series == plan.city
    return [
        _peer_band_layer(plan, band, x),
        base.mark_line(strokeWidth=2).encode(
            strokeDash=dash,
            detail=alt.Detail("segment:N"),
            size=alt.condition(city, alt.value(3), alt.value(2)),
        ),
        base.mark_point(filled=True, opacity=1).encode(
            size=alt.condition(city, alt.value(45), alt.value(18)),
            tooltip=tooltip,
        ),
    ]


def _series_order(plan: FiscalPlan) -> tuple[str, str, str, str]:
    """The four possible series names (city, prefecture, nation, peer median) of a plan."""
    names = {p.series for p in plan.points}
    prefecture = next(
        (n for n in names if n not in (plan.city, _NATION_NAME) and not n.endswith("中央値")), ""
    )
    median = next((n for n in names if n.endswith("中央値")), "")
    return (plan.city, prefecture, _NATION_NAME, median)


def fiscal_chart(
    rows: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    credits: Sequence[str] = (),
    years: tuple[int, int] | None = None,
) -> alt.VConcatChart:
    """One fiscal indicator over the 年度: the city vs its prefecture, the nation and its peers.

    Parameters
    ----------
    rows
        ``national_comparison`` rows of one indicator.
    source
        The 出典 line, printed verbatim under the chart (required).
    note
        Extra （注） text; the peer rule, gaps and the axis are always explained.
    credits
        Credits that must be shown verbatim (e.g. the e-Stat API notice), last in the （注）.
    years
        First and last 年度 of the x axis.
    """
    return draw_fiscal(plan_fiscal(rows, source=source, note=note, credits=credits, years=years))


# --------------------------------------------------------------------------------------
# The city among every municipality in one 年度
# --------------------------------------------------------------------------------------

_VALUE_COLUMNS: Final = (
    "fiscal_year",
    "area_code",
    "name",
    "indicator_id",
    "indicator",
    "unit",
    "value",
    "marker",
)
#: 全国地方公共団体コード of Tokyo's 23 special wards (千代田区 13101 … 江戸川区 13123).
_SPECIAL_WARDS: Final = (13101, 13123)


@dataclass(frozen=True)
class PositionBin:
    """One histogram bar: municipalities with ``start`` ≦ value < ``end``."""

    start: float
    end: float
    count: int
    has_city: bool


@dataclass(frozen=True)
class PositionPanel:
    """One indicator's distribution and where the city stands in it."""

    indicator_id: str
    indicator: str
    unit: str
    decimals: int
    bins: tuple[PositionBin, ...]
    bin_width: float
    city_value: float | None
    city_marker: str | None
    #: municipalities with a value; those with a mark (「－」) or a blank instead
    n_values: int
    n_marked: int
    n_blank: int
    #: 1 + the number of municipalities with a larger value (None without a city value)
    rank: int | None
    #: other municipalities with exactly the city's value
    ties: int
    median: float | None
    statement: str


@dataclass(frozen=True)
class PositionPlan:
    """The city's position among all municipalities in one 年度, one panel per indicator."""

    fiscal_year: int
    city_code: str
    city: str
    n_areas: int
    n_special_wards: int
    panels: tuple[PositionPanel, ...]
    caption: Caption

    def describe(self) -> str:
        """A Japanese text alternative: each indicator's statement."""
        head = f"{self.fiscal_year}年度の全国{self.n_areas:,}団体の中での{self.city}の位置。"
        return head + "".join(f"{p.indicator}：{p.statement}。" for p in self.panels)


def _bins(values: pl.Series, city_value: float | None) -> tuple[tuple[PositionBin, ...], float]:
    low, high = float(values.min()), float(values.max())  # type: ignore[arg-type]
    step = nice_step((high - low) / _POSITION_BINS) if high > low else 1.0
    start = _floor_to(low, step)
    index = ((values - start) / step + 1e-9).floor().cast(pl.Int64)
    counts = dict(index.value_counts().iter_rows())
    city_index = None if city_value is None else math.floor((city_value - start) / step + 1e-9)
    last = int(index.max())  # type: ignore[arg-type]
    return (
        tuple(
            PositionBin(
                round(start + i * step, 10),
                round(start + (i + 1) * step, 10),
                int(counts.get(i, 0)),
                i == city_index,
            )
            for i in range(last + 1)
        ),
        step,
    )


def _statement(city: str, panel: dict[str, Any]) -> str:
    decimals = panel["decimals"]
    if panel["city_value"] is None:
        mark = f"原表「{panel['city_marker']}」" if panel["city_marker"] else "空欄"
        return f"{city}は値なし（{mark}）。中央値 {median_text(panel['median'], decimals)}"
    ties = f"（同じ値がほかに{panel['ties']:,}団体）" if panel["ties"] else ""
    return (
        f"{city} {number_text(panel['city_value'], decimals)}：値の大きい順に"
        f"{panel['n_values']:,}団体中{panel['rank']:,}位{ties}。"
        f"中央値 {median_text(panel['median'], decimals)}"
    )


def _panel(frame: pl.DataFrame, city_code: str, city: str) -> PositionPanel:
    numbers = frame.filter(pl.col("value").is_not_null())["value"]
    own = frame.filter(pl.col("area_code") == city_code)
    city_value = own["value"][0] if own.height else None
    city_marker = own["marker"][0] if own.height else None
    if numbers.len() == 0:
        raise ValueError(f"{_first(frame, 'indicator')}：値のある団体がありません")
    decimals = decimals_of(numbers.to_list())
    bins, width = _bins(numbers, city_value)
    panel: dict[str, Any] = {
        "decimals": decimals,
        "city_value": city_value,
        "city_marker": city_marker,
        "n_values": numbers.len(),
        "rank": None if city_value is None else 1 + int((numbers > city_value).sum()),
        "ties": 0 if city_value is None else int((numbers == city_value).sum()) - 1,
        "median": numbers.median(),
    }
    return PositionPanel(
        indicator_id=str(frame["indicator_id"][0]),
        indicator=str(frame["indicator"][0]),
        unit=str(_first(frame, "unit") or ""),
        decimals=decimals,
        bins=bins,
        bin_width=width,
        city_value=city_value,
        city_marker=city_marker,
        n_values=panel["n_values"],
        n_marked=frame.filter(pl.col("value").is_null() & pl.col("marker").is_not_null()).height,
        n_blank=frame.filter(pl.col("value").is_null() & pl.col("marker").is_null()).height,
        rank=panel["rank"],
        ties=panel["ties"],
        median=panel["median"],
        statement=_statement(city, panel),
    )


def plan_position(
    values: pl.DataFrame,
    *,
    city_code: str,
    indicators: Sequence[str],
    source: str,
    note: str | None = None,
    credits: Sequence[str] = (),
) -> PositionPlan:
    """Check one 年度's values of every municipality and decide the position chart.

    Parameters
    ----------
    values
        ``national_fiscal_long`` rows of municipalities (``kind`` 市町村) in one 年度, e.g.
        from :meth:`ebpm.warehouse.Warehouse.fiscal_year_values`.
    city_code
        The 5-digit code of the city to mark.
    indicators
        Indicator ids, one panel each, in this order.
    source
        The 出典 line (from the provenance of the year's table).
    note
        Extra （注） text; bins, the rank's direction and the municipalities without a value
        are always explained.
    credits
        Credits that must be shown verbatim (e.g. the e-Stat API notice), last in the （注）.
    """
    source = require_source(source)
    require_columns(values, _VALUE_COLUMNS, "全市町村の財政指標")
    years = values["fiscal_year"].unique().to_list()
    if len(years) != 1:
        raise ValueError(
            f"1つの年度の行を渡してください（年度：{', '.join(map(str, sorted(years)))}）"
        )
    fiscal_year = int(years[0])
    own = values.filter(pl.col("area_code") == city_code)
    if own.height == 0:
        raise ValueError(f"団体コード {city_code} の行が {fiscal_year}年度の表にありません")
    city = str(own["name"][0])
    missing = [i for i in indicators if values.filter(pl.col("indicator_id") == i).height == 0]
    if missing:
        raise ValueError(f"{fiscal_year}年度の表にない指標です：{', '.join(missing)}")
    panels = tuple(
        _panel(values.filter(pl.col("indicator_id") == i), city_code, city) for i in indicators
    )
    codes = values["area_code"].unique()
    n_areas = codes.len()
    wards = int(codes.cast(pl.Int64, strict=False).is_between(*_SPECIAL_WARDS).sum())
    without = [
        f"{p.indicator} {p.n_marked + p.n_blank:,}団体" for p in panels if p.n_marked + p.n_blank
    ]
    widths = "、".join(
        f"{p.indicator} {number_text(p.bin_width, decimals_of([p.bin_width], 3))}" for p in panels
    )
    extra = [
        f"各団体の値を階級に分け、団体数を棒で示す（階級の幅：{widths}）。濃い棒が{city}の値を含む階級",
        "順位は値の大きい順で、良し悪しを表すものではない（指標によって望ましい向きが異なる）",
        f"「－」など記号や空欄で値のない団体は含めない：{'、'.join(without)}" if without else None,
    ]
    scope = f"市町村{n_areas - wards:,}、東京都の特別区{wards}" if wards else f"市町村{n_areas:,}"
    caption = _national_caption(
        f"全国の市町村の中での{city}の位置（{fiscal_year}年度）",
        [f"表に載っている{n_areas:,}団体（{scope}）の分布"],
        source=source,
        note=note,
        extra=extra,
        credits=credits,
    )
    return PositionPlan(
        fiscal_year=fiscal_year,
        city_code=city_code,
        city=city,
        n_areas=n_areas,
        n_special_wards=wards,
        panels=panels,
        caption=caption,
    )


_BIN_SCHEMA: Final = {
    "start": pl.Float64,
    "end": pl.Float64,
    "count": pl.Int64,
    "has_city": pl.Boolean,
}


def _position_panel(panel: PositionPanel, city: str) -> alt.LayerChart:
    bins = pl.DataFrame(
        [(b.start, b.end, b.count, b.has_city) for b in panel.bins],
        schema=_BIN_SCHEMA,
        orient="row",
    )
    first, last = panel.bins[0].start, panel.bins[-1].end
    x = alt.X(
        "start:Q",
        scale=alt.Scale(domain=[first, last], nice=False, zero=False),
        axis=alt.Axis(title=None, format=",~f", labelFontSize=LABEL_SIZE, grid=False),
    )
    top = max(b.count for b in panel.bins)
    y = alt.Y(
        "count:Q",
        scale=alt.Scale(
            domain=[0, _ceil_to(top * 1.25, nice_step(top / 4) if top > 4 else 1.0)], nice=False
        ),
        axis=value_axis(
            "団体数", extent=Y_AXIS_EXTENT, title_y=-8, format="d", tickMinStep=1, tickCount=3
        ),
    )
    tooltip = [
        alt.Tooltip("start:Q", title="階級の下限"),
        alt.Tooltip("end:Q", title="上限（含まない）"),
        alt.Tooltip("count:Q", title="団体数"),
    ]
    layers: list[Any] = [
        alt.Chart(bins)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=x,
            x2=alt.X2("end:Q"),
            y=y,
            y2=alt.datum(0),
            color=alt.condition(
                alt.datum.has_city, alt.value(_CITY_COLOR), alt.value(_OTHER_BIN_COLOR)
            ),
            tooltip=tooltip,
        )
    ]
    if panel.city_value is not None:
        mark = alt.Chart(pl.DataFrame({"start": [panel.city_value], "label": [city]}))
        layers += [
            mark.mark_rule(color=RULE_COLOR, strokeWidth=1.5, strokeDash=[4, 2]).encode(x=x),
            mark.mark_text(
                align="left", dx=4, baseline="top", fontSize=LABEL_SIZE, **HALO, color="white"
            ).encode(x=x, y=alt.YValue(2), text=alt.Text("label:N")),
            mark.mark_text(
                align="left", dx=4, baseline="top", fontSize=LABEL_SIZE, color=_CITY_COLOR
            ).encode(x=x, y=alt.YValue(2), text=alt.Text("label:N")),
        ]
    title = alt.Title(
        text=f"{panel.indicator}{_unit_suffix(panel.unit)}",
        subtitle=[panel.statement],
        anchor="start",
        fontSize=LABEL_SIZE + 2,
        subtitleFontSize=LABEL_SIZE,
        offset=6,
    )
    return alt.layer(*layers, width=PLOT_WIDTH, height=_PANEL_HEIGHT, title=title)


def draw_position(plan: PositionPlan) -> alt.VConcatChart:
    """One histogram per indicator above the 出典/注 footer (see :func:`position_chart`)."""
    panels = [_position_panel(p, plan.city) for p in plan.panels]
    footer = footer_chart(plan.caption.footer, PLOT_WIDTH, Y_AXIS_EXTENT)
    meta = _meta(
        "context_position",
        plan.caption,
        fiscal_year=plan.fiscal_year,
        city_code=plan.city_code,
        ranks={p.indicator_id: p.rank for p in plan.panels},
    )
    return framed(panels, footer, meta=meta, caption=plan.caption, spacing=18)


def position_chart(
    values: pl.DataFrame,
    *,
    city_code: str,
    indicators: Sequence[str],
    source: str,
    note: str | None = None,
    credits: Sequence[str] = (),
) -> alt.VConcatChart:
    """Where the city stands among every municipality in one 年度, per indicator.

    Parameters
    ----------
    values
        ``national_fiscal_long`` municipality rows of one 年度.
    city_code
        The city to mark (5 digits).
    indicators
        Indicator ids, one histogram each.
    source
        The 出典 line, printed verbatim under the chart (required).
    note
        Extra （注） text.
    credits
        Credits that must be shown verbatim (e.g. the e-Stat API notice), last in the （注）.
    """
    return draw_position(
        plan_position(
            values,
            city_code=city_code,
            indicators=indicators,
            source=source,
            note=note,
            credits=credits,
        )
    )
