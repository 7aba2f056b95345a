"""Seeded generators of the SYNTHETIC training data in ``data/raw/sample/``.

Nothing here is a real figure of 大船渡市. The files exist so that staff can
practise EBPM methods on data shaped like the city's own; every frame carries
``is_sample = True`` and charts built on it must say 「研修用サンプルデータ」.

Only the yearly totals pinned in :data:`SAMPLE_KPI_TARGETS` are fixed on
purpose: they equal the sample KPI actuals in ``data/raw/kpi/actuals/`` (K09,
K10) and, for FY2023, the published base values of the strategy. Everything
else is a modelling choice, listed below so that a reader can tell a
"finding" in the sample from an assumption built into it.

Staff roster (shared by both generators)
----------------------------------------
- 19 plausible departments (:data:`DEPARTMENTS`), 359 staff in FY2019. The
  total shrinks by 3 people a year (359 → 341 in FY2025), as in many small
  cities; department sizes are apportioned from fixed weights.
- Five departments have fewer than 10 staff (観光推進室, 会計課, 議会事務局,
  防災管理室, デジタル戦略課), so that small-cell suppression
  (:mod:`ebpm.disclosure`) has something to do.
- デジタル戦略課 exists from FY2024 only (staff taken from 企画調整課 and
  総務課): department sets change over time in real data too.
- Everybody works a whole fiscal year: hires join on 1 April and leavers
  leave on 31 March (5 % a year). Each April about 20 % of the remaining staff
  move to another department (人事異動), and vacancies are filled by movers and
  new hires in random order. Employee ids (``E0001`` …) are pseudonyms given
  in order of first appearance.

Overtime (``overtime_monthly``)
-------------------------------
Hours per employee and month = (department level × personal factor ×
fiscal-month seasonality × trend + disaster surge) × gamma noise (mean 1,
shape 3), with a 10 % chance of a month without overtime:

- Department levels from 7.2 h (会計課) to 16.5 h (財政課) a month.
- A personal factor (log-normal, sd 0.45 on the log scale) that follows the
  employee across departments.
- Seasonality common to all: peaks in April (人事異動, 年度初め) and March
  (年度末), a dip in August. Department-specific peaks: 財政課 budget season
  November–February, 税務課 確定申告・住民税 February–June, 会計課 出納整理期間
  April–May, 議会事務局 the four 定例会 months, 観光推進室 summer events,
  市民環境課 the March–April 転入・転出 rush, 水産課 autumn fishing season.
- 「災害対応（架空）」: a fictional disaster response in FY2021, September to
  November 2021, adding up to 60 h a month in 防災管理室 and 40 h in 建設課
  (less in 上下水道課, 農林課, 水産課, 総務課 and a little elsewhere). It is not
  modelled on any real event and is placed where it cannot be mistaken for one.
- Work-style measures (assumed to start in April 2024) make hours drift down
  by 0.3 % a month from then on.
- A month is capped at 95 h (140 h in the disaster months) to keep the sample
  plausible; rescaling (below) can move a capped cell by about 1 h.
- Cells are rounded to 0.1 h. For the pinned fiscal years (FY2023–FY2025)
  all cells of the year are first rescaled by one common factor so that the
  year's total equals target × distinct employees, then rounded by the
  largest-remainder method, which keeps that total exact. So "sum of hours ÷
  distinct employees" is exactly 129.0, 126.4 and 120.0 h. Other years are
  rounded half-to-even cell by cell.

Copy paper (``copy_paper_monthly``)
-----------------------------------
- Need per staff member and month starts at about 1,500 sheets and declines
  slowly (0.15 % a month: a paper-saving habit already under way).
- 電子決裁 is ASSUMED to start in October 2022 (:data:`E_APPROVAL_START`; a
  teaching assumption, not the city's actual date): the need drops by 7 % at
  once and then declines 0.4 % a month faster than before.
- Fiscal-month seasonality of the need (議会 months and 予算 season higher,
  August lower).
- Purchases are not consumption: paper is bought in bulk in April (new budget)
  and October (``bulk_purchase``), less in the other months and least in
  March. Purchases get log-normal noise (sd 0.05) and are whole reams of 500
  sheets.
- ``staff`` is the headcount of the roster in that fiscal year (the same
  people as in the overtime sample), for per-person rates.
- Pinned years (FY2023–FY2025) are rescaled and rounded to whole reams with
  the largest-remainder method, so the yearly totals are exactly 5,216,000,
  4,870,000 and 4,500,000 sheets. Other years round each month to the
  nearest ream.

Levels are tuned so that the pinned years need a rescaling factor of only
about ±2 %: the exact totals do not distort the shapes above.

Export-shaped copies (``data/raw/sample/records/``)
--------------------------------------------------
The same fictional data, shaped as a city's systems would export it, so that the
records ingest (:mod:`ebpm.records`) is practised on real shapes:

- ``overtime/時間外勤務月報_H31-R6.csv``: a 庶務事務 monthly report, FY2019–FY2024, CP932,
  和暦 months (平成31年4月, 令和元年5月 …), one row per employee and month (0 h
  months included) with overtime and holiday work in two columns (hours, one
  decimal) that add up to the monthly sample, and a 氏名 column of fake names that
  the ingest drops.
- ``overtime/勤務実績_R7.csv``: an attendance system's daily export for FY2025, UTF-8
  with BOM, every working day (Monday–Friday except 12/29–1/3) of every employee,
  overtime as h:mm. Each month's hours are split over its days in 6-minute steps,
  so they add up exactly to the monthly sample.
- ``paper/物品購入_R1.xlsx`` … ``_R7.xlsx``: a finance system's purchase list per
  fiscal year: each month's reams are split into A4 boxes (2,500 sheets), A3 boxes
  (1,500), B4 reams and loose A4 reams bought by a few departments on working days,
  plus a few toner purchases that are not paper.

Employee ids look like real ones (``S`` + six digits, random and unique) but are
fictional; they map one to one to the ``E0001`` pseudonyms of the monthly sample.
Yearly totals therefore equal the sample KPI actuals through the ingest too.

Reproducibility
---------------
All randomness comes from :class:`numpy.random.Generator` streams spawned from
one seed (:data:`SAMPLE_SEED`). :func:`write_samples` writes sorted rows as
UTF-8 CSV with LF endings and one decimal for hours, so the committed files
can be rebuilt byte for byte (numpy does not promise identical random streams
across major versions; a test compares the files).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import polars as pl

__all__ = [
    "DEPARTMENTS",
    "DISASTER_MONTHS",
    "E_APPROVAL_START",
    "FISCAL_YEARS",
    "SAMPLE_FILES",
    "SAMPLE_KPI_TARGETS",
    "SAMPLE_SEED",
    "SHEETS_PER_REAM",
    "WORK_STYLE_START",
    "Department",
    "copy_paper_monthly",
    "overtime_monthly",
    "write_record_samples",
    "write_samples",
]

SAMPLE_SEED: Final = 20250201
FISCAL_YEARS: Final = tuple(range(2019, 2026))
SHEETS_PER_REAM: Final = 500
#: Assumed start of 電子決裁 (calendar year, month): a teaching assumption.
E_APPROVAL_START: Final = (2022, 10)
#: Assumed start of the work-style measures (calendar year, month).
WORK_STYLE_START: Final = (2024, 4)
#: 「災害対応（架空）」: (calendar year, month) → share of the peak surge.
DISASTER_MONTHS: Final = MappingProxyType({(2021, 9): 1.0, (2021, 10): 0.7, (2021, 11): 0.35})

#: Yearly values the sample files must reproduce exactly, by KPI id of
#: ``data/raw/kpi/kpi_definitions.csv``: K09 コピー用紙購入枚数 (sheets),
#: K10 1人あたり時間外勤務等年間平均時間数 (hours per employee, sum of hours ÷
#: distinct employees of the fiscal year, rounded to 0.1).
SAMPLE_KPI_TARGETS: Final = MappingProxyType(
    {
        "K09": MappingProxyType({2023: 5_216_000, 2024: 4_870_000, 2025: 4_500_000}),
        "K10": MappingProxyType({2023: 129.0, 2024: 126.4, 2025: 120.0}),
    }
)

#: File names written by :func:`write_samples`.
SAMPLE_FILES: Final = ("overtime_monthly.csv", "copy_paper_monthly.csv")
#: Export-shaped files written by :func:`write_record_samples` (relative to ``records/``).
RECORD_SAMPLE_FILES: Final = (
    "overtime/時間外勤務月報_H31-R6.csv",
    "overtime/勤務実績_R7.csv",
    *(f"paper/物品購入_R{fy - 2018}.xlsx" for fy in FISCAL_YEARS),
)
#: Fiscal year from which the sample's overtime comes as a daily export.
DAILY_EXPORT_FROM: Final = 2025


@dataclass(frozen=True)
class Department:
    """A fictional department of the sample roster.

    Parameters
    ----------
    name : Japanese department name.
    weight : share weight used to apportion the headcount (≈ staff in FY2019).
    level : mean monthly overtime hours per person before seasonality.
    peaks : fiscal month (1 = April) → extra seasonal factor.
    disaster : peak extra hours per person in the fictional disaster response.
    first_fy : first fiscal year the department exists.
    """

    name: str
    weight: int
    level: float
    peaks: tuple[tuple[int, float], ...] = ()
    disaster: float = 4.0
    first_fy: int = 2019


DEPARTMENTS: Final = (
    Department("総務課", 24, 13.4, ((1, 0.3), (10, 0.2), (11, 0.2), (12, 0.3)), 10.0),
    Department("企画調整課", 14, 12.4, ((7, 0.2), (12, 0.2))),
    Department("財政課", 12, 16.5, ((8, 0.3), (9, 0.8), (10, 1.0), (11, 0.9), (12, 0.4))),
    Department("税務課", 30, 12.4, ((2, 0.5), (3, 0.5), (11, 0.6), (12, 0.8))),
    Department("市民環境課", 26, 9.3, ((1, 0.5), (12, 0.5))),
    Department("保健福祉課", 40, 11.3, ((3, 0.2), (7, 0.2))),
    Department("子ども家庭課", 28, 11.3, ((1, 0.3), (12, 0.3))),
    Department("農林課", 18, 9.3, ((6, 0.3),), 15.0),
    Department("水産課", 16, 9.3, ((6, 0.3), (7, 0.3), (8, 0.3), (9, 0.2)), 12.0),
    Department("商工港湾課", 15, 9.3, ()),
    Department("観光推進室", 8, 10.3, ((4, 0.6), (5, 0.6))),
    Department("建設課", 30, 13.4, ((12, 0.4),), 40.0),
    Department("都市整備課", 20, 10.3, ((12, 0.3),), 8.0),
    Department("上下水道課", 22, 10.3, (), 20.0),
    Department("会計課", 7, 7.2, ((1, 0.5), (2, 0.5), (12, 0.2))),
    Department("議会事務局", 6, 8.2, ((3, 0.6), (6, 0.6), (9, 0.6), (12, 0.6))),
    Department("教育委員会事務局", 34, 10.3, ((1, 0.3), (12, 0.3))),
    Department("防災管理室", 9, 13.4, ((12, 0.2),), 60.0),
    Department("デジタル戦略課", 7, 11.3, ((1, 0.2),), first_fy=2024),
)

# Seasonality shared by all departments, fiscal months 1 (April) … 12 (March).
_COMMON_SEASON = np.array([1.35, 1.05, 1.0, 0.9, 0.8, 0.95, 0.95, 0.9, 1.0, 0.95, 1.1, 1.4])
_HEADCOUNT_FY2019 = 359
_HEADCOUNT_DECLINE = 3  # people per year
_LEAVE_RATE = 0.05
_MOVE_RATE = 0.20
_ZERO_MONTH_RATE = 0.10
_WORK_STYLE_DRIFT = -0.003  # per month
_CAP_HOURS = 95.0
_CAP_HOURS_DISASTER = 140.0

# Copy paper: need per staff per month, trend, 電子決裁 effect, seasonality, purchase pattern.
_PAPER_NEED_PER_STAFF = 1525.0
_PAPER_SLOPE_PRE = -0.0015
_PAPER_LEVEL_DROP = -0.07
_PAPER_SLOPE_CHANGE = -0.004
_PAPER_SEASON = np.array([1.08, 1.0, 1.05, 0.95, 0.85, 1.05, 0.98, 0.97, 1.02, 0.95, 1.05, 1.05])
_PAPER_PURCHASE = np.array([2.2, 0.85, 0.85, 0.8, 0.75, 0.8, 1.6, 0.8, 0.8, 0.75, 0.75, 0.5])
_BULK_FISCAL_MONTHS = (1, 7)
_PAPER_NOISE = 0.05


def _fiscal_calendar() -> pl.DataFrame:
    """One row per month of FY2019–FY2025: fiscal_year, year, month, fiscal_month, t."""
    fiscal_month = np.tile(np.arange(1, 13), len(FISCAL_YEARS))
    fiscal_year = np.repeat(np.array(FISCAL_YEARS), 12)
    month = (fiscal_month + 2) % 12 + 1
    year = fiscal_year + (month < 4)
    return pl.DataFrame(
        {
            "fiscal_year": fiscal_year,
            "year": year,
            "month": month,
            "fiscal_month": fiscal_month,
            "t": np.arange(len(fiscal_month)),
        },
        schema={k: pl.Int64 for k in ("fiscal_year", "year", "month", "fiscal_month", "t")},
    )


def _month_index(year: int, month: int) -> int:
    """Position of a calendar month in :func:`_fiscal_calendar` (0 = April 2019)."""
    return (year - FISCAL_YEARS[0]) * 12 + month - 4


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    return _round_to_total(weights / weights.sum() * total, total)


def _round_to_total(values: np.ndarray, total: int) -> np.ndarray:
    """Round non-negative ``values`` to integers whose sum is exactly ``total``.

    Floors every value and gives +1 to the cells with the largest fractional
    parts (ties: the earlier cell) until the total is reached.
    """
    floors = np.floor(values)
    missing = total - int(floors.sum())
    if not 0 <= missing <= len(values):
        raise ValueError(f"cannot round {values.sum()} to {total}")
    order = np.argsort(-(values - floors), kind="stable")
    floors[order[:missing]] += 1
    return floors.astype(np.int64)


def _roster(rng: np.random.Generator) -> pl.DataFrame:
    """Employees per fiscal year: employee_id, fiscal_year, department (index into DEPARTMENTS)."""
    weights = np.array([d.weight for d in DEPARTMENTS], dtype=float)
    first_fy = np.array([d.first_fy for d in DEPARTMENTS])

    def posts(i: int) -> tuple[int, np.ndarray]:
        total = _HEADCOUNT_FY2019 - _HEADCOUNT_DECLINE * i
        return total, _apportion(total, np.where(first_fy <= FISCAL_YEARS[i], weights, 0.0))

    total, target = posts(0)
    ids = np.arange(1, total + 1)
    dept = rng.permutation(np.repeat(np.arange(len(DEPARTMENTS)), target))
    next_id = total + 1
    frames = [pl.DataFrame({"employee": ids, "fiscal_year": FISCAL_YEARS[0], "dept": dept})]
    for i, fy in enumerate(FISCAL_YEARS[1:], start=1):
        total, target = posts(i)
        stay = rng.random(len(ids)) >= _LEAVE_RATE
        ids, dept = ids[stay], dept[stay]
        if len(ids) > total:  # more stayers than posts: extra leavers
            keep = np.sort(rng.choice(len(ids), size=total, replace=False))
            ids, dept = ids[keep], dept[keep]
        moving = rng.random(len(ids)) < _MOVE_RATE
        for d in range(len(DEPARTMENTS)):  # departments over target send the excess
            members = np.flatnonzero((dept == d) & ~moving)
            excess = len(members) - target[d]
            if excess > 0:
                moving[rng.choice(members, size=excess, replace=False)] = True
        kept = np.bincount(dept[~moving], minlength=len(DEPARTMENTS))
        hires = total - len(ids)
        pool = rng.permutation(np.concatenate([ids[moving], np.arange(next_id, next_id + hires)]))
        next_id += hires
        slots = np.repeat(np.arange(len(DEPARTMENTS)), target - kept)
        ids = np.concatenate([ids[~moving], pool])
        dept = np.concatenate([dept[~moving], slots])
        frames.append(pl.DataFrame({"employee": ids, "fiscal_year": fy, "dept": dept}))
    return pl.concat(frames).with_columns(pl.col("employee", "fiscal_year", "dept").cast(pl.Int64))


def _streams(seed: int) -> list[np.random.Generator]:
    """Independent generators for the roster, overtime and copy paper."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)]


