"""総務省「地方公共団体の主要財政指標一覧」: every municipality, FY2005–, read by header name.

One Excel file per fiscal year of settled accounts (決算), named by its 年度 as the ministry
names them (``H17.xls`` … ``R3.xlsx``), in ``data/raw/national/fiscal/``; the prefecture
means (市町村平均 per prefecture and 全国市町村平均) in ``fiscal/prefecture_mean/``.

The layout changes over the years, so nothing is read by position:

* columns are found by their header (財政力指数, 経常収支比率, 実質公債費比率, 将来負担比率,
  ラスパイレス指数, ラスパイレス指数 参考値※ (FY2012–13), 起債制限比率 (FY2005–07)); FY2005
  orders them differently, FY2007 has neither 将来負担比率 nor ラスパイレス指数; an unknown
  header or a header-less column with data is an error (a mis-laid or edited header);
* FY2005–FY2010 have **no code column**: municipalities are matched on 都道府県名 + 団体名
  (never the name alone) against the names of later files and of the 2015 census, and
  municipalities merged away before FY2011 against the census's 旧市町村 (former code and
  the municipality they became part of). A row that matches nothing is kept, with a null
  code and ``match_method`` 照合できず — never dropped; ``national_fiscal_file`` counts them;
* 「－」, 「-」, blanks and parenthesised values keep the cell as published in a
  ``<indicator>_marker`` column (see :mod:`ebpm.national.cells`);
* the year comes from the file name and is checked against the title (「（令和３年度）」)
  and the note 「ラスパイレス指数は平成18年4月1日現在」 (the April after the fiscal year);
  two files of one year, or two files with the same values, are refused.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

from ebpm import jp
from ebpm.codes import PREFECTURES, code_error_expr, match_codes, normalize_code_expr
from ebpm.national.cells import parse_values, read_sheet
from ebpm.readers import FILE, ROW, InputError

__all__ = [
    "FISCAL_DIR",
    "INDICATORS",
    "MEAN_DIR",
    "FiscalFile",
    "Indicator",
    "MatchSources",
    "fiscal_year_of_file",
    "read_fiscal",
    "read_fiscal_file",
    "read_fiscal_means",
]

FISCAL_DIR: Final = "fiscal"
MEAN_DIR: Final = "fiscal/prefecture_mean"
BY_CODE: Final = "団体コード"
BY_NAME: Final = "都道府県名＋団体名"
BY_FORMER: Final = "都道府県名＋旧市町村名"
UNMATCHED: Final = "照合できず"
MATCH_METHODS: Final = (BY_CODE, BY_NAME, BY_FORMER, UNMATCHED)


@dataclass(frozen=True)
class Indicator:
    """One indicator of the tables: column name, header as published, unit, plausible range."""

    id: str
    label: str
    unit: str
    low: float
    high: float


#: Every indicator the tables have had. Ranges are wide plausibility bounds (they catch a
#: column read under the wrong header, not unusual municipalities).
INDICATORS: Final = (
    Indicator("fiscal_strength_index", "財政力指数", "", 0.0, 5.0),
    Indicator("current_balance_ratio", "経常収支比率", "%", 20.0, 250.0),
    Indicator("real_debt_service_ratio", "実質公債費比率", "%", -30.0, 100.0),
    Indicator("future_burden_ratio", "将来負担比率", "%", -100.0, 2000.0),
    Indicator("laspeyres_index", "ラスパイレス指数", "", 50.0, 150.0),
    Indicator("laspeyres_index_reference", "ラスパイレス指数参考値", "", 50.0, 150.0),
    Indicator("bond_restriction_ratio", "起債制限比率", "%", -30.0, 100.0),
)
_BY_LABEL: Final = {i.label: i for i in INDICATORS}
_KEYS: Final = {"団体コード": "_code", "都道府県名": "_pref", "団体名": "_name"}
_FILE_NAME: Final = re.compile(r"^(?P<era>[HR])(?P<year>\d{1,2})\.xlsx?$", re.IGNORECASE)
_ERA_YEAR: Final = re.compile(r"(令和|平成)\s*(元|\d{1,2})\s*年度")
_LASPEYRES_DATE: Final = re.compile(
    r"ラスパイレス指数は\s*(令和|平成)\s*(元|\d{1,2})\s*年\s*4\s*月\s*1\s*日現在"
)


def _header_key(header: str) -> str:
    return re.sub(r"[\s※]", "", jp.normalize_text(header))


def fiscal_year_of_file(name: str) -> int | None:
    """The fiscal year a ministry file name stands for: ``H17.xls`` → 2005, ``R3.xlsx`` → 2021.

    >>> fiscal_year_of_file("H17.xls"), fiscal_year_of_file("R3.xlsx"), fiscal_year_of_file("x.xls")
    (2005, 2021, None)
    """
    match = _FILE_NAME.match(name)
    if not match:
        return None
    return jp.parse_fiscal_year(f"{match['era'].upper()}{match['year']}")


def _era_year(era: str, year: str) -> int:
    return jp.ERA_OFFSETS[era] + (1 if year == "元" else int(year))


@dataclass
class FiscalFile:
    """One year's table: rows (one per municipality as published) and what the file says."""

    label: str
    fiscal_year: int
    frame: pl.DataFrame
    indicators: list[str]
    title: str
    notes: list[str]
    errors: list[InputError] = field(default_factory=list)


