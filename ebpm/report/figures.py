"""The report's charts: drawn once, rendered once per format, each with its text alternative.

Two sets are written:

``charts/``           the screen set (web profile): the overview and one trend per KPI as
                      PNG/SVG/PDF; the SVG is also inlined in ``index.html``.
``charts/document/``  the document set (8 cm wide, every text ≥ 8 pt there) as PNG and PDF
                      for Word, Excel and PowerPoint. The （注） sentences most charts share
                      are left out of each chart and printed once as :attr:`Figures.document_note`.

Every chart carries a Japanese text alternative (what it shows and its values) and a data
table. vl-convert's own ARIA labels (English field names, years as 「2,024」) are removed
from the SVG; the root gets ``role="img"`` and a ``<title>``/``<desc>`` in Japanese.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from ebpm.jp import format_fixed
from ebpm.kpi import grade_label, period_label
from ebpm.kpi.display import CI_DIGITS
from ebpm.manifest import notes_of, source_line
from ebpm.report.data import KpiReport, ReportData
from ebpm.report.explain import Observed
from ebpm.report.present import (
    DataTable,
    derived_digits,
    grade_rank,
    is_number,
    unit_of,
    value_text,
    year_text,
)
from ebpm.warehouse.read import ACTUAL, BASE

if TYPE_CHECKING:
    from ebpm.render import Pending, Renderer

__all__ = [
    "DOCUMENT_FORMATS",
    "DataTable",
    "Figure",
    "Figures",
    "accessible_svg",
    "draw_figures",
    "submit_chart",
    "submit_figures",
    "write_drawn",
]

DOCUMENT_FORMATS: Final = ("png", "pdf")
#: A （注） sentence on more than this share of the document charts moves to the document note.
_COMMON_SHARE: Final = 0.5


@dataclass(frozen=True)
class Figure:
    """One chart of the report: its inline SVG, files, text alternative and data table."""

    key: str
    title: str
    description: str
    svg: str
    files: dict[str, Path]
    table: DataTable
    document: dict[str, Path]
    #: the document-size chart as inline SVG (the printed page uses it)
    document_svg: str = ""


@dataclass(frozen=True)
class Figures:
    overview: Figure | None
    kpis: dict[str, Figure]
    #: the （注） sentences shared by the document charts, printed once in each document
    document_note: str

    @property
    def files(self) -> list[Path]:
        figures = ([self.overview] if self.overview else []) + list(self.kpis.values())
        return [p for f in figures for p in (*f.files.values(), *f.document.values())]


# --- text alternatives and data tables ----------------------------------------------------


def _wilson(observed: Observed) -> tuple[float, float] | None:
    """The 95 % interval of a survey share drawn in the chart (None without a sample size)."""
    if not observed.sample_size:
        return None
    from ebpm.survey import wilson_interval

    return wilson_interval(observed.value, int(observed.sample_size))


def _ci_text(interval: tuple[float, float] | None) -> str:
    if interval is None:
        return ""
    return f"{format_fixed(interval[0], CI_DIGITS)}〜{format_fixed(interval[1], CI_DIGITS)}%"


def _trend_description(kpi: KpiReport) -> str:
    row, unit, text = kpi.row, unit_of(kpi.row), kpi.text
    averaged = row.get("target_basis") == "period_average" and period_label(row) is not None
    survey = bool(row.get("is_survey"))
    actuals = [o for o in kpi.observed if o.kind == ACTUAL]
    values = []
    for o in actuals:
        value = f"{year_text(o.fiscal_year)} {value_text(o.value, unit, kpi.decimals_of(o))}"
        if survey and o.sample_size:
            value += f"（回答数 {o.sample_size:,}、95%信頼区間 {_ci_text(_wilson(o))}）"
        values.append(value)
    base = f"基準値は{year_text(int(row['base_fy']))}の{text.base}{unit}"
    if averaged:
        text_ = (
            f"{kpi.title}の推移を示す折れ線グラフ。{base}、目標は{period_label(row)}の平均で"
            f"{text.target}{unit}（期間にわたる横線）です。破線は期待値で、基準値から一定の傾きで"
            "進み、推進期間の平均がちょうど目標値になる経路です。"
        )
    else:
        text_ = (
            f"{kpi.title}の推移を示す折れ線グラフ。{base}、"
            f"目標値は{year_text(int(row['target_fy']))}の{text.target}{unit}で、"
            "その間を結ぶ破線が各年度の期待値です。"
        )
    text_ += f"実績は{'、'.join(values)}です。" if values else "実績はまだありません。"
    averages = [
        (int(r["fiscal_year"]), r["period_average"])
        for r in kpi.years
        if r.get("actual_basis") == "period_average" and is_number(r.get("period_average"))
    ]
    if averages:
        digits = derived_digits(row)
        text_ += (
            "推進期間の初年度からの実績の平均（期間平均）は"
            + "、".join(f"{year_text(y)} {value_text(v, unit, digits)}" for y, v in averages)
            + "です。"
        )
    text_ += f"{year_text(int(row['fiscal_year']))}の評価は「{text.grade}」です。"
    if kpi.is_sample:
        text_ += "実績は研修用サンプルデータ（架空の値）です。"
    return text_


def _trend_table(kpi: KpiReport) -> DataTable:
    """The chart's numbers: each year's value, its period average, expected value and grade."""
    row, unit = kpi.row, unit_of(kpi.row)
    digits = derived_digits(row)
    by_year = {int(r["fiscal_year"]): r for r in kpi.years}
    averaged = row.get("target_basis") == "period_average" and period_label(row) is not None
    survey = bool(row.get("is_survey"))
    headers: list[str] = ["年度", "区分", f"値（{unit}）"]
    if averaged:
        headers.append(f"期間平均（{unit}）")
    headers.append(f"期待値（{unit}）")
    if averaged:
        headers.append(f"期待値の期間平均（{unit}）")
    headers.append("評価")
    if survey:
        headers += ["回答数", "95%信頼区間"]
    rows: list[tuple[str, ...]] = []
    for o in kpi.observed:
        actual = o.kind == ACTUAL
        progress = by_year.get(o.fiscal_year, {}) if actual else {}
        kind = "基準値" if o.kind == BASE else "実績" + ("（サンプル）" if o.is_sample else "")
        cells = [year_text(o.fiscal_year), kind, value_text(o.value, "", kpi.decimals_of(o))]
        if averaged:
            cells.append(
                value_text(progress.get("period_average"), "", digits)
                if progress.get("actual_basis") == "period_average"
                else ""
            )
        cells.append(value_text(progress.get("expected"), "", digits) if actual else "")
        if averaged:
            cells.append(
                value_text(progress.get("expected_period_average"), "", digits)
                if progress.get("actual_basis") == "period_average"
                else ""
            )
        cells.append(grade_label(str(progress["grade"])) if progress.get("grade") else "")
        if survey:
            cells += [f"{o.sample_size:,}" if o.sample_size else "", _ci_text(_wilson(o))]
        rows.append(tuple(cells))
    target = [
        year_text(int(row["target_fy"])),
        f"目標値（{period_label(row)}の平均）" if averaged else "目標値",
        f"{kpi.text.target}",
    ]
    target += [""] * (len(headers) - len(target))
    rows.append(tuple(target))
    numeric = {i for i, h in enumerate(headers) if h.endswith(f"（{unit}）") or h == "回答数"}
    return DataTable(
        caption=f"{kpi.kpi_id} {kpi.title}のグラフの数値",
        headers=tuple(headers),
        rows=tuple(rows),
        numeric=frozenset(numeric),
    )


def _overview_description(data: ReportData) -> str:
    counts: dict[str, int] = {}
    for k in data.kpis:
        counts[str(k.row["grade"])] = counts.get(str(k.row["grade"]), 0) + 1
    summary = "、".join(f"{grade_label(g)} {counts[g]}指標" for g in sorted(counts, key=grade_rank))
    return (
        f"{year_text(data.fiscal_year)}の全{len(data.kpis)}指標のペース（進捗率÷期待される進捗率）を、"
        f"戦略ごとに横棒で示したグラフ。棒の色と記号は評価です。{summary}。"
        "各指標の値は下の表のとおりです。"
    )


def _overview_table(data: ReportData) -> DataTable:
    rows = tuple(
        (k.kpi_id, k.title, k.text.grade_label, k.text.pace, k.text.progress) for k in data.kpis
    )
    return DataTable(
        caption="全指標の進み具合のグラフの数値",
        headers=("ID", "指標", "評価", "ペース", "進捗率"),
        rows=rows,
        numeric=frozenset({3, 4}),
    )


# --- SVG ----------------------------------------------------------------------------------


def accessible_svg(svg: str, chart_id: str, title: str, description: str) -> str:
    """vl-convert's SVG with its English ARIA attributes removed and a Japanese label added.

    The root becomes ``role="img"`` labelled by its own ``<title>`` and ``<desc>``.
    """
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r'\s(?:aria-[a-z]+|role)="[^"]*"', "", svg)
    ids = f"{chart_id}-title {chart_id}-desc"
    svg = re.sub(r"<svg\b", f'<svg role="img" aria-labelledby="{ids}"', svg, count=1)
    start = svg.index(">", svg.index("<svg")) + 1
    label = (
        f'<title id="{chart_id}-title">{html.escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{html.escape(description)}</desc>'
    )
    return svg[:start] + label + svg[start:]


def inline_svg(svg: str) -> str:
    """SVG for embedding in HTML5: no namespace URLs (HTML implies them)."""
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)


def physical_svg(svg: str) -> str:
    """The root's width and height in points: printed, the chart has the size of its PDF
    and PNG (one point per chart unit), so its text has the profile's point sizes."""

    def in_points(match: re.Match[str]) -> str:
        return re.sub(r'\s(width|height)="([\d.]+)"', r' \1="\2pt"', match.group(0))

    return re.sub(r"<svg\b[^>]*>", in_points, svg, count=1)


