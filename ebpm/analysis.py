"""Analysis helpers that the notebooks call: 年度 calendars, trends, ITS, DiD, surveys, forecasts.

Frames are polars in and polars out. Estimators come from statsmodels and
scipy, imported inside the functions so that ``import ebpm`` stays fast; the
survey maths (Wilson interval, two-wave rule, sample size) is
:mod:`ebpm.survey`, re-exported here.
Every result is a frozen dataclass whose ``summary()`` (also ``str()``) is a
short Japanese text with fixed rounding, so notebook outputs are stable.

A 年度 runs April–March and is labelled by its start year; fiscal month 1 is
April and 12 is March.

>>> fiscal_year(2026, 3), fiscal_month(4), fiscal_month(3)
(2025, 1, 12)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import polars as pl

from ebpm.jp import fiscal_year_of
from ebpm.survey import (
    ProportionChange,
    ProportionCI,
    _level,
    _p,
    proportion_ci,
    sample_size_per_wave,
    two_proportion_test,
)

__all__ = [
    "FORECAST_MIN_YEARS",
    "PARALLEL_TRENDS_ASSUMPTION",
    "PROBABILITY_MIN_YEARS",
    "DifferenceInDifferences",
    "Forecast",
    "InterruptedTimeSeries",
    "LinearTrend",
    "PreTrendCheck",
    "ProportionCI",
    "ProportionChange",
    "add_fiscal_columns",
    "aggregate_fiscal_year",
    "annual_mean_per_person",
    "calendar_month",
    "difference_in_differences",
    "fiscal_month",
    "fiscal_year",
    "forecast",
    "interrupted_time_series",
    "linear_trend",
    "moving_average",
    "pre_trend_check",
    "proportion_ci",
    "sample_size_per_wave",
    "seasonality_by_fiscal_month",
    "two_proportion_test",
    "year_on_year",
]

Direction = Literal["increase", "decrease", "maintain"]

#: The identifying assumption of difference-in-differences, as printed in summaries.
PARALLEL_TRENDS_ASSUMPTION = (
    "平行トレンドの仮定：施策がなければ、処置群の平均は対照群の平均と同じだけ変化したはず"
    "（両群の差は一定のまま）と仮定しています。この仮定はデータで証明できません。"
    "介入前の推移が平行かどうかの確認（事前トレンドの検定）は、仮定を疑う材料にしかなりません。"
)


# ---------------------------------------------------------------------------
# 年度 calendar
# ---------------------------------------------------------------------------


def _check_month(month: object) -> int:
    if isinstance(month, bool) or not isinstance(month, int | np.integer) or not 1 <= month <= 12:
        raise ValueError(f"月は1〜12の整数で指定してください（指定値：{month!r}）")
    return int(month)


def fiscal_year(date_or_year: dt.date | int, month: int | None = None) -> int:
    """The 年度 of a date, or of a calendar ``year`` and ``month``.

    Parameters
    ----------
    date_or_year : a date (``month`` omitted) or a calendar year.
    month : calendar month 1–12, required with a year.

    >>> fiscal_year(dt.date(2024, 3, 31)), fiscal_year(2024, 4)
    (2023, 2024)
    """
    if isinstance(date_or_year, dt.date):
        if month is not None:
            raise ValueError("日付を渡すときは月を指定しないでください")
        return fiscal_year_of(date_or_year)
    if isinstance(date_or_year, bool) or not isinstance(date_or_year, int | np.integer):
        raise ValueError(f"日付または西暦年（整数）を指定してください（指定値：{date_or_year!r}）")
    if month is None:
        raise ValueError("西暦年を渡すときは月（1〜12）も指定してください")
    return fiscal_year_of(dt.date(int(date_or_year), _check_month(month), 1))


def fiscal_month(month: int) -> int:
    """Position of a calendar month in the 年度: April → 1, …, March → 12."""
    return (_check_month(month) - 4) % 12 + 1


def calendar_month(fiscal_month: int) -> int:
    """Calendar month of a fiscal month: 1 → April, …, 12 → March."""
    return (_check_month(fiscal_month) + 2) % 12 + 1


def add_fiscal_columns(
    df: pl.DataFrame,
    date_col: str,
    *,
    fiscal_year_col: str = "fiscal_year",
    fiscal_month_col: str = "fiscal_month",
) -> pl.DataFrame:
    """Add ``fiscal_year`` and ``fiscal_month`` columns computed from a date column.

    Parameters
    ----------
    df : frame with a Date or Datetime column.
    date_col : name of that column.
    fiscal_year_col, fiscal_month_col : names of the new columns.
    """
    _require_columns(df, [date_col])
    if not df.schema[date_col].is_temporal() or df.schema[date_col] == pl.Time:
        raise ValueError(
            f"{date_col}列は日付型ではありません（{df.schema[date_col]}）。"
            "pl.col(...).str.to_date() などで日付に変換してから渡してください"
        )
    # the rules live in ebpm.jp.fiscal_year_of and fiscal_month; apply them once per month
    month_key = pl.col(date_col).dt.year().cast(pl.Int64) * 100 + pl.col(date_col).dt.month()
    months = df.select(month_key.alias("key")).drop_nulls().unique()["key"].to_list()
    years = {key: fiscal_year_of(dt.date(key // 100, key % 100, 1)) for key in months}
    positions = {key: fiscal_month(key % 100) for key in months}
    return df.with_columns(
        month_key.replace_strict(years, default=None, return_dtype=pl.Int64).alias(fiscal_year_col),
        month_key.replace_strict(positions, default=None, return_dtype=pl.Int64).alias(
            fiscal_month_col
        ),
    )


# ---------------------------------------------------------------------------
# Aggregation, year-on-year, moving averages, seasonality
# ---------------------------------------------------------------------------


def _require_columns(df: pl.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"列 {', '.join(missing)} がありません（ある列：{', '.join(df.columns)}）")


def aggregate_fiscal_year(
    df: pl.DataFrame,
    value_col: str,
    *,
    by: Sequence[str] = (),
    how: Literal["sum", "mean"] = "sum",
    fiscal_year_col: str = "fiscal_year",
    fiscal_month_col: str = "fiscal_month",
) -> pl.DataFrame:
    """Sum (or average) a monthly value per 年度, with a completeness flag.

    Returns
    -------
    polars.DataFrame
        ``*by, fiscal_year, <value_col>, n_months, complete``; ``complete`` is
        True when all 12 fiscal months are present. Sorted by ``by`` and year.
    """
    _require_columns(df, [*by, value_col, fiscal_year_col, fiscal_month_col])
    if how not in ("sum", "mean"):
        raise ValueError(f"how は 'sum' か 'mean' を指定してください（指定値：{how!r}）")
    value = pl.col(value_col).sum() if how == "sum" else pl.col(value_col).mean()
    keys = [*by, fiscal_year_col]
    return (
        df.group_by(keys)
        .agg(value, n_months=pl.col(fiscal_month_col).n_unique().cast(pl.Int64))
        .with_columns(complete=pl.col("n_months") == 12)
        .sort(keys)
    )


def annual_mean_per_person(
    df: pl.DataFrame,
    *,
    value_col: str = "hours",
    person_col: str = "employee_id",
    fiscal_year_col: str = "fiscal_year",
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Yearly total ÷ distinct people, e.g. 1人あたり時間外勤務等年間平均時間数.

    Returns
    -------
    polars.DataFrame
        ``*by, fiscal_year, total, n_people, mean_per_person`` (not rounded).
    """
    _require_columns(df, [*by, value_col, person_col, fiscal_year_col])
    keys = [*by, fiscal_year_col]
    return (
        df.group_by(keys)
        .agg(
            total=pl.col(value_col).sum(),
            n_people=pl.col(person_col).n_unique().cast(pl.Int64),
        )
        .with_columns(mean_per_person=pl.col("total") / pl.col("n_people"))
        .sort(keys)
    )


