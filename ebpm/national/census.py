"""国勢調査 population of every municipality, 1970–2020, from the files as published.

Three sources, one tidy shape (one row per area, census year and *series*):

``census/population_1970_2010.xls``
    人口総数 1970–2010 by municipality (e-Gov data portal Excel): a two-row header, names
    written 「北海道 札幌市」, 6-digit codes with check digit. Areas as of April 2014.
``census/population_2015.csv``
    平成27年国勢調査 人口等基本集計: ``地域コード`` without its leading zero (3203), an
    unnamed name column, ``地域識別コード`` (a 全国・都道府県, 1 政令指定都市, 0 区, 2 市,
    3 町村, 9 旧市町村 …) and the 2010 population re-based to 2015 areas (組替).
    The 旧市町村 rows (「(旧 422 藤沢町)」) give the former municipalities of 2000 and the
    municipality each became part of: :func:`read_census_2015` returns them as a crosswalk.
``estat/0003433219/``
    令和2年国勢調査 **速報集計** (getStatsData, imported with ``ebpm estat import``): every
    value is labelled 速報値; the final count (確定値) differs (大船渡市 34,739 vs 34,728).
    If the final table ``0003445078`` is cached too, it is read as its own 確定値 series.

Columns: ``area_code`` (5 digits; ``00000`` 全国), ``prefecture``, ``name``, ``area_level``
(全国 / 都道府県 / 市区町村 / 政令指定都市の区 / 特別区部), ``is_city`` (the name ends in 市),
``year``, ``population`` (null where the table has a mark instead: 双葉町 2020 「-」),
``marker`` (that mark as published, with its meaning for e-Stat), ``status`` (確定値 / 速報値), ``is_preliminary``, ``boundary``
(whose borders the count uses), ``series``, ``series_label``, ``_file``, ``_row``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import polars as pl

from ebpm.codes import PREFECTURES
from ebpm.jp import normalize_text
from ebpm.manifest import is_sidecar
from ebpm.national.cells import parse_values, read_sheet
from ebpm.readers import FILE, ROW, InputError

__all__ = [
    "CENSUS_1970_2010",
    "CENSUS_2015",
    "CENSUS_2020_TABLES",
    "read_census_1970_2010",
    "read_census_2015",
    "read_census_2020",
]

CENSUS_1970_2010: Final = "census/population_1970_2010.xls"
CENSUS_2015: Final = "census/population_2015.csv"
#: statsDataId → (status, series, series label) of the 2020 census tables we read.
CENSUS_2020_TABLES: Final[dict[str, tuple[str, str, str]]] = {
    "0003445078": ("確定値", "census_2020", "令和2年国勢調査 人口等基本集計（確定値）"),
    "0003433219": (
        "速報値",
        "census_2020_preliminary",
        "令和2年国勢調査 人口速報集計（速報値。確定値とは異なる）",
    ),
}

MUNICIPALITY: Final = "市区町村"
_BOUNDARY_2014: Final = "2014年4月1日現在の市区町村の区域"
_BOUNDARY_2015: Final = "2015年10月1日現在の市区町村の区域"
_BOUNDARY_2020: Final = "2020年10月1日現在の市区町村の区域"
_SCHEMA: Final = {
    "area_code": pl.String,
    "prefecture": pl.String,
    "name": pl.String,
    "area_level": pl.String,
    "is_city": pl.Boolean,
    "year": pl.Int32,
    "population": pl.Int64,
    "marker": pl.String,
    "status": pl.String,
    "is_preliminary": pl.Boolean,
    "boundary": pl.String,
    "series": pl.String,
    "series_label": pl.String,
    FILE: pl.String,
    ROW: pl.Int64,
}
_COMBINED: Final = re.compile(r"^(" + "|".join(PREFECTURES.values()) + r")\s*(.+)$")


def _prefecture_of(code: pl.Expr) -> pl.Expr:
    return code.str.slice(0, 2).replace_strict(PREFECTURES, default=None, return_dtype=pl.String)


def _finish(
    frame: pl.DataFrame, status: str, series: str, label: str, boundary: str
) -> pl.DataFrame:
    preliminary = status == "速報値"
    return frame.with_columns(
        pl.col("name").str.ends_with("市").alias("is_city"),
        pl.lit(status).alias("status"),
        pl.lit(preliminary).alias("is_preliminary"),
        pl.lit(boundary).alias("boundary"),
        pl.lit(series).alias("series"),
        pl.lit(label).alias("series_label"),
    ).select([pl.col(c).cast(t) for c, t in _SCHEMA.items()])


def _find(columns: list[str], pattern: str) -> str | None:
    return next((c for c in columns if re.search(pattern, normalize_text(c))), None)


def read_census_1970_2010(path: Path, label: str) -> tuple[pl.DataFrame, list[InputError]]:
    """人口総数 1970–2010 of every municipality (areas as of April 2014), one row per year."""
    sheet, errors = read_sheet(path, label, header_label="市区町村名", code_column="市区町村コード")
    if sheet is None:
        return pl.DataFrame(schema=_SCHEMA), errors
    frame = sheet.frame
    years = {c: int(m.group(1)) for c in frame.columns if (m := re.search(r"(\d{4})年", c))}
    if not years:
        message = "調査年の列（「1970年」など）が見つかりません（別の表ではないか確かめてください）"
        return pl.DataFrame(schema=_SCHEMA), [InputError(label, message)]
    frame, errors = parse_values(frame, {c: f"_{y}" for c, y in years.items()}, integer=True)
    name = frame["市区町村名"].str.strip_chars()
    frame = frame.with_columns(
        name.str.extract(_COMBINED.pattern, 2).fill_null(name).alias("name"),
        _prefecture_of(pl.col("area_code")).alias("prefecture"),
        pl.lit(MUNICIPALITY).alias("area_level"),
    )
    index = ["area_code", "prefecture", "name", "area_level", FILE, ROW]
    values = [f"_{y}" for y in years.values()]
    long = frame.unpivot(values, index=index, variable_name="year", value_name="population")
    markers = frame.unpivot(
        [f"{v}_marker" for v in values], index=index, variable_name="year", value_name="marker"
    )
    long = long.with_columns(pl.col("year").str.slice(1).cast(pl.Int32), markers["marker"])
    tidy = _finish(
        long,
        "確定値",
        "census_1970_2010",
        "国勢調査 人口総数 1970〜2010年（2014年4月現在の市区町村の区域）",
        _BOUNDARY_2014,
    )
    return tidy.sort("area_code", "year"), errors


def _level_2015(kind: pl.Expr, code: pl.Expr) -> pl.Expr:
    return (
        pl.when(~kind.is_in(["a", "0", "1", "2", "3"]))
        .then(None)  # 市部・郡部 (b), 郡 (c), 人口集中地区 (d), 旧市町村 (9)
        .when(code == "00000")
        .then(pl.lit("全国"))
        .when(kind == "a")
        .then(pl.lit("都道府県"))
        .when(code == "13100")
        .then(pl.lit("特別区部"))
        .when((kind == "0") & code.str.starts_with("131"))
        .then(pl.lit(MUNICIPALITY))  # 東京都の特別区
        .when(kind == "0")
        .then(pl.lit("政令指定都市の区"))
        .when(kind.is_in(["1", "2", "3"]))
        .then(pl.lit(MUNICIPALITY))
    )


def read_census_2015(path: Path, label: str) -> tuple[pl.DataFrame, pl.DataFrame, list[InputError]]:
    """2015 counts, the 2010 counts re-based to 2015 areas, and the 旧市町村 crosswalk.

    Returns
    -------
    tuple
        ``(population, former, errors)``; ``former`` has ``former_code``, ``former_name``,
        ``prefecture``, ``successor_code``, ``successor_name``, ``population_2015``,
        ``population_2010``, ``_file``, ``_row``.
    """
    sheet, errors = read_sheet(path, label, header_label="地域識別コード")
    empty_former = pl.DataFrame(schema={"former_code": pl.String})
    if sheet is None:
        return pl.DataFrame(schema=_SCHEMA), empty_former, errors
    frame = sheet.frame
    unnamed = [c for c in frame.columns if re.fullmatch(r"列[0-9]+", c)]
    wanted = {
        "地域コード": _find(frame.columns, r"^地域コード$"),
        "人口 平成27年": _find(frame.columns, r"^人口\s*平成27年"),
        "人口 平成22年（組替）": _find(frame.columns, r"^人口\s*平成22年.*組替"),
    }
    missing = [k for k, v in wanted.items() if v is None]
    if missing or len(unnamed) != 1:
        what = "、".join(missing) if missing else "見出しが空欄の名称の列（1列だけのはず）"
        message = f"列「{what}」が見つかりません（平成27年国勢調査の人口等基本集計の表か確かめてください）"
        return pl.DataFrame(schema=_SCHEMA), empty_former, [InputError(label, message)]
    code_col, pop15, pop10 = (str(wanted[k]) for k in wanted)
    frame, errors = parse_values(frame, {pop15: "_2015", pop10: "_2010"}, integer=True)
    code = pl.col(code_col).str.strip_chars().str.zfill(5)
    frame = frame.with_columns(
        code.alias("area_code"),
        pl.col("地域識別コード").str.strip_chars().alias("_kind"),
        pl.col(unnamed[0]).str.strip_chars().alias("name"),
    ).with_columns(
        _prefecture_of(pl.col("area_code")).alias("prefecture"),
        _level_2015(pl.col("_kind"), pl.col("area_code")).alias("area_level"),
    )
    bad_code = frame.filter(~pl.col("area_code").str.contains(r"^\d{5}$"))
    errors += [
        InputError(label, f"「{r[code_col]}」は地域コード（数字）ではありません", r[ROW], code_col)
        for r in bad_code.iter_rows(named=True)
    ]
    areas = frame.filter(pl.col("area_level").is_not_null())
    index = ["area_code", "prefecture", "name", "area_level", FILE, ROW]
    final = _finish(
        areas.select(
            *index,
            pl.lit(2015).alias("year"),
            pl.col("_2015").alias("population"),
            pl.col("_2015_marker").alias("marker"),
        ),
        "確定値",
        "census_2015",
        "平成27年国勢調査 人口等基本集計（確定値）",
        _BOUNDARY_2015,
    )
    rebased = _finish(
        areas.select(
            *index,
            pl.lit(2010).alias("year"),
            pl.col("_2010").alias("population"),
            pl.col("_2010_marker").alias("marker"),
        ),
        "確定値",
        "census_2015_rebased_2010",
        "平成22年国勢調査の人口を平成27年の市区町村の区域に組み替えた値（組替）",
        "2010年の人口を2015年10月1日現在の区域に組み替え",
    )
    return pl.concat([final, rebased]), _former(frame), errors


def _former(frame: pl.DataFrame) -> pl.DataFrame:
    """The 旧市町村 rows: 「(旧 422 藤沢町)」 under 03209 → former code 03422, successor 03209."""
    names = frame.filter(pl.col("_kind").is_in(["1", "2", "3", "0"])).select(
        pl.col("area_code").alias("successor_code"), pl.col("name").alias("successor_name")
    )
    parts = pl.col("name").str.normalize("NFKC").str.extract_groups(r"^\(旧\s*(\d{3})\s*(.+?)\)$")
    return (
        frame.filter(pl.col("_kind") == "9")
        .with_columns(parts.alias("_parts"))
        .select(
            pl.concat_str(
                pl.col("area_code").str.slice(0, 2), pl.col("_parts").struct.field("1")
            ).alias("former_code"),
            pl.col("_parts").struct.field("2").alias("former_name"),
            "prefecture",
            pl.col("area_code").alias("successor_code"),
            pl.col("_2015").alias("population_2015"),
            pl.col("_2010").alias("population_2010"),
            FILE,
            ROW,
        )
        .join(names.unique("successor_code"), on="successor_code", how="left")
        .select(
            "former_code",
            "former_name",
            "prefecture",
            "successor_code",
            "successor_name",
            "population_2015",
            "population_2010",
            FILE,
            ROW,
        )
    )


def _level_2020(level: pl.Expr, code: pl.Expr) -> pl.Expr:
    return (
        pl.when(level == "1")
        .then(pl.lit("全国"))
        .when(level == "2")
        .then(pl.lit("都道府県"))
        .when(code == "13100")
        .then(pl.lit("特別区部"))
        .when(level == "5")
        .then(pl.lit("政令指定都市の区"))
        .when(level.is_in(["3", "4", "6"]))
        .then(pl.lit(MUNICIPALITY))
    )


def read_census_2020(estat_dir: Path, raw_dir: Path) -> tuple[pl.DataFrame, list[InputError]]:
    """2020 counts (総数) from the cached e-Stat responses of :data:`CENSUS_2020_TABLES`."""
    from ebpm import estat

    frames: list[pl.DataFrame] = []
    errors: list[InputError] = []
    for stats_id, (status, series, series_label) in CENSUS_2020_TABLES.items():
        folder = estat_dir / stats_id
        files = sorted(folder.glob("getStatsData_*.json")) if folder.is_dir() else []
        files = [p for p in files if not is_sidecar(p)]
        if not files:
            continue
        path = files[-1]  # file names start with the retrieval date: the newest is last
        label = path.relative_to(raw_dir).as_posix()
        try:
            values = estat.parse_file(path).frame
            areas = estat.parse_meta_info(path).filter(pl.col("dimension") == "area")
        except (estat.EStatError, ValueError) as error:
            errors.append(InputError(label, f"e-Stat の応答を読めません（{error}）"))
            continue
        total = values.filter(pl.col("cat01_label") == "総数")
        if total.height == 0:
            errors.append(
                InputError(
                    label, "男女「総数」の値がありません（別の統計表ではないか確かめてください）"
                )
            )
            continue
        levels = areas.select(pl.col("code").alias("area_code"), pl.col("level").alias("_level"))
        frame = (
            total.join(levels, on="area_code", how="left")
            .with_columns(
                pl.col("area_label").alias("name"),
                _prefecture_of(pl.col("area_code")).alias("prefecture"),
                _level_2020(pl.col("_level"), pl.col("area_code")).alias("area_level"),
                pl.col("year").cast(pl.Int32),
                pl.col("value").round(0).cast(pl.Int64).alias("population"),
                pl.when(pl.col("marker").is_not_null())
                .then(
                    pl.format(
                        "{}（{}）", "marker", pl.col("marker_meaning").fill_null("意味は未記載")
                    )
                )
                .alias("marker"),
                pl.lit(label).alias(FILE),
                pl.lit(None, dtype=pl.Int64).alias(ROW),
            )
            .filter(pl.col("area_level").is_not_null())
        )
        frames.append(_finish(frame, status, series, series_label, _BOUNDARY_2020))
    return (pl.concat(frames) if frames else pl.DataFrame(schema=_SCHEMA)), errors
