"""The report's charts drawn once (SVG, then PNG and PDF from it) equal what vl-convert makes
from the Vega-Lite spec format by format, as the report did before (issue 15)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from ebpm.charts.export import PRINT_SCALE, UNITS_PER_INCH, render_formats, themed_spec
from ebpm.charts.theme import render_kwargs, require_japanese_font


def _report_charts(db: Path) -> dict[str, object]:
    from ebpm.charts.profile import DOCUMENT
    from ebpm.report.data import read_report_data
    from ebpm.report.figures import _trend
    from ebpm.warehouse.read import Warehouse

    with Warehouse(db) as wh:
        data = read_report_data(wh, None, today=dt.date(2026, 11, 26))
    kpi = data.kpis[0]
    return {"screen": _trend(kpi, data), "document": _trend(kpi, data, profile=DOCUMENT)}


@pytest.fixture(scope="module")
def drawn(built_db: Path) -> dict[str, tuple[dict[str, bytes], dict[str, bytes]]]:
    """Per chart: (the new single render, the former per-format conversions)."""
    import vl_convert as vlc

    require_japanese_font()
    kwargs = render_kwargs()
    ppi = UNITS_PER_INCH * PRINT_SCALE
    out = {}
    for name, chart in _report_charts(built_db).items():
        spec = themed_spec(chart)
        before = {
            "svg": vlc.vegalite_to_svg(spec, **kwargs).encode("utf-8"),
            "png": vlc.vegalite_to_png(spec, scale=PRINT_SCALE * 72 / ppi, ppi=ppi, **kwargs),
            "pdf": vlc.vegalite_to_pdf(spec, **kwargs),
        }
        out[name] = (render_formats(chart, ("png", "svg", "pdf")), before)
    return out


def _pdf_page(pdf: bytes) -> bytes:
    """The PDF with the entries of each resource dictionary (``/gs0 7 0 R``, ``/xo1 10 0 R`` …)
    sorted: vl-convert writes them in a random order (two ``vegalite_to_pdf`` calls on one spec
    already differ there)."""

    def sort_entries(match: re.Match[bytes]) -> bytes:
        return match.group(1) + b"".join(sorted(re.findall(rb"\s*/\w+ \d+ 0 R", match.group(2))))

    return re.sub(rb"(/\w+ <<)((?:\s*/\w+ \d+ 0 R)+)", sort_entries, pdf)


@pytest.mark.parametrize("name", ["screen", "document"])
def test_svg_is_the_one_vegalite_to_svg_draws(drawn, name):
    after, before = drawn[name]
    assert after["svg"] == before["svg"]


@pytest.mark.parametrize("name", ["screen", "document"])
def test_png_from_the_svg_is_byte_identical(drawn, name):
    after, before = drawn[name]
    assert after["png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert after["png"] == before["png"]


@pytest.mark.parametrize("name", ["screen", "document"])
def test_pdf_from_the_svg_draws_the_same_page(drawn, name):
    after, before = drawn[name]
    assert after["pdf"].startswith(b"%PDF")
    assert len(after["pdf"]) == len(before["pdf"])
    assert _pdf_page(after["pdf"]) == _pdf_page(before["pdf"])


def test_pdf_normalising_only_reorders_resource_entries():
    one = b"/XObject <<\n      /xo0 8 0 R\n      /xo1 10 0 R\n    >>"
    other = b"/XObject <<\n      /xo1 10 0 R\n      /xo0 8 0 R\n    >>"
    changed = b"/XObject <<\n      /xo1 9 0 R\n      /xo0 8 0 R\n    >>"
    assert _pdf_page(one) == _pdf_page(other)
    assert _pdf_page(one) != _pdf_page(changed)