# --- drawing ------------------------------------------------------------------------------


def _notes(kpi: KpiReport) -> str | None:
    row = kpi.row
    notes = [n for n in (row.get("base_note"), row.get("target_note")) if n]
    return "、".join([*notes, *notes_of(kpi.sources)]) or None


def _actuals(kpi: KpiReport) -> pl.DataFrame:
    """The observed actuals the trend draws, with the sample sizes of survey years (every
    year's 95 % interval is drawn) and the decimals each value was entered with."""
    return kpi.history.filter(pl.col("kind") == ACTUAL).select(
        "fiscal_year", "actual", "is_sample", "sample_size", "value_decimals"
    )


def _trend_arguments(kpi: KpiReport, data: ReportData) -> dict[str, Any]:
    """The arguments of :func:`~ebpm.charts.kpi_trend_chart` for one KPI of the report."""
    return {
        "kpi": kpi.row,
        "history": _actuals(kpi),
        "source": source_line(kpi.sources),
        "note": _notes(kpi),
        "bands": (data.bands.on_track, data.bands.mostly),
    }


def _trend(kpi: KpiReport, data: ReportData, **options: Any) -> Any:
    from ebpm import charts

    return charts.kpi_trend_chart(**_trend_arguments(kpi, data), **options)


def _common_notes(data: ReportData) -> list[str]:
    """（注） sentences on more than half of the document charts, in their first order."""
    from ebpm.charts.profile import DOCUMENT
    from ebpm.charts.trend import plan_trend

    counts: dict[str, int] = {}
    for kpi in data.kpis:
        plan = plan_trend(**_trend_arguments(kpi, data), profile=DOCUMENT)
        for part in dict.fromkeys(plan.note_parts):
            counts[part] = counts.get(part, 0) + 1
    return [p for p, n in counts.items() if n > _COMMON_SHARE * len(data.kpis)]


