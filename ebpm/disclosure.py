"""Small-cell suppression for aggregates of per-employee data (practice-notes §7).

Rules
-----
- A cell describing 1 … k−1 people is hidden (一次秘匿); k = 10 by default,
  configurable, never below 3 (the statistical "x" baseline).
- People are distinct values of the person column, never rows: aggregates of
  per-person data refuse to run without it (会計課 with 7 people and 84
  person-months is 7 people).
- A cell with 0 people is published (count 0, values empty).
- A hidden cell hides its count as well as its values, and prints as 「x」.
- Minimum, maximum, median and percentiles are refused on groups of fewer than
  k people (they are one person's value), and when two published cells of such
  statistics differ by fewer than k people (the maximum of a 部 and of one of its
  課 give away the maximum of the other 課).
- Further cells are hidden (二次秘匿) until the check below passes.

What is checked
---------------
Every figure published from one set of per-person rows is a sum over the rows
of a cell: counts, sums, and means together with their n (mean × n = sum), of
every table released through the same :class:`Release`, and every total of
those tables. A total obtained by leaving out grouping columns (the city total
of a department table; each department's total over the years of a
department × 年度 table) is assumed public, since anybody may publish it,
unless it covers fewer than k people.

Split the rows into *atoms*: rows lying in exactly the same published cells
(the finest partition of all groupings used, partial groupings made with
``where`` included). Each published figure is then the sum of some atoms. A
release is accepted only if **no combination of published figures, added and
subtracted in any way, depends on fewer than k people**: no hidden cell, no
atom (e.g. a 部 minus the one 課 of it that is published) and no sum or
difference of small groups can be computed. Such a combination exists iff a
non-zero vector supported on atoms of fewer than k people (in total) lies in
the row space of the cell-by-atom matrix. The ranks are computed exactly, on
integers modulo two 31-bit primes (a rank can only drop modulo a prime, so the
larger of the two is used), with no floating-point tolerance.

Secondary suppression
---------------------
Tables already released cannot be withdrawn, so only the new table's cells are
hidden:

1. Hide every cell with 1 … k−1 people (primary).
2. If the totals of the new table together with the earlier tables already
   expose a small group, no hiding of cells can help: the table is refused
   (:class:`DisclosureError`, saying which group and which tables).
3. While a small group is exposed, hide one more cell of the new table: among
   the cells sharing a published figure with the exposed group, the smallest
   one whose hiding removes that exposure, or else the smallest of them.
   Ties are broken by table order, so the result is deterministic.
4. A table left with nothing to publish (no cell and no total) is refused.

What is not guaranteed
----------------------
- Tables made outside one :class:`Release` — separate :func:`safe_aggregate`
  calls, tables typed by hand, other data about the same people — are not
  checked against each other.
- Knowledge from outside the published figures (one person's hours known to a
  colleague, for instance) is not modelled, beyond the k rule itself.
- An attacker can still *bound* a hidden cell (between 0 and the total of the
  hidden cells it sits with); only exact computation is prevented.
- Standard deviations are checked as sums of squares of the cells; they are
  exact only when every person's rows fall in one cell of each table (true for
  per-person tables of one 年度). No rounding or noise is added.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import polars as pl

__all__ = [
    "DEFAULT_K",
    "MIN_K",
    "SUPPRESSED_MARK",
    "DisclosureError",
    "Release",
    "ReleasedTable",
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

# Exact rank arithmetic: two primes below 2**31, so that products fit in int64.
_PRIMES = (2_147_483_647, 2_147_483_629)
# Candidate groups examined before the search gives up and the table is
# refused as too tangled to check (never published unchecked).
_MAX_CANDIDATES = 20_000


_TANGLED = (
    "{what} は公表できません。少人数の集団の組み合わせが多すぎて、{k}人未満の値が"
    "足し引きで求められないことを確かめきれません。"
    "少人数の区分を統合するか、公表する合計（margins）を減らすか、表を小さく分けてください"
)


class DisclosureError(ValueError):
    """A table that cannot be published without revealing a group of fewer than k people."""


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


# ---------------------------------------------------------------------------
# Exact linear algebra modulo a prime
# ---------------------------------------------------------------------------


def _rref(
    matrix: np.ndarray, prime: int, *, pivot_cols: int | None = None
) -> tuple[np.ndarray, list[int]]:
    """Reduced row echelon form modulo ``prime``: (all rows, pivot columns).

    Pivots are sought in the first ``pivot_cols`` columns only (all by
    default), so that columns appended to the right record the row operations.
    The rows after ``len(pivots)`` are zero in the pivot columns.
    """
    a = np.asarray(matrix, dtype=np.int64) % prime
    n_rows = a.shape[0]
    pivots: list[int] = []
    r = 0
    for c in range(a.shape[1] if pivot_cols is None else pivot_cols):
        if r == n_rows:
            break
        nonzero = np.flatnonzero(a[r:, c])
        if nonzero.size == 0:
            continue
        i = r + int(nonzero[0])
        if i != r:
            a[[r, i]] = a[[i, r]]
        a[r] = a[r] * pow(int(a[r, c]), prime - 2, prime) % prime
        factors = a[:, c].copy()
        factors[r] = 0
        rows = np.flatnonzero(factors)
        if rows.size:
            a[rows] = (a[rows] - factors[rows, None] * a[r] % prime) % prime
        pivots.append(c)
        r += 1
    return a, pivots


def _rank(matrix: np.ndarray, prime: int) -> int:
    if matrix.size == 0:
        return 0
    return len(_rref(matrix, prime)[1])


def _null_space(matrix: np.ndarray, prime: int) -> np.ndarray:
    """Basis (rows) of {v : matrix · v = 0} modulo ``prime``."""
    if matrix.shape[0] == 0:
        return np.eye(matrix.shape[1], dtype=np.int64)
    return _null_from(*_rref(matrix, prime), prime)


def _null_from(reduced: np.ndarray, pivots: list[int], prime: int) -> np.ndarray:
    """The null space basis from a reduced row echelon form."""
    n_cols = reduced.shape[1]
    free = np.setdiff1d(np.arange(n_cols), pivots)
    basis = np.zeros((free.size, n_cols), dtype=np.int64)
    basis[np.arange(free.size), free] = 1
    if pivots:
        basis[:, pivots] = (-reduced[: len(pivots), free].T) % prime
    return basis


def _reduce(matrix: np.ndarray) -> tuple[int, np.ndarray, list[int]]:
    """Row-reduce modulo each prime and keep the larger rank (a rank can only drop modulo a prime)."""
    best: tuple[int, np.ndarray, list[int]] | None = None
    for prime in _PRIMES:
        reduced, pivots = _rref(matrix, prime)
        if best is None or len(pivots) > len(best[2]):
            best = (prime, reduced, pivots)
    assert best is not None  # _PRIMES is not empty
    return best


def _mod_combination(weights: np.ndarray, rows: np.ndarray, prime: int) -> np.ndarray:
    """``weights · rows`` modulo ``prime`` without int64 overflow."""
    total = np.zeros(rows.shape[1], dtype=np.int64)
    for i in np.flatnonzero(weights):
        total = (total + int(weights[i]) * rows[i] % prime) % prime
    return total


People = dict[int, frozenset[int]]  # atom → its people, for atoms of fewer than k people


@dataclass(frozen=True)
class _Found:
    """A group of small atoms on which some combination of published figures depends alone."""

    atoms: tuple[int, ...]
    vector: np.ndarray  # that combination, per atom (modulo ``prime``), zero outside ``atoms``
    dimension: int  # independent such combinations within ``atoms``
    prime: int


class _TooTangled(Exception):
    """Internal: too many candidate groups to check them all."""


def _exposed(functionals: np.ndarray, small: People, k: int) -> _Found | None:
    """A smallest group of fewer than ``k`` people that the functionals expose.

    ``functionals`` is the published cell-by-atom 0/1 matrix and ``small`` the
    people of each atom with fewer than ``k`` of them. A group (a set of small
    atoms) is exposed when some combination of the published figures is
    non-zero on its atoms only.

    Search: atoms with the same people form a class, and adding a whole class
    adds nobody, so every exposed group lies inside a union of whole classes
    with fewer than ``k`` people. Such unions are tried by increasing size
    (grown only while under ``k`` people); in the first one that holds a
    published combination, atoms are dropped one by one while it still does,
    which leaves a minimal group.
    """
    if not small or functionals.shape[0] == 0:
        return None
    small_atoms = np.array(sorted(small), dtype=np.int64)
    prime, reduced, pivots = _reduce(functionals)
    # a vector u on the small atoms is published iff it is orthogonal to the null space
    null = _null_from(reduced, pivots, prime)[:, small_atoms]
    derivable = _null_space(null, prime)
    if derivable.shape[0] == 0:
        return None
    basis = _rref(derivable, prime)[0]
    dimension = basis.shape[0]
    touched = basis.any(axis=0)

    def inside(group: np.ndarray) -> int:
        """Independent published combinations supported within ``group`` (a mask)."""
        return dimension - _rank(basis[:, ~group], prime)

    classes: dict[frozenset[int], list[int]] = {}
    for position in np.flatnonzero(touched):
        classes.setdefault(small[int(small_atoms[position])], []).append(int(position))
    keys = list(classes)
    level: list[tuple[tuple[int, ...], frozenset[int]]] = [((), frozenset())]
    tried = 0
    found = None
    while level and found is None:
        grown = []
        for chosen, people in level:
            for j in range(chosen[-1] + 1 if chosen else 0, len(keys)):
                members = people | keys[j]
                if len(members) >= k:
                    continue
                tried += 1
                if tried > _MAX_CANDIDATES:
                    raise _TooTangled
                group = np.zeros(small_atoms.size, dtype=bool)
                for i in (*chosen, j):
                    group[classes[keys[i]]] = True
                if inside(group):
                    found = group
                    break
                grown.append(((*chosen, j), members))
            if found is not None:
                break
        level = grown
    if found is None:
        return None
    for position in np.flatnonzero(found):  # shrink to a minimal group
        found[position] = False
        if not inside(found):
            found[position] = True
    outside = basis[:, ~found]
    weights = _null_space(outside.T, prime) if outside.size else np.eye(dimension, dtype=np.int64)
    vector = np.zeros(functionals.shape[1], dtype=np.int64)
    vector[small_atoms] = _mod_combination(weights[0], basis, prime)
    return _Found(
        atoms=tuple(int(a) for a in small_atoms[found]),
        vector=vector,
        dimension=weights.shape[0],
        prime=prime,
    )


@dataclass(frozen=True)
class _Exposure(Exception):
    """Internal: the fixed figures (totals, earlier tables) alone expose ``atoms``."""

    atoms: tuple[int, ...]


def _protect(
    fixed: np.ndarray,
    cells: np.ndarray,
    primary: np.ndarray,
    small: People,
    sizes: np.ndarray,
    k: int,
) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """Hide cells (rows of ``cells``) until no small group is exposed.

    ``fixed`` are figures that cannot be hidden (earlier tables, totals).
    Returns the hidden mask and the last exposed group that forced a hiding.
    Raises :class:`_Exposure` if the fixed figures alone expose a group, and
    :class:`_TooTangled` if a check has too many candidates.
    """
    found = _exposed(fixed, small, k)
    if found is not None:
        raise _Exposure(found.atoms)
    hidden = primary.copy()
    last = None
    while True:
        visible = np.flatnonzero(~hidden & (sizes > 0))
        current = np.vstack([fixed, cells[visible]])
        found = _exposed(current, small, k)
        if found is None:
            return hidden, last
        last = found.atoms
        hidden[_choose(current, fixed.shape[0], cells, visible, found, sizes)] = True


def _choose(
    current: np.ndarray,
    n_fixed: int,
    cells: np.ndarray,
    visible: np.ndarray,
    found: _Found,
    sizes: np.ndarray,
) -> int:
    """The cell to hide next (see the module docstring, step 3).

    Candidates are the visible cells sharing a published figure with the
    group, smallest first. Hiding one removes the exposure when the group
    holds a single exposing combination u = μ · figures and the cell is both
    needed by every way of writing u (μ ≠ 0 on it) and not a combination of
    the other figures (no dependency among the figures uses it). Otherwise
    the smallest candidate is hidden and the search goes on.
    """
    group = list(found.atoms)
    touching = current[:, group].any(axis=1)
    near = current[touching].any(axis=0)  # atoms sharing a published figure with the group
    neighbours = [int(c) for c in visible if cells[c][near].any()]
    order = sorted(neighbours or visible.tolist(), key=lambda c: (sizes[c], c))
    if found.dimension == 1:
        prime, n_figures, n_atoms = found.prime, current.shape[0], current.shape[1]
        augmented = np.hstack([current, np.eye(n_figures, dtype=np.int64)])
        reduced, pivots = _rref(augmented, prime, pivot_cols=n_atoms)
        operations = reduced[:, n_atoms:]
        essential: np.ndarray = ~np.any(operations[len(pivots) :], axis=0)
        mu = _mod_combination(found.vector[pivots], operations[: len(pivots)], prime)
        row_of = {int(c): n_fixed + i for i, c in enumerate(visible)}
        for cell in order:
            if essential[row_of[cell]] and mu[row_of[cell]]:
                return cell
    return order[0]


# ---------------------------------------------------------------------------
# Tables of counts (no per-person rows)
# ---------------------------------------------------------------------------


def _cell_label(row: dict, group_cols: Sequence[str]) -> str:
    return "、".join(f"{c}={row[c]}" for c in group_cols)


def _incidence(families: Sequence[np.ndarray], atom_of: np.ndarray, n_atoms: int) -> np.ndarray:
    """0/1 matrix: one row per cell (id ≥ 0) of each family, one column per atom."""
    rows = []
    for ids in families:
        covered = ids >= 0
        if not covered.any():
            continue
        matrix = np.zeros((int(ids.max()) + 1, n_atoms), dtype=np.int64)
        matrix[ids[covered], atom_of[covered]] = 1
        rows.append(matrix[matrix.any(axis=1)])
    return np.vstack(rows) if rows else np.zeros((0, n_atoms), dtype=np.int64)


def suppress(
    table: pl.DataFrame,
    *,
    count_col: str,
    value_cols: list[str],
    group_cols: list[str],
    k: int = DEFAULT_K,
    margins: bool | Sequence[Sequence[str]] = True,
) -> pl.DataFrame:
    """Hide cells with fewer than ``k`` people in a table of counts, with secondary suppression.

    For a table already aggregated (one row per cell with its number of
    people). The totals named by ``margins`` (as in :meth:`Release.table`;
    by default every total obtained by leaving out group columns) are assumed
    public when they cover at least ``k`` people. Use :class:`Release`
    when the per-person rows are at hand, and always when several tables come
    from the same people.

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
        For k < 3, bad columns, duplicate cells, or totals that by themselves
        reveal a group of fewer than k people (:class:`DisclosureError`).
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

    n = counts.to_numpy().astype(np.int64)
    # each non-empty cell is one atom; people in different cells are different people
    atom_of = np.where(n > 0, np.cumsum(n > 0) - 1, -1)
    n_atoms = int((n > 0).sum())
    cells = np.zeros((table.height, n_atoms), dtype=np.int64)
    cells[np.flatnonzero(n > 0), atom_of[n > 0]] = 1
    first = np.cumsum(n) - n  # stand-in person numbers, distinct across cells
    small = {
        int(atom_of[c]): frozenset(range(first[c], first[c] + n[c]))
        for c in np.flatnonzero((n > 0) & (n < k))
    }
    totals = []
    for kept in _groupings(list(group_cols), margins):
        ids = (
            table.select(pl.struct(list(kept)).rank("dense").cast(pl.Int64) - 1)
            .to_series()
            .to_numpy()
            if kept
            else np.zeros(table.height, dtype=np.int64)
        )
        people = np.bincount(ids, weights=n)
        totals.append(np.where((people[ids] >= k) & (n > 0), ids, -1))
    try:
        hidden, _ = _protect(
            _incidence(totals, atom_of, n_atoms), cells, (n > 0) & (n < k), small, n, k
        )
    except _Exposure as exposure:
        rows = [int(np.flatnonzero(atom_of == a)[0]) for a in exposure.atoms]
        labels = "、".join(_cell_label(table.row(r, named=True), group_cols) for r in rows)
        raise DisclosureError(
            f"表の合計（小計）どうしの引き算で、{k}人未満のセル（{labels}）が復元できます。"
            "区分を統合するか、公表する合計を margins で絞ってください"
        ) from None
    except _TooTangled:
        raise DisclosureError(_TANGLED.format(what="この表", k=k)) from None
    # numpy's stubs reject None as a branch of where(); at run time it makes an object array
    reason = np.where(hidden, np.where((n > 0) & (n < k), PRIMARY, SECONDARY), None)  # type: ignore[call-overload]
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


