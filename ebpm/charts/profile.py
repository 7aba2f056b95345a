"""Chart profiles: the sizes a chart is laid out for (screen, or a document column).

A profile holds only sizes — plot width and height, type sizes, the y-axis label column,
padding — never what a chart shows. The builders take ``profile=`` and lay the same
content out at those sizes; :func:`top_level` gives the theme sizes a profile changes.

Physical size: vl-convert writes a PDF page with one point (1/72 inch) per chart unit,
and :func:`ebpm.charts.export.render` writes the PNG's dpi to match, so a PNG and the PDF
of the same chart are the same physical size. :data:`DOCUMENT` is laid out to fit 8 cm
(226.8 units; about 0.5 cm is left for labels drawn past the plot): every text is at least
:data:`MIN_DOCUMENT_PT` points when the chart is placed 8 cm wide, the usual width of a
chart in a council document.

>>> round(DOCUMENT.total_width / 72 * 2.54, 1)  # cm
7.5
>>> round(text_pt(9, chart_width=226.8, placed_cm=8), 2)
9.0
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from ebpm.charts.theme import (
    AXIS_TITLE_SIZE,
    FOOTER_LINE_HEIGHT,
    FOOTER_SIZE,
    LABEL_SIZE,
    PLOT_HEIGHT,
    PLOT_WIDTH,
    SUBTITLE_SIZE,
    TITLE_SIZE,
)

__all__ = [
    "DOCUMENT",
    "DOCUMENT_WIDTH_CM",
    "MIN_DOCUMENT_PT",
    "WEB",
    "ChartProfile",
    "font_sizes",
    "text_pt",
    "top_level",
]

#: Points per inch and centimetres per inch.
PT_PER_INCH: Final = 72.0
CM_PER_INCH: Final = 2.54
#: The width a document chart is placed at, and the smallest text allowed there.
DOCUMENT_WIDTH_CM: Final = 8.0
MIN_DOCUMENT_PT: Final = 8.0


@dataclass(frozen=True)
class ChartProfile:
    """Sizes in chart units (1 unit = 1 pt in the PDF and at the PNG's dpi)."""

    name: str
    plot_width: float
    plot_height: float
    title_size: float
    subtitle_size: float
    label_size: float
    axis_title_size: float
    footer_size: float
    footer_line_height: float
    #: fixed width of the y-axis label column (the footer lines up with it)
    y_axis_extent: float
    #: white margin around the whole chart
    padding: float
    watermark_size: float
    #: legend entries per row (None: one row)
    legend_columns: int | None = None
    #: the 年度 tick labels on two lines (「2025」「年度」), for narrow plots
    stacked_year_labels: bool = False
    #: points, strokes, symbols and label offsets relative to the web sizes
    mark_scale: float = 1.0
    #: room before the first and after the last 年度 on the x axis, in years
    x_padding: float = 0.5
    #: text that fits a document column: 基準値/目標値 labels give the value only (the legend
    #: names the diamonds), the subtitle leaves out the published name (the document prints
    #: it beside the chart), and the notes leave out what the subtitle already says (a survey
    #: share's n, interval and change), keeping every assumption
    compact: bool = False
    #: room kept free at the end of wrapped lines: a line may end past the wrap width by
    #: the characters that cannot start a line (「、」「）」…), pulled up onto it
    wrap_margin: float = 0

    @property
    def wrap_width(self) -> float:
        """Width the title, subtitle and footer lines are wrapped to."""
        return self.text_width - self.wrap_margin

    @property
    def text_width(self) -> float:
        """Width the title and footer lines are wrapped to."""
        return self.plot_width + self.y_axis_extent

    @property
    def total_width(self) -> float:
        """Planned width of the whole chart (plot, axis column and padding)."""
        return self.text_width + 2 * self.padding

    def sizes(self) -> tuple[float, ...]:
        """Every type size of the profile."""
        return (
            self.title_size,
            self.subtitle_size,
            self.label_size,
            self.axis_title_size,
            self.footer_size,
        )


#: The report page and the notebooks: the sizes the theme was designed with.
WEB: Final = ChartProfile(
    name="web",
    plot_width=PLOT_WIDTH,
    plot_height=PLOT_HEIGHT,
    title_size=TITLE_SIZE,
    subtitle_size=SUBTITLE_SIZE,
    label_size=LABEL_SIZE,
    axis_title_size=AXIS_TITLE_SIZE,
    footer_size=FOOTER_SIZE,
    footer_line_height=FOOTER_LINE_HEIGHT,
    y_axis_extent=80,
    padding=12,
    watermark_size=34,
)

#: Word, PowerPoint and Excel: about 7.5 cm wide, every text 8.5 units — 8.5 pt at its own
#: size, at least 8 pt when placed up to 8 cm wide (or a little narrower than its own size).
DOCUMENT: Final = ChartProfile(
    name="document",
    plot_width=164,
    plot_height=104,
    title_size=10,
    subtitle_size=8.5,
    label_size=8.5,
    axis_title_size=8.5,
    footer_size=8.5,
    footer_line_height=10.8,
    y_axis_extent=40,
    padding=4,
    watermark_size=16,
    legend_columns=2,
    stacked_year_labels=True,
    mark_scale=0.6,
    x_padding=0.7,
    compact=True,
    wrap_margin=17,  # two characters of 8.5 pt
)


def text_pt(size: float, *, chart_width: float, placed_cm: float = DOCUMENT_WIDTH_CM) -> float:
    """Points a text of ``size`` units measures when a chart ``chart_width`` units wide is
    placed ``placed_cm`` wide."""
    natural_cm = chart_width / PT_PER_INCH * CM_PER_INCH
    return size * placed_cm / natural_cm


def top_level(profile: ChartProfile) -> dict[str, Any]:
    """The top-level properties (``padding``, ``config``) that set the theme sizes of
    ``profile`` (none for :data:`WEB`).

    Given to the chart's constructor, so the chart is built once: every ``.configure_*``
    on a concatenated chart rebuilds and deep-copies all of its layers.
    """
    import altair as alt

    if profile == WEB:
        return {}
    legend: dict[str, Any] = {
        "labelFontSize": profile.label_size,
        "titleFontSize": profile.label_size,
    }
    if profile.legend_columns:
        legend["columns"] = profile.legend_columns
    size = profile.axis_title_size
    config = alt.Config(
        axis=alt.AxisConfig(labelFontSize=profile.label_size, titleFontSize=size),
        legend=alt.LegendConfig(**legend),
        header=alt.HeaderConfig(labelFontSize=size, titleFontSize=size),
        text=alt.MarkConfig(fontSize=profile.label_size),
        title=alt.TitleConfig(fontSize=profile.title_size, subtitleFontSize=profile.subtitle_size),
        view=alt.ViewConfig(
            continuousWidth=profile.plot_width, continuousHeight=profile.plot_height
        ),
    )
    return {"padding": profile.padding, "config": config}


_SIZE_KEYS: Final = frozenset(
    {"fontSize", "labelFontSize", "titleFontSize", "subtitleFontSize", "symbolSize"}
)


def _walk(node: Any, key: str | None = None) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)
    elif key is not None:
        yield key, node


def font_sizes(spec: dict[str, Any]) -> list[float]:
    """Every font size written in a (themed) Vega-Lite spec: marks, axes, legends, titles.

    Sizes given as expressions (``{"expr": …}``) are not numbers and are skipped; the
    tests read the rendered SVG too.
    """
    names = _SIZE_KEYS - {"symbolSize"}
    return [float(v) for k, v in _walk(spec) if k in names and isinstance(v, int | float)]
