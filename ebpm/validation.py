"""Great Expectations suites for every warehouse table, with Japanese findings.

GX 1.x has no polars or DuckDB engine that works today (stack-notes §1), so each table
is validated as a pandas frame in an ephemeral context (one per process, made once;
validations run one at a time even when called from several threads). Every expectation
is paired with a Japanese explanation and fix; failures become
:class:`~ebpm.readers.InputError` pointing at file, row and column.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from ebpm.kpi.model import KPI_ID_PATTERN
from ebpm.readers import FILE, ROW, InputError

__all__ = [
    "STRATEGY_ID_PATTERN",
    "TACTIC_ID_PATTERN",
    "WINDOWS_DEVICE_PATTERN",
    "Check",
    "Suite",
    "actuals_suite",
    "current_definition_suite",
    "definition_suite",
    "estat_suite",
    "national_suites",
    "plausibility_suite",
    "prepare",
    "sample_suites",
    "tree_suites",
    "validate",
]

#: Strategy and tactic ids (1-1, 1-1-2): a field, strategy and tactic number of one or two digits.
STRATEGY_ID_PATTERN = r"^[1-9][0-9]?-[1-9][0-9]?$"
TACTIC_ID_PATTERN = r"^[1-9][0-9]?-[1-9][0-9]?-[1-9][0-9]?$"
#: Names Windows reserves for devices: ``CON.svg`` would write to the console, not a file.
WINDOWS_DEVICE_PATTERN = r"(?i)^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])$"
PERCENT_UNITS = frozenset({"%", "％"})
COUNT_UNITS = frozenset({"件", "人", "回", "枚"})
#: An actual above this many times the larger of its KPI's base and target magnitudes (or
#: of 1, when both are smaller) is taken as an entry error (see :func:`plausibility_suite`).
PLAUSIBLE_FACTOR: Final = 100


@dataclass(frozen=True)
class Check:
    """One expectation and what to tell a person when it fails.

    ``make`` builds the GX expectation lazily (GX is slow to import);
    ``message`` receives the offending value.
    """

    make: Callable[[Any], Any]
    column: str | None
    message: Callable[[object], str]


@dataclass(frozen=True)
class Suite:
    """The checks of one table; ``derive`` adds helper columns first."""

    name: str
    checks: Sequence[Check]
    derive: Sequence[pl.Expr] = field(default_factory=tuple)


class _Engine:
    """The ephemeral GX context and the one pandas batch definition every suite runs on.

    Made once per process; :func:`prepare` may start that in a thread while the caller
    reads its files, and :func:`validate` waits for it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batch_definition: Any = None
        self.running = threading.Lock()

    def batch_definition(self) -> Any:
        with self._lock:
            if self._batch_definition is None:
                self._batch_definition = self._make()
            return self._batch_definition

    @staticmethod
    def _make() -> Any:
        from ebpm._imports import import_great_expectations

        gx = import_great_expectations()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        # Progress bars write timings to stderr, which breaks nbval and clutters the CLI.
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        # One asset for every table: each asset added re-serialises the whole context
        # config, and the batch (the frame) is passed to each validation anyway.
        asset = context.data_sources.add_pandas("ebpm").add_dataframe_asset("tables")
        return asset.add_batch_definition_whole_dataframe("whole")


_ENGINE = _Engine()


def prepare() -> threading.Thread:
    """Start importing Great Expectations and making its context in a thread.

    A caller with files to read first calls this, reads, then validates; the import
    overlaps whatever part of the reading runs outside the GIL (polars, calamine,
    hashing). Errors surface in :func:`validate`, which makes the context itself if the
    thread did not.
    """

    def run() -> None:
        with contextlib.suppress(Exception):  # validate() retries and raises
            _ENGINE.batch_definition()

    thread = threading.Thread(target=run, name="ebpm-gx-import", daemon=True)
    thread.start()
    return thread


