"""The city's own records: overtime and paper-purchase exports (issue 11).

Exports land in ``data/raw/records/{overtime,paper}/`` (the training samples in
``data/raw/sample/records/``) with a ``mapping.toml`` naming their columns. The build
validates them all or nothing, replaces employee ids by keyed pseudonyms, stores
Hive-partitioned Parquet by fiscal year and attaches it as views; K09/K10 are derived
and compared with the typed actuals. Lessons read them with :func:`overtime_monthly`
and :func:`paper_monthly`, whichever source the warehouse holds.

>>> from ebpm import records
>>> records.STAFF_DEFINITIONS["headcount"][:3]
'職員数'
"""

from __future__ import annotations

from ebpm.records.derive import PRECISION, STAFF_DEFINITIONS
from ebpm.records.read import (
    RecordsMissingError,
    derived_actuals,
    overtime_monthly,
    paper_monthly,
    paper_purchases,
    record_provenance,
    records_setting,
)

__all__ = [
    "PRECISION",
    "STAFF_DEFINITIONS",
    "RecordsMissingError",
    "derived_actuals",
    "overtime_monthly",
    "paper_monthly",
    "paper_purchases",
    "record_provenance",
    "records_setting",
]
