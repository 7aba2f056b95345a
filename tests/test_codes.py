"""全国地方公共団体コード: check digit, normalisation, prefecture + name matching."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ebpm.codes import (
    PREFECTURES,
    attach_codes,
    check_digit,
    check_digit_expr,
    code_error_expr,
    match_municipality,
    normalize_code,
    normalize_code_expr,
    prefecture_code,
    to_six,
)


def real_file(realdata: Path, name: str) -> Path:
    path = realdata / name
    if not path.exists():
        pytest.skip(f"{name} がないため省略")
    return path


@pytest.fixture
def localgov(realdata: Path) -> pl.DataFrame:
    """The CC0 code list (1,916 rows, UTF-8 with BOM), all columns as text."""
    path = real_file(realdata, "localgovjp__localgovjp-utf8.csv")
    return pl.read_csv(path, infer_schema=False)


@pytest.fixture
def master(localgov: pl.DataFrame) -> pl.DataFrame:
    return localgov.select(
        area_code=pl.col("lgcode"), prefecture=pl.col("pref"), name=pl.col("city")
    )


SMALL_MASTER = pl.DataFrame(
    {
        "area_code": ["032034", "034614", "011002", "011011", "132063", "342084", "033812"],
        "prefecture": ["岩手県", "岩手県", "北海道", "北海道", "東京都", "広島県", "岩手県"],
        "name": ["大船渡市", "大槌町", "札幌市", "札幌市 中央区", "府中市", "府中市", "金ケ崎町"],
    }
)


# --------------------------------------------------------------------------- check digit


def test_check_digit_of_ofunato_is_4() -> None:
    # 0×6 + 3×5 + 2×4 + 0×3 + 3×2 = 29; 29 mod 11 = 7; 11 − 7 = 4
    assert check_digit("03203") == "4"


def test_check_digit_remainder_0_gives_1() -> None:
    # 0×6 + 1×5 + 1×4 + 0×3 + 1×2 = 11; 11 mod 11 = 0; (11 − 0) mod 10 = 1
    assert check_digit("01101") == "1"


def test_check_digit_remainder_1_gives_0() -> None:
    # 4×6 + 7×5 + 3×4 + 6×3 + 0×2 = 89; 89 mod 11 = 1; 11 − 1 = 10 → 0 (沖縄県 伊是名村)
    assert check_digit("47360") == "0"


@pytest.mark.parametrize("bad", ["3203", "032034", "0320a", "０３２０３"])
def test_check_digit_needs_five_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="5桁の数字ではない"):
        check_digit(bad)


def test_check_digit_expr_matches_scalar() -> None:
    codes = ["03203", "01101", "47360", "13206", "34208"]
    got = pl.select(check_digit_expr(pl.lit(pl.Series(codes)))).to_series().to_list()
    assert got == [check_digit(code) for code in codes]


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "raw", ["03203", "3203", 3203, "032034", "０３２０３", " 03203 ", "０３２０３４"]
)
def test_normalize_code_gives_five_digits(raw: str | int) -> None:
    assert normalize_code(raw) == "03203"


def test_normalize_code_rejects_wrong_check_digit_in_japanese() -> None:
    with pytest.raises(ValueError, match=r"検査数字.*正しくは 032034"):
        normalize_code("032035")


@pytest.mark.parametrize("bad", ["323", "0320345", "03-203", "", "abcde", "大船渡"])
def test_normalize_code_rejects_wrong_format(bad: str) -> None:
    with pytest.raises(ValueError, match="団体コードの形式ではありません"):
        normalize_code(bad)


@pytest.mark.parametrize("bad", ["00000", "48201", "99999"])
def test_normalize_code_rejects_unknown_prefecture(bad: str) -> None:
    with pytest.raises(ValueError, match="01〜47の範囲にありません"):
        normalize_code(bad)


@pytest.mark.parametrize("bad", [True, 3203.0, None])
def test_normalize_code_rejects_other_types(bad: object) -> None:
    with pytest.raises(ValueError, match="団体コードとして解釈できません"):
        normalize_code(bad)  # type: ignore[arg-type]


def test_to_six_and_prefecture_code() -> None:
    assert to_six("03203") == "032034"
    assert to_six(1100) == "011002"
    assert prefecture_code("032034") == "03"
    assert prefecture_code(3203) == "03"


def test_prefectures_are_the_47_in_jis_order() -> None:
    assert len(PREFECTURES) == 47
    assert list(PREFECTURES) == [f"{n:02d}" for n in range(1, 48)]
    assert (PREFECTURES["01"], PREFECTURES["03"], PREFECTURES["13"]) == (
        "北海道",
        "岩手県",
        "東京都",
    )
    assert (PREFECTURES["26"], PREFECTURES["27"], PREFECTURES["47"]) == (
        "京都府",
        "大阪府",
        "沖縄県",
    )


def test_code_expressions_agree_with_normalize_code() -> None:
    raw = ["032034", "3203", "03203", "０３２０３", "032035", "abc", "48201", None, "3203.0"]
    frame = pl.DataFrame({"code": raw}).with_columns(
        normalize_code_expr("code").alias("code5"), code_error_expr("code").alias("error")
    )
    for value, code5, error in frame.iter_rows():
        try:
            expected = normalize_code(value.removesuffix(".0")) if value is not None else None
        except ValueError:
            expected = None
        assert code5 == expected, value
        assert (error is None) == (expected is not None), value


def test_code_expr_works_on_integer_columns() -> None:
    frame = pl.DataFrame({"cid": [3203, 1100, 47360]})
    assert frame.select(normalize_code_expr("cid")).to_series().to_list() == [
        "03203",
        "01100",
        "47360",
    ]


def test_code_error_expr_explains_each_problem() -> None:
    frame = pl.DataFrame({"code": ["032035", "12", "00100", None]})
    errors = frame.select(code_error_expr("code")).to_series().to_list()
    assert errors == [
        "「032035」は検査数字（6桁目）が正しくありません（正しくは 032034）",
        "「12」は団体コードの形式（数字4〜6桁）ではありません",
        "「00100」の都道府県コード「00」は01〜47の範囲にありません",
        "空欄です",
    ]


# --------------------------------------------------------------------------- real code list


def test_all_1916_real_lgcodes_have_a_correct_check_digit(localgov: pl.DataFrame) -> None:
    assert localgov.height == 1916
    checked = localgov.select(
        pl.col("lgcode"),
        check_digit_expr(pl.col("lgcode").str.slice(0, 5)).alias("expected"),
        code_error_expr("lgcode").alias("error"),
    )
    assert checked.filter(pl.col("lgcode").str.slice(5, 1) != pl.col("expected")).height == 0
    assert checked["error"].null_count() == 1916
    assert all(to_six(code[:5]) == code for code in localgov["lgcode"])


def test_real_prefecture_numbers_match_prefectures(localgov: pl.DataFrame) -> None:
    pairs = localgov.select(pl.col("pid").str.zfill(2), "pref").unique().sort("pid")
    assert dict(pairs.iter_rows()) == PREFECTURES


def test_ofunato_in_the_real_list(localgov: pl.DataFrame) -> None:
    row = localgov.filter(pl.col("city") == "大船渡市").row(0, named=True)
    assert (row["pref"], row["cid"], row["lgcode"]) == ("岩手県", "3203", "032034")
    assert normalize_code(row["cid"]) == normalize_code(row["lgcode"]) == "03203"


def test_sjis_codes_without_leading_zero_are_repaired(
    realdata: Path, localgov: pl.DataFrame
) -> None:
    path = real_file(realdata, "localgovjp__20200104_localgovjp-sjis.csv")
    old = pl.read_csv(path, encoding="cp932", infer_schema=False)
    assert old.filter(pl.col("city") == "大船渡市")["cid"].item() == "3203"
    joined = old.select("pref", "city", normalize_code_expr("cid").alias("code5")).join(
        localgov.select("pref", "city", pl.col("lgcode").str.slice(0, 5).alias("expected")),
        on=["pref", "city"],
    )
    assert joined.height > 1800
    assert joined.filter(pl.col("code5") != pl.col("expected")).height == 0


# --------------------------------------------------------------------------- name matching


def test_fuchu_is_told_apart_by_prefecture(master: pl.DataFrame) -> None:
    assert master.filter(pl.col("name") == "府中市").height == 2
    assert match_municipality("東京都", "府中市", master) == "13206"
    assert match_municipality("広島県", "府中市", master) == "34208"


def test_date_is_told_apart_by_prefecture(master: pl.DataFrame) -> None:
    assert match_municipality("北海道", "伊達市", master) == "01233"
    assert match_municipality("福島", "伊達市", master) == "07213"


def test_name_alone_never_matches(master: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="都道府県名がないか"):
        match_municipality("", "府中市", master)


def test_wrong_prefecture_error_names_where_the_name_exists(master: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="岩手県 府中市（同名の団体は 東京都・広島県 にあります）"):
        match_municipality("岩手県", "府中市", master)


def test_combined_labels_of_the_real_estat_csv(realdata: Path, master: pl.DataFrame) -> None:
    path = real_file(realdata, "kanazawar002__FEI_CITY_241027082628.csv")
    regional = pl.read_csv(path, infer_schema=False)
    coded = attach_codes(regional, None, "地域", master)
    assert coded.height == regional.height == 171
    assert coded["area_code"].null_count() == 0
    assert coded["area_code"].str.starts_with("17").all()
    assert coded.filter(pl.col("地域") == "石川県 金沢市")["area_code"].unique().to_list() == [
        "17201"
    ]
    assert coded.columns == [*regional.columns, "area_code"]


@pytest.mark.parametrize(
    ("prefecture", "name", "expected"),
    [
        ("岩手県", "大船渡市", "03203"),
        ("岩手", "大船渡市", "03203"),
        ("03", "大船渡市", "03203"),
        ("3", "大船渡市", "03203"),
        ("岩手県", "　大船渡市 ", "03203"),
        ("岩手県", "上閉伊郡大槌町", "03461"),
        ("岩手県", "金ヶ崎町", "03381"),
        ("北海道", "札幌市中央区", "01101"),
        ("北海道", "札幌市", "01100"),
        (None, "岩手県大船渡市", "03203"),
        (None, "東京都 府中市", "13206"),
        ("広島県", "広島県 府中市", "34208"),
    ],
)
def test_attach_codes_accepts_the_ways_files_write_names(
    prefecture: str | None, name: str, expected: str
) -> None:
    df = pl.DataFrame(
        {"都道府県": [prefecture], "市区町村": [name]},
        schema=[("都道府県", pl.String), ("市区町村", pl.String)],
    )
    assert attach_codes(df, "都道府県", "市区町村", SMALL_MASTER)["area_code"].item() == expected


def test_attach_codes_keeps_rows_and_order() -> None:
    df = pl.DataFrame(
        {
            "pref": ["東京都", "岩手県", "広島県"],
            "city": ["府中市", "大船渡市", "府中市"],
            "v": [1, 2, 3],
        }
    )
    coded = attach_codes(df, "pref", "city", SMALL_MASTER)
    assert coded["area_code"].to_list() == ["13206", "03203", "34208"]
    assert coded.drop("area_code").equals(df)


def test_attach_codes_lists_every_unmatched_row_in_japanese() -> None:
    df = pl.DataFrame(
        {
            "pref": ["岩手県", "岩手県", "岩手県", None],
            "city": ["大船渡市", "大舟渡市", "府中市", "大船渡市"],
        }
    )
    with pytest.raises(ValueError) as caught:
        attach_codes(df, "pref", "city", SMALL_MASTER)
    message = str(caught.value)
    assert "団体コードを付けられない行が 3 件あります" in message
    assert "2行目: 岩手県 大舟渡市" in message
    assert "3行目: 岩手県 府中市（同名の団体は 東京都・広島県 にあります）" in message
    assert "4行目: 大船渡市（都道府県名がないか、正しくありません）" in message
    assert "1行目" not in message


def test_attach_codes_reports_conflicting_prefectures() -> None:
    df = pl.DataFrame({"pref": ["広島県"], "label": ["東京都 府中市"]})
    with pytest.raises(ValueError, match="食い違っています"):
        attach_codes(df, "pref", "label", SMALL_MASTER)


def test_attach_codes_refuses_to_overwrite_a_column() -> None:
    df = pl.DataFrame({"pref": ["岩手県"], "city": ["大船渡市"], "area_code": ["x"]})
    with pytest.raises(ValueError, match="列「area_code」はすでにあります"):
        attach_codes(df, "pref", "city", SMALL_MASTER)
    assert attach_codes(df, "pref", "city", SMALL_MASTER, code_col="code")["code"].item() == "03203"


def test_attach_codes_checks_the_master() -> None:
    df = pl.DataFrame({"pref": ["岩手県"], "city": ["大船渡市"]})
    with pytest.raises(ValueError, match="prefecture"):
        attach_codes(df, "pref", "city", SMALL_MASTER.drop("prefecture"))
    doubled = pl.concat([SMALL_MASTER, SMALL_MASTER.head(1)])
    with pytest.raises(ValueError, match="複数あります"):
        attach_codes(df, "pref", "city", doubled)
    broken = SMALL_MASTER.with_columns(pl.col("area_code").str.replace("032034", "032035"))
    with pytest.raises(ValueError, match="1行目: 「032035」は検査数字"):
        attach_codes(df, "pref", "city", broken)


def test_attach_codes_unknown_column() -> None:
    df = pl.DataFrame({"pref": ["岩手県"], "city": ["大船渡市"]})
    with pytest.raises(ValueError, match="列「市町村」がありません"):
        attach_codes(df, "pref", "市町村", SMALL_MASTER)
