"""総務省「主要財政指標一覧」: values checked cell by cell against the committed files."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlrd

from ebpm import paths
from ebpm.govtables import read_gov_table
from ebpm.national import tables
from ebpm.national.cells import BLANK
from ebpm.national.fiscal import (
    BY_CODE,
    BY_FORMER,
    BY_NAME,
    INDICATORS,
    UNMATCHED,
    read_fiscal,
    read_fiscal_file,
    read_fiscal_means,
)

RAW = paths.RAW
FISCAL = RAW / "national" / "fiscal"
MEANS = FISCAL / "prefecture_mean"
IDS = {i.label: i.id for i in INDICATORS}


def published_row(path: Path, prefecture: str, name: str) -> dict[str, object]:
    """The row of a municipality, read cell by cell with xlrd/openpyxl (not with ebpm)."""
    if path.suffix == ".xls":
        sheet = xlrd.open_workbook(str(path)).sheet_by_index(0)
        rows = [[sheet.cell_value(r, c) for c in range(sheet.ncols)] for r in range(sheet.nrows)]
    else:
        book = openpyxl.load_workbook(path, data_only=True, read_only=True)
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    header = [str(h).replace("\n", "") if h else "" for h in rows[1]]
    for number, row in enumerate(rows, start=1):
        cells = dict(zip(header, row, strict=False))
        if cells.get("都道府県名") == prefecture and cells.get("団体名") == name:
            return {"_excel_row": number, **cells}
    raise AssertionError(f"{name} not in {path.name}")


@pytest.fixture(scope="module")
def national() -> dict[str, pl.DataFrame]:
    """Every national table as read from data/raw (the census is read first: the names of
    FY2005–2010 are matched with it)."""
    read, errors = tables._read(RAW)
    assert errors == []
    return read


@pytest.fixture(scope="module")
def fiscal(national: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return national["national_fiscal"]


@pytest.fixture(scope="module")
def files(national: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return national["national_fiscal_file"]


def row(
    fiscal: pl.DataFrame, year: int, name: str, prefecture: str = "岩手県"
) -> dict[str, object]:
    found = fiscal.filter(
        (pl.col("fiscal_year") == year)
        & (pl.col("name") == name)
        & (pl.col("prefecture") == prefecture)
    )
    assert found.height == 1, (year, name)
    return found.row(0, named=True)


# --------------------------------------------------------------------------- 大船渡市, by hand


def test_ofunato_fy2021_as_published(fiscal: pl.DataFrame) -> None:
    # R3.xlsx row 224: 032034, 岩手県, 大船渡市, 0.46, 89.4, 11.6, 93, 96.4
    ofunato = row(fiscal, 2021, "大船渡市")
    assert ofunato["area_code"] == "03203" and ofunato["lg_code"] == "032034"
    assert ofunato["match_method"] == BY_CODE
    assert (
        ofunato["fiscal_strength_index"],
        ofunato["current_balance_ratio"],
        ofunato["real_debt_service_ratio"],
        ofunato["future_burden_ratio"],
        ofunato["laspeyres_index"],
    ) == (0.46, 89.4, 11.6, 93.0, 96.4)
    assert ofunato["_row"] == 224


def test_ofunato_fy2010_without_code_column(fiscal: pl.DataFrame) -> None:
    # H22.xls row 224 (no code column): 岩手県, 大船渡市, 0.41, 85.6, 11.3, 143.8, 96.6
    ofunato = row(fiscal, 2010, "大船渡市")
    assert ofunato["area_code"] == "03203" and ofunato["lg_code"] is None
    assert ofunato["match_method"] == BY_NAME
    assert (
        ofunato["fiscal_strength_index"],
        ofunato["current_balance_ratio"],
        ofunato["real_debt_service_ratio"],
        ofunato["future_burden_ratio"],
        ofunato["laspeyres_index"],
    ) == (0.41, 85.6, 11.3, 143.8, 96.6)


def test_ofunato_fy2005_in_its_own_column_order(fiscal: pl.DataFrame) -> None:
    # H17.xls row 225, columns 経常収支比率, 実質公債費比率, 起債制限比率, 財政力指数, ラスパイレス指数:
    # 90.6, 15.6, 11.9, 0.43, '96.3' (the last one is a text cell)
    ofunato = row(fiscal, 2005, "大船渡市")
    assert ofunato["current_balance_ratio"] == 90.6
    assert ofunato["real_debt_service_ratio"] == 15.6
    assert ofunato["bond_restriction_ratio"] == 11.9
    assert ofunato["fiscal_strength_index"] == 0.43
    assert ofunato["laspeyres_index"] == 96.3
    assert ofunato["future_burden_ratio"] is None  # FY2005 has no such column …
    assert ofunato["future_burden_ratio_marker"] is None  # … which is not a blank cell


def test_ofunato_fy2012_with_reference_laspeyres(fiscal: pl.DataFrame) -> None:
    # H24.xls row 224: … 4.7, 104.2, 96.3 (ラスパイレス指数 参考値※)
    ofunato = row(fiscal, 2012, "大船渡市")
    assert ofunato["future_burden_ratio"] == 4.7
    assert ofunato["laspeyres_index"] == 104.2
    assert ofunato["laspeyres_index_reference"] == 96.3


def test_ofunato_has_all_17_years(fiscal: pl.DataFrame) -> None:
    years = fiscal.filter(pl.col("area_code") == "03203")["fiscal_year"].sort().to_list()
    assert years == list(range(2005, 2022))


# --------------------------------------------------------------------------- cell by cell


@pytest.mark.parametrize(
    ("file", "year", "prefecture", "name"),
    [
        ("H17.xls", 2005, "北海道", "夕張市"),
        ("H17.xls", 2005, "岩手県", "釜石市"),
        ("H20.xls", 2008, "岩手県", "陸前高田市"),
        ("H22.xls", 2010, "岩手県", "住田町"),
        ("H24.xls", 2012, "岩手県", "釜石市"),
        ("R3.xlsx", 2021, "北海道", "夕張市"),
        ("R3.xlsx", 2021, "東京都", "千代田区"),
    ],
)
def test_values_equal_the_cells(
    fiscal: pl.DataFrame, file: str, year: int, prefecture: str, name: str
) -> None:
    published = published_row(FISCAL / file, prefecture, name)
    ours = row(fiscal, year, name, prefecture)
    assert ours["_row"] == published["_excel_row"]
    for label, cell in published.items():
        key = label.replace("※", "")
        if key not in IDS:
            continue
        value, marker = ours[IDS[key]], ours[f"{IDS[key]}_marker"]
        if isinstance(cell, int | float):
            assert value == pytest.approx(float(cell), abs=1e-12) and marker is None, label
        elif str(cell).strip() in ("-", "－"):
            assert value is None and marker == cell, label
        else:  # a number stored as text (H17 ラスパイレス指数)
            assert value == float(cell) and marker is None, label


def test_dash_and_parentheses_keep_the_published_text(fiscal: pl.DataFrame) -> None:
    # H20.xls row 651: 東京都 千代田区 '(0.80)', '(69.1)', 3.4, '－', 102.6
    chiyoda = row(fiscal, 2008, "千代田区", "東京都")
    assert (chiyoda["fiscal_strength_index"], chiyoda["fiscal_strength_index_marker"]) == (
        0.8,
        "(0.80)",
    )
    assert (chiyoda["current_balance_ratio"], chiyoda["current_balance_ratio_marker"]) == (
        69.1,
        "(69.1)",
    )
    assert (chiyoda["future_burden_ratio"], chiyoda["future_burden_ratio_marker"]) == (None, "－")


def test_negative_values_are_kept(fiscal: pl.DataFrame) -> None:
    # R3.xlsx row 630: 千代田区 実質公債費比率 -0.6
    assert row(fiscal, 2021, "千代田区", "東京都")["real_debt_service_ratio"] == -0.6


def test_blank_cell_becomes_null_with_a_marker(tmp_path: Path) -> None:
    target = tmp_path / "fiscal"
    target.mkdir()
    book = openpyxl.load_workbook(FISCAL / "R3.xlsx")
    book.worksheets[0]["D224"] = None  # 大船渡市 財政力指数
    book.save(target / "R3.xlsx")
    file = read_fiscal_file(target / "R3.xlsx", "national/fiscal/R3.xlsx")
    ofunato = file.frame.filter(pl.col("name") == "大船渡市").row(0, named=True)
    assert (ofunato["fiscal_strength_index"], ofunato["fiscal_strength_index_marker"]) == (
        None,
        BLANK,
    )


# --------------------------------------------------------------------------- matching by name


def test_every_row_is_kept_and_codes_are_unique_per_year(
    fiscal: pl.DataFrame, files: pl.DataFrame
) -> None:
    municipal = files.filter(pl.col("kind") == "市町村")
    assert fiscal.height == municipal["n_rows"].sum()
    coded = fiscal.filter(pl.col("area_code").is_not_null())
    assert coded.select(pl.struct("fiscal_year", "area_code").is_duplicated().any()).item() is False


def test_only_files_without_codes_are_matched_by_name(files: pl.DataFrame) -> None:
    municipal = files.filter(pl.col("kind") == "市町村").sort("fiscal_year")
    before = municipal.filter(pl.col("fiscal_year") <= 2010)
    after = municipal.filter(pl.col("fiscal_year") >= 2011)
    assert before["n_by_code"].sum() == 0
    assert (after["n_by_code"] == after["n_rows"]).all()
    # FY2005: 1,844 rows = 1,727 matched by name + 117 former municipalities + 0 unmatched
    fy2005 = municipal.row(0, named=True)
    assert (
        fy2005["n_rows"],
        fy2005["n_by_name"],
        fy2005["n_by_former"],
        fy2005["n_unmatched"],
    ) == (
        1844,
        1727,
        117,
        0,
    )


def test_merged_town_gets_its_former_code_and_successor(fiscal: pl.DataFrame) -> None:
    # 藤沢町 (H22.xls row 244) joined 一関市 in 2011; the 2015 census lists 「(旧 422 藤沢町)」 under 3209
    fujisawa = row(fiscal, 2010, "藤沢町")
    assert fujisawa["match_method"] == BY_FORMER
    assert (fujisawa["area_code"], fujisawa["successor_code"]) == ("03422", "03209")
    assert fujisawa["future_burden_ratio"] == 216.5


def test_the_absorbing_city_is_flagged_while_the_town_is_separate(fiscal: pl.DataFrame) -> None:
    ichinoseki = fiscal.filter(pl.col("area_code") == "03209").sort("fiscal_year")
    flagged = ichinoseki.filter(pl.col("area_note").is_not_null())["fiscal_year"].to_list()
    assert flagged == list(range(2005, 2011))
    assert "藤沢町" in ichinoseki["area_note"][0]


def test_variant_kanji_in_old_files_still_match(fiscal: pl.DataFrame) -> None:
    # H17.xls writes 下条村, 天竜村, 南木曾町; the census writes 下條村, 天龍村, 南木曽町
    assert row(fiscal, 2005, "下条村", "長野県")["area_code"] == "20411"
    assert row(fiscal, 2005, "南木曾町", "長野県")["area_code"] == "20423"
    assert fiscal.filter(pl.col("match_method") == UNMATCHED).height == 0


def test_a_name_nobody_knows_is_kept_and_reported(
    tmp_path: Path, national: dict[str, pl.DataFrame]
) -> None:
    target = tmp_path / "fiscal"
    target.mkdir()
    # openpyxl cannot write .xls: a one-year .xlsx with the H22 layout, plus a made-up village
    sheet = read_gov_table(FISCAL / "H22.xls", header_label="団体名", convert_numbers=False)
    out = openpyxl.Workbook()
    ws = out.active
    ws.append(["全市町村の主要財政指標"])
    ws.append(sheet.columns)
    for values in sheet.head(3).iter_rows():
        ws.append(list(values))
    ws.append(["岩手県", "架空村", "0.1", "80", "10", "－", "90"])
    out.save(target / "H22.xlsx")
    sources = tables._match_sources(national)
    rows, file_table, errors = read_fiscal(target, tmp_path, sources)
    assert errors == []
    ghost = rows.filter(pl.col("name") == "架空村").row(0, named=True)
    assert ghost["area_code"] is None and ghost["match_method"] == UNMATCHED
    assert "一致しない" in ghost["area_note"]
    assert file_table["n_unmatched"].item() == 1


# --------------------------------------------------------------------------- files that must be refused


def copy_fiscal(tmp_path: Path, *names: str) -> Path:
    target = tmp_path / "fiscal"
    target.mkdir()
    for name in names:
        shutil.copy(FISCAL / name, target / name)
    return target


def test_header_row_removed(tmp_path: Path) -> None:
    target = tmp_path / "R3.xlsx"
    book = openpyxl.load_workbook(FISCAL / "R3.xlsx")
    book.worksheets[0].delete_rows(2)  # the header row
    book.save(target)
    file = read_fiscal_file(target, "national/fiscal/R3.xlsx")
    assert [str(e) for e in file.errors] == [
        "national/fiscal/R3.xlsx: 見出し「団体名」が見つかりません"
        "（header_label には表の見出しにある文字をそのまま指定してください）"
    ]


def test_misspelled_header_names_the_file_and_the_header(tmp_path: Path) -> None:
    target = tmp_path / "R3.xlsx"
    book = openpyxl.load_workbook(FISCAL / "R3.xlsx")
    book.worksheets[0]["D2"] = "財政力指標"
    book.save(target)
    file = read_fiscal_file(target, "national/fiscal/R3.xlsx")
    assert len(file.errors) == 1
    message = str(file.errors[0])
    assert message.startswith(
        "national/fiscal/R3.xlsx: 見出し「財政力指標」は主要財政指標一覧の列ではありません"
    )


def test_swapped_headers_fail_the_range_check(tmp_path: Path) -> None:
    from ebpm import validation

    target = tmp_path / "R3.xlsx"
    book = openpyxl.load_workbook(FISCAL / "R3.xlsx")
    book.worksheets[0]["D2"], book.worksheets[0]["E2"] = "経常収支比率", "財政力指数"
    book.save(target)
    file = read_fiscal_file(target, "national/fiscal/R3.xlsx")
    frame = file.frame.with_columns(pl.lit("00000").alias("area_code"))
    ranges = [(i.label, i.low, i.high) for i in INDICATORS]
    suite = validation.fiscal_suites(ranges, [BY_CODE], UNMATCHED)["national_fiscal_mean"]
    renamed = frame.rename({i.id: i.label for i in INDICATORS} | {"name": "都道府県名"})
    errors = validation.validate(renamed.head(3), suite)
    first = next(e for e in errors if e.column == "財政力指数")
    assert first.file == "national/fiscal/R3.xlsx" and first.row == 3
    assert "財政力指数として考えにくい値です" in first.message


def test_file_of_another_year_by_its_title(tmp_path: Path) -> None:
    target = copy_fiscal(tmp_path)
    shutil.copy(FISCAL / "R3.xlsx", target / "R2.xlsx")  # 令和3年度 saved as R2
    file = read_fiscal_file(target / "R2.xlsx", "national/fiscal/R2.xlsx")
    assert [str(e) for e in file.errors] == [
        "national/fiscal/R2.xlsx: ファイル名は2020年度（令和2年度）の表ですが、"
        "表題「全市町村の主要財政指標（令和３年度）」は2021年度の表です"
        "（別の年度のファイルを置いていないか確かめてください）"
    ]


def test_file_of_another_year_by_its_laspeyres_note(tmp_path: Path) -> None:
    target = copy_fiscal(tmp_path)
    shutil.copy(FISCAL / "H17.xls", target / "H18.xls")  # its note: 平成18年4月1日現在
    file = read_fiscal_file(target / "H18.xls", "national/fiscal/H18.xls")
    assert len(file.errors) == 1
    assert (
        "注記「２\u3000ラスパイレス指数は平成18年4月1日現在の数値である。」は2005年度の表のものです"
        in str(file.errors[0])
    )


def test_same_values_under_two_names(tmp_path: Path) -> None:
    target = copy_fiscal(tmp_path, "H20.xls")
    shutil.copy(FISCAL / "H20.xls", target / "H21.xls")  # no year in title or notes
    _, _, errors = read_fiscal(target, tmp_path, tables._match_sources({}))
    assert [str(e) for e in errors] == [
        "fiscal/H21.xls: fiscal/H20.xls と値がすべて同じです"
        "（別の年度のファイルを、名前を変えて置いていないか確かめてください）"
    ]


def test_file_name_without_a_year(tmp_path: Path) -> None:
    target = copy_fiscal(tmp_path)
    shutil.copy(FISCAL / "R3.xlsx", target / "最新.xlsx")
    file = read_fiscal_file(target / "最新.xlsx", "national/fiscal/最新.xlsx")
    assert "ファイル名から年度が分かりません" in str(file.errors[0])


def test_a_word_in_a_number_cell_names_file_row_and_column(tmp_path: Path) -> None:
    target = tmp_path / "R3.xlsx"
    book = openpyxl.load_workbook(FISCAL / "R3.xlsx")
    book.worksheets[0]["E224"] = "89.4%"
    book.save(target)
    file = read_fiscal_file(target, "national/fiscal/R3.xlsx")
    [error] = file.errors
    assert (error.file, error.row, error.column) == (
        "national/fiscal/R3.xlsx",
        224,
        "current_balance_ratio",
    )
    assert error.message.startswith("「89.4%」は数値ではありません")


def test_wrong_check_digit_in_the_code_column(tmp_path: Path) -> None:
    target = tmp_path / "R3.xlsx"
    book = openpyxl.load_workbook(FISCAL / "R3.xlsx")
    book.worksheets[0]["A224"] = "032035"
    book.save(target)
    [error] = read_fiscal_file(target, "national/fiscal/R3.xlsx").errors
    assert (error.row, error.column) == (224, "団体コード")
    assert "検査数字" in error.message


# --------------------------------------------------------------------------- prefecture means


@pytest.fixture(scope="module")
def read_means() -> tuple[pl.DataFrame, pl.DataFrame, list]:
    """``read_fiscal_means`` of data/raw's prefecture_mean folder: (means, files, errors)."""
    return read_fiscal_means(MEANS, RAW)


