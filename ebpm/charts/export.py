"""Static export through vl-convert (offline): a chart to bytes, and to files next to each other.

Every export applies the ebpm theme and the ja-JP locale and refuses to draw Japanese as
tofu boxes (see :func:`~ebpm.charts.theme.require_japanese_font`).

Physical size: vl-convert writes a PDF page of one point (1/72 inch) per chart unit and
cannot scale it, so the PNG's dpi is written to match (72 × scale factor): a PNG and the
PDF of one chart are placed at the same size in Word, Excel or PowerPoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Final

import altair as alt

from ebpm.charts.theme import (
    THEME_NAME,
    register_japanese_font,
    render_kwargs,
    require_japanese_font,
)
from ebpm.render import UNITS_PER_INCH, Given, Pending, Renderer, chart_cache_dir, convert

__all__ = [
    "FORMATS",
    "PRINT_DPI",
    "PRINT_SCALE",
    "built_spec",
    "chart_to_svg",
    "drawing_with",
    "kept_formats",
    "render",
    "render_formats",
    "renderer",
    "save_chart",
    "submit",
]

FORMATS: Final = ("png", "svg", "pdf", "json")
#: Print target: 300 dpi at the chart's physical size (one point per chart unit, as in the PDF).
PRINT_DPI: Final = 300
PRINT_SCALE: Final = PRINT_DPI / UNITS_PER_INCH  # 4.17 output pixels per chart unit
_FONT_CHECKED: Final = "japanese-font"


def themed_spec(chart: alt.TopLevelMixin, *, validate: bool = True) -> dict[str, Any]:
    """The chart's Vega-Lite spec with the ebpm theme applied.

    ``validate=False`` skips Altair's check of the spec against the Vega-Lite schema (about
    half the time of ``to_dict``); the report does so for the charts ebpm builds, whose
    specs the tests check against the schema.
    """
    with alt.theme.enable(THEME_NAME):
        return chart.to_dict(validate=validate)


def render_spec_formats(
    spec: dict[str, Any], formats: Sequence[str], scale_factor: float = PRINT_SCALE
) -> dict[str, bytes]:
    """A themed Vega-Lite spec in several formats, drawn once (see :func:`ebpm.render.convert`)."""
    return convert(spec, formats, scale_factor, render_kwargs())


def renderer(cache_dir: str | Path | None = None, workers: int | None = None) -> Renderer:
    """A :class:`~ebpm.render.Renderer` with the ebpm font and vl-convert options, whose
    workers load the chart builders before their first job.

    Refuses (like every export) when Japanese would come out as tofu boxes. The check draws
    two small images (about 0.4 s); with a cache it is done once for the same vl-convert and
    font files (the cache key covers both), not on every report.
    """
    font_dir = register_japanese_font()
    drawing = Renderer(
        render_kwargs(),
        str(font_dir) if font_dir else None,
        cache_dir=cache_dir,
        workers=workers,
        preload=("ebpm.charts", "ebpm.charts.context"),
    )
    # system fonts have no files in the fingerprint: their check is not remembered
    cache = drawing.cache if font_dir is not None else None
    if cache is None or not cache.knows(_FONT_CHECKED):
        require_japanese_font()
        if cache is not None:
            cache.learn(_FONT_CHECKED)
    return drawing


def kept_formats(
    spec: dict[str, Any], formats: Sequence[str], scale_factor: float = PRINT_SCALE
) -> dict[str, bytes]:
    """:func:`render_spec_formats`, through the workspace's chart cache (see
    :func:`~ebpm.render.chart_cache_dir`): a chart shown or saved again is not drawn again."""
    with renderer(cache_dir=chart_cache_dir(), workers=0) as drawing:
        bodies = drawing.submit(Given(spec), formats, scale_factor).result()
        if drawing.cache is not None and drawing.drawn:
            drawing.cache.prune()  # lessons draw without ever making a report
    return bodies


@contextmanager
def drawing_with(given: Renderer | None) -> Iterator[Renderer]:
    """``given``, or a new :func:`renderer` stopped at the end of the block."""
    if given is not None:
        yield given
        return
    with renderer() as own:
        yield own


def built_spec(
    draw: Callable[..., alt.TopLevelMixin], /, *args: Any, **kwargs: Any
) -> dict[str, Any]:
    """``draw(*args, **kwargs)`` as a themed spec (not re-validated: ebpm's own builders,
    whose specs the tests check against the schema)."""
    return themed_spec(draw(*args, **kwargs), validate=False)


def submit(
    renderer: Renderer,
    draw: Callable[..., alt.TopLevelMixin],
    /,
    *args: Any,
    formats: Sequence[str],
    scale_factor: float = PRINT_SCALE,
    **kwargs: Any,
) -> Pending:
    """Start building ``draw(*args, **kwargs)`` and drawing it in ``formats`` (in a render
    worker: ``draw`` and its arguments must pickle)."""
    _check_format(formats)
    _check_scale(scale_factor)
    return renderer.submit(partial(built_spec, draw, *args, **kwargs), formats, scale_factor)


def render_formats(
    chart: alt.TopLevelMixin, formats: Sequence[str], *, scale_factor: float = PRINT_SCALE
) -> dict[str, bytes]:
    """The chart in each of ``formats`` (see :func:`render`), its scenegraph drawn once."""
    _check_format(formats)
    _check_scale(scale_factor)
    require_japanese_font()
    return render_spec_formats(themed_spec(chart), formats, scale_factor)


def _check_format(formats: Sequence[str]) -> None:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        msg = f"保存形式は {', '.join(FORMATS)} から選んでください：{', '.join(unknown)}"
        raise ValueError(msg)


def _check_scale(scale_factor: float) -> None:
    if not scale_factor > 0:
        msg = f"scale_factor は正の数で指定してください：{scale_factor!r}"
        raise ValueError(msg)


def render(chart: alt.TopLevelMixin, fmt: str, *, scale_factor: float = PRINT_SCALE) -> bytes:
    """The chart as the bytes of one file format.

    Parameters
    ----------
    chart
        Any Altair top-level chart.
    fmt
        ``"png"``, ``"svg"`` (UTF-8), ``"pdf"`` or ``"json"`` (the themed Vega-Lite spec).
    scale_factor
        Output pixels per chart unit for PNG; the default gives 300 dpi at the size of the
        PDF (one point per chart unit).
    """
    _check_format([fmt])
    _check_scale(scale_factor)
    require_japanese_font()
    return render_spec_formats(themed_spec(chart), (fmt,), scale_factor)[fmt]


def chart_to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string with the ebpm theme and the Japanese font.

    Text stays ``<text>`` with the IPAexGothic-first font stack; a viewer without
    IPAexGothic falls back to its own Japanese font.
    """
    return render(chart, "svg").decode("utf-8")