def _department_season() -> np.ndarray:
    """Seasonal factor, shape (department, fiscal month)."""
    season = np.tile(_COMMON_SEASON, (len(DEPARTMENTS), 1))
    for d, dep in enumerate(DEPARTMENTS):
        for fiscal_month, extra in dep.peaks:
            season[d, fiscal_month - 1] += extra
    return season


def overtime_monthly(seed: int = SAMPLE_SEED) -> pl.DataFrame:
    """Synthetic monthly overtime hours per employee, FY2019–FY2025.

    Parameters
    ----------
    seed : seed of the random streams; the committed sample uses :data:`SAMPLE_SEED`.

    Returns
    -------
    polars.DataFrame
        ``employee_id, department, fiscal_year, year, month, fiscal_month, hours,
        is_sample``; one row per employee and month of the fiscal years they
        worked, sorted by fiscal year, fiscal month and employee. See the
        module docstring for the model.
    """
    roster_rng, rng, _ = _streams(seed)
    roster = _roster(roster_rng)
    n_employees = int(roster["employee"].max())  # type: ignore[arg-type]
    person = rng.lognormal(-(0.45**2) / 2, 0.45, size=n_employees + 1)

    cells = roster.join(_fiscal_calendar(), on="fiscal_year", how="inner").sort("t", "employee")
    dept = cells["dept"].to_numpy()
    t = cells["t"].to_numpy()
    fiscal_month = cells["fiscal_month"].to_numpy()

    level = np.array([d.level for d in DEPARTMENTS])
    season = _department_season()
    drift = np.exp(_WORK_STYLE_DRIFT * np.clip(t - _month_index(*WORK_STYLE_START), 0, None))
    expected = level[dept] * person[cells["employee"].to_numpy()] * season[dept, fiscal_month - 1]
    expected *= drift
    surge = np.zeros(len(t))
    disaster_peak = np.array([d.disaster for d in DEPARTMENTS])
    for (year, month), share in DISASTER_MONTHS.items():
        here = t == _month_index(year, month)
        surge[here] = disaster_peak[dept[here]] * share
    noise = rng.gamma(3.0, 1 / 3.0, size=len(t))
    worked = rng.random(len(t)) >= _ZERO_MONTH_RATE
    hours = np.minimum(
        (expected + surge) * noise, np.where(surge > 0, _CAP_HOURS_DISASTER, _CAP_HOURS)
    )
    deci_hours = hours * worked * 10  # tenths of an hour

    fiscal_year = cells["fiscal_year"].to_numpy()
    rounded = np.rint(deci_hours).astype(np.int64)
    for fy, target in SAMPLE_KPI_TARGETS["K10"].items():
        here = fiscal_year == fy
        staff = np.unique(cells["employee"].to_numpy()[here]).size
        total = round(target * 10) * staff
        rounded[here] = _round_to_total(deci_hours[here] * total / deci_hours[here].sum(), total)

    names = pl.Series([d.name for d in DEPARTMENTS])
    return (
        cells.with_columns(
            employee_id=pl.format("E{}", pl.col("employee").cast(pl.String).str.zfill(4)),
            department=names.gather(pl.Series(dept)),
            hours=pl.Series(rounded / 10),  # numpy division is correctly rounded
            is_sample=pl.lit(True),
        )
        .select(
            "employee_id",
            "department",
            "fiscal_year",
            "year",
            "month",
            "fiscal_month",
            "hours",
            "is_sample",
        )
        .sort("fiscal_year", "fiscal_month", "employee_id")
    )


