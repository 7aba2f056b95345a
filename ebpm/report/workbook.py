"""The evaluation workbook (.xlsx) for the 推進委員会 and council documents.

Sheets
------
評価一覧        one row per KPI: field, strategy and tactics for filtering, numbers as numbers
                (base, target, previous year, actual, change, expected, progress, pace) with
                number formats, the grade as text, the commentary, the explanation and the
                sample flags; autofilter, frozen header, A4 landscape on one page wide.
戦略1-1 …       one sheet per strategy: each KPI's numbers, explanation and commentary, with its
                document chart (8 cm wide PNG) beside them.
ロジックモデル  インプット → 活動 → アウトプット → アウトカム per strategy.
定義と注        the KPI definitions, the grade rule and the note shared by the charts.
出典            the provenance of every file read.

Every text cell is protected by :func:`ebpm.csvsafe.protect_workbook` before saving, so a
KPI name or a comment starting with 「=」 is text (Excel's quote prefix), never a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from ebpm.annotations import COMMENTARY_TEXTS
from ebpm.csvsafe import protect_workbook
from ebpm.jp import round_half_up
from ebpm.kpi import grade_legend
from ebpm.kpi.display import CI_DIGITS, PACE_DIGITS, PROGRESS_DIGITS
from ebpm.report.data import KpiReport, ReportData
from ebpm.report.figures import Figures
from ebpm.report.logic_model import STAGE_NAMES
from ebpm.report.present import (
    OUTLINE,
    derived_digits,
    excel_format,
    grade_style,
    is_number,
    kpi_decimals,
    rule_texts,
    unit_of,
    year_text,
)

__all__ = ["SUMMARY_HEADERS", "SUMMARY_SHEET", "write_workbook"]

SUMMARY_SHEET: Final = "評価一覧"
_DIRECTIONS: Final = {"increase": "増やす", "decrease": "減らす", "maintain": "維持する"}
_HEADER_FILL: Final = "DDEBF7"
#: Points per centimetre and Excel's pixels per point (for image sizes).
_PX_PER_CM: Final = 96 / 2.54
_ROW_PT: Final = 15.0


def _shown(value: object, decimals: int) -> float | None:
    """A number as it is printed (half-up on the decimal value), kept a number for Excel."""
    return float(round_half_up(value, decimals)) if is_number(value) else None


def _progress(kpi: KpiReport) -> float | None:
    """進捗率 as printed (45.8 %) as a fraction, for the 「0.0%」 format."""
    return _shown(kpi.row.get("progress"), PROGRESS_DIGITS + 2)


def _ci(kpi: KpiReport, key: str) -> float | None:
    return _shown(kpi.row.get(key), CI_DIGITS) if kpi.row.get("is_survey") else None


def _averaged(kpi: KpiReport, key: str) -> float | None:
    if kpi.row.get("actual_basis") != "period_average":
        return None
    return _shown(kpi.row.get(key), derived_digits(kpi.row))


#: (header, value of a KPI, number format of that value or None for text)
Column = tuple[str, Callable[[KpiReport], Any], Callable[[KpiReport], str | None]]


def _commentary(key: str) -> Callable[[KpiReport], Any]:
    return lambda k: k.commentary.get(key) if k.commentary else None


def _published(k: KpiReport) -> str:
    return excel_format(kpi_decimals(k.row))


def _derived(k: KpiReport) -> str:
    return excel_format(derived_digits(k.row))


def _columns(data: ReportData) -> list[Column]:
    tactics = {s: "／".join(t) for s, t in _tactics_by_strategy(data).items()}
    none: Callable[[KpiReport], str | None] = lambda k: None  # noqa: E731
    return [
        ("戦略", lambda k: f"戦略{k.row['strategy_id']}", none),
        ("指標ID", lambda k: k.kpi_id, none),
        ("指標名（公表どおり）", lambda k: k.name, none),
        ("単位", lambda k: unit_of(k.row), none),
        ("基準値", lambda k: k.row["base_value"], _published),
        ("目標値", lambda k: k.row["target_value"], _published),
        (
            "前年度の値",
            lambda k: k.previous.value if k.previous else None,
            lambda k: excel_format(k.decimals_of(k.previous)),
        ),
        (
            "実績値",
            lambda k: k.own.value if k.own else None,
            lambda k: excel_format(k.decimals_of(k.own)),
        ),
        (
            "前年度比（割合はポイント）",
            lambda k: k.change,
            lambda k: excel_format(k.change_decimals, signed=True),
        ),
        ("期待値", lambda k: _shown(k.row["expected"], derived_digits(k.row)), _derived),
        ("進捗率", _progress, lambda k: excel_format(PROGRESS_DIGITS, percent=True)),
        (
            "ペース",
            lambda k: _shown(k.row["pace"], PACE_DIGITS),
            lambda k: excel_format(PACE_DIGITS).removeprefix("#,##"),
        ),
        ("評価", lambda k: k.text.grade_label, none),
        ("判定の理由", lambda k: k.row["reason"], none),
        ("分野", lambda k: f"分野{k.row['field_id']} {k.row['field_name']}", none),
        ("戦略名", lambda k: k.row["strategy_name"], none),
        ("戦術", lambda k: tactics.get(k.row["strategy_id"], ""), none),
        ("単/累", lambda k: "累計" if k.row["aggregation"] == "cumulative" else "単年度", none),
        ("目標の方向", lambda k: _DIRECTIONS.get(str(k.row["direction"]), ""), none),
        ("基準年度", lambda k: year_text(k.row["base_fy"]), none),
        ("目標年度", lambda k: year_text(k.row["target_fy"]), none),
        ("評価年度", lambda k: year_text(k.row["fiscal_year"]), none),
        ("前年度の値の区分", lambda k: k.previous.kind if k.previous else None, none),
        ("判定に使った値の種類", lambda k: _basis(k), none),
        ("期間平均（判定に使った値）", lambda k: _averaged(k, "period_average"), _derived),
        ("期待値の期間平均", lambda k: _averaged(k, "expected_period_average"), _derived),
        ("評価（記号なし）", lambda k: k.row["grade"], none),
        (
            "計算上の評価",
            lambda k: k.text.formula_grade if k.text.formula_grade != k.text.grade else None,
            none,
        ),
        (
            "回答数",
            lambda k: k.row.get("sample_size") if k.row.get("is_survey") else None,
            lambda k: "#,##0",
        ),
        ("95%信頼区間（下限）", lambda k: _ci(k, "ci_lower"), lambda k: excel_format(CI_DIGITS)),
        ("95%信頼区間（上限）", lambda k: _ci(k, "ci_upper"), lambda k: excel_format(CI_DIGITS)),
        ("注", lambda k: "".join(k.text.notes) or None, none),
        ("担当課", _commentary("department"), none),
        *((label, _commentary(key), none) for key, label in COMMENTARY_TEXTS.items()),
        ("評価の説明（データから自動作成）", lambda k: k.explanation.text, none),
        ("実績の備考", lambda k: k.actual_note, none),
        ("ロジックモデル上の区分", lambda k: k.stage, none),
        ("実績はサンプル", lambda k: k.is_sample, none),
        (
            "コメントはサンプル",
            lambda k: bool(k.commentary.get("is_sample")) if k.commentary else None,
            none,
        ),
    ]


#: Headers of the 評価一覧 sheet, in order (for tests and readers); the first
#: :data:`PRINTED_COLUMNS` are the printed table, the rest are for filtering and reading.
SUMMARY_HEADERS: Final = (
    "戦略",
    "指標ID",
    "指標名（公表どおり）",
    "単位",
    "基準値",
    "目標値",
    "前年度の値",
    "実績値",
    "前年度比（割合はポイント）",
    "期待値",
    "進捗率",
    "ペース",
    "評価",
    "判定の理由",
    "分野",
    "戦略名",
    "戦術",
    "単/累",
    "目標の方向",
    "基準年度",
    "目標年度",
    "評価年度",
    "前年度の値の区分",
    "判定に使った値の種類",
    "期間平均（判定に使った値）",
    "期待値の期間平均",
    "評価（記号なし）",
    "計算上の評価",
    "回答数",
    "95%信頼区間（下限）",
    "95%信頼区間（上限）",
    "注",
    "担当課",
    *COMMENTARY_TEXTS.values(),
    "評価の説明（データから自動作成）",
    "実績の備考",
    "ロジックモデル上の区分",
    "実績はサンプル",
    "コメントはサンプル",
)
PRINTED_COLUMNS: Final = 14
_WIDTHS: Final = {
    "戦略": 8,
    "指標ID": 7,
    "単位": 6,
    "ペース": 8,
    "進捗率": 9,
    "戦略名": 24,
    "戦術": 30,
    "指標名（公表どおり）": 28,
    "判定の理由": 40,
    "評価": 12,
    "注": 60,
    "期間平均（判定に使った値）": 12,
    "期待値の期間平均": 12,
    "評価の説明（データから自動作成）": 70,
    "取組状況": 34,
    "要因分析": 34,
    "今後の方向性": 34,
    "実績の備考": 28,
}


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (Japanese: 2 each)."""
    units = sum(1 if ord(c) < 0x2E80 else 2 for c in text)
    return max(1, -(-units // max(1, int(width) - 1)))


def _basis(kpi: KpiReport) -> str:
    basis = kpi.row.get("actual_basis")
    if basis == "period_average":
        return "推進期間の平均"
    if basis == "none":
        return "実績なし"
    return "累計値" if kpi.row.get("aggregation") == "cumulative" else "その年度の値"


def _tactics_by_strategy(data: ReportData) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for model in data.logic_models:
        if model.strategy_id:
            out[model.strategy_id] = list(model.activities)
    return out


def _style_header(cells: Sequence[Any]) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="999999")
    for cell in cells:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)