def save_chart(
    chart: alt.TopLevelMixin,
    path_without_suffix: Path | str,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    *,
    scale_factor: float = PRINT_SCALE,
) -> list[Path]:
    """Save a chart as static files next to each other (``<path>.png``, ``.svg``, ``.pdf``).

    Parameters
    ----------
    chart
        Any Altair top-level chart.
    path_without_suffix
        Target path without extension; parent folders are created.
    formats
        Any of ``"png"``, ``"svg"``, ``"pdf"`` and ``"json"`` (the Vega-Lite spec).
    scale_factor
        Output pixels per chart unit for PNG. The default 4.17 gives 300 dpi at the size of
        the PDF (one point per chart unit), e.g. a 680-unit wide chart becomes 2,833 px =
        240 mm at 300 dpi, the width of its PDF page; the PNG's pHYs header records that dpi.

    Returns
    -------
    list of Path
        The written files, in the order of ``formats``.
    """
    base = Path(path_without_suffix)
    _check_format(formats)
    if base.suffix.lstrip(".").lower() in FORMATS:
        msg = f"保存先は拡張子なしで指定してください（例：{base.with_suffix('')}）：{base}"
        raise ValueError(msg)
    _check_scale(scale_factor)
    require_japanese_font()
    spec = themed_spec(chart)
    base.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt, body in kept_formats(spec, formats, scale_factor).items():
        target = base.with_name(f"{base.name}.{fmt}")
        target.write_bytes(body)
        written.append(target)
    return written