def validate(frame: pl.DataFrame, suite: Suite, label: str | None = None) -> list[InputError]:
    """Run ``suite`` on ``frame``; return one error per failing cell (or table)."""
    batch_definition = _ENGINE.batch_definition()
    import great_expectations as gx
    import great_expectations.expectations as gxe

    data = frame.with_columns(*suite.derive) if suite.derive else frame
    if FILE not in data.columns:
        data = data.with_columns(pl.lit(label or suite.name).alias(FILE))
    if ROW not in data.columns:
        data = data.with_columns(pl.lit(None, dtype=pl.Int64).alias(ROW))

    def make(index: int) -> Any:
        expectation = suite.checks[index].make(gxe)
        expectation.meta = {"check": index}  # GX does not keep the suite's order in results
        return expectation

    planned = [make(index) for index in range(len(suite.checks))]
    columns = _checked_columns(planned, gxe, data.columns)
    checked = data.select(columns) if columns else data
    pandas_frame = checked.to_pandas(use_pyarrow_extension_array=True)
    for expectation in planned:
        if isinstance(expectation, gxe.ExpectColumnValuesToBeBetween):
            numbers = _plain_numbers(data, expectation.column)
            if numbers is not None:
                pandas_frame[expectation.column] = numbers

    def run(expectations: list[Any], result_format: str) -> list[Any]:
        gx_suite = gx.ExpectationSuite(name=f"{suite.name}_suite", expectations=expectations)
        batch = batch_definition.get_batch(batch_parameters={"dataframe": pandas_frame})
        with contextlib.redirect_stderr(io.StringIO()):
            result = batch.validate(gx_suite, result_format={"result_format": result_format})
        return list(result.results)

    # One validation at a time: GX's context is shared, and stderr is redirected process-wide.
    with _ENGINE.running:
        # Every check runs on every load; only the ones that fail run again for the failing
        # rows (COMPLETE costs about half a build more when it is asked of every check).
        outcomes = run(planned, "BOOLEAN_ONLY")
        failed = [o.expectation_config.meta["check"] for o in outcomes if not o.success]
        # fresh expectations: GX binds each one to the suite it was given to
        outcomes = run([make(i) for i in failed], "COMPLETE") if failed else []
    files = data[FILE].to_list()
    rows = data[ROW].to_list()
    errors: list[InputError] = []
    for outcome in outcomes:
        check = suite.checks[outcome.expectation_config.meta["check"]]
        if outcome.success:  # failed a moment ago: never let it pass unreported
            errors.append(InputError(label or suite.name, check.message(None), None, check.column))
            continue
        if outcome.exception_info.get("raised_exception"):
            message = outcome.exception_info.get("exception_message")
            errors.append(InputError(label or suite.name, f"検証を実行できません（{message}）"))
            continue
        found = outcome.result
        indices = found.get("unexpected_index_list")
        if indices:
            seen: set[int] = set()
            for index in indices:
                if index in seen:
                    continue
                seen.add(index)
                value = data[check.column][index] if check.column else None
                errors.append(
                    InputError(files[index], check.message(value), rows[index], check.column)
                )
        else:
            observed = found.get("observed_value")
            errors.append(
                InputError(label or suite.name, check.message(observed), None, check.column)
            )
    errors.sort(key=lambda e: (e.file, e.row or 0, e.column or ""))
    return errors


#: Expectations that look only at the columns they name (``column``, ``column_list``,
#: ``column_A``/``column_B``); a suite made of these alone is given just those columns.
_COLUMN_SCOPED: Final = (
    "ExpectColumnDistinctValuesToEqualSet",
    "ExpectColumnPairValuesAToBeGreaterThanB",
    "ExpectColumnValueLengthsToBeBetween",
    "ExpectColumnValuesToBeBetween",
    "ExpectColumnValuesToBeInSet",
    "ExpectColumnValuesToBeUnique",
    "ExpectColumnValuesToMatchRegex",
    "ExpectColumnValuesToNotBeInSet",
    "ExpectColumnValuesToNotBeNull",
    "ExpectColumnValuesToNotMatchRegex",
    "ExpectCompoundColumnsToBeUnique",
)


def _checked_columns(
    expectations: Sequence[Any], gxe: Any, available: Sequence[str]
) -> list[str] | None:
    """The columns the expectations name, when they look at nothing else (else None: all).

    GX filters and hashes the whole frame for each expectation; given only these columns,
    it finds the same rows (and reports the same row numbers) in less time.
    """
    scoped = tuple(getattr(gxe, name) for name in _COLUMN_SCOPED)
    if not expectations or not all(type(e) in scoped for e in expectations):
        return None
    named: dict[str, None] = {}
    for expectation in expectations:
        for attr in ("column", "column_A", "column_B"):
            if isinstance(value := getattr(expectation, attr, None), str):
                named[value] = None
        named.update(dict.fromkeys(getattr(expectation, "column_list", None) or ()))
    if not set(named) <= set(available):
        return None  # GX reports the missing column, as before
    return list(named)


#: Integers up to this size are exact as doubles (and compare with a bound as Python does).
_EXACT_INTEGERS: Final = 2**53


