"""Values a steward cannot see in Excel: hidden rows (by hand or by an AutoFilter), hidden
columns and a hidden sheet that ebpm reads. They would become warehouse figures nobody
checked on screen, so a steward's xlsx (actuals, commentary, record exports) holding values
there is refused with the sheet and the rows or columns named; empty hidden rows and
columns, and hidden sheets ebpm does not read, are fine. Published workbooks (national/)
are not held to this. The files are made by openpyxl here."""

from __future__ import annotations

import io
import zipfile

import openpyxl
from test_attack_inputs import HEADER, put_workbook
from test_hardening_inputs import BAD, actual, base, built, describe, put, refused, ws

from ebpm import limits
from ebpm.govtables import read_gov_table

__all__ = ["base", "ws"]  # fixtures shared with test_hardening_inputs


def xlsx(fill) -> bytes:
    book = openpyxl.Workbook()
    fill(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def report(fill, sheet: str | None = None) -> limits.XlsxReport:
    return limits.check_xlsx(xlsx(fill), "x.xlsx", limits.KPI_TABLE, sheet)


def actuals(sheet, rows: int = 6) -> None:
    """The header and ``rows`` actuals of K01 (2023…): row r holds the value r."""
    sheet.title = "実績"
    sheet.append(HEADER)
    for r in range(2, rows + 2):
        sheet.append(["K01", 2021 + r, r])


# --- the scan (limits.check_xlsx, one pass over the sheet XML) -------------------------------


def test_hidden_rows_with_values_are_listed_as_excel_row_ranges():
    def fill(book):
        actuals(book.active, rows=8)  # data in rows 2–9
        for r in (3, 4, 5, 7):
            book.active.row_dimensions[r].hidden = True

    found = report(fill)
    assert (found.sheet, found.hidden_rows, found.hidden_row_count) == ("実績", ((3, 5), (7, 7)), 4)


def test_hidden_rows_without_values_are_not_reported():
    def fill(book):
        actuals(book.active, rows=2)  # rows 2–3
        for r in (5, 6, 100):  # formatted but empty rows below the table
            book.active.row_dimensions[r].hidden = True
        book.active["B5"].number_format = "0"

    assert report(fill).hidden_row_count == 0


def test_rows_an_autofilter_hides_are_hidden_rows():
    def fill(book):
        actuals(book.active, rows=4)
        book.active.auto_filter.ref = "A1:G5"
        book.active.auto_filter.add_filter_column(2, ["2", "5"])  # shows values 2 and 5 only
        book.active.row_dimensions[3].hidden = True  # Excel writes the hidden rows itself
        book.active.row_dimensions[4].hidden = True

    assert report(fill).hidden_rows == ((3, 4),)


def test_hidden_columns_with_values_are_named_by_letter():
    def fill(book):
        actuals(book.active, rows=2)
        book.active.column_dimensions["C"].hidden = True  # the values
        book.active.column_dimensions["H"].hidden = True  # empty
        book.active["J2"] = "メモ"
        book.active.column_dimensions["J"].hidden = True

    assert report(fill).hidden_columns == ("C", "J")


def test_a_hidden_column_range_running_to_the_last_column_is_bounded():
    # <col min="8" max="16384" hidden="1">: hiding every unused column to the right.
    def fill(book):
        actuals(book.active, rows=2)
        book.active.column_dimensions.group("H", "XFD", hidden=True)

    found = report(fill)
    assert found.hidden_columns == ()
    assert (found.rows, found.columns) == (3, 7)


def edited(fill, edit) -> limits.XlsxReport:
    """The report of a workbook whose first sheet's XML went through ``edit`` (for what
    Excel writes and openpyxl does not)."""
    parts = {}
    with zipfile.ZipFile(io.BytesIO(xlsx(fill))) as book:
        for name in book.namelist():
            parts[name] = book.read(name)
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = edit(parts[sheet].decode()).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        for name, content in parts.items():
            book.writestr(name, content)
    return limits.check_xlsx(buffer.getvalue(), "x.xlsx", limits.KPI_TABLE)


def test_a_zero_height_row_is_hidden():
    found = edited(
        lambda book: actuals(book.active, rows=3),
        lambda xml: xml.replace('<row r="3">', '<row r="3" ht="0" customHeight="1">'),
    )
    assert found.hidden_rows == ((3, 3),)


def test_rows_hidden_by_default_are_hidden_unless_they_carry_a_height():
    # Hiding every row below a table sets <sheetFormatPr zeroHeight="1">; the visible rows
    # then carry their own height (ht).
    def edit(xml: str) -> str:
        xml = xml.replace("<sheetFormatPr ", '<sheetFormatPr zeroHeight="1" ')
        for r in (1, 2, 3):
            xml = xml.replace(f'<row r="{r}">', f'<row r="{r}" ht="15" customHeight="1">')
        return xml

    assert edited(lambda book: actuals(book.active, rows=3), edit).hidden_rows == ((4, 4),)


def test_a_hidden_first_sheet_is_reported_as_the_read_sheet():
    # polars/calamine read the first sheet in workbook order, hidden or not.
    def fill(book):
        actuals(book.active, rows=1)
        book.active.sheet_state = "hidden"
        book.create_sheet("表示").append(HEADER)
        book.active = 1

    found = report(fill)
    assert (found.sheet, found.sheet_state) == ("実績", "hidden")


def test_a_named_sheet_is_the_one_measured():
    def fill(book):
        book.active.title = "表紙"
        book.active.row_dimensions[1].hidden = True
        book.active["A1"] = "非表示の表題"
        actuals(book.create_sheet(), rows=2)

    assert report(fill).hidden_row_count == 1  # the first sheet, 表紙
    assert report(fill, "実績").hidden_row_count == 0


def test_a_long_list_of_hidden_rows_is_cut_with_a_count():
    found = limits.XlsxReport(
        0, 0, 0, (), sheet="実績", hidden_rows=((2, 2), (4, 6)), hidden_row_count=10
    )
    [reason] = limits.hidden_reasons(found)
    assert reason.startswith("シート「実績」の 2・4〜6行目（ほか6行）は非表示の行")


# --- through `ebpm build`: actuals and commentary ---------------------------------------------


def test_an_actuals_row_hidden_by_hand_is_refused_with_its_row(ws, capsys):
    def fill(book):
        actuals(book.active, rows=3)
        book.active.row_dimensions[3].hidden = True

    put_workbook(ws[0], fill)
    err = refused(ws, capsys)
    assert (
        "kpi/actuals/x.xlsx: シート「実績」の 3行目は非表示の行（フィルターで隠れた行を含む）で、"
        "値が入っています。画面に見えない値は読み込みません。Excel で行の再表示（フィルターの解除）"
        "をして値を確かめ、要らない行は削除してから保存してください"
    ) in err


def test_actuals_hidden_by_a_filter_are_refused(ws, capsys):
    def fill(book):
        actuals(book.active, rows=4)
        book.active.auto_filter.ref = "A1:G5"
        book.active.auto_filter.add_filter_column(0, ["K02"])
        for r in (2, 3, 4, 5):
            book.active.row_dimensions[r].hidden = True

    put_workbook(ws[0], fill)
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xlsx: シート「実績」の 2〜5行目は非表示の行" in err


def test_a_hidden_column_of_actuals_is_refused_with_its_letter(ws, capsys):
    def fill(book):
        actuals(book.active, rows=2)
        book.active.column_dimensions["C"].hidden = True

    put_workbook(ws[0], fill)
    err = refused(ws, capsys)
    assert (
        "kpi/actuals/x.xlsx: シート「実績」の C列は非表示の列で、値が入っています。"
        "画面に見えない値は読み込みません。Excel で列の再表示をして値を確かめ、"
        "要らない列は削除してから保存してください"
    ) in err


def test_a_hidden_sheet_that_is_read_is_refused(ws, capsys):
    def fill(book):
        actuals(book.active, rows=1)
        book.active.sheet_state = "hidden"
        shown = book.create_sheet("表示")
        shown.append(HEADER)
        shown.append(["K01", 2026, 15])
        book.active = 1

    put_workbook(ws[0], fill)
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xlsx: 読み込むシート「実績」は非表示のシートです" in err


def test_a_very_hidden_sheet_that_is_read_is_refused(ws, capsys):
    def fill(book):
        actuals(book.active, rows=1)
        book.active.sheet_state = "veryHidden"
        book.create_sheet("表示").append(HEADER)
        book.active = 1

    put_workbook(ws[0], fill)
    err = refused(ws, capsys)
    assert (
        "読み込むシート「実績」は、Excel の画面から再表示できない非表示のシート（veryHidden）です"
        in err
    )


def test_empty_hidden_rows_and_columns_and_a_hidden_unread_sheet_are_loaded(ws, capsys):
    def fill(book):
        sheet = book.active
        sheet.title = "実績"
        sheet.append(HEADER)
        sheet.append(["K01", 2026, 15])
        sheet.row_dimensions[3].hidden = True  # empty
        sheet.column_dimensions["H"].hidden = True  # empty
        helper = book.create_sheet("作業用")
        helper.append(["K01", 2026, 999])
        helper.sheet_state = "hidden"  # not the sheet ebpm reads

    put_workbook(ws[0], fill)
    db = built(ws, capsys)
    assert actual(db, "K01", 2026) == [(15.0, False, "kpi/actuals/x.xlsx", 2)]


def test_hidden_commentary_rows_are_refused(ws, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "所管課コメント"
    sheet.append(["指標ID", "年度", "担当課", "取組状況", "要因分析", "今後の方向性"])
    sheet.append(["K01", 2025, "総務課", "窓口を統合した", None, None])
    sheet.append(["K03", 2025, "総務課", "見せていない説明", None, None])
    sheet.row_dimensions[3].hidden = True
    folder = ws[0] / "kpi" / "commentary"
    book.save(folder / "c.xlsx")
    describe(folder, "c.xlsx")
    err = refused(ws, capsys)
    assert "kpi/commentary/c.xlsx: シート「所管課コメント」の 3行目は非表示の行" in err


def test_hidden_rows_and_columns_of_an_xls_are_refused(ws, capsys):
    put(ws[0], "x.xls", BAD / "xls_hidden_rows.xls")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xls: シート「実績」の 3行目は非表示の行" in err
    assert "kpi/actuals/x.xls: シート「実績」の F列は非表示の列で、値が入っています" in err


def test_a_hidden_first_sheet_of_an_xls_is_refused(ws, capsys):
    put(ws[0], "x.xls", BAD / "xls_hidden_sheet.xls")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xls: 読み込むシート「実績」は非表示のシートです" in err


# --- record exports (the mapping's sheet) and published workbooks -----------------------------


def test_a_hidden_row_in_a_record_export_is_refused(tmp_path):
    from test_records_ingest import DAILY
    from test_records_ingest import refused as records_refused

    book = openpyxl.Workbook()
    book.active.title = "表紙"
    sheet = book.create_sheet("実績")
    sheet.append(["勤務日", "職員番号", "所属", "時間外（分）"])
    sheet.append(["2025/04/01", "S001", "総務課", 90])
    sheet.append(["2025/04/02", "S001", "総務課", 600])
    sheet.row_dimensions[3].hidden = True
    folder = tmp_path / "overtime"
    folder.mkdir()
    book.save(folder / "r.xlsx")
    mapping = DAILY.replace('files = "*.csv"', 'files = "*.xlsx"\nsheet = "実績"')
    (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
    [message] = records_refused(folder, tmp_path)
    assert message.startswith("overtime/r.xlsx: シート「実績」の 3行目は非表示の行")


def test_a_published_workbook_with_a_hidden_column_is_read_as_published(tmp_path):
    # national/ files are kept byte-identical to the publisher's: a hidden helper column
    # there is the publisher's layout, not a steward's unchecked entry.
    def fill(book):
        sheet = book.active
        sheet.append(["市区町村名", "人口", "作業列"])
        sheet.append(["大船渡市", 34728, 1])
        sheet.column_dimensions["C"].hidden = True

    path = tmp_path / "published.xlsx"
    path.write_bytes(xlsx(fill))
    table = read_gov_table(path, header_label="市区町村名")
    assert table.select("市区町村名", "人口").rows() == [("大船渡市", 34728)]
