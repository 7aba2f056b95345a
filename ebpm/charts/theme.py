"""What every chart shares: the Altair theme, the Japanese font, the ja-JP locale, renderers.

Rendering goes through vl-convert only (no network); the Japanese font IPAexGothic is taken
from the pip package ``matplotlib-fontja`` and registered once per process.

Conventions
-----------
- Palette: Okabe–Ito (colour-blind safe) for series; grades use the ONE grade palette of
  :mod:`ebpm.kpi.grades` (shared with ``ebpm status`` and the report), which keeps every
  grade apart in greyscale and for colour-blind readers and pairs colour with a symbol.
- Numbers: ja-JP d3 locale (thousands separator ``,``), embedded in the spec's
  ``config.locale`` so every renderer (vl-convert, vega-embed) formats alike.
"""

from __future__ import annotations

import base64
import importlib.util
import io
from pathlib import Path
from typing import Any, Final

import altair as alt

from ebpm.kpi.grades import GRADE_COLORS

__all__ = [
    "FONT_FAMILY",
    "FONT_STACK",
    "GRADE_COLORS",
    "OKABE_ITO",
    "THEME_NAME",
    "ebpm_theme",
    "enable_offline_renderer",
    "enable_theme",
    "japanese_font_available",
    "register_japanese_font",
    "value_axis",
]

THEME_NAME: Final = "ebpm"
FONT_FAMILY: Final = "IPAexGothic"
#: CSS font stack: IPAexGothic (registered for vl-convert) first, then the Japanese system
#: fonts a browser viewing an exported SVG is likely to have.
FONT_STACK: Final = (
    "IPAexGothic, 'IPAexゴシック', 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', "
    "'Yu Gothic', YuGothic, Meiryo, 'Noto Sans CJK JP', sans-serif"
)

#: Okabe & Ito (2008) colour-universal-design palette.
OKABE_ITO: Final[dict[str, str]] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
_CATEGORY_RANGE: Final = [
    OKABE_ITO[k]
    for k in (
        "blue",
        "orange",
        "bluish_green",
        "vermillion",
        "sky_blue",
        "reddish_purple",
        "yellow",
        "black",
    )
]


#: d3 ja-JP locales (identical to ``vl_convert.get_format_locale("ja-JP")`` and
#: ``get_time_format_locale("ja-JP")``), inlined so the spec carries them.
JA_NUMBER_LOCALE: Final[alt.theme.NumberLocaleKwds] = {
    "decimal": ".",
    "thousands": ",",
    "grouping": [3],
    "currency": ["", "円"],
}
JA_TIME_LOCALE: Final[alt.theme.TimeLocaleKwds] = {
    "dateTime": "%x %a %X",
    "date": "%Y/%m/%d",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["日曜日", "月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日"],
    "shortDays": ["日", "月", "火", "水", "木", "金", "土"],
    "months": [f"{m}月" for m in range(1, 13)],
    "shortMonths": [f"{m}月" for m in range(1, 13)],
}

# Layout (CSS px) and type sizes (px) chosen for A4 print at ~170 mm width.
PLOT_WIDTH: Final = 560
PLOT_HEIGHT: Final = 300
TITLE_SIZE: Final = 18
SUBTITLE_SIZE: Final = 13
LABEL_SIZE: Final = 12
AXIS_TITLE_SIZE: Final = 13
FOOTER_SIZE: Final = 11
FOOTER_LINE_HEIGHT: Final = 16
TEXT_COLOR: Final = "#222222"
_NUMBER_FORMAT: Final = ",~f"  # 5,216,000 / 46.1

# --------------------------------------------------------------------------------------
# Theme
# --------------------------------------------------------------------------------------


def value_axis(title: str, *, extent: float, title_y: float = -14, **options: Any) -> alt.Axis:
    """A value (y) axis whose title stands level above its labels, as Japanese charts put
    the unit (人, 時間, %), with a fixed label width so stacked panels line up.

    ``options`` (format, tickMinStep, …) go to :class:`altair.Axis` unchanged.
    """
    return alt.Axis(
        title=title,
        titleAngle=0,
        titleAlign="left",
        titleAnchor="end",
        titleY=title_y,
        titleX=0,
        titleBaseline="bottom",
        minExtent=extent,
        maxExtent=extent,
        **options,
    )


