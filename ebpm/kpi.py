"""The strategy's KPIs and their progress evaluation, as pure functions.

Notation: base B in fiscal year y0, target T in year yT, judged actual A in year y.

- progress P = (A − B) / (T − B): the share of the gap closed, for both directions
  (never A/T: for copy paper T/A looks like 81 % when only 46 % of the gap is closed);
- expected value E(y) = B + (T − B)·(y − y0)/(yT − y0): the linear path;
- pace R = P ÷ ((y − y0)/(yT − y0)).

Grades (band edges configurable, defaults 1.0 and 0.6): 達成 when A is at or past T in
the KPI's direction; 順調 R ≥ 1.0; 概ね順調 0.6 ≤ R < 1.0; 遅れ 0 ≤ P and R < 0.6;
悪化 P < 0; 評価不能 when there is no actual (or no time has elapsed since the base).
A maintain KPI (T = B) is 達成 when A ≥ T, else 遅れ, and its progress is A/T.
A 累計 KPI's actual for year y is the cumulative value reported for y. A KPI whose
target is a period average (the overtime KPI) is judged on the mean of the actuals
available in that period up to year y.

>>> copy_paper = KPI(kpi_id="K09", name="コピー用紙購入枚数", strategy_id="3-1",
...     aggregation="single_year", unit="枚", direction="decrease",
...     base_fy=2023, base_value=5_216_000, target_fy=2027, target_value=3_652_000)
>>> r = evaluate(copy_paper, {2025: 4_500_000}, 2025)
>>> round(r.progress, 3), r.expected, round(r.pace, 2), r.grade
(0.458, 4434000.0, 0.92, '概ね順調')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal

__all__ = [
    "DEFAULT_BANDS",
    "GRADES",
    "KPI",
    "GradeBands",
    "Progress",
    "elapsed_share",
    "evaluate",
    "expected_value",
    "grade_of",
    "judged_actual",
    "progress_ratio",
]

Direction = Literal["increase", "decrease", "maintain"]
Aggregation = Literal["single_year", "cumulative"]
TargetBasis = Literal["final_year", "period_average"]

#: In the order a reader scans them, best first.
GRADES: tuple[str, ...] = ("達成", "順調", "概ね順調", "遅れ", "悪化", "評価不能")
#: Pace is rounded before it is compared with a band edge, so that SQL and Python agree
#: on values that sit exactly on an edge.
PACE_DIGITS = 9


@dataclass(frozen=True)
class GradeBands:
    """Pace thresholds: 順調 when pace ≥ ``on_track``, 概ね順調 when pace ≥ ``mostly``."""

    on_track: float = 1.0
    mostly: float = 0.6

    def __post_init__(self) -> None:
        if not 0 <= self.mostly <= self.on_track:
            raise ValueError("評価区分の境界は 0 ≦ 概ね順調 ≦ 順調 としてください")

    def describe(self) -> str:
        """The band edges as printed under every chart and table (one wording everywhere)."""
        hi, lo = format_band(self.on_track), format_band(self.mostly)
        return (
            f"評価区分：達成 目標値に到達、順調 ペース≧{hi}、概ね順調 {lo}≦ペース<{hi}、"
            f"遅れ ペース<{lo}、悪化 進捗率<0、評価不能 実績値なし等。"
            "進捗率＝(実績値−基準値)÷(目標値−基準値)、"
            "ペース＝進捗率÷経過割合（基準年度から目標年度までの期間のうち経過した割合）。"
        )


def format_band(value: float) -> str:
    """A band edge as printed: ``1.0``, ``0.6``, ``0.75``."""
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


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

    def __post_init__(self) -> None:
        if self.target_fy <= self.base_fy:
            raise ValueError(f"{self.kpi_id}: 目標年度は基準年度より後にしてください")
        if (self.direction == "maintain") != (self.base_value == self.target_value):
            raise ValueError(
                f"{self.kpi_id}: 維持目標（maintain）は基準値と目標値が同じ指標にだけ使えます"
            )
        if self.target_basis == "period_average" and (
            self.target_period_start_fy is None or self.target_period_end_fy is None
        ):
            raise ValueError(f"{self.kpi_id}: 期間平均の目標には期間の始めと終わりが必要です")


@dataclass(frozen=True)
class Progress:
    """A grade together with every number behind it."""

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

    def as_dict(self) -> dict[str, object]:
        row = asdict(self)
        bands = row.pop("bands")
        row["band_on_track"] = bands["on_track"]
        row["band_mostly"] = bands["mostly"]
        row["actual_years"] = list(self.actual_years)
        return row


def progress_ratio(actual: float, base: float, target: float) -> float:
    """P = (A − B) / (T − B), the share of the gap from base to target closed.

    >>> progress_ratio(120, 129, 100)  # decrease-type: 9 of 29 hours closed
    0.3103448275862069
    """
    if target == base:
        raise ValueError("基準値と目標値が同じ（維持目標）では進捗率を定義できません")
    return (actual - base) / (target - base) + 0.0  # + 0.0 turns -0.0 into 0.0


def elapsed_share(base_fy: int, target_fy: int, fiscal_year: int) -> float:
    """(y − y0) / (yT − y0): how much of the plan's time has passed."""
    return (fiscal_year - base_fy) / (target_fy - base_fy)


