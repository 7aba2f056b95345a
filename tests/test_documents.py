"""The committee pack's documents, opened as a planner's software would: xlsx, docx, pptx."""

from __future__ import annotations

import polars as pl
import pytest

from ebpm.report.workbook import PRINTED_COLUMNS, SUMMARY_HEADERS, SUMMARY_SHEET

KPI_IDS = [f"K{i:02d}" for i in range(1, 16)]


@pytest.fixture(scope="module")
def book(committee_pack):
    from openpyxl import load_workbook

    return load_workbook(committee_pack.workbook)


@pytest.fixture(scope="module")
def summary(book) -> dict[str, dict[str, object]]:
    """The 評価一覧 sheet as {kpi_id: {header: cell}}."""
    sheet = book[SUMMARY_SHEET]
    headers = [c.value for c in sheet[1]]
    rows = {}
    for cells in sheet.iter_rows(min_row=2):
        record = dict(zip(headers, cells, strict=False))
        if record["指標ID"].value in KPI_IDS:
            rows[record["指標ID"].value] = record
    return rows


# --- workbook ---------------------------------------------------------------------------------


def test_workbook_sheets(book):
    assert book.sheetnames == [
        SUMMARY_SHEET,
        "戦略1-1", "戦略1-2", "戦略1-3", "戦略1-4", "戦略3-1", "戦略3-2", "戦略3-3",
        "ロジックモデル", "定義と注", "出典",
    ]  # fmt: skip


def test_summary_has_japanese_headers_and_every_kpi_once(book, summary):
    assert tuple(c.value for c in book[SUMMARY_SHEET][1]) == SUMMARY_HEADERS
    assert sorted(summary) == KPI_IDS


def test_numbers_are_numbers_with_number_formats(summary):
    k09 = summary["K09"]
    expected = {
        "基準値": 5_216_000,
        "目標値": 3_652_000,
        "前年度の値": 4_870_000,
        "実績値": 4_500_000,
        "前年度比（割合はポイント）": -370_000,
        "期待値": 4_434_000,
    }
    for header, value in expected.items():
        cell = k09[header]
        assert isinstance(cell.value, int | float), header
        assert cell.value == pytest.approx(value), header
        assert cell.number_format.startswith(("#,##0", "+#,##0")), header
    # the decimals of `ebpm status`: published for observed values, one for 期待値
    assert k09["実績値"].number_format == "#,##0" and k09["期待値"].number_format == "#,##0.0"
    # stored as printed (half-up): 716,000 / 1,564,000 = 0.45780 → 45.8 %; pace 0.9156 → 0.92
    assert k09["進捗率"].value == 0.458 and k09["進捗率"].number_format == "0.0%"
    assert k09["ペース"].value == 0.92 and k09["ペース"].number_format == "0.00"
    # a published decimal keeps its decimal place in the format
    assert summary["K02"]["基準値"].number_format == "#,##0.0"


def test_period_average_kpi_has_the_years_actual_and_the_period_average(summary):
    k10 = summary["K10"]
    assert (k10["実績値"].value, k10["実績値"].number_format) == (120.0, "#,##0.0")
    assert k10["判定に使った値の種類"].value == "推進期間の平均"
    assert k10["期間平均（判定に使った値）"].value == 120.0
    # E(2025) on the path whose FY2025–27 mean is 100: 129 − 29 × 2/3 = 109.67 → 109.7
    assert k10["期待値の期間平均"].value == 109.7 and k10["期待値"].value == 109.7
    assert k10["期待値の期間平均"].number_format == "#,##0.0"
    assert "推進期間（2025〜2027年度）のうち2025年度の実績の平均 120.0時間" in k10["注"].value
    assert summary["K09"]["期間平均（判定に使った値）"].value is None


def test_survey_row_has_its_interval_neutral_grade_and_formula_grade(summary):
    k06 = summary["K06"]
    assert k06["評価"].value == "＝ 変化なし（誤差の範囲）"
    assert k06["評価"].fill.fgColor.rgb.endswith("DADADA")  # the palette's fill
    assert k06["計算上の評価"].value == "悪化"
    # Wilson 95 % for 48.2 % of 795: 44.74–51.67 → 44.7, 51.7
    assert (k06["95%信頼区間（下限）"].value, k06["95%信頼区間（上限）"].value) == (44.7, 51.7)
    assert summary["K09"]["計算上の評価"].value is None


