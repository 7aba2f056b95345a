"""Layer pieces shared by the chart builders (each returns an Altair chart to layer).

Text on a busy plot is drawn twice: a thick white stroke (the halo) under the text, so
labels stay legible where they cross lines and bars.
"""

from __future__ import annotations

from typing import Any, Final

import altair as alt
import polars as pl

__all__ = ["HALO", "RULE_COLOR", "axis_break", "dashed_rules", "sample_watermark", "zero_rule"]

#: Mark properties of the white outline drawn under a label.
HALO: Final[dict[str, Any]] = {"stroke": "white", "strokeWidth": 4, "strokeJoin": "round"}
#: Colour of reference rules (band edges, zero) and their labels.
RULE_COLOR: Final = "#444444"


def sample_watermark(text: str, x: float, y: float, *, font_size: float = 34) -> alt.Chart:
    """A faint, tilted 「研修用サンプルデータ」 across the plot centre at (``x``, ``y``) px."""
    return (
        alt.Chart(alt.InlineData(values=[{}]))
        .mark_text(
            text=text,
            fontSize=font_size,
            fontWeight="bold",
            color="#000000",
            opacity=0.08,
            angle=345,
        )
        .encode(x=alt.XValue(x), y=alt.YValue(y))
    )


def dashed_rules(field: str, values: list[float], x: alt.X) -> alt.Chart:
    """Vertical dashed rules at ``values`` (e.g. the grade band edges)."""
    return (
        alt.Chart(pl.DataFrame({field: values}))
        .mark_rule(strokeDash=[5, 4], color=RULE_COLOR, strokeWidth=1.2)
        .encode(x=x)
    )


def zero_rule(x: alt.X) -> alt.Chart:
    """A solid vertical rule at zero (drawn when the scale runs below it)."""
    return (
        alt.Chart(pl.DataFrame({"zero": [0.0]}))
        .mark_rule(color=RULE_COLOR, strokeWidth=1)
        .encode(x=x)
    )


def axis_break(plot_height: float, *, at: float = 16, scale: float = 1.0) -> list[alt.Chart]:
    """The break mark (二重線) on the y axis, ``at`` px above its bottom: the axis is cut.

    A white gap over the axis line between two short slanted strokes, the mark Japanese
    graph guidance uses for an omitted range (see :mod:`ebpm.charts.axes`). ``scale``
    shrinks the mark with the chart (document charts).
    """
    y = plot_height - at

    def stroke(x: float, x2: float, y1: float, y2: float, color: str, width: float) -> alt.Chart:
        return (
            alt.Chart(alt.InlineData(values=[{}]))
            .mark_rule(color=color, strokeWidth=width, strokeCap="butt")
            .encode(x=alt.XValue(x), x2=alt.X2Value(x2), y=alt.YValue(y1), y2=alt.Y2Value(y2))
        )

    def u(value: float) -> float:
        return value if scale == 1 else value * scale

    return [
        stroke(0, 0, y - u(5), y + u(5), "white", u(6)),  # the gap in the axis line
        stroke(-u(8), u(8), y + u(1), y - u(5), RULE_COLOR, 1.5),
        stroke(-u(8), u(8), y + u(5), y - u(1), RULE_COLOR, 1.5),
    ]