def _columns(
    frame: pl.DataFrame, label: str, required: tuple[str, ...] = ("都道府県名", "団体名")
) -> tuple[dict[str, str], list[InputError]]:
    """Published header → internal name; errors for unknown or missing headers."""
    mapping: dict[str, str] = {}
    errors: list[InputError] = []
    for column in frame.columns:
        if column in (FILE, ROW):
            continue
        key = _header_key(column)
        if key in _KEYS:
            mapping[column] = _KEYS[key]
        elif key in _BY_LABEL:
            mapping[column] = _BY_LABEL[key].id
        elif re.fullmatch(r"列[0-9]+", column):
            errors.append(
                InputError(
                    label,
                    f"見出しのない列（{column}）に値があります（見出しの行がずれていないか確かめてください）",
                )
            )
        else:
            known = "、".join([*_KEYS, *(i.label for i in INDICATORS)])
            errors.append(
                InputError(
                    label,
                    f"見出し「{column}」は主要財政指標一覧の列ではありません"
                    f"（見出しの行がずれていないか確かめてください。読める見出し: {known}）",
                )
            )
    found = set(mapping.values())
    for header in required:
        if _KEYS[header] not in found:
            errors.append(
                InputError(label, f"列「{header}」がありません（見出しの行を確かめてください）")
            )
    if not found & {i.id for i in INDICATORS}:
        errors.append(
            InputError(label, "財政指標の列が1つもありません（別の表ではないか確かめてください）")
        )
    return mapping, errors


def _check_year(fiscal_year: int, title: str, notes: list[str], label: str) -> list[InputError]:
    """The year in the title and in the Laspeyres note must agree with the file name."""
    named = f"{fiscal_year}年度（{jp.wareki_label(fiscal_year)}）"
    errors: list[InputError] = []
    for match in _ERA_YEAR.finditer(jp.normalize_text(title)):
        stated = _era_year(match[1], match[2])
        if stated != fiscal_year:
            errors.append(
                InputError(
                    label,
                    f"ファイル名は{named}の表ですが、表題「{title}」は{stated}年度の表です"
                    "（別の年度のファイルを置いていないか確かめてください）",
                )
            )
    for note in notes:
        for match in _LASPEYRES_DATE.finditer(jp.normalize_text(note)):
            stated = _era_year(match[1], match[2]) - 1  # as of April after the fiscal year
            if stated != fiscal_year:
                errors.append(
                    InputError(
                        label,
                        f"ファイル名は{named}の表ですが、注記「{note.strip()}」は{stated}年度の表の"
                        "ものです（別の年度のファイルを置いていないか確かめてください）",
                    )
                )
    return errors


