"""The offline KPI report: one self-contained ``index.html`` plus every chart as PNG/SVG/PDF.

The page is the Jinja2 template ``ebpm/templates/report.html`` (autoescape on). It has no
external scripts, styles, fonts or images: charts are inline SVG, styles are inline, and
URLs in credit lines are printed as text without their scheme, so the page opens on a PC
with no internet (LGWAN) exactly as it does anywhere else.

Everything is read through one :class:`~ebpm.warehouse.Warehouse` snapshot; each chart is
rendered to SVG once, written to its ``.svg`` file and inlined from the same string.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from markupsafe import Markup

from ebpm import paths
from ebpm.jp import (
    fiscal_period_label,
    fiscal_year_label,
    format_number,
    format_percent,
    wareki_label,
)
from ebpm.kpi.model import KPI_ID_PATTERN, GradeBands
from ebpm.manifest import Provenance, notes_of, source_line
from ebpm.report.context import ContextData, ContextSection, context_section, read_context
from ebpm.warehouse.read import Warehouse

if TYPE_CHECKING:
    import jinja2

__all__ = ["FORMATS", "ReportResult", "write_report"]

FORMATS = ("png", "svg", "pdf")
SAMPLE_LABEL = "研修用サンプルデータ"
DIRECTIONS = {"increase": "増やす", "decrease": "減らす", "maintain": "維持する"}
#: A KPI id becomes a file name and an HTML anchor: checked again here, not only at build.
SAFE_ID = re.compile(KPI_ID_PATTERN)


@dataclass(frozen=True)
class ReportResult:
    """Where the report and its chart files were written."""

    index: Path
    charts: list[Path]
    fiscal_year: int | None


@dataclass(frozen=True)
class _Chart:
    """One exported chart: inline SVG for the page, links to its files."""

    kpi_id: str
    name: str
    svg: Markup
    files: list[Path]

    @property
    def links(self) -> Markup:
        return Markup("・").join(
            Markup('<a href="charts/{}">{}</a>').format(f.name, f.suffix[1:].upper())
            for f in self.files
        )


@dataclass(frozen=True)
class _Snapshot:
    """Everything the report shows, read from the warehouse in one go."""

    table: pl.DataFrame
    fiscal_year: int | None
    bands: GradeBands
    period: tuple[int, int] | None
    records: dict[str, Provenance]
    sources: dict[str, list[Provenance]]
    history: pl.DataFrame
    definitions: pl.DataFrame
    built: dt.datetime
    context: ContextData | None  # national context section (ebpm.report.context)


def _read(wh: Warehouse, fiscal_year: int | None) -> _Snapshot:
    table = wh.progress_table(fiscal_year)
    if table.height == 0 and fiscal_year is not None:
        raise ValueError(
            f"{fiscal_year}年度の評価はありません（計画期間内の年度を指定してください）"
        )
    return _Snapshot(
        table=table,
        fiscal_year=int(table["fiscal_year"][0]) if table.height else None,
        bands=wh.grade_bands(),
        period=wh.promotion_period(),
        records={r.path: r for r in wh.provenance()},
        sources=wh.sources_by_kpi(),
        history=wh.kpi_history(with_base=False),
        definitions=wh.definitions(),
        built=wh.built_at,
        context=read_context(wh),  # national context section: read in the same snapshot
    )


def _safe_id(kpi_id: str) -> str:
    if not SAFE_ID.match(kpi_id):
        raise ValueError(f"指標ID「{kpi_id}」はファイル名・リンクに使えない文字を含みます")
    return kpi_id


def _inline_svg(svg: str) -> Markup:
    """SVG for embedding in HTML5: no XML prolog, no namespace URLs (HTML implies them)."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    return Markup(re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg))


def _export(chart: Any, base: Path, formats: Sequence[str]) -> tuple[str, list[Path]]:
    """Render ``chart`` to SVG once, write it and the other formats; files in ``formats`` order."""
    from ebpm import charts

    svg = charts.chart_to_svg(chart)
    others = [f for f in formats if f != "svg"]
    written = dict(zip(others, charts.save_chart(chart, base, others), strict=True))
    if "svg" in formats:
        written["svg"] = base.with_name(f"{base.name}.svg")
        written["svg"].write_text(svg, encoding="utf-8")
    return svg, [written[f] for f in formats]


