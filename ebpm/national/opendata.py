"""令和2年度「地方公共団体へのオープンデータの取組に関するアンケート」: answers per local government.

The survey file (``opendata/r2_survey_answers.csv``, one row per government, one column
per question or per option of a multiple-choice question, headed 「[No.4]オープンデータは
公開していない」) is read by the question numbers in its headers, never by position. The
questions file (``opendata/r2_survey_questions.csv``) lists the options of every
single-choice question; an answer that is not one of them is an error naming the row.

The table keeps a few answers as published (context for DX maturity, not a KPI and not a
score) and two counts that are plain tallies of ticked options:

``area_code``, ``prefecture``, ``name``, ``published_code`` and ``code_note`` (the survey
file gives 福岡県 苅田町 the code 13220 of 東京都 東大和市: such a row is coded by
prefecture + name, and the note says so), ``submission`` (提出状況), ``awareness`` (No.1),
``publish_plan`` (No.2), ``publishes_open_data`` (No.4: not 「オープンデータは公開していない」;
null when no answer), ``open_data_page`` (No.5), ``n_fields_published`` (No.6: ticked fields,
of 15 incl. その他), ``file_count`` (No.14), ``api`` (No.22), ``update_frequency`` (No.23),
``organisation`` (No.26), ``staff`` (No.27), ``continuity`` (No.34).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Final

import polars as pl

from ebpm import limits
from ebpm.codes import PREFECTURES, code_error_expr, match_codes, normalize_code_expr
from ebpm.jp import sniff_encoding
from ebpm.readers import FILE, ROW, InputError

__all__ = ["ANSWERS_FILE", "QUESTIONS_FILE", "SINGLE_CHOICE", "read_opendata"]

ANSWERS_FILE: Final = "opendata/r2_survey_answers.csv"
QUESTIONS_FILE: Final = "opendata/r2_survey_questions.csv"
SURVEY: Final = "令和2年度 地方公共団体へのオープンデータの取組に関するアンケート"
#: Output column → question number, for the single-choice answers kept as published.
SINGLE_CHOICE: Final = {
    "awareness": 1,
    "publish_plan": 2,
    "open_data_page": 5,
    "file_count": 14,
    "api": 22,
    "update_frequency": 23,
    "organisation": 26,
    "staff": 27,
    "continuity": 34,
}
_NOT_PUBLISHED: Final = "オープンデータは公開していない"
_FIELDS_NOT_PUBLISHED: Final = "オープンデータを公開していない"
_COMBINED: Final = re.compile(r"^(" + "|".join(PREFECTURES.values()) + r")\s*(.*)$")


def _question(header: str) -> int | None:
    match = re.match(r"^\[No\.(\d+)\]", header.strip())
    return int(match.group(1)) if match else None


def _read_csv(path: Path, label: str) -> tuple[pl.DataFrame | None, list[InputError]]:
    try:
        data = limits.read_bytes(path, label, limits.OFFICIAL_TABLE)
        limits.check_csv(data, label, limits.OFFICIAL_TABLE)
    except limits.LimitError as error:
        return None, [InputError(label, error.reason)]
    try:
        text = data.decode(sniff_encoding(data))
        return pl.read_csv(io.StringIO(text), infer_schema=False), []
    except (UnicodeDecodeError, pl.exceptions.PolarsError) as error:
        return None, [InputError(label, f"CSV として読めません（{error}）")]


def _options(questions: pl.DataFrame) -> dict[int, list[str]]:
    """Options of each single-choice question, from the questions file."""
    answers = [c for c in questions.columns if c.startswith("answer_")]
    options: dict[int, list[str]] = {}
    for row in questions.iter_rows(named=True):
        number = _question(row["question"] or "")
        if number is not None and row["type"] == "single":
            options[number] = [row[c] for c in answers if row[c]]
    return options


def _codes(
    frame: pl.DataFrame, master: pl.DataFrame | None, label: str
) -> tuple[pl.DataFrame, list[InputError]]:
    """``area_code``: the published code, unless it contradicts the name (then by name)."""
    published = pl.col("published_code")
    own_pref = published.str.slice(0, 2).replace_strict(PREFECTURES, default=None)
    suspect = (
        code_error_expr(published).is_not_null()
        | (own_pref != pl.col("prefecture")).fill_null(True)
        | published.is_duplicated()
    ) & (pl.col("area_level") == "市区町村")
    frame = frame.with_columns(suspect.alias("_suspect"))
    if master is not None and frame["_suspect"].any():
        frame = match_codes(
            frame, "prefecture", "name", master, code_col="_by_name", first_wins=True
        )
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("_by_name"))
    frame = frame.with_columns(
        pl.when(pl.col("_suspect"))
        .then(pl.col("_by_name"))
        .otherwise(normalize_code_expr(published))
        .alias("area_code"),
        pl.when(pl.col("_suspect") & (pl.col("_by_name") == published))
        .then(
            pl.format(
                "公表ファイルでは同じ地方公共団体コード {} がほかの団体の行にも付いているため、"
                "都道府県名＋団体名で確かめた（この行のコードは正しい）",
                published,
            )
        )
        .when(pl.col("_suspect") & pl.col("_by_name").is_not_null())
        .then(
            pl.format(
                "公表ファイルの地方公共団体コード {} は団体名（{} {}）と合わない（都道府県が違うか、"
                "ほかの団体と重複している）ため、都道府県名＋団体名で {} を付けた",
                published,
                "prefecture",
                "name",
                "_by_name",
            )
        )
        .alias("code_note"),
    )
    errors = [
        InputError(
            label,
            f"地方公共団体コード「{r['published_code']}」が団体名「{r['地方公共団体名']}」と合わず、"
            "都道府県名＋団体名でも団体コードが見つかりません",
            r[ROW],
            "地方公共団体コード",
        )
        for r in frame.filter(pl.col("_suspect") & pl.col("area_code").is_null()).iter_rows(
            named=True
        )
    ]
    return frame.drop("_suspect", "_by_name"), errors


def _check_answers(
    frame: pl.DataFrame,
    by_number: dict[int, list[str]],
    options: dict[int, list[str]],
    label: str,
    qlabel: str,
) -> list[InputError]:
    """Single-choice answers must be options of the question; ticks must be 0 or 1."""
    errors: list[InputError] = []
    for number in SINGLE_CHOICE.values():
        column = by_number[number][0]
        allowed = options.get(number, [])
        bad = frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(allowed))
        errors += [
            InputError(
                label,
                f"「{r[column]}」は設問の選択肢にありません（{qlabel} を確かめてください）",
                r[ROW],
                column,
            )
            for r in bad.iter_rows(named=True)
        ]
    ticks = [*by_number[4], *by_number[6]]
    bad_ticks = frame.filter(
        pl.any_horizontal(pl.col(c).is_not_null() & ~pl.col(c).is_in(["0", "1"]) for c in ticks)
    )
    errors += [
        InputError(label, "複数選択の設問の列は 0 か 1 のはずです", r[ROW], None)
        for r in bad_ticks.iter_rows(named=True)
    ]
    return errors


def _table(frame: pl.DataFrame, by_number: dict[int, list[str]]) -> pl.DataFrame:
    """The output columns (see the module)."""
    not_published = next(c for c in by_number[4] if c.endswith(_NOT_PUBLISHED))
    fields = [c for c in by_number[6] if not c.endswith(_FIELDS_NOT_PUBLISHED)]
    single = {name: pl.col(by_number[n][0]).alias(name) for name, n in SINGLE_CHOICE.items()}
    return frame.select(
        "area_code",
        "prefecture",
        "name",
        "area_level",
        "published_code",
        "code_note",
        pl.lit(SURVEY).alias("survey"),
        pl.lit(2020, dtype=pl.Int32).alias("survey_fiscal_year"),
        pl.col("提出状況").alias("submission"),
        single["awareness"],
        single["publish_plan"],
        pl.when(pl.col(not_published).is_null())
        .then(None)
        .otherwise(pl.col(not_published) == "0")
        .alias("publishes_open_data"),
        single["open_data_page"],
        pl.when(pl.col(fields[0]).is_null())
        .then(None)
        .otherwise(pl.sum_horizontal(pl.col(c).cast(pl.Int32, strict=False) for c in fields))
        .alias("n_fields_published"),
        *(
            expr
            for name, expr in single.items()
            if name not in ("awareness", "publish_plan", "open_data_page")
        ),
        FILE,
        ROW,
    )


def read_opendata(
    answers_path: Path,
    questions_path: Path,
    raw_dir: Path,
    master: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, list[InputError]]:
    """The open-data survey per local government (see the module for the columns).

    ``master`` (area_code, prefecture, name of every municipality, e.g. from the census)
    codes the rows whose published code contradicts their name.
    """
    label = answers_path.relative_to(raw_dir).as_posix()
    qlabel = questions_path.relative_to(raw_dir).as_posix()
    answers, errors = _read_csv(answers_path, label)
    questions, q_errors = _read_csv(questions_path, qlabel)
    errors += q_errors
    if answers is None or questions is None:
        return pl.DataFrame(), errors
    by_number: dict[int, list[str]] = {}
    for column in answers.columns:
        if (number := _question(column)) is not None:
            by_number.setdefault(number, []).append(column)
    required = {"地方公共団体コード", "地方公共団体名", "提出状況"}
    missing = sorted(required - set(answers.columns)) + [
        f"[No.{n}]" for n in (*SINGLE_CHOICE.values(), 4, 6) if n not in by_number
    ]
    if missing:
        message = f"列 {'、'.join(missing)} がありません（令和2年度のアンケート結果の表か確かめてください）"
        return pl.DataFrame(), [*errors, InputError(label, message)]
    frame = answers.with_row_index(ROW, offset=2).with_columns(
        pl.col(ROW).cast(pl.Int64), pl.lit(label).alias(FILE)
    )
    errors += _check_answers(frame, by_number, _options(questions), label, qlabel)
    place = pl.col("地方公共団体名").str.strip_chars()
    code = pl.col("地方公共団体コード").str.strip_chars()
    frame = frame.with_columns(
        code.alias("published_code"),
        place.str.extract(_COMBINED.pattern, 1).fill_null(place).alias("prefecture"),
        pl.when(place.str.contains(r"\s"))
        .then(place.str.extract(_COMBINED.pattern, 2))
        .otherwise(place)
        .alias("name"),
        pl.when(code.str.ends_with("000"))
        .then(pl.lit("都道府県"))
        .otherwise(pl.lit("市区町村"))
        .alias("area_level"),
    )
    frame, code_errors = _codes(frame, master, label)
    return _table(frame, by_number), errors + code_errors
