"""Warehouse views over the national tables: long indicators and the city-vs-context comparison.

``national_fiscal_long``
    One row per area, fiscal year and indicator, for the municipalities (``kind`` 市町村)
    and the published means (都道府県の市町村平均, 全国市町村平均); only indicators the
    year's table has; ``marker`` keeps 「－」 etc. as published.
``national_comparison``
    One row per fiscal year and indicator: the target city (大船渡市) beside its
    prefecture's mean, the national mean (both as published by 総務省) and the peer group
    (median, minimum, maximum and how many peers had a value, computed here), with the
    rule that chose the peers in ``peer_rule``. ``peer_n_marked`` counts the peers whose
    cell is a mark (「－」) instead of a number — they are not in the median, which can
    then move for that reason alone (将来負担比率: 9 of 25 peers in FY2021).

:func:`create_views` adds both to a warehouse connection (the build calls it after the
tables are written); :func:`comparison` gives the same comparison for another list of
peers without changing the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import polars as pl

from ebpm.national.fiscal import INDICATORS

if TYPE_CHECKING:
    import duckdb

__all__ = ["COMPARISON_NOTE", "comparison", "create_views"]

COMPARISON_NOTE: Final = (
    "都道府県・全国の平均は総務省「市町村主要財政指標の都道府県別平均」の公表値"
    "（平成17〜19年度の表の注記によれば、経常収支比率・実質公債費比率・起債制限比率は加重平均、"
    "財政力指数は単純平均で、特別区を含まない）。比較対象の値は ebpm が計算した中央値・最小値・最大値で、"
    "値のある団体（peer_n）だけから計算し、「－」などの記号の団体（peer_n_marked）は含めない。"
    "合併前で区域が現在と異なる年の値（peer_n_area_differs）は含めている"
)

_PAIRS: Final = ", ".join(f"({i.id}, {i.id}_marker) AS {i.id}" for i in INDICATORS)
_VALUES: Final = ", ".join(f"{i.id}, {i.id}_marker" for i in INDICATORS)

LONG_SQL: Final = f"""
CREATE OR REPLACE VIEW national_fiscal_long AS
WITH wide AS (
    SELECT fiscal_year, area_code, prefecture, name, '市町村' AS kind, match_method,
           area_note, {_VALUES}, source_file, source_row
    FROM national_fiscal
    UNION ALL BY NAME
    SELECT fiscal_year, area_code, NULL AS prefecture, name,
           CASE WHEN scope = '全国' THEN '全国市町村平均' ELSE '都道府県の市町村平均' END AS kind,
           NULL AS match_method, NULL AS area_note, {_VALUES}, source_file, source_row
    FROM national_fiscal_mean
),
long AS (
    -- the simplified UNPIVOT drops a row when any value column is null: use the standard form
    FROM wide UNPIVOT INCLUDE NULLS ((value, marker) FOR indicator_id IN ({_PAIRS}))
)
SELECT l.fiscal_year, l.area_code, l.prefecture, l.name, l.kind, i.indicator, i.unit,
       l.value, l.marker, l.match_method, l.area_note, l.indicator_id, i.sort_order,
       l.source_file, l.source_row