def copy_paper_monthly(seed: int = SAMPLE_SEED) -> pl.DataFrame:
    """Synthetic monthly copy-paper purchases of the city offices, FY2019–FY2025.

    Parameters
    ----------
    seed : seed of the random streams; the committed sample uses :data:`SAMPLE_SEED`.

    Returns
    -------
    polars.DataFrame
        ``fiscal_year, year, month, fiscal_month, reams, sheets, staff,
        bulk_purchase, e_approval, is_sample``; 84 rows sorted by fiscal year
        and fiscal month. ``sheets = reams × 500``; ``e_approval`` is True from
        the assumed 電子決裁 start (:data:`E_APPROVAL_START`).
    """
    roster_rng, _, rng = _streams(seed)
    staff = _roster(roster_rng).group_by("fiscal_year").agg(staff=pl.len().cast(pl.Int64))
    calendar = _fiscal_calendar().join(staff, on="fiscal_year", how="left").sort("t")
    t = calendar["t"].to_numpy()
    fiscal_month = calendar["fiscal_month"].to_numpy()

    after = t >= _month_index(*E_APPROVAL_START)
    since = np.clip(t - _month_index(*E_APPROVAL_START), 0, None)
    log_need = _PAPER_SLOPE_PRE * t + after * (_PAPER_LEVEL_DROP + _PAPER_SLOPE_CHANGE * since)
    season = _PAPER_SEASON / _PAPER_SEASON.mean()
    need = _PAPER_NEED_PER_STAFF * np.exp(log_need) * season[fiscal_month - 1]
    need *= calendar["staff"].to_numpy()
    purchase = _PAPER_PURCHASE / _PAPER_PURCHASE.mean()
    ream_values = need * purchase[fiscal_month - 1] * rng.lognormal(0.0, _PAPER_NOISE, len(t))
    ream_values /= SHEETS_PER_REAM

    fiscal_year = calendar["fiscal_year"].to_numpy()
    reams = np.rint(ream_values).astype(np.int64)
    for fy, target in SAMPLE_KPI_TARGETS["K09"].items():
        here = fiscal_year == fy
        total = target // SHEETS_PER_REAM
        reams[here] = _round_to_total(ream_values[here] * total / ream_values[here].sum(), total)

    return calendar.select(
        "fiscal_year",
        "year",
        "month",
        "fiscal_month",
        reams=pl.Series(reams),
        sheets=pl.Series(reams * SHEETS_PER_REAM),
        staff="staff",
        bulk_purchase=pl.col("fiscal_month").is_in(_BULK_FISCAL_MONTHS),
        e_approval=pl.Series(after),
        is_sample=pl.lit(True),
    ).sort("fiscal_year", "fiscal_month")


