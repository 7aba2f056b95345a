"""国勢調査 1970–2020 of every municipality, as published (2020: 速報値)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import xlrd

from ebpm import paths
from ebpm.national.census import (
    CENSUS_1970_2010,
    CENSUS_2015,
    read_census_1970_2010,
    read_census_2015,
    read_census_2020,
)

NATIONAL = paths.RAW / "national"


@pytest.fixture(scope="module")
def old() -> pl.DataFrame:
    frame, errors = read_census_1970_2010(
        NATIONAL / CENSUS_1970_2010, "national/" + CENSUS_1970_2010
    )
    assert errors == []
    return frame


@pytest.fixture(scope="module")
def census_2015() -> tuple[pl.DataFrame, pl.DataFrame]:
    population, former, errors = read_census_2015(NATIONAL / CENSUS_2015, "national/" + CENSUS_2015)
    assert errors == []
    return population, former


@pytest.fixture(scope="module")
def census_2020() -> pl.DataFrame:
    frame, errors = read_census_2020(paths.RAW / "estat", paths.RAW)
    assert errors == []
    return frame


def value(frame: pl.DataFrame, code: str, year: int, series: str | None = None) -> int | None:
    rows = frame.filter((pl.col("area_code") == code) & (pl.col("year") == year))
    if series:
        rows = rows.filter(pl.col("series") == series)
    return rows["population"].item()


# --------------------------------------------------------------------------- 1970–2010


def test_every_municipality_every_year(old: pl.DataFrame) -> None:
    assert old["area_code"].n_unique() == 1741
    assert old.height == 1741 * 9
    assert old["year"].unique().sort().to_list() == list(range(1970, 2011, 5))


def test_ofunato_1970_and_2010_equal_the_cells(old: pl.DataFrame) -> None:
    # population_1970_2010.xls row 229: 岩手県 大船渡市, 032034, 48816 … 40737
    sheet = xlrd.open_workbook(str(NATIONAL / CENSUS_1970_2010)).sheet_by_index(0)
    cells = sheet.row_values(228)
    assert cells[:2] == ["岩手県 大船渡市", "032034"]
    assert value(old, "03203", 1970) == cells[2] == 48816
    assert value(old, "03203", 2010) == cells[10] == 40737


def test_names_split_from_the_prefecture(old: pl.DataFrame) -> None:
    ofunato = old.filter(pl.col("area_code") == "03203").row(0, named=True)
    assert (ofunato["prefecture"], ofunato["name"], ofunato["is_city"]) == (
        "岩手県",
        "大船渡市",
        True,
    )
    assert ofunato["boundary"] == "2014年4月1日現在の市区町村の区域"
    assert (ofunato["status"], ofunato["is_preliminary"]) == ("確定値", False)


# --------------------------------------------------------------------------- 2015


def test_code_without_leading_zero_and_unnamed_name_column(
    census_2015: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    # population_2015.csv line 374: 3203,2,2015,,大船渡市,38058,40737,…
    population, _ = census_2015
    ofunato = population.filter((pl.col("area_code") == "03203") & (pl.col("year") == 2015)).row(
        0, named=True
    )
    assert (ofunato["name"], ofunato["population"], ofunato["_row"]) == ("大船渡市", 38058, 374)


def test_2010_rebased_to_2015_areas_is_its_own_series(
    census_2015: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    population, _ = census_2015
    assert value(population, "03203", 2010, "census_2015_rebased_2010") == 40737
    rebased = population.filter(pl.col("series") == "census_2015_rebased_2010")
    assert rebased["series_label"].unique().to_list() == [
        "平成22年国勢調査の人口を平成27年の市区町村の区域に組み替えた値（組替）"
    ]


def test_national_prefecture_and_ward_levels(
    census_2015: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    population, _ = census_2015
    fy = population.filter(pl.col("year") == 2015)
    assert value(fy, "00000", 2015) == 127094745
    assert value(fy, "03000", 2015) == 1279594
    levels = dict(fy.group_by("area_level").len().iter_rows())
    assert levels == {
        "全国": 1,
        "都道府県": 47,
        "市区町村": 1741,
        "政令指定都市の区": 175,
        "特別区部": 1,
    }
    # 人口集中地区 rows (地域識別コード d) are not areas of this table
    assert fy.filter(pl.col("name").str.contains("人口集中地区")).height == 0


def test_former_municipalities_give_the_merger_crosswalk(
    census_2015: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    # lines 375–376: 3203,9,,2000,(旧 203 大船渡市),31762,… and (旧 442 三陸町),6296,…
    _, former = census_2015
    ofunato = former.filter(pl.col("successor_code") == "03203").sort("former_code")
    assert ofunato.select("former_code", "former_name", "population_2015").rows() == [
        ("03203", "大船渡市", 31762),
        ("03442", "三陸町", 6296),
    ]
    assert ofunato["successor_name"].unique().to_list() == ["大船渡市"]
    assert former.height == 2118


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "population_2015.csv"
    text = (NATIONAL / CENSUS_2015).read_text(encoding="utf-8")
    path.write_text(text.replace("人口　平成27年　(a)", "人口", 1), encoding="utf-8")
    _, _, errors = read_census_2015(path, "national/census/population_2015.csv")
    assert [str(e) for e in errors] == [
        "national/census/population_2015.csv: 列「人口 平成27年」が見つかりません"
        "（平成27年国勢調査の人口等基本集計の表か確かめてください）"
    ]


def test_a_word_instead_of_a_count(tmp_path: Path) -> None:
    path = tmp_path / "population_2015.csv"
    text = (NATIONAL / CENSUS_2015).read_text(encoding="utf-8")
    path.write_text(text.replace("大船渡市,38058,", "大船渡市,約3.8万,", 1), encoding="utf-8")
    _, _, errors = read_census_2015(path, "national/census/population_2015.csv")
    [error] = errors
    assert (error.row, error.column) == (374, "人口 平成27年 (a)")  # header spaces collapsed
    assert error.message.startswith("「約3.8万」は整数ではありません")


# --------------------------------------------------------------------------- 2020 速報


def test_ofunato_2020_is_preliminary(census_2020: pl.DataFrame) -> None:
    ofunato = census_2020.filter(pl.col("area_code") == "03203").row(0, named=True)
    assert ofunato["population"] == 34739  # the final count is 34,728: never mix them silently
    assert (ofunato["status"], ofunato["is_preliminary"]) == ("速報値", True)
    assert "速報値" in ofunato["series_label"]
    assert ofunato["_file"] == "estat/0003433219/getStatsData_20250510_df4bd1e3.json"


def test_every_2020_row_says_preliminary(census_2020: pl.DataFrame) -> None:
    assert census_2020["is_preliminary"].all()
    assert census_2020["series"].unique().to_list() == ["census_2020_preliminary"]
    assert value(census_2020, "03000", 2020) == 1211206
    assert census_2020.filter(pl.col("area_level") == "市区町村").height == 1741


def test_an_area_without_a_count_keeps_its_mark(census_2020: pl.DataFrame) -> None:
    futaba = census_2020.filter(pl.col("area_code") == "07546").row(0, named=True)
    assert futaba["population"] is None
    assert futaba["marker"] == "-（当該数値がないもの）"


def test_no_cached_response_gives_no_rows(tmp_path: Path) -> None:
    frame, errors = read_census_2020(tmp_path / "estat", tmp_path)
    assert frame.height == 0 and errors == []