def _plain_numbers(data: pl.DataFrame, column: str) -> Any:
    """``column`` as a NumPy array of doubles, or None when that could change a result.

    GX compares an Arrow-backed column with a range one value at a time in Python, a NumPy
    one in a single vectorised step. A null becomes NaN, which GX skips as it skips nulls;
    so a column with a NaN of its own (a value that must fail) stays as it is, and integers
    only while every one is exact as a double.
    """
    series = data[column]
    if series.dtype.is_float():
        if series.is_nan().any():
            return None
    elif series.dtype.is_integer():
        low, high = series.min(), series.max()
        if low is not None and max(-int(low), int(high)) >= _EXACT_INTEGERS:  # type: ignore[arg-type]
            return None
    else:
        return None
    return series.cast(pl.Float64).to_numpy()


# --- check builders --------------------------------------------------------------------


def _unique(column: str, what: str) -> Check:
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToBeUnique(column=column),
        column,
        lambda v: f"{what}「{v}」が重複しています（1つだけにしてください）",
    )


def _in_set(column: str, allowed: Sequence[object], what: str, fix: str) -> Check:
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(allowed)),
        column,
        lambda v: f"「{v}」は{what}（{fix}）",
    )


def _between(column: str, low: float | None, high: float | None, message: str) -> Check:
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high),
        column,
        lambda v: f"「{v}」: {message}",
    )


def _not_null(column: str, what: str) -> Check:
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToNotBeNull(column=column),
        column,
        lambda v: f"{what}が空欄です",
    )


def _regex(column: str, pattern: str, message: str) -> Check:
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToMatchRegex(column=column, regex=pattern),
        column,
        lambda v: f"「{v}」: {message}",
    )


#: The derived column :func:`_census_year` checks (a suite's ``derive`` includes it).
_YEAR_MOD5: Final = (pl.col("year") % 5).alias("_year_mod5")


def _census_year(years: str) -> Check:
    """The year is a census year (``_YEAR_MOD5`` is 0); ``years`` says which, in the message."""
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToBeBetween(
            column="_year_mod5", min_value=0, max_value=0
        ),
        "year",
        lambda v: f"{v} は国勢調査の年（{years}）ではありません",
    )


def _all_sample(column: str = "is_sample") -> Check:
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[True]),
        column,
        lambda v: "研修用サンプルデータには is_sample = true が必要です",
    )


def _true(column: str, reported: str, message: Callable[[object], str]) -> Check:
    """A derived Boolean ``column`` must be true; the error points at ``reported``."""
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[True]),
        reported,
        message,
    )


def _percent(column: str) -> pl.Expr:
    return (
        pl.when(pl.col("unit").is_in(list(PERCENT_UNITS)))
        .then(pl.col(column))
        .alias(f"{column}_percent")
    )


# --- suites ----------------------------------------------------------------------------


def _known_strategy(strategy_ids: Sequence[str]) -> Check:
    return _in_set(
        "strategy_id",
        strategy_ids,
        "strategies.csv にない戦略番号です",
        "strategies.csv の strategy_id を使ってください",
    )


def tree_suites(field_ids: Sequence[int], strategy_ids: Sequence[str]) -> dict[str, Suite]:
    """Suites of the strategy tree (fields, strategies, tactics).

    Ids follow :data:`STRATEGY_ID_PATTERN` and :data:`TACTIC_ID_PATTERN`, and each id starts
    with its parent's (strategy 1-2 belongs to field 1, tactic 1-2-3 to strategy 1-2).
    """
    return {
        "field": _field_suite(),
        "strategy": _strategy_suite(field_ids),
        "tactic": _tactic_suite(strategy_ids),
    }


def _field_suite() -> Suite:
    return Suite(
        "field",
        [
            _unique("field_id", "分野番号"),
            _between("field_id", 1, 99, "分野番号は 1〜99 の整数で入力してください"),
        ],
    )


def _strategy_suite(field_ids: Sequence[int]) -> Suite:
    # 1-2 belongs to field 1: the number before the hyphen is the field.
    parent_ok = (
        pl.col("strategy_id").str.extract(r"^(\d+)-").cast(pl.Int32, strict=False)
        == pl.col("field_id")
    ).fill_null(False)
    return Suite(
        "strategy",
        [
            _unique("strategy_id", "戦略番号"),
            _regex(
                "strategy_id",
                STRATEGY_ID_PATTERN,
                "戦略番号は「分野番号-戦略番号」の形（例：1-2）で入力してください",
            ),
            _in_set(
                "field_id",
                field_ids,
                "fields.csv にない分野番号です",
                "fields.csv の field_id を使ってください",
            ),
            _true(
                "_parent_ok",
                "strategy_id",
                lambda v: "戦略番号の先頭が field_id と合いません（例：分野1の戦略は 1-1, 1-2 …）",
            ),
        ],
        derive=(parent_ok.alias("_parent_ok"),),
    )


