"""K09 and K10 computed from the records, compared with the typed actuals.

- **K09 コピー用紙購入枚数** = the sheets of every copy-paper purchase of the fiscal
  year (all paper sizes; 連 = 500 枚, 箱 = the stated sheets per box).
- **K10 1人あたり時間外勤務等年間平均時間数** = the fiscal year's overtime hours of
  all records ÷ the staff count, whose definition is a setting of
  ``mapping.toml`` (:data:`STAFF_DEFINITIONS`).

A derived value replaces the typed actual of the same year only when the steward
sets ``K09 = "derived"`` / ``K10 = "derived"`` in ``records/settings.toml``. Either
way the two are compared: a difference is kept in the ``derived_actual`` table and
announced at build time; it is never resolved silently. Values are compared at the
precision the KPI is reported in (:data:`PRECISION`), rounded half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from ebpm.records.settings import RecordSettings

__all__ = ["PRECISION", "STAFF_DEFINITIONS", "Comparison", "compare", "derive"]

#: Decimal places a KPI's actuals are reported with (K09 sheets, K10 hours to 0.1 h).
PRECISION = {"K09": 0, "K10": 1}

#: Who counts as staff for K10, by the ``staff_count`` setting of ``overtime/mapping.toml``.
STAFF_DEFINITIONS = {
    "headcount": (
        "職員数＝その年度の時間外勤務の記録に1行以上ある職員の人数"
        "（時間外勤務が0時間の月も記録に載っている職員を含む。年度の途中で採用・退職・異動した職員も1人と数える）"
    ),
    "person_months": (
        "職員数＝職員ごとの「記録のある月の数」の合計÷12"
        "（年度の途中で採用・退職した職員は在籍した月の分だけ数える。0時間の月も記録に載っている必要がある）"
    ),
}

K09_DEFINITION = "コピー用紙購入枚数＝年度内のコピー用紙の購入記録の枚数の合計（用紙の大きさを問わない。連＝500枚、箱＝1箱の枚数）"


def round_half_up(value: float, places: int) -> float:
    """Round as Japanese reports do (0.05 → 0.1), not to even.

    >>> round_half_up(126.45, 1), round_half_up(2.5, 0)
    (126.5, 3.0)
    """
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def derive(
    overtime: pl.DataFrame | None, paper: pl.DataFrame | None, staff_count: str
) -> pl.DataFrame:
    """Derived values per KPI and fiscal year.

    ``overtime`` has ``fiscal_year, minutes, headcount, person_months, is_sample``;
    ``paper`` has ``fiscal_year, sheets, is_sample`` (the ingest totals).
    """
    frames = []
    if overtime is not None and overtime.height:
        staff = pl.col("headcount") if staff_count == "headcount" else pl.col("person_months") / 12
        frames.append(
            overtime.select(
                pl.lit("K10").alias("kpi_id"),
                pl.col("fiscal_year").cast(pl.Int32),
                # one division of exact totals: 7,584 min × 341 ÷ (60 × 341) is exactly 126.4
                (pl.col("minutes") / (60 * staff)).alias("derived_exact"),
                (pl.col("minutes") / 60).alias("total"),
                staff.cast(pl.Float64).alias("staff_count"),
                pl.lit(STAFF_DEFINITIONS[staff_count]).alias("definition"),
                "is_sample",
            )
        )
    if paper is not None and paper.height:
        frames.append(
            paper.select(
                pl.lit("K09").alias("kpi_id"),
                pl.col("fiscal_year").cast(pl.Int32),
                pl.col("sheets").cast(pl.Float64).alias("derived_exact"),
                pl.col("sheets").cast(pl.Float64).alias("total"),
                pl.lit(None, dtype=pl.Float64).alias("staff_count"),
                pl.lit(K09_DEFINITION).alias("definition"),
                "is_sample",
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "kpi_id": pl.String,
                "fiscal_year": pl.Int32,
                "derived_exact": pl.Float64,
                "total": pl.Float64,
                "staff_count": pl.Float64,
                "definition": pl.String,
                "is_sample": pl.Boolean,
                "derived_value": pl.Float64,
            }
        )
    derived = pl.concat(frames)
    return derived.with_columns(
        derived_value=pl.struct("kpi_id", "derived_exact").map_elements(
            lambda r: round_half_up(r["derived_exact"], PRECISION[r["kpi_id"]]),
            return_dtype=pl.Float64,
        )
    )


@dataclass(frozen=True)
class Comparison:
    """The ``derived_actual`` table, the rows to put in ``kpi_actual``, and what to announce."""

    table: pl.DataFrame
    replacements: pl.DataFrame  # kpi_id, fiscal_year, value, … for kpi_actual
    notices: list[str]


def _fmt(kpi_id: str, value: float) -> str:
    from ebpm.jp import format_number

    return format_number(value, PRECISION[kpi_id])


def _joined(
    derived: pl.DataFrame, typed: pl.DataFrame, definitions: pl.DataFrame, sources: pl.DataFrame
) -> pl.DataFrame:
    """Derived and typed values side by side, with the KPI's base and target and the files."""
    files = sources.group_by("kpi_id", "fiscal_year").agg(
        pl.col("source_file").unique().sort().alias("source_files")
    )
    return (
        derived.join(
            typed.select(
                "kpi_id",
                "fiscal_year",
                pl.col("value").alias("typed_value"),
                pl.col("source_file").alias("typed_source_file"),
            ),
            on=["kpi_id", "fiscal_year"],
            how="full",
            coalesce=True,
        )
        .join(definitions, on="kpi_id", how="inner")
        .join(files, on=["kpi_id", "fiscal_year"], how="left")
        .sort("kpi_id", "fiscal_year")
    )


