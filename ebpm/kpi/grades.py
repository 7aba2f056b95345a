"""The grade names and the ONE grade palette shared by every output.

Charts (:mod:`ebpm.charts`), ``ebpm status`` and the report/workbook all take a grade's
colour, text colour and symbol from :data:`GRADE_STYLES`, so a grade means the same
colour everywhere.

How the palette was chosen
--------------------------
- **Hue carries the direction**: blues move toward the target (達成・順調・概ね順調),
  amber to red are behind, missed or worse (遅れ・未達成・悪化), grey claims nothing
  (変化なし（誤差の範囲）, 評価不能).
- **Depth carries the degree** within each hue (darker = further from the middle), and
  the two sides are offset so that **every fill has its own lightness**: CIE L* 21, 32,
  43, 54, 65, 76, 87, 100, at least 10 apart, so a greyscale print still tells every
  grade apart. The tests simulate protanopia, deuteranopia and tritanopia (Machado et al.
  2009) and require every pair to stay at least 10 ΔE*ab apart.
- **Colour is never the only cue**: every grade has a symbol (◎○△＝▽×▼−) and its name is
  printed next to the colour in tables and charts.
- **Text passes WCAG 2.2 AA**: ``ink`` (grade text on white) and ``on_fill`` (text on the
  grade's fill) have a contrast ratio of at least 4.5:1 (:func:`contrast_ratio`). Fills
  lighter than 3:1 against white (概ね順調, 変化なし, 遅れ, 評価不能) are drawn with
  :data:`OUTLINE` around them, so the shape itself stays visible (WCAG 1.4.11).

>>> GRADE_STYLES["順調"].symbol, GRADE_STYLES["順調"].fill
('○', '#006BAA')
>>> round(contrast_ratio(GRADE_STYLES["概ね順調"].ink, "#FFFFFF"), 2)
6.46
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "ACHIEVED",
    "BEHIND",
    "GRADES",
    "GRADE_COLORS",
    "GRADE_STYLES",
    "MOSTLY",
    "NEUTRAL",
    "NOT_ACHIEVED",
    "ON_TRACK",
    "OUTLINE",
    "UNGRADED",
    "WORSE",
    "GradeStyle",
    "contrast_ratio",
    "grade_label",
    "grade_legend",
    "relative_luminance",
]

ACHIEVED: Final = "達成"
ON_TRACK: Final = "順調"
MOSTLY: Final = "概ね順調"
#: A survey share whose change from the base is within sampling error: no direction claimed.
NEUTRAL: Final = "変化なし（誤差の範囲）"
BEHIND: Final = "遅れ"
#: The target year (or the end of a period-average target) passed without reaching it.
NOT_ACHIEVED: Final = "未達成"
WORSE: Final = "悪化"
UNGRADED: Final = "評価不能"

#: Every grade, in the order a reader scans them: best first, 評価不能 last.
GRADES: Final[tuple[str, ...]] = (
    ACHIEVED,
    ON_TRACK,
    MOSTLY,
    NEUTRAL,
    BEHIND,
    NOT_ACHIEVED,
    WORSE,
    UNGRADED,
)

#: Dark outline drawn around fills too light to stand out against white on their own.
OUTLINE: Final = "#4D4D4D"


@dataclass(frozen=True)
class GradeStyle:
    """How one grade is shown.

    ``fill`` colours bars, badges and cells; ``on_fill`` is the text colour on that fill;
    ``ink`` is the colour of the grade's name written on white; ``symbol`` is the
    second cue for readers who cannot tell the colours apart; ``outline`` is True when
    the fill needs :data:`OUTLINE` to stand out against white.
    """

    fill: str
    on_fill: str
    ink: str
    symbol: str
    outline: bool = False


GRADE_STYLES: Final[dict[str, GradeStyle]] = {
    ACHIEVED: GradeStyle("#08306B", "#FFFFFF", "#08306B", "◎"),
    ON_TRACK: GradeStyle("#006BAA", "#FFFFFF", "#006BAA", "○"),
    MOSTLY: GradeStyle("#46A7DB", "#000000", "#1F6391", "△", outline=True),
    NEUTRAL: GradeStyle("#DADADA", "#000000", "#4D4D4D", "＝", outline=True),
    BEHIND: GradeStyle("#F7AD1E", "#000000", "#7A5600", "▽", outline=True),
    NOT_ACHIEVED: GradeStyle("#D45E00", "#000000", "#A34400", "×"),
    WORSE: GradeStyle("#912012", "#FFFFFF", "#912012", "▼"),
    UNGRADED: GradeStyle("#FFFFFF", "#000000", "#6B6B6B", "−", outline=True),
}

#: The fill colour of each grade (charts' colour scale).
GRADE_COLORS: Final[dict[str, str]] = {grade: s.fill for grade, s in GRADE_STYLES.items()}


def grade_label(grade: str) -> str:
    """The grade with its symbol, as tables print it: ``"○ 順調"``.

    >>> grade_label("変化なし（誤差の範囲）")
    '＝ 変化なし（誤差の範囲）'
    """
    style = GRADE_STYLES.get(grade)
    return f"{style.symbol} {grade}" if style else grade


def grade_legend() -> str:
    """Every grade's symbol, for a greyscale print or a reader who cannot tell the colours.

    >>> grade_legend()[:20]
    '記号：◎ 達成、○ 順調、△ 概ね順調、'
    """
    return "記号：" + "、".join(f"{s.symbol} {g}" for g, s in GRADE_STYLES.items()) + "。"


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG relative luminance of a ``#RRGGBB`` colour (0 black … 1 white).

    >>> relative_luminance("#FFFFFF"), relative_luminance("#000000")
    (1.0, 0.0)
    """
    text = color.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"色は #RRGGBB の形で指定してください（指定値：{color!r}）")
    r, g, b = (_linear(int(text[i : i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two colours: 1 (none) to 21 (black on white).

    AA asks 4.5 for normal text, 3 for large text and for graphical objects.

    >>> round(contrast_ratio("#56B4E9", "#FFFFFF"), 1)  # the old 概ね順調 text colour
    2.3
    """
    high, low = sorted((relative_luminance(foreground), relative_luminance(background)))[::-1]
    return (high + 0.05) / (low + 0.05)