FROM long l
JOIN national_fiscal_indicator i USING (indicator_id)
JOIN national_fiscal_file f ON f.source_file = l.source_file
WHERE list_contains(f.indicators, l.indicator_id)
"""

_COMPARISON_SELECT: Final = """
WITH rule AS (SELECT * FROM {rule}),
series AS (SELECT * FROM national_fiscal_long),
grid AS (
    SELECT DISTINCT fiscal_year, indicator_id, indicator, unit, sort_order FROM series
),
target AS (
    SELECT s.fiscal_year, s.indicator_id, s.value, s.marker, s.area_note
    FROM series s, rule r WHERE s.kind = '市町村' AND s.area_code = r.target_code
),
prefecture AS (
    SELECT s.fiscal_year, s.indicator_id, s.name, s.value, s.marker
    FROM series s, rule r
    WHERE s.kind = '都道府県の市町村平均' AND s.area_code = substr(r.target_code, 1, 2) || '000'
),
nation AS (
    SELECT fiscal_year, indicator_id, value, marker FROM series WHERE kind = '全国市町村平均'
),
peer AS (
    SELECT s.fiscal_year, s.indicator_id, median(s.value) AS peer_median,
           min(s.value) AS peer_min, max(s.value) AS peer_max, count(s.value) AS peer_n,
           count(*) FILTER (WHERE s.value IS NULL AND s.marker IS NOT NULL) AS peer_n_marked,
           count(s.value) FILTER (WHERE s.area_note IS NOT NULL) AS peer_n_area_differs
    FROM series s JOIN {peer} p ON p.area_code = s.area_code
    WHERE s.kind = '市町村'
    GROUP BY ALL
)
SELECT g.fiscal_year, g.indicator_id, g.indicator, g.unit,
       r.target_code, r.target_name,
       t.value AS target_value, t.marker AS target_marker, t.area_note AS target_note,
       pr.name AS prefecture_mean_name, pr.value AS prefecture_mean,
       pr.marker AS prefecture_mean_marker,
       n.value AS national_mean, n.marker AS national_mean_marker,
       pe.peer_median, pe.peer_min, pe.peer_max, coalesce(pe.peer_n, 0) AS peer_n,
       coalesce(pe.peer_n_marked, 0) AS peer_n_marked,
       coalesce(pe.peer_n_area_differs, 0) AS peer_n_area_differs, r.n_peers, r.selection AS peer_selection, r.rule_text AS peer_rule,
       '{note}' AS note
FROM grid g
CROSS JOIN rule r
LEFT JOIN target t USING (fiscal_year, indicator_id)
LEFT JOIN prefecture pr USING (fiscal_year, indicator_id)
LEFT JOIN nation n USING (fiscal_year, indicator_id)
LEFT JOIN peer pe USING (fiscal_year, indicator_id)
ORDER BY g.sort_order, g.fiscal_year
"""


def _comparison_sql(peer: str, rule: str) -> str:
    return _COMPARISON_SELECT.format(peer=peer, rule=rule, note=COMPARISON_NOTE)


COMPARISON_SQL: Final = "CREATE OR REPLACE VIEW national_comparison AS " + _comparison_sql(
    "national_peer", "national_peer_rule"
)

#: Tables the views need; without them (a workspace without national data) no view is made.
REQUIRED: Final = (
    "national_fiscal",
    "national_fiscal_mean",
    "national_fiscal_indicator",
    "national_fiscal_file",
    "national_peer",
    "national_peer_rule",
)


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create the national views on a writable connection; return their names.

    Does nothing (returns ``[]``) when the national tables are not in the warehouse.
    """
    present = {
        row[0] for row in con.sql("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if not set(REQUIRED) <= present:
        return []
    con.execute(LONG_SQL)
    con.execute(COMPARISON_SQL)
    con.sql("SELECT count(*) FROM national_comparison").fetchall()  # the views must run
    return ["national_fiscal_long", "national_comparison"]


def comparison(
    con: duckdb.DuckDBPyConnection,
    peers: Sequence[str] | None = None,
    reason: str | None = None,
) -> pl.DataFrame:
    """The ``national_comparison`` rows, for the warehouse's peers or for ``peers`` given here.

    Parameters
    ----------
    con
        A warehouse connection (read-only is fine: nothing is written).
    peers
        5-digit codes of other peers; ``None`` uses the warehouse's peer group.
    reason
        Why these peers (required with ``peers``); it becomes ``peer_rule``.

    Raises
    ------
    ValueError
        In Japanese, for unknown codes, a missing reason, or the target among the peers.
    """
    if peers is None:
        return con.sql("SELECT * FROM national_comparison").pl()
    from ebpm.national.peers import peers_from_list

    target = con.sql("SELECT target_code FROM national_peer_rule").fetchall()[0][0]
    population = con.sql("SELECT * FROM national_census_population").pl()
    group = peers_from_list(population, peers, reason or "", target=target)
    tables = group.tables()
    con.register("ebpm_peer_given", tables["national_peer"])
    con.register("ebpm_peer_rule_given", tables["national_peer_rule"])
    try:
        return con.sql(_comparison_sql("ebpm_peer_given", "ebpm_peer_rule_given")).pl()
    finally:
        con.unregister("ebpm_peer_given")
        con.unregister("ebpm_peer_rule_given")
