"""The Word report (.docx): the progress table as a real table, then one section per strategy.

Each strategy section holds its logic model and, per KPI, the document chart (8 cm wide),
the key numbers, the department's commentary and the generated explanation. The note the
charts share is printed once; sources close the document. A4 portrait, Japanese font.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from ebpm.annotations import COMMENTARY_TEXTS
from ebpm.report.data import KpiReport, ReportData, StrategyGroup
from ebpm.report.figures import Figures
from ebpm.report.logic_model import STAGE_NAMES, LogicModel
from ebpm.report.present import (
    OUTLINE,
    grade_style,
    rule_texts,
    unit_of,
    year_text,
)

__all__ = ["PROGRESS_HEADERS", "write_document"]

#: Font for Japanese text (present on Windows with Office; other viewers substitute).
FONT: Final = "游ゴシック"
PROGRESS_HEADERS: Final = (
    "ID",
    "指標名",
    "前年度の値",
    "実績値",
    "期待値",
    "進捗率",
    "ペース",
    "評価",
)


def _set_font(style: Any, size: float | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style.font.name = FONT
    r_pr = style.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    fonts.set(qn("w:eastAsia"), FONT)
    if size:
        style.font.size = Pt(size)


def _shade(cell: Any, colour: str) -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    cell._tc.get_or_add_tcPr().append(
        parse_xml(
            f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{colour.lstrip("#")}"/>'
        )
    )


def _border(cell: Any, colour: str) -> None:
    """A thin border of ``colour`` around a cell (light grade fills keep their edge in print)."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    edges = "".join(
        f'<w:{side} w:val="single" w:sz="8" w:color="{colour.lstrip("#")}"/>'
        for side in ("top", "left", "bottom", "right")
    )
    cell._tc.get_or_add_tcPr().append(
        parse_xml(f"<w:tcBorders {nsdecls('w')}>{edges}</w:tcBorders>")
    )


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _cell_text(
    cell: Any, text: str, *, size: float = 8, bold: bool = False, colour: str | None = None
) -> None:
    from docx.shared import Pt, RGBColor

    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour.lstrip("#"))


def _table(
    doc: Any, headers: tuple[str, ...] | list[str], rows: list[list[str]], widths_cm: list[float]
) -> Any:
    from docx.shared import Cm

    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        _cell_text(cell, header, bold=True)
        _shade(cell, "#DDEBF7")
    _repeat_header(table.rows[0])
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            _cell_text(cell, value)
    table.autofit = False
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)  # the table grid (LibreOffice reads this)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)  # each cell (Word reads this)
    return table


def _actual_cell(kpi: KpiReport) -> str:
    """The year's actual, then what its grade was judged on (period average, sampling error)."""
    text, unit = kpi.text, unit_of(kpi.row)
    lines = [f"{text.actual}{unit}" if kpi.own else "−"]
    if text.period_average is not None:
        lines.append(f"期間平均 {text.period_average}{unit}")
    if text.sample_size is not None:
        lines.append(f"回答数 {text.sample_size}")
        if text.ci:
            lines.append(f"区間 {text.ci}")
    return "\n".join(lines)


def _expected_cell(kpi: KpiReport) -> str:
    text, unit = kpi.text, unit_of(kpi.row)
    cell = f"{text.expected}{unit}"
    if text.expected_period_average is not None:
        cell += f"\n期間平均 {text.expected_period_average}{unit}"
    return cell


def _grade_cell(kpi: KpiReport) -> str:
    text = kpi.text
    cell = text.grade_label + ("＊" if kpi.is_sample else "")
    if text.formula_grade != text.grade:
        cell += f"\n計算上は{text.formula_grade}"
    return cell


