"""read_gov_table: ministry Excel/CSV layouts (notes, multi-row headers, placeholders)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from ebpm.govtables import read_gov_table
from ebpm.jp import parse_number

OFUNATO_XLS = "kanazawar002__file01.xls"


def real_file(realdata: Path, name: str) -> Path:
    path = realdata / name
    if not path.exists():
        pytest.skip(f"{name} がないため省略")
    return path


def write_census_like_xlsx(path: Path, rows: list[list[object]] | None = None) -> Path:
    """A sheet in the MIC style: 3 note rows, a blank row, a 2-row merged header, footer notes.

    All numbers are made up (synthetic fixture).
    """
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "R6人口"
    ws.append(["（注）市区町村別の人口である。"])
    ws.append(["※単位：人"])
    ws.append(["出典）テスト省『テスト調査』"])
    ws.append([])
    ws.append(["市区町村名", "団体コード", "人口総数（人）", None, None, "世帯数", "増減率"])
    ws.append([None, None, "2020年", "2021年", "2022年"])
    for cells in ("A5:A6", "B5:B6", "C5:E5", "F5:F6", "G5:G6"):
        ws.merge_cells(cells)
    for row in rows or [
        ["岩手県 大船渡市", "032034", 12345, "３４，０００", "33,500", 15000, "△1.5"],
        ["岩手県 陸前高田市", "032107", "6,789", "－", "…", "x", "▲0.25"],
        ["岩手県 住田町", "034410", 5000, 4900, "4,800", 2000, "0"],
    ]:
        ws.append(row)
    ws.append([])
    ws.append(["（注）1. 2022年は速報値"])
    ws.append(["資料：テスト省"])
    ws.append(["令和6年3月作成"])
    second = book.create_sheet("別表")
    second.append(["見出し", "値"])
    second.append(["a", 1])
    book.save(path)
    return path


@pytest.fixture
def census_xlsx(tmp_path: Path) -> Path:
    return write_census_like_xlsx(tmp_path / "census.xlsx")


# --------------------------------------------------------------------------- synthetic xlsx


def test_multi_row_merged_header_is_joined(census_xlsx: Path) -> None:
    df = read_gov_table(census_xlsx, header_label="市区町村名", code_column="団体コード")
    assert df.columns == [
        "area_code",
        "市区町村名",
        "団体コード",
        "人口総数（人）_2020年",
        "人口総数（人）_2021年",
        "人口総数（人）_2022年",
        "世帯数",
        "増減率",
    ]


def test_note_rows_above_and_below_are_dropped(census_xlsx: Path) -> None:
    df = read_gov_table(census_xlsx, header_label="市区町村名")
    assert df["市区町村名"].to_list() == ["岩手県 大船渡市", "岩手県 陸前高田市", "岩手県 住田町"]


def test_codes_become_five_digit_area_code(census_xlsx: Path) -> None:
    df = read_gov_table(census_xlsx, header_label="市区町村名", code_column="団体コード")
    assert df["area_code"].to_list() == ["03203", "03210", "03441"]
    assert df["団体コード"].to_list() == ["032034", "032107", "034410"]


def test_numbers_commas_full_width_and_placeholders(census_xlsx: Path) -> None:
    df = read_gov_table(census_xlsx, header_label="市区町村名")
    assert df.schema["人口総数（人）_2020年"] == pl.Int64
    assert df["人口総数（人）_2020年"].to_list() == [12345, 6789, 5000]
    assert df["人口総数（人）_2021年"].to_list() == [34000, None, 4900]
    assert df["人口総数（人）_2022年"].to_list() == [33500, None, 4800]
    assert df["世帯数"].to_list() == [15000, None, 2000]


def test_triangle_minus_signs(census_xlsx: Path) -> None:
    df = read_gov_table(census_xlsx, header_label="市区町村名")
    assert df.schema["増減率"] == pl.Float64
    assert df["増減率"].to_list() == [-1.5, -0.25, 0.0]


def test_group_label_finds_the_same_header(census_xlsx: Path) -> None:
    by_column = read_gov_table(census_xlsx, header_label="市区町村名")
    by_group = read_gov_table(census_xlsx, header_label="人口総数（人）")
    by_year = read_gov_table(census_xlsx, header_label="２０２１年")  # NFKC comparison
    explicit = read_gov_table(census_xlsx, header_label="人口総数（人）", header_rows=2)
    assert by_group.equals(by_column)
    assert by_year.equals(by_column)
    assert explicit.equals(by_column)


def test_sheet_by_name_and_index(census_xlsx: Path) -> None:
    by_name = read_gov_table(census_xlsx, header_label="見出し", sheet="別表")
    by_index = read_gov_table(census_xlsx, header_label="見出し", sheet=1)
    assert by_name.equals(by_index)
    assert by_name.to_dicts() == [{"見出し": "a", "値": 1}]


def test_missing_sheet_lists_the_sheets(census_xlsx: Path) -> None:
    with pytest.raises(
        ValueError, match="シート「R5人口」がありません（シート: 「R6人口」、「別表」"
    ):
        read_gov_table(census_xlsx, header_label="市区町村名", sheet="R5人口")


def test_wrong_check_digit_names_file_sheet_row_and_column(tmp_path: Path) -> None:
    path = write_census_like_xlsx(
        tmp_path / "bad.xlsx",
        rows=[
            ["岩手県 大船渡市", "032034", 1, 1, 1, 1, 1],
            ["岩手県 陸前高田市", "032108", 1, 1, 1, 1, 1],
        ],
    )
    with pytest.raises(ValueError) as caught:
        read_gov_table(path, header_label="市区町村名", code_column="団体コード")
    message = str(caught.value)
    assert "bad.xlsx（シート「R6人口」）" in message
    assert (
        "8行目 団体コード列: 「032108」は検査数字（6桁目）が正しくありません（正しくは 032107）"
        in message
    )


def test_unknown_code_column(census_xlsx: Path) -> None:
    with pytest.raises(ValueError, match="コード列「市区町村コード」がありません"):
        read_gov_table(census_xlsx, header_label="市区町村名", code_column="市区町村コード")


def test_label_not_found(census_xlsx: Path) -> None:
    with pytest.raises(ValueError, match="見出し「地域名」が見つかりません"):
        read_gov_table(census_xlsx, header_label="地域名")


def test_header_rows_must_be_positive(census_xlsx: Path) -> None:
    with pytest.raises(ValueError, match="header_rows は1以上"):
        read_gov_table(census_xlsx, header_label="市区町村名", header_rows=0)


def test_header_rows_that_do_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("注記だけの行\n\n名前,値\na,1\n")
    with pytest.raises(ValueError, match="header_rows を確認"):
        read_gov_table(path, header_label="名前", header_rows=3)


def test_unmerged_group_label_under_a_merged_title(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["第1表　人口の推移"])
    ws.merge_cells("A1:D1")
    ws.append([])
    ws.append(["市区町村名", "人口（人）", None, "備考"])
    ws.append([None, "2015年", "2020年"])
    ws.append(["大船渡市", 23456, 12345, "-"])
    path = tmp_path / "title.xlsx"
    book.save(path)
    df = read_gov_table(path, header_label="市区町村名")
    assert df.columns == ["市区町村名", "人口（人）_2015年", "人口（人）_2020年", "備考"]
    assert df.row(0) == ("大船渡市", 23456, 12345, "-")


def test_dates_and_unnamed_and_duplicate_columns(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["調査日", "値", None, "値"])
    ws.append([dt.datetime(2024, 4, 1), 1, "メモ", 2])
    path = tmp_path / "misc.xlsx"
    book.save(path)
    df = read_gov_table(path, header_label="調査日")
    assert df.columns == ["調査日", "値", "列3", "値_2"]
    assert df.row(0) == ("2024-04-01", 1, "メモ", 2)


# --------------------------------------------------------------------------- CSV


def test_csv_without_merge_information_carries_group_label_right(tmp_path: Path) -> None:
    text = (
        "人口の推移\n"
        "\n"
        "市区町村名,市区町村コード,人口総数（人）,\n"
        ",,1970年,1975年\n"
        '北海道 札幌市,011002,"1,010,177",1240613\n'
        "（注）テスト\n"
    )
    path = tmp_path / "pop.csv"
    path.write_text(text, encoding="utf-8")
    df = read_gov_table(path, header_label="市区町村名", code_column="市区町村コード")
    assert read_gov_table(path, header_label="1970年", code_column="市区町村コード").equals(df)
    assert df.columns == [
        "area_code",
        "市区町村名",
        "市区町村コード",
        "人口総数（人）_1970年",
        "人口総数（人）_1975年",
    ]
    assert df.row(0) == ("01100", "北海道 札幌市", "011002", 1010177, 1240613)


def test_cp932_csv_with_preamble(tmp_path: Path) -> None:
    text = "表1　髙田地区の世帯数①\n\n地区,世帯数\n髙田,１，２３４\n気仙,△12\n出典：テスト\n"
    path = tmp_path / "sjis.csv"
    path.write_bytes(text.encode("cp932"))
    df = read_gov_table(path, header_label="地区")
    assert df.to_dicts() == [{"地区": "髙田", "世帯数": 1234}, {"地区": "気仙", "世帯数": -12}]


def test_utf8_bom_csv(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff市区町村名,人口\n大船渡市,12345\n".encode())
    assert read_gov_table(path, header_label="市区町村名").to_dicts() == [
        {"市区町村名": "大船渡市", "人口": 12345}
    ]


def test_number_conversion_agrees_with_jp_parse_number(tmp_path: Path) -> None:
    values = ["1,234", "１２３", "△5", "▲ 3.5", "－", "-", "…", "x", "***", "12.50", "", "0"]
    path = tmp_path / "numbers.csv"
    path.write_text("名前,値\n" + "".join(f'行{i},"{v}"\n' for i, v in enumerate(values)))
    df = read_gov_table(path, header_label="名前")
    assert df.schema["値"] == pl.Float64
    assert df["値"].to_list() == [parse_number(v) for v in values]


def test_text_codes_and_leading_zeros_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "text.csv"
    path.write_text("名前,地域コード,番号,混在\n大船渡,3203,01,1\n陸前高田,3210,02,二\n")
    df = read_gov_table(path, header_label="名前")
    assert df.schema == pl.Schema(
        {"名前": pl.String, "地域コード": pl.String, "番号": pl.String, "混在": pl.String}
    )
    assert df["混在"].to_list() == ["1", "二"]


def test_csv_has_no_sheets(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("名前,値\na,1\n")
    with pytest.raises(ValueError, match="CSVファイルにはシートがありません"):
        read_gov_table(path, header_label="名前", sheet=0)


def test_html_error_page_saved_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "mynumber.xlsx"
    path.write_bytes(
        "<!DOCTYPE html><html><body>ページが見つかりません</body></html>".encode("cp932")
    )
    with pytest.raises(ValueError, match="HTML"):
        read_gov_table(path, header_label="市区町村名")


def test_broken_excel_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.xls"
    path.write_bytes(b"\x00\x01not an excel file")
    with pytest.raises(ValueError, match="Excelファイルとして読めません"):
        read_gov_table(path, header_label="市区町村名")


# --------------------------------------------------------------------------- real files


@pytest.fixture
def census_xls(realdata: Path) -> Path:
    return real_file(realdata, OFUNATO_XLS)


def test_real_xls_shape_and_header(census_xls: Path) -> None:
    df = read_gov_table(census_xls, header_label="市区町村名", code_column="市区町村コード")
    assert df.height == 1741
    assert df.columns == [
        "area_code",
        "市区町村名",
        "市区町村コード",
        *[f"人口総数（人）_{year}年" for year in range(1970, 2011, 5)],
    ]
    assert all(df.schema[c] == pl.Int64 for c in df.columns[3:])
    assert df["area_code"].n_unique() == 1741
    assert df["area_code"].str.contains(r"^[0-9]{5}$").all()


def test_real_xls_ofunato_values(census_xls: Path) -> None:
    df = read_gov_table(census_xls, header_label="市区町村名", code_column="市区町村コード")
    ofunato = df.filter(pl.col("area_code") == "03203").row(0, named=True)
    assert ofunato["市区町村名"] == "岩手県 大船渡市"
    assert ofunato["市区町村コード"] == "032034"
    assert ofunato["人口総数（人）_1970年"] == 48816
    assert ofunato["人口総数（人）_2010年"] == 40737


def test_real_xls_ofunato_values_by_direct_cell_access(census_xls: Path) -> None:
    """Second method: the same cells read with xlrd (Excel row 229 = index 228)."""
    xlrd = pytest.importorskip("xlrd")
    sheet = xlrd.open_workbook(str(census_xls)).sheet_by_index(0)
    assert sheet.cell_value(228, 0) == "岩手県 大船渡市"
    assert sheet.cell_value(228, 1) == "032034"
    assert (sheet.cell_value(6, 2), sheet.cell_value(6, 10)) == ("1970年", "2010年")
    assert (sheet.cell_value(228, 2), sheet.cell_value(228, 10)) == (48816.0, 40737.0)


def test_real_xls_every_label_gives_the_same_table(census_xls: Path) -> None:
    reference = read_gov_table(census_xls, header_label="市区町村名")
    for label, rows in [
        ("人口総数（人）", None),
        ("人口総数（人）", 2),
        ("1970年", None),
        ("市区町村名", 2),
    ]:
        assert read_gov_table(census_xls, header_label=label, header_rows=rows).equals(reference)


def test_real_sjis_code_list_zero_padded(realdata: Path) -> None:
    path = real_file(realdata, "localgovjp__20200104_localgovjp-sjis.csv")
    df = read_gov_table(path, header_label="pid", code_column="cid")
    ofunato = df.filter(pl.col("city") == "大船渡市").row(0, named=True)
    assert (ofunato["area_code"], ofunato["cid"], ofunato["pref"]) == ("03203", "3203", "岩手県")
    assert df.schema["lat"] == pl.Float64


def test_real_estat_download_keeps_codes_and_nulls_dashes(realdata: Path) -> None:
    path = real_file(realdata, "kanazawar002__FEH_00200521_241003100519.csv")
    df = read_gov_table(path, header_label="tab_code")
    assert df.height == 4200
    assert df.schema["value"] == pl.Float64
    assert df["value"].null_count() == 84  # the 84 "-" cells
    assert all(
        df.schema[c] == pl.String for c in ("tab_code", "cat01_code", "area_code", "time_code")
    )
    iwate_1970 = df.filter(
        (pl.col("area_code") == "03000")
        & (pl.col("time_code") == "1970000000")
        & (pl.col("表章項目") == "人口")
        & (pl.col("男女_時系列") == "総数")
    )
    assert iwate_1970["value"].item() == 1371383
