"""Small-cell suppression for aggregates of per-employee data (practice-notes §7).

Rules
-----
- A cell describing 1 … k−1 people is hidden (一次秘匿); k = 10 by default,
  configurable, never below 3 (the statistical "x" baseline).
- A cell with 0 people is published (count 0, values empty).
- Hidden cells are protected against differencing (二次秘匿): the published
  margins must not let anybody recover a hidden cell by subtraction.
- Minimum, maximum, median and percentiles are refused on groups of fewer
  than k people: they are one person's value.
- A hidden cell hides its count as well as its values, and prints as 「x」.

Published margins assumed
-------------------------
A table has one row per cell, keyed by ``group_cols``. We assume that every
total obtained by collapsing one grouping column may be published (for a
department table: the city total; for department × 年度: each department's
total over the years and each year's total over departments). Coarser totals
are sums of these, so they add nothing an attacker could use.

Secondary suppression algorithm
-------------------------------
1. Hide every cell with 0 < people < k (primary).
2. For each margin, if exactly one of its cells is hidden, also hide the
   non-hidden cell with the fewest people (> 0) in that margin — the
   "next-smallest" rule. Repeat until no margin has exactly one hidden cell.
3. Audit: a hidden cell is exactly recoverable from the margins iff its unit
   vector lies in the row space of the margin × hidden-cell incidence matrix
   (checked with a singular value decomposition). For the first recoverable
   cell found, hide the smallest other cell of its margins and go back to
   step 2. In one-dimensional tables step 2 already suffices; in two or more
   dimensions step 3 catches patterns such as a hidden cell that links two
   otherwise separate groups of hidden cells.
4. If a margin has one hidden cell and no other cell with people left to hide
   (e.g. all its other cells are 0), no suppression can protect it:
   :func:`suppress` raises, and the table must be merged into coarser groups
   or that total kept unpublished.

Ties are broken by the table order (sorted by ``group_cols``), so the result
is deterministic. The method protects against exact recovery; an attacker can
still bound a hidden cell between 0 and the sum of the hidden cells of a
margin, which is why the next-smallest cell (not an arbitrary one) is hidden
only as far as needed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import polars as pl

__all__ = [
    "DEFAULT_K",
    "MIN_K",
    "SUPPRESSED_MARK",
    "check_k",
    "format_for_display",
    "safe_aggregate",
    "suppress",
]

#: Default minimum number of people per published cell (NDB guideline).
DEFAULT_K = 10
#: Lowest k accepted: the "x" rule of official statistics (1–2 respondents).
MIN_K = 3
#: What a hidden cell shows in a display table.
SUPPRESSED_MARK = "x"

PRIMARY = "一次秘匿"
SECONDARY = "二次秘匿"

_ORDER_STATS = re.compile(r"^(min|max|median|p\d{1,2})$")
_STATS = re.compile(r"^(sum|mean|std|min|max|median|p\d{1,2})$")


def check_k(k: int) -> int:
    """Return ``k`` if it is a whole number ≥ :data:`MIN_K`, else raise ``ValueError``."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise ValueError(f"k（公表に必要な最少人数）は整数で指定してください（指定値：{k!r}）")
    if k < MIN_K:
        raise ValueError(
            f"k（公表に必要な最少人数）は{MIN_K}以上にしてください（指定値：{k}）。"
            "1〜2人のセルは本人や同僚から値が特定されるため、公表できません"
        )
    return int(k)


def _cell_label(row: dict, group_cols: Sequence[str]) -> str:
    return "、".join(f"{c}={row[c]}" for c in group_cols)


def _margins(table: pl.DataFrame, group_cols: Sequence[str]) -> list[np.ndarray]:
    """Row indices of every margin: cells sharing all group columns but one."""
    indexed = table.with_row_index("_row")
    margins = []
    for column in group_cols:
        others = [c for c in group_cols if c != column]
        if not others:
            margins.append(indexed["_row"].to_numpy().astype(np.int64))
            continue
        groups = indexed.group_by(others, maintain_order=True).agg(pl.col("_row"))
        margins += [np.asarray(rows, dtype=np.int64) for rows in groups["_row"].to_list()]
    return margins


