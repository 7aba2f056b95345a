"""The DuckDB warehouse: the one writer (:mod:`~ebpm.warehouse.build`), what it reads
(:mod:`~ebpm.warehouse.sources`) and the one read API (:mod:`~ebpm.warehouse.read`).

``build`` imports Great Expectations on use; reading needs only DuckDB and polars.
"""

from ebpm.warehouse.build import BuildSummary, build
from ebpm.warehouse.read import (
    StaleSnapshotWarning,
    Warehouse,
    WarehouseBusyError,
    WarehouseMissingError,
    connect,
    kpi_history,
    kpi_sources,
    latest_fiscal_year,
    load_kpis,
    progress_table,
    provenance_records,
    query,
    stale_files,
)

__all__ = [
    "BuildSummary",
    "StaleSnapshotWarning",
    "Warehouse",
    "WarehouseBusyError",
    "WarehouseMissingError",
    "build",
    "connect",
    "kpi_history",
    "kpi_sources",
    "latest_fiscal_year",
    "load_kpis",
    "progress_table",
    "provenance_records",
    "query",
    "stale_files",
]
