"""National context for 大船渡市: municipal finances, census population, open data, peers.

Every source is a real public file kept unchanged under ``data/raw/`` (provenance in the
folders' ``SOURCES.toml`` or the e-Stat sidecars); the modules read them by header name,
keep published markers beside the values, and report problems by file, row and column:

=============  ==========================================================================
``extracts``   the two small tables we keyed (``municipalities.csv``, ``population_census.csv``)
``census``     国勢調査 1970–2020 of every municipality (2020: 速報値), 旧市町村 crosswalk
``fiscal``     総務省「地方公共団体の主要財政指標一覧」FY2005– and the prefecture means
``opendata``   令和2年度 オープンデータの取組に関するアンケート
``peers``      the peer group, chosen by a stated rule (or a planner's list)
``catalog``    the e-Stat tables a planner needs, and fetching them in one go
``tables``     what ``ebpm build`` reads; ``views``: the comparison views over it
=============  ==========================================================================
"""

from __future__ import annotations

from ebpm.national.catalog import CatalogEntry, FetchResult, fetch_catalog, load_catalog
from ebpm.national.extracts import MUNICIPALITY_FILE, POPULATION_FILE, load_national, read_extracts
from ebpm.national.fiscal import INDICATORS, read_fiscal, read_fiscal_file, read_fiscal_means
from ebpm.national.peers import PeerGroup, PeerRule, peers_from_list, select_peers
from ebpm.national.tables import read_tables
from ebpm.national.views import comparison, create_views

__all__ = [
    "INDICATORS",
    "MUNICIPALITY_FILE",
    "POPULATION_FILE",
    "CatalogEntry",
    "FetchResult",
    "PeerGroup",
    "PeerRule",
    "comparison",
    "create_views",
    "fetch_catalog",
    "load_catalog",
    "load_national",
    "peers_from_list",
    "read_extracts",
    "read_fiscal",
    "read_fiscal_file",
    "read_fiscal_means",
    "read_tables",
    "select_peers",
]
