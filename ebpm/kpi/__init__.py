"""The strategy's KPIs: the model (:mod:`~ebpm.kpi.model`) and the progress rule
(:mod:`~ebpm.kpi.progress`), re-exported here so callers write ``from ebpm.kpi import …``.
"""

from ebpm.kpi.model import (
    DEFAULT_BANDS,
    GRADES,
    KPI,
    REASONS,
    GradeBands,
    Progress,
    format_band,
    promotion_period,
)
from ebpm.kpi.progress import (
    PROGRESS_COLUMNS,
    elapsed_share,
    evaluate,
    expected_value,
    grade_of,
    judged_actual,
    progress_frame,
    progress_ratio,
)

__all__ = [
    "DEFAULT_BANDS",
    "GRADES",
    "KPI",
    "PROGRESS_COLUMNS",
    "REASONS",
    "GradeBands",
    "Progress",
    "elapsed_share",
    "evaluate",
    "expected_value",
    "format_band",
    "grade_of",
    "judged_actual",
    "progress_frame",
    "progress_ratio",
    "promotion_period",
]