def write_samples(out_dir: Path, *, seed: int = SAMPLE_SEED) -> list[Path]:
    """Write the sample CSV files (:data:`SAMPLE_FILES`) into ``out_dir``.

    The output is byte-for-byte reproducible: rows sorted, UTF-8 without BOM,
    LF line endings, hours with one decimal.

    Parameters
    ----------
    out_dir : target folder, normally ``data/raw/sample``; created if missing.
    seed : seed of the generators.

    Returns
    -------
    list of pathlib.Path
        The files written, in :data:`SAMPLE_FILES` order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = (overtime_monthly(seed), copy_paper_monthly(seed))
    paths = []
    for name, frame in zip(SAMPLE_FILES, frames, strict=True):
        path = out_dir / name
        text = frame.write_csv(float_precision=1, line_terminator="\n")
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


# --- export-shaped samples (issue 11) -------------------------------------------------

_FAKE_FAMILY = ("研修", "架空", "見本", "試験", "仮置")
_FAKE_GIVEN = ("一郎", "花子", "次郎", "桜", "三郎", "葵", "四郎", "楓")
_PAPER_DEPARTMENTS = (
    "総務課",
    "総務課",
    "総務課",
    "財政課",
    "税務課",
    "保健福祉課",
    "教育委員会事務局",
)
_HOLIDAY_SHARE = 0.15
_MINUTE_STEP = 6  # 0.1 h: the monthly sample's resolution
_DAILY_STEP_UNITS = 15  # about 1.5 h per day with overtime


def _record_rng(seed: int) -> np.random.Generator:
    """A fourth stream, independent of the three used by the monthly samples."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[3])


