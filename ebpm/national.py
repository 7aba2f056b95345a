"""National statistics committed under ``data/raw/national/``: loader and checks.

Two small tables of our own, re-keyed from official files (provenance in the folder's
``SOURCES.toml``):

``municipalities.csv``
    area_code (5 digits), lg_code (6 digits with check digit), prefecture, name,
    name_kana, is_city — the 33 municipalities of 岩手県 and Ofunato's comparison cities.
``population_census.csv``
    area_code, name, prefecture, year (census year), population, source_id, note —
    国勢調査 人口総数 as printed in the official tables. A prefecture total
    (area_code ``03000``) may appear; every other code must be in ``municipalities.csv``.

Codes stay strings. Every problem is reported in Japanese with file, line and column
(line 1 is the header line, as in a text editor).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import polars as pl

from ebpm.codes import PREFECTURES, check_digit_expr, code_error_expr, normalize_code_expr
from ebpm.jp import read_text

__all__ = ["MUNICIPALITY_FILE", "POPULATION_FILE", "load_national"]

MUNICIPALITY_FILE: Final = "municipalities.csv"
POPULATION_FILE: Final = "population_census.csv"

_MUNICIPALITY_COLUMNS: Final = (
    "area_code",
    "lg_code",
    "prefecture",
    "name",
    "name_kana",
    "is_city",
)
_POPULATION_COLUMNS: Final = (
    "area_code",
    "name",
    "prefecture",
    "year",
    "population",
    "source_id",
    "note",
)
_OPTIONAL: Final = {"name_kana", "note"}
_FIRST_CENSUS: Final = 1920
_MAX_LISTED: Final = 20
_TRUE: Final = ["true", "1", "yes", "はい", "○"]
_FALSE: Final = ["false", "0", "no", "いいえ", "×"]

Check = tuple[str, pl.Expr]


def _national_dir(raw_dir: Path) -> Path:
    raw_dir = Path(raw_dir)
    if not (raw_dir / MUNICIPALITY_FILE).exists() and (raw_dir / "national").is_dir():
        return raw_dir / "national"  # data/raw given instead of data/raw/national
    return raw_dir


def _read(path: Path, required: Sequence[str]) -> pl.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"{path.name} がありません（{path}）")
    text, _ = read_text(path)
    df = pl.read_csv(io.StringIO(text), infer_schema=False)
    missing = [c for c in required if c not in df.columns and c not in _OPTIONAL]
    if missing:
        raise ValueError(
            f"{path.name}: 列 {', '.join(missing)} がありません"
            f"（必要な列: {', '.join(required)}。見出しは1行目に書いてください）"
        )
    text = {c: pl.col(c).str.strip_chars() for c in required if c in df.columns}
    return df.select(
        *(pl.when(value != "").then(value).alias(c) for c, value in text.items()),
        *(pl.lit(None, dtype=pl.String).alias(c) for c in required if c not in text),
    ).with_row_index("_line", offset=2)


def _blank(column: str) -> pl.Expr:
    return pl.when(pl.col(column).is_null()).then(pl.lit("空欄です"))


def _duplicated(columns: list[str], what: str) -> pl.Expr:
    return pl.when(pl.struct(columns).is_duplicated()).then(pl.lit(f"{what}が重複しています"))


def _raise_if_problems(df: pl.DataFrame, checks: Sequence[Check], file: str) -> None:
    problems = pl.concat(
        [
            df.select(
                pl.col("_line"), pl.lit(column).alias("column"), message.alias("message")
            ).filter(pl.col("message").is_not_null())
            for column, message in checks
        ]
    ).sort("_line", maintain_order=True)
    if not problems.height:
        return
    lines = [
        f"  {row['_line']}行目 {row['column']}列: {row['message']}"
        for row in problems.head(_MAX_LISTED).iter_rows(named=True)
    ]
    if problems.height > _MAX_LISTED:
        lines.append(f"  ほか {problems.height - _MAX_LISTED} 件")
    raise ValueError(f"{file} に誤りが {problems.height} 件あります:\n" + "\n".join(lines))


def _load_municipalities(path: Path) -> pl.DataFrame:
    df = _read(path, _MUNICIPALITY_COLUMNS).with_columns(
        normalize_code_expr("area_code").alias("_code")
    )
    lg_code = pl.col("lg_code").str.zfill(6)  # Excel may have dropped the leading zero
    expected_six = pl.concat_str(pl.col("_code"), check_digit_expr(pl.col("_code")))
    expected_pref = pl.col("_code").str.slice(0, 2).replace_strict(PREFECTURES, default=None)
    is_city = pl.col("is_city").str.normalize("NFKC").str.to_lowercase()
    checks: list[Check] = [
        ("area_code", code_error_expr("area_code")),
        ("area_code", _duplicated(["_code"], "団体コード")),
        (
            "lg_code",
            _blank("lg_code")
            .when(~lg_code.str.contains(r"^[0-9]{6}$"))
            .then(pl.format("「{}」は6桁の数字ではありません", pl.col("lg_code")))
            .when(pl.col("_code").is_not_null() & (lg_code != expected_six))
            .then(
                pl.format(
                    "「{}」は area_code「{}」の6桁コードと合いません（正しくは {}）",
                    pl.col("lg_code"),
                    pl.col("area_code"),
                    expected_six,
                )
            ),
        ),
        (
            "prefecture",
            _blank("prefecture")
            .when(expected_pref.is_not_null() & (pl.col("prefecture") != expected_pref))
            .then(
                pl.format(
                    "「{}」は団体コード {} の都道府県（{}）と合いません",
                    pl.col("prefecture"),
                    pl.col("_code"),
                    expected_pref,
                )
            ),
        ),
        ("name", _blank("name")),
        (
            "is_city",
            _blank("is_city")
            .when(~is_city.is_in(_TRUE + _FALSE))
            .then(pl.format("「{}」は true か false で書いてください", pl.col("is_city"))),
        ),
    ]
    _raise_if_problems(df, checks, path.name)
    return df.select(
        pl.col("_code").alias("area_code"),
        pl.col("lg_code").str.zfill(6),
        "prefecture",
        "name",
        "name_kana",
        is_city.is_in(_TRUE).alias("is_city"),
    )


def _load_population(
    path: Path, municipality: pl.DataFrame, municipality_file: str
) -> pl.DataFrame:
    df = _read(path, _POPULATION_COLUMNS).with_columns(
        normalize_code_expr("area_code").alias("_code"),
        pl.col("year").str.normalize("NFKC").cast(pl.Int32, strict=False).alias("_year"),
        pl.col("population")
        .str.normalize("NFKC")
        .str.replace_all(",", "", literal=True)
        .cast(pl.Int64, strict=False)
        .alias("_population"),
    )
    prefecture_rows = pl.DataFrame(
        {
            "_code": [f"{code}000" for code in PREFECTURES],
            "_known_prefecture": list(PREFECTURES.values()),
            "_known_name": list(PREFECTURES.values()),
        }
    )
    known = pl.concat(
        [
            municipality.select(
                pl.col("area_code").alias("_code"),
                pl.col("prefecture").alias("_known_prefecture"),
                pl.col("name").alias("_known_name"),
            ),
            prefecture_rows,
        ]
    ).unique("_code", keep="first")
    df = df.join(known, on="_code", how="left", maintain_order="left")
    found = pl.col("_known_name").is_not_null()

    def agrees(column: str, known_column: str) -> pl.Expr:
        return (
            _blank(column)
            .when(found & (pl.col(column) != pl.col(known_column)))
            .then(
                pl.format(
                    "「{}」は団体コード {} の「{}」（{}）と合いません",
                    pl.col(column),
                    pl.col("_code"),
                    pl.col(known_column),
                    pl.lit(municipality_file),
                )
            )
        )

    checks: list[Check] = [
        (
            "area_code",
            pl.coalesce(
                code_error_expr("area_code"),
                pl.when(pl.col("_code").is_not_null() & ~found).then(
                    pl.format(
                        "団体コード {} が {} にありません（先に {} に行を追加してください）",
                        pl.col("_code"),
                        pl.lit(municipality_file),
                        pl.lit(municipality_file),
                    )
                ),
            ),
        ),
        ("name", agrees("name", "_known_name")),
        ("prefecture", agrees("prefecture", "_known_prefecture")),
        (
            "year",
            _blank("year")
            .when(pl.col("_year").is_null())
            .then(pl.format("「{}」を整数（西暦の調査年）に変換できません", pl.col("year")))
            .when((pl.col("_year") < _FIRST_CENSUS) | (pl.col("_year") % 5 != 0))
            .then(
                pl.format("{} は国勢調査の年（1920年から5年ごと）ではありません", pl.col("_year"))
            ),
        ),
        (
            "population",
            _blank("population")
            .when(pl.col("_population").is_null())
            .then(
                pl.format(
                    "「{}」を整数に変換できません（人数を数字だけで書いてください）",
                    pl.col("population"),
                )
            )
            .when(pl.col("_population") < 0)
            .then(pl.format("{} は負の数です", pl.col("population"))),
        ),
        ("source_id", _blank("source_id")),
        ("year", _duplicated(["_code", "_year"], "同じ団体コード・調査年の行")),
    ]
    _raise_if_problems(df, checks, path.name)
    return df.select(
        pl.col("_code").alias("area_code"),
        "name",
        "prefecture",
        pl.col("_year").alias("year"),
        pl.col("_population").alias("population"),
        "source_id",
        "note",
    ).sort("area_code", "year")


def load_national(raw_dir: Path) -> dict[str, pl.DataFrame]:
    """Load and check the national tables.

    Parameters
    ----------
    raw_dir
        The folder with ``municipalities.csv`` and ``population_census.csv``
        (``data/raw/national``; ``data/raw`` itself is also accepted).

    Returns
    -------
    dict
        ``{"municipality": ..., "population": ...}``. Codes are strings
        (``area_code`` 5 digits, ``lg_code`` 6 digits), ``is_city`` Boolean,
        ``year`` Int32, ``population`` Int64.

    Raises
    ------
    FileNotFoundError
        When a file is missing.
    ValueError
        In Japanese, listing file, line and column of every problem (wrong check digit,
        prefecture that does not match the code, unknown code, non-numeric population…).
    """
    folder = _national_dir(raw_dir)
    municipality = _load_municipalities(folder / MUNICIPALITY_FILE)
    population = _load_population(folder / POPULATION_FILE, municipality, MUNICIPALITY_FILE)
    return {"municipality": municipality, "population": population}