def _read_text(path: Path, label: str) -> FiscalFile:
    """One year's rows as published text, under internal column names; no value parsed yet."""
    fiscal_year = fiscal_year_of_file(path.name)
    if fiscal_year is None:
        message = "ファイル名から年度が分かりません（H17.xls、R3.xlsx のように和暦の年度をファイル名にしてください）"
        return FiscalFile(label, 0, pl.DataFrame(), [], "", [], [InputError(label, message)])
    sheet, errors = read_sheet(path, label, header_label="団体名", merged_cells=False)
    if sheet is None:
        return FiscalFile(label, fiscal_year, pl.DataFrame(), [], "", [], errors)
    title = " ".join(sheet.preamble)
    mapping, errors = _columns(sheet.frame, label)
    errors += _check_year(fiscal_year, title, sheet.notes, label)
    if errors:
        return FiscalFile(label, fiscal_year, pl.DataFrame(), [], title, sheet.notes, errors)
    frame = sheet.frame.rename(mapping)
    first_key = "_code" if "_code" in frame.columns else "_pref"
    national = pl.col(first_key).fill_null("").str.normalize("NFKC").str.contains("全国")
    frame = frame.filter(~national)  # 全国市町村平均: the means are read from their own files
    present = [i.id for i in INDICATORS if i.id in frame.columns]
    absent = [c for c in ("_code", *(i.id for i in INDICATORS)) if c not in frame.columns]
    frame = frame.with_columns(
        *(pl.lit(None, dtype=pl.String).alias(c) for c in absent),
        pl.lit(fiscal_year, dtype=pl.Int32).alias("fiscal_year"),
    ).select("fiscal_year", "_code", "_pref", "_name", *(i.id for i in INDICATORS), FILE, ROW)
    return FiscalFile(label, fiscal_year, frame, present, title, sheet.notes, errors)


def _parse(files: list[FiscalFile]) -> tuple[pl.DataFrame, list[InputError]]:
    """Values, markers and codes of the rows of several files, in one pass."""
    stacked = pl.concat([f.frame for f in files], how="vertical_relaxed")
    frame, errors = parse_values(stacked, {i.id: i.id for i in INDICATORS})
    present = pl.DataFrame(
        {FILE: [f.label for f in files], "_present": [f.indicators for f in files]},
        schema={FILE: pl.String, "_present": pl.List(pl.String)},
    )
    frame = frame.join(present, on=FILE, how="left", maintain_order="left").with_columns(
        # a column the year's table does not have is not a blank cell: no marker
        *(
            pl.when(pl.col("_present").list.contains(i.id))
            .then(pl.col(f"{i.id}_marker"))
            .alias(f"{i.id}_marker")
            for i in INDICATORS
        ),
        pl.col("_pref").str.strip_chars().alias("prefecture"),
        pl.col("_name").str.strip_chars().alias("name"),
    )
    frame, code_errors = _coded(frame)
    columns = ["fiscal_year", "area_code", "lg_code", "prefecture", "name", "match_method"]
    values = [c for i in INDICATORS for c in (i.id, f"{i.id}_marker")]
    return frame.select(*columns, *values, FILE, ROW), errors + code_errors


def read_fiscal_file(path: Path, label: str) -> FiscalFile:
    """Read one year's 全市町村の主要財政指標 (rows as published, codes where the file has them)."""
    file = _read_text(path, label)
    if file.errors or file.frame.height == 0:
        return file
    file.frame, file.errors = _parse([file])
    return file


