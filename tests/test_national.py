"""The two keyed extracts under data/raw/national: committed values, provenance and checks.

The real public files beside them are tested in test_national_fiscal.py, …_census.py,
…_opendata.py, …_peers.py; the warehouse tables and views in test_national_warehouse.py.
"""

from __future__ import annotations

import hashlib
import shutil
import tomllib
from pathlib import Path

import polars as pl
import pytest

from ebpm.codes import PREFECTURES, to_six
from ebpm.govtables import read_gov_table
from ebpm.manifest import scan_raw, source_line
from ebpm.national import MUNICIPALITY_FILE, POPULATION_FILE, load_national
from ebpm.readers import BuildError

NATIONAL = Path(__file__).resolve().parents[1] / "data" / "raw" / "national"
COASTAL_CITIES = ["03202", "03203", "03207", "03210", "03211"]
PEERS = ["01214", "01223", "04203", "04205", "07209"]
YEARS = list(range(1970, 2011, 5))


def real_file(realdata: Path, name: str) -> Path:
    path = realdata / name
    if not path.exists():
        pytest.skip(f"{name} がないため省略")
    return path


@pytest.fixture(scope="module")
def national() -> dict[str, pl.DataFrame]:
    return load_national(NATIONAL)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of data/raw/national."""
    target = tmp_path / "national"
    shutil.copytree(NATIONAL, target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --------------------------------------------------------------------------- committed data


def test_municipality_table_dtypes(national: dict[str, pl.DataFrame]) -> None:
    assert national["municipality"].schema == pl.Schema(
        {
            "area_code": pl.String,
            "lg_code": pl.String,
            "prefecture": pl.String,
            "name": pl.String,
            "name_kana": pl.String,
            "is_city": pl.Boolean,
            "_file": pl.String,
            "_row": pl.Int64,
        }
    )


def test_all_33_iwate_municipalities_and_5_peers(national: dict[str, pl.DataFrame]) -> None:
    municipality = national["municipality"]
    iwate = municipality.filter(pl.col("prefecture") == "岩手県")
    assert iwate.height == 33
    # 14 市, 15 町, 4 村 (滝沢市 since 2014)
    assert iwate["is_city"].sum() == 14
    assert iwate.filter(pl.col("name").str.ends_with("町")).height == 15
    assert iwate.filter(pl.col("name").str.ends_with("村")).height == 4
    assert sorted(municipality.filter(pl.col("prefecture") != "岩手県")["area_code"]) == PEERS


def test_ofunato_row(national: dict[str, pl.DataFrame]) -> None:
    ofunato = national["municipality"].filter(pl.col("area_code") == "03203").drop("_file", "_row")
    assert ofunato.row(0, named=True) == {
        "area_code": "03203",
        "lg_code": "032034",
        "prefecture": "岩手県",
        "name": "大船渡市",
        "name_kana": "おおふなとし",
        "is_city": True,
    }


def test_every_lg_code_carries_its_check_digit(national: dict[str, pl.DataFrame]) -> None:
    for area_code, lg_code, prefecture in (
        national["municipality"].select("area_code", "lg_code", "prefecture").iter_rows()
    ):
        assert to_six(area_code) == lg_code
        assert PREFECTURES[area_code[:2]] == prefecture


def test_population_table_dtypes(national: dict[str, pl.DataFrame]) -> None:
    assert national["population"].schema == pl.Schema(
        {
            "area_code": pl.String,
            "name": pl.String,
            "prefecture": pl.String,
            "year": pl.Int32,
            "population": pl.Int64,
            "source_id": pl.String,
            "note": pl.String,
            "_file": pl.String,
            "_row": pl.Int64,
        }
    )


def test_population_covers_1970_to_2010_for_each_area(national: dict[str, pl.DataFrame]) -> None:
    population = national["population"]
    assert population.height == 11 * 9
    assert sorted(population["area_code"].unique()) == sorted(["03000", *COASTAL_CITIES, *PEERS])
    years = population.group_by("area_code").agg(pl.col("year").sort())
    assert all(row == YEARS for row in years["year"].to_list())


def test_ofunato_population_as_printed(national: dict[str, pl.DataFrame]) -> None:
    ofunato = national["population"].filter(pl.col("area_code") == "03203")
    by_year = dict(ofunato.select("year", "population").iter_rows())
    # 国勢調査 人口総数, Excel row 229 of file01.xls (checked with xlrd cell access)
    assert by_year[1970] == 48816
    assert by_year[2010] == 40737
    assert by_year == {
        1970: 48816,
        1975: 49675,
        1980: 50132,
        1985: 49041,
        1990: 47219,
        1995: 46277,
        2000: 45160,
        2005: 43331,
        2010: 40737,
    }


def test_iwate_total(national: dict[str, pl.DataFrame]) -> None:
    iwate = national["population"].filter(pl.col("area_code") == "03000")
    assert iwate["name"].unique().to_list() == ["岩手県"]
    assert dict(iwate.select("year", "population").iter_rows())[1970] == 1371383
    assert dict(iwate.select("year", "population").iter_rows())[2010] == 1330147


def test_every_row_has_a_source_id_and_note(national: dict[str, pl.DataFrame]) -> None:
    population = national["population"]
    assert set(population["source_id"]) == {
        "census_population_1970_2010_by_2014_municipality",
        "census_population_timeseries_prefectures",
    }
    assert population["note"].null_count() == 0
    assert population.filter(pl.col("area_code") != "03000")["note"].str.contains("2014年4月").all()


def test_sources_toml_describes_both_files() -> None:
    with (NATIONAL / "SOURCES.toml").open("rb") as handle:
        sources = tomllib.load(handle)
    assert set(sources) == {MUNICIPALITY_FILE, POPULATION_FILE, "peers.toml"}
    for entry in (sources[MUNICIPALITY_FILE], sources[POPULATION_FILE]):
        for key in ("title", "publisher", "licence", "url", "retrieved_at", "processing", "notes"):
            assert entry[key], key
        assert entry["is_sample"] is False
    assert "政府標準利用規約（第2.0版）" in sources[POPULATION_FILE]["licence"]
    assert sources[POPULATION_FILE]["url"] == "不明"


def test_manifest_reads_the_provenance() -> None:
    records = {record.path: record for record in scan_raw(NATIONAL)}
    assert {MUNICIPALITY_FILE, POPULATION_FILE} <= set(records)
    assert source_line([records[POPULATION_FILE]]) == (
        "出典：「国勢調査 人口総数（1970〜2010年）」（総務省統計局）を加工して作成"
    )


# --------------------------------------------------------------------------- against the originals


def test_population_equals_the_official_xls(
    realdata: Path, national: dict[str, pl.DataFrame]
) -> None:
    path = real_file(realdata, "kanazawar002__file01.xls")
    table = read_gov_table(path, header_label="市区町村名", code_column="市区町村コード")
    official = table.unpivot(
        index=["area_code", "市区町村名"],
        on=[f"人口総数（人）_{year}年" for year in YEARS],
        variable_name="column",
        value_name="official",
    ).with_columns(pl.col("column").str.extract(r"_(\d{4})年").cast(pl.Int32).alias("year"))
    committed = national["population"].filter(pl.col("area_code") != "03000")
    joined = committed.join(official, on=["area_code", "year"], how="left")
    assert joined["official"].null_count() == 0
    assert (joined["population"] == joined["official"]).all()
    assert (joined["prefecture"] + " " + joined["name"] == joined["市区町村名"]).all()


def test_iwate_total_equals_estat_and_the_sum_of_33_municipalities(
    realdata: Path, national: dict[str, pl.DataFrame]
) -> None:
    """Why the note says 2014 boundaries: the 33 municipalities add up to the prefecture."""
    xls = read_gov_table(
        real_file(realdata, "kanazawar002__file01.xls"),
        header_label="市区町村名",
        code_column="市区町村コード",
    )
    feh = read_gov_table(
        real_file(realdata, "kanazawar002__FEH_00200521_241003100519.csv"),
        header_label="tab_code",
    )
    committed = dict(
        national["population"]
        .filter(pl.col("area_code") == "03000")
        .select("year", "population")
        .iter_rows()
    )
    iwate_municipalities = xls.filter(pl.col("area_code").str.starts_with("03"))
    assert iwate_municipalities.height == 33
    for year in YEARS:
        estat = feh.filter(
            (pl.col("area_code") == "03000")
            & (pl.col("time_code") == f"{year}000000")
            & (pl.col("表章項目") == "人口")
            & (pl.col("男女_時系列") == "総数")
        )["value"].item()
        assert committed[year] == estat
        assert iwate_municipalities[f"人口総数（人）_{year}年"].sum() == estat


def test_municipalities_agree_with_the_code_list(
    realdata: Path, national: dict[str, pl.DataFrame]
) -> None:
    path = real_file(realdata, "localgovjp__localgovjp-utf8.csv")
    code_list = pl.read_csv(path, infer_schema=False)
    joined = national["municipality"].join(
        code_list.select(pl.col("lgcode").alias("lg_code"), "pref", "city", "citykana"),
        on="lg_code",
        how="left",
    )
    assert joined["city"].null_count() == 0
    assert (joined["name"] == joined["city"]).all()
    assert (joined["prefecture"] == joined["pref"]).all()
    assert (joined["name_kana"] == joined["citykana"]).all()


# --------------------------------------------------------------------------- the checks


def problems(folder: Path) -> list[str]:
    with pytest.raises(BuildError) as caught:
        load_national(folder)
    return caught.value.messages


def test_data_raw_folder_is_accepted(copy: Path) -> None:
    assert load_national(copy.parent)["municipality"].height == 38


def test_missing_file(copy: Path) -> None:
    (copy / POPULATION_FILE).unlink()
    assert problems(copy) == [
        "national/population_census.csv: ファイルがありません（リポジトリの data/raw/national/ から復元してください）"
    ]


def test_missing_column(copy: Path) -> None:
    replace_in(copy / MUNICIPALITY_FILE, "lg_code,", "code6,")
    [message] = problems(copy)
    assert message.startswith("national/municipalities.csv: 必要な列「lg_code」がありません")


def test_wrong_check_digit_names_file_row_and_column(copy: Path) -> None:
    # row 1 is the header; 大船渡市 is on row 6
    replace_in(copy / MUNICIPALITY_FILE, "03203,032034,", "03203,032035,")
    assert problems(copy) == [
        "national/municipalities.csv 6行目 lg_code列: 「032035」は area_code の6桁コード"
        "（5桁＋検査数字）と合いません"
    ]


def test_errors_are_input_errors_with_row_and_column(copy: Path) -> None:
    replace_in(copy / MUNICIPALITY_FILE, "03203,032034,", "03203,032035,")
    with pytest.raises(BuildError) as caught:
        load_national(copy)
    [error] = caught.value.errors
    assert (error.file, error.row, error.column) == ("national/municipalities.csv", 6, "lg_code")


def test_leading_zero_lost_in_excel_is_repaired(copy: Path) -> None:
    replace_in(copy / MUNICIPALITY_FILE, "03203,032034,", "3203,32034,")
    ofunato = load_national(copy)["municipality"].filter(pl.col("name") == "大船渡市")
    assert ofunato.select("area_code", "lg_code").row(0) == ("03203", "032034")


def test_prefecture_must_match_the_code(copy: Path) -> None:
    replace_in(copy / MUNICIPALITY_FILE, "03203,032034,岩手県", "03203,032034,宮城県")
    assert problems(copy) == [
        "national/municipalities.csv 6行目 prefecture列: 「宮城県」は団体コードの都道府県（上2桁）と合いません"
    ]


def test_duplicate_code(copy: Path) -> None:
    path = copy / MUNICIPALITY_FILE
    path.write_text(
        path.read_text(encoding="utf-8") + "03203,032034,岩手県,大船渡市,おおふなとし,true\n",
        encoding="utf-8",
    )
    messages = problems(copy)
    assert (
        "national/municipalities.csv 40行目 area_code列: 団体コード「03203」が重複しています（1団体1行にしてください）"
        in messages
    )


def test_is_city_must_be_true_or_false(copy: Path) -> None:
    replace_in(copy / MUNICIPALITY_FILE, "おおふなとし,true", "おおふなとし,市")
    assert problems(copy) == [
        "national/municipalities.csv 6行目 is_city列: 「市」は true か false で書いてください（市なら true）"
    ]


def test_population_not_a_number(copy: Path) -> None:
    replace_in(
        copy / POPULATION_FILE,
        "03203,大船渡市,岩手県,1970,48816,",
        "03203,大船渡市,岩手県,1970,約4.9万,",
    )
    assert problems(copy) == [
        "national/population_census.csv 38行目 population列: 「約4.9万」を整数に変換できません"
        "（人数を数字だけで書いてください）"
    ]


def test_population_with_thousands_separator_is_accepted(copy: Path) -> None:
    replace_in(copy / POPULATION_FILE, "1970,48816,", '1970,"48,816",')
    population = load_national(copy)["population"]
    assert (
        population.filter((pl.col("area_code") == "03203") & (pl.col("year") == 1970))[
            "population"
        ].item()
        == 48816
    )


def test_unknown_area_code(copy: Path) -> None:
    replace_in(copy / POPULATION_FILE, "03203,大船渡市,岩手県,1970,", "03204,大船渡市,岩手県,1970,")
    assert problems(copy) == [
        "national/population_census.csv 38行目 area_code列: 団体コード「03204」が municipalities.csv "
        "にありません（先に municipalities.csv に行を追加してください）"
    ]


def test_name_must_match_the_municipality_table(copy: Path) -> None:
    replace_in(
        copy / POPULATION_FILE, "03203,大船渡市,岩手県,1970,", "03203,陸前高田市,岩手県,1970,"
    )
    assert problems(copy) == [
        "national/population_census.csv 38行目 name列: 「陸前高田市」は municipalities.csv の"
        "この団体コードの名前と合いません"
    ]


def test_year_must_be_a_census_year(copy: Path) -> None:
    replace_in(copy / POPULATION_FILE, "03203,大船渡市,岩手県,1970,", "03203,大船渡市,岩手県,1971,")
    assert problems(copy) == [
        "national/population_census.csv 38行目 year列: 1971 は国勢調査の年（1920年から5年ごと）ではありません"
    ]


def test_duplicate_area_and_year(copy: Path) -> None:
    replace_in(copy / POPULATION_FILE, "03203,大船渡市,岩手県,1975,", "03203,大船渡市,岩手県,1970,")
    assert problems(copy) == [
        "national/population_census.csv 38行目 year列: 同じ団体コード・調査年（1970年）の行が重複しています",
        "national/population_census.csv 39行目 year列: 同じ団体コード・調査年（1970年）の行が重複しています",
    ]


def test_bad_check_digit_in_population(copy: Path) -> None:
    replace_in(
        copy / POPULATION_FILE, "03203,大船渡市,岩手県,1970,", "032035,大船渡市,岩手県,1970,"
    )
    assert problems(copy) == [
        "national/population_census.csv 38行目 area_code列: 「032035」は検査数字（6桁目）が正しくありません"
        "（03203 の検査数字は 4、正しくは 032034）"
    ]


def test_note_column_is_optional(copy: Path) -> None:
    path = copy / POPULATION_FILE
    frame = pl.read_csv(path, infer_schema=False).drop("note")
    frame.write_csv(path)
    population = load_national(copy)["population"]
    assert population["note"].null_count() == population.height


# --------------------------------------------------------------------------- provenance of the real files


def test_every_national_file_is_described_with_its_origin() -> None:
    records = [r for r in scan_raw(NATIONAL.parent) if r.path.startswith("national/")]
    assert len(records) == 2 + 34 + 2 + 2 + 1  # extracts, fiscal, census, open data, peers.toml
    for record in records:
        assert record.notes, record.path
        assert record.is_sample is False


def test_fiscal_entries_name_their_year_and_the_bytes_they_describe() -> None:
    from ebpm.jp import wareki_label
    from ebpm.national.fiscal import fiscal_year_of_file

    for folder in (NATIONAL / "fiscal", NATIONAL / "fiscal" / "prefecture_mean"):
        with (folder / "SOURCES.toml").open("rb") as handle:
            sources = tomllib.load(handle)
        files = sorted(p.name for p in folder.glob("*.xls*"))
        assert sorted(sources) == files and len(files) == 17
        for name, entry in sources.items():
            year = fiscal_year_of_file(name)
            assert f"（{wareki_label(year)}決算）" in entry["title"], name
            digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
            assert f"SHA-256 {digest}" in entry["notes"], name  # byte-identical to the mirror
            assert "未確認" in entry["notes"]


def test_census_2020_response_is_labelled_preliminary() -> None:
    import json

    [sidecar] = (NATIONAL.parent / "estat" / "0003433219").glob("*.provenance.json")
    record = json.loads(sidecar.read_text(encoding="utf-8"))
    assert "速報集計" in record["title"]
    assert record["stats_data_id"] == "0003433219" and record["retrieved_at"] == "2025-05-10"


def shared_realdata() -> Path:
    """../shared/realdata, wherever the checkout is (a worktree sits deeper than main)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "realdata"
        if candidate.is_dir():
            return candidate
    pytest.skip("shared/realdata がないため省略")