def _clear_ids(numbers: np.ndarray, rng: np.random.Generator) -> dict[int, str]:
    """Fictional 職員番号 per sample employee number: "S" + six random unique digits."""
    digits = rng.choice(np.arange(100_000, 1_000_000), size=numbers.size, replace=False)
    return {int(n): f"S{d:06d}" for n, d in zip(numbers, digits, strict=True)}


def _working_days(year: int, month: int) -> list[dt.date]:
    """Monday–Friday of a month, without the year-end holidays (12/29–1/3)."""
    day = dt.date(year, month, 1)
    days = []
    while day.month == month:
        year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
        if day.weekday() < 5 and not year_end:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _wareki_month(year: int, month: int) -> str:
    from ebpm.records.dates import era_of

    era = era_of(dt.date(year, month, 1))
    number = era.year_of(year)
    return f"{era.name}{'元' if number == 1 else number}年{month}月"


def _overtime_exports(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(monthly report FY2019–FY2024, daily export FY2025) as frames of strings."""
    monthly = overtime_monthly(seed)
    rng = _record_rng(seed)
    numbers = monthly["employee_id"].str.slice(1).cast(pl.Int64).unique().sort().to_numpy()
    ids = _clear_ids(numbers, rng)
    tenths = (monthly["hours"] * 10).round().cast(pl.Int64).to_numpy()
    employees = monthly["employee_id"].str.slice(1).cast(pl.Int64).to_numpy()
    clear = pl.Series([ids[int(n)] for n in employees])
    names = pl.Series(
        [
            f"{_FAKE_FAMILY[n % len(_FAKE_FAMILY)]}　{_FAKE_GIVEN[n % len(_FAKE_GIVEN)]}"
            for n in employees
        ]
    )
    report = monthly.with_columns(clear_id=clear, name=names, tenths=pl.Series(tenths))
    old = report.filter(pl.col("fiscal_year") < DAILY_EXPORT_FROM)
    holiday = np.rint(
        old["tenths"].to_numpy() * rng.uniform(0, 2 * _HOLIDAY_SHARE, old.height)
    ).astype(np.int64)
    holiday = np.where(rng.random(old.height) < 0.5, 0, holiday)
    old = old.with_columns(
        holiday=pl.Series(holiday), weekday=pl.col("tenths") - pl.Series(holiday)
    )
    monthly_export = old.sort("year", "month", "department", "clear_id").select(
        pl.struct("year", "month")
        .map_elements(lambda r: _wareki_month(r["year"], r["month"]), return_dtype=pl.String)
        .alias("対象年月"),
        pl.col("department").alias("所属名"),
        pl.col("clear_id").alias("職員番号"),
        pl.col("name").alias("氏名"),
        (pl.col("weekday") / 10)
        .map_elements(lambda h: f"{h:.1f}", return_dtype=pl.String)
        .alias("時間外勤務時間"),
        (pl.col("holiday") / 10)
        .map_elements(lambda h: f"{h:.1f}", return_dtype=pl.String)
        .alias("休日勤務時間"),
    )
    rows: list[tuple[str, str, str, str]] = []
    new = report.filter(pl.col("fiscal_year") >= DAILY_EXPORT_FROM).sort(
        "year", "month", "clear_id"
    )
    for (year, month), group in new.group_by(["year", "month"], maintain_order=True):
        days = _working_days(int(year), int(month))
        minutes = np.zeros((group.height, len(days)), dtype=np.int64)
        for i, units in enumerate(group["tenths"].to_numpy()):  # 0.1 h = 6 minutes
            if units == 0:
                continue
            busy = rng.choice(
                len(days),
                size=min(len(days), max(1, -(-int(units) // _DAILY_STEP_UNITS))),
                replace=False,
            )
            minutes[i, busy] = (
                rng.multinomial(int(units), np.full(busy.size, 1 / busy.size)) * _MINUTE_STEP
            )
        for d, day in enumerate(days):
            stamp = f"{day:%Y/%m/%d}"
            for i, (person, department) in enumerate(
                zip(group["clear_id"], group["department"], strict=True)
            ):
                m = int(minutes[i, d])
                rows.append((stamp, person, department, f"{m // 60}:{m % 60:02d}"))
    daily_export = pl.DataFrame(rows, schema=["勤務日", "職員番号", "所属", "時間外"], orient="row")
    return monthly_export, daily_export


def _paper_purchases(seed: int) -> pl.DataFrame:
    """Purchase rows whose sheets add up to the monthly sample's reams."""
    paper = copy_paper_monthly(seed)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(5)[4])
    rows = []

    def buy(day_list, item, size, quantity, unit):
        day = day_list[int(rng.integers(len(day_list)))]
        department = _PAPER_DEPARTMENTS[int(rng.integers(len(_PAPER_DEPARTMENTS)))]
        staff = f"{_FAKE_FAMILY[int(rng.integers(len(_FAKE_FAMILY)))]}　{_FAKE_GIVEN[int(rng.integers(len(_FAKE_GIVEN)))]}"
        rows.append((day, department, item, size, quantity, unit, staff))

    for year, month, reams in paper.select("year", "month", "reams").iter_rows():
        days = _working_days(year, month)
        a3 = round(reams * 0.06)
        b4 = round(reams * 0.03)
        a4 = reams - a3 - b4
        for size, total, per_box in (("A4", a4, 5), ("A3", a3, 3)):
            boxes, loose = divmod(total, per_box)
            parts = rng.multinomial(boxes, np.full(3, 1 / 3)) if boxes else []
            for part in parts:
                if part:
                    buy(days, f"PPC用紙 {size}", size, int(part), "箱")
            if loose:
                buy(days, f"PPC用紙 {size}", size, loose, "連")
        if b4:
            buy(days, "コピー用紙 B4", "B4", b4, "連")
        if rng.random() < 0.3:
            buy(days, "トナーカートリッジ", "", int(rng.integers(1, 4)), "個")
    return pl.DataFrame(
        rows, schema=["購入日", "所属", "品名", "規格", "数量", "単位", "担当者"], orient="row"
    ).sort("購入日", "所属", "品名", maintain_order=True)


