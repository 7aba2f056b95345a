"""Great Expectations suites for every warehouse table, with Japanese findings.

GX 1.x has no polars or DuckDB engine that works today (stack-notes §1), so each table
is validated as a pandas frame in an ephemeral context. Every expectation is paired
with a Japanese explanation and fix; failures become :class:`~ebpm.readers.InputError`
pointing at file, row and column.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import polars as pl

from ebpm.kpi.model import KPI_ID_PATTERN
from ebpm.readers import FILE, ROW, InputError

__all__ = [
    "Check",
    "Suite",
    "actuals_suite",
    "current_definition_suite",
    "definition_suite",
    "estat_suite",
    "national_suites",
    "sample_suites",
    "tree_suites",
    "validate",
]

PERCENT_UNITS = frozenset({"%", "％"})
COUNT_UNITS = frozenset({"件", "人", "回", "枚"})


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


@cache
def _context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars write timings to stderr, which breaks nbval and clutters the CLI.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _batch_definition(name: str) -> Any:
    context = _context()
    try:
        source = context.data_sources.get("ebpm")
    except (KeyError, ValueError):
        source = context.data_sources.add_pandas("ebpm")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition("whole")
    except (KeyError, ValueError, LookupError):
        return asset.add_batch_definition_whole_dataframe("whole")


def validate(frame: pl.DataFrame, suite: Suite, label: str | None = None) -> list[InputError]:
    """Run ``suite`` on ``frame``; return one error per failing cell (or table)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    data = frame.with_columns(*suite.derive) if suite.derive else frame
    if FILE not in data.columns:
        data = data.with_columns(pl.lit(label or suite.name).alias(FILE))
    if ROW not in data.columns:
        data = data.with_columns(pl.lit(None, dtype=pl.Int64).alias(ROW))
    expectations = []
    for index, check in enumerate(suite.checks):
        expectation = check.make(gxe)
        expectation.meta = {"check": index}  # GX does not keep the suite's order in results
        expectations.append(expectation)
    gx_suite = gx.ExpectationSuite(name=f"{suite.name}_suite", expectations=expectations)
    batch = _batch_definition(suite.name).get_batch(
        batch_parameters={"dataframe": data.to_pandas(use_pyarrow_extension_array=True)}
    )
    with contextlib.redirect_stderr(io.StringIO()):
        result = batch.validate(gx_suite, result_format={"result_format": "COMPLETE"})
    files = data[FILE].to_list()
    rows = data[ROW].to_list()
    errors: list[InputError] = []
    for outcome in result.results:
        check = suite.checks[outcome.expectation_config.meta["check"]]
        if outcome.success:
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


# --- suites ----------------------------------------------------------------------------


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


def tree_suites(field_ids: Sequence[int], strategy_ids: Sequence[str]) -> dict[str, Suite]:
    """Suites of the strategy tree (fields, strategies, tactics)."""
    return {
        "field": Suite("field", [_unique("field_id", "分野番号")]),
        "strategy": Suite(
            "strategy",
            [
                _unique("strategy_id", "戦略番号"),
                _in_set(
                    "field_id",
                    field_ids,
                    "fields.csv にない分野番号です",
                    "fields.csv の field_id を使ってください",
                ),
            ],
        ),
        "tactic": Suite(
            "tactic",
            [
                _unique("tactic_id", "戦術番号"),
                _in_set(
                    "strategy_id",
                    strategy_ids,
                    "strategies.csv にない戦略番号です",
                    "strategies.csv の strategy_id を使ってください",
                ),
            ],
        ),
    }


def _percent(column: str) -> pl.Expr:
    return (
        pl.when(pl.col("unit").is_in(list(PERCENT_UNITS)))
        .then(pl.col(column))
        .alias(f"{column}_percent")
    )


def definition_suite(strategy_ids: Sequence[str]) -> Suite:
    """Checks of ``kpi_definitions.csv`` (every revision)."""
    percent_msg = "割合（%）の値は 0〜100 の範囲で入力してください"
    return Suite(
        "kpi_definition",
        [
            Check(
                lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(column_list=["kpi_id", "revision"]),
                "kpi_id",
                lambda v: (
                    f"指標「{v}」に同じ改訂番号（revision）の定義が複数あります（改訂したときは revision を増やしてください）"
                ),
            ),
            # The id becomes a chart's file name and an anchor in the report.
            _regex(
                "kpi_id",
                KPI_ID_PATTERN,
                "指標IDは英数字で始まり、英数字・ハイフン・下線だけの32文字以内にしてください（例：K01）",
            ),
            _in_set(
                "strategy_id",
                strategy_ids,
                "strategies.csv にない戦略番号です",
                "strategies.csv の strategy_id を使ってください",
            ),
            _in_set(
                "aggregation_label",
                ["単", "累"],
                "単年度/累計の区分ではありません",
                "「単」か「累」を入力してください",
            ),
            _in_set(
                "direction",
                ["increase", "decrease", "maintain"],
                "目標の方向ではありません",
                "increase・decrease・maintain のいずれかを入力してください",
            ),
            _in_set(
                "target_basis",
                ["final_year", "period_average"],
                "目標の判定方法ではありません",
                "final_year か period_average を入力してください",
            ),
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
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeBetween(
                    column="base_value_percent", min_value=0, max_value=100
                ),
                "base_value",
                lambda v: f"「{v}」: {percent_msg}",
            ),
            Check(
                lambda gxe: gxe.ExpectColumnValuesToBeBetween(
                    column="target_value_percent", min_value=0, max_value=100
                ),
                "target_value",
                lambda v: f"「{v}」: {percent_msg}",
            ),
        ],
        derive=(_percent("base_value"), _percent("target_value")),
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


def _all_sample(column: str = "is_sample") -> Check:
    return Check(
        lambda gxe: gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[True]),
        column,
        lambda v: "研修用サンプルデータには is_sample = true が必要です",
    )


def national_suites(area_codes: Sequence[str]) -> dict[str, Suite]:
    """Checks of the national extracts (the loader already checks codes and dtypes)."""
    return {
        "national_municipality": Suite(
            "national_municipality",
            [
                _unique("area_code", "団体コード"),
                _regex("area_code", r"^\d{5}$", "団体コードは5桁の数字です"),
                _regex("lg_code", r"^\d{6}$", "全国地方公共団体コードは検査数字付きの6桁です"),
                _not_null("name", "団体名"),
            ],
        ),
        "national_population": Suite(
            "national_population",
            [
                Check(
                    lambda gxe: gxe.ExpectCompoundColumnsToBeUnique(
                        column_list=["area_code", "year"]
                    ),
                    "area_code",
                    lambda v: f"団体コード「{v}」の同じ年の人口が複数あります",
                ),
                _in_set(
                    "area_code",
                    area_codes,
                    "municipalities.csv にない団体コードです",
                    "団体の一覧に追加してください",
                ),
                _between("year", 1920, 2100, "調査年が範囲外です"),
                _between("population", 0, 130_000_000, "人口が範囲外です"),
                _not_null("population", "人口"),
            ],
        ),
    }


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