def _coded(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[InputError]]:
    """Rows with 団体コード: check digit and prefecture verified, 5-digit ``area_code``."""
    has_code = pl.col("_code").is_not_null()
    # Each of the ~1,900 codes comes once a year: checked once, then looked up for every row.
    codes = frame.select(pl.col("_code").drop_nulls().unique()).with_columns(
        normalize_code_expr("_code").alias("area_code"),
        code_error_expr("_code").alias("_code_error"),
    )

    def looked_up(column: str) -> pl.Expr:
        return pl.col("_code").replace_strict(
            codes["_code"], codes[column], default=None, return_dtype=pl.String
        )

    frame = frame.with_columns(
        looked_up("area_code").alias("area_code"),
        looked_up("_code_error").alias("_code_error"),
        pl.when(has_code).then(pl.col("_code").str.strip_chars().str.zfill(6)).alias("lg_code"),
        pl.when(has_code).then(pl.lit(BY_CODE)).alias("match_method"),
    )
    expected = pl.col("area_code").str.slice(0, 2).replace_strict(PREFECTURES, default=None)
    wrong_pref = pl.col("area_code").is_not_null() & (pl.col("prefecture") != expected)
    errors = [
        InputError(r[FILE], f"団体コード: {r['_code_error']}", r[ROW], "団体コード")
        for r in frame.filter(pl.col("_code_error").is_not_null()).iter_rows(named=True)
    ] + [
        InputError(
            r[FILE],
            f"団体コード「{r['_code']}」は{r['_expected']}のコードですが、都道府県名は「{r['prefecture']}」です",
            r[ROW],
            "都道府県名",
        )
        for r in frame.filter(wrong_pref)
        .with_columns(expected.alias("_expected"))
        .iter_rows(named=True)
    ]
    return frame.drop("_code_error"), errors


@dataclass(frozen=True)
class MatchSources:
    """Names to match files without codes: ``current`` (area_code, prefecture, name), newest
    first, and ``former`` (the 旧市町村 crosswalk of :func:`ebpm.national.census.read_census_2015`)."""

    current: pl.DataFrame
    former: pl.DataFrame


def _match_by_name(frame: pl.DataFrame, sources: MatchSources) -> pl.DataFrame:
    """Codes for rows without them: current names first, then 旧市町村 names; never name alone."""
    coded = frame.filter(pl.col("area_code").is_not_null())
    # the newest code of each prefecture + name (浜松市 became 22130 when it became 政令市)
    current = pl.concat(
        [
            coded.sort("fiscal_year", descending=True).select("area_code", "prefecture", "name"),
            sources.current.select("area_code", "prefecture", "name"),
        ]
    ).unique(["prefecture", "name"], keep="first", maintain_order=True)
    former = (
        sources.former.select(
            pl.col("former_code").alias("area_code"),
            "prefecture",
            pl.col("former_name").alias("name"),
            "successor_code",
        )
        .join(current.select("prefecture", "name"), on=["prefecture", "name"], how="anti")
        .filter(~pl.struct("prefecture", "name").is_duplicated())  # ambiguous: leave unmatched
    )
    todo = frame.filter(pl.col("area_code").is_null()).drop("area_code")
    by_name = match_codes(todo, "prefecture", "name", current, code_col="_current", first_wins=True)
    by_former = match_codes(
        by_name, "prefecture", "name", former.drop("successor_code"), code_col="_former"
    ).join(
        former.select(pl.col("area_code").alias("_former"), "successor_code"),
        on="_former",
        how="left",
        maintain_order="left",
    )
    matched = by_former.with_columns(
        pl.coalesce("_current", "_former").alias("area_code"),
        pl.when(pl.col("_current").is_not_null())
        .then(pl.lit(BY_NAME))
        .when(pl.col("_former").is_not_null())
        .then(pl.lit(BY_FORMER))
        .otherwise(pl.lit(UNMATCHED))
        .alias("match_method"),
    ).drop("_current", "_former")
    return pl.concat(
        [coded.with_columns(pl.lit(None, dtype=pl.String).alias("successor_code")), matched],
        how="diagonal_relaxed",
    )


def _area_notes(frame: pl.DataFrame) -> pl.DataFrame:
    """Flag rows whose area differs from today's: a later-merged municipality still separate."""
    separate = (
        frame.filter(pl.col("match_method") == BY_FORMER)
        .group_by("fiscal_year", pl.col("successor_code").alias("area_code"))
        .agg(pl.col("name").sort().str.join("・").alias("_parts"))
    )
    frame = frame.join(separate, on=["fiscal_year", "area_code"], how="left", maintain_order="left")
    return frame.with_columns(
        pl.when(pl.col("match_method") == BY_FORMER)
        .then(
            pl.format(
                "のちに団体コード {} の団体に合併した旧市町村（2015年国勢調査の旧市町村で照合）",
                pl.col("successor_code"),
            )
        )
        .when(pl.col("_parts").is_not_null())
        .then(
            pl.format(
                "この年度はのちに合併した{}が別に集計されており、区域が現在と異なる",
                pl.col("_parts"),
            )
        )
        .when(pl.col("match_method") == UNMATCHED)
        .then(
            pl.lit(
                "団体コードのない年度の表で、都道府県名＋団体名が2011年度以降の表・2015年国勢調査の"
                "市区町村・旧市町村のどれとも一致しない（2000〜2010年に生まれて消えた団体など）"
            )
        )
        .alias("area_note")
    ).drop("_parts")