def _draw(
    snap: _Snapshot, chart_dir: Path, formats: Sequence[str]
) -> tuple[_Chart | None, list[_Chart]]:
    """The overview and one trend chart per KPI, exported to ``chart_dir``."""
    from ebpm import charts

    if snap.table.height == 0:
        return None, []
    bands = (snap.bands.on_track, snap.bands.mostly)
    kpi_ids = [_safe_id(k) for k in snap.table["kpi_id"]]
    used = sorted({r.path for k in kpi_ids for r in snap.sources.get(k, [])})
    overview_chart = charts.progress_overview_chart(
        snap.table, source=source_line(snap.records[p] for p in used), note=None, bands=bands
    )
    svg, files = _export(overview_chart, chart_dir / "overview", formats)
    overview = _Chart("overview", "", _inline_svg(svg), files)
    trends = []
    for row in snap.table.iter_rows(named=True):
        kpi_id, records = row["kpi_id"], snap.sources[row["kpi_id"]]
        notes = [n for n in (row["base_note"], row["target_note"]) if n] + notes_of(records)
        chart = charts.kpi_trend_chart(
            row,
            snap.history.filter(pl.col("kpi_id") == kpi_id).select(
                "fiscal_year", "actual", "is_sample"
            ),
            source=source_line(records),
            note="、".join(notes) or None,
            bands=bands,
        )
        svg, files = _export(chart, chart_dir / kpi_id, formats)
        trends.append(_Chart(kpi_id, row["name"], _inline_svg(svg), files))
    return overview, trends


def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ebpm", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(
        number=format_number,
        percent=format_percent,
        fy=fiscal_year_label,
        wareki=wareki_label,
        date_ja=lambda d: f"{d:%Y年%m月%d日}",
        datetime_ja=lambda d: f"{d:%Y年%m月%d日 %H:%M}",
        text_url=lambda url: re.sub(r"^https?://", "", url or ""),  # nothing points outside
    )
    return env


def _definition_rows(definitions: pl.DataFrame) -> list[dict[str, object]]:
    return [
        {**r, "notes_lines": [n for n in (r["base_note"], r["target_note"], r["notes"]) if n]}
        for r in definitions.iter_rows(named=True)
    ]


def _render(
    snap: _Snapshot,
    overview: _Chart | None,
    trends: list[_Chart],
    today: dt.date,
    context: ContextSection | None = None,
) -> str:
    config = _workspace_config()
    has_sample = bool(snap.table["is_sample"].any()) or any(
        snap.records[p].is_sample
        for k in snap.table["kpi_id"]
        for p in {r.path for r in snap.sources.get(k, [])}
    )
    return (
        _environment()
        .get_template("report.html")
        .render(
            title=config.title,
            kpi_source=config.kpi_source
            or f"{config.strategy}の重要業績評価指標（KPI）".lstrip("の"),
            fy=snap.fiscal_year,
            today=today,
            built=snap.built,
            has_sample=has_sample,
            sample_label=SAMPLE_LABEL,
            progress=list(snap.table.iter_rows(named=True)),
            bands_text=snap.bands.describe(),
            period=fiscal_period_label(*snap.period) if snap.period else None,
            overview=overview,
            kpi_charts=trends,
            definitions=_definition_rows(snap.definitions),
            directions=DIRECTIONS,
            provenance=list(snap.records.values()),
            context=context,  # national context section (templates/report_context.html)
        )
    )


def _workspace_config() -> paths.WorkspaceConfig:
    """The names printed in the report: the current workspace's, or neutral ones."""
    try:
        return paths.workspace().config
    except paths.WorkspaceError:
        return paths.WorkspaceConfig()


def write_report(
    out_dir: str | Path | None = None,
    db_path: str | Path | Warehouse | None = None,
    *,
    fiscal_year: int | None = None,
    formats: tuple[str, ...] = FORMATS,
    today: dt.date | None = None,
) -> ReportResult:
    """Write ``index.html`` and the chart files from the warehouse.

    ``db_path`` may be an open :class:`~ebpm.warehouse.Warehouse` (it is left open).
    With no actuals yet (a new workspace) the page is still written: definitions and
    provenance, and a note on what to enter. A ``fiscal_year`` without rows is an error.
    """
    out = Path(out_dir) if out_dir else paths.workspace().report
    chart_dir = out / "charts"
    if isinstance(db_path, Warehouse):
        snap = _read(db_path, fiscal_year)
    else:
        with Warehouse(db_path) as wh:
            snap = _read(wh, fiscal_year)
    chart_dir.mkdir(parents=True, exist_ok=True)
    overview, trends = _draw(snap, chart_dir, formats)
    context = context_section(snap.context, chart_dir, formats)  # national context section
    page = _render(snap, overview, trends, today or dt.date.today(), context)
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    written = [f for chart in ([overview] if overview else []) + trends for f in chart.files]
    return ReportResult(index, written, snap.fiscal_year)