def submit_chart(
    renderer: Renderer,
    draw: Callable[..., Any],
    /,
    *args: Any,
    formats: Sequence[str],
    **kwargs: Any,
) -> Pending:
    """Start building ``draw(*args, **kwargs)`` and drawing it in ``formats`` and as SVG (the
    page inlines it), in a render worker."""
    from ebpm.charts.export import submit

    return submit(renderer, draw, *args, formats=[*dict.fromkeys([*formats, "svg"])], **kwargs)


def write_drawn(
    pending: Pending, base: Path, formats: Sequence[str]
) -> tuple[dict[str, Path], str]:
    """Write the drawn ``formats`` next to each other, except SVG (written by the caller
    once its text alternative is added); returns the files and the SVG text."""
    bodies = pending.result()
    base.parent.mkdir(parents=True, exist_ok=True)
    files = {}
    for fmt in formats:
        if fmt != "svg":
            files[fmt] = base.with_name(f"{base.name}.{fmt}")
            files[fmt].write_bytes(bodies[fmt])
    return files, bodies["svg"].decode("utf-8")


def _figure(
    key: str,
    title: str,
    description: str,
    table: DataTable,
    pending: Pending,
    base: Path,
    formats: Sequence[str],
) -> Figure:
    files, svg = write_drawn(pending, base, formats)
    labelled = accessible_svg(svg, f"chart-{key}", title, description)
    if "svg" in formats:
        files["svg"] = base.with_name(f"{base.name}.svg")
        files["svg"].write_text(labelled, encoding="utf-8")
    ordered = {f: files[f] for f in formats}
    return Figure(key, title, description, inline_svg(labelled), ordered, table, {})


