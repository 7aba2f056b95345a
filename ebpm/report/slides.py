"""The PowerPoint deck (.pptx, 16:9): a cover, then one slide per strategy.

A strategy slide holds the table of its KPIs (actual, expected, progress, pace, grade) and
the document chart of each KPI; the generated explanations and the departments' commentary
go to the speaker notes, so the slide stays readable and nothing is lost. A closing slide
carries the grade rule, the note shared by the charts and the sources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from ebpm.annotations import COMMENTARY_TEXTS
from ebpm.report.data import ReportData, StrategyGroup
from ebpm.report.figures import Figures
from ebpm.report.present import (
    grade_label,
    grade_rank,
    grade_style,
    rule_texts,
    unit_of,
    year_text,
)

__all__ = ["TABLE_HEADERS", "write_slides"]

FONT: Final = "游ゴシック"
TABLE_HEADERS: Final = ("ID", "指標名", "実績値", "期待値", "進捗率", "ペース", "評価")
_WIDTH_IN: Final = 13.333
_HEIGHT_IN: Final = 7.5


def _text_box(
    slide: Any, left: float, top: float, width: float, height: float, lines: list[str], size: float
) -> Any:
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.name = FONT
    return box


def _title(slide: Any, text: str, sub: str | None = None) -> None:
    from pptx.util import Pt

    _text_box(slide, 0.4, 0.25, _WIDTH_IN - 0.8, 0.6, [text], 24).text_frame.paragraphs[0].runs[
        0
    ].font.bold = True
    if sub:
        box = _text_box(slide, 0.4, 0.85, _WIDTH_IN - 0.8, 0.35, [sub], 12)
        box.text_frame.paragraphs[0].runs[0].font.size = Pt(12)


def _kpi_table(slide: Any, group: StrategyGroup, top: float) -> float:
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    rows = len(group.kpis) + 1
    height = 0.32 * rows
    shape = slide.shapes.add_table(rows, len(TABLE_HEADERS), Inches(0.4), Inches(top),
                                   Inches(_WIDTH_IN - 0.8), Inches(height))  # fmt: skip
    table = shape.table
    widths = [0.7, 5.2, 1.5, 1.5, 1.1, 1.0, 1.53]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Inches(width)

    def put(r: int, c: int, text: str, *, bold: bool = False) -> Any:
        cell = table.cell(r, c)
        cell.text = text
        run = cell.text_frame.paragraphs[0].runs[0]
        run.font.size = Pt(12)
        run.font.name = FONT
        run.font.bold = bold
        return cell

    for c, header in enumerate(TABLE_HEADERS):
        put(0, c, header, bold=True)
    for r, kpi in enumerate(group.kpis, start=1):
        unit, text = unit_of(kpi.row), kpi.text
        actual = f"{text.actual}{unit}" if kpi.own else "−"
        expected = f"{text.expected}{unit}"
        if text.period_average is not None:  # the year's value, then what was judged
            actual += f"（期間平均 {text.period_average}{unit}）"
            expected += f"（期間平均 {text.expected_period_average}{unit}）"
        elif text.sample_size is not None:
            actual += f"（区間 {text.ci}）"
        values = [
            kpi.kpi_id,
            kpi.title,
            actual,
            expected,
            text.progress,
            text.pace,
            text.grade_label + ("＊" if kpi.is_sample else ""),
        ]
        for c, value in enumerate(values):
            cell = put(r, c, value, bold=c == len(values) - 1)
        style = grade_style(str(kpi.row["grade"]))
        cell.fill.solid()
        cell.fill.fore_color.rgb = RGBColor.from_string(style.fill.lstrip("#"))
        cell.text_frame.paragraphs[0].runs[0].font.color.rgb = RGBColor.from_string(
            style.on_fill.lstrip("#")
        )
    return top + height


def _charts(slide: Any, group: StrategyGroup, figures: Figures, top: float) -> None:
    from PIL import Image
    from pptx.util import Inches

    pngs = [p for k in group.kpis if (p := figures.kpis[k.kpi_id].document.get("png"))]
    if not pngs:
        return
    room_h = _HEIGHT_IN - top - 0.45
    gap = 0.3
    for index, png in enumerate(pngs):
        with Image.open(png) as image:
            aspect = image.height / image.width
        width = min((_WIDTH_IN - 0.8 - gap * (len(pngs) - 1)) / len(pngs), room_h / aspect)
        left = 0.4 + index * (width + gap)
        slide.shapes.add_picture(str(png), Inches(left), Inches(top + 0.1), width=Inches(width))


def _notes(slide: Any, group: StrategyGroup) -> None:
    lines = []
    for kpi in group.kpis:
        lines.append(f"■ {kpi.kpi_id} {kpi.title}")
        lines.append("評価の説明（データから自動で作成）：" + kpi.explanation.text)
        lines += [f"注：{note}" for note in kpi.text.notes]
        if kpi.commentary:
            lines.append(f"所管課のコメント（{kpi.commentary['department']}）：")
            lines += [
                f"{label}：{kpi.commentary.get(key) or '（記入なし）'}"
                for key, label in COMMENTARY_TEXTS.items()
            ]
        if kpi.actual_note:
            lines.append(f"実績の備考：{kpi.actual_note}")
        lines.append("")
    slide.notes_slide.notes_text_frame.text = "\n".join(lines)


def write_slides(path: Path, data: ReportData, figures: Figures) -> Path:
    """Write the deck to ``path`` (replacing an older one)."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(_WIDTH_IN), Inches(_HEIGHT_IN)
    blank = deck.slide_layouts[6]
    cover = deck.slides.add_slide(blank)
    _title(
        cover, data.title, f"{year_text(data.fiscal_year)}の評価　作成日：{data.today:%Y年%m月%d日}"
    )
    counts: dict[str, list[str]] = {}
    for kpi in data.kpis:
        counts.setdefault(str(kpi.row["grade"]), []).append(kpi.kpi_id)
    lines = [
        f"{grade_label(grade)}：{len(ids)}指標（{'・'.join(ids)}）"
        for grade, ids in sorted(counts.items(), key=lambda item: grade_rank(item[0]))
    ]
    if data.has_sample:
        lines += [
            "",
            f"＊{data.sample_label}（架空の値）を含みます。対外的な資料には使わないでください。",
        ]
    _text_box(cover, 0.6, 1.6, _WIDTH_IN - 1.2, 4.5, lines, 18)
    for group in data.groups:
        slide = deck.slides.add_slide(blank)
        field = f"分野{group.field_id} {group.field_name}"
        if group.strategy_id is None:
            _title(slide, group.title)
            _text_box(
                slide,
                0.6,
                1.6,
                _WIDTH_IN - 1.2,
                2,
                ["KPI未設定（この分野の戦略・戦術・KPIはまだ定められていません）"],
                18,
            )
            continue
        _title(
            slide,
            group.title,
            f"{field}｜{year_text(data.fiscal_year)}の評価（＊は{data.sample_label}）",
        )
        if not group.kpis:
            continue
        bottom = _kpi_table(slide, group, 1.3)
        _charts(slide, group, figures, bottom)
        _notes(slide, group)
    closing = deck.slides.add_slide(blank)
    _title(closing, "評価の決め方と出典")
    lines = rule_texts(data.bands, (k.row for k in data.kpis))
    if figures.document_note:
        lines.append(f"グラフに共通の注：{figures.document_note}")
    lines += [f"出典：「{r.title}」（{r.publisher}）" for r in data.used_records]
    _text_box(closing, 0.6, 1.3, _WIDTH_IN - 1.2, 5.8, lines, 12)
    tmp = path.with_name(path.name + ".tmp")
    deck.save(str(tmp))
    tmp.replace(path)
    return path