def _recoverable(hidden: np.ndarray, margins: list[np.ndarray]) -> np.ndarray:
    """Row indices of hidden cells whose value follows exactly from the margins."""
    cells = np.flatnonzero(hidden)
    if cells.size == 0:
        return cells
    position = {cell: i for i, cell in enumerate(cells)}
    incidence = np.zeros((len(margins), cells.size))
    for m, rows in enumerate(margins):
        for row in rows[hidden[rows]]:
            incidence[m, position[row]] = 1.0
    _, singular, vt = np.linalg.svd(incidence)
    rank = int((singular > 1e-9).sum())
    null_space = vt[rank:]  # rows span the vectors the margins cannot see
    determined = np.all(np.abs(null_space) < 1e-9, axis=0)
    return cells[determined]


def suppress(
    table: pl.DataFrame,
    *,
    count_col: str,
    value_cols: list[str],
    group_cols: list[str],
    k: int = DEFAULT_K,
) -> pl.DataFrame:
    """Hide cells with fewer than ``k`` people, with secondary suppression.

    Parameters
    ----------
    table : one row per cell (e.g. per department, or department × 年度).
    count_col : number of people in the cell (non-negative integers).
    value_cols : aggregates of the cell (totals, means, …) to hide with it.
    group_cols : columns identifying a cell.
    k : minimum number of people per published cell (≥ 3).

    Returns
    -------
    polars.DataFrame
        The table sorted by ``group_cols``, with ``count_col`` and
        ``value_cols`` set to null in hidden cells, and two added columns:
        ``suppressed`` (bool) and ``suppression`` (「一次秘匿」, 「二次秘匿」 or null).
        Cells with 0 people are kept (values null, not suppressed).

    Raises
    ------
    ValueError
        For k < 3, bad columns, duplicate cells, or a hidden cell that no
        suppression can protect (see the module docstring).
    """
    k = check_k(k)
    if not group_cols:
        raise ValueError("group_cols（セルを区別する列）を1つ以上指定してください")
    missing = [c for c in [count_col, *value_cols, *group_cols] if c not in table.columns]
    if missing:
        raise ValueError(f"列 {', '.join(missing)} がありません")
    table = table.sort(group_cols, maintain_order=True)
    if table.select(group_cols).is_duplicated().any():
        raise ValueError(
            f"{', '.join(group_cols)} が同じ行が複数あります（1セル1行にしてください）"
        )
    counts = table[count_col]
    if counts.null_count() or not counts.dtype.is_integer() or (counts < 0).any():
        raise ValueError(f"{count_col}列（人数）は0以上の整数で、空欄なしにしてください")

    n = counts.to_numpy()
    hidden = (n > 0) & (n < k)
    reason = np.where(hidden, PRIMARY, None).astype(object)
    margins = _margins(table, group_cols)

    def hide_smallest(rows: np.ndarray, cell: int) -> None:
        candidates = rows[~hidden[rows] & (n[rows] > 0)]
        if candidates.size == 0:
            row = table.row(int(cell), named=True)
            raise ValueError(
                f"秘匿したセル（{_cell_label(row, group_cols)}）は、合計から引き算で復元できます"
                "（同じ合計に含まれる他のセルがすべて0人か秘匿済みです）。"
                "区分を統合するか、その合計を公表しないでください"
            )
        pick = candidates[np.argmin(n[candidates])]  # first of the smallest: deterministic
        hidden[pick] = True
        reason[pick] = SECONDARY

    while True:
        changed = False
        for rows in margins:
            inside = rows[hidden[rows]]
            if inside.size == 1:
                hide_smallest(rows, inside[0])
                changed = True
        if changed:
            continue
        exposed = _recoverable(hidden, margins)
        if exposed.size == 0:
            break
        cell = int(exposed[0])
        around = np.unique(np.concatenate([rows for rows in margins if cell in rows]))
        hide_smallest(around, cell)

    mask = pl.Series("suppressed", hidden)
    return table.with_columns(
        *[pl.when(mask).then(None).otherwise(pl.col(c)).alias(c) for c in [count_col, *value_cols]],
        suppressed=mask,
        suppression=pl.Series(reason.tolist(), dtype=pl.String),
    )


