"""Chart profiles: document charts readable at 8 cm, and PNG and PDF of one physical size."""

from __future__ import annotations

import io
import re
from typing import Any

import polars as pl
import pytest
from PIL import Image

from ebpm import charts
from ebpm.charts.export import render, themed_spec
from ebpm.charts.profile import (
    DOCUMENT,
    DOCUMENT_WIDTH_CM,
    MIN_DOCUMENT_PT,
    WEB,
    font_sizes,
    text_pt,
)
from ebpm.charts.trend import plan_trend

SOURCE = "出典：大船渡市「大船渡市DX戦略」（令和7年2月）を加工して作成"


def kpi_row(**changes: Any) -> dict[str, Any]:
    row = {
        "kpi_id": "K09",
        "name": "コピー用紙購入枚数",
        "short_name": "コピー用紙購入枚数",
        "strategy_id": "3-1",
        "unit": "枚",
        "aggregation": "single_year",
        "direction": "decrease",
        "base_fy": 2023,
        "base_value": 5_216_000.0,
        "target_fy": 2027,
        "target_value": 3_652_000.0,
        "fiscal_year": 2025,
        "actual": 4_500_000.0,
        "progress": 0.4578,
        "pace": 0.9156,
        "grade": "概ね順調",
        "is_sample": True,
    }
    return row | changes


HISTORY = pl.DataFrame(
    {"fiscal_year": [2024, 2025], "actual": [4_870_000.0, 4_500_000.0], "is_sample": [True, True]}
)


def svg_width(svg: str) -> float:
    return float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]


def test_text_pt_of_a_chart_placed_at_8cm() -> None:
    # 226.77 units = 8 cm at 72 units per inch: a 9-unit text is 9 pt; twice as wide, 4.5 pt
    assert text_pt(9, chart_width=8 / 2.54 * 72) == pytest.approx(9.0)
    assert text_pt(9, chart_width=2 * 8 / 2.54 * 72) == pytest.approx(4.5)


def test_document_profile_is_laid_out_to_fit_8cm() -> None:
    # the planned layout leaves about 0.5 cm for labels drawn past the plot's right edge
    assert DOCUMENT_WIDTH_CM - 0.8 <= DOCUMENT.total_width / 72 * 2.54 <= DOCUMENT_WIDTH_CM
    assert min(DOCUMENT.sizes()) >= MIN_DOCUMENT_PT


@pytest.mark.parametrize(
    "row",
    [
        kpi_row(),
        kpi_row(
            kpi_id="K02",
            name="「窓口業務や施設利用など、市の行政サービスは利用しやすい」と答えた割合",
            short_name="行政サービスが利用しやすいと答えた割合",
            unit="%",
            direction="increase",
            base_value=46.1,
            target_value=54.1,
            actual=48.0,
            progress=0.2375,
            pace=0.475,
            grade="遅れ",
        ),
    ],
    ids=["K09", "K02"],
)
def test_every_text_of_a_document_chart_is_at_least_8pt_at_8cm(row: dict[str, Any]) -> None:
    history = HISTORY if row["kpi_id"] == "K09" else HISTORY.with_columns(actual=pl.lit(47.0))
    chart = charts.kpi_trend_chart(row, history, source=SOURCE, profile=DOCUMENT)
    svg = render(chart, "svg").decode("utf-8")
    width = svg_width(svg)  # the chart as drawn, labels past the plot included
    spec_sizes = font_sizes(themed_spec(chart))
    drawn_sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)', svg)]
    assert spec_sizes and drawn_sizes
    smallest = min(spec_sizes + drawn_sizes)
    assert text_pt(smallest, chart_width=width) >= MIN_DOCUMENT_PT, (smallest, width)


def test_the_web_chart_would_fail_the_8pt_rule_at_8cm() -> None:
    # the check can fail: the screen chart pasted 8 cm wide has text of about 4 pt
    chart = charts.kpi_trend_chart(kpi_row(), HISTORY, source=SOURCE)
    svg = render(chart, "svg").decode("utf-8")
    smallest = min(float(s) for s in re.findall(r'font-size="([\d.]+)', svg))
    assert text_pt(smallest, chart_width=svg_width(svg)) < 5


def _png_size_inches(png: bytes) -> tuple[float, float]:
    image = Image.open(io.BytesIO(png))
    dpi_x, dpi_y = image.info["dpi"]
    return image.width / dpi_x, image.height / dpi_y


def _pdf_size_inches(pdf: bytes) -> tuple[float, float]:
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert box is not None
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    return (x1 - x0) / 72, (y1 - y0) / 72


@pytest.mark.parametrize("profile", [WEB, DOCUMENT], ids=["web", "document"])
def test_png_and_pdf_of_a_chart_are_the_same_physical_size(profile: Any) -> None:
    chart = charts.kpi_trend_chart(kpi_row(), HISTORY, source=SOURCE, profile=profile)
    png_w, png_h = _png_size_inches(render(chart, "png"))
    pdf_w, pdf_h = _pdf_size_inches(render(chart, "pdf"))
    assert png_w == pytest.approx(pdf_w, rel=0.01)
    assert png_h == pytest.approx(pdf_h, rel=0.01)


