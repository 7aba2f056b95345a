"""Evidence charts for KPI progress: Altair theme, chart builders and offline static export.

Every builder requires ``source`` (the 出典 line) and prints the grading band edges in the
（注） footer, so a chart can never leave the building without its credit and method.

==============  ==========================================================================
``theme``       palette, fonts, ja-JP locale, the Altair theme, the notebook renderer
``text``        title, subtitle, 出典/（注）/sample lines: composed once (:class:`Caption`),
                :func:`with_source` for any chart a notebook builds
``axes``        the value-axis rule (:func:`y_axis`): zero or a visible cut, counts, surveys
``marks``       layer pieces shared by the builders (halo text, rules, break mark, watermark)
``trend``       :func:`kpi_trend_chart`: one KPI over the years (plan, then draw)
``overview``    :func:`progress_overview_chart`: every KPI's pace by strategy (plan, then draw)
``export``      :func:`save_chart`, :func:`chart_to_svg`: PNG/SVG/PDF/JSON through vl-convert
``profile``     sizes to lay a chart out at: :data:`WEB` (screen) or :data:`DOCUMENT` (8 cm
                wide, every text ≥ 8 pt there); PNG and PDF of one physical size
==============  ==========================================================================

Each builder first decides as data (``plan_trend`` → ``TrendPlan``, ``plan_overview`` →
``OverviewPlan``: values, scales, labels, text), which tests read without rendering, then
draws layers from that plan.
"""

from __future__ import annotations

from ebpm.charts.axes import YAxis, y_axis
from ebpm.charts.export import PRINT_DPI, PRINT_SCALE, chart_to_svg, save_chart
from ebpm.charts.overview import progress_overview_chart
from ebpm.charts.profile import DOCUMENT, WEB, ChartProfile
from ebpm.charts.text import band_note, with_source, wrap_japanese
from ebpm.charts.theme import (
    FONT_FAMILY,
    FONT_STACK,
    GRADE_COLORS,
    OKABE_ITO,
    THEME_NAME,
    ebpm_theme,
    enable_offline_renderer,
    enable_theme,
    japanese_font_available,
    register_japanese_font,
)
from ebpm.charts.trend import kpi_trend_chart
from ebpm.kpi import GRADE_STYLES, GRADES
from ebpm.manifest import SAMPLE_LABEL

__all__ = [
    "DOCUMENT",
    "FONT_FAMILY",
    "FONT_STACK",
    "GRADES",
    "GRADE_COLORS",
    "GRADE_STYLES",
    "OKABE_ITO",
    "PRINT_DPI",
    "PRINT_SCALE",
    "SAMPLE_LABEL",
    "THEME_NAME",
    "WEB",
    "ChartProfile",
    "YAxis",
    "band_note",
    "chart_to_svg",
    "ebpm_theme",
    "enable_offline_renderer",
    "enable_theme",
    "japanese_font_available",
    "kpi_trend_chart",
    "progress_overview_chart",
    "register_japanese_font",
    "save_chart",
    "with_source",
    "wrap_japanese",
    "y_axis",
]