def _progress_table(doc: Any, data: ReportData) -> None:
    rows = []
    for kpi in data.kpis:
        unit = unit_of(kpi.row)
        rows.append(
            [
                kpi.kpi_id,
                kpi.title,
                f"{kpi.previous_text}{unit}" if kpi.previous else "−",
                _actual_cell(kpi),
                _expected_cell(kpi),
                kpi.text.progress,
                kpi.text.pace,
                _grade_cell(kpi),
            ]
        )
    table = _table(doc, PROGRESS_HEADERS, rows, [1.0, 4.0, 2.1, 2.7, 2.5, 1.4, 1.2, 2.5])
    for kpi, table_row in zip(data.kpis, table.rows[1:], strict=True):
        style = grade_style(str(kpi.row["grade"]))
        cell = table_row.cells[-1]
        _shade(cell, style.fill)
        if style.outline:
            _border(cell, OUTLINE)
        _cell_text(cell, cell.text, bold=True, colour=style.on_fill)
        for cell in table_row.cells[2:7]:
            for paragraph in cell.paragraphs:
                paragraph.alignment = 2  # right


def _logic_table(doc: Any, model: LogicModel) -> None:
    cells = model.cells()
    values = ["\n".join(cells[s]) or model.empty.get(s, "") for s in STAGE_NAMES]
    _table(doc, STAGE_NAMES, [values], [3.3, 4.6, 4.3, 4.3])


def _numbers(kpi: KpiReport) -> list[str]:
    unit, row, text = unit_of(kpi.row), kpi.row, kpi.text
    actual = f"実績値：{text.actual}{unit}" if kpi.own else "実績値：−"
    if text.sample_size is not None:
        actual += f"（回答数 {text.sample_size}、95%信頼区間 {text.ci}）"
    lines = [actual + ("（研修用サンプルデータ）" if kpi.is_sample else "")]
    if text.period_average is not None:
        lines.append(
            f"期間平均（評価に使った値）：{text.period_average}{unit}"
            f"（期待値の期間平均 {text.expected_period_average}{unit}）"
        )
    lines += [
        f"前年度の値：{kpi.previous_text}{unit if kpi.previous else ''}"
        + (f"（{kpi.change_text}）" if kpi.change is not None else ""),
        f"期待値：{text.expected}{unit}",
        f"進捗率：{text.progress}　ペース：{text.pace}",
        f"評価：{text.grade_label}（{row['reason']}）",
        f"目標：{year_text(int(row['target_fy']))}に{text.target}{unit}"
        + ("（推進期間の平均）" if text.period_average is not None else ""),
    ]
    if kpi.stage:
        lines.append(f"ロジックモデル上の区分：{kpi.stage}")
    lines += [f"注：{note}" for note in text.notes]
    return lines


def _kpi_section(doc: Any, kpi: KpiReport, figures: Figures) -> None:
    from docx.shared import Cm, Pt

    doc.add_heading(f"{kpi.kpi_id} {kpi.title}", level=2)
    layout = doc.add_table(rows=1, cols=2)
    layout.autofit = False
    for column, width in zip(layout.columns, (8.4, 8.6), strict=True):
        column.width = Cm(width)
    left, right = layout.rows[0].cells
    left.width, right.width = Cm(8.4), Cm(8.6)
    png = figures.kpis[kpi.kpi_id].document.get("png")
    if png:
        left.paragraphs[0].add_run().add_picture(str(png), width=Cm(8))
    right.text = ""
    first = True
    for line in _numbers(kpi):
        paragraph = right.paragraphs[0] if first else right.add_paragraph()
        first = False
        run = paragraph.add_run(line)
        run.font.size = Pt(9)
    heading = right.add_paragraph().add_run("所管課のコメント")
    heading.bold = True
    heading.font.size = Pt(9)
    if kpi.commentary:
        sample = "（研修用サンプルデータ）" if kpi.commentary.get("is_sample") else ""
        items = [("担当課", str(kpi.commentary["department"]) + sample)]
        items += [
            (label, kpi.commentary.get(key) or "（記入なし）")
            for key, label in COMMENTARY_TEXTS.items()
        ]
    else:
        items = [("", "まだ記入されていません。")]
    for label, text in items:
        run = right.add_paragraph().add_run(f"{label}：{text}" if label else text)
        run.font.size = Pt(9)
    if kpi.actual_note:
        run = right.add_paragraph().add_run(f"実績の備考：{kpi.actual_note}")
        run.font.size = Pt(8)
    title = doc.add_paragraph().add_run("評価の説明（データから自動で作成）")
    title.bold = True
    title.font.size = Pt(9)
    for heading_text, sentence in kpi.explanation.parts:
        paragraph = doc.add_paragraph()
        label = paragraph.add_run(f"【{heading_text}】")
        label.bold = True
        label.font.size = Pt(8.5)
        paragraph.add_run(sentence).font.size = Pt(8.5)
        paragraph.paragraph_format.space_after = Pt(1)


