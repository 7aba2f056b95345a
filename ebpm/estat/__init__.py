"""e-Stat API v3 (政府統計の総合窓口): responses, CSV downloads, an offline cache and a client.

Everything ends in one *tidy* polars frame, one row per published value (columns in
:mod:`ebpm.estat.tidy`). The parts:

==============  ==========================================================================
``responses``   JSON anatomy: status, TABLE_INF, CLASS_INF, NOTE (getStatsData/MetaInfo/List)
``tidy``        the tidy frame: getStatsData → rows, time codes, special-character markers
``downloads``   CSV downloads (three layouts) and :func:`parse_file` for any e-Stat file
``cache``       ``data/raw/estat``: stored responses, :func:`import_file`, :func:`load_cache`
``client``      :class:`EStatClient`, HTTP only (rate limit, retries, paging)
``appid``       the appId: read from ``ESTAT_APP_ID`` only, :func:`redact` from every text
==============  ==========================================================================

The appId is read only from the environment variable ``ESTAT_APP_ID``; it is never written to
a file, a message or a saved query.
"""

from __future__ import annotations

from ebpm.estat.appid import APP_ID_ENV, redact
from ebpm.estat.cache import (
    ResponseCache,
    default_cache_dir,
    import_file,
    load_cache,
    read_provenance,
)
from ebpm.estat.client import DEFAULT_BASE_URL, EStatClient
from ebpm.estat.downloads import ParsedFile, parse_file, read_estat_csv, read_estat_file
from ebpm.estat.errors import (
    EStatAPIError,
    EStatConfigError,
    EStatError,
    EStatFormatError,
    EStatHTTPError,
)
from ebpm.estat.responses import (
    CREDIT,
    LICENCE,
    PUBLISHER,
    EStatResponse,
    TableInfo,
    check_status,
    ensure_list,
    parse_meta_info,
    parse_notes,
    parse_stats_list,
    parse_table_info,
)
from ebpm.estat.tidy import (
    PERIOD_KINDS,
    parse_stats_data,
    parse_stats_pages,
    parse_time_codes,
    tidy_columns,
)

#: Old private name, kept until ``cli_estat`` imports :func:`redact`.

__all__ = [
    "APP_ID_ENV",
    "CREDIT",
    "DEFAULT_BASE_URL",
    "LICENCE",
    "PERIOD_KINDS",
    "PUBLISHER",
    "EStatAPIError",
    "EStatClient",
    "EStatConfigError",
    "EStatError",
    "EStatFormatError",
    "EStatHTTPError",
    "EStatResponse",
    "ParsedFile",
    "ResponseCache",
    "TableInfo",
    "check_status",
    "default_cache_dir",
    "ensure_list",
    "import_file",
    "load_cache",
    "parse_file",
    "parse_meta_info",
    "parse_notes",
    "parse_stats_data",
    "parse_stats_list",
    "parse_stats_pages",
    "parse_table_info",
    "parse_time_codes",
    "read_estat_csv",
    "read_estat_file",
    "read_provenance",
    "redact",
    "tidy_columns",
]
