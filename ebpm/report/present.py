"""How the report's outputs print numbers, years and grades: the one place they are decided.

Every writer (HTML, workbook, Word, PowerPoint, the explanation text) formats through
these functions, which follow the project's rules rather than repeat them:

- a progress row's numbers come from :func:`ebpm.kpi.format_progress` (half-up on the
  decimal value, fixed decimals per column, published precision kept), so a cell of the
  report shows exactly what ``ebpm status`` prints;
- numbers the row does not carry (the previous year's value, a change, a gap, an annual
  change still needed) use the same decimals: an observed value keeps at least the KPI's
  published decimals (:func:`observed_decimals`), a derived value gets the row's
  ``derived_decimals``;
- a grade's colours and symbol come from :data:`ebpm.kpi.GRADE_STYLES`, the one palette of
  every output.

>>> value_text(4_500_000.0, "枚", 0), value_text(48.0, "%", 1), change_text(-1.3, "%", 1)
('4,500,000枚', '48.0%', '1.3ポイント低下')
>>> year_text(2025), year_text(2025, short=True)
('令和7年度（2025年度）', 'R7（2025）')
>>> grade_style("未達成").symbol, grade_style("どこにもない評価").symbol
('×', '−')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeGuard

from ebpm.jp import MISSING, fiscal_year_label_ja, format_fixed, shortest_decimals
from ebpm.kpi import (
    GRADE_STYLES,
    GRADES,
    PERIOD_AVERAGE_RULE,
    SURVEY_RULE,
    GradeBands,
    GradeStyle,
    display_unit,
    grade_label,
    grade_legend,
)
from ebpm.kpi.display import derived_decimals
from ebpm.kpi.grades import OUTLINE, UNGRADED

__all__ = [
    "COLUMNS_NOTE",
    "GRADE_ORDER",
    "OUTLINE",
    "ROUNDING_NOTE",
    "change_text",
    "derived_digits",
    "excel_format",
    "grade_css",
    "grade_label",
    "grade_rank",
    "grade_style",
    "is_number",
    "kpi_decimals",
    "observed_decimals",
    "rule_texts",
    "unit_of",
    "value_text",
    "year_text",
]

#: Every grade, best first (filters, summaries and sorting use this order).
GRADE_ORDER: Final = GRADES


def is_number(value: object) -> TypeGuard[float]:
    """True for a real number (not None, not NaN, not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def unit_of(row: Mapping[str, Any]) -> str:
    """The unit printed with a KPI's values: the corrected one where the published was wrong."""
    return display_unit(row)


def year_text(fiscal_year: int | None, *, short: bool = False) -> str:
    """「令和7年度（2025年度）」 (or 「R7（2025）」 in narrow cells); − when missing."""
    return MISSING if fiscal_year is None else fiscal_year_label_ja(int(fiscal_year), short=short)


def _recorded(row: Mapping[str, Any], key: str, value: object) -> int:
    recorded = row.get(key)
    if is_number(recorded):
        return int(recorded)
    return shortest_decimals(float(value)) if is_number(value) else 0


def kpi_decimals(row: Mapping[str, Any]) -> int:
    """The published decimals of a KPI: those of its base or target, whichever has more."""
    return max(
        _recorded(row, "base_decimals", row.get("base_value")),
        _recorded(row, "target_decimals", row.get("target_value")),
    )


def observed_decimals(row: Mapping[str, Any], recorded: int | None, value: float | None) -> int:
    """Decimals of an observed value (an actual): as entered, at least the KPI's published ones.

    ``recorded`` is the value's own decimals from its file (None: those of its shortest text).
    """
    own = recorded if recorded is not None else (shortest_decimals(value) if value else 0)
    return max(own, kpi_decimals(row))


def derived_digits(row: Mapping[str, Any]) -> int:
    """Decimals of a derived value (期待値, averages, a needed annual change) of this KPI."""
    recorded = row.get("derived_decimals")
    return int(recorded) if is_number(recorded) else derived_decimals(kpi_decimals(row))


def value_text(value: float | None, unit: str, decimals: int) -> str:
    """A value with its unit and exactly ``decimals`` decimals: 「48.0%」; − when missing."""
    if not is_number(value):
        return MISSING
    return f"{format_fixed(value, decimals)}{unit}"


def change_text(change: float, unit: str, decimals: int) -> str:
    """A change in plain words: 「370,000枚減少」, 「1.3ポイント低下」, 「変化なし」.

    Zero is judged on the number as printed (a change that rounds to 0 is 変化なし).
    """
    size = format_fixed(abs(change), decimals)
    if float(size.replace(",", "")) == 0:
        return "変化なし"
    if unit in ("%", "％"):
        return f"{size}ポイント{'上昇' if change > 0 else '低下'}"
    return f"{size}{unit}{'増加' if change > 0 else '減少'}"


def grade_style(grade: str | None) -> GradeStyle:
    """The palette entry of a grade; a grade the palette does not know looks like 評価不能."""
    return GRADE_STYLES.get(str(grade), GRADE_STYLES[UNGRADED])


def grade_rank(grade: str | None) -> int:
    """Position of a grade in :data:`GRADE_ORDER` (unknown grades last)."""
    return GRADE_ORDER.index(grade) if grade in GRADE_ORDER else len(GRADE_ORDER)


def grade_css() -> str:
    """CSS of the grade chips, one class per grade (``.g0`` 達成 … ``.g7`` 評価不能).

    The colours are :data:`~ebpm.kpi.GRADE_STYLES`'; fills too light to stand out against
    white get the palette's outline.
    """
    rules = []
    for index, grade in enumerate(GRADE_ORDER):
        style = GRADE_STYLES[grade]
        border = OUTLINE if style.outline else style.fill
        rules.append(
            f".g{index}{{background:{style.fill};color:{style.on_fill};border:1px solid {border}}}"
        )
    return "\n".join(rules)


def excel_format(decimals: int, *, signed: bool = False, percent: bool = False) -> str:
    """An Excel number format with exactly ``decimals`` decimals (「#,##0.0」, 「0.0%」).

    >>> excel_format(0), excel_format(1), excel_format(2, signed=True), excel_format(1, percent=True)
    ('#,##0', '#,##0.0', '+#,##0.00;-#,##0.00;0.00', '0.0%')
    """
    fraction = "." + "0" * decimals if decimals else ""
    if percent:
        return f"0{fraction}%"
    body = f"#,##0{fraction}"
    return f"+{body};-{body};0{fraction}" if signed else body


#: How the report's numbers are printed (the rounding rule of :mod:`ebpm.kpi.display`).
ROUNDING_NOTE: Final = (
    "数値は10進の値で四捨五入しています（進捗率は小数第1位、ペースは小数第2位、期待値・期間平均は"
    "小数第1位（値に小数第2位があれば第2位））。基準値・目標値・実績値は公表・入力された桁のまま"
    "表示しています。"
)
#: What the columns mean.
COLUMNS_NOTE: Final = (
    "実績値はその年度の値です。期待値＝基準値から目標値への経路上の値（ふつうは直線）。"
    "前年度比＝実績値−前年度の値（割合の指標はポイント）。"
    "維持目標は実績が目標値以上なら達成（進捗率は実績÷目標）。"
)


def rule_texts(bands: GradeBands, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The grading rules behind a set of progress rows, one paragraph each, for every output:
    the bands, the symbols, the columns, the rounding, and the period-average and survey
    rules where a row follows them (worded once, in :mod:`ebpm.kpi.display`)."""
    rows = list(rows)
    texts = [bands.describe(), grade_legend(), COLUMNS_NOTE, ROUNDING_NOTE]
    if any(r.get("target_basis") == "period_average" for r in rows):
        texts.append(PERIOD_AVERAGE_RULE)
    if any(r.get("is_survey") for r in rows):
        texts.append(SURVEY_RULE)
    return texts
