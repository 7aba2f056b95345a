"""The progress rule, as pure functions — the one source of every grade in ebpm.

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

The warehouse does not repeat this rule in SQL: ``ebpm build`` evaluates every KPI and
year with :func:`progress_frame` and stores the rows as the ``kpi_progress`` relation,
so a change to the rule here is seen by status, report, charts and notebooks alike.

>>> from ebpm.kpi.model import KPI
>>> copy_paper = KPI(kpi_id="K09", name="コピー用紙購入枚数", strategy_id="3-1",
...     aggregation="single_year", unit="枚", direction="decrease",
...     base_fy=2023, base_value=5_216_000, target_fy=2027, target_value=3_652_000)
>>> r = evaluate(copy_paper, {2025: 4_500_000}, 2025)
>>> round(r.progress, 3), r.expected, round(r.pace, 2), r.grade
(0.458, 4434000.0, 0.92, '概ね順調')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ebpm.kpi.model import (
    ACHIEVED,
    BEHIND,
    DEFAULT_BANDS,
    KPI,
    MOSTLY,
    ON_TRACK,
    REASONS,
    UNGRADED,
    WORSE,
    Direction,
    GradeBands,
    Progress,
    promotion_period,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "PROGRESS_COLUMNS",
    "elapsed_share",
    "evaluate",
    "expected_value",
    "grade_of",
    "judged_actual",
    "progress_frame",
    "progress_ratio",
]

#: Pace is rounded before it is compared with a band edge, so that float noise
#: (0.9999999999 for an exact 1.0) never moves a KPI that sits exactly on an edge.
PACE_DIGITS = 9


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
    period = kpi.period
    if kpi.target_basis == "period_average" and period and fiscal_year >= period[0]:
        last = min(fiscal_year, period[1])
        years = tuple(y for y in sorted(actuals) if period[0] <= y <= last)
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
        return UNGRADED, REASONS["no_actual"]
    if _reached(direction, actual, target):
        return ACHIEVED, REASONS["reached"]
    if direction == "maintain":
        return BEHIND, REASONS["below_level"]
    assert progress is not None
    if progress < 0:
        return WORSE, REASONS["wrong_way"]
    if pace is None or elapsed <= 0:
        return UNGRADED, REASONS["no_time"]
    edges = {"pace": pace, "on_track": bands.on_track, "mostly": bands.mostly}
    rounded = round(pace, PACE_DIGITS)
    if rounded >= bands.on_track:
        return ON_TRACK, REASONS["on_track"].format(**edges)
    if rounded >= bands.mostly:
        return MOSTLY, REASONS["mostly"].format(**edges)
    return BEHIND, REASONS["behind"].format(**edges)


def evaluate(
    kpi: KPI,
    actuals: Mapping[int, float],
    fiscal_year: int,
    bands: GradeBands = DEFAULT_BANDS,
) -> Progress:
    """Judge a KPI in ``fiscal_year`` from its yearly actuals ``{fiscal_year: value}``."""
    actual, basis, years = judged_actual(kpi, actuals, fiscal_year)
    elapsed = elapsed_share(kpi.base_fy, kpi.target_fy, fiscal_year)
    progress: float | None
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


# --- the kpi_progress relation ------------------------------------------------------------

#: Columns of ``kpi_progress`` (and of ``ebpm status --format json|csv``), in order, with
#: their polars types; the first block describes the KPI, the rest is the rule's output.
PROGRESS_SCHEMA: dict[str, str] = {
    "kpi_id": "String",
    "revision": "Int32",
    "name": "String",
    "short_name": "String",
    "field_id": "Int32",
    "field_name": "String",
    "strategy_id": "String",
    "strategy_name": "String",
    "unit": "String",
    "unit_corrected": "String",
    "aggregation": "String",
    "aggregation_label": "String",
    "direction": "String",
    "base_fy": "Int32",
    "base_value": "Float64",
    "base_note": "String",
    "target_fy": "Int32",
    "target_value": "Float64",
    "target_basis": "String",
    "target_note": "String",
    "is_survey": "Boolean",
    "fiscal_year": "Int32",
    "actual": "Float64",
    "actual_basis": "String",
    "actual_years": "List[Int32]",
    "sample_size": "Int64",
    "elapsed": "Float64",
    "expected": "Float64",
    "progress": "Float64",
    "pace": "Float64",
    "grade": "String",
    "reason": "String",
    "band_on_track": "Float64",
    "band_mostly": "Float64",
    "is_sample": "Boolean",
    "promotion_start_fy": "Int32",
    "promotion_end_fy": "Int32",
}
PROGRESS_COLUMNS: tuple[str, ...] = tuple(PROGRESS_SCHEMA)
_DESCRIPTION = PROGRESS_COLUMNS[: PROGRESS_COLUMNS.index("fiscal_year")]


def _polars_schema() -> dict[str, pl.DataType]:
    import polars as pl

    def dtype(name: str) -> pl.DataType:
        if name.startswith("List["):
            return pl.List(getattr(pl, name[5:-1])())
        return getattr(pl, name)()

    return {column: dtype(name) for column, name in PROGRESS_SCHEMA.items()}


def _kpi_of(row: Mapping[str, object]) -> KPI:
    fields = KPI.__dataclass_fields__
    return KPI(**{k: v for k, v in row.items() if k in fields})  # type: ignore[arg-type]


def plan_years(definitions: pl.DataFrame, actual_years: list[int]) -> list[int]:
    """Every year of the plan after the earliest base year, plus any year with actuals."""
    if definitions.height == 0:
        return sorted(set(actual_years))
    first = int(definitions["base_fy"].min()) + 1  # type: ignore[arg-type]
    last = int(definitions["target_fy"].max())  # type: ignore[arg-type]
    return sorted({*range(first, last + 1), *actual_years})


def progress_frame(
    definitions: pl.DataFrame,
    actuals: pl.DataFrame,
    bands: GradeBands = DEFAULT_BANDS,
) -> pl.DataFrame:
    """``kpi_progress``: every current KPI judged in every plan year, with its components.

    ``definitions`` are the current definitions joined with ``field_name`` and
    ``strategy_name``; ``actuals`` has ``kpi_id, fiscal_year, value, sample_size,
    is_sample``. Sorted by fiscal year and KPI.
    """
    import polars as pl

    kpis = {row["kpi_id"]: (row, _kpi_of(row)) for row in definitions.iter_rows(named=True)}
    period = promotion_period(kpi for _, kpi in kpis.values())
    by_kpi: dict[str, dict[int, dict[str, object]]] = {}
    for row in actuals.iter_rows(named=True):
        by_kpi.setdefault(row["kpi_id"], {})[row["fiscal_year"]] = row
    years = plan_years(
        definitions, actuals["fiscal_year"].unique().to_list() if actuals.height else []
    )
    rows = []
    for fiscal_year in years:
        for kpi_id in sorted(kpis):
            description, kpi = kpis[kpi_id]
            observed = by_kpi.get(kpi_id, {})
            values = {y: float(r["value"]) for y, r in observed.items()}  # type: ignore[arg-type]
            result = evaluate(kpi, values, fiscal_year, bands)
            used = [observed[y] for y in result.actual_years]
            own = observed.get(fiscal_year) if fiscal_year in result.actual_years else None
            rows.append(
                {
                    **{column: description[column] for column in _DESCRIPTION},
                    **result.as_dict(),
                    "sample_size": own["sample_size"] if own else None,
                    "is_sample": any(bool(r["is_sample"]) for r in used),
                    "promotion_start_fy": period[0] if period else None,
                    "promotion_end_fy": period[1] if period else None,
                }
            )
    return pl.DataFrame(
        [{column: row[column] for column in PROGRESS_COLUMNS} for row in rows],
        schema=_polars_schema(),
    )