def _write_xlsx(frame: pl.DataFrame, path: Path, sheet: str) -> None:
    """An xlsx whose bytes depend only on the data (fixed timestamps inside the zip).

    openpyxl serialises through lxml when it is installed (python-docx requires it, and
    constraints.txt pins it), so the committed files are those of the pinned environment.
    """
    import io
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.properties.created = book.properties.modified = dt.datetime(2026, 11, 27)
    ws = book.active
    ws.title = sheet
    ws.append(frame.columns)
    for row in frame.iter_rows():
        ws.append(list(row))
    for cell in ws["A"][1:]:
        cell.number_format = "yyyy/mm/dd"
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 27, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-11-27T00:00:00Z", data
                )
            out.writestr(fixed, data)


def write_record_samples(out_dir: Path, *, seed: int = SAMPLE_SEED) -> list[Path]:
    """Write the export-shaped samples (:data:`RECORD_SAMPLE_FILES`) under ``out_dir``.

    ``out_dir`` is normally ``data/raw/sample/records``; its ``mapping.toml`` and
    ``SOURCES.toml`` files are kept in the repository, not generated.
    """
    out_dir = Path(out_dir)
    for folder in ("overtime", "paper"):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    monthly_export, daily_export = _overtime_exports(seed)
    paths = []
    path = out_dir / RECORD_SAMPLE_FILES[0]
    text = monthly_export.write_csv(line_terminator="\r\n")  # as Windows software writes it
    path.write_bytes(text.encode("cp932"))
    paths.append(path)
    path = out_dir / RECORD_SAMPLE_FILES[1]
    path.write_bytes(
        b"\xef\xbb\xbf" + daily_export.write_csv(line_terminator="\r\n").encode("utf-8")
    )
    paths.append(path)
    purchases = _paper_purchases(seed)
    fiscal_year = pl.col("購入日").dt.year() - (pl.col("購入日").dt.month() < 4).cast(pl.Int32)
    for fy, name in zip(FISCAL_YEARS, RECORD_SAMPLE_FILES[2:], strict=True):
        path = out_dir / name
        _write_xlsx(purchases.filter(fiscal_year == fy), path, "購入実績")
        paths.append(path)
    return paths
