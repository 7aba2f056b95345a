"""`ebpm report`: the offline page, both chart sets, accessibility, navigation, print, time travel."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import html
import re
import struct

import pytest

from ebpm import paths
from ebpm.report import write_report
from ebpm.report.html import FILTER_SCRIPT

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def report(committee_pack):
    return committee_pack


@pytest.fixture(scope="module")
def page(report) -> str:
    return report.index.read_text(encoding="utf-8")


def section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]


def visible_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# --- the files ------------------------------------------------------------------------------


def test_screen_set_one_chart_per_kpi_plus_overview_in_three_formats(report):
    screen = [p for p in report.charts if p.parent.name == "charts"]
    assert {p.stem for p in screen} == {"overview", *(f"K{i:02d}" for i in range(1, 16))}
    assert len(screen) == 16 * 3
    png = (report.index.parent / "charts" / "K09.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, _ = struct.unpack(">II", png[16:24])
    assert width >= 2000  # print resolution
    assert (report.index.parent / "charts" / "K09.pdf").read_bytes().startswith(b"%PDF")
    svg = (report.index.parent / "charts" / "K09.svg").read_text(encoding="utf-8")
    assert "出典：" in svg and "コピー用紙購入枚数" in svg


def test_document_set_one_png_and_pdf_per_kpi(report):
    document = [p for p in report.charts if p.parent.name == "document"]
    assert sorted(p.name for p in document) == sorted(
        f"K{i:02d}.{fmt}" for i in range(1, 16) for fmt in ("png", "pdf")
    )


def test_one_run_writes_the_page_the_workbook_the_docx_and_the_pptx(report):
    assert report.index.name == "index.html"
    assert report.workbook and report.workbook.name == "KPI評価表_2025年度.xlsx"
    assert report.docx and report.docx.name == "KPI評価報告書_2025年度.docx"
    assert report.pptx and report.pptx.name == "KPI評価説明資料_2025年度.pptx"
    for path in (report.workbook, report.docx, report.pptx):
        assert path.read_bytes()[:2] == b"PK"  # zip containers (Office Open XML)


def test_page_links_the_documents_by_relative_name(page, report):
    for path in report.documents.values():
        assert f'href="{path.name}"' in page


# --- offline --------------------------------------------------------------------------------


def test_html_loads_nothing_from_the_network(page):
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, flags=re.I)
    assert "<link" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']//""", page)
    assert not re.search(r"url\(\s*['\"]?(?!#)", page)
    assert "@import" not in page and "@font-face" not in page


