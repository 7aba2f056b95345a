"""The KPI model: definitions, grade bands, grade names and the promotion period.

Everything the progress rule (:mod:`ebpm.kpi.progress`) and its readers share is defined
here once: the grade names, the reason texts, the one validation of band edges, and how
the promotion period (推進期間) is read from the KPI definitions.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

from ebpm.jp import shortest_decimals
from ebpm.kpi import grades as _grades

__all__ = [
    "DEFAULT_BANDS",
    "GRADES",
    "KPI",
    "KPI_ID_PATTERN",
    "REASONS",
    "GradeBands",
    "Progress",
    "format_band",
    "promotion_period",
]

Direction = Literal["increase", "decrease", "maintain"]
Aggregation = Literal["single_year", "cumulative"]
TargetBasis = Literal["final_year", "period_average"]

#: A KPI id becomes a chart's file name and an anchor in the report, so only these pass.
KPI_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"

#: Every grade, best first (defined with the one palette in :mod:`ebpm.kpi.grades`).
GRADES = _grades.GRADES

#: The one-line reason printed beside each grade. Every number in it is filled in already
#: formatted (:mod:`ebpm.kpi.display`), so a reason prints exactly what its column shows.
REASONS: dict[str, str] = {
    "no_actual": "実績値がありません",
    "incomplete_period": "推進期間（{period}）のうち{missing}の実績値がないため、期間平均で判定できません",
    "reached": "実績値 {actual}が目標値 {target}に到達しています",
    "reached_average": "推進期間（{period}）の平均 {actual}が目標値 {target}に到達しています",
    "not_reached": "目標年度の実績値 {actual}が目標値 {target}に届いていません",
    "not_reached_average": "推進期間（{period}）の平均 {actual}が目標値 {target}に届いていません",
    "below_level": "実績値 {actual}が維持すべき水準 {target}を下回っています",
    "wrong_way": "基準値より目標と逆の方向に動いています（進捗率 {progress}）",
    "no_time": "基準年度以前のため、ペースを評価できません",
    "on_track": "ペース{pace}が{on_track}以上です",
    "mostly": "ペース{pace}が{mostly}以上{on_track}未満です",
    "behind": "ペース{pace}が{mostly}未満です",
    "survey_within": (
        "基準値からの差 {change}ポイントは標本誤差の範囲（±{margin}ポイント）内で、"
        "変化したとは言えません（計算上の評価：{formula}）"
    ),
    "survey_beyond": "基準値からの差 {change}ポイントは標本誤差（±{margin}ポイント）を超えています",
    "survey_no_n": (
        "回答数（標本数）がないため、標本誤差を考慮した判定ができません"
        "（実績の sample_size 列に回答数を入力してください。計算上の評価：{formula}）"
    ),
    "base_n_assumed": "基準値の回答数は公表されていないため{n}と仮定",
}


def format_band(value: float) -> str:
    """A band edge as printed: ``1.0``, ``0.6``, ``0.75``."""
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


@dataclass(frozen=True)
class GradeBands:
    """Pace thresholds: 順調 when pace ≥ ``on_track``, 概ね順調 when pace ≥ ``mostly``.

    The one validation of band edges: build, status, report and charts all rely on it,
    so edges that cannot be drawn are refused before anything is written.

    >>> GradeBands(0.6, 0.6)
    Traceback (most recent call last):
    ...
    ValueError: 評価区分の境界は 0 ≦ 概ね順調の下限 < 順調の下限 としてください（指定値：順調 0.6、概ね順調 0.6）
    """

    on_track: float = 1.0
    mostly: float = 0.6

    def __post_init__(self) -> None:
        values = (self.on_track, self.mostly)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            raise ValueError(
                f"評価区分の境界は数値で指定してください（指定値：順調 {self.on_track!r}、"
                f"概ね順調 {self.mostly!r}）"
            )
        if not (all(math.isfinite(v) for v in values) and 0 <= self.mostly < self.on_track):
            raise ValueError(
                "評価区分の境界は 0 ≦ 概ね順調の下限 < 順調の下限 としてください"
                f"（指定値：順調 {self.on_track:g}、概ね順調 {self.mostly:g}）"
            )
        # Stored as floats so that 1 and 1.0 compare and print alike everywhere.
        object.__setattr__(self, "on_track", float(self.on_track))
        object.__setattr__(self, "mostly", float(self.mostly))

    def describe(self) -> str:
        """The band edges as printed under every chart and table (one wording everywhere)."""
        hi, lo = format_band(self.on_track), format_band(self.mostly)
        return (
            f"評価区分：達成 目標値に到達、順調 ペース≧{hi}、概ね順調 {lo}≦ペース<{hi}、"
            f"遅れ ペース<{lo}、悪化 進捗率<0、未達成 目標年度に目標値に届かない、"
            "変化なし（誤差の範囲） アンケート指標で基準値からの変化が標本誤差の範囲内、"
            "評価不能 実績値なし等。進捗率＝(実績値−基準値)÷(目標値−基準値)、"
            "ペース＝進捗率÷期待される進捗率（期待値の経路どおりなら1。"
            "直線の経路では基準年度から目標年度までのうち経過した割合）。"
            "ペースは小数第2位に四捨五入した値で判定。"
        )


DEFAULT_BANDS = GradeBands()


@dataclass(frozen=True)
class KPI:
    """One revision of a KPI definition, as published."""

    kpi_id: str
    name: str
    strategy_id: str
    aggregation: Aggregation
    unit: str
    direction: Direction
    base_fy: int
    base_value: float
    target_fy: int
    target_value: float
    revision: int = 1
    valid_from: dt.date = dt.date(2025, 2, 1)
    short_name: str = ""
    unit_corrected: str | None = None
    base_note: str | None = None
    target_basis: TargetBasis = "final_year"
    target_period_start_fy: int | None = None
    target_period_end_fy: int | None = None
    target_note: str | None = None
    is_survey: bool = False
    notes: str | None = None
    #: decimals of the published base and target text (``26.0`` → 1); None when unknown
    base_value_decimals: int | None = None
    target_value_decimals: int | None = None

    def __post_init__(self) -> None:
        if self.target_fy <= self.base_fy:
            raise ValueError(f"{self.kpi_id}: 目標年度は基準年度より後にしてください")
        if (self.direction == "maintain") != (self.base_value == self.target_value):
            raise ValueError(
                f"{self.kpi_id}: 維持目標（maintain）は基準値と目標値が同じ指標にだけ使えます"
            )
        if self.target_basis == "period_average":
            period = self.period
            if period is None:
                raise ValueError(f"{self.kpi_id}: 期間平均の目標には期間の始めと終わりが必要です")
            if period[0] > period[1] or period[0] <= self.base_fy:
                raise ValueError(
                    f"{self.kpi_id}: 期間平均の目標の期間は基準年度より後に、始め≦終わりで指定してください"
                    f"（指定値：{period[0]}〜{period[1]}年度、基準年度 {self.base_fy}）"
                )

    @property
    def period(self) -> tuple[int, int] | None:
        """The target period ``(first, last)`` fiscal year, when the definition names one."""
        start, end = self.target_period_start_fy, self.target_period_end_fy
        return None if start is None or end is None else (start, end)

    @property
    def value_decimals(self) -> int:
        """Decimals every value of this KPI is shown with: those of its published base/target.

        Falls back to the shortest text of the number (``26.0`` → 0) when the published
        text was not recorded.
        """
        return max(
            _published(self.base_value, self.base_value_decimals),
            _published(self.target_value, self.target_value_decimals),
        )

    @property
    def final_fy(self) -> int:
        """The year of the final judgement: the target year, or the end of an averaged period.

        From this year on, a KPI is either 達成 or not achieved (未達成/悪化).
        """
        period = self.period
        if self.target_basis == "period_average" and period is not None:
            return period[1]
        return self.target_fy


def _published(value: float, decimals: int | None) -> int:
    return decimals if decimals is not None else shortest_decimals(float(value))


def promotion_period(kpis: Iterable[KPI]) -> tuple[int, int] | None:
    """The strategy's promotion period (推進期間), read from the KPI definitions.

    The definitions carry it as ``target_period_start_fy``/``target_period_end_fy``; every
    KPI that names a period must name the same one. ``None`` when none does.

    >>> k = KPI("K10", "時間外", "3-1", "single_year", "時間", "decrease", 2023, 129, 2027, 100,
    ...         target_basis="period_average", target_period_start_fy=2025, target_period_end_fy=2027)
    >>> promotion_period([k])
    (2025, 2027)
    """
    periods = sorted({k.period for k in kpis if k.period is not None})
    if len(periods) > 1:
        listed = "、".join(f"{a}〜{b}年度" for a, b in periods)
        raise ValueError(
            f"KPI定義の推進期間（target_period_start_fy〜target_period_end_fy）が指標によって"
            f"異なります：{listed}（同じ期間にそろえてください）"
        )
    return periods[0] if periods else None


@dataclass(frozen=True)
class Progress:
    """A grade together with every number behind it.

    ``actual`` is always the year's own actual. When the target is a period average,
    the grade is judged on ``period_average`` (the mean of the period's actuals up to the
    year) against ``expected_period_average`` (the mean of the expected path over the same
    years); ``actual_basis`` says which (``single_year``, ``cumulative``,
    ``period_average`` or ``none``). ``formula_grade`` is the grade from the formulas
    alone; ``grade`` differs from it only for survey KPIs, whose change from the base
    within sampling error is 変化なし（誤差の範囲）.
    """

    kpi_id: str
    fiscal_year: int
    direction: Direction
    base_fy: int
    base_value: float
    target_fy: int
    target_value: float
    actual: float | None
    actual_basis: str
    actual_years: tuple[int, ...]
    elapsed: float
    expected: float
    progress: float | None
    pace: float | None
    grade: str
    reason: str
    bands: GradeBands = field(default=DEFAULT_BANDS)
    period_average: float | None = None
    expected_period_average: float | None = None
    expected_progress: float | None = None
    formula_grade: str = _grades.UNGRADED
    sample_size: int | None = None
    base_sample_size: int | None = None
    base_sample_size_assumed: bool | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    survey_change: float | None = None
    survey_margin: float | None = None
    #: decimals the values are shown with: published base/target/actual, derived values
    base_decimals: int | None = None
    target_decimals: int | None = None
    actual_decimals: int | None = None
    derived_decimals: int = 1

    @property
    def judged(self) -> float | None:
        """The value the grade is judged on: the period average, or the year's actual."""
        return self.period_average if self.actual_basis == "period_average" else self.actual

    def as_dict(self) -> dict[str, object]:
        row = asdict(self)
        bands = row.pop("bands")
        row["band_on_track"] = bands["on_track"]
        row["band_mostly"] = bands["mostly"]
        row["actual_years"] = list(self.actual_years)
        return row