def _fingerprint(frame: pl.DataFrame) -> str:
    values = frame.drop(FILE, ROW, "fiscal_year").sort("_pref", "_name", nulls_last=True)
    return hashlib.sha256(values.write_csv().encode()).hexdigest()


def read_fiscal(
    folder: Path, raw_dir: Path, sources: MatchSources
) -> tuple[pl.DataFrame, pl.DataFrame, list[InputError]]:
    """Every year's file in ``folder``, stacked and coded.

    Returns
    -------
    tuple
        ``(fiscal, files, errors)``: one row per municipality and year, and one row per
        file (year, title, indicators present, how its rows were matched, its notes).
    """
    paths = sorted(p for p in folder.glob("*.xls*") if not p.name.startswith(("~$", ".")))
    files = [_read_text(p, p.relative_to(raw_dir).as_posix()) for p in paths]
    errors = [e for f in files for e in f.errors]
    by_year: dict[int, FiscalFile] = {}
    by_values: dict[str, FiscalFile] = {}
    for file in files:
        if file.errors or file.frame.height == 0:
            continue
        if (other := by_year.get(file.fiscal_year)) is not None:
            errors.append(
                InputError(
                    file.label,
                    f"{other.label} と同じ{file.fiscal_year}年度の表です（どちらか一方にしてください）",
                )
            )
            continue
        if (other := by_values.setdefault(_fingerprint(file.frame), file)) is not file:
            errors.append(
                InputError(
                    file.label,
                    f"{other.label} と値がすべて同じです（別の年度のファイルを、名前を変えて置いていないか確かめてください）",
                )
            )
            continue
        by_year[file.fiscal_year] = file
    good = [by_year[y] for y in sorted(by_year)]
    if not good:
        return pl.DataFrame(), pl.DataFrame(), errors
    stacked, value_errors = _parse(good)
    errors += value_errors
    fiscal = _area_notes(_match_by_name(stacked, sources))
    order = [
        "fiscal_year",
        "area_code",
        "lg_code",
        "prefecture",
        "name",
        "match_method",
        "successor_code",
        "area_note",
    ]
    fiscal = fiscal.select(*order, pl.exclude(*order)).sort("fiscal_year", FILE, ROW)
    return fiscal, _file_table(good, fiscal), errors


def _file_table(files: list[FiscalFile], fiscal: pl.DataFrame) -> pl.DataFrame:
    counts = fiscal.group_by(pl.col(FILE).alias("source_file")).agg(
        pl.len().alias("n_rows"),
        *(
            (pl.col("match_method") == method).sum().alias(f"n_{key}")
            for key, method in zip(
                ("by_code", "by_name", "by_former", "unmatched"), MATCH_METHODS, strict=True
            )
        ),
    )
    meta = pl.DataFrame(
        {
            "kind": ["市町村"] * len(files),
            "fiscal_year": [f.fiscal_year for f in files],
            "source_file": [f.label for f in files],
            "title": [f.title for f in files],
            "indicators": [[i for i in f.indicators] for f in files],
            "notes": ["\n".join(f.notes) or None for f in files],
        },
        schema_overrides={"fiscal_year": pl.Int32, "notes": pl.String},
    )
    return meta.join(counts, on="source_file", how="left")