def test_png_is_written_at_300_dpi() -> None:
    chart = charts.kpi_trend_chart(kpi_row(), HISTORY, source=SOURCE, profile=DOCUMENT)
    image = Image.open(io.BytesIO(render(chart, "png")))
    assert tuple(round(v) for v in image.info["dpi"]) == (300, 300)


def test_omitted_notes_leave_the_footer_but_stay_in_the_plan() -> None:
    plan = plan_trend(kpi_row(), HISTORY, source=SOURCE, note="※テストの注", profile=DOCUMENT)
    shared = [p for p in plan.note_parts if p.startswith("破線は")]
    assert shared
    lean = plan_trend(
        kpi_row(), HISTORY, source=SOURCE, note="※テストの注", profile=DOCUMENT, omit_notes=shared
    )
    footer = "".join(lean.caption.footer)
    assert "破線は" not in footer
    assert "※テストの注" in footer and footer.startswith("出典：")
    assert lean.note_parts == plan.note_parts


def test_without_any_note_left_the_footer_has_no_empty_note_line() -> None:
    plan = plan_trend(kpi_row(), HISTORY, source=SOURCE, profile=DOCUMENT)
    lean = plan_trend(
        kpi_row(), HISTORY, source=SOURCE, profile=DOCUMENT, omit_notes=plan.note_parts
    )
    assert not any(line.startswith("（注）") for line in lean.caption.footer)


def test_document_year_labels_are_stacked_and_web_labels_are_not() -> None:
    doc = themed_spec(charts.kpi_trend_chart(kpi_row(), HISTORY, source=SOURCE, profile=DOCUMENT))
    web = themed_spec(charts.kpi_trend_chart(kpi_row(), HISTORY, source=SOURCE))
    doc_x = doc["vconcat"][0]["layer"][0]["encoding"]["x"]["axis"]["labelExpr"]
    web_x = web["vconcat"][0]["layer"][0]["encoding"]["x"]["axis"]["labelExpr"]
    assert doc_x == "[toString(datum.value), '年度']"
    assert web_x == "datum.value + '年度'"


@pytest.mark.parametrize("kpi_id", ["K02", "K06", "K10", "K14"])
def test_document_charts_of_the_evidence_rules_keep_8pt_at_8cm(built_db, kpi_id: str) -> None:
    # the widest contents: survey intervals and their legend entry (K02, K06), the period-average
    # series, path and target segment with their long legend labels (K10), a corrected unit (K14)
    from ebpm.manifest import source_line
    from ebpm.warehouse import Warehouse

    with Warehouse(built_db) as wh:
        row = wh.progress_table(2025).filter(pl.col("kpi_id") == kpi_id).row(0, named=True)
        history = wh.kpi_history(kpi_id, with_base=False)
        source = source_line(wh.kpi_sources(kpi_id))  # the real, long 出典 line
    chart = charts.kpi_trend_chart(row, history, source=source, profile=DOCUMENT)
    svg = render(chart, "svg").decode("utf-8")
    width = svg_width(svg)
    assert width / 72 * 2.54 <= DOCUMENT_WIDTH_CM  # placed at its own size it fits 8 cm
    drawn = min(float(s) for s in re.findall(r'font-size="([\d.]+)', svg))
    assert text_pt(drawn, chart_width=width) >= MIN_DOCUMENT_PT, (drawn, width)


def test_compact_document_chart_says_what_the_subtitle_does_not() -> None:
    # a survey share: n, interval and change are in the subtitle; the footer keeps only the
    # assumption about the base survey's sample size, and the legend names the diamonds
    row = kpi_row(
        kpi_id="K06",
        unit="%",
        direction="increase",
        base_value=48.9,
        target_value=56.9,
        actual=48.2,
        progress=-0.0875,
        pace=-0.175,
        grade="変化なし（誤差の範囲）",
        formula_grade="悪化",
        is_survey=True,
        sample_size=795,
        ci_lower=44.74,
        ci_upper=51.67,
        survey_change=-0.7,
        survey_margin=4.913,
        base_sample_size=795,
        base_sample_size_assumed=True,
    )
    history = pl.DataFrame({"fiscal_year": [2025], "actual": [48.2], "sample_size": [795]})
    web = plan_trend(row, history, source=SOURCE)
    document = plan_trend(row, history, source=SOURCE, profile=DOCUMENT)
    assert "計算上の評価は悪化です" in web.caption.note  # the web chart keeps the whole note
    assert "計算上の評価" not in document.caption.note
    assert "795件と仮定しました" in document.caption.note
    assert "回答数 795" in "".join(document.caption.subtitle)
    spec = charts.kpi_trend_chart(row, history, source=SOURCE, profile=DOCUMENT).to_dict()
    labels = [
        r["label"]
        for rows in spec["datasets"].values()
        for r in rows
        if r.get("series") in ("基準値", "目標値")
    ]
    assert sorted(labels) == ["48.9", "56.9"]