def ebpm_theme() -> alt.theme.ThemeConfig:
    """Return the project's Altair theme (fonts, sizes, Okabe–Ito palette, ja-JP locale)."""
    return {
        "background": "white",
        "padding": 12,
        "config": {
            "font": FONT_STACK,
            "locale": {"number": JA_NUMBER_LOCALE, "time": JA_TIME_LOCALE},
            "numberFormat": _NUMBER_FORMAT,
            "view": {
                "continuousWidth": PLOT_WIDTH,
                "continuousHeight": PLOT_HEIGHT,
                "stroke": None,
            },
            "range": {"category": _CATEGORY_RANGE},
            "title": {
                "font": FONT_STACK,
                "fontSize": TITLE_SIZE,
                "fontWeight": "bold",
                "color": TEXT_COLOR,
                "subtitleFont": FONT_STACK,
                "subtitleFontSize": SUBTITLE_SIZE,
                "subtitleColor": "#333333",
                "subtitlePadding": 6,
                "anchor": "start",
                "offset": 12,
            },
            "axis": {
                "labelFont": FONT_STACK,
                "titleFont": FONT_STACK,
                "labelFontSize": LABEL_SIZE,
                "titleFontSize": AXIS_TITLE_SIZE,
                "titleFontWeight": "normal",
                "labelColor": TEXT_COLOR,
                "titleColor": TEXT_COLOR,
                "domainColor": "#555555",
                "tickColor": "#555555",
                "gridColor": "#E3E3E3",
            },
            "legend": {
                "labelFont": FONT_STACK,
                "titleFont": FONT_STACK,
                "labelFontSize": LABEL_SIZE,
                "titleFontSize": LABEL_SIZE,
                "titleFontWeight": "normal",
                "labelColor": TEXT_COLOR,
                "titleColor": TEXT_COLOR,
            },
            "header": {
                "labelFont": FONT_STACK,
                "titleFont": FONT_STACK,
                "labelFontSize": AXIS_TITLE_SIZE,
                "titleFontSize": AXIS_TITLE_SIZE,
            },
            "text": {"font": FONT_STACK, "fontSize": LABEL_SIZE, "color": TEXT_COLOR},
            "concat": {"spacing": 10},
        },
    }


alt.theme.register(THEME_NAME, enable=False)(ebpm_theme)


def enable_theme() -> None:
    """Make the ``ebpm`` theme the active Altair theme for this process."""
    alt.theme.enable(THEME_NAME)


# --------------------------------------------------------------------------------------
# Japanese font for vl-convert
# --------------------------------------------------------------------------------------

_FONT_STATE: dict[str, Any] = {"registered": None, "available": None}


def _fontja_directory() -> Path | None:
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        return None
    font_dir = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    return font_dir if (font_dir / "ipaexg.ttf").is_file() else None


def register_japanese_font() -> Path | None:
    """Register IPAexGothic from ``matplotlib-fontja`` with vl-convert (once per process).

    Returns
    -------
    Path or None
        The registered font directory, or None when the package is not installed (system
        fonts such as Debian's ``fonts-ipaexfont-gothic`` may still provide the font).
    """
    if _FONT_STATE["registered"] is None:
        import vl_convert as vlc

        font_dir = _fontja_directory()
        if font_dir is not None:
            vlc.register_font_directory(str(font_dir))
        _FONT_STATE["registered"] = font_dir if font_dir is not None else False
    return _FONT_STATE["registered"] or None


def _probe_png(text: str) -> bytes:
    import vl_convert as vlc

    spec = {
        "$schema": alt.SCHEMA_URL,
        "width": 200,
        "height": 30,
        "background": "white",
        "data": {"values": [{}]},
        "config": {"font": FONT_STACK, "view": {"stroke": None}},
        "mark": {
            "type": "text",
            "text": text,
            "align": "left",
            "baseline": "top",
            "x": 0,
            "y": 0,
            "fontSize": 24,
        },
    }
    return vlc.vegalite_to_png(spec, allowed_base_urls=[])