def test_iwate_and_national_means_fy2021(read_means) -> None:
    means, _, errors = read_means
    assert errors == []
    fy = means.filter(pl.col("fiscal_year") == 2021)
    iwate = fy.filter(pl.col("area_code") == "03000").row(0, named=True)
    nation = fy.filter(pl.col("area_code") == "00000").row(0, named=True)
    # prefecture_mean/R3.xlsx rows 5 and 50
    assert iwate["name"] == "岩手県（市町村平均）"
    assert (iwate["fiscal_strength_index"], iwate["current_balance_ratio"]) == (0.37, 90.5)
    assert (iwate["real_debt_service_ratio"], iwate["future_burden_ratio"]) == (10.6, 36.8)
    assert (nation["fiscal_strength_index"], nation["current_balance_ratio"]) == (0.5, 88.9)
    assert (nation["real_debt_service_ratio"], nation["future_burden_ratio"]) == (5.5, 15.4)
    assert (iwate["laspeyres_index"], iwate["laspeyres_index_marker"]) == (None, "－")


def test_means_of_every_prefecture_every_year(read_means) -> None:
    means, files, _ = read_means
    per_year = means.group_by("fiscal_year").len()
    assert per_year["len"].to_list() == [48] * 17
    assert files["fiscal_year"].sort().to_list() == list(range(2005, 2022))