def test_raw_files_are_byte_identical_to_the_originals() -> None:
    realdata = shared_realdata()
    pairs = {
        "census/population_1970_2010.xls": "kanazawar002__file01.xls",
        "census/population_2015.csv": "code4fukui__population_jp_2015_detail.csv",
        "opendata/r2_survey_answers.csv": "code4fukui__opendata_survey_r2_answers.csv",
        "opendata/r2_survey_questions.csv": "code4fukui__opendata_survey_r2_questions.csv",
        **{
            f"fiscal/{p.name}": f"mic_fiscal_indices/{p.name}"
            for p in (NATIONAL / "fiscal").glob("*.xls*")
        },
        **{
            f"fiscal/prefecture_mean/{p.name}": f"mic_fiscal_indices/prefecture_mean/{p.name}"
            for p in (NATIONAL / "fiscal" / "prefecture_mean").glob("*.xls*")
        },
    }
    assert len(pairs) == 38
    for ours, original in pairs.items():
        assert (NATIONAL / ours).read_bytes() == (realdata / original).read_bytes(), ours
    folder = NATIONAL.parent / "estat" / "0003433219"
    [estat] = [
        p for p in folder.glob("getStatsData_*.json") if not p.name.endswith(".provenance.json")
    ]
    original = realdata / "estat_getStatsData_0003433219_census2020_preliminary.json"
    assert estat.read_bytes() == original.read_bytes()