def test_grades_are_text_and_filter_columns_are_filled(summary):
    k09 = summary["K09"]
    assert k09["評価"].value == "△ 概ね順調"  # the symbol reads in greyscale print
    assert k09["評価（記号なし）"].value == "概ね順調"
    assert k09["評価"].fill.fgColor.rgb.endswith("46A7DB")
    assert k09["分野"].value == "分野3 行政・職員のDX"
    assert k09["戦略"].value == "戦略3-1"
    assert "ペーパーレス化を前提とした庁内環境の整備" in k09["戦術"].value
    assert k09["評価年度"].value == "令和7年度（2025年度）"
    assert k09["実績はサンプル"].value is True


def test_commentary_and_explanation_sit_in_the_kpis_row(summary, committee_pack):
    k09 = summary["K09"]
    assert k09["担当課"].value == "研修用（架空の課）"
    assert "タブレット" in k09["取組状況"].value
    assert k09["コメントはサンプル"].value is True
    assert k09["評価の説明（データから自動作成）"].value.startswith(
        "令和7年度（2025年度）の実績は4,500,000枚（研修用サンプルデータ）です。"
    )
    assert summary["K01"]["担当課"].value is None


def test_survey_rows_carry_their_sample_size(summary):
    assert summary["K06"]["回答数"].value == 795
    assert summary["K09"]["回答数"].value is None


def test_summary_filters_freezes_and_prints_on_a4_landscape(book):
    sheet = book[SUMMARY_SHEET]
    assert sheet.auto_filter.ref.startswith("A1:") and sheet.auto_filter.ref.endswith("16")
    assert sheet.freeze_panes == "D2"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4 == "9"  # A4
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.print_area == f"'{SUMMARY_SHEET}'!$A$1:$N${sheet.max_row}"
    assert SUMMARY_HEADERS[PRINTED_COLUMNS - 1] == "判定の理由"


def test_field_without_kpis_is_noted(book):
    notes = [c.value for c in book[SUMMARY_SHEET]["A"] if isinstance(c.value, str)]
    assert any("分野2 地域のDX：KPI未設定" in n for n in notes)


def test_each_strategy_sheet_places_its_charts_beside_its_rows(book):
    sheet = book["戦略3-3"]
    assert len(sheet._images) == 3  # K13, K14, K15
    anchors = sorted(image.anchor._from.row for image in sheet._images)
    titles = [
        c.row - 1
        for c in sheet["A"]
        if isinstance(c.value, str) and c.value[:3] in ("K13", "K14", "K15")
    ]
    assert anchors == titles  # each chart starts on its KPI's title row
    for image in sheet._images:
        assert image.anchor._from.col == 3  # column D, beside the numbers in A:B
        assert image.anchor.ext.width == pytest.approx(8 * 360_000, rel=0.01)  # 8 cm in EMU


def test_definitions_and_sources_sheets(book):
    definitions = book["定義と注"]
    assert [c.value for c in definitions[1]][:5] == [
        "指標ID",
        "改訂",
        "適用開始日",
        "現行",
        "指標名（公表どおり）",
    ]
    assert definitions.max_row >= 16
    sources = book["出典"]
    paths = [c.value for c in sources["A"]][1:]
    assert "data/raw/kpi/kpi_logic_model.csv" in paths


def test_workbook_reads_back_with_polars_as_numbers(committee_pack):
    frame = pl.read_excel(committee_pack.workbook, sheet_name=SUMMARY_SHEET)
    frame = frame.filter(pl.col("指標ID").is_in(KPI_IDS))
    assert frame.height == 15
    assert frame.schema["実績値"].is_numeric() and frame.schema["進捗率"].is_numeric()


# --- Word ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docx(committee_pack):
    from docx import Document

    return Document(str(committee_pack.docx))


