"""`ebpm report`: an offline, self-contained HTML report and every chart as PNG/SVG/PDF."""

from __future__ import annotations

import csv
import datetime as dt
import re
import struct

import pytest

from ebpm import paths
from ebpm.report import write_report


@pytest.fixture(scope="module")
def report(built_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return write_report(out, built_db, today=dt.date(2026, 11, 26))


@pytest.fixture(scope="module")
def page(report) -> str:
    return report.index.read_text(encoding="utf-8")


def test_one_chart_per_kpi_plus_overview_in_three_formats(report):
    names = sorted(p.name for p in report.charts)
    stems = {p.stem for p in report.charts}
    assert stems == {"overview", *(f"K{i:02d}" for i in range(1, 16))}
    assert len(names) == 16 * 3
    for path in report.charts:
        assert path.stat().st_size > 1000, path
    png = (report.index.parent / "charts" / "K09.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert height > 1000
    assert width >= 2000  # print resolution
    assert (report.index.parent / "charts" / "K09.pdf").read_bytes().startswith(b"%PDF")
    svg = (report.index.parent / "charts" / "K09.svg").read_text(encoding="utf-8")
    assert "出典：" in svg and "コピー用紙購入枚数" in svg


def test_html_loads_nothing_from_the_network(page):
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']//""", page)
    assert not re.search(r"url\(\s*['\"]?(?!#)", page)
    assert "@import" not in page and "@font-face" not in page


def test_every_chart_carries_a_source_line_from_provenance(page):
    figures = re.findall(r"<figure>(.*?)</figure>", page, flags=re.S)
    assert len(figures) == 16
    for figure in figures:
        assert "出典：" in figure
        assert "大船渡市DX戦略" in figure  # from the provenance record of kpi_definitions.csv
        assert "研修用サンプルデータ" in figure  # every actual shown is a sample


def test_progress_table_with_components(page):
    table = page.split('id="progress"')[1].split("</table>")[0]
    assert table.count("<tr>") == 15 + 1
    row = next(r for r in table.split("<tr>") if ">K09<" in r)
    for text in (
        "5,216,000",
        "3,652,000",
        "4,500,000",
        "4,434,000",
        "45.8%",
        "0.92",
        "概ね順調",
        "研修用サンプルデータ",
    ):
        assert text in row, text
    assert "評価区分" in page


def test_definitions_page_from_registry(page):
    definitions = page.split('id="definitions"')[1].split("</table>")[0]
    with (paths.RAW / "kpi" / "kpi_definitions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert row["name"] in definitions
    assert "※推進期間の平均" in definitions and "※R6.5月時点" in definitions
    assert "正しくは「回」" in definitions


def test_provenance_list_and_build_date(page, built_db):
    provenance = page.split('id="provenance"')[1]
    for path in (
        "kpi/kpi_definitions.csv",
        "kpi/actuals/sample_fy2024_fy2025.csv",
        "national/population_census.csv",
    ):
        assert f"data/raw/{path}" in provenance
    assert "政府標準利用規約" in provenance
    assert "作成日：2026年11月26日" in page


def test_overview_keeps_the_grade_of_maintain_kpis(page):
    overview = re.findall(r"<figure>(.*?)</figure>", page, flags=re.S)[0]
    assert "遅れ 3" in overview  # K02, K07 (maintain, 18 < 20) and K15
    assert "維持目標" in overview
