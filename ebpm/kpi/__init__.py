"""The strategy's KPIs: the model (:mod:`~ebpm.kpi.model`), the progress rule
(:mod:`~ebpm.kpi.progress`), the grades and their one palette (:mod:`~ebpm.kpi.grades`)
and how a progress row is printed (:mod:`~ebpm.kpi.display`), re-exported here so
callers write ``from ebpm.kpi import …``.
"""

from ebpm.kpi.display import (
    PERIOD_AVERAGE_RULE,
    SURVEY_RULE,
    ProgressText,
    display_unit,
    format_progress,
    period_label,
    period_note,
    survey_note,
    unit_note,
)
from ebpm.kpi.grades import (
    GRADE_COLORS,
    GRADE_STYLES,
    GRADES,
    NEUTRAL,
    NOT_ACHIEVED,
    GradeStyle,
    contrast_ratio,
    grade_label,
    grade_legend,
)
from ebpm.kpi.model import (
    DEFAULT_BANDS,
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
    expected_path,
    expected_value,
    judged_actual,
    progress_frame,
    progress_ratio,
)

__all__ = [
    "DEFAULT_BANDS",
    "GRADES",
    "GRADE_COLORS",
    "GRADE_STYLES",
    "KPI",
    "NEUTRAL",
    "NOT_ACHIEVED",
    "PERIOD_AVERAGE_RULE",
    "PROGRESS_COLUMNS",
    "REASONS",
    "SURVEY_RULE",
    "GradeBands",
    "GradeStyle",
    "Progress",
    "ProgressText",
    "contrast_ratio",
    "display_unit",
    "elapsed_share",
    "evaluate",
    "expected_path",
    "expected_value",
    "format_band",
    "format_progress",
    "grade_label",
    "grade_legend",
    "judged_actual",
    "period_label",
    "period_note",
    "progress_frame",
    "progress_ratio",
    "promotion_period",
    "survey_note",
    "unit_note",
]