def _tactic_suite(strategy_ids: Sequence[str]) -> Suite:
    # 1-2-3 belongs to strategy 1-2.
    parent_ok = pl.col("tactic_id").str.starts_with(pl.col("strategy_id") + "-").fill_null(False)
    return Suite(
        "tactic",
        [
            _unique("tactic_id", "戦術番号"),
            _regex(
                "tactic_id",
                TACTIC_ID_PATTERN,
                "戦術番号は「分野-戦略-戦術」の形（例：1-2-1）で入力してください",
            ),
            _known_strategy(strategy_ids),
            _true(
                "_parent_ok",
                "tactic_id",
                lambda v: (
                    "戦術番号の先頭が strategy_id と合いません（例：戦略1-2の戦術は 1-2-1, 1-2-2 …）"
                ),
            ),
        ],
        derive=(parent_ok.alias("_parent_ok"),),
    )


#: Who a definition revision is: one row per id and revision, an id that can become a
#: chart's file name and an anchor in the report.
_DEFINITION_ID_CHECKS: tuple[Check, ...] = (
    Check(
        lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(column_list=["kpi_id", "revision"]),
        "kpi_id",
        lambda v: (
            f"指標「{v}」に同じ改訂番号（revision）の定義が複数あります（改訂したときは revision を増やしてください）"
        ),
    ),
    _regex(
        "kpi_id",
        KPI_ID_PATTERN,
        "指標IDは英数字で始まり、英数字・ハイフン・下線だけの32文字以内にしてください（例：K01）",
    ),
    Check(
        lambda gxe: gxe.ExpectColumnValuesToNotMatchRegex(
            column="kpi_id", regex=WINDOWS_DEVICE_PATTERN
        ),
        "kpi_id",
        lambda v: (
            f"「{v}」は Windows で装置の名前（CON・NUL・COM1 など）なので、グラフの"
            "ファイル名に使えません。別の指標IDにしてください"
        ),
    ),
)

#: Coded columns of a definition: (column, accepted codes, what a wrong value is not, fix).
_DEFINITION_CODES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    (
        "aggregation_label",
        ("単", "累"),
        "単年度/累計の区分ではありません",
        "「単」か「累」を入力してください",
    ),
    (
        "direction",
        ("increase", "decrease", "maintain"),
        "目標の方向ではありません",
        "increase・decrease・maintain のいずれかを入力してください",
    ),
    (
        "target_basis",
        ("final_year", "period_average"),
        "目標の判定方法ではありません",
        "final_year か period_average を入力してください",
    ),
)

_PERCENT_MESSAGE = "割合（%）の値は 0〜100 の範囲で入力してください"


def _percent_between(column: str) -> Check:
    """A share's ``column`` lies in 0–100, read from the derived ``<column>_percent``."""
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToBeBetween(
            column=f"{column}_percent", min_value=0, max_value=100
        ),
        column,
        lambda v: f"「{v}」: {_PERCENT_MESSAGE}",
    )


#: Base and target of a revision: years in order, a target that moves the KPI's way,
#: shares within 0–100.
_DEFINITION_TARGET_CHECKS: tuple[Check, ...] = (
    Check(
        lambda gxe: gxe.ExpectColumnValuesToBeBetween(
            column="base_fy", min_value=2000, max_value=2100
        ),
        "base_fy",
        lambda v: f"基準年度「{v}」が範囲外です（2000〜2100 の西暦年度で入力してください）",
    ),
    Check(
        lambda gxe: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="target_fy", column_B="base_fy"
        ),
        "target_fy",
        lambda v: f"目標年度「{v}」が基準年度より後になっていません",
    ),
    _true(
        "_target_moves",
        "target_value",
        lambda v: (
            "目標値が基準値と同じです。増やす・減らす指標では進捗率を計算できません"
            "（水準を保つ指標なら direction を maintain に、そうでなければ目標値を確かめてください）"
        ),
    ),
    _true(
        "_target_direction",
        "target_value",
        lambda v: (
            "目標値が direction と逆の向きです（decrease なら基準値より小さく、increase なら"
            "基準値より大きくしてください。方向か目標値のどちらかが誤っています）"
        ),
    ),
    _percent_between("base_value"),
    _percent_between("target_value"),
)