def year_on_year(
    df: pl.DataFrame,
    value_col: str,
    *,
    time_col: str = "fiscal_year",
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Add ``previous``, ``change`` and ``change_pct`` (前年度比 %) columns.

    The previous value is the row whose ``time_col`` is exactly one less, so a
    missing year gives nulls instead of a two-year change.
    """
    _require_columns(df, [*by, value_col, time_col])
    previous = df.select(
        *by,
        (pl.col(time_col) + 1).alias(time_col),
        pl.col(value_col).alias("previous"),
    )
    return (
        df.join(previous, on=[*by, time_col], how="left", nulls_equal=True)
        .with_columns(change=pl.col(value_col) - pl.col("previous"))
        .with_columns(
            change_pct=pl.when(pl.col("previous") != 0).then(
                pl.col("change") / pl.col("previous") * 100
            )
        )
        .sort([*by, time_col])
    )


def moving_average(
    df: pl.DataFrame,
    value_col: str,
    *,
    window: int = 3,
    time_col: str = "fiscal_year",
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """Add a trailing moving average ``<value_col>_ma<window>``.

    Rows are sorted by ``by`` and ``time_col``; the first ``window - 1`` rows
    of each group get null. Rows are taken as consecutive periods: fill gaps
    first if some periods are missing.
    """
    _require_columns(df, [*by, value_col, time_col])
    if window < 1:
        raise ValueError(f"window は1以上にしてください（指定値：{window}）")
    average = pl.col(value_col).rolling_mean(window_size=window, min_samples=window)
    if by:
        average = average.over(list(by))
    return df.sort([*by, time_col]).with_columns(average.alias(f"{value_col}_ma{window}"))


def seasonality_by_fiscal_month(
    df: pl.DataFrame,
    value_col: str,
    *,
    fiscal_year_col: str = "fiscal_year",
    fiscal_month_col: str = "fiscal_month",
) -> pl.DataFrame:
    """Average pattern over the 年度: mean per fiscal month and a seasonal index.

    Rows are first summed per year and fiscal month (so per-employee rows give
    monthly totals). Only complete years (12 months) are used. The seasonal
    index is the mean, over years, of the month's value divided by that year's
    monthly mean: 1.2 means 20 % above an average month.

    Returns
    -------
    polars.DataFrame
        ``fiscal_month, month, mean, seasonal_index, n_years`` (12 rows).
    """
    _require_columns(df, [value_col, fiscal_year_col, fiscal_month_col])
    monthly = (
        df.group_by(fiscal_year_col, fiscal_month_col)
        .agg(pl.col(value_col).sum())
        .filter(pl.len().over(fiscal_year_col) == 12)
    )
    if monthly.is_empty():
        raise ValueError("12か月そろった年度がないため、季節性を計算できません")
    return (
        monthly.with_columns(
            ratio=pl.col(value_col) / pl.col(value_col).mean().over(fiscal_year_col)
        )
        .group_by(fiscal_month_col)
        .agg(
            mean=pl.col(value_col).mean(),
            seasonal_index=pl.col("ratio").mean(),
            n_years=pl.len().cast(pl.Int64),
        )
        .sort(fiscal_month_col)
        .select(
            pl.col(fiscal_month_col).alias("fiscal_month"),
            month=(pl.col(fiscal_month_col) + 2) % 12 + 1,
            mean="mean",
            seasonal_index="seasonal_index",
            n_years="n_years",
        )
    )


# ---------------------------------------------------------------------------
# Formatting helpers (deterministic Japanese summaries)
# ---------------------------------------------------------------------------


def _decimals(width: float) -> int:
    """Decimals that show a quantity whose uncertainty is ``width`` (0–3)."""
    if not math.isfinite(width) or width <= 0:
        return 2
    return int(min(3, max(0, 1 - math.floor(math.log10(width)))))


def _num(value: float | None, decimals: int, *, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "－"
    return f"{value:+,.{decimals}f}" if sign else f"{value:,.{decimals}f}"


def _estimate(est: float, ci: tuple[float, float], alpha: float, *, sign: bool = True) -> str:
    digits = _decimals(ci[1] - ci[0]) if ci[1] > ci[0] else _decimals(abs(est) / 100)
    low, high = (_num(v, digits, sign=sign) for v in ci)
    return f"{_num(est, digits, sign=sign)}（{_level(alpha)}信頼区間 {low}〜{high}）"


class _Summarised:
    """Mixin: ``str(result)`` is the Japanese summary."""

    def summary(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def __str__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------
# Regression helpers
# ---------------------------------------------------------------------------


def _time_index(values: pl.Series) -> tuple[np.ndarray, str]:
    """Numeric time: months since year 0 for dates, the value itself for integers."""
    if values.dtype.is_temporal():
        index = (
            values.dt.year().cast(pl.Int64) * 12 + values.dt.month().cast(pl.Int64) - 1
        ).to_numpy()
        return index.astype(float), "月"
    if values.dtype.is_integer():
        return values.to_numpy().astype(float), "年度"
    raise ValueError(f"{values.name}列は整数（年度）か日付にしてください（{values.dtype}）")


def _point_index(value: object, unit: str) -> float:
    if unit == "月":
        if not isinstance(value, dt.date):
            raise ValueError(
                f"時点列が日付なので、介入時点も日付で指定してください（指定値：{value!r}）"
            )
        return float(value.year * 12 + value.month - 1)
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(
            f"時点列が年度なので、介入時点も年度（整数）で指定してください（指定値：{value!r}）"
        )
    return float(value)


def _fit(y: np.ndarray, X: np.ndarray, *, cov_type: str, cov_kwds: dict | None = None):
    # the module, not statsmodels.api (which also loads its datasets and distributions: ~2 × the time)
    from statsmodels.regression.linear_model import OLS

    return OLS(y, X).fit(cov_type=cov_type, cov_kwds=cov_kwds or {}, use_t=True)


_Contrast = tuple[float, tuple[float, float], float]


def _contrast(result, weights: Sequence[float] | np.ndarray, alpha: float) -> _Contrast:
    """Estimate, CI and p-value of a linear combination of coefficients."""
    test = result.t_test(np.asarray(weights, dtype=float)[None, :])
    low, high = np.asarray(test.conf_int(alpha=alpha)).ravel()
    return float(np.asarray(test.effect).ravel()[0]), (float(low), float(high)), float(test.pvalue)


def _drop_null(df: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    _require_columns(df, columns)
    return df.drop_nulls(list(columns)).sort(columns[0], maintain_order=True)


# ---------------------------------------------------------------------------
# Linear trend
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LinearTrend(_Summarised):
    """OLS straight line ``y = intercept + slope × x`` with confidence intervals.

    ``fitted`` has ``x, fitted, ci_lower, ci_upper`` (confidence band of the line).
    """

    x_col: str
    y_col: str
    slope: float
    slope_ci: tuple[float, float]
    intercept: float
    p_value: float
    r_squared: float
    n: int
    alpha: float
    fitted: pl.DataFrame

    def summary(self) -> str:
        per = "1年度あたり" if self.x_col == "fiscal_year" else f"{self.x_col}が1増えるごとに"
        return (
            f"{self.y_col} の直線トレンド：{per} "
            f"{_estimate(self.slope, self.slope_ci, self.alpha)}、{_p(self.p_value)}、"
            f"R²={self.r_squared:.2f}、n={self.n}"
        )


def linear_trend(
    df: pl.DataFrame, *, y_col: str, x_col: str = "fiscal_year", alpha: float = 0.05
) -> LinearTrend:
    """Fit a straight line by OLS (statsmodels) and report the slope with its CI."""
    from statsmodels.tools.tools import add_constant

    data = _drop_null(df, [x_col, y_col])
    if data.height < 3:
        raise ValueError(f"トレンドの推定には3点以上が必要です（{data.height}点）")
    x = data[x_col].cast(pl.Float64).to_numpy()
    X = add_constant(x, has_constant="add")
    result = _fit(data[y_col].cast(pl.Float64).to_numpy(), X, cov_type="nonrobust")
    band = result.get_prediction(X).summary_frame(alpha=alpha)
    low, high = result.conf_int(alpha=alpha)[1]
    return LinearTrend(
        x_col=x_col,
        y_col=y_col,
        slope=float(result.params[1]),
        slope_ci=(float(low), float(high)),
        intercept=float(result.params[0]),
        p_value=float(result.pvalues[1]),
        r_squared=float(result.rsquared),
        n=data.height,
        alpha=alpha,
        fitted=pl.DataFrame(
            {
                x_col: data[x_col],
                "fitted": band["mean"].to_numpy(),
                "ci_lower": band["mean_ci_lower"].to_numpy(),
                "ci_upper": band["mean_ci_upper"].to_numpy(),
            }
        ),
    )


# ---------------------------------------------------------------------------
# Interrupted time series
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class InterruptedTimeSeries(_Summarised):
    """Segmented regression ``y = b0 + b1·t + b2·post + b3·(t − t0)·post (+ months)``.

    ``level_change`` is b2 (the jump at the intervention), ``slope_change`` b3
    (per month or per 年度), ``effect_at_end`` b2 + b3·(t_end − t0): the gap
    between the fitted line and the counterfactual (pre-trend continued) at the
    last observation. ``fitted`` has ``time, observed, fitted, counterfactual``.
    """

    value_col: str
    intervention: str
    time_unit: str
    level_change: float
    level_change_ci: tuple[float, float]
    level_change_p: float
    slope_change: float
    slope_change_ci: tuple[float, float]
    slope_change_p: float
    pre_slope: float
    pre_slope_ci: tuple[float, float]
    post_slope: float
    post_slope_ci: tuple[float, float]
    effect_at_end: float
    effect_at_end_ci: tuple[float, float]
    n_pre: int
    n_post: int
    seasonal: bool
    standard_errors: str
    alpha: float
    fitted: pl.DataFrame

    def summary(self) -> str:
        unit, alpha = self.time_unit, self.alpha
        per = "1か月" if unit == "月" else "1年度"
        level = _estimate(self.level_change, self.level_change_ci, alpha)
        slope = _estimate(self.slope_change, self.slope_change_ci, alpha)
        pre = _estimate(self.pre_slope, self.pre_slope_ci, alpha)
        post = _estimate(self.post_slope, self.post_slope_ci, alpha)
        end = _estimate(self.effect_at_end, self.effect_at_end_ci, alpha)
        lines = [
            f"分断時系列分析（{self.value_col}、介入時点 {self.intervention}、"
            f"介入前 {self.n_pre} 時点・介入後 {self.n_post} 時点）",
            f"- 介入時の水準の変化：{level}、{_p(self.level_change_p)}",
            f"- 傾きの変化（{per}あたり）：{slope}、{_p(self.slope_change_p)}",
            f"- 介入前の傾き：{pre}／{unit}、介入後の傾き：{post}／{unit}",
            f"- 最終時点での効果（介入前の傾向が続いた場合との差）：{end}",
            f"- 標準誤差：{self.standard_errors}" + ("、月の季節性を調整" if self.seasonal else ""),
            "前提：介入がなければ介入前の傾向（直線）がそのまま続いたと仮定しています。"
            "同じ時期に起きた別の変化（人員、制度、災害など）とは区別できません。",
        ]
        if self.n_pre < 8:
            lines.append(
                f"注意：介入前が {self.n_pre} 時点しかありません（目安は8時点以上）。"
                "介入前の傾きが不確かなため、結果は参考程度にしてください。"
            )
        return "\n".join(lines)


def interrupted_time_series(
    df: pl.DataFrame,
    *,
    time_col: str,
    value_col: str,
    intervention: dt.date | int,
    seasonal: bool = False,
    hac_lags: int | None = None,
    alpha: float = 0.05,
) -> InterruptedTimeSeries:
    """Interrupted time series by segmented OLS regression (statsmodels).

    Parameters
    ----------
    df : one row per period.
    time_col : Date/Datetime column (monthly data) or integer 年度 column.
    value_col : outcome.
    intervention : first period under the intervention (a date in its month,
        or a 年度); the level change is measured there.
    seasonal : add calendar-month dummies (monthly data only).
    hac_lags : if given, Newey–West (HAC) standard errors with this many lags,
        for autocorrelated errors; otherwise ordinary OLS standard errors.
    alpha : 1 − confidence level.
    """
    data = _drop_null(df, [time_col, value_col])
    time, unit = _time_index(data[time_col])
    t0 = _point_index(intervention, unit)
    X, n_pre, n_post = _segmented_design(time, t0, unit, seasonal)
    result, errors = _segmented_fit(data[value_col].cast(pl.Float64).to_numpy(), X, hac_lags)
    level, slope, pre, after, end = _segmented_contrasts(result, X.shape[1], time[-1] - t0, alpha)
    return InterruptedTimeSeries(
        value_col=value_col,
        intervention=(
            f"{intervention.year}年{intervention.month}月"
            if isinstance(intervention, dt.date)
            else f"{intervention}年度"
        ),
        time_unit=unit,
        level_change=level[0],
        level_change_ci=level[1],
        level_change_p=level[2],
        slope_change=slope[0],
        slope_change_ci=slope[1],
        slope_change_p=slope[2],
        pre_slope=pre[0],
        pre_slope_ci=pre[1],
        post_slope=after[0],
        post_slope_ci=after[1],
        effect_at_end=end[0],
        effect_at_end_ci=end[1],
        n_pre=n_pre,
        n_post=n_post,
        seasonal=seasonal,
        standard_errors=errors,
        alpha=alpha,
        fitted=pl.DataFrame(
            {
                time_col: data[time_col],
                "observed": data[value_col].cast(pl.Float64),
                "fitted": np.asarray(result.fittedvalues),
                "counterfactual": _counterfactual(result, X),
            }
        ),
    )


def _segmented_design(
    time: np.ndarray, t0: float, unit: str, seasonal: bool
) -> tuple[np.ndarray, int, int]:
    """The columns 1, t, post, (t − t0)·post (and 11 month dummies), and the numbers of
    periods before and after the intervention (at least 3 and 2)."""
    post = (time >= t0).astype(float)
    n_pre, n_post = int((post == 0).sum()), int(post.sum())
    if n_pre < 3 or n_post < 2:
        raise ValueError(
            f"介入前は3時点以上、介入後は2時点以上が必要です（介入前 {n_pre}、介入後 {n_post}）"
        )
    columns = [np.ones_like(time), time - time[0], post, (time - t0) * post]
    if seasonal:
        if unit != "月":
            raise ValueError("季節調整（seasonal=True）は月次データ（日付の時点列）でのみ使えます")
        month = (time % 12).astype(int)
        columns += [(month == m).astype(float) for m in range(1, 12)]
    return np.column_stack(columns), n_pre, n_post


def _segmented_fit(y: np.ndarray, X: np.ndarray, hac_lags: int | None) -> tuple[Any, str]:
    """The OLS fit and how its standard errors were computed, in Japanese."""
    if hac_lags is None:
        return _fit(y, X, cov_type="nonrobust"), "通常の最小二乗法"
    result = _fit(y, X, cov_type="HAC", cov_kwds={"maxlags": int(hac_lags)})
    return result, f"Newey–West（HAC、ラグ{int(hac_lags)}）"


def _segmented_contrasts(result, k: int, to_end: float, alpha: float) -> list[_Contrast]:
    """b2, b3, b1, b1 + b3 and b2 + b3·(t_end − t0) (see :class:`InterruptedTimeSeries`)."""

    def combination(**coefficients: float) -> _Contrast:
        weights = np.zeros(k)
        for name, value in coefficients.items():  # b0 … b3 of the docstring
            weights[int(name[1:])] = value
        return _contrast(result, weights, alpha)

    return [
        combination(b2=1),
        combination(b3=1),
        combination(b1=1),
        combination(b1=1, b3=1),
        combination(b2=1, b3=float(to_end)),
    ]


def _counterfactual(result, X: np.ndarray) -> np.ndarray:
    """The fit without the intervention's terms (b2, b3): the pre-trend continued."""
    kept = [0, 1, *range(4, X.shape[1])]
    return X[:, kept] @ np.asarray(result.params)[kept]


# ---------------------------------------------------------------------------
# Difference-in-differences
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreTrendCheck(_Summarised):
    """Difference in pre-intervention slopes between treated and comparison groups."""

    slope_difference: float
    ci: tuple[float, float]
    p_value: float
    n_periods: int
    time_unit: str
    alpha: float

    @property
    def rejects_parallel(self) -> bool:
        """True when the pre-trends differ significantly at ``alpha``."""
        return self.p_value < self.alpha

    def summary(self) -> str:
        difference = _estimate(self.slope_difference, self.ci, self.alpha)
        head = (
            f"事前トレンドの確認（介入前 {self.n_periods} 時点）：処置群と対照群の傾きの差 "
            f"{difference}／{self.time_unit}、{_p(self.p_value)}。"
        )
        if self.rejects_parallel:
            return head + "介入前から傾きが違うため、平行トレンドの仮定は疑わしいです。"
        return head + (
            "介入前の傾きにはっきりした差は見られません"
            "（ただし、差がないことの証明ではありません）。"
        )


def pre_trend_check(
    df: pl.DataFrame,
    *,
    outcome_col: str,
    treated_col: str,
    time_col: str,
    intervention: dt.date | int,
    alpha: float = 0.05,
) -> PreTrendCheck:
    """Test whether treated and comparison groups had different slopes before the intervention.

    OLS of the outcome on time, group and time × group, using pre-intervention
    rows only (HC1 standard errors). Needs at least two pre-intervention periods.
    """
    data = _drop_null(df, [time_col, outcome_col, treated_col])
    time, unit = _time_index(data[time_col])
    t0 = _point_index(intervention, unit)
    before = time < t0
    periods = np.unique(time[before]).size
    if periods < 2:
        raise ValueError(f"事前トレンドの確認には介入前が2時点以上必要です（{periods}時点）")
    treated = data[treated_col].cast(pl.Float64).to_numpy()[before]
    centred = time[before] - time[before].min()
    X = np.column_stack([np.ones_like(centred), treated, centred, treated * centred])
    result = _fit(data[outcome_col].cast(pl.Float64).to_numpy()[before], X, cov_type="HC1")
    estimate, ci, p = _contrast(result, [0, 0, 0, 1], alpha)
    return PreTrendCheck(estimate, ci, p, periods, unit, alpha)


@dataclass(frozen=True, eq=False)
class DifferenceInDifferences(_Summarised):
    """2×2 difference-in-differences by OLS with a treated × post interaction.

    ``means`` is the table of group means (``group, period, mean, n``).
    ``pre_trend`` is None when there are fewer than two pre-intervention periods.
    """

    outcome_col: str
    estimate: float
    ci: tuple[float, float]
    p_value: float
    n_obs: int
    standard_errors: str
    alpha: float
    means: pl.DataFrame
    pre_trend: PreTrendCheck | None
    assumption: str = PARALLEL_TRENDS_ASSUMPTION

    def summary(self) -> str:
        cell = {
            (row["group"], row["period"]): row["mean"] for row in self.means.iter_rows(named=True)
        }
        digits = _decimals(self.ci[1] - self.ci[0]) if self.ci[1] > self.ci[0] else 2
        lines = [f"差の差（DiD）分析：{self.outcome_col}（n={self.n_obs}）"]
        for group in ("処置群", "対照群"):
            before, after = cell.get((group, "介入前")), cell.get((group, "介入後"))
            change = None if before is None or after is None else after - before
            lines.append(
                f"- {group}：介入前 {_num(before, digits)} → 介入後 {_num(after, digits)}"
                f"（変化 {_num(change, digits, sign=True)}）"
            )
        lines += [
            f"- 施策の効果の推定値（処置群の変化 − 対照群の変化）："
            f"{_estimate(self.estimate, self.ci, self.alpha)}、{_p(self.p_value)}",
            f"- 標準誤差：{self.standard_errors}",
            self.assumption,
            self.pre_trend.summary()
            if self.pre_trend is not None
            else "介入前が1時点しかないため、事前トレンドは確認できません。",
        ]
        return "\n".join(lines)


def difference_in_differences(
    df: pl.DataFrame,
    *,
    outcome_col: str,
    treated_col: str,
    time_col: str,
    intervention: dt.date | int,
    cluster_col: str | None = None,
    alpha: float = 0.05,
) -> DifferenceInDifferences:
    """Difference-in-differences: ``y = a + b·treated + c·post + d·treated·post``.

    Parameters
    ----------
    df : one row per unit and period (e.g. municipality × 年度).
    outcome_col : outcome.
    treated_col : boolean (or 0/1) column, True for the treated group (処置群).
    time_col : integer 年度 or date column.
    intervention : first period after the intervention.
    cluster_col : cluster-robust standard errors by this column (e.g. the
        municipality); otherwise heteroskedasticity-robust HC1.
    alpha : 1 − confidence level.

    Returns
    -------
    DifferenceInDifferences
        ``estimate`` is d. The result states the parallel-trends assumption
        and carries :func:`pre_trend_check` when possible.
    """
    columns = [time_col, outcome_col, treated_col] + ([cluster_col] if cluster_col else [])
    data = _drop_null(df, columns)
    time, unit = _time_index(data[time_col])
    t0 = _point_index(intervention, unit)
    treated = data[treated_col].cast(pl.Float64).to_numpy()
    post = (time >= t0).astype(float)
    if len({(a, b) for a, b in zip(treated, post, strict=True)}) < 4:
        raise ValueError("処置群・対照群のそれぞれに介入前と介入後のデータが必要です")
    X = np.column_stack([np.ones_like(time), treated, post, treated * post])
    y = data[outcome_col].cast(pl.Float64).to_numpy()
    if cluster_col:
        groups = np.unique(data[cluster_col].cast(pl.String).to_numpy(), return_inverse=True)[1]
        result = _fit(y, X, cov_type="cluster", cov_kwds={"groups": groups})
        errors = f"{cluster_col}単位のクラスター頑健標準誤差"
    else:
        result = _fit(y, X, cov_type="HC1")
        errors = "不均一分散に頑健な標準誤差（HC1）"
    estimate, ci, p = _contrast(result, [0, 0, 0, 1], alpha)
    means = (
        data.with_columns(
            group=pl.when(pl.col(treated_col).cast(pl.Boolean))
            .then(pl.lit("処置群"))
            .otherwise(pl.lit("対照群")),
            period=pl.Series(np.where(post == 1, "介入後", "介入前")),
        )
        .group_by("group", "period")
        .agg(mean=pl.col(outcome_col).cast(pl.Float64).mean(), n=pl.len().cast(pl.Int64))
        .sort(pl.col("group") == "対照群", pl.col("period") == "介入後")
    )
    pre_periods = np.unique(time[post == 0]).size
    pre_trend = (
        pre_trend_check(
            data,
            outcome_col=outcome_col,
            treated_col=treated_col,
            time_col=time_col,
            intervention=intervention,
            alpha=alpha,
        )
        if pre_periods >= 2
        else None
    )
    return DifferenceInDifferences(
        outcome_col=outcome_col,
        estimate=estimate,
        ci=ci,
        p_value=p,
        n_obs=data.height,
        standard_errors=errors,
        alpha=alpha,
        means=means,
        pre_trend=pre_trend,
    )


# ---------------------------------------------------------------------------
# Forecast to the target year
# ---------------------------------------------------------------------------

#: Fewest 年度 a straight line is fitted to. With two the line passes through
#: both points and nothing is left to measure the year-to-year scatter.
FORECAST_MIN_YEARS = 3
#: Fewest 年度 behind a probability of reaching the target. Below six (four
#: residual degrees of freedom) the scatter itself is too uncertain for a
#: percentage: with 4 年度 (df = 2) the true scatter could be anywhere from
#: 0.52 to 6.3 times the estimate (95 % range); lesson 03's 4-year "約1%"
#: becomes about 9 % at 6.3 times.
PROBABILITY_MIN_YEARS = 6


def _check_direction(direction: str) -> None:
    if direction not in ("increase", "decrease", "maintain"):
        raise ValueError(
            f"direction は 'increase'（増やす）、'decrease'（減らす）、'maintain'（維持）の"
            f"いずれかにしてください（指定値：{direction!r}）"
        )


def _probability(mean: float, se: float, df: float, target: float, direction: str) -> float:
    from scipy.stats import t

    _check_direction(direction)
    if se == 0:
        reached = mean <= target if direction == "decrease" else mean >= target
        return 1.0 if reached else 0.0
    z = (target - mean) / se
    return float(t.cdf(z, df) if direction == "decrease" else t.sf(z, df))


@dataclass(frozen=True, eq=False)
class Forecast(_Summarised):
    """Linear-trend forecast of a yearly value, with a prediction interval.

    ``target_years`` is one year, or the years whose average is judged (e.g.
    FY2025–FY2027 for 時間外勤務). Years of that period that are already
    observed enter the average as observed values; the rest are predicted.
    ``path`` has ``fiscal_year, observed, fitted, ci_lower, ci_upper,
    pi_lower, pi_upper`` for charts. ``probability`` is the chance of reaching
    ``target_value`` under the fitted trend: None without a target, or when
    fewer than :data:`PROBABILITY_MIN_YEARS` 年度 were fitted
    (``probability_withheld`` then says why).

    A forecast is a statement under assumptions: :attr:`caveat` lists them in
    Japanese, and any chart note or report that shows the forecast or its
    probability must carry it — :meth:`note` builds such a note.
    """

    value_col: str
    target_years: tuple[int, ...]
    mean: float
    lower: float
    upper: float
    se_prediction: float
    df_resid: float
    n_years: int
    years_used: tuple[int, int]
    alpha: float
    path: pl.DataFrame
    target_value: float | None = None
    direction: str | None = None
    probability: float | None = None
    probability_withheld: str | None = None
    break_year: int | None = None
    later_breaks: tuple[int, ...] = ()

    def probability_of_reaching(self, target_value: float, direction: Direction) -> float:
        """P(value ≤ target) for ``decrease``, P(value ≥ target) for ``increase``/``maintain``.

        From the predictive t distribution (mean, prediction standard error,
        residual degrees of freedom). Refused below :data:`PROBABILITY_MIN_YEARS` 年度.
        """
        if self.n_years < PROBABILITY_MIN_YEARS:
            raise ValueError(_withheld(self.n_years))
        return _probability(self.mean, self.se_prediction, self.df_resid, target_value, direction)

    @property
    def assumptions(self) -> tuple[str, ...]:
        """What the forecast assumes, one Japanese sentence each."""
        first, last = self.years_used
        sentences = [
            f"{first}〜{last}年度の{self.n_years}年度分の値に直線をあてはめ、その傾向がそのまま"
            "続くと仮定しています（新しい施策の効果や災害などの変化は含みません）。",
            "年ごとのばらつきは過去と同じ大きさで、年どうし独立と仮定しています"
            f"（予測区間は自由度{self.df_resid:.0f}のt分布によります）。",
        ]
        if self.break_year is not None:
            sentences.append(
                f"{self.break_year}年度に構造変化があるため、{self.break_year}年度以降だけで"
                "直線をあてはめました（それより前の年度は使っていません）。"
            )
        for year in self.later_breaks:
            sentences.append(f"{year}年度からの構造変化は予測に含まれていません。")
        if self.n_years < PROBABILITY_MIN_YEARS:
            sentences.append(
                f"{self.n_years}年度分しかないため、予測は大きく外れる可能性があります。"
            )
        if self.probability is not None:
            sentences.append(
                "目標に届く確率は、これらの仮定がすべて正しい場合の目安です。"
                "直線という仮定そのものが外れる可能性は含まないため、"
                "実際に目標に届く確率を示すものではありません。"
            )
        return tuple(sentences)

    @property
    def caveat(self) -> str:
        """The assumptions as one Japanese paragraph, to print with the forecast."""
        return "予測の前提：" + "".join(self.assumptions)

    def _what(self) -> str:
        years = self.target_years
        return f"{years[0]}年度" if len(years) == 1 else f"{years[0]}〜{years[-1]}年度の平均"

    def _digits(self) -> int:
        return _decimals((self.upper - self.lower) / 10) if self.upper > self.lower else 1

    def _reach(self) -> str | None:
        if self.probability is None:
            return None
        word = "以下" if self.direction == "decrease" else "以上"
        target = _num(self.target_value, self._digits())
        return f"目標 {target}{word}に届く確率（目安）：約{self.probability * 100:.0f}%"

    def note(self) -> str:
        """A chart note or report sentence: the forecast, its probability and its caveat."""
        digits = self._digits()
        text = (
            f"{self._what()}の予測 {_num(self.mean, digits)}（{_level(self.alpha)}予測区間 "
            f"{_num(self.lower, digits)}〜{_num(self.upper, digits)}）"
        )
        reach = self._reach()  # None exactly when there is no probability
        if reach is not None:
            text += "、" + reach
        return text + "。" + self.caveat

    def summary(self) -> str:
        digits = self._digits()
        low, high = _num(self.lower, digits), _num(self.upper, digits)
        first, last = self.years_used
        lines = [
            f"{self.value_col} の予測（{first}〜{last}年度の {self.n_years} 年度分に直線をあてはめ）",
            f"- {self._what()}：{_num(self.mean, digits)}（{_level(self.alpha)}予測区間 {low}〜{high}）",
        ]
        if self._reach():
            lines.append(f"- {self._reach()}")
        if self.probability_withheld:
            lines.append(f"- {self.probability_withheld}")
        lines.append("前提：")
        lines += [f"- {sentence}" for sentence in self.assumptions]
        return "\n".join(lines)


def _withheld(n_years: int) -> str:
    return (
        f"目標に届く確率は、{PROBABILITY_MIN_YEARS}年度以上のデータがあるときだけ示します"
        f"（いまは{n_years}年度）。点が少ないと年ごとのばらつきの大きさ自体がわからず、"
        "確率の数字が信頼できないためです。"
    )


def forecast(
    df: pl.DataFrame,
    *,
    value_col: str,
    time_col: str = "fiscal_year",
    target_year: int | Sequence[int] = 2027,
    target_value: float | None = None,
    direction: Direction | None = None,
    since: int | None = None,
    breaks: Sequence[int] = (),
    alpha: float = 0.05,
) -> Forecast:
    """Forecast a yearly value to the target year by an OLS line on 年度.

    Parameters
    ----------
    df : one row per 年度.
    value_col, time_col : value and integer 年度 columns.
    target_year : a year, or several years whose average is the target
        (``range(2025, 2028)`` for a 推進期間の平均 target).
    target_value, direction : if both given, ``probability`` is filled in
        (from :data:`PROBABILITY_MIN_YEARS` fitted 年度 on).
    since : first 年度 used for the fit (e.g. to leave out an old regime).
    breaks : 年度 in which a known structural break starts (a new system, a
        merger, a changed definition). A straight line is never fitted across
        one: without ``since`` the fit starts at the last break inside the
        data, and says so; a ``since`` before such a break is refused. Breaks
        after the data are listed in the caveat.
    alpha : 1 − level of the prediction interval.

    The prediction interval uses the t distribution with n − 2 degrees of
    freedom, so it widens as the number of 年度 falls (for the same scatter).

    Raises
    ------
    ValueError
        Fewer than :data:`FORECAST_MIN_YEARS` 年度 to fit, a ``since`` across a
        break, duplicate years, or a target value without a direction.
    """
    from scipy.stats import t
    from statsmodels.tools.tools import add_constant

    if (target_value is None) != (direction is None):
        raise ValueError(
            "目標に届く確率を計算するには target_value と direction の両方を指定してください"
        )
    if direction is not None:
        _check_direction(direction)
    everything = _yearly_rows(df, time_col, value_col)
    data, break_year, later = _fitted_rows(everything, time_col, since, breaks)
    years = [int(y) for y in ([target_year] if isinstance(target_year, int) else target_year)]
    if not years:
        raise ValueError("target_year を1つ以上指定してください")
    x = data[time_col].cast(pl.Float64).to_numpy()
    y = data[value_col].cast(pl.Float64).to_numpy()
    result = _fit(y, add_constant(x, has_constant="add"), cov_type="nonrobust")
    observed = dict(everything.select(time_col, pl.col(value_col).cast(pl.Float64)).iter_rows())
    mean, se = _target_mean(result, observed, years)
    half = float(t.ppf(1 - alpha / 2, result.df_resid)) * se
    probability, withheld = None, None
    if target_value is not None and direction is not None:
        if data.height >= PROBABILITY_MIN_YEARS:
            probability = _probability(mean, se, float(result.df_resid), target_value, direction)
        else:
            withheld = _withheld(data.height)
    return Forecast(
        value_col=value_col,
        target_years=tuple(years),
        mean=mean,
        lower=mean - half,
        upper=mean + half,
        se_prediction=se,
        df_resid=float(result.df_resid),
        n_years=data.height,
        years_used=(int(x.min()), int(x.max())),
        alpha=alpha,
        path=_forecast_path(result, data, time_col, value_col, max(years), alpha),
        target_value=target_value,
        direction=direction,
        probability=probability,
        probability_withheld=withheld,
        break_year=break_year,
        later_breaks=later,
    )


def _yearly_rows(df: pl.DataFrame, time_col: str, value_col: str) -> pl.DataFrame:
    """The rows with a value, one per integer 年度."""
    everything = _drop_null(df, [time_col, value_col])
    if not everything.schema[time_col].is_integer():
        raise ValueError(f"{time_col}列は年度（整数）にしてください")
    if everything[time_col].is_duplicated().any():
        raise ValueError(f"{time_col}列に同じ年度の行が複数あります（1年度1行にしてください）")
    return everything


def _fitted_rows(
    everything: pl.DataFrame, time_col: str, since: int | None, breaks: Sequence[int]
) -> tuple[pl.DataFrame, int | None, tuple[int, ...]]:
    """The rows the line is fitted to (from ``since``, after the last break inside the data),
    that break and the breaks after the data; refused below :data:`FORECAST_MIN_YEARS`."""
    data = everything if since is None else everything.filter(pl.col(time_col) >= since)
    break_year, later = _apply_breaks(data[time_col], breaks, since)
    if break_year is not None:
        data = data.filter(pl.col(time_col) >= break_year)
    if data.height < FORECAST_MIN_YEARS:
        after = f"{break_year}年度の構造変化より後は" if break_year is not None else ""
        raise ValueError(
            f"予測には{FORECAST_MIN_YEARS}年度以上のデータが必要です"
            f"（{after}{data.height}年度）。2年度以下では年ごとのばらつきを測れません"
        )
    return data, break_year, later


def _target_mean(result, observed: dict[int, float], years: list[int]) -> tuple[float, float]:
    """Mean of the target years and its prediction standard error: observed years enter as
    they are, the others as the line's prediction with the year-to-year scatter."""
    future = [year for year in years if year not in observed]
    known = sum(observed[year] for year in years if year in observed)
    if not future:
        return known / len(years), 0.0
    prediction = result.get_prediction(np.array([[1.0, float(np.mean(future))]]))
    m = len(future)
    pred_mean = float(np.asarray(prediction.predicted_mean)[0])
    se_mean = float(np.asarray(prediction.se_mean)[0])
    mean = (known + m * pred_mean) / len(years)
    return mean, math.sqrt(m**2 * se_mean**2 + m * result.scale) / len(years)


def _forecast_path(
    result, data: pl.DataFrame, time_col: str, value_col: str, last_target: int, alpha: float
) -> pl.DataFrame:
    """Every 年度 from the first fitted to the last target: observed value, fitted line, its
    confidence band and the prediction band, for charts."""
    from statsmodels.tools.tools import add_constant

    x = data[time_col].cast(pl.Float64).to_numpy()
    last = max(last_target, int(x.max()))
    path_years = np.arange(int(x.min()), last + 1, dtype=float)
    frame = result.get_prediction(add_constant(path_years, has_constant="add")).summary_frame(
        alpha=alpha
    )
    path = pl.DataFrame(
        {
            time_col: path_years.astype(np.int64),
            "fitted": frame["mean"].to_numpy(),
            "ci_lower": frame["mean_ci_lower"].to_numpy(),
            "ci_upper": frame["mean_ci_upper"].to_numpy(),
            "pi_lower": frame["obs_ci_lower"].to_numpy(),
            "pi_upper": frame["obs_ci_upper"].to_numpy(),
        }
    )
    observed_values = data.select(time_col, observed=pl.col(value_col).cast(pl.Float64))
    return (
        path.join(observed_values, on=time_col, how="left")
        .select(time_col, "observed", "fitted", "ci_lower", "ci_upper", "pi_lower", "pi_upper")
        .sort(time_col)
    )


def _apply_breaks(
    years: pl.Series, breaks: Sequence[int], since: int | None
) -> tuple[int | None, tuple[int, ...]]:
    """The break to fit after (None if none inside the data) and the breaks after the data."""
    if isinstance(breaks, int):
        breaks = [breaks]
    marks = sorted({int(b) for b in breaks})
    if years.is_empty():
        return None, ()
    # integer years without nulls (the caller drops nulls and checks the dtype)
    first, last = cast(int, years.min()), cast(int, years.max())
    inside = [b for b in marks if first < b <= last]
    later = tuple(b for b in marks if b > last)
    if inside and since is not None:
        raise ValueError(
            f"{inside[-1]}年度に構造変化があるため、それをまたいで直線をあてはめることは"
            f"できません（since={since}）。since={inside[-1]} 以降にしてください"
        )
    return (inside[-1] if inside else None), later