def _document_figure(figure: Figure, pending: Pending, base: Path) -> Figure:
    """``figure`` with its document-size files and the printed page's SVG."""
    document, svg = write_drawn(pending, base, DOCUMENT_FORMATS)
    key, title, description = figure.key, figure.title, figure.description
    labelled = accessible_svg(svg, f"chart-{key}-doc", title, description)
    return dataclasses.replace(
        figure, document=document, document_svg=physical_svg(inline_svg(labelled))
    )


def submit_figures(
    data: ReportData, chart_dir: Path, formats: Sequence[str], renderer: Renderer
) -> Callable[[], Figures]:
    """Build both chart sets and start drawing them; call the result for the written
    :class:`Figures` (it waits for the drawings)."""
    from ebpm import charts
    from ebpm.charts.profile import DOCUMENT

    if not data.kpis:
        return lambda: Figures(None, {}, "")
    bands = (data.bands.on_track, data.bands.mostly)
    overview = submit_chart(
        renderer,
        charts.progress_overview_chart,
        data.table,
        source=source_line(data.used_records),
        note=None,
        bands=bands,
        formats=formats,
    )
    common = _common_notes(data)
    trend = charts.kpi_trend_chart
    trends = {}
    for kpi in data.kpis:
        arguments = _trend_arguments(kpi, data)
        trends[kpi.kpi_id] = (
            submit_chart(renderer, trend, **arguments, formats=formats),
            submit_chart(
                renderer,
                trend,
                **arguments,
                profile=DOCUMENT,
                omit_notes=common,
                formats=DOCUMENT_FORMATS,
            ),
        )

    def collect() -> Figures:
        figures: dict[str, Figure] = {}
        for kpi in data.kpis:
            screen, document = trends[kpi.kpi_id]
            title = f"{kpi.kpi_id} {kpi.title}"
            description, table = _trend_description(kpi), _trend_table(kpi)
            base = chart_dir / kpi.kpi_id
            figure = _figure(kpi.kpi_id, title, description, table, screen, base, formats)
            base = chart_dir / "document" / kpi.kpi_id
            figures[kpi.kpi_id] = _document_figure(figure, document, base)
        title = "KPIの進捗状況（ペースと評価区分）"
        description, table = _overview_description(data), _overview_table(data)
        base = chart_dir / "overview"
        first = _figure("overview", title, description, table, overview, base, formats)
        note = "（注）" + "".join(common) if common else ""
        return Figures(first, figures, note)

    return collect


def draw_figures(
    data: ReportData,
    chart_dir: Path,
    formats: Sequence[str],
    renderer: Renderer | None = None,
) -> Figures:
    """Draw and write both chart sets; the overview and the trends of every KPI."""
    from ebpm.charts.export import drawing_with

    with drawing_with(renderer) as drawing:
        return submit_figures(data, chart_dir, formats, drawing)()