#: Helper columns the definition checks read (a missing value is left to other checks).
_DEFINITION_DERIVED: tuple[pl.Expr, ...] = (
    _percent("base_value"),
    _percent("target_value"),
    # Progress (A − B)/(T − B) needs T ≠ B unless the KPI keeps a level.
    (
        ~pl.col("direction").is_in(["increase", "decrease"])
        | (pl.col("target_value") != pl.col("base_value"))
    )
    .fill_null(True)
    .alias("_target_moves"),
    (
        pl.when(pl.col("direction") == "decrease")
        .then(pl.col("target_value") <= pl.col("base_value"))
        .when(pl.col("direction") == "increase")
        .then(pl.col("target_value") >= pl.col("base_value"))
        .otherwise(True)
    )
    .fill_null(True)
    .alias("_target_direction"),
)


def definition_suite(strategy_ids: Sequence[str]) -> Suite:
    """Checks of ``kpi_definitions.csv`` (every revision)."""
    codes = [
        _in_set(column, allowed, what, fix) for column, allowed, what, fix in _DEFINITION_CODES
    ]
    return Suite(
        "kpi_definition",
        [*_DEFINITION_ID_CHECKS, _known_strategy(strategy_ids), *codes, *_DEFINITION_TARGET_CHECKS],
        derive=_DEFINITION_DERIVED,
    )


def current_definition_suite(kpi_ids: Sequence[str]) -> Suite:
    """Every KPI must have exactly one definition in force."""
    return Suite(
        "kpi_current",
        [
            _unique("kpi_id", "現行定義が複数ある指標"),
            Check(
                lambda gxe: gxe.ExpectColumnDistinctValuesToEqualSet(
                    column="kpi_id", value_set=list(kpi_ids)
                ),
                "kpi_id",
                lambda v: (
                    "現行の定義（valid_from が今日以前）がない指標があります（kpi_definitions.csv の valid_from を確かめてください）"
                ),
            ),
        ],
    )


def actuals_suite(kpi_ids: Sequence[str], first_fy: int, last_fy: int) -> Suite:
    """Checks of the yearly actuals entered by departments."""
    known = (
        f"指標ID（{min(kpi_ids)}〜{max(kpi_ids)}）か公表どおりの指標名を入力してください"
        if kpi_ids
        else "先に kpi/kpi_definitions.csv に指標を登録してください"
    )
    return Suite(
        "kpi_actual",
        [
            _in_set("kpi_id", kpi_ids, "登録されていない指標です", known),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeBetween(
                    column="fiscal_year", min_value=first_fy, max_value=last_fy
                ),
                "fiscal_year",
                lambda v: (
                    f"{v}年度は計画の期間外です（{first_fy}〜{last_fy}年度の実績を入力してください）"
                ),
            ),
            Check(
                lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=["kpi_id", "fiscal_year"]
                ),
                "kpi_id",
                lambda v: (
                    f"指標「{v}」の同じ年度の実績が複数あります（1指標・1年度につき1行にしてください）"
                ),
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeBetween(
                    column="value_percent", min_value=0, max_value=100
                ),
                "value",
                lambda v: (
                    f"割合「{v}」が 0〜100 の範囲外です（% の指標は 0〜100 の数値で入力してください）"
                ),
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeBetween(
                    column="value_count_fraction", min_value=0, max_value=0
                ),
                "value",
                lambda v: "件数・人数・回数・枚数は 0 以上の整数で入力してください",
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0),
                "value",
                lambda v: f"実績値「{v}」が負の値です（この指標の実績は 0 以上です）",
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeBetween(column="sample_size", min_value=1),
                "sample_size",
                lambda v: f"標本数「{v}」は 1 以上の整数で入力してください",
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToNotBeNull(column="is_sample"),
                "is_sample",
                lambda v: "サンプルかどうか（is_sample）を TRUE か FALSE で入力してください",
            ),
        ],
        derive=(
            _percent("value"),
            pl.when(pl.col("unit").is_in(list(COUNT_UNITS)))
            .then(pl.when(pl.col("value") >= 0).then(pl.col("value") % 1).otherwise(1.0))
            .alias("value_count_fraction"),
        ),
    )


def _shown(value: object, unit: object) -> str:
    from ebpm.jp import format_number

    if not isinstance(value, int | float):
        return "空欄"
    # Beyond 10^18 the digits say nothing more and fill the line.
    text = format_number(value) if abs(value) < 1e18 else f"{value:.3g}"
    return f"{text}{unit or ''}"