def format_for_display(
    table: pl.DataFrame,
    *,
    count_col: str,
    value_cols: list[str],
    decimals: int = 1,
    mark: str = SUPPRESSED_MARK,
    empty: str = "-",
) -> pl.DataFrame:
    """Turn a :func:`suppress` result into text columns for publication.

    Hidden cells show ``mark`` (「x」) in the count and value columns; values
    of cells with 0 people show ``empty`` (「-」, 該当なし). Counts get thousands
    separators and values ``decimals`` decimals. The ``suppressed`` and
    ``suppression`` columns are dropped.
    """
    if "suppressed" not in table.columns:
        raise ValueError("suppress() の結果を渡してください（suppressed列がありません）")
    hidden = pl.col("suppressed")

    def text(column: str, digits: int) -> pl.Expr:
        shown = pl.col(column).map_elements(
            lambda v: f"{v:,.{digits}f}", return_dtype=pl.String, skip_nulls=True
        )
        return (
            pl.when(hidden)
            .then(pl.lit(mark))
            .when(pl.col(column).is_null())
            .then(pl.lit(empty))
            .otherwise(shown)
            .alias(column)
        )

    return table.with_columns(text(count_col, 0), *[text(c, decimals) for c in value_cols]).drop(
        "suppressed", "suppression"
    )


def safe_aggregate(
    df: pl.DataFrame,
    *,
    by: list[str],
    value: str,
    k: int = DEFAULT_K,
    stats: Sequence[str] = ("sum", "mean"),
    person_col: str | None = None,
) -> pl.DataFrame:
    """Aggregate per-employee data by group and suppress small cells.

    Parameters
    ----------
    df : per-employee rows (or per employee and month, with ``person_col``).
    by : grouping columns (e.g. ``["department"]``).
    value : the numeric column to summarise.
    k : minimum number of people per published cell (≥ 3).
    stats : any of ``sum, mean, std, min, max, median, p10 … p90``.
    person_col : if given, rows are first summed per person within each group,
        and people are counted as distinct values of this column; otherwise
        each row is one person.

    Returns
    -------
    polars.DataFrame
        ``*by, n_people, <value>_<stat> …`` after :func:`suppress`.

    Raises
    ------
    ValueError
        When min/max/median/percentiles are asked for and a group has fewer
        than ``k`` people (they would publish one person's value), and for the
        cases of :func:`suppress`.
    """
    k = check_k(k)
    unknown = [s for s in stats if not _STATS.match(s)]
    if unknown:
        raise ValueError(
            f"統計量 {', '.join(unknown)} は使えません"
            "（sum, mean, std, min, max, median, p10〜p90 から選んでください）"
        )
    missing = [
        c for c in [*by, value, *([person_col] if person_col else [])] if c not in df.columns
    ]
    if missing:
        raise ValueError(f"列 {', '.join(missing)} がありません")
    if person_col:
        df = df.group_by([*by, person_col]).agg(pl.col(value).sum())

    def expression(stat: str) -> pl.Expr:
        column = pl.col(value)
        if stat.startswith("p"):
            result = column.quantile(int(stat[1:]) / 100, interpolation="linear")
        else:
            result = getattr(column, stat)()
        return result.cast(pl.Float64).alias(f"{value}_{stat}")

    table = df.group_by(by).agg(
        pl.len().cast(pl.Int64).alias("n_people"), *[expression(s) for s in stats]
    )
    order_stats = [s for s in stats if _ORDER_STATS.match(s)]
    small = table.filter(pl.col("n_people") < k).sort(by)
    if order_stats and small.height:
        groups = "、".join(
            f"{_cell_label(row, by)}（{row['n_people']}人）" for row in small.iter_rows(named=True)
        )
        raise ValueError(
            f"{', '.join(order_stats)} は1人の値そのものになるため、"
            f"{k}人未満の区分では計算できません"
            f"（該当：{groups}）。区分を統合するか、これらの統計量を外してください"
        )
    return suppress(
        table,
        count_col="n_people",
        value_cols=[f"{value}_{s}" for s in stats],
        group_cols=list(by),
        k=k,
    )
