"""How the report's outputs print numbers, years and grades: the one place they are decided.

Every writer (HTML, workbook, Word, PowerPoint, the explanation text) formats through
these functions, so a change to the rounding rule or the grade palette is made here once.
They call the project's own formatting (:mod:`ebpm.jp`) and palette (:mod:`ebpm.charts`).

>>> value_text(4_500_000.0, "枚"), value_text(48.0, "%"), change_text(-1.3, "%")
('4,500,000枚', '48%', '1.3ポイント低下')
>>> year_text(2025), year_text(2025, short=True)
('令和7年度（2025年度）', 'R7（2025）')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from ebpm.jp import MISSING, fiscal_year_label_ja, format_number, format_percent
from ebpm.kpi.model import GRADES

__all__ = [
    "GRADE_TEXT",
    "change_text",
    "decimals_of",
    "grade_colors",
    "is_number",
    "pace_text",
    "percent_text",
    "unit_of",
    "value_text",
    "year_text",
]

#: Text colours on the grade colours, chosen for contrast (WCAG AA: 4.5:1).
GRADE_TEXT: Final = ("#000000", "#FFFFFF")
_UNKNOWN_GRADE: Final = "#9E9E9E"


def is_number(value: object) -> bool:
    """True for a real number (not None, not NaN)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def unit_of(row: Mapping[str, Any]) -> str:
    """The unit printed with a KPI's values: the corrected one where the published was wrong."""
    return str(row.get("unit_corrected") or row.get("unit") or "")


def year_text(fiscal_year: int | None, *, short: bool = False) -> str:
    """「令和7年度（2025年度）」 (or 「R7（2025）」 in narrow cells); − when missing."""
    return MISSING if fiscal_year is None else fiscal_year_label_ja(int(fiscal_year), short=short)


def number_text(value: float | None) -> str:
    """A value as tables print it (thousands separators, at most two decimals)."""
    return format_number(value)


def value_text(value: float | None, unit: str) -> str:
    """A value with its unit: 「4,500,000枚」, 「48%」; − when missing."""
    if not is_number(value):
        return MISSING
    return f"{number_text(value)}{unit}"


def percent_text(fraction: float | None) -> str:
    """Progress and similar shares: 「45.8%」."""
    return format_percent(fraction)


def pace_text(pace: float | None) -> str:
    """Pace with two decimals: 「0.92」, 「1.00」."""
    return f"{pace:.2f}" if is_number(pace) else MISSING


def change_text(change: float, unit: str) -> str:
    """A change in plain words: 「370,000枚減少」, 「1.3ポイント低下」, 「変化なし」."""
    if change == 0:
        return "変化なし"
    size = number_text(abs(change))
    if unit in ("%", "％"):
        return f"{size}ポイント{'上昇' if change > 0 else '低下'}"
    return f"{size}{unit}{'増加' if change > 0 else '減少'}"


def decimals_of(value: float | None) -> int:
    """Decimals a value is printed with (at most two), for spreadsheet number formats."""
    if not is_number(value):
        return 0
    text = number_text(value).replace(",", "")
    return len(text.split(".")[1]) if "." in text else 0


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def grade_colors() -> dict[str, tuple[str, str]]:
    """Every grade's (background, text) colours: the charts' palette, text at the better contrast."""
    from ebpm.charts.theme import GRADE_COLORS

    out = {}
    for grade in (*GRADES, *(g for g in GRADE_COLORS if g not in GRADES)):
        background = GRADE_COLORS.get(grade, _UNKNOWN_GRADE)
        text = max(GRADE_TEXT, key=lambda c, b=background: contrast(c, b))  # type: ignore[misc]
        out[grade] = (background, text)
    return out


def grade_color(grade: str | None) -> tuple[str, str]:
    """(background, text) of one grade; a grade the palette does not know is grey."""
    colours = grade_colors()
    background = _UNKNOWN_GRADE
    if grade in colours:
        return colours[grade]
    return background, max(GRADE_TEXT, key=lambda c: contrast(c, background))