def _implausible(row: object) -> str:
    """The message of :func:`plausibility_suite` for one row (the ``value`` struct)."""
    assert isinstance(row, dict)
    unit = row["unit"]
    base, target = row["base_value"], row["target_value"]
    scale = max(abs(base), abs(target), 1.0)
    return (
        f"実績値 {_shown(row['value'], unit)} は、指標 {row['kpi_id']} の基準値 "
        f"{_shown(base, unit)}・目標値 {_shown(target, unit)} の大きいほう（{_shown(scale, unit)}）の"
        f"{PLAUSIBLE_FACTOR}倍（{_shown(scale * PLAUSIBLE_FACTOR, unit)}）を超えています。"
        "桁の誤りではありませんか。余分な 0 がないか、単位（千・万など）を取り違えていないか、"
        "ほかの指標の値を入力していないかを確かめて直してください（本当にこの値なら、指標の"
        "基準値・目標値の見直しとして kpi_definitions.csv に改訂の行を追加してください）"
    )


def plausibility_suite() -> Suite:
    """An actual far beyond its KPI's scale: a gross entry error (extra zeros, 千枚 typed
    as 枚, 1e15), which would stretch every chart's axis.

    The rule: ``value ≤ 100 × max(|base|, |target|, 1)``, with the base and target of the
    KPI's current definition. A KPI that grows tenfold stays far inside; two orders of
    magnitude beyond both anchors is not a plausible year of change. The 1 keeps KPIs whose
    base and target are both 0 (maintain zero) checkable: up to 100 of the unit. Negative
    and share values are left to :func:`actuals_suite`.

    The frame needs ``kpi_id``, ``value``, ``unit``, ``base_value`` and ``target_value``
    (null for an unknown KPI, which passes here). The reported ``value`` becomes a struct
    of those, so the message can name the KPI's base and target.
    """
    scale = pl.max_horizontal(pl.col("base_value").abs(), pl.col("target_value").abs(), pl.lit(1.0))
    return Suite(
        "kpi_actual_plausible",
        [_true("_plausible", "value", _implausible)],
        derive=(
            (pl.col("value") <= scale * PLAUSIBLE_FACTOR)
            .or_(pl.col("base_value").is_null() | pl.col("target_value").is_null())
            .fill_null(True)
            .alias("_plausible"),
            pl.struct("value", "kpi_id", "unit", "base_value", "target_value").alias("value"),
        ),
    )


def _code_reason(value: object) -> str:
    from ebpm.codes import normalize_code

    try:
        normalize_code(str(value))
    except ValueError as error:
        return str(error)
    return f"「{value}」は団体コードとして使えません"


def national_suites(area_codes: Sequence[str]) -> dict[str, Suite]:
    """Checks of the two extracts of ``data/raw/national`` (municipalities, population).

    ``area_codes``: codes that population rows may use (the municipalities and the
    prefecture totals such as ``03000``). The reader adds ``_code5`` (the 5-digit code or
    null), ``_known_name`` and ``_known_prefecture`` (of ``_code5`` in the municipalities).
    """
    return {
        "national_municipality": _municipality_suite(),
        "national_population": _population_suite(area_codes),
    }


def _code_ok() -> pl.Expr:
    """``_code_ok``: ``area_code`` is a valid municipality code (see :func:`_code_reason`)."""
    from ebpm.codes import code_error_expr

    return code_error_expr("area_code").is_null().alias("_code_ok")


def _municipality_suite() -> Suite:
    from ebpm.codes import PREFECTURES, check_digit_expr

    expected_six = pl.concat_str(pl.col("_code5"), check_digit_expr(pl.col("_code5")))
    expected_pref = pl.col("_code5").str.slice(0, 2).replace_strict(PREFECTURES, default=None)
    return Suite(
        "national_municipality",
        [
            _true("_code_ok", "area_code", _code_reason),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeUnique(column="_code5"),
                "area_code",
                lambda v: f"団体コード「{v}」が重複しています（1団体1行にしてください）",
            ),
            _true(
                "_lg_ok",
                "lg_code",
                lambda v: f"「{v}」は area_code の6桁コード（5桁＋検査数字）と合いません",
            ),
            _true(
                "_pref_ok",
                "prefecture",
                lambda v: f"「{v}」は団体コードの都道府県（上2桁）と合いません",
            ),
        ],
        derive=(
            _code_ok(),
            (pl.col("lg_code").str.zfill(6) == expected_six).fill_null(False).alias("_lg_ok"),
            (pl.col("prefecture") == expected_pref).fill_null(True).alias("_pref_ok"),
        ),
    )