def _judge(row: dict, rule: str) -> tuple[str, str | None, str | None] | None:
    """One year's status, the value used (``typed``/``derived``/None) and its notice, if any.

    None for a base year with no derived value (the row is left out).
    """
    kpi_id, fy = row["kpi_id"], row["fiscal_year"]
    derived_value, typed_value = row["derived_value"], row["typed_value"]
    if fy == row["base_fy"]:
        if derived_value is None:
            return None
        same = derived_value == round_half_up(row["base_value"], PRECISION[kpi_id])
        if same:
            return "基準値と一致", None, None
        return (
            "基準値と異なる",
            None,
            f"{kpi_id} {fy}年度（基準年度）: 記録から求めた値 {_fmt(kpi_id, derived_value)} が"
            f"戦略の基準値 {_fmt(kpi_id, row['base_value'])} と違います（記録の範囲や数え方を確かめてください）",
        )
    if not row["base_fy"] < fy <= row["target_fy"]:
        return "計画期間外", None, None
    if derived_value is None:
        return "入力のみ", "typed", None
    if typed_value is None:
        notice = None
        if rule == "typed":
            notice = (
                f"{kpi_id} {fy}年度: 記録から求めた値 {_fmt(kpi_id, derived_value)} がありますが、実績は入力されていません"
                f'（評価に使うには実績を入力するか、records/settings.toml の [actuals] に {kpi_id} = "derived" と書きます）'
            )
        return "記録のみ", "derived" if rule == "derived" else None, notice
    if derived_value == round_half_up(typed_value, PRECISION[kpi_id]):
        return "一致", rule, None
    chosen = "記録から求めた値" if rule == "derived" else "入力された実績"
    other = "typed" if rule == "derived" else "derived"
    return (
        "不一致",
        rule,
        f"{kpi_id} {fy}年度: 入力された実績 {_fmt(kpi_id, typed_value)} と記録から求めた値 "
        f"{_fmt(kpi_id, derived_value)} が違います（評価には{chosen}を使っています。"
        f'もう一方を使うには records/settings.toml の [actuals] を {kpi_id} = "{other}" にします）',
    )


_DERIVED_ACTUAL_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "kpi_id": pl.String,
    "fiscal_year": pl.Int32,
    "derived_value": pl.Float64,
    "derived_exact": pl.Float64,
    "typed_value": pl.Float64,
    "status": pl.String,
    "used": pl.String,
    "total": pl.Float64,
    "staff_count": pl.Float64,
    "definition": pl.String,
    "source_files": pl.List(pl.String),
    "typed_source_file": pl.String,
    "is_sample": pl.Boolean,
}


def _replacements(result: pl.DataFrame) -> pl.DataFrame:
    """The kpi_actual rows for the years whose derived value is used."""
    return result.filter(pl.col("used") == "derived").select(
        "kpi_id",
        "fiscal_year",
        pl.col("derived_value").alias("value"),
        pl.lit("記録から算出").alias("source"),
        pl.col("definition").alias("note"),
        pl.col("is_sample").fill_null(False),
        pl.col("source_files").list.first().alias("source_file"),
    )


def compare(
    derived: pl.DataFrame,
    typed: pl.DataFrame,
    definitions: pl.DataFrame,
    sources: pl.DataFrame,
    settings: RecordSettings,
) -> Comparison:
    """Compare derived and typed values; decide which one counts, as the steward set.

    ``typed``: ``kpi_id, fiscal_year, value, source_file`` of kpi_actual (K09/K10);
    ``definitions``: ``kpi_id, base_fy, base_value, target_fy`` of the current KPIs;
    ``sources``: ``kpi_id, fiscal_year, source_file`` of the record files used.
    """
    rows = []
    notices = []
    for row in _joined(derived, typed, definitions, sources).iter_rows(named=True):
        judged = _judge(row, settings.actuals.get(row["kpi_id"], "typed"))
        if judged is None:
            continue
        status, used, notice = judged
        if notice is not None:
            notices.append(notice)
        rows.append({**row, "status": status, "used": used})
    schema = _DERIVED_ACTUAL_SCHEMA
    result = pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)
    return Comparison(result, _replacements(result), notices)
