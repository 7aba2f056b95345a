"""The committee pack made from the warehouse, in one run of ``ebpm report``.

=================  ===========================================================================
``data``           one warehouse snapshot, cut at the report's year (:func:`read_report_data`)
``explain``        the generated explanation of each KPI (the same text in every output)
``logic_model``    インプット → 活動 → アウトプット → アウトカム per strategy
``figures``        both chart sets (screen and 8 cm document), text alternatives, data tables
``html``           the offline ``index.html`` (Jinja2 template, print stylesheet, filters)
``workbook``       the evaluation workbook (.xlsx)
``document``       the Word report (.docx)
``slides``         the PowerPoint deck (.pptx), one slide per strategy
``present``        how numbers, years and grades are printed (one place)
=================  ===========================================================================

By default the pack of year Y goes to ``data/processed/report/Y/``, so reports of
different years never overwrite each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ebpm import paths
from ebpm.render import CHART_CACHE_ENV, chart_cache_dir
from ebpm.warehouse.read import Warehouse

__all__ = [
    "CHART_CACHE_ENV",
    "DOCUMENT_NAMES",
    "FORMATS",
    "ReportResult",
    "chart_cache_dir",
    "default_report_dir",
    "write_report",
]

FORMATS = ("png", "svg", "pdf")
#: What each document is called in the page's file list, and its file name pattern.
DOCUMENT_NAMES = {
    "評価表（Excel）": "KPI評価表_{fy}年度.xlsx",
    "報告書（Word）": "KPI評価報告書_{fy}年度.docx",
    "説明資料（PowerPoint）": "KPI評価説明資料_{fy}年度.pptx",
}


@dataclass(frozen=True)
class ReportResult:
    """Where the report, its documents and its chart files were written."""

    index: Path
    charts: list[Path]
    fiscal_year: int | None
    documents: dict[str, Path] = field(default_factory=dict)
    #: charts drawn in this run, and charts taken unchanged from the chart cache
    drawn: int = 0
    reused: int = 0

    @property
    def workbook(self) -> Path | None:
        return next((p for p in self.documents.values() if p.suffix == ".xlsx"), None)

    @property
    def docx(self) -> Path | None:
        return next((p for p in self.documents.values() if p.suffix == ".docx"), None)

    @property
    def pptx(self) -> Path | None:
        return next((p for p in self.documents.values() if p.suffix == ".pptx"), None)


def default_report_dir(fiscal_year: int | None) -> Path:
    """``data/processed/report/<year>/`` of the current workspace (the folder itself without a year)."""
    root = paths.workspace().report
    return root / str(fiscal_year) if fiscal_year is not None else root


def write_report(
    out_dir: str | Path | None = None,
    db_path: str | Path | Warehouse | None = None,
    *,
    fiscal_year: int | None = None,
    formats: tuple[str, ...] = FORMATS,
    documents: bool = True,
    today: dt.date | None = None,
    cache: bool = True,
) -> ReportResult:
    """Write ``index.html``, both chart sets and (with ``documents``) the xlsx, docx and pptx.

    ``db_path`` may be an open :class:`~ebpm.warehouse.Warehouse` (it is left open); every
    table is read from that one snapshot. ``out_dir`` defaults to
    ``data/processed/report/<year>/``. Nothing after ``fiscal_year`` is shown. With no
    actuals yet (a new workspace) only the page is written: definitions and provenance,
    and a note on what to enter. A ``fiscal_year`` without rows is an error.

    Charts are drawn in worker processes while the next ones are built; with ``cache`` a
    chart whose spec is unchanged since an earlier report is copied from
    :func:`chart_cache_dir` instead of drawn again.
    """
    from ebpm.charts.export import renderer
    from ebpm.report.context import submit_context
    from ebpm.report.data import read_report_data
    from ebpm.report.figures import submit_figures
    from ebpm.report.html import write_page

    # the workers start first: they load Altair while this process reads the warehouse
    with renderer(cache_dir=chart_cache_dir() if cache else None) as drawing:
        if isinstance(db_path, Warehouse):
            data = read_report_data(db_path, fiscal_year, today=today)
        else:
            with Warehouse(db_path) as wh:
                data = read_report_data(wh, fiscal_year, today=today)
        out = Path(out_dir) if out_dir else default_report_dir(data.fiscal_year)
        out.mkdir(parents=True, exist_ok=True)
        # built and queued first, waited for last: the workers draw while this process writes
        later_figures = submit_figures(data, out / "charts", formats, drawing)
        later_context = submit_context(data.context, out / "charts", formats, drawing)
        for kpi in data.kpis:  # the forecasts are fitted while the workers draw
            _ = kpi.explanation
        figures = later_figures()
        written: dict[str, Path] = {}
        if documents and data.kpis:
            from ebpm.report.document import write_document
            from ebpm.report.slides import write_slides
            from ebpm.report.workbook import write_workbook

            writers = (write_workbook, write_document, write_slides)
            for (label, pattern), writer in zip(DOCUMENT_NAMES.items(), writers, strict=True):
                written[label] = writer(out / pattern.format(fy=data.fiscal_year), data, figures)
        context = later_context()
    if drawing.cache is not None:
        drawing.cache.prune()
    index = write_page(out / "index.html", data, figures, written, context)
    return ReportResult(
        index, figures.files, data.fiscal_year, written, drawing.drawn, drawing.reused
    )