#: Population rows against the municipalities, and census years and counts.
_POPULATION_CHECKS: tuple[Check, ...] = (
    _true(
        "_name_ok",
        "name",
        lambda v: f"「{v}」は municipalities.csv のこの団体コードの名前と合いません",
    ),
    _true(
        "_pref_ok",
        "prefecture",
        lambda v: f"「{v}」は municipalities.csv のこの団体コードの都道府県と合いません",
    ),
    _between("year", 1920, 2100, "調査年が範囲外です（国勢調査は1920年から）"),
    _census_year("1920年から5年ごと"),
    _between("population", 0, 130_000_000, "人口が範囲外です（0 以上の人数）"),
    Check(
        lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(column_list=["_code5", "year"]),
        "year",
        lambda v: f"同じ団体コード・調査年（{v}年）の行が重複しています",
    ),
)

#: Helper columns of the population checks: names and prefectures are compared only
#: where the municipalities know the code.
_POPULATION_DERIVED: tuple[pl.Expr, ...] = (
    ((pl.col("_known_name").is_null()) | (pl.col("name") == pl.col("_known_name"))).alias(
        "_name_ok"
    ),
    (
        pl.col("_known_prefecture").is_null()
        | (pl.col("prefecture") == pl.col("_known_prefecture"))
    ).alias("_pref_ok"),
    _YEAR_MOD5,
)


def _population_suite(area_codes: Sequence[str]) -> Suite:
    known_code = Check(
        lambda gxe: gxe.ExpectColumnValuesToBeInSet(column="_code5", value_set=list(area_codes)),
        "area_code",
        lambda v: (
            f"団体コード「{v}」が municipalities.csv にありません"
            "（先に municipalities.csv に行を追加してください）"
        ),
    )
    return Suite(
        "national_population",
        [_true("_code_ok", "area_code", _code_reason), known_code, *_POPULATION_CHECKS],
        derive=(_code_ok(), *_POPULATION_DERIVED),
    )


def fiscal_suites(
    ranges: Sequence[tuple[str, float, float]], match_methods: Sequence[str], unmatched: str
) -> dict[str, Suite]:
    """Checks of the MIC fiscal indicators (indicator columns under their published names).

    ``ranges``: (published name, low, high) of every indicator; ``match_methods``: how a
    row may have got its code, ``unmatched`` the one that leaves it without.
    """
    from ebpm.codes import PREFECTURES

    range_checks = [
        _between(
            label,
            low,
            high,
            f"{label}として考えにくい値です（{low:g}〜{high:g} の範囲外。"
            "見出しと列がずれていないか確かめてください）",
        )
        for label, low, high in ranges
    ]
    return {
        "national_fiscal": Suite(
            "national_fiscal",
            [
                _regex("area_code", r"^\d{5}$", "団体コードは5桁の数字です"),
                _in_set(
                    "都道府県名",
                    list(PREFECTURES.values()),
                    "都道府県名ではありません",
                    "都道府県名を正しく書いてください",
                ),
                _in_set(
                    "match_method",
                    match_methods,
                    "照合方法ではありません",
                    "読み取り処理を確かめてください",
                ),
                _true(
                    "_code_consistent",
                    "団体名",
                    lambda v: (
                        f"「{v}」: 照合できなかった行だけが団体コードを持ちません（読み取り処理を確かめてください）"
                    ),
                ),
                Check(
                    lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(
                        column_list=["fiscal_year", "area_code"],
                        ignore_row_if="any_value_is_missing",
                    ),
                    "団体名",
                    lambda v: (
                        f"「{v}」が同じ年度の表に2回あります（同じ団体の行を1つにしてください）"
                    ),
                ),
                *range_checks,
            ],
            derive=(
                (pl.col("area_code").is_null() == (pl.col("match_method") == unmatched)).alias(
                    "_code_consistent"
                ),
            ),
        ),
        "national_fiscal_mean": Suite(
            "national_fiscal_mean",
            [
                _regex("area_code", r"^\d{2}000$", "都道府県（03000）か全国（00000）のコードです"),
                Check(
                    lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(
                        column_list=["fiscal_year", "area_code"]
                    ),
                    "都道府県名",
                    lambda v: f"「{v}」が同じ年度の表に2回あります",
                ),
                *range_checks,
            ],
        ),
    }