# ---------------------------------------------------------------------------
# Releases of per-person data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleasedTable:
    """What a :class:`Release` remembers of one published table."""

    title: str
    by: tuple[str, ...]
    where: str | None
    value: str
    stats: tuple[str, ...]
    n_cells: int
    n_hidden: int


def _stat_expression(value: str, stat: str) -> pl.Expr:
    column = pl.col(value)
    if stat.startswith("p"):
        result = column.quantile(int(stat[1:]) / 100, interpolation="linear")
    else:
        result = getattr(column, stat)()
    return result.cast(pl.Float64).alias(f"{value}_{stat}")


def _check_stats(stats: Sequence[str]) -> tuple[str, ...]:
    if isinstance(stats, str):
        stats = (stats,)
    unknown = [s for s in stats if not _STATS.match(s)]
    if unknown or not stats:
        raise ValueError(
            f"統計量 {', '.join(unknown)} は使えません"
            "（sum, mean, std, min, max, median, p10〜p90 から選んでください）"
        )
    return tuple(stats)


class Release:
    """Every table published from one set of per-person rows, checked together.

    Create one Release per set of per-person rows (e.g. the overtime of one
    年度) and make every table from it with :meth:`table`: partial groupings
    (``where``), coarser groupings (部 instead of 課), one-group totals
    (``by=[]``) and their totals are checked against everything released
    before (see the module docstring). A table that would reveal a group of
    fewer than ``k`` people gets more cells hidden, or is refused with
    :class:`DisclosureError`; a refused table leaves the Release unchanged.

    Parameters
    ----------
    data : per-person rows (per person, or per person and month).
    person_col : the column identifying a person (e.g. ``employee_id``). People
        are counted as its distinct values.
    k : minimum number of people behind any published figure (≥ 3).

    Examples
    --------
    >>> rows = pl.DataFrame({
    ...     "department": ["A"] * 12 + ["B"] * 4 + ["C"] * 30,
    ...     "employee_id": [f"E{i}" for i in range(46)],
    ...     "hours": [10.0] * 46,
    ... })
    >>> release = Release(rows, person_col="employee_id")
    >>> release.table(by=["department"], value="hours", stats=("sum",))["suppression"].to_list()
    ['二次秘匿', '一次秘匿', None]
    >>> release.table(by=[], value="hours", where=pl.col("department") != "B")
    Traceback (most recent call last):
    ...
    ebpm.disclosure.DisclosureError: 表2（合計） は公表できません。公表できるセルも合計も残りません（department=B の4人の値が求められるため）。...
    """

    def __init__(self, data: pl.DataFrame, *, person_col: str | None, k: int = DEFAULT_K) -> None:
        self.k = check_k(k)
        if not person_col:
            raise ValueError(
                "person_col（1人を区別する列、例：employee_id）を指定してください。"
                "職員別のデータでは、行の数ではなく人数で秘匿を判定する必要があります"
                "（1人12か月分の行を12人と数えると、少人数の部署が公表されてしまいます）"
            )
        if person_col not in data.columns:
            raise ValueError(
                f"列 {person_col} がありません（ある列：{', '.join(data.columns)}）。"
                "person_col には1人を区別する列を指定してください"
            )
        people = data[person_col]
        if people.null_count():
            raise ValueError(
                f"{person_col}列の{_first_row(people.is_null())}行目が空欄です。"
                "誰のデータかわからない行は集計できません（行を削除するか、職員番号を入力してください）"
            )
        self.person_col = person_col
        self._data = data
        self._person = (people.rank("dense").cast(pl.Int64) - 1).to_numpy()
        self._published: list[np.ndarray] = []  # per figure family: cell id per row, −1 = none
        self._ordered: list[np.ndarray] = []  # the same for cells publishing min/max/percentiles
        self._labels = pl.DataFrame()  # grouping columns of released tables, for messages
        self._tables: list[ReleasedTable] = []

    @property
    def tables(self) -> tuple[ReleasedTable, ...]:
        """The tables released so far, in order."""
        return tuple(self._tables)

    def summary(self) -> str:
        """A Japanese list of the released tables and their hidden cells."""
        lines = [f"公表した表（{self.person_col}で人数を数え、k={self.k}人未満は非公表）："]
        for table in self._tables:
            where = f"、条件 {table.where}" if table.where else ""
            lines.append(
                f"- {table.title}：{table.n_cells}セル中 {table.n_hidden}セルを秘匿{where}"
            )
        if not self._tables:
            lines.append("- まだありません")
        return "\n".join(lines)

    # -- one table ---------------------------------------------------------

    def table(
        self,
        *,
        by: Sequence[str | pl.Expr],
        value: str,
        stats: Sequence[str] = ("sum", "mean"),
        where: pl.Expr | None = None,
        margins: bool | Sequence[Sequence[str]] = True,
        title: str | None = None,
    ) -> pl.DataFrame:
        """Aggregate, suppress and release one table.

        Parameters
        ----------
        by : grouping columns or expressions (``pl.col("課").replace_strict(…).alias("部")``);
            ``[]`` for a one-group total.
        value : the numeric column to summarise (summed per person within a cell first).
        stats : any of ``sum, mean, std, min, max, median, p10 … p90``.
        where : a filter on the rows (a partial table, e.g. three departments).
        margins : the table's totals assumed public (each covering ≥ k people):
            True for every coarser grouping down to the grand total, False for
            none, or a list of groupings, e.g. ``[["fiscal_year"], []]`` for the
            yearly totals and the grand total of a department × 年度 table.
        title : name of the table in messages (default 「表n（列…）」).

        Returns
        -------
        polars.DataFrame
            ``*by, n_people, <value>_<stat> …, suppressed, suppression``, sorted by ``by``.

        Raises
        ------
        DisclosureError
            When the table cannot be published without revealing a group of
            fewer than k people (the Release is left unchanged).
        ValueError
            For bad columns or values, and for min/max/median/percentiles on a
            group of fewer than k people.
        """
        stats = _check_stats(stats)
        if isinstance(by, str | pl.Expr):  # one column written without [ ] (not its letters)
            by = [by]
        keys = [pl.col(b) if isinstance(b, str) else b for b in by]
        names = [key.meta.output_name() for key in keys]
        if len(set(names)) != len(names):
            raise ValueError(f"by に同じ名前の列があります（{', '.join(names)}）")
        title = title or f"表{len(self._tables) + 1}（{'・'.join(names) or '合計'}）"
        rows = self._rows(keys, names, value, where)
        if rows.is_empty():
            raise ValueError(f"{title}：条件に合う行がありません")
        rows, table = _cell_table(rows, names, value, stats)
        n = table["n_people"].to_numpy()
        self._refuse_small_order_stats(table, names, stats)

        labels = self._label_frame(keys, where)
        cell_of_row = np.full(self._data.height, -1, dtype=np.int64)
        cell_of_row[rows["_row"].to_numpy()] = rows["_cell"].to_numpy()
        totals = self._published_totals(rows, _groupings(names, margins))
        hidden = self._hidden(cell_of_row, totals, n, title, labels)
        visible_cells = np.where(
            (cell_of_row >= 0) & ~hidden[np.maximum(cell_of_row, 0)], cell_of_row, -1
        )
        ordered = [s for s in stats if _ORDER_STATS.match(s)]
        if ordered:
            self._check_order_stats(visible_cells, title, ordered, labels)

        # everything checked: the table is published
        released = ReleasedTable(
            title=title,
            by=tuple(names),
            where=None if where is None else str(where),
            value=value,
            stats=stats,
            n_cells=len(n),
            n_hidden=int(hidden.sum()),
        )
        self._publish(released, visible_cells, totals, bool(ordered), labels)
        return _shown_table(table, hidden, (n > 0) & (n < self.k), value, stats)

    def _hidden(
        self,
        cell_of_row: np.ndarray,
        totals: list[np.ndarray],
        n: np.ndarray,
        title: str,
        labels: pl.DataFrame,
    ) -> np.ndarray:
        """Hidden mask of the new table's cells; refused when no cell and no total is left."""
        hidden, reason_text = self._suppress(cell_of_row, totals, n, title, labels)
        if hidden.all() and not any((family >= 0).any() for family in totals):
            why = (
                f"（{reason_text}の値が求められるため）"
                if reason_text
                else f"（どのセルも{self.k}人未満のため）"
            )
            raise DisclosureError(
                f"{title} は公表できません。公表できるセルも合計も残りません{why}。"
                "区分を統合するか、この表を公表しないでください"
            )
        return hidden

    def _publish(
        self,
        released: ReleasedTable,
        visible_cells: np.ndarray,
        totals: list[np.ndarray],
        ordered: bool,
        labels: pl.DataFrame,
    ) -> None:
        """Remember a checked table: its figures count against every later table."""
        self._published += [visible_cells, *totals]
        if ordered:
            self._ordered.append(visible_cells)
        self._labels = labels
        self._tables.append(released)

    def _rows(
        self, keys: list[pl.Expr], names: list[str], value: str, where: pl.Expr | None
    ) -> pl.DataFrame:
        """Rows of the table (``_row, _person, *names, value``), values checked."""
        data = self._data
        if value not in data.columns:
            raise ValueError(f"列 {value} がありません（ある列：{', '.join(data.columns)}）")
        if not data.schema[value].is_numeric():
            raise ValueError(f"{value}列は数値にしてください（{data.schema[value]}）")
        clash = {value, "_row", "_person", "_cell", "_keep"} & set(names)
        if clash:
            raise ValueError(
                f"by に {', '.join(sorted(clash))} は使えません（集計する値や内部の列名です）"
            )
        missing = [
            n
            for key, n in zip(keys, names, strict=True)
            if key.meta.is_column() and n not in data.columns
        ]
        if missing:
            raise ValueError(
                f"列 {', '.join(missing)} がありません（ある列：{', '.join(data.columns)}）"
            )
        values = data[value].cast(pl.Float64)
        bad = (values.is_null() | ~values.is_finite()).fill_null(True)
        if bad.any():
            raise ValueError(
                f"{value}列の{_first_row(bad)}行目が空欄か数値ではありません（NaN・無限大）。"
                "値を入力するか、その行を除いてから集計してください"
            )
        try:
            frame = data.select(
                pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"),
                pl.lit(pl.Series("_person", self._person)),
                *keys,
                pl.col(value),
                (pl.lit(True) if where is None else where).alias("_keep"),
            )
        except pl.exceptions.PolarsError as error:
            raise ValueError(f"by または where を評価できません：{error}") from None
        if frame.schema["_keep"] != pl.Boolean:
            raise ValueError("where には真偽値（True/False）になる条件を指定してください")
        return frame.filter(pl.col("_keep").fill_null(False)).drop("_keep")

    def _published_totals(
        self, rows: pl.DataFrame, groupings: list[tuple[str, ...]]
    ) -> list[np.ndarray]:
        """Cell id per row of each total grouping, −1 where the total has fewer than k people."""
        families = []
        for kept in groupings:
            ids = (
                rows.select(pl.struct(list(kept)).rank("dense").cast(pl.Int64) - 1).to_series()
                if kept
                else pl.Series(np.zeros(rows.height, dtype=np.int64))
            )
            people = (
                pl.DataFrame({"id": ids, "person": rows["_person"]})
                .group_by("id")
                .agg(pl.col("person").n_unique())
            )
            # rows is not empty (table() refuses that) and ids are Int64: max() is an int
            large = np.zeros(cast(int, ids.max()) + 1, dtype=np.bool_)
            large[people.filter(pl.col("person") >= self.k)["id"].to_numpy()] = True
            keep = large[ids.to_numpy()]
            family = np.full(self._data.height, -1, dtype=np.int64)
            family[rows["_row"].to_numpy()[keep]] = ids.to_numpy()[keep]
            families.append(family)
        return families

    def _suppress(
        self,
        cell_of_row: np.ndarray,
        totals: list[np.ndarray],
        n: np.ndarray,
        title: str,
        labels: pl.DataFrame,
    ) -> tuple[np.ndarray, str | None]:
        """Hidden mask of the new table's cells (see the module docstring)."""
        families = [*self._published, *totals]
        signature = np.column_stack([*families, cell_of_row])
        covered = (signature >= 0).any(axis=1)
        _, inverse = np.unique(signature[covered], axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        n_atoms = int(inverse.max()) + 1 if inverse.size else 0
        atom_of = np.full(len(cell_of_row), -1, dtype=np.int64)
        atom_of[covered] = inverse
        members = (
            pl.DataFrame({"atom": inverse, "person": self._person[covered]})
            .unique()
            .group_by("atom")
            .agg(pl.col("person"))
        )
        people = np.zeros(n_atoms, dtype=np.int64)
        small: People = {}
        for atom, persons in members.iter_rows():
            people[atom] = len(persons)
            if len(persons) < self.k:
                small[atom] = frozenset(persons)

        def describe(atoms: Sequence[int]) -> str:
            return _describe(labels, np.isin(atom_of, list(atoms)), self._person)

        in_table = cell_of_row >= 0
        cells = np.zeros((len(n), n_atoms), dtype=np.int64)
        cells[cell_of_row[in_table], atom_of[in_table]] = 1
        try:
            hidden, last = _protect(
                _incidence(families, atom_of, n_atoms),
                cells,
                (n > 0) & (n < self.k),
                small,
                n,
                self.k,
            )
        except _Exposure as exposure:
            prior = "、".join(t.title for t in self._tables)
            source = (
                f"この表の合計（小計）と、すでに公表した{prior}"
                if prior
                else "この表の合計（小計）どうし"
            )
            raise DisclosureError(
                f"{title} は公表できません。{source}を足し引きすると、"
                f"{describe(exposure.atoms)}の値が求められます（k={self.k}人未満）。"
                "区分を統合するか、公表する合計を margins で絞るか（margins=False で合計なし）、"
                "この表を公表しないでください"
            ) from None
        except _TooTangled:
            raise DisclosureError(_TANGLED.format(what=title, k=self.k)) from None
        return hidden, None if last is None else describe(last)

    def _label_frame(self, keys: list[pl.Expr], where: pl.Expr | None) -> pl.DataFrame:
        """Grouping (and filtering) columns of every released table and this one, for messages."""
        filtered = [] if where is None else where.meta.root_names()
        used = {e.meta.output_name(): e for e in [*keys, *map(pl.col, filtered)]}
        new = [e for name, e in used.items() if name not in self._labels.columns]
        parts = [frame for frame in (self._labels, self._data.select(new)) if frame.width]
        return pl.concat(parts, how="horizontal") if parts else pl.DataFrame()

    def _refuse_small_order_stats(
        self, table: pl.DataFrame, names: list[str], stats: tuple[str, ...]
    ) -> None:
        ordered = [s for s in stats if _ORDER_STATS.match(s)]
        small = table.filter(pl.col("n_people") < self.k)
        if not ordered or small.is_empty():
            return
        groups = "、".join(
            f"{_cell_label(row, names) or '全体'}（{row['n_people']}人）"
            for row in small.iter_rows(named=True)
        )
        raise ValueError(
            f"{', '.join(ordered)} は1人の値そのものになるため、"
            f"{self.k}人未満の区分では計算できません"
            f"（該当：{groups}）。区分を統合するか、これらの統計量を外してください"
        )

    def _check_order_stats(
        self, visible_cells: np.ndarray, title: str, ordered: list[str], labels: pl.DataFrame
    ) -> None:
        """Refuse min/max/percentiles of cells that differ by fewer than k people."""
        if not self._ordered:
            return  # the cells of one table are disjoint and have ≥ k people each
        signature = np.column_stack([*self._ordered, visible_cells])
        covered = (signature >= 0).any(axis=1)
        _, atom = np.unique(signature[covered], axis=0, return_inverse=True)
        people = (
            pl.DataFrame({"atom": atom.reshape(-1), "person": self._person[covered]})
            .group_by("atom")
            .agg(pl.col("person").n_unique())
            .filter(pl.col("person") < self.k)
        )
        if people.is_empty():
            return
        rows = np.flatnonzero(covered)[np.isin(atom.reshape(-1), people["atom"].to_numpy())]
        mask = np.zeros(len(visible_cells), dtype=bool)
        mask[rows] = True
        raise DisclosureError(
            f"{title} の {', '.join(ordered)} は公表できません。"
            "すでに公表した最大値・最小値・パーセンタイルの区分と重なり、その差の"
            f"{_describe(labels, mask, self._person)}（k={self.k}人未満）の値がわかる場合があります。"
            "これらの統計量を外すか、同じ区分で集計してください"
        )


def _cell_table(
    rows: pl.DataFrame, names: list[str], value: str, stats: tuple[str, ...]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows with their cell id (``_cell``), and per cell the people and the stats of
    their per-person sums."""
    if names:
        cells = rows.select(names).unique().sort(names).with_row_index("_cell")
        rows = rows.join(cells, on=names, how="left", nulls_equal=True)
    else:
        cells = pl.DataFrame({"_cell": [0]}, schema={"_cell": pl.UInt32})
        rows = rows.with_columns(_cell=pl.lit(0, dtype=pl.UInt32))
    # sorted, order-keeping groups: float sums come out the same on every run
    per_person = (
        rows.sort("_cell", "_person", "_row")
        .group_by("_cell", "_person", maintain_order=True)
        .agg(pl.col(value).sum())
    )
    table = cells.join(
        per_person.group_by("_cell", maintain_order=True).agg(
            pl.len().cast(pl.Int64).alias("n_people"),
            *[_stat_expression(value, s) for s in stats],
        ),
        on="_cell",
        how="left",
    ).sort("_cell")
    return rows, table


def _shown_table(
    table: pl.DataFrame,
    hidden: np.ndarray,
    primary: np.ndarray,
    value: str,
    stats: tuple[str, ...],
) -> pl.DataFrame:
    """The table as published: hidden cells blank, with why (一次秘匿 or 二次秘匿)."""
    # numpy's stubs reject None as a branch of where(); at run time it makes an object array
    reason = np.where(hidden, np.where(primary, PRIMARY, SECONDARY), None)  # type: ignore[call-overload]
    mask = pl.Series("suppressed", hidden)
    value_cols = ["n_people", *[f"{value}_{s}" for s in stats]]
    return table.drop("_cell").with_columns(
        *[pl.when(mask).then(None).otherwise(pl.col(c)).alias(c) for c in value_cols],
        suppressed=mask,
        suppression=pl.Series(reason.tolist(), dtype=pl.String),
    )


def _groupings(names: list[str], margins: bool | Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """The total groupings a table publishes (see ``Release.table``)."""
    if margins is True:
        return [
            kept
            for size in range(len(names) - 1, -1, -1)
            for kept in itertools.combinations(names, size)
        ]
    if margins is False:
        return []
    groupings = []
    for grouping in margins:
        kept = (grouping,) if isinstance(grouping, str) else tuple(grouping)
        unknown = [c for c in kept if c not in names]
        if unknown or len(kept) >= len(names):
            raise ValueError(
                f"margins の {list(kept)} は、by（{', '.join(names)}）の一部の列の組にしてください"
            )
        groupings.append(tuple(c for c in names if c in kept))
    return groupings


def _first_row(bad: pl.Series) -> int:
    """1-based number of the first flagged row."""
    return int(bad.arg_true()[0]) + 1


def _describe(labels: pl.DataFrame, mask: np.ndarray, person: np.ndarray) -> str:
    """「department=会計課 の7人」: the grouping values of some rows and their number of people."""
    part = labels.filter(pl.Series(mask)) if labels.width else labels
    shown = []
    for column in part.columns:
        values = sorted({str(v) for v in part[column].to_list()})
        if len(values) <= 3:
            shown.append(f"{column}={'・'.join(values)}")
    what = "、".join(shown) if shown else "複数の区分にまたがる職員"
    return f"{what} の{len(np.unique(person[mask]))}人"


def safe_aggregate(
    df: pl.DataFrame,
    *,
    by: Sequence[str | pl.Expr],
    value: str,
    k: int = DEFAULT_K,
    stats: Sequence[str] = ("sum", "mean"),
    person_col: str | None = None,
    margins: bool | Sequence[Sequence[str]] = True,
) -> pl.DataFrame:
    """Aggregate per-person data by group and suppress small cells: ONE table, checked alone.

    Shorthand for ``Release(df, person_col=person_col, k=k).table(by=by, …)``.
    Two tables made by two calls are NOT checked against each other; make
    every table published from the same people with one :class:`Release`.

    Parameters
    ----------
    df : per-person rows (per person, or per person and month).
    by : grouping columns (e.g. ``["department"]``).
    value : the numeric column to summarise; rows are summed per person
        within each group first.
    k : minimum number of people per published cell (≥ 3).
    stats : any of ``sum, mean, std, min, max, median, p10 … p90``.
    person_col : the column identifying a person (required): people are
        counted as its distinct values, never as rows.
    margins : the totals assumed public, as in :meth:`Release.table`.

    Returns
    -------
    polars.DataFrame
        ``*by, n_people, <value>_<stat> …, suppressed, suppression``.

    Raises
    ------
    ValueError
        Without ``person_col``; when min/max/median/percentiles are asked for
        and a group has fewer than ``k`` people (they would publish one
        person's value); :class:`DisclosureError` when the table cannot be
        protected.
    """
    stats = _check_stats(stats)
    return Release(df, person_col=person_col, k=k).table(
        by=by, value=value, stats=stats, margins=margins
    )