def _print_setup(sheet: Any, title: str, *, landscape: bool, title_rows: str | None) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.75
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    sheet.oddHeader.center.text = title.replace("&", "&&")
    sheet.oddFooter.center.text = "&P / &N"
    if title_rows:
        sheet.print_title_rows = title_rows


def _grade_fill(cell: Any, grade: str) -> None:
    """The grade's palette colours (:data:`ebpm.kpi.GRADE_STYLES`); the cell shows its symbol."""
    from openpyxl.styles import Border, Font, PatternFill, Side

    style = grade_style(grade)
    cell.fill = PatternFill("solid", fgColor=style.fill.lstrip("#"))
    cell.font = Font(bold=True, color=style.on_fill.lstrip("#"))
    if style.outline:  # a light fill keeps its edge in print
        edge = Side(style="thin", color=OUTLINE.lstrip("#"))
        cell.border = Border(left=edge, right=edge, top=edge, bottom=edge)


def _summary_sheet(book: Any, data: ReportData) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    sheet = book.active
    sheet.title = SUMMARY_SHEET
    columns = _columns(data)
    assert tuple(h for h, _, _ in columns) == SUMMARY_HEADERS
    sheet.append(list(SUMMARY_HEADERS))
    _style_header(sheet[1])
    grade_col = SUMMARY_HEADERS.index("評価") + 1
    for kpi in data.kpis:
        sheet.append([value(kpi) for _, value, _ in columns])
        row = sheet.max_row
        for index, (_, _, number_format) in enumerate(columns, start=1):
            cell = sheet.cell(row, index)
            fmt = number_format(kpi)
            if fmt and is_number(cell.value):
                cell.number_format = fmt
            cell.alignment = Alignment(wrap_text=isinstance(cell.value, str), vertical="top")
        _grade_fill(sheet.cell(row, grade_col), str(kpi.row["grade"]))
        # the printed columns in full (the reason may take a few lines); longer texts
        # (explanation, commentary) show in full in the formula bar or on the strategy's sheet
        lines = max(2, _lines(str(kpi.row["reason"] or ""), _WIDTHS["判定の理由"]))
        sheet.row_dimensions[row].height = lines * _ROW_PT + 2
    sheet.row_dimensions[1].height = 2 * _ROW_PT + 2
    last_row = sheet.max_row
    for index, header in enumerate(SUMMARY_HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(header, 12)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(SUMMARY_HEADERS))}{last_row}"
    sheet.freeze_panes = "D2"  # header row and the strategy/ID/name columns stay in view
    notes = [
        f"{year_text(data.fiscal_year)}の評価。{data.bands.describe()}{grade_legend()}",
        "年度は4月〜翌年3月。数値はセルに数値として入っています（表示の桁に四捨五入した値。"
        "表示形式で桁区切り・%）。実績値はその年度の値です。",
        *("※" + "".join(k.text.notes) for k in data.kpis if k.text.notes),
    ]
    for group in data.groups:
        if not group.kpis and group.strategy_id is None:
            notes.append(f"{group.title}：KPI未設定（戦略・戦術・KPIはまだ定められていません）。")
    if data.has_sample:
        notes.append(f"「実績はサンプル」がTRUEの行は{data.sample_label}（架空の値）です。")
    row = last_row + 1
    for note in notes:
        row += 1
        cell = sheet.cell(row, 1, note)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=PRINTED_COLUMNS)
        printed = sum(_WIDTHS.get(h, 12) for h in SUMMARY_HEADERS[:PRINTED_COLUMNS])
        sheet.row_dimensions[row].height = _ROW_PT * _lines(note, printed) + 2
    _print_setup(
        sheet, f"{data.title}（{year_text(data.fiscal_year)}）", landscape=True, title_rows="1:1"
    )
    # the printed page is the progress table; the columns after it are for filtering/reading
    sheet.print_area = f"A1:{get_column_letter(PRINTED_COLUMNS)}{sheet.max_row}"