def census_suites() -> dict[str, Suite]:
    """Checks of the census population of every area and of the 旧市町村 crosswalk."""
    return {
        "national_census_population": Suite(
            "national_census_population",
            [
                _regex("area_code", r"^\d{5}$", "地域コードは5桁の数字です"),
                _not_null("name", "地域名"),
                _between("year", 1920, 2100, "調査年が範囲外です"),
                _census_year("5年ごと"),
                _true(
                    "_value_or_marker",
                    "population",
                    lambda v: "人口が空欄で、記号（「-」など）もありません",
                ),
                _between("population", 0, 130_000_000, "人口が範囲外です"),
                _in_set(
                    "status", ["確定値", "速報値"], "値の種類ではありません", "確定値か速報値です"
                ),
                _true(
                    "_preliminary_labelled",
                    "series_label",
                    lambda v: f"「{v}」: 速報値の系列は名前に「速報」と書いてください",
                ),
                Check(
                    lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(
                        column_list=["area_code", "year", "series"]
                    ),
                    "area_code",
                    lambda v: f"地域コード「{v}」の同じ年・同じ系列の人口が2つあります",
                ),
            ],
            derive=(
                _YEAR_MOD5,
                (pl.col("population").is_not_null() | pl.col("marker").is_not_null()).alias(
                    "_value_or_marker"
                ),
                (
                    (pl.col("is_preliminary") == (pl.col("status") == "速報値"))
                    & (~pl.col("is_preliminary") | pl.col("series_label").str.contains("速報"))
                ).alias("_preliminary_labelled"),
            ),
        ),
        "national_former_municipality": Suite(
            "national_former_municipality",
            [
                _regex("former_code", r"^\d{5}$", "旧市町村のコードは5桁の数字です"),
                _regex("successor_code", r"^\d{5}$", "団体コードは5桁の数字です"),
                _not_null("former_name", "旧市町村名"),
                _not_null("successor_name", "合併後の団体名"),
            ],
        ),
    }


def opendata_suite() -> Suite:
    """Checks of the open-data survey table."""
    return Suite(
        "national_opendata",
        [
            _regex("area_code", r"^\d{5}$", "地方公共団体コードは5桁の数字です"),
            _unique("area_code", "地方公共団体コード"),
            _in_set(
                "submission",
                ["提出済", "未提出", "未確認"],
                "提出状況ではありません",
                "提出済・未提出・未確認のいずれかです",
            ),
            _between("n_fields_published", 0, 15, "公開分野の数は 0〜15 です"),
        ],
    )


def peer_suite(municipality_codes: Sequence[str], target: str) -> Suite:
    """Checks of the peer group: known municipalities, no repeats, not the target itself."""
    return Suite(
        "national_peer",
        [
            _in_set(
                "area_code",
                municipality_codes,
                "国勢調査の市区町村にない団体コードです",
                "5桁の団体コードで書いてください",
            ),
            _unique("area_code", "比較対象の団体コード"),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToNotBeInSet(
                    column="area_code", value_set=[target]
                ),
                "area_code",
                lambda v: f"「{v}」は比較の中心の団体そのものです（比較対象から外してください）",
            ),
        ],
    )


def estat_suite() -> Suite:
    """Checks of cached e-Stat values."""
    return Suite(
        "estat_value",
        [
            _regex("area_code", r"^\d{5}$", "e-Stat の地域コードは5桁の数字です"),
            _regex("time_code", r"^\d{10}$", "e-Stat の時間軸コードは10桁の数字です"),
            _in_set(
                "period_kind",
                ["year", "fiscal_year", "month", "quarter", "other"],
                "期間の種類ではありません",
                "e-Stat の取り込み処理を確かめてください",
            ),
            _not_null("stats_data_id", "統計表ID"),
        ],
    )


def sample_suites() -> dict[str, Suite]:
    """Checks of the synthetic training data."""
    return {
        "sample_overtime_monthly": Suite(
            "sample_overtime_monthly",
            [
                Check(
                    lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(
                        column_list=["employee_id", "fiscal_year", "month"]
                    ),
                    "employee_id",
                    lambda v: f"職員「{v}」の同じ月の行が複数あります",
                ),
                _between(
                    "hours", 0, 200, "月の時間外勤務時間は 0〜200 時間の範囲で入力してください"
                ),
                _between("month", 1, 12, "月は 1〜12 です"),
                _between("fiscal_month", 1, 12, "年度内の月は 1〜12 です"),
                _all_sample(),
            ],
        ),
        "sample_copy_paper_monthly": Suite(
            "sample_copy_paper_monthly",
            [
                Check(
                    lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(
                        column_list=["fiscal_year", "month"]
                    ),
                    "fiscal_year",
                    lambda v: f"{v}年度の同じ月の行が複数あります",
                ),
                _between("sheets", 0, None, "購入枚数は 0 以上です"),
                _between("staff", 1, None, "職員数は 1 以上です"),
                _all_sample(),
            ],
        ),
    }
