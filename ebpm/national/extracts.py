"""The two small extracts of ``data/raw/national/`` that we keyed from official files.

``municipalities.csv``
    area_code (5 digits), lg_code (6 digits with check digit), prefecture, name,
    name_kana, is_city — the 33 municipalities of 岩手県 and five comparison cities.
``population_census.csv``
    area_code, name, prefecture, year (census year), population, source_id, note —
    国勢調査 人口総数 as printed in the official tables. A prefecture total
    (area_code ``03000``) may appear; every other code must be in ``municipalities.csv``.

They are read like every table people edit (:func:`ebpm.readers.read_table`: encoding
sniffed, each cell converted, a problem named by file, row and column) and then checked
by the Great Expectations suites of :func:`ebpm.validation.national_suites`. Codes stay
strings; a code whose leading zero Excel dropped (``3203``) is repaired.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from ebpm import jp, validation
from ebpm.codes import PREFECTURES, normalize_code_expr
from ebpm.readers import FILE, ROW, BuildError, Column, InputError, read_table

__all__ = ["MUNICIPALITY_FILE", "POPULATION_FILE", "load_national", "read_extracts"]

MUNICIPALITY_FILE: Final = "municipalities.csv"
POPULATION_FILE: Final = "population_census.csv"


def _text(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("空欄です（値を入力してください）")
    return text


def _optional(value: str) -> str | None:
    return value.strip() or None


_TRUE: Final = {"true", "1", "yes", "はい", "○"}
_FALSE: Final = {"false", "0", "no", "いいえ", "×"}


def _whole(value: str, fix: str) -> int:
    try:
        number = jp.parse_number(value)
    except ValueError:
        number = float("nan")
    if number is None:
        raise ValueError("空欄です（整数を入力してください）")
    if not number.is_integer():  # NaN is not an integer either
        raise ValueError(f"「{value}」を整数に変換できません（{fix}）")
    return int(number)


def _census_year(value: str) -> int:
    return _whole(value, "西暦の調査年を数字で書いてください")


def _population(value: str) -> int:
    return _whole(value, "人数を数字だけで書いてください")


def _is_city(value: str) -> bool:
    text = jp.normalize_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"「{value}」は true か false で書いてください（市なら true）")


MUNICIPALITY_COLUMNS: Final = (
    Column("area_code", ("area_code",), _text, pl.String()),
    Column("lg_code", ("lg_code",), _text, pl.String()),
    Column("prefecture", ("prefecture",), _text, pl.String()),
    Column("name", ("name",), _text, pl.String()),
    Column("name_kana", ("name_kana",), _optional, pl.String(), False),
    Column("is_city", ("is_city",), _is_city, pl.Boolean()),
)
POPULATION_COLUMNS: Final = (
    Column("area_code", ("area_code",), _text, pl.String()),
    Column("name", ("name",), _text, pl.String()),
    Column("prefecture", ("prefecture",), _text, pl.String()),
    Column("year", ("year",), _census_year, pl.Int32()),
    Column("population", ("population",), _population, pl.Int64()),
    Column("source_id", ("source_id",), _text, pl.String()),
    Column("note", ("note",), _optional, pl.String(), False),
)


def _national_dir(raw_dir: Path) -> Path:
    raw_dir = Path(raw_dir)
    if not (raw_dir / MUNICIPALITY_FILE).exists() and (raw_dir / "national").is_dir():
        return raw_dir / "national"  # data/raw given instead of data/raw/national
    return raw_dir


def _read(
    folder: Path, file: str, columns: tuple[Column, ...]
) -> tuple[pl.DataFrame, list[InputError]]:
    label = f"national/{file}"
    if not (folder / file).exists():
        message = "ファイルがありません（リポジトリの data/raw/national/ から復元してください）"
        return pl.DataFrame(), [InputError(label, message)]
    frame, errors = read_table(folder / file, columns, label)
    if frame.height:
        frame = frame.with_columns(normalize_code_expr("area_code").alias("_code5"))
    return frame, errors


def read_extracts(raw_dir: Path) -> tuple[dict[str, pl.DataFrame], list[InputError]]:
    """Read and check both extracts; every problem is an InputError (file, row, column).

    Returns ``({"municipality": …, "population": …}, errors)``; the frames keep ``_file``
    and ``_row`` (the build turns them into ``source_file`` / ``source_row``).
    """
    folder = _national_dir(raw_dir)
    municipality, errors = _read(folder, MUNICIPALITY_FILE, MUNICIPALITY_COLUMNS)
    population, population_errors = _read(folder, POPULATION_FILE, POPULATION_COLUMNS)
    errors += population_errors
    if errors:
        return {}, errors
    known = pl.concat(
        [
            municipality.select(
                "_code5",
                pl.col("name").alias("_known_name"),
                pl.col("prefecture").alias("_known_prefecture"),
            ),
            pl.DataFrame(
                {
                    "_code5": [f"{code}000" for code in PREFECTURES],
                    "_known_name": list(PREFECTURES.values()),
                    "_known_prefecture": list(PREFECTURES.values()),
                }
            ),
        ]
    ).unique("_code5", keep="first")
    population = population.join(known, on="_code5", how="left", maintain_order="left")
    codes = [c for c in known["_code5"].to_list() if c is not None]
    suites = validation.national_suites(codes)
    errors += validation.validate(municipality, suites["national_municipality"])
    if not errors:  # population rows are checked against a sound municipality list
        errors += validation.validate(population, suites["national_population"])
    if errors:
        return {}, errors
    municipality = municipality.select(
        pl.col("_code5").alias("area_code"),
        pl.col("lg_code").str.zfill(6),
        "prefecture",
        "name",
        "name_kana",
        "is_city",
        FILE,
        ROW,
    )
    population = population.select(
        pl.col("_code5").alias("area_code"),
        "name",
        "prefecture",
        "year",
        "population",
        "source_id",
        "note",
        FILE,
        ROW,
    ).sort("area_code", "year")
    return {"municipality": municipality, "population": population}, []


def load_national(raw_dir: Path) -> dict[str, pl.DataFrame]:
    """Load and check the two extracts.

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
        ``year`` Int32, ``population`` Int64; ``_file`` and ``_row`` point at the source.

    Raises
    ------
    BuildError
        Listing every problem as 「national/municipalities.csv 6行目 lg_code列: …」
        (row 1 is the header row, as in Excel).
    """
    tables, errors = read_extracts(raw_dir)
    if errors:
        raise BuildError(errors)
    return tables
