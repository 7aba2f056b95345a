"""The report's national context section: 全国・県・類似の市との比較.

Plain data for the template partial ``templates/report_context.html``: read once from the
report's warehouse snapshot (:func:`read_context`), then drawn and exported next to the KPI
charts (:func:`context_section`): the census population of the city, each fiscal
indicator beside the prefecture, the nation and the peers, and the city's position among
all municipalities — each chart as inline SVG plus PNG/SVG/PDF files, with a text
alternative, a short data table, its 出典 and （注）, the peer rule and the list of sources.

Nothing here is typed about the city: names, values, the peer rule, boundaries and the
preliminary label come from the warehouse rows; 出典 lines from the provenance records of
the files those rows came from (:func:`ebpm.manifest.source_line`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl
from markupsafe import Markup

from ebpm.jp import parse_fiscal_year
from ebpm.manifest import Provenance, notes_of, source_line
from ebpm.national.peers import PEERS_FILE
from ebpm.report.present import DataTable

if TYPE_CHECKING:
    from ebpm.charts.context import FiscalPlan, PopulationPlan, PositionPlan
    from ebpm.render import Pending, Renderer
    from ebpm.warehouse.read import Warehouse

__all__ = [
    "CHART_FOLDER",
    "CONTEXT_INDICATORS",
    "SECTION_TITLE",
    "ContextChart",
    "ContextData",
    "ContextSection",
    "DataTable",
    "SourceGroup",
    "context_section",
    "merge_yearly_records",
    "read_context",
    "source_groups",
    "submit_context",
]

SECTION_TITLE: Final = "全国・県・類似の市との比較"
#: Sub-folder of the report's ``charts/`` that holds the context charts.
CHART_FOLDER: Final = "context"
#: The fiscal indicators shown, in this order (ids of ``national_fiscal_indicator``).
CONTEXT_INDICATORS: Final = (
    "fiscal_strength_index",
    "current_balance_ratio",
    "real_debt_service_ratio",
    "future_burden_ratio",
    "laspeyres_index",
)
_RELATIONS: Final = (
    "national_comparison",
    "national_fiscal_long",
    "national_census_population",
    "national_peer",
    "national_peer_rule",
)
_PEERS_PATH: Final = f"national/{PEERS_FILE}"
#: 「（平成17年度決算）」: the part of a yearly table's title that names its 年度.
_YEAR_IN_TITLE: Final = re.compile(r"((?:昭和|平成|令和)(?:\d+|元)年度)")


# --------------------------------------------------------------------------------------
# Reading (one snapshot)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextData:
    """Everything the section shows, read from one warehouse snapshot."""

    rule: dict[str, object]
    population: pl.DataFrame
    comparison: pl.DataFrame
    latest_year: int
    latest_values: pl.DataFrame
    #: raw path → provenance record, for every file the section uses
    records: dict[str, Provenance]
    fiscal_files: dict[str, list[str]]
    peer_files: list[str]


def read_context(wh: Warehouse, up_to_year: int | None = None) -> ContextData | None:
    """Read the section's data, or None when the warehouse has no national data.

    With ``up_to_year`` (the report's 年度) nothing later is read: no fiscal year and no
    census after it, like the rest of a report for that year.
    """
    if not wh.has_relations(*_RELATIONS):
        return None
    comparison = wh.fiscal_comparison().filter(
        pl.col("indicator_id").is_in(CONTEXT_INDICATORS),
        pl.lit(up_to_year is None) | (pl.col("fiscal_year") <= (up_to_year or 0)),
    )
    if comparison.height == 0:
        return None
    rule = wh.peer_rule()
    latest = int(comparison["fiscal_year"].max())  # type: ignore[arg-type]
    return ContextData(
        rule=rule,
        population=wh.census_population(str(rule["target_code"])).filter(
            pl.lit(up_to_year is None) | (pl.col("year") <= (up_to_year or 0))
        ),
        comparison=comparison,
        latest_year=latest,
        latest_values=wh.fiscal_year_values(latest).filter(
            pl.col("indicator_id").is_in(CONTEXT_INDICATORS)
        ),
        records={r.path: r for r in wh.provenance()},
        fiscal_files={i: wh.fiscal_source_files(i) for i in CONTEXT_INDICATORS},
        peer_files=wh.peer_source_files(),
    )


# --------------------------------------------------------------------------------------
# 出典 lines from provenance
# --------------------------------------------------------------------------------------


def _yearly_groups(records: Iterable[Provenance]) -> list[list[Provenance]]:
    """Records grouped by yearly series (titles that differ only in their 年度), years sorted."""
    groups: dict[tuple[Any, ...], list[tuple[int, Provenance]]] = {}
    for record in records:
        found = _YEAR_IN_TITLE.findall(record.title)
        year = parse_fiscal_year(found[0]) if len(found) == 1 else None
        key = (
            _YEAR_IN_TITLE.sub("{年度}", record.title) if year is not None else record.path,
            record.publisher,
            record.licence,
            record.is_sample,
            record.processing,
            record.credit,
        )
        groups.setdefault(key, []).append((year or 0, record))
    return [
        [r for _, r in sorted(members, key=lambda pair: pair[0])] for members in groups.values()
    ]


def _merged(members: Sequence[Provenance]) -> Provenance:
    first, last = members[0], members[-1]
    if len(members) == 1:
        return first
    span = f"{_YEAR_IN_TITLE.findall(first.title)[0]}〜{_YEAR_IN_TITLE.findall(last.title)[0]}"
    return dataclasses.replace(first, title=_YEAR_IN_TITLE.sub(span, first.title))


def merge_yearly_records(records: Iterable[Provenance]) -> list[Provenance]:
    """One record per yearly series: titles that differ only in their 年度 are merged.

    The ministry publishes one table per 年度 (「…（平成17年度決算）…」 … 「…（令和3年度決算）…」);
    a chart drawn from all of them credits 「…（平成17年度〜令和3年度決算）…」 once instead of
    seventeen times. Records that differ in anything else stay separate.
    """
    return [_merged(members) for members in _yearly_groups(records)]


@dataclass(frozen=True)
class SourceGroup:
    """One row of the printed source list: a yearly series (or one file) and its files."""

    record: Provenance
    paths: tuple[str, ...]
    #: earliest and latest retrieval date of the files (equal for one file)
    retrieved: tuple[Any, Any]

    @property
    def files_text(self) -> str:
        """「data/raw/a/H17.xls」 or 「data/raw/a/H17.xls 〜 R3.xlsx（17ファイル）」."""
        first = f"data/raw/{self.paths[0]}"
        if len(self.paths) == 1:
            return first
        return f"{first} 〜 {self.paths[-1].rsplit('/', 1)[-1]}（{len(self.paths)}ファイル）"


def source_groups(records: Iterable[Provenance]) -> list[SourceGroup]:
    """The section's sources for print: one row per yearly series instead of one per file.

    >>> from datetime import date
    >>> def rec(path, year):
    ...     title = f"主要財政指標一覧（{year}年度決算）"
    ...     return Provenance(path=path, sha256="0" * 64, size_bytes=1, title=title,
    ...                       publisher="総務省", licence="CC BY 4.0",
    ...                       retrieved_at=date(2026, 11, 27), is_sample=False)
    >>> [g.files_text for g in source_groups([rec("f/H18.xls", "平成18"), rec("f/H17.xls", "平成17")])]
    ['data/raw/f/H17.xls 〜 H18.xls（2ファイル）']
    """
    out = []
    for members in _yearly_groups(records):
        dates = sorted(r.retrieved_at for r in members)
        out.append(
            SourceGroup(_merged(members), tuple(r.path for r in members), (dates[0], dates[-1]))
        )
    return out


def _records(data: ContextData, paths: Iterable[str]) -> list[Provenance]:
    """The records of ``paths`` in the order given (first occurrence), each once."""
    wanted = list(dict.fromkeys(paths))
    missing = [p for p in wanted if p not in data.records]
    if missing:
        raise KeyError(f"出典の記録がないファイルです: {', '.join(missing)}")
    return [data.records[p] for p in wanted]


def _credits(records: Sequence[Provenance]) -> tuple[str, list[str]]:
    """The 出典 line and the credits to print verbatim (e.g. the e-Stat API notice)."""
    return source_line(merge_yearly_records(records)), notes_of(records)


# --------------------------------------------------------------------------------------
# The section: charts, tables, sources
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextChart:
    """One exported context chart and what the page prints around it."""

    key: str
    title: str
    description: str
    svg: Markup
    files: tuple[Path, ...]
    table: DataTable
    source: str
    note: str

    @property
    def links(self) -> Markup:
        return Markup("・").join(
            Markup('<a href="charts/{}/{}">{}</a>').format(
                CHART_FOLDER, f.name, f.suffix[1:].upper()
            )
            for f in self.files
        )


@dataclass(frozen=True)
class ContextSection:
    """The section as the template prints it."""

    title: str
    city: str
    peer_rule: str
    method_note: str
    charts: tuple[ContextChart, ...]
    sources: tuple[Provenance, ...]

    @property
    def source_groups(self) -> list[SourceGroup]:
        """The sources one row per yearly series (the printed list)."""
        return source_groups(self.sources)


def _population_table(plan: PopulationPlan) -> DataTable:
    points = sorted(
        (*plan.points, *plan.preliminary, *plan.rebased, *plan.rebased_same),
        key=lambda p: (p.year, p.status != "確定値", p.series),
    )
    rows = tuple(
        (
            f"{p.year}年",
            f"{p.population:,}" if p.population is not None else (p.marker or "（空欄）"),
            p.status,
            p.boundary,
        )
        for p in points
    )
    return DataTable(
        f"{plan.area_name}の国勢調査人口（人）",
        ("調査年", "人口（人）", "確定値・速報値", "区域"),
        rows,
        frozenset({1}),
    )


def _fiscal_table(plan: FiscalPlan) -> DataTable:
    from ebpm.charts.context import median_text, number_text

    series = _plan_series(plan)
    by_series = {s: {p.fiscal_year: p for p in plan.points if p.series == s} for s in series}
    ranges = {r.fiscal_year: r for r in plan.peer_range}
    years = sorted({p.fiscal_year for p in plan.points})

    def cell(name: str, year: int) -> str:
        point = by_series[name].get(year)
        if point is None:
            return "（空欄）"
        if point.value is None:
            return point.marker or "（空欄）"
        if name.endswith("中央値"):
            return median_text(point.value, plan.decimals)
        return number_text(point.value, plan.decimals)

    rows = []
    for year in years:
        band = ranges.get(year)
        spread = (
            f"{number_text(band.low, plan.decimals)}〜{number_text(band.high, plan.decimals)}"
            if band
            else "－"
        )
        counted = (
            f"{band.n}（記号 {band.n_marked}）"
            if band and band.n_marked
            else str(band.n if band else 0)
        )
        rows.append((f"{year}年度", *(cell(s, year) for s in series), spread, counted))
    unit = f"（{plan.unit}）" if plan.unit else ""
    return DataTable(
        f"{plan.indicator}{unit}",
        ("年度", *series, "比較対象の最小〜最大", "値のある比較対象の市"),
        tuple(rows),
        frozenset(range(1, len(series) + 3)),
    )


def _plan_series(plan: FiscalPlan) -> list[str]:
    """Every series of the plan in drawing order, drawn or not (the table shows the gaps)."""
    seen: dict[str, None] = {}
    for point in plan.points:
        seen.setdefault(point.series, None)
    return list(seen)


def _position_table(plan: PositionPlan) -> DataTable:
    from ebpm.charts.context import median_text, number_text

    rows = []
    for p in plan.panels:
        value = (
            number_text(p.city_value, p.decimals)
            if p.city_value is not None
            else (p.city_marker or "（空欄）")
        )
        rank = f"{p.rank:,}" if p.rank is not None else "－"
        ties = f"{p.ties:,}" if p.rank is not None else "－"
        rows.append(
            (
                f"{p.indicator}{f'（{p.unit}）' if p.unit else ''}",
                value,
                rank,
                ties,
                f"{p.n_values:,}",
                median_text(p.median, p.decimals),
                f"{p.n_marked + p.n_blank:,}",
            )
        )
    return DataTable(
        f"{plan.fiscal_year}年度の全国の市町村の中での{plan.city}",
        (
            "指標",
            plan.city,
            "順位（値の大きい順）",
            "同じ値のほかの団体",
            "値のある団体",
            "中央値",
            "値のない団体",
        ),
        tuple(rows),
        frozenset(range(1, 7)),
    )


def _charts(data: ContextData) -> list[tuple[str, Any, Any, DataTable]]:
    """(file stem, draw function, plan, table) of every context chart: ``draw(plan)`` is the
    Altair chart."""
    from ebpm.charts import context as cc

    out: list[tuple[str, Any, Any, DataTable]] = []
    population_files = (
        data.population.sort("year")["source_file"].drop_nulls().unique(maintain_order=True)
    ).to_list()
    if data.population.height:
        source, credits = _credits(_records(data, population_files))
        population = cc.plan_population(data.population, source=source, credits=credits)
        out.append(
            (
                "population",
                cc.draw_population,
                population,
                _population_table(population),
            )
        )
    years = (int(data.comparison["fiscal_year"].min()), data.latest_year)  # type: ignore[arg-type]
    peers = [*data.peer_files, *([_PEERS_PATH] if _PEERS_PATH in data.records else [])]
    for indicator in CONTEXT_INDICATORS:
        rows = data.comparison.filter(pl.col("indicator_id") == indicator)
        if rows.height == 0:
            continue
        source, credits = _credits(_records(data, [*data.fiscal_files[indicator], *peers]))
        fiscal = cc.plan_fiscal(rows, source=source, credits=credits, years=years)
        out.append((indicator, cc.draw_fiscal, fiscal, _fiscal_table(fiscal)))
    shown = [i for i in CONTEXT_INDICATORS if i in set(data.latest_values["indicator_id"])]
    if shown:
        files = data.latest_values["source_file"].drop_nulls().unique().to_list()
        source, credits = _credits(_records(data, files))
        position = cc.plan_position(
            data.latest_values,
            city_code=str(data.rule["target_code"]),
            indicators=shown,
            source=source,
            credits=credits,
        )
        out.append(("position", cc.draw_position, position, _position_table(position)))
    return out


def submit_context(
    data: ContextData | None, chart_dir: Path, formats: Sequence[str], renderer: Renderer
) -> Callable[[], ContextSection | None]:
    """Build the context charts and start drawing them; call the result for the section
    (it waits for the drawings and writes ``chart_dir/context/``)."""
    if data is None:
        return lambda: None
    from ebpm.report.figures import submit_chart

    drawn = [
        (key, plan, table, submit_chart(renderer, draw, plan, formats=formats))
        for key, draw, plan, table in _charts(data)
    ]
    return lambda: _section(data, Path(chart_dir) / CHART_FOLDER, formats, drawn)


def context_section(
    data: ContextData | None,
    chart_dir: Path,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    renderer: Renderer | None = None,
) -> ContextSection | None:
    """Draw and export the context charts into ``chart_dir/context/``; the section's data.

    Returns None when there is no national data (a new workspace): the report then has no
    context section.
    """
    if data is None:
        return None
    from ebpm.charts.export import drawing_with

    with drawing_with(renderer) as drawing:
        return submit_context(data, chart_dir, formats, drawing)()


def _section(
    data: ContextData,
    folder: Path,
    formats: Sequence[str],
    drawn: list[tuple[str, Any, DataTable, Pending]],
) -> ContextSection:
    from ebpm.report.figures import accessible_svg, inline_svg, write_drawn

    charts = []
    for key, plan, table, pending in drawn:
        files, svg = write_drawn(pending, folder / f"context_{key}", formats)
        caption = plan.caption
        title, description = "".join(caption.title), plan.describe()
        # the page's SVG: vl-convert's English ARIA labels replaced by the Japanese ones
        svg = accessible_svg(svg, f"context-{key}-svg", title, description)
        if "svg" in formats:  # the file keeps vl-convert's own SVG, as drawn
            files["svg"] = folder / f"context_{key}.svg"
            files["svg"].write_bytes(pending.result()["svg"])
        charts.append(
            ContextChart(
                key=key,
                title=title,
                description=description,
                svg=Markup(inline_svg(svg)),
                files=tuple(files[f] for f in formats),
                table=table,
                source=caption.source,
                note=caption.note,
            )
        )
    paths = set(data.population["source_file"].drop_nulls().to_list())
    paths |= {f for files in data.fiscal_files.values() for f in files}
    paths |= set(data.peer_files) | ({_PEERS_PATH} & set(data.records))
    method = data.comparison["note"].drop_nulls()
    # the view's note names its columns （peer_n）: the page prints the sentence without them
    method_note = re.sub(r"（[a-z_]+）", "", str(method[0])) if method.len() else ""
    return ContextSection(
        title=SECTION_TITLE,
        city=str(data.rule["target_name"]),
        peer_rule=str(data.rule["rule_text"]),
        method_note=method_note,
        charts=tuple(charts),
        sources=tuple(_records(data, sorted(paths))),
    )