def japanese_font_available() -> bool:
    """Tell whether vl-convert draws real Japanese glyphs (not blanks or tofu boxes).

    Renders two different kanji strings; missing glyphs render identically (all tofu or
    all blank), so differing images prove a Japanese font is in use. Cached per process.
    """
    if _FONT_STATE["available"] is None:
        register_japanese_font()
        _FONT_STATE["available"] = _probe_png("大船渡市") != _probe_png("研修用例")
    return bool(_FONT_STATE["available"])


def require_japanese_font() -> None:
    """Refuse to render when Japanese would come out as tofu boxes.

    Raises
    ------
    RuntimeError
        With the Japanese instructions to install the font.
    """
    if not japanese_font_available():
        msg = (
            "日本語フォントが見つからないため、図の日本語が□（豆腐）になります。"
            "`pip install matplotlib-fontja` を実行するか、"
            "`apt-get install fonts-ipaexfont-gothic` でIPAexゴシックを導入してください。"
        )
        raise RuntimeError(msg)


# --------------------------------------------------------------------------------------
# vl-convert settings and the notebook renderer
# --------------------------------------------------------------------------------------


def render_kwargs() -> dict[str, Any]:
    """Keyword arguments of every vl-convert call: Vega-Lite version, ja-JP locales, offline."""
    return {
        "vl_version": "_".join(alt.SCHEMA_VERSION.split(".")[:2]),
        "format_locale": JA_NUMBER_LOCALE,
        "time_format_locale": JA_TIME_LOCALE,
        "allowed_base_urls": [],  # never fetch anything over the network
    }


_OFFLINE_RENDERER: Final = "ebpm_offline"
#: Top-level spec keys → the Altair class whose repr Jupyter shows as text/plain.
_CHART_CLASSES: Final = (
    ("vconcat", "VConcatChart"),
    ("hconcat", "HConcatChart"),
    ("concat", "ConcatChart"),
    ("layer", "LayerChart"),
    ("facet", "FacetChart"),
    ("repeat", "RepeatChart"),
)


def _chart_repr(spec: dict[str, Any]) -> str:
    """``alt.VConcatChart(...)`` etc.: the text/plain Jupyter would store for the chart."""
    name = next((cls for key, cls in _CHART_CLASSES if key in spec), "Chart")
    return f"alt.{name}(...)"


def _palette_png(png: bytes) -> tuple[bytes, tuple[int, int]]:
    """The PNG reduced to a 256-colour palette (a sixth of the size) and its pixel size."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue(), image.size


def offline_mimebundle(spec: dict[str, Any], **_: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """Altair renderer: SVG (what nbval compares), a PNG and the usual text/plain.

    JupyterLab shows ``image/svg+xml`` only from trusted outputs but ``image/png`` from any,
    so a notebook opened for the first time (untrusted) still shows the chart. nbval skips
    ``image/png`` by default, so the stored outputs compare exactly as SVG-only ones.
    """
    from ebpm.charts.export import kept_formats

    # Compiled once, drawn once as SVG with the PNG derived from it (byte-identical to
    # vegalite_to_svg/png), and kept in the chart cache for the next time the cell runs.
    drawn = kept_formats(spec, ("svg", "png"), scale_factor=1.0)
    png, (width, height) = _palette_png(drawn["png"])
    bundle = {
        "image/svg+xml": drawn["svg"].decode("utf-8"),
        "image/png": base64.b64encode(png).decode("ascii"),
        "text/plain": _chart_repr(spec),
    }
    return bundle, {"image/png": {"width": width, "height": height}}


alt.renderers.register(_OFFLINE_RENDERER, offline_mimebundle)


def enable_offline_renderer(*, png: bool = False) -> None:
    """Render charts in Jupyter as static images through vl-convert (no CDN, nbval-stable).

    Registers the Japanese font and enables the ebpm theme with the ja-JP number and time
    locales.

    Parameters
    ----------
    png
        False: Altair's ``svg`` renderer (SVG only; JupyterLab hides it until the notebook is
        trusted). True: SVG plus a PNG copy that JupyterLab shows in an untrusted notebook
        too (:func:`offline_mimebundle`). The SVG is the same either way.
    """
    require_japanese_font()
    enable_theme()
    embed_options = {"formatLocale": JA_NUMBER_LOCALE, "timeFormatLocale": JA_TIME_LOCALE}
    alt.renderers.enable(_OFFLINE_RENDERER if png else "svg", embed_options=embed_options)