def read_fiscal_means(
    folder: Path, raw_dir: Path
) -> tuple[pl.DataFrame, pl.DataFrame, list[InputError]]:
    """市町村主要財政指標の都道府県別平均: one row per prefecture (``03000``) and 全国 (``00000``)."""
    frames: list[pl.DataFrame] = []
    metas: list[dict[str, object]] = []
    errors: list[InputError] = []
    seen: dict[int, str] = {}
    for path in sorted(p for p in folder.glob("*.xls*") if not p.name.startswith(("~$", "."))):
        label = path.relative_to(raw_dir).as_posix()
        frame, meta, file_errors = _read_mean_file(path, label)
        errors += file_errors
        if frame is None:
            continue
        year = int(meta["fiscal_year"])  # type: ignore[call-overload]
        if year in seen:
            errors.append(
                InputError(
                    label, f"{seen[year]} と同じ{year}年度の表です（どちらか一方にしてください）"
                )
            )
            continue
        seen[year] = label
        frames.append(frame)
        metas.append(meta)
    if not frames:
        return pl.DataFrame(), pl.DataFrame(), errors
    files = pl.DataFrame(metas, schema_overrides={"fiscal_year": pl.Int32, "notes": pl.String})
    return pl.concat(frames, how="vertical_relaxed").sort("fiscal_year", "area_code"), files, errors


_PREF_CODES: Final = {name: code for code, name in PREFECTURES.items()}


def _read_mean_file(
    path: Path, label: str
) -> tuple[pl.DataFrame | None, dict[str, object], list[InputError]]:
    fiscal_year = fiscal_year_of_file(path.name)
    if fiscal_year is None:
        message = "ファイル名から年度が分かりません（H17.xls、R3.xlsx のように和暦の年度をファイル名にしてください）"
        return None, {}, [InputError(label, message)]
    sheet, errors = read_sheet(
        path, label, header_label="都道府県名", header_rows=1, merged_cells=False
    )
    if sheet is None:
        return None, {}, errors
    frame = sheet.frame
    label_column = next((c for c in frame.columns if re.fullmatch(r"列[0-9]+", c)), None)
    if label_column is not None:
        frame = frame.drop(label_column)  # 「（市町村平均）」 beside each prefecture
    title = " ".join(sheet.preamble)
    mapping, errors = _columns(frame, label, required=("都道府県名",))
    errors += _check_year(fiscal_year, title, sheet.notes, label)
    if errors:
        return None, {}, errors
    frame = frame.rename(mapping)
    present = [i.id for i in INDICATORS if i.id in frame.columns]
    frame, errors = parse_values(frame, {i: i for i in present})
    place = pl.col("_pref").str.normalize("NFKC").str.strip_chars()
    code = (
        pl.when(place.str.contains("全国"))
        .then(pl.lit("00000"))
        .otherwise(place.replace_strict(_PREF_CODES, default=None, return_dtype=pl.String) + "000")
    )
    frame = frame.with_columns(
        pl.lit(fiscal_year, dtype=pl.Int32).alias("fiscal_year"),
        code.alias("area_code"),
        pl.when(place.str.contains("全国"))
        .then(pl.lit("全国"))
        .otherwise(pl.lit("都道府県"))
        .alias("scope"),
        pl.when(place.str.contains("全国"))
        .then(pl.lit("全国市町村平均"))
        .otherwise(pl.format("{}（市町村平均）", place))
        .alias("name"),
    )
    errors += [
        InputError(label, f"「{r['_pref']}」は都道府県名ではありません", r[ROW], "都道府県名")
        for r in frame.filter(pl.col("area_code").is_null()).iter_rows(named=True)
    ]
    for indicator in INDICATORS:
        if indicator.id not in present:
            frame = frame.with_columns(
                pl.lit(None, dtype=pl.Float64).alias(indicator.id),
                pl.lit(None, dtype=pl.String).alias(f"{indicator.id}_marker"),
            )
    values = [c for i in INDICATORS for c in (i.id, f"{i.id}_marker")]
    frame = frame.select("fiscal_year", "area_code", "name", "scope", *values, FILE, ROW)
    meta = {
        "kind": "都道府県別平均",
        "fiscal_year": fiscal_year,
        "source_file": label,
        "title": title,
        "indicators": present,
        "notes": "\n".join(sheet.notes) or None,
        "n_rows": frame.height,
    }
    return frame, meta, errors
