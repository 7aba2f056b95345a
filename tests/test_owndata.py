"""A department's own messy files: reading, checking, 和暦 months, Excel export, provenance."""

from __future__ import annotations

import datetime as dt

import openpyxl
import polars as pl
import pytest

from ebpm import disclosure, owndata
from ebpm.manifest import file_sha256, source_line


@pytest.fixture
def messy_xlsx(tmp_path):
    """A title, a header merged over two rows, 「1,234」「△5」「－」, a unit typed in, notes below."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "申請件数（月別）"
    sheet["A3"], sheet["B3"], sheet["D3"] = "年月", "申請件数", "前年差"
    sheet["B4"], sheet["C4"] = "窓口", "オンライン"
    for merged in ("A3:A4", "B3:C3", "D3:D4"):
        sheet.merge_cells(merged)
    rows = [
        ("令和6年3月", "1,234", "－", "△5"),
        ("R6.4", 800, "１２", 3),
        ("2024年5月", 790, "126件", "…"),
    ]
    for index, row in enumerate(rows, start=5):
        for col, value in enumerate(row, start=1):
            sheet.cell(index, col, value)
    sheet["A9"] = "（注）オンラインは令和6年4月から。"
    path = tmp_path / "申請件数.xlsx"
    book.save(path)
    return path


def test_a_merged_two_row_header_becomes_joined_column_names(messy_xlsx):
    table = owndata.read_own_table(messy_xlsx, header_label="年月")
    assert table.columns == ["年月", "申請件数_窓口", "申請件数_オンライン", "前年差", "行"]


def test_rows_keep_their_excel_row_numbers_and_notes_are_dropped(messy_xlsx):
    table = owndata.read_own_table(messy_xlsx, header_label="年月")
    assert table["行"].to_list() == [5, 6, 7]


def test_separators_minus_signs_and_placeholders_are_read_as_numbers(messy_xlsx):
    table = owndata.read_own_table(messy_xlsx, header_label="年月")
    assert table["申請件数_窓口"].to_list() == [1234, 800, 790]
    assert table["前年差"].to_list() == [-5, 3, None]


def test_a_cell_that_is_not_a_number_is_reported_with_row_column_and_fix(messy_xlsx):
    table = owndata.read_own_table(messy_xlsx, header_label="年月")
    converted, errors = owndata.to_numbers(table, ["申請件数_オンライン"], label="申請件数.xlsx")
    assert converted["申請件数_オンライン"].to_list() == [None, 12.0, None]
    assert len(errors) == 1
    assert (errors[0].row, errors[0].column) == (7, "申請件数_オンライン")
    assert "「126件」" in str(errors[0]) and "数値だけ" in str(errors[0])


def test_a_confirmed_correction_replaces_the_cell_and_clears_its_error(messy_xlsx):
    table = owndata.read_own_table(messy_xlsx, header_label="年月")
    converted, errors = owndata.to_numbers(
        table, ["申請件数_オンライン"], label="x", corrections={(7, "申請件数_オンライン"): 126}
    )
    assert errors == []
    assert converted["申請件数_オンライン"].to_list() == [None, 12.0, 126.0]


def test_to_numbers_names_a_missing_column():
    with pytest.raises(ValueError, match="列「件数」がありません"):
        owndata.to_numbers(pl.DataFrame({"値": ["1"]}), ["件数"], label="x.csv")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("令和6年4月", dt.date(2024, 4, 1)),
        ("R6.5", dt.date(2024, 5, 1)),
        ("Ｒ６．６", dt.date(2024, 6, 1)),
        ("令和元年5月", dt.date(2019, 5, 1)),
        ("H31.3", dt.date(2019, 3, 1)),
        ("2024年7月", dt.date(2024, 7, 1)),
        ("2024-08-15", dt.date(2024, 8, 1)),
        ("令和6年 9月", dt.date(2024, 9, 1)),
    ],
)
def test_year_and_month_in_wareki_or_western_form(written, expected):
    assert owndata.parse_month(written) == expected


@pytest.mark.parametrize("written", ["令和6年13月", "6月", "来年4月", ""])
def test_text_that_is_not_a_year_and_month_is_refused_in_japanese(written):
    with pytest.raises(ValueError, match=r"年月|月"):
        owndata.parse_month(written)


def test_months_get_fiscal_years_with_january_to_march_in_the_previous_one(messy_xlsx):
    table = owndata.read_own_table(messy_xlsx, header_label="年月")
    with_years, errors = owndata.parse_months(table, "年月", label="x")
    assert errors == []
    assert with_years["fiscal_year"].to_list() == [2023, 2024, 2024]
    assert with_years["fiscal_month"].to_list() == [12, 1, 2]


def test_unreadable_months_are_listed_with_their_rows():
    table = pl.DataFrame({"年月": ["令和6年4月", "四月"], "行": [2, 3]})
    _, errors = owndata.parse_months(table, "年月", label="x.csv")
    assert [(e.row, e.column) for e in errors] == [(3, "年月")]


def test_a_cp932_csv_from_excel_is_read(tmp_path):
    path = tmp_path / "記録.csv"
    path.write_bytes("職員番号,研修名,時間\r\nS001,DX研修①,１．５\r\n".encode("cp932"))
    table = owndata.read_own_table(path, header_label="職員番号")
    assert table.row(0) == ("S001", "DX研修①", 1.5, 2)


def _sheet_rows(path):
    sheet = openpyxl.load_workbook(path).active
    return [[cell for cell in row] for row in sheet.iter_rows()]


def test_excel_keeps_numbers_as_numbers_and_codes_as_text(tmp_path):
    table = pl.DataFrame({"団体コード": ["03203"], "人口": [40737], "割合": [0.125]})
    path = owndata.to_excel(table, tmp_path / "表.xlsx", source="出典：テスト", about_people=False)
    header, row = _sheet_rows(path)[0], _sheet_rows(path)[1]
    assert [c.value for c in header] == ["団体コード", "人口", "割合"]
    assert row[0].value == "03203" and row[0].data_type == "s"
    assert row[1].value == 40737 and row[1].number_format == "#,##0"
    assert row[2].value == 0.125 and row[2].number_format == "#,##0.00"


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    table = pl.DataFrame({"備考": ['=HYPERLINK("http://example.com")'], "件数": [1]})
    path = owndata.to_excel(table, tmp_path / "表.xlsx", source="出典：テスト", about_people=False)
    cell = _sheet_rows(path)[1][0]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_source_note_and_sample_label_are_written_under_the_table(tmp_path):
    table = pl.DataFrame({"年度": [2024], "件数": [10]})
    path = owndata.to_excel(
        table,
        tmp_path / "表.xlsx",
        source="出典：市民課調べ",
        note="令和6年9月は補正",
        is_sample=True,
        about_people=False,
    )
    texts = [c.value for row in _sheet_rows(path) for c in row if isinstance(c.value, str)]
    assert "出典：市民課調べ" in texts and "（注）令和6年9月は補正" in texts
    assert any("研修用サンプルデータ" in t for t in texts)


def test_a_table_about_people_must_come_from_disclosure(tmp_path):
    counts = pl.DataFrame({"所属": ["会計課"], "人数": [4]})
    with pytest.raises(ValueError, match="safe_aggregate"):
        owndata.to_excel(counts, tmp_path / "表.xlsx", source="出典：x", about_people=True)
    assert not (tmp_path / "表.xlsx").exists()


def test_hidden_cells_of_a_disclosure_table_are_written_as_x(tmp_path):
    people = pl.DataFrame(
        {
            "所属": ["総務課"] * 12 + ["会計課"] * 4 + ["税務課"] * 11,
            "職員番号": [f"S{i:02d}" for i in range(27)],
            "時間": [1.5] * 27,
        }
    )
    table = disclosure.safe_aggregate(
        people, by=["所属"], value="時間", person_col="職員番号", stats=("sum",)
    )
    path = owndata.to_excel(table, tmp_path / "表.xlsx", source="出典：x", about_people=True)
    rows = {r[0].value: [c.value for c in r[1:]] for r in _sheet_rows(path)[1:4]}
    assert rows["会計課"] == ["x", "x"]
    assert [c.value for c in _sheet_rows(path)[0]] == ["所属", "n_people", "時間_sum"]


def test_excel_needs_a_source_and_an_xlsx_name(tmp_path):
    table = pl.DataFrame({"件数": [1]})
    with pytest.raises(ValueError, match="出典"):
        owndata.to_excel(table, tmp_path / "表.xlsx", source=" ", about_people=False)
    with pytest.raises(ValueError, match=r"\.xlsx"):
        owndata.to_excel(table, tmp_path / "表.csv", source="出典：x", about_people=False)


def test_provenance_of_a_file_gives_its_hash_and_a_source_line(messy_xlsx):
    record = owndata.provenance_of(
        messy_xlsx, title="申請件数（月別）", publisher="市民課", retrieved_at=dt.date(2026, 5, 1)
    )
    assert record.sha256 == file_sha256(messy_xlsx) and record.path == "申請件数.xlsx"
    assert "申請件数（月別）" in source_line([record])