def test_docx_progress_table_is_a_real_table_with_every_kpi(docx):
    from ebpm.report.document import PROGRESS_HEADERS

    table = docx.tables[0]
    assert tuple(c.text for c in table.rows[0].cells) == PROGRESS_HEADERS
    assert [r.cells[0].text for r in table.rows[1:]] == KPI_IDS
    k09 = next(r for r in table.rows if r.cells[0].text == "K09")
    assert [c.text for c in k09.cells[2:]] == [
        "4,870,000枚", "4,500,000枚", "4,434,000.0枚", "45.8%", "0.92", "△ 概ね順調＊",
    ]  # fmt: skip
    k10 = next(r for r in table.rows if r.cells[0].text == "K10")
    assert k10.cells[3].text == "120.0時間\n期間平均 120.0時間"
    assert k10.cells[4].text == "109.7時間\n期間平均 109.7時間"
    k06 = next(r for r in table.rows if r.cells[0].text == "K06")
    assert k06.cells[3].text == "48.2%\n回答数 795\n区間 44.7〜51.7%"
    assert k06.cells[-1].text == "＝ 変化なし（誤差の範囲）＊\n計算上は悪化"
    shading = k06.cells[-1]._tc.xpath("./w:tcPr/w:shd")[0]
    assert shading.get(shading.nsmap["w"].join(("{", "}fill"))) == "DADADA"


def test_docx_has_one_section_per_strategy_and_one_image_per_chart(docx):
    headings = [p.text for p in docx.paragraphs if p.style.name == "Heading 1"]
    assert [h.split("（")[0] for h in headings if h.startswith(("戦略", "分野"))] == [
        "戦略1-1 書かない窓口の充実～窓口DXの進化～",
        "戦略1-2 行かない窓口の実現",
        "戦略1-3 「伝わる」ように「伝える」～広聴広報DX～",
        '戦略1-4 誰一人取り残さない"人"を中心としたデジタル化',
        "分野2 地域のDX",
        "戦略3-1 庁内業務のデジタルシフト",
        "戦略3-2 創造的・多角的なAI活用の促進とデータ活用によるEBPMの推進",
        "戦略3-3 DX人材の育成と確保",
    ]
    assert len(docx.inline_shapes) == 15
    for shape in docx.inline_shapes:
        assert shape.width.cm == pytest.approx(8.0, abs=0.01)


def test_docx_carries_explanation_commentary_and_the_shared_note(docx, committee_pack):
    text = "\n".join(p.text for p in docx.paragraphs)
    cells = "\n".join(c.text for t in docx.tables for r in t.rows for c in r.cells)
    assert "【予測】予測：2027年度の予測 3,788,000" in text
    assert "取組状況：研修用の架空の記述：会議資料の配布をタブレットに切り替えた。" in cells
    assert text.count("グラフに共通の注：（注）破線は") == 1
    assert "KPI未設定" in text


# --- PowerPoint -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deck(committee_pack):
    from pptx import Presentation

    return Presentation(str(committee_pack.pptx))


def _texts(slide) -> str:
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


def test_pptx_has_a_cover_one_slide_per_strategy_and_a_closing_slide(deck):
    slides = list(deck.slides)
    assert len(slides) == 1 + 8 + 2  # cover, 7 strategies and 分野2, the rules, notes and sources
    assert "「※推進期間の平均」の指標は" in _texts(slides[9])
    assert "グラフに共通の注" in _texts(slides[10]) and "出典：" in _texts(slides[10])
    assert "令和7年度（2025年度）の評価　作成日：2026年11月26日" in _texts(slides[0])
    assert "分野2 地域のDX" in _texts(slides[5]) and "KPI未設定" in _texts(slides[5])


def test_each_strategy_slide_has_its_table_and_one_chart_per_kpi(deck):
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    slide = list(deck.slides)[8]  # 戦略3-3
    assert "戦略3-3 DX人材の育成と確保" in _texts(slide)
    tables = [s.table for s in slide.shapes if s.has_table]
    assert len(tables) == 1
    assert [tables[0].cell(r, 0).text for r in range(1, 4)] == ["K13", "K14", "K15"]
    k14 = tables[0].cell(2, 6)
    assert k14.text == "△ 概ね順調＊" and str(k14.fill.fore_color.rgb) == "46A7DB"
    pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 3
    notes = slide.notes_slide.notes_text_frame.text
    assert "■ K13" in notes and "評価の説明（データから自動で作成）" in notes
    k09_notes = list(deck.slides)[6].notes_slide.notes_text_frame.text  # 戦略3-1
    assert "所管課のコメント（研修用（架空の課））" in k09_notes
    assert "実績の備考：data/raw/sample/ の月次サンプルの年度合計と一致" in k09_notes


def test_documents_are_written_for_the_reports_year_only(committee_pack):
    assert committee_pack.fiscal_year == 2025
    assert all("2025年度" in p.name for p in committee_pack.documents.values())