def test_fy2005_means_in_their_own_order(read_means) -> None:
    # prefecture_mean/H17.xls row 5: 岩手県 （市町村平均） 89.7, 17.1, 11.8, 0.33, '-'
    means, _, _ = read_means
    iwate = means.filter((pl.col("fiscal_year") == 2005) & (pl.col("area_code") == "03000")).row(
        0, named=True
    )
    assert (iwate["current_balance_ratio"], iwate["real_debt_service_ratio"]) == (89.7, 17.1)
    assert (iwate["bond_restriction_ratio"], iwate["fiscal_strength_index"]) == (11.8, 0.33)


def test_means_notes_are_kept(files: pl.DataFrame) -> None:
    notes = files.filter((pl.col("kind") == "都道府県別平均") & (pl.col("fiscal_year") == 2005))[
        "notes"
    ].item()
    assert "財政力指数は単純平均" in notes


# --------------------------------------------------------------------------- reading without merges


@pytest.mark.parametrize("name", ["H17.xls", "H24.xls", "R3.xlsx"])
def test_fast_reader_gives_the_same_table(name: str) -> None:
    slow = read_gov_table(FISCAL / name, header_label="団体名")
    fast = read_gov_table(FISCAL / name, header_label="団体名", merged_cells=False)
    assert fast.equals(slow)


def test_a_municipality_twice_in_one_year_is_refused() -> None:
    from ebpm import validation

    file = read_fiscal_file(FISCAL / "R3.xlsx", "national/fiscal/R3.xlsx")
    ofunato = file.frame.filter(pl.col("name") == "大船渡市")
    frame = pl.concat(
        [
            file.frame.head(5),
            ofunato,
            ofunato.with_columns(pl.lit(999, dtype=pl.Int64).alias("_row")),
        ]
    )
    ranges = [(i.label, i.low, i.high) for i in INDICATORS]
    suite = validation.fiscal_suites(ranges, [BY_CODE, UNMATCHED], UNMATCHED)["national_fiscal"]
    names = {"prefecture": "都道府県名", "name": "団体名"} | {i.id: i.label for i in INDICATORS}
    errors = validation.validate(frame.rename(names), suite)
    assert [(e.row, e.column) for e in errors] == [(224, "団体名"), (999, "団体名")]
    assert (
        errors[0].message
        == "「大船渡市」が同じ年度の表に2回あります（同じ団体の行を1つにしてください）"
    )