def test_the_one_inline_script_is_the_filter_allowed_by_its_hash(page):
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert scripts == [FILTER_SCRIPT]
    digest = base64.b64encode(hashlib.sha256(FILTER_SCRIPT.encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    content = html.unescape(policy.group(1))
    assert f"script-src 'sha256-{digest}'" in content
    assert "default-src 'none'" in content


# --- the progress table: columns, labels, navigation ---------------------------------------


def progress_row(page: str, kpi_id: str) -> str:
    table = section(page, "progress")
    return next(r for r in table.split("<tr") if f'data-kpi="{kpi_id}"' in r)


def test_progress_table_has_a_row_per_kpi_with_separate_year_and_value_cells(page):
    table = section(page, "progress")
    assert len(re.findall(r'<tr data-kpi="K\d\d"', table)) == 15
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", progress_row(page, "K09"), flags=re.S)
    text = [visible_text(c) for c in cells]
    assert text[:4] == ["K09", "コピー用紙購入枚数コピー用紙購入枚数", "3-1", "枚"]
    assert text[4:8] == ["R5（2023）", "5,216,000", "R9（2027）", "3,652,000"]
    # the same numbers as `ebpm status`: 期待値 is derived (one decimal), pace two decimals
    assert text[8:14] == ["4,870,000", "4,500,000", "370,000枚減少", "4,434,000.0", "45.8%", "0.92"]
    assert text[14].startswith("△ 概ね順調")


def test_period_average_kpi_shows_the_years_actual_and_the_period_average_apart(page):
    # K10 FY2025: the year's own actual 120.0, the period average 120.0 (FY2025 alone) against
    # the expected path's average 109.7 (E(2025) = 129 − 29 × 2/3 = 109.67); ※ points to the note
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", progress_row(page, "K10"), flags=re.S)
    text = [visible_text(c) for c in cells]
    assert text[7] == "100期間平均"  # the target is a period average
    assert text[9] == "120.0※4期間平均 120.0"
    assert text[11] == "109.7期間平均 109.7"
    notes = section(page, "progress").split("</table>")[1]
    assert (
        "※4 K10：2025年度の実績値は 120.0時間。評価は推進期間（2025〜2027年度）のうち2025年度の"
        "実績の平均 120.0時間を、期待値の同じ年度の平均 109.7時間と比べたもの" in notes
    )


def test_survey_kpi_shows_its_sample_size_interval_and_neutral_grade(page):
    # K06: 48.2 % of 795 answers, Wilson 44.7–51.7 %; −0.7 points is within ±4.9: 変化なし
    row = progress_row(page, "K06")
    text = [visible_text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]
    assert text[9] == "48.2※2回答数 795区間 44.7〜51.7%"
    assert text[14].startswith("＝ 変化なし（誤差の範囲）計算上は悪化")
    assert 'data-grade="変化なし（誤差の範囲）"' in row


def test_grade_colours_and_symbols_come_from_the_one_palette(page):
    from ebpm.kpi import GRADE_STYLES, GRADES

    style = page.split("</style>")[0]
    for index, grade in enumerate(GRADES):
        fill = GRADE_STYLES[grade].fill
        assert f".g{index}{{background:{fill};color:{GRADE_STYLES[grade].on_fill}" in style
    assert '<span class="chip g3">＝ 変化なし（誤差の範囲）</span>' in page
    # the old hard-coded palette is gone
    assert "#0072B2;color" not in page and "#56B4E9" not in page


def test_grade_filter_knows_every_grade(page):
    controls = section(page, "progress").split("</form>")[0]
    options = re.findall(r'<option value="([^"]+)">[^<]*指標）</option>', controls)
    from ebpm.kpi import GRADES

    assert options == list(
        GRADES
    )  # 未達成 and 変化なし（誤差の範囲） included, none present or not
    assert '<option value="未達成">× 未達成（0指標）</option>' in controls


def test_rows_carry_field_strategy_and_grade_for_the_filters(page):
    row = progress_row(page, "K09")
    assert 'data-field="3"' in row and 'data-strategy="3-1"' in row
    assert 'data-grade="概ね順調"' in row and 'data-pace="0.9156' in row
    controls = section(page, "progress").split("</form>")[0]
    for name in ("field", "strategy", "grade", "sort"):
        assert f'<select name="{name}">' in controls
    assert '<option value="3-1">戦略3-1 庁内業務のデジタルシフト</option>' in controls


def test_field_without_kpis_is_shown_as_kpi_not_set(page):
    table = section(page, "progress")
    assert "分野2 地域のDX" in table
    assert re.search(r'<tr class="no-kpi"><td colspan="16">KPI未設定', table)
    logic = section(page, "logic")
    assert "分野2 地域のDX" in logic and "KPI未設定" in logic


def test_years_are_shown_in_reiwa_with_the_western_year(page):
    assert "令和7年度（2025年度）の評価" in page
    assert "令和9年度（2027年度）" in section(page, "definitions")


def test_no_year_is_printed_with_a_thousands_separator(page):
    assert not re.search(r"\b2,0[12]\d\b", page)


# --- accessibility ----------------------------------------------------------------------------


def test_every_chart_is_an_image_labelled_in_japanese(page):
    roots = re.findall(r"<svg\b[^>]*>", page)
    # overview, each KPI's screen and print charts, the national context section's charts
    assert len(roots) == 1 + 15 * 2 + page.count('<figure class="context-chart"')
    for root in roots:
        assert 'role="img"' in root
        ids = re.search(r'aria-labelledby="([^"]+)"', root)
        assert ids is not None
        for element_id in ids.group(1).split():
            label = re.search(rf'id="{element_id}">([^<]+)<', page)
            assert label is not None and re.search(r"[ぁ-んァ-ン一-龥]", label.group(1))


def test_no_english_aria_labels_remain(page):
    # vl-convert's own labels ("fiscal_year: 2,024; actual: 4,870,000") are removed
    labels = re.findall(r'aria-label="([^"]*)"', page)
    assert labels == ["目次", "進捗一覧の絞り込みと並べ替え"]
    assert "aria-roledescription" not in page and "fiscal_year" not in page


def test_text_alternative_states_what_the_chart_shows_and_its_values(page):
    desc = re.search(r'<desc id="chart-K09-desc">([^<]+)</desc>', page)
    assert desc is not None
    text = html.unescape(desc.group(1))
    assert text.startswith("コピー用紙購入枚数の推移を示す折れ線グラフ。")
    assert "令和6年度（2024年度） 4,870,000枚、令和7年度（2025年度） 4,500,000枚" in text


def test_every_chart_has_its_data_table_in_a_collapsible_block(page):
    blocks = re.findall(
        r"<details><summary>グラフの数値を表で見る</summary>(.*?)</details>", page, re.S
    )
    assert len(blocks) == 16
    k09 = next(b for b in blocks if "K09 コピー用紙購入枚数のグラフの数値" in b)
    assert '<th scope="row">令和7年度（2025年度）</th><td>実績（サンプル）</td>' in k09
    # values as printed (units in the headers); 期待値 derived: one decimal
    assert '<th scope="col">値（枚）</th>' in k09
    assert '<td class="num">4,500,000</td><td class="num">4,434,000.0</td>' in k09
    k06 = next(b for b in blocks if "K06 " in b)
    # every survey year has its interval, as the chart draws it (n = 812 in FY2024)
    assert '<td class="num">812</td><td>46.1〜52.9%</td>' in k06
    k10 = next(b for b in blocks if "K10 " in b)
    assert "期間平均（時間）" in k10 and "目標値（推進期間（2025〜2027年度）の平均）" in k10


def test_every_table_has_a_caption_and_scoped_headers(page):
    tables = re.findall(r"<table[^>]*>(.*?)</table>", page, flags=re.S)
    assert tables
    for table in tables:
        assert "<caption>" in table
        assert "<th>" not in table  # every header cell says what it heads (col/row/rowgroup)


# --- per KPI: explanation, commentary, notes --------------------------------------------------


def test_each_kpi_has_its_generated_explanation(page, built_db):
    from markupsafe import escape

    from ebpm.report.data import read_report_data
    from ebpm.warehouse import Warehouse

    with Warehouse(built_db) as wh:
        data = read_report_data(wh, 2025, today=TODAY)
    for kpi in data.kpis:
        article = page.split(f'id="{kpi.kpi_id}" aria-labelledby', 1)[1].split("</article>")[0]
        for heading, sentence in kpi.explanation.parts:
            assert f"<dt>{heading}</dt><dd>{escape(sentence)}</dd>" in article


def test_department_commentary_is_shown_beside_the_numbers_and_labelled_sample(page):
    article = page.split('id="K09"', 1)[1].split("</article>")[0]
    assert "会議資料の配布をタブレットに切り替えた" in article
    assert "研修用（架空の課）（研修用サンプルデータ）" in article
    no_comment = page.split('id="K01"', 1)[1].split("</article>")[0]
    assert "コメントはまだ記入されていません" in no_comment


def test_notes_recorded_with_the_actuals_are_shown(page):
    article = page.split('id="K09"', 1)[1].split("</article>")[0]
    assert "data/raw/sample/ の月次サンプルの年度合計と一致" in article


# --- logic model -------------------------------------------------------------------------------


def test_logic_model_places_tactics_as_activities_and_kpis_by_stated_stage(page):
    logic = section(page, "logic")
    table = logic.split("戦略3-1 庁内業務のデジタルシフト", 1)[1].split("</table>")[0]
    cells = re.findall(r"<td>(.*?)</td>", table, flags=re.S)
    assert len(cells) == 4
    inputs, activities, outputs, outcomes = (visible_text(c) for c in cells)
    assert "戦略に記載がありません" in inputs
    assert "戦術1 ペーパーレス化を前提とした庁内環境の整備" in activities
    assert "K09 コピー用紙購入枚数" in outcomes and "K10" in outcomes
    assert "アウトプットを測るものはありません" in outputs
    assert "ebpm による分類" in logic and "分類の規則：" in logic


# --- print ----------------------------------------------------------------------------------------


def test_print_stylesheet_is_a4_with_the_table_on_a_landscape_page(page):
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "@page{size:A4;" in style and "@page wide{size:A4 landscape;" in style
    assert "#progress,#definitions,#provenance{page:wide}" in style
    assert ".kpi{break-inside:avoid" in style  # a KPI's heading stays with its chart
    assert "h2,h3,h4,h5{break-after:avoid}" in style


def test_strategy_heading_is_inside_its_first_kpi_block(page):
    first = page.split('<article class="kpi keep" id="K09"', 1)[1].split("</article>")[0]
    assert '<h3 id="g-3-1">戦略3-1 庁内業務のデジタルシフト</h3>' in first


def test_print_uses_the_document_charts_and_says_their_shared_note_once(page):
    article = page.split('id="K09"', 1)[1].split("</article>")[0]
    assert '<figure class="doc"><svg role="img" aria-labelledby="chart-K09-doc-title' in article
    assert page.count("印刷したグラフ（幅8cmの資料用）に共通の注：（注）破線は") == 1


def test_printed_charts_have_the_physical_size_of_their_pdf(page):
    # width and height in points (one per chart unit): the 8.5-unit text prints at 8.5 pt
    roots = re.findall(r'<svg role="img" aria-labelledby="chart-K\d\d-doc-title[^>]*>', page)
    assert len(roots) == 15
    for root in roots:
        width = re.search(r'\swidth="([\d.]+)pt"', root)
        assert width is not None and float(width.group(1)) / 72 * 2.54 <= 8.0


# --- kept from before: sources, definitions --------------------------------------------------------


def test_every_screen_chart_carries_a_source_line_from_provenance(page):
    figures = re.findall(r'<figure(?: class="web")?>(.*?)</figure>', page, flags=re.S)
    assert len(figures) == 16
    for figure in figures:
        assert "出典：" in figure
        assert "大船渡市DX戦略" in figure
        assert "研修用サンプルデータ" in figure


def test_definitions_page_from_registry(page):
    definitions = section(page, "definitions")
    with (paths.RAW / "kpi" / "kpi_definitions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert row["name"] in definitions
    assert "※推進期間の平均" in definitions and "※R6.5月時点" in definitions
    assert "正しくは「回」" in definitions


def test_provenance_list_and_build_date(page):
    provenance = section(page, "provenance")
    for path in (
        "kpi/kpi_definitions.csv",
        "kpi/actuals/sample_fy2024_fy2025.csv",
        "kpi/commentary/sample_fy2025.csv",
        "kpi/kpi_logic_model.csv",
        "national/population_census.csv",
    ):
        assert f"data/raw/{path}" in provenance
    assert "政府標準利用規約" in provenance
    assert "作成日：2026年11月26日" in page


def test_overview_keeps_the_grade_of_maintain_kpis(page):
    overview = section(page, "overview")
    assert "遅れ 3" in overview  # K02, K07 (maintain, 18 < 20) and K15
    assert "維持目標" in overview


# --- time travel: a report for year Y shows nothing after Y -------------------------------------


@pytest.fixture(scope="module")
def report_2024(built_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report2024")
    return write_report(
        out, built_db, fiscal_year=2024, formats=("svg",), documents=False, today=TODAY
    )


def test_a_report_for_2024_is_judged_in_2024(report_2024):
    page = report_2024.index.read_text(encoding="utf-8")
    assert report_2024.fiscal_year == 2024
    assert "令和6年度（2024年度）の評価" in page


def test_a_report_for_2024_shows_no_value_of_2025(report_2024):
    page = report_2024.index.read_text(encoding="utf-8")
    # FY2025 actuals of K09, K05 and K13, and the FY2025 commentary, are nowhere: not in the
    # tables, the charts (inline SVG), the text alternatives or the explanations
    # (with its unit: a bare 4,500,000 may be an axis tick of the FY2024 chart)
    # (the national context section is left out: its axes have their own ticks such as 88)
    start, end = page.find('<section id="context"'), page.index('<section id="definitions"')
    kpi_part = page[:start] + page[end:] if start >= 0 else page
    for later in ("4,500,000枚", "1,580", ">88<", "88人", "タブレット"):
        assert later not in kpi_part, later
    assert "4,870,000" in page  # the FY2024 value is there


def test_a_report_for_2024_draws_no_point_after_2024(report_2024):
    svg = (report_2024.index.parent / "charts" / "K05.svg").read_text(encoding="utf-8")
    assert "1,580" not in svg and "2024年度実績 1,310人" in svg
    assert "2025年度実績" not in svg


def test_reports_of_different_years_go_to_different_folders(tmp_path):
    from test_workspace import ebpm, small_workspace

    ws = small_workspace(tmp_path / "ws")
    assert ebpm("build", cwd=ws).returncode == 0
    first = ebpm("report", "--fy", "2025", "--no-documents", cwd=ws)
    latest = ebpm("report", "--no-documents", cwd=ws)  # the latest year with actuals: 2026
    assert first.returncode == 0 and latest.returncode == 0, first.stderr + latest.stderr
    report = ws / "data" / "processed" / "report"
    page_2025 = (report / "2025" / "index.html").read_text("utf-8")
    page_2026 = (report / "2026" / "index.html").read_text("utf-8")
    assert "令和7年度（2025年度）の評価" in page_2025
    assert "令和8年度（2026年度）の評価" in page_2026
    assert "112" not in page_2025.split('id="progress"')[1].split("</table>")[0]  # A02's 2026 value


def test_report_with_an_explicit_warehouse_writes_the_page(tmp_path):
    from test_workspace import ebpm, small_workspace

    ws = small_workspace(tmp_path / "ws")
    db = ws / "data" / "processed" / "ebpm.duckdb"
    assert ebpm("build", cwd=ws).returncode == 0
    out = tmp_path / "out"
    result = ebpm("report", "--db", str(db), "--out", str(out), "--no-documents", cwd=ws)
    assert result.returncode == 0, result.stderr
    assert (out / "index.html").is_file() and "レポートを作成しました" in result.stdout