def _strategy_section(doc: Any, data: ReportData, figures: Figures, group: StrategyGroup) -> None:
    field = f"（分野{group.field_id} {group.field_name}）" if group.strategy_id else ""
    heading = doc.add_heading(group.title + field, level=1)
    heading.paragraph_format.page_break_before = bool(group.kpis)  # one strategy, one section
    if group.strategy_id is None:
        doc.add_paragraph("KPI未設定（この分野の戦略・戦術・KPIはまだ定められていません）。")
        return
    model = next((m for m in data.logic_models if m.strategy_id == group.strategy_id), None)
    if model:
        doc.add_paragraph("ロジックモデル").runs[0].bold = True
        _logic_table(doc, model)
    for kpi in group.kpis:
        _kpi_section(doc, kpi, figures)


def write_document(path: Path, data: ReportData, figures: Figures) -> Path:
    """Write the Word report to ``path`` (replacing an older one)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(18))
    section.top_margin = section.bottom_margin = Mm(18)
    _set_font(doc.styles["Normal"], 10)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        _set_font(doc.styles[name])
    doc.core_properties.title = data.title
    doc.core_properties.author = "ebpm"

    doc.add_heading(data.title, level=0)
    doc.add_paragraph(f"{year_text(data.fiscal_year)}の評価（作成日：{data.today:%Y年%m月%d日}）")
    if data.has_sample:
        warning = doc.add_paragraph().add_run(
            f"この報告書には{data.sample_label}（架空の値・架空の記述）が含まれます。"
            "実際の実績値・コメントに置き換えるまで、対外的な資料には使わないでください。"
        )
        warning.bold = True

    def small(text: str, size: float = 8) -> None:
        paragraph = doc.add_paragraph(text)
        paragraph.runs[0].font.size = Pt(size)
        paragraph.paragraph_format.space_after = Pt(2)

    doc.add_heading("進捗一覧", level=1)
    doc.add_paragraph(
        f"{year_text(data.fiscal_year)}の各指標の実績と評価（＊は{data.sample_label}）。"
    ).runs[0].font.size = Pt(9)
    _progress_table(doc, data)
    rules = rule_texts(data.bands, (k.row for k in data.kpis))
    small(rules[1] + "評価の決め方とグラフに共通の注は、巻末の「評価の決め方」にあります。")
    for note in (n for k in data.kpis for n in k.text.notes):
        small("※" + note)
    for group in data.groups:
        _strategy_section(doc, data, figures, group)
    doc.add_heading("評価の決め方", level=1).paragraph_format.page_break_before = True
    for text in rules:
        small(text, 9)
    if figures.document_note:
        small(f"グラフに共通の注：{figures.document_note}", 9)
    doc.add_heading("出典", level=1)
    for record in data.used_records:
        paragraph = doc.add_paragraph(
            f"「{record.title}」（{record.publisher}）{record.licence}、取得日 {record.retrieved_at:%Y年%m月%d日}"
            + ("（研修用サンプルデータ）" if record.is_sample else "")
        )
        paragraph.runs[0].font.size = Pt(8)
    tmp = path.with_name(path.name + ".tmp")
    doc.save(str(tmp))
    tmp.replace(path)
    return path
