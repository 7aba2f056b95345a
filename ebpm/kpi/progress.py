"""The progress rule, as pure functions — the one source of every grade in ebpm.

Notation: base B in fiscal year y0, target T in year yT, judged actual A in year y.

- progress P = (A − B) / (T − B): the share of the gap closed, for both directions
  (never A/T: for copy paper T/A looks like 81 % when only 46 % of the gap is closed);
- expected value E(y) = B + (T − B)·(y − y0)/(yT − y0): the linear path;
- pace R = P ÷ P_E, where P_E = (E − B)/(T − B) is the progress the expected path has made
  by then — on the straight path P_E is the elapsed share (y − y0)/(yT − y0).

Grades (band edges configurable, defaults 1.0 and 0.6): 達成 when A is at or past T in
the KPI's direction; 順調 R ≥ 1.0; 概ね順調 0.6 ≤ R < 1.0; 遅れ 0 ≤ P and R < 0.6;
悪化 P < 0; 評価不能 when the year has no actual (or no time has elapsed since the base).
From the final year on (the target year, or the end of a period-average target) a KPI is
達成, 未達成, or 悪化 — 概ね順調 and 遅れ no longer make sense. A maintain KPI (T = B) is
達成 when A ≥ T, else 遅れ (未達成 in the final year), and its progress is A/T.
A 累計 KPI's actual for year y is the cumulative value reported for y.

**Period-average targets** (K10, ※推進期間の平均: the mean over the period p1…p2 must reach
T). The expected path is the straight line from B whose mean over the period equals T:
E(y) = B + (T − B)·(y − y0)/(m − y0) with m = (p1 + p2)/2, so following it exactly means
reaching T on average. Inside the period a year is judged on the mean of the period's
actuals up to y (the *period average*) against the mean of E over the same years; a year
without its own actual is 評価不能, and the final year needs every year of the period.

**Survey shares** (``is_survey``): the formula grade is kept as ``formula_grade``; when the
change from the base is within sampling error (:func:`ebpm.survey.two_proportion_test`,
two-sided 5 %; an unknown base n is assumed equal to the year's n) the grade is
変化なし（誤差の範囲）. Without the year's sample size the grade is 評価不能.

**Rounding.** Values are computed as decimals from the shortest text of each number, and
every threshold is applied to the number as shown (:mod:`ebpm.kpi.display`): pace to two
decimals, progress to 0.1 %, a period average to its shown decimals. So 「ペース1.00」 is
never 概ね順調 and a printed average of 100.0 is never 未達成 against 100.

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
from decimal import Decimal
from typing import TYPE_CHECKING

from ebpm.jp import (
    fiscal_period_label,
    fiscal_year_label,
    round_half_up,
    shortest_decimals,
    to_decimal,
)
from ebpm.kpi.display import (
    PACE_DIGITS,
    PROGRESS_DIGITS,
    derived_decimals,
    display_unit,
    pace_text,
    points_text,
    progress_text,
    value_text,
)
from ebpm.kpi.grades import (
    ACHIEVED,
    BEHIND,
    MOSTLY,
    NEUTRAL,
    NOT_ACHIEVED,
    ON_TRACK,
    UNGRADED,
    WORSE,
)
from ebpm.kpi.model import (
    DEFAULT_BANDS,
    KPI,
    REASONS,
    Direction,
    GradeBands,
    Progress,
    format_band,
    promotion_period,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "PROGRESS_COLUMNS",
    "elapsed_share",
    "evaluate",
    "expected_path",
    "expected_value",
    "judged_actual",
    "progress_frame",
    "progress_ratio",
]


def progress_ratio(actual: float, base: float, target: float) -> float:
    """P = (A − B) / (T − B), the share of the gap from base to target closed.

    >>> progress_ratio(120, 129, 100)  # decrease-type: 9 of 29 hours closed
    0.3103448275862069
    """
    if target == base:
        raise ValueError("基準値と目標値が同じ（維持目標）では進捗率を定義できません")
    ratio = (to_decimal(actual) - to_decimal(base)) / (to_decimal(target) - to_decimal(base))
    return float(ratio) + 0.0  # + 0.0 turns -0.0 into 0.0


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
    return float(_straight(to_decimal(base), to_decimal(target), base_fy, target_fy, fiscal_year))


def _straight(base: Decimal, target: Decimal, base_fy: int, target_fy: int, year: int) -> Decimal:
    return base + (target - base) * (year - base_fy) / (target_fy - base_fy)


def _path(kpi: KPI, fiscal_year: int) -> Decimal:
    """The expected path as a decimal: straight to T, or with its period mean equal to T."""
    base, target = to_decimal(kpi.base_value), to_decimal(kpi.target_value)
    period = kpi.period
    if kpi.target_basis == "period_average" and period is not None:
        middle = Decimal(period[0] + period[1]) / 2
        return base + (target - base) * (fiscal_year - kpi.base_fy) / (middle - kpi.base_fy)
    return _straight(base, target, kpi.base_fy, kpi.target_fy, fiscal_year)


def expected_path(kpi: KPI, fiscal_year: int) -> float:
    """E(y) of a KPI: the straight path to the target, or — for a period-average target —
    the straight path from the base whose mean over the period equals the target.

    >>> k10 = KPI("K10", "時間外", "3-1", "single_year", "時間", "decrease", 2023, 129, 2027, 100,
    ...           target_basis="period_average", target_period_start_fy=2025,
    ...           target_period_end_fy=2027)
    >>> [round(expected_path(k10, y), 2) for y in (2025, 2026, 2027)]  # mean 100
    [109.67, 100.0, 90.33]
    """
    return float(_path(kpi, fiscal_year))


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def judged_actual(
    kpi: KPI, actuals: Mapping[int, float], fiscal_year: int
) -> tuple[float | None, str, tuple[int, ...]]:
    """The value a KPI is judged on in ``fiscal_year``: ``(value, basis, years used)``.

    For a period-average target inside the period, the mean of the period's actuals from
    its first year up to ``fiscal_year`` — ``None`` when the year has no actual of its own,
    or (in the final year) when any year of the period is missing.
    """
    judged, basis, years, _ = _judged(kpi, actuals, fiscal_year)
    return (None if judged is None else float(judged)), basis, years


def _judged(
    kpi: KPI, actuals: Mapping[int, float], fiscal_year: int
) -> tuple[Decimal | None, str, tuple[int, ...], tuple[int, ...]]:
    """``(value, basis, years used, years missing from a period average)``."""
    period = kpi.period
    if kpi.target_basis == "period_average" and period and fiscal_year >= period[0]:
        last = min(fiscal_year, period[1])
        span = range(period[0], last + 1)
        years = tuple(y for y in span if y in actuals)
        missing = tuple(y for y in span if y not in actuals)
        if fiscal_year <= period[1] and fiscal_year not in actuals:
            return None, "none", (), missing
        if not years or (fiscal_year >= kpi.final_fy and missing):
            return None, "none", (), missing
        return _mean([to_decimal(actuals[y]) for y in years]), "period_average", years, ()
    if fiscal_year in actuals:
        return to_decimal(actuals[fiscal_year]), kpi.aggregation, (fiscal_year,), ()
    return None, "none", (), ()


def _reached(direction: Direction, actual: Decimal, target: Decimal) -> bool:
    if direction == "decrease":
        return actual <= target
    return actual >= target  # increase, and maintain: at least the level to keep


def _years_text(years: tuple[int, ...]) -> str:
    return "・".join(fiscal_year_label(y) for y in years)


def evaluate(
    kpi: KPI,
    actuals: Mapping[int, float],
    fiscal_year: int,
    bands: GradeBands = DEFAULT_BANDS,
    *,
    sample_sizes: Mapping[int, int | None] | None = None,
    decimals: Mapping[int, int | None] | None = None,
    base_sample_size: int | None = None,
) -> Progress:
    """Judge a KPI in ``fiscal_year`` from its yearly actuals ``{fiscal_year: value}``.

    Parameters
    ----------
    kpi, actuals, fiscal_year, bands
        The definition, its actuals by year, the year judged and the pace band edges.
    sample_sizes
        Survey KPIs: the number of answers behind each year's share ``{fiscal_year: n}``.
        Without the judged year's n a survey KPI is 評価不能.
    decimals
        Decimals of each actual as published (``48.0`` → 1); by default those of the
        number's shortest text. They set how period averages are shown and rounded.
    base_sample_size
        The base survey's number of answers; ``None`` (unknown) assumes the judged year's.
    """
    judged, basis, years, missing = _judged(kpi, actuals, fiscal_year)
    own = actuals.get(fiscal_year)
    base, target = to_decimal(kpi.base_value), to_decimal(kpi.target_value)
    final = fiscal_year >= kpi.final_fy
    recorded = decimals or {}
    kpi_decimals = kpi.value_decimals
    used_decimals = [
        d if (d := recorded.get(y)) is not None else shortest_decimals(float(actuals[y]))
        for y in years
    ]
    shown_digits = derived_decimals(kpi_decimals, *used_decimals)
    averaged = basis == "period_average"
    if judged is not None and averaged:
        judged = round_half_up(judged, shown_digits)  # judged as shown (see the module doc)
    expected = _path(kpi, fiscal_year)
    expected_judged = _mean([_path(kpi, y) for y in years]) if averaged else expected

    progress: Decimal | None = None
    pace: Decimal | None = None
    expected_progress: Decimal | None = None
    if kpi.direction == "maintain":
        expected = target
        expected_judged = target
        progress = None if judged is None else judged / target
    else:
        expected_progress = (expected_judged - base) / (target - base)
        if judged is not None:
            progress = (judged - base) / (target - base)
            if expected_progress > 0:
                pace = progress / expected_progress

    unit = display_unit({"unit": kpi.unit, "unit_corrected": kpi.unit_corrected})
    own_decimals = recorded.get(fiscal_year)
    actual_decimals = max(
        own_decimals if own_decimals is not None else shortest_decimals(float(own or 0)),
        kpi_decimals,
    )
    shown = {
        "actual": (
            value_text(float(judged), shown_digits if averaged else actual_decimals) + unit
            if judged is not None
            else ""
        ),
        "target": value_text(float(target), kpi_decimals) + unit,
        "progress": progress_text(None if progress is None else float(progress)),
        "pace": pace_text(None if pace is None else float(pace)),
        "on_track": format_band(bands.on_track),
        "mostly": format_band(bands.mostly),
        "period": fiscal_period_label(*kpi.period) if kpi.period else "",
        "missing": _years_text(missing),
    }
    formula, reason = _formula_grade(
        kpi, judged, target, progress, pace, final, averaged, bool(missing), bands, shown
    )
    survey = _survey(
        kpi, own, (sample_sizes or {}).get(fiscal_year), base_sample_size, formula, reason
    )
    return Progress(
        kpi_id=kpi.kpi_id,
        fiscal_year=fiscal_year,
        direction=kpi.direction,
        base_fy=kpi.base_fy,
        base_value=kpi.base_value,
        target_fy=kpi.target_fy,
        target_value=kpi.target_value,
        actual=None if own is None else float(own),
        actual_basis=basis,
        actual_years=years,
        elapsed=elapsed_share(kpi.base_fy, kpi.target_fy, fiscal_year),
        expected=float(expected),
        progress=_float(progress),
        pace=_float(pace),
        grade=survey.pop("grade"),  # type: ignore[arg-type]
        reason=survey.pop("reason"),  # type: ignore[arg-type]
        bands=bands,
        period_average=float(judged) if averaged and judged is not None else None,
        expected_period_average=float(expected_judged) if averaged else None,
        expected_progress=_float(expected_progress),
        formula_grade=formula,
        base_decimals=_published(kpi.base_value_decimals, kpi.base_value),
        target_decimals=_published(kpi.target_value_decimals, kpi.target_value),
        actual_decimals=None if own is None else actual_decimals,
        derived_decimals=shown_digits,
        **survey,  # type: ignore[arg-type]
    )


def _published(decimals: int | None, value: float) -> int:
    return decimals if decimals is not None else shortest_decimals(float(value))


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value) + 0.0


def _formula_grade(
    kpi: KPI,
    judged: Decimal | None,
    target: Decimal,
    progress: Decimal | None,
    pace: Decimal | None,
    final: bool,
    averaged: bool,
    incomplete: bool,
    bands: GradeBands,
    shown: dict[str, str],
) -> tuple[str, str]:
    """The grade from the formulas alone, and its reason with the numbers as shown."""
    if judged is None:
        if incomplete and final and kpi.target_basis == "period_average":
            return UNGRADED, REASONS["incomplete_period"].format(**shown)
        return UNGRADED, REASONS["no_actual"]
    if _reached(kpi.direction, judged, target):
        return ACHIEVED, REASONS["reached_average" if averaged else "reached"].format(**shown)
    if kpi.direction == "maintain":
        return (NOT_ACHIEVED if final else BEHIND), REASONS["below_level"].format(**shown)
    assert progress is not None
    if round_half_up(progress * 100, PROGRESS_DIGITS) < 0:
        return WORSE, REASONS["wrong_way"].format(**shown)
    if final:
        return NOT_ACHIEVED, REASONS["not_reached_average" if averaged else "not_reached"].format(
            **shown
        )
    if pace is None:
        return UNGRADED, REASONS["no_time"]
    rounded = round_half_up(pace, PACE_DIGITS)
    if rounded >= to_decimal(bands.on_track):
        return ON_TRACK, REASONS["on_track"].format(**shown)
    if rounded >= to_decimal(bands.mostly):
        return MOSTLY, REASONS["mostly"].format(**shown)
    return BEHIND, REASONS["behind"].format(**shown)


def _survey(
    kpi: KPI,
    actual: float | None,
    sample_size: int | None,
    base_sample_size: int | None,
    formula: str,
    reason: str,
) -> dict[str, object]:
    """The headline grade of a survey KPI and its sampling components (others: unchanged)."""
    out: dict[str, object] = {"grade": formula, "reason": reason}
    if not kpi.is_survey or actual is None:
        return out
    n = sample_size if sample_size is not None and sample_size > 0 else None
    if n is None:
        if formula != UNGRADED:
            out |= {"grade": UNGRADED, "reason": REASONS["survey_no_n"].format(formula=formula)}
        return out
    from ebpm.survey import proportion_ci, two_proportion_test

    ci = proportion_ci(actual, n)
    test = two_proportion_test(kpi.base_value, base_sample_size, actual, n)
    out |= {
        "sample_size": n,
        "ci_lower": ci.lower,
        "ci_upper": ci.upper,
        "base_sample_size": test.n_before,
        "base_sample_size_assumed": test.n_before_assumed,
        "survey_change": test.difference,
        "survey_margin": test.detectable,
    }
    if formula == UNGRADED:
        return out
    spread = {
        "change": points_text(test.difference),
        "margin": points_text(test.detectable, signed=False),
        "formula": formula,
    }
    assumed = (
        "。" + REASONS["base_n_assumed"].format(n=f"{test.n_before:,}")
        if test.n_before_assumed
        else ""
    )
    if test.within_error:
        out |= {"grade": NEUTRAL, "reason": REASONS["survey_within"].format(**spread) + assumed}
    else:
        out["reason"] = f"{reason}。{REASONS['survey_beyond'].format(**spread)}{assumed}"
    return out


# --- the kpi_progress relation ------------------------------------------------------------

#: Columns of ``kpi_progress`` (and of ``ebpm status --format json``), in order, with
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
    # what the grade is judged on when the target is a period average
    "period_average": "Float64",
    "expected_period_average": "Float64",
    "expected_progress": "Float64",
    "formula_grade": "String",
    # survey shares: sampling error
    "ci_lower": "Float64",
    "ci_upper": "Float64",
    "base_sample_size": "Int64",
    "base_sample_size_assumed": "Boolean",
    "survey_change": "Float64",
    "survey_margin": "Float64",
    # decimals shown (published precision of base/target/actual; derived values)
    "base_decimals": "Int32",
    "target_decimals": "Int32",
    "actual_decimals": "Int32",
    "derived_decimals": "Int32",
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
    ``strategy_name`` (and, when read from files, ``base_value_decimals`` and
    ``target_value_decimals``); ``actuals`` has ``kpi_id, fiscal_year, value,
    sample_size, is_sample`` (and ``value_decimals``). Sorted by fiscal year and KPI.
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
    for kpi_id in sorted(kpis):
        description, kpi = kpis[kpi_id]
        observed = by_kpi.get(kpi_id, {})
        values = {y: float(r["value"]) for y, r in observed.items()}  # type: ignore[arg-type]
        sizes = {y: r.get("sample_size") for y, r in observed.items()}
        decimals = {y: r.get("value_decimals") for y, r in observed.items()}
        for fiscal_year in years:
            result = evaluate(
                kpi,
                values,
                fiscal_year,
                bands,
                sample_sizes=sizes,  # type: ignore[arg-type]
                decimals=decimals,  # type: ignore[arg-type]
                base_sample_size=description.get("base_sample_size"),
            )
            used = [observed[y] for y in result.actual_years]
            own = observed.get(fiscal_year)
            row = {
                **{column: description.get(column) for column in _DESCRIPTION},
                **result.as_dict(),
                "is_sample": any(bool(r["is_sample"]) for r in used),
                "promotion_start_fy": period[0] if period else None,
                "promotion_end_fy": period[1] if period else None,
            }
            if row["sample_size"] is None and own is not None:
                row["sample_size"] = own.get("sample_size")
            rows.append(row)
    rows.sort(key=lambda r: (r["fiscal_year"], r["kpi_id"]))
    return pl.DataFrame(
        [{column: row[column] for column in PROGRESS_COLUMNS} for row in rows],
        schema=_polars_schema(),
    )
