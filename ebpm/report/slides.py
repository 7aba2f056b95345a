"""The PowerPoint deck (.pptx, 16:9): a cover, then one slide per strategy.

A strategy slide holds the table of its KPIs (actual, expected, progress, pace, grade) and
the document chart of each KPI; the generated explanations and the departments' commentary
go to the speaker notes, so the slide stays readable and nothing is lost. Two closing
slides carry the grading rules, then the note shared by the charts and the sources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from ebpm.annotations import COMMENTARY_TEXTS
from ebpm.report.data import KpiReport, ReportData, StrategyGroup
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
#: Height of a one-line table row and of each further line (inches).
_ROW_IN: Final = 0.34
_LINE_IN: Final = 0.2


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


def _row_values(kpi: KpiReport) -> list[str]:
    """A KPI's cells: the year's actual first, then what was judged (period average, interval)."""
    unit, text = unit_of(kpi.row), kpi.text
    actual = f"{text.actual}{unit}" if kpi.own else "−"
    expected = f"{text.expected}{unit}"
    if text.period_average is not None:
        actual += f"\n期間平均 {text.period_average}{unit}"
        expected += f"\n期間平均 {text.expected_period_average}{unit}"
    elif text.sample_size is not None:
        actual += f"\n区間 {text.ci}"
    grade = text.grade_label + ("＊" if kpi.is_sample else "")
    if text.formula_grade != text.grade:
        grade += f"\n計算上は{text.formula_grade}"
    return [kpi.kpi_id, kpi.title, actual, expected, text.progress, text.pace, grade]


def _kpi_table(slide: Any, group: StrategyGroup, top: float) -> float:
    """The strategy's KPIs as a table; returns where the table ends (inches from the top)."""
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    values = [_row_values(kpi) for kpi in group.kpis]
    lines = [1] + [max(v.count("\n") + 1 for v in row) for row in values]
    heights = [_ROW_IN + _LINE_IN * (n - 1) for n in lines]
    shape = slide.shapes.add_table(len(lines), len(TABLE_HEADERS), Inches(0.4), Inches(top),
                                   Inches(_WIDTH_IN - 0.8), Inches(sum(heights)))  # fmt: skip
    table = shape.table
    widths = [0.7, 4.0, 2.2, 2.2, 1.0, 0.9, 1.53]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Inches(width)
    for row, height in zip(table.rows, heights, strict=True):
        row.height = Inches(height)

    def put(r: int, c: int, text: str, *, bold: bool = False) -> Any:
        cell = table.cell(r, c)
        cell.text = text
        for paragraph in cell.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(12 if paragraph is cell.text_frame.paragraphs[0] else 10)
                run.font.name = FONT
                run.font.bold = bold
        return cell

    for c, header in enumerate(TABLE_HEADERS):
        put(0, c, header, bold=True)
    for r, (kpi, row) in enumerate(zip(group.kpis, values, strict=True), start=1):
        for c, value in enumerate(row):
            cell = put(r, c, value, bold=c == len(row) - 1)
        style = grade_style(str(kpi.row["grade"]))
        cell.fill.solid()
        cell.fill.fore_color.rgb = RGBColor.from_string(style.fill.lstrip("#"))
        for paragraph in cell.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.color.rgb = RGBColor.from_string(style.on_fill.lstrip("#"))
    return top + sum(heights)


def _charts(slide: Any, group: StrategyGroup, figures: Figures, top: float) -> None:
    """The KPIs' document charts side by side below the table, as large as the room allows."""
    from PIL import Image
    from pptx.util import Inches

    pngs = [p for k in group.kpis if (p := figures.kpis[k.kpi_id].document.get("png"))]
    if not pngs:
        return
    room_h = _HEIGHT_IN - top - 0.35
    gap = 0.3
    slot = (_WIDTH_IN - 0.8 - gap * (len(pngs) - 1)) / len(pngs)
    left = 0.4
    for png in pngs:
        with Image.open(png) as image:
            aspect = image.height / image.width
        width = min(slot, room_h / aspect)
        slide.shapes.add_picture(str(png), Inches(left), Inches(top + 0.15), width=Inches(width))
        left += width + gap


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
    rules = deck.slides.add_slide(blank)
    _title(rules, "評価の決め方")
    _text_box(
        rules,
        0.6,
        1.3,
        _WIDTH_IN - 1.2,
        5.8,
        rule_texts(data.bands, (k.row for k in data.kpis)),
        12,
    )
    closing = deck.slides.add_slide(blank)
    _title(closing, "グラフの注と出典")
    lines = [f"グラフに共通の注：{figures.document_note}"] if figures.document_note else []
    lines += [f"出典：「{r.title}」（{r.publisher}）" for r in data.used_records]
    _text_box(closing, 0.6, 1.3, _WIDTH_IN - 1.2, 5.8, lines, 12)
    tmp = path.with_name(path.name + ".tmp")
    deck.save(str(tmp))
    tmp.replace(path)
    return path
