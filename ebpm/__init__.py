"""ebpm — evidence-based policy making toolkit for a municipality's strategy KPIs
(the example workspace is 大船渡市 (Ofunato City) DX strategy).

The public API is re-exported here and loaded on first use, so ``import ebpm`` and the
``ebpm`` command stay fast (Great Expectations and Altair are imported only when needed).
Paths (``ebpm.ROOT``, ``ebpm.WAREHOUSE``, …) follow the current workspace on every access.

>>> import ebpm
>>> ebpm.parse_fiscal_year("令和7年度")
2025
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ebpm._imports import skip_slow_imports

__version__ = "0.1.0"

skip_slow_imports()  # ≈ 1.8 s of jsonschema's start-up for two format checks ebpm never uses

_EXPORTS: dict[str, str] = {
    # the workspace and its paths
    "ROOT": "paths",
    "RAW": "paths",
    "PROCESSED": "paths",
    "WAREHOUSE": "paths",
    "REPORT": "paths",
    "Workspace": "paths",
    "workspace": "paths",
    "set_root": "paths",
    "init_workspace": "scaffold",
    # Japanese conventions
    "parse_fiscal_year": "jp",
    "parse_number": "jp",
    "fiscal_year_label": "jp",
    "fiscal_year_of": "jp",
    "wareki_label": "jp",
    "read_text": "jp",
    "sniff_encoding": "jp",
    "normalize_text": "jp",
    # KPIs and their evaluation
    "KPI": "kpi",
    "GradeBands": "kpi",
    "Progress": "kpi",
    "DEFAULT_BANDS": "kpi",
    "GRADES": "kpi",
    "evaluate": "kpi",
    "progress_ratio": "kpi",
    "expected_value": "kpi",
    "expected_path": "kpi",
    "elapsed_share": "kpi",
    "promotion_period": "kpi",
    "format_progress": "kpi",
    "GRADE_STYLES": "kpi",
    # warehouse
    "build": "warehouse",
    "Warehouse": "warehouse",
    "connect": "warehouse",
    "query": "warehouse",
    "provenance_records": "warehouse",
    "kpi_sources": "warehouse",
    "kpi_history": "warehouse",
    "load_kpis": "warehouse",
    "progress_table": "warehouse",
    "latest_fiscal_year": "warehouse",
    "BuildError": "readers",
    "InputError": "readers",
    # national data and codes
    "normalize_code": "codes",
    "to_six": "codes",
    "check_digit": "codes",
    "attach_codes": "codes",
    "match_municipality": "codes",
    "read_gov_table": "govtables",
    "load_national": "national",
    # report
    "write_report": "report",
    # provenance
    "Provenance": "manifest",
    "source_line": "manifest",
    "scan_raw": "manifest",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ebpm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"ebpm.{module}"), name)
    if module != "paths":  # paths follow the current workspace, so they are never cached
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from ebpm.jp import *  # noqa: F403
    from ebpm.kpi import *  # noqa: F403
    from ebpm.manifest import *  # noqa: F403
    from ebpm.paths import *  # noqa: F403
    from ebpm.readers import BuildError as BuildError
    from ebpm.readers import InputError as InputError
    from ebpm.report import write_report as write_report
    from ebpm.scaffold import init_workspace as init_workspace
    from ebpm.warehouse import *  # noqa: F403