def expected_value(
    base: float, target: float, base_fy: int, target_fy: int, fiscal_year: int
) -> float:
    """E(y) = B + (T − B)·(y − y0)/(yT − y0), the value on the straight path to the target.

    >>> expected_value(26, 90, 2023, 2027, 2025)
    58.0
    """
    return base + (target - base) * elapsed_share(base_fy, target_fy, fiscal_year)


def judged_actual(
    kpi: KPI, actuals: Mapping[int, float], fiscal_year: int
) -> tuple[float | None, str, tuple[int, ...]]:
    """The value a KPI is judged on in ``fiscal_year``: ``(value, basis, years used)``.

    For a period-average target, the mean of the available actuals from the period's
    first year up to ``fiscal_year`` (before the period starts, the year's own value).
    """
    if kpi.target_basis == "period_average" and fiscal_year >= kpi.target_period_start_fy:  # type: ignore[operator]
        last = min(fiscal_year, kpi.target_period_end_fy)  # type: ignore[type-var]
        years = tuple(y for y in sorted(actuals) if kpi.target_period_start_fy <= y <= last)  # type: ignore[operator]
        if not years:
            return None, "none", ()
        return sum(actuals[y] for y in years) / len(years), "period_average", years
    if fiscal_year in actuals:
        return float(actuals[fiscal_year]), kpi.aggregation, (fiscal_year,)
    return None, "none", ()


def _reached(direction: Direction, actual: float, target: float) -> bool:
    if direction == "decrease":
        return actual <= target
    return actual >= target  # increase, and maintain: at least the level to keep


def grade_of(
    direction: Direction,
    actual: float | None,
    target: float,
    progress: float | None,
    pace: float | None,
    elapsed: float,
    bands: GradeBands = DEFAULT_BANDS,
) -> tuple[str, str]:
    """The grade and a one-line Japanese reason."""
    if actual is None:
        return "評価不能", "実績値がありません"
    if _reached(direction, actual, target):
        return "達成", "目標値に到達しています"
    if direction == "maintain":
        return "遅れ", "維持すべき水準を下回っています"
    assert progress is not None
    if progress < 0:
        return "悪化", "基準値より目標と逆の方向に動いています"
    if pace is None or elapsed <= 0:
        return "評価不能", "基準年度以前のため、ペースを評価できません"
    rounded = round(pace, PACE_DIGITS)
    if rounded >= bands.on_track:
        return "順調", f"ペース{pace:.2f}が{bands.on_track:g}以上です"
    if rounded >= bands.mostly:
        return "概ね順調", f"ペース{pace:.2f}が{bands.mostly:g}以上{bands.on_track:g}未満です"
    return "遅れ", f"ペース{pace:.2f}が{bands.mostly:g}未満です"


def evaluate(
    kpi: KPI,
    actuals: Mapping[int, float],
    fiscal_year: int,
    bands: GradeBands = DEFAULT_BANDS,
) -> Progress:
    """Judge a KPI in ``fiscal_year`` from its yearly actuals ``{fiscal_year: value}``."""
    actual, basis, years = judged_actual(kpi, actuals, fiscal_year)
    elapsed = elapsed_share(kpi.base_fy, kpi.target_fy, fiscal_year)
    if kpi.direction == "maintain":
        expected = float(kpi.target_value)
        progress = None if actual is None else actual / kpi.target_value
        pace = None
    else:
        expected = expected_value(
            kpi.base_value, kpi.target_value, kpi.base_fy, kpi.target_fy, fiscal_year
        )
        progress = (
            None if actual is None else progress_ratio(actual, kpi.base_value, kpi.target_value)
        )
        pace = None if progress is None or elapsed <= 0 else progress / elapsed + 0.0
    grade, reason = grade_of(
        kpi.direction, actual, kpi.target_value, progress, pace, elapsed, bands
    )
    return Progress(
        kpi_id=kpi.kpi_id,
        fiscal_year=fiscal_year,
        direction=kpi.direction,
        base_fy=kpi.base_fy,
        base_value=kpi.base_value,
        target_fy=kpi.target_fy,
        target_value=kpi.target_value,
        actual=actual,
        actual_basis=basis,
        actual_years=years,
        elapsed=elapsed,
        expected=expected,
        progress=progress,
        pace=pace,
        grade=grade,
        reason=reason,
        bands=bands,
    )