def _strategy_sheet(book: Any, data: ReportData, figures: Figures, group: Any) -> None:
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

    sheet = book.create_sheet(f"戦略{group.strategy_id}")
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 58
    sheet.column_dimensions["C"].width = 2
    sheet["A1"] = f"{group.title}（分野{group.field_id} {group.field_name}）"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = f"{year_text(data.fiscal_year)}の評価。グラフは資料用（幅8cm）です。"
    if figures.document_note:
        sheet["A3"] = f"グラフに共通の注：{figures.document_note}"
        sheet["A3"].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells("A3:J3")
        sheet.row_dimensions[3].height = 48
    row = 5
    for kpi in group.kpis:
        top = row
        sheet.cell(row, 1, f"{kpi.kpi_id} {kpi.title}").font = Font(bold=True, size=12)
        row += 1
        for label, value, fmt in _block(kpi):
            head = sheet.cell(row, 1, label)
            head.font = Font(bold=True)
            head.alignment = Alignment(vertical="top")
            cell = sheet.cell(row, 2, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if fmt and is_number(value):
                cell.number_format = fmt
            if label == "評価":
                _grade_fill(cell, str(kpi.row["grade"]))
            if isinstance(value, str) and len(value) > 40:
                sheet.row_dimensions[row].height = _ROW_PT * (1 + len(value) // 38)
            row += 1
        png = figures.kpis[kpi.kpi_id].document.get("png")
        if png:
            image = Image(str(png))
            width_px = 8 * _PX_PER_CM
            image.height = image.height * width_px / image.width
            image.width = width_px
            sheet.add_image(image, f"D{top}")
            rows_for_image = int(image.height / (_ROW_PT * 96 / 72)) + 2
            row = max(row, top + rows_for_image)
        row += 1
    _print_setup(
        sheet, f"{data.title}（{year_text(data.fiscal_year)}）", landscape=False, title_rows=None
    )


def _block(kpi: KpiReport) -> list[tuple[str, Any, str | None]]:
    """The KPI's numbers, as numbers with the formats of the summary, then its texts."""
    unit, text = unit_of(kpi.row), kpi.text
    digits = derived_digits(kpi.row)
    lines: list[tuple[str, Any, str | None]] = [
        ("指標名", kpi.name, None),
        ("単位", unit, None),
        (
            "実績値",
            kpi.own.value if kpi.own else "実績なし",
            excel_format(kpi.decimals_of(kpi.own)),
        ),
    ]
    if text.period_average is not None:
        lines.append(
            ("期間平均", _averaged(kpi, "period_average"), excel_format(digits)),
        )
    if text.sample_size is not None:
        lines.append(("回答数と区間", f"回答数 {text.sample_size}、95%信頼区間 {text.ci}", None))
    lines += [
        (
            "前年度の値",
            kpi.previous.value if kpi.previous else "なし",
            excel_format(kpi.decimals_of(kpi.previous)),
        ),
        (
            "前年度比",
            kpi.change if kpi.change is not None else "−",
            excel_format(kpi.change_decimals, signed=True),
        ),
        ("期待値", _shown(kpi.row["expected"], digits), excel_format(digits)),
    ]
    if text.expected_period_average is not None:
        lines.append(
            ("期待値の期間平均", _averaged(kpi, "expected_period_average"), excel_format(digits))
        )
    lines += [
        ("進捗率", _progress(kpi), excel_format(PROGRESS_DIGITS, percent=True)),
        ("ペース", _shown(kpi.row["pace"], PACE_DIGITS), "0.00"),
        ("評価", text.grade_label, None),
        ("判定の理由", kpi.row["reason"] or "", None),
    ]
    if text.notes:
        lines.append(("注", "".join(text.notes), None))
    if kpi.commentary:
        lines.append(("担当課", kpi.commentary["department"], None))
        for key, label in COMMENTARY_TEXTS.items():
            lines.append((label, kpi.commentary.get(key) or "（記入なし）", None))
    else:
        lines.append(("所管課のコメント", "（まだ記入されていません）", None))
    lines.append(("評価の説明", kpi.explanation.text, None))
    if kpi.actual_note:
        lines.append(("実績の備考", kpi.actual_note, None))
    if kpi.is_sample:
        lines.append(("注意", "実績は研修用サンプルデータ（架空の値）です", None))
    return [(label, (None if v is None else v), fmt) for label, v, fmt in lines]


def _logic_sheet(book: Any, data: ReportData) -> None:
    from openpyxl.styles import Alignment

    sheet = book.create_sheet("ロジックモデル")
    sheet.append(["戦略", *STAGE_NAMES])
    _style_header(sheet[1])
    for model in data.logic_models:
        cells = model.cells()
        values = ["\n".join(cells[stage]) or model.empty.get(stage, "") for stage in STAGE_NAMES]
        sheet.append([model.title, *(v for v in values)])
        for cell in sheet[sheet.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (30, 30, 40, 36, 36), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([])
    rule = data.logic_rule
    text = (
        f"アウトプット・アウトカムの区分：「{rule.title}」（{rule.publisher}）。{rule.processing or ''}。"
        f"{rule.notes or ''}"
        if rule
        else "KPIの区分の記録（data/raw/kpi/kpi_logic_model.csv）がないため、KPIは未分類です。"
    )
    sheet.append([text])
    sheet.freeze_panes = "B2"
    _print_setup(sheet, "ロジックモデル", landscape=True, title_rows="1:1")


def _definitions_sheet(book: Any, data: ReportData, figures: Figures) -> None:
    from openpyxl.styles import Alignment

    sheet = book.create_sheet("定義と注")
    headers = [
        "指標ID", "改訂", "適用開始日", "現行", "指標名（公表どおり）", "戦略", "単/累", "単位（公表どおり）",
        "正しい単位", "方向", "基準年度", "基準値", "目標年度", "目標値", "注記",
    ]  # fmt: skip
    sheet.append(headers)
    _style_header(sheet[1])
    for r in data.definitions.iter_rows(named=True):
        notes = "／".join(n for n in (r["base_note"], r["target_note"], r["notes"]) if n)
        sheet.append(
            [
                r["kpi_id"],
                r["revision"],
                r["valid_from"],
                bool(r["is_current"]),
                r["name"],
                f"戦略{r['strategy_id']}",
                r["aggregation_label"],
                r["unit"],
                r["unit_corrected"],
                _DIRECTIONS.get(r["direction"], r["direction"]),
                year_text(r["base_fy"]),
                r["base_value"],
                year_text(r["target_fy"]),
                r["target_value"],
                notes,
            ]
        )
        row = sheet.max_row
        sheet.cell(row, 3).number_format = "yyyy-mm-dd"
        for index, key in ((12, "base_value_decimals"), (14, "target_value_decimals")):
            decimals = r.get(key)  # as published: 26.0 keeps its decimal place
            sheet.cell(row, index).number_format = excel_format(int(decimals or 0))
    sheet.column_dimensions["E"].width = 40
    sheet.column_dimensions["O"].width = 50
    for column in ("K", "M"):
        sheet.column_dimensions[column].width = 20
    lines = ["", "評価の決め方", *rule_texts(data.bands, (k.row for k in data.kpis))]
    if figures.document_note:
        lines += ["", "資料用グラフ（幅8cm）に共通の注", figures.document_note]
    for line in lines:
        sheet.append([line])
        sheet.cell(sheet.max_row, 1).alignment = Alignment(wrap_text=False)
    sheet.freeze_panes = "B2"
    _print_setup(sheet, "指標の定義", landscape=True, title_rows="1:1")


def _sources_sheet(book: Any, data: ReportData) -> None:
    sheet = book.create_sheet("出典")
    sheet.append(
        ["ファイル", "資料名", "作成者", "利用条件", "取得日", "URL", "加工", "サンプル", "SHA-256"]
    )
    _style_header(sheet[1])
    for r in data.records.values():
        sheet.append(
            [
                f"data/raw/{r.path}",
                r.title,
                r.publisher,
                r.licence,
                r.retrieved_at,
                r.url,
                r.processing,
                r.is_sample,
                r.sha256,
            ]
        )
        sheet.cell(sheet.max_row, 5).number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFGHI", (40, 40, 28, 30, 12, 30, 50, 10, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "B2"
    _print_setup(sheet, "出典", landscape=True, title_rows="1:1")


def write_workbook(path: Path, data: ReportData, figures: Figures) -> Path:
    """Write the evaluation workbook to ``path`` (replacing an older one)."""
    from openpyxl import Workbook

    book = Workbook()
    _summary_sheet(book, data)
    for group in data.groups:
        if group.strategy_id is not None and group.kpis:
            _strategy_sheet(book, data, figures, group)
    _logic_sheet(book, data)
    _definitions_sheet(book, data, figures)
    _sources_sheet(book, data)
    book.properties.title = data.title
    book.properties.creator = "ebpm"
    protect_workbook(book)
    tmp = path.with_name(path.name + ".tmp")
    book.save(tmp)
    tmp.replace(path)
    return path
