"""Layer pieces shared by the chart builders (each returns an Altair chart to layer).

Text on a busy plot is drawn twice: a thick white stroke (the halo) under the text, so
labels stay legible where they cross lines and bars.
"""

from __future__ import annotations

from typing import Any, Final

import altair as alt
import polars as pl

__all__ = ["HALO", "RULE_COLOR", "dashed_rules", "sample_watermark", "zero_rule"]

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
        .encode(x=alt.value(x), y=alt.value(y))
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
