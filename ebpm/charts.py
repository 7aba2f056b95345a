"""Evidence charts for KPI progress: Altair theme, chart builders and offline static export.

Every builder requires ``source`` (the 出典 line) and prints the grading band edges in the
（注） footer, so a chart can never leave the building without its credit and method.
Rendering goes through vl-convert only (no network); the Japanese font IPAexGothic is taken
from the pip package ``matplotlib-fontja`` and registered once per process.

Conventions
-----------
- 年度 labels: Western start year + 年度 (``2025年度`` = April 2025 – March 2026).
- Palette: Okabe–Ito (colour-blind safe); grades run cool (good) to warm (behind).
- Numbers: ja-JP d3 locale (thousands separator ``,``), embedded in the spec's
  ``config.locale`` so every renderer (vl-convert, vega-embed) formats alike.
- Footer: a text-mark chart vconcatenated under the plot, so 出典/注 render identically in
  PNG, SVG and PDF.
"""

from __future__ import annotations

import importlib.util
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import altair as alt
import polars as pl

from ebpm.jp import format_number
from ebpm.kpi import GRADES, GradeBands, format_band

__all__ = [
    "FONT_FAMILY",
    "FONT_STACK",
    "GRADES",
    "GRADE_COLORS",
    "OKABE_ITO",
    "PRINT_DPI",
    "PRINT_SCALE",
    "PROMOTION_PERIOD",
    "SAMPLE_LABEL",
    "THEME_NAME",
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
]

# --------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------

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

GRADE_COLORS: Final[dict[str, str]] = {
    "達成": OKABE_ITO["blue"],
    "順調": OKABE_ITO["bluish_green"],
    "概ね順調": OKABE_ITO["sky_blue"],
    "遅れ": OKABE_ITO["orange"],
    "悪化": OKABE_ITO["vermillion"],
    "評価不能": "#9E9E9E",
}
UNGRADED: Final = GRADES[-1]  # 評価不能

#: 推進期間 of the 大船渡市DX戦略: 令和7年度–令和9年度.
PROMOTION_PERIOD: Final = (2025, 2027)
SAMPLE_LABEL: Final = "研修用サンプルデータ"

#: Print target: 300 dpi when the chart is placed at its CSS size (96 px per inch).
PRINT_DPI: Final = 300
PRINT_SCALE: Final = PRINT_DPI / 96  # 3.125 output pixels per chart pixel

#: d3 ja-JP locales (identical to ``vl_convert.get_format_locale("ja-JP")`` and
#: ``get_time_format_locale("ja-JP")``), inlined so the spec carries them.
JA_NUMBER_LOCALE: Final[dict[str, Any]] = {
    "decimal": ".",
    "thousands": ",",
    "grouping": [3],
    "currency": ["", "円"],
}
JA_TIME_LOCALE: Final[dict[str, Any]] = {
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
_PLOT_WIDTH: Final = 560
_PLOT_HEIGHT: Final = 300
_Y_AXIS_EXTENT: Final = 80  # fixed width of the trend chart's y-axis labels
_TITLE_SIZE: Final = 18
_SUBTITLE_SIZE: Final = 13
_LABEL_SIZE: Final = 12
_AXIS_TITLE_SIZE: Final = 13
_FOOTER_SIZE: Final = 11
_FOOTER_LINE_HEIGHT: Final = 16
_TEXT_COLOR: Final = "#222222"
_NUMBER_FORMAT: Final = ",~f"  # 5,216,000 / 46.1

# --------------------------------------------------------------------------------------
# Theme
# --------------------------------------------------------------------------------------


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
                "continuousWidth": _PLOT_WIDTH,
                "continuousHeight": _PLOT_HEIGHT,
                "stroke": None,
            },
            "range": {"category": _CATEGORY_RANGE},
            "title": {
                "font": FONT_STACK,
                "fontSize": _TITLE_SIZE,
                "fontWeight": "bold",
                "color": _TEXT_COLOR,
                "subtitleFont": FONT_STACK,
                "subtitleFontSize": _SUBTITLE_SIZE,
                "subtitleColor": "#333333",
                "subtitlePadding": 6,
                "anchor": "start",
                "offset": 12,
            },
            "axis": {
                "labelFont": FONT_STACK,
                "titleFont": FONT_STACK,
                "labelFontSize": _LABEL_SIZE,
                "titleFontSize": _AXIS_TITLE_SIZE,
                "titleFontWeight": "normal",
                "labelColor": _TEXT_COLOR,
                "titleColor": _TEXT_COLOR,
                "domainColor": "#555555",
                "tickColor": "#555555",
                "gridColor": "#E3E3E3",
            },
            "legend": {
                "labelFont": FONT_STACK,
                "titleFont": FONT_STACK,
                "labelFontSize": _LABEL_SIZE,
                "titleFontSize": _LABEL_SIZE,
                "titleFontWeight": "normal",
                "labelColor": _TEXT_COLOR,
                "titleColor": _TEXT_COLOR,
            },
            "header": {
                "labelFont": FONT_STACK,
                "titleFont": FONT_STACK,
                "labelFontSize": _AXIS_TITLE_SIZE,
                "titleFontSize": _AXIS_TITLE_SIZE,
            },
            "text": {"font": FONT_STACK, "fontSize": _LABEL_SIZE, "color": _TEXT_COLOR},
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


def _require_japanese_font() -> None:
    if not japanese_font_available():
        msg = (
            "日本語フォントが見つからないため、図の日本語が□（豆腐）になります。"
            "`pip install matplotlib-fontja` を実行するか、"
            "`apt-get install fonts-ipaexfont-gothic` でIPAexゴシックを導入してください。"
        )
        raise RuntimeError(msg)


# --------------------------------------------------------------------------------------
# Text helpers (formatting, wrapping, footer)
# --------------------------------------------------------------------------------------

_NO_LINE_START: Final = set(
    "、。，．,.)）」』】〕〉》］｝!！?？:：;；%％ー・々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ"
)
_NO_LINE_END: Final = set("(（「『【〔〈《［｛")


def _char_em(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.6


def _text_em(text: str) -> float:
    return sum(_char_em(ch) for ch in text)


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in ".,-_/%:")


def _tokens(text: str, max_em: float) -> list[str]:
    """Split into break units: runs of half-width alphanumerics stay together."""
    out: list[str] = []
    for ch in text:
        if out and _is_word_char(ch) and _is_word_char(out[-1][-1]):
            out[-1] += ch
        else:
            out.append(ch)
    # a word longer than a whole line is split anywhere (e.g. a long URL)
    return [piece for tok in out for piece in (tok if _text_em(tok) > max_em else [tok])]


def wrap_japanese(text: str, width_px: float, font_size: float) -> list[str]:
    """Wrap mixed Japanese text to lines that fit ``width_px`` at ``font_size``.

    A simple greedy wrap with kinsoku: closing punctuation never starts a line and opening
    brackets never end one; numbers and ASCII words are not split.
    """
    max_em = max(width_px / font_size, 4.0)
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line = ""
        for tok in _tokens(paragraph, max_em):
            if line and _text_em(line + tok) > max_em and tok[0] not in _NO_LINE_START:
                carry = ""
                while line and line[-1] in _NO_LINE_END:
                    carry = line[-1] + carry
                    line = line[:-1]
                lines.append(line.rstrip())
                line = carry + tok.lstrip()
            else:
                line += tok
        lines.append(line.rstrip())
    return lines


def _fmt_fy(year: int) -> str:
    return f"{int(year)}年度"


def band_note(bands: tuple[float, float] = (1.0, 0.6)) -> str:
    """Return the 評価区分 sentence printed in every chart's （注）."""
    on_track, roughly = _check_bands(bands)
    return GradeBands(on_track=on_track, mostly=roughly).describe()


def _check_bands(bands: Sequence[float]) -> tuple[float, float]:
    try:
        on_track, roughly = (float(b) for b in bands)
    except (TypeError, ValueError):
        msg = f"bands は (順調の下限, 概ね順調の下限) の2つの数値で指定してください：{bands!r}"
        raise ValueError(msg) from None
    if not (on_track > roughly >= 0):
        msg = (
            "bands は 順調の下限 > 概ね順調の下限 ≧ 0 となるように指定してください"
            f"（例：(1.0, 0.6)）：{bands!r}"
        )
        raise ValueError(msg)
    return on_track, roughly


def _check_bands_match_data(bands: tuple[float, float], on_track: Any, mostly: Any) -> None:
    """Refuse to print band edges that differ from the ones the grades were computed with."""
    for given, used in zip(bands, (on_track, mostly), strict=True):
        values = {float(v) for v in (used if isinstance(used, list) else [used]) if v is not None}
        if values and values != {float(given)}:
            msg = (
                f"bands={tuple(bands)!r} がデータの評価区分（順調の下限 {on_track}、"
                f"概ね順調の下限 {mostly}）と一致しません。注に正しい境界を印字するため、"
                "評価に使った bands を指定してください。"
            )
            raise ValueError(msg)


def _require_source(source: object) -> str:
    if not isinstance(source, str) or not source.strip():
        msg = (
            "出典（source）を指定してください。図には必ず出典を表示します"
            "（例：「出典：大船渡市「大船渡市DX戦略」（令和7年2月）を加工して作成」）。"
        )
        raise ValueError(msg)
    return source.strip()


def _note_text(note: str | None, *extra: str) -> str:
    if note is not None and not isinstance(note, str):
        msg = f"注（note）は文字列で指定してください：{note!r}"
        raise ValueError(msg)
    user = (note or "").strip()
    for prefix in ("（注）", "(注)", "注："):
        user = user.removeprefix(prefix).strip()
    parts = [p.strip() for p in (user, *extra) if p and p.strip()]
    return "（注）" + "".join(p if p.endswith("。") else p + "。" for p in parts)


def _footer_lines(source: str, note_text: str, *, is_sample: bool, width_px: float) -> list[str]:
    lines = wrap_japanese(source, width_px, _FOOTER_SIZE)
    if note_text:
        lines += wrap_japanese(note_text, width_px, _FOOTER_SIZE)
    if is_sample:
        lines += wrap_japanese(
            f"※{SAMPLE_LABEL}を含みます（大船渡市の実際の数値ではありません）。",
            width_px,
            _FOOTER_SIZE,
        )
    return lines


def _footer_chart(lines: list[str], plot_width: float, axis_extent: float) -> alt.Chart:
    """A data-free text chart drawing the 出典/注 lines, flush with the y-axis labels.

    Concatenated views are aligned on their plot origins, so the text starts at
    ``-axis_extent`` (the fixed extent of the plot's left axis).
    """
    height = _FOOTER_LINE_HEIGHT * len(lines)
    return (
        alt.Chart(alt.InlineData(values=[{}]), width=plot_width, height=height)
        .mark_text(
            text=lines,
            align="left",
            baseline="top",
            x=-axis_extent,
            y=0,
            fontSize=_FOOTER_SIZE,
            lineHeight=_FOOTER_LINE_HEIGHT,
            color="#333333",
            font=FONT_STACK,
        )
        .properties(view=alt.ViewBackground(stroke=None))
    )


def with_source(
    chart: alt.TopLevelMixin,
    *,
    source: str,
    note: str | None = None,
    is_sample: bool = False,
    width: float = 600,
) -> alt.VConcatChart:
    """Put the 出典 line (and a （注） line) under any Altair chart a notebook builds.

    ``source`` is required, as for every builder here; ``is_sample`` adds the
    「研修用サンプルデータ」 notice under the chart and in its subtitle.
    """
    source = _require_source(source)
    note_text = _note_text(note) if note else ""
    lines = _footer_lines(source, note_text, is_sample=is_sample, width_px=width)
    if is_sample:
        current = getattr(chart, "title", alt.Undefined)
        if isinstance(current, alt.Title):
            title = current.copy(deep=True)
            kept = title.subtitle if isinstance(title.subtitle, list) else [title.subtitle]
            kept = [line for line in kept if isinstance(line, str) and line]
            title.subtitle = [f"【{SAMPLE_LABEL}】", *kept]
        else:
            text = current if isinstance(current, str | list) else ""
            title = alt.Title(text=text, subtitle=[f"【{SAMPLE_LABEL}】"])
        chart = chart.properties(title=title)
    return alt.vconcat(
        chart,
        _footer_chart(lines, width, 0),
        usermeta={
            "ebpm": {"chart": "custom", "source": source, "note": note_text, "is_sample": is_sample}
        },
    )


def _title(text: str, subtitle: list[str], width_px: float) -> alt.Title:
    return alt.Title(
        text=wrap_japanese(text, width_px, _TITLE_SIZE),
        subtitle=[
            line for sub in subtitle for line in wrap_japanese(sub, width_px, _SUBTITLE_SIZE)
        ],
        anchor="start",
        font=FONT_STACK,
        subtitleFont=FONT_STACK,
        fontSize=_TITLE_SIZE,
        subtitleFontSize=_SUBTITLE_SIZE,
    )


def _is_true(value: object) -> bool:
    return value is not None and bool(value)


# --------------------------------------------------------------------------------------
# KPI trend chart
# --------------------------------------------------------------------------------------

_TREND_KEYS: Final = ("base_fy", "base_value", "target_fy", "target_value", "unit")
_DIRECTION_JA: Final = {
    "increase": "増加が目標",
    "decrease": "減少が目標",
    "maintain": "維持が目標",
}
_AGGREGATION_JA: Final = {"single_year": "単年度", "cumulative": "累計"}

_SERIES_ACTUAL: Final = "実績値"
_SERIES_EXPECTED: Final = "期待値（直線）"
_SERIES_BASE: Final = "基準値"
_SERIES_TARGET: Final = "目標値"
_SERIES: Final = (_SERIES_ACTUAL, _SERIES_EXPECTED, _SERIES_BASE, _SERIES_TARGET)
_SERIES_COLORS: Final = (OKABE_ITO["blue"], "#666666", OKABE_ITO["black"], OKABE_ITO["vermillion"])


_EXPECTED_DASH: Final = [7, 5]


def _series_encodings() -> dict[str, Any]:
    """Shared color/shape/strokeDash encodings so the legend merges into one."""
    field = "series:N"
    legend = alt.Legend(
        title=None,
        orient="top",
        direction="horizontal",
        symbolStrokeWidth=2.5,
        symbolSize=140,
        labelFontSize=_LABEL_SIZE,
        offset=8,
    )
    domain = list(_SERIES)
    return {
        "color": alt.Color(
            field, scale=alt.Scale(domain=domain, range=list(_SERIES_COLORS)), legend=legend
        ),
        "shape": alt.Shape(
            field,
            scale=alt.Scale(domain=domain, range=["circle", "stroke", "diamond", "diamond"]),
            legend=legend,
        ),
        "strokeDash": alt.StrokeDash(
            field,
            scale=alt.Scale(domain=domain, range=[[1, 0], _EXPECTED_DASH, [1, 0], [1, 0]]),
            legend=legend,
        ),
    }


def _kpi_value(kpi: Mapping[str, Any], key: str) -> Any:
    value = kpi.get(key)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _require_columns(frame: pl.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{what} に必要な列がありません：{', '.join(missing)}"
        raise ValueError(msg)


def _status_line(kpi: Mapping[str, Any], latest_fy: int | None, unit: str) -> str:
    fy = _kpi_value(kpi, "fiscal_year") or latest_fy
    actual = _kpi_value(kpi, "actual")
    grade = _kpi_value(kpi, "grade") if actual is not None else None
    grade = grade if grade in GRADES else UNGRADED
    if actual is None:
        head = f"{_fmt_fy(fy)}実績値なし" if fy else "実績値なし"
        return f"{head}｜評価：{UNGRADED}"
    progress = _kpi_value(kpi, "progress")
    pace = _kpi_value(kpi, "pace")
    parts = [f"{_fmt_fy(fy)}実績 {format_number(actual)}{unit}"]
    parts.append(f"進捗率 {progress:.1%}" if progress is not None else "進捗率 −")
    parts.append(f"ペース {pace:.2f}" if pace is not None else "ペース −")
    parts.append(f"評価：{grade}")
    return "｜".join(parts)


def kpi_trend_chart(
    kpi: Mapping[str, Any],
    history: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    bands: tuple[float, float] = (1.0, 0.6),
) -> alt.VConcatChart:
    """Trend of one KPI: actuals by 年度, base, target, expected path and 推進期間.

    Parameters
    ----------
    kpi
        One ``kpi_progress`` row (latest year): ``kpi_id``, ``name``, ``short_name``,
        ``strategy_id``, ``unit``, ``aggregation``, ``direction``, ``base_fy``,
        ``base_value``, ``target_fy``, ``target_value``, ``fiscal_year``, ``actual``,
        ``progress``, ``pace``, ``grade``, ``is_sample``.
    history
        Observed actuals (e.g. from ``kpi_actual``, not carried-forward values) with columns
        ``fiscal_year`` (int), ``actual`` (float) and optionally ``is_sample`` (bool). If it
        has a ``kpi_id`` column, only this KPI's rows are used.
    source
        The 出典 line, printed verbatim under the chart (required).
    note
        Extra （注） text; the band edges and chart conventions are always appended.
    bands
        Lower pace edges of (順調, 概ね順調), printed in the note. Must equal the row's
        ``band_on_track``/``band_mostly`` when present.

    Returns
    -------
    alt.VConcatChart
        The plot above a 出典/注 footer.
    """
    source = _require_source(source)
    bands = _check_bands(bands)
    _check_bands_match_data(bands, kpi.get("band_on_track"), kpi.get("band_mostly"))
    missing = [k for k in _TREND_KEYS if _kpi_value(kpi, k) is None]
    if missing:
        msg = f"KPIの定義に必要な項目がありません：{', '.join(missing)}"
        raise ValueError(msg)
    _require_columns(history, ("fiscal_year", "actual"), "history")

    base_fy, target_fy = int(kpi["base_fy"]), int(kpi["target_fy"])
    base_value, target_value = float(kpi["base_value"]), float(kpi["target_value"])
    unit = str(kpi["unit"])
    aggregation = _AGGREGATION_JA.get(str(kpi.get("aggregation")), "")
    direction = _DIRECTION_JA.get(str(kpi.get("direction")), "")

    if "kpi_id" in history.columns and kpi.get("kpi_id") is not None:
        history = history.filter(pl.col("kpi_id") == kpi["kpi_id"])
    duplicated = history.filter(pl.col("fiscal_year").is_duplicated())["fiscal_year"]
    if duplicated.len():
        years_text = "、".join(_fmt_fy(y) for y in sorted(set(duplicated.to_list())))
        msg = f"history に同じ年度の実績が複数あります：{years_text}"
        raise ValueError(msg)
    hist = history.select(
        pl.col("fiscal_year").cast(pl.Int64),
        pl.col("actual").cast(pl.Float64),
        (
            pl.col("is_sample").cast(pl.Boolean).fill_null(False)
            if "is_sample" in history.columns
            else pl.lit(False).alias("is_sample")
        ),
    ).sort("fiscal_year")
    shown = hist.filter(pl.col("actual").is_not_null() & pl.col("actual").is_not_nan())
    is_sample = _is_true(kpi.get("is_sample")) or bool(shown["is_sample"].any())
    latest_fy = int(shown["fiscal_year"].max()) if shown.height else None

    years = [base_fy, target_fy, *PROMOTION_PERIOD, *shown["fiscal_year"].to_list()]
    fy_min, fy_max = min(years), max(years)
    x_scale = alt.Scale(domain=[fy_min - 0.5, fy_max + 0.5], nice=False, zero=False)
    x_axis = alt.Axis(
        values=list(range(fy_min, fy_max + 1)),
        labelExpr="datum.value + '年度'",
        title=None,
        grid=False,
        labelFontSize=_LABEL_SIZE,
    )
    y_title = f"{unit}（{aggregation}）" if aggregation else unit
    y_axis = alt.Axis(
        title=y_title,
        format=",~r",
        titleAngle=0,
        titleAlign="left",
        titleAnchor="end",
        titleY=-14,
        titleX=0,
        titleBaseline="bottom",
        minExtent=_Y_AXIS_EXTENT,
        maxExtent=_Y_AXIS_EXTENT,
    )
    y_scale = alt.Scale(zero=False, nice=True, padding=26)
    series = _series_encodings()

    period_start, period_end = PROMOTION_PERIOD
    period_label_text = f"推進期間（{_fmt_fy(period_start)}〜{_fmt_fy(period_end)}）"
    period_px = _PLOT_WIDTH * (period_end - period_start + 1) / (fy_max - fy_min + 1)
    if _text_em(period_label_text) * _LABEL_SIZE + 12 > period_px:
        period_label_text = "推進期間"
    period = alt.Chart(
        pl.DataFrame(
            {
                "start": [period_start - 0.5],
                "end": [period_end + 0.5],
                "label": [period_label_text],
            }
        )
    )
    period_rect = period.mark_rect(color=OKABE_ITO["yellow"], opacity=0.22).encode(
        x=alt.X("start:Q", scale=x_scale, axis=x_axis), x2="end:Q"
    )
    period_label = period.mark_text(
        align="left", baseline="top", dx=6, dy=6, fontSize=_LABEL_SIZE, color="#5A5200"
    ).encode(x="start:Q", y=alt.value(0), text="label:N")

    expected = (
        alt.Chart(
            pl.DataFrame(
                {
                    "fiscal_year": [base_fy, target_fy],
                    "value": [base_value, target_value],
                    "series": [_SERIES_EXPECTED, _SERIES_EXPECTED],
                }
            )
        )
        .mark_line(strokeDash=_EXPECTED_DASH, strokeWidth=2)
        .encode(
            x=alt.X("fiscal_year:Q", scale=x_scale, axis=x_axis),
            y=alt.Y("value:Q", scale=y_scale, axis=y_axis),
            color=series["color"],
            strokeDash=series["strokeDash"],
        )
    )

    decreasing = target_value < base_value
    duplicate_base = (pl.col("fiscal_year") == base_fy) & (pl.col("actual") == base_value)
    actual_data = shown.with_columns(
        pl.lit(_SERIES_ACTUAL).alias("series"),
        pl.col("fiscal_year").map_elements(_fmt_fy, return_dtype=pl.String).alias("年度"),
        pl.when(duplicate_base)
        .then(pl.lit(""))
        .otherwise(pl.col("actual").map_elements(format_number, return_dtype=pl.String))
        .alias("label"),
    )
    actual_base = alt.Chart(actual_data).encode(
        x=alt.X("fiscal_year:Q", scale=x_scale, axis=x_axis),
        y=alt.Y("actual:Q", scale=y_scale, axis=y_axis),
        color=series["color"],
        tooltip=[alt.Tooltip("年度:N"), alt.Tooltip("actual:Q", title=f"実績値（{unit}）")],
    )
    actual_line = actual_base.mark_line(strokeWidth=2.5).encode(strokeDash=series["strokeDash"])
    actual_points = actual_base.mark_point(filled=True, size=80, opacity=1).encode(
        shape=series["shape"]
    )
    # Labels sit on the side away from the incoming segment: upper right when falling.
    label_style = {
        "align": "left" if decreasing else "right",
        "dx": 7 if decreasing else -7,
        "dy": -11,
        "fontSize": _LABEL_SIZE,
    }
    actual_halo = actual_base.mark_text(
        **label_style, stroke="white", strokeWidth=4, strokeJoin="round"
    ).encode(text="label:N", color=alt.value("white"))
    actual_labels = actual_base.mark_text(**label_style).encode(
        text="label:N", color=alt.value(OKABE_ITO["blue"])
    )

    anchors = alt.Chart(
        pl.DataFrame(
            {
                "fiscal_year": [base_fy, target_fy],
                "value": [base_value, target_value],
                "series": [_SERIES_BASE, _SERIES_TARGET],
                "label": [
                    f"基準値 {format_number(base_value)}",
                    f"目標値 {format_number(target_value)}",
                ],
                # base label on the side the path leaves from, target label beyond the end
                "offset": [-1.0, 1.0] if decreasing else [1.0, -1.0],
            }
        )
    ).encode(
        x=alt.X("fiscal_year:Q", scale=x_scale, axis=x_axis),
        y=alt.Y("value:Q", scale=y_scale, axis=y_axis),
        color=series["color"],
    )
    anchor_points = anchors.mark_point(filled=True, size=130, opacity=1).encode(
        shape=series["shape"]
    )
    anchor_labels = [
        anchors.transform_filter(alt.datum.offset == side)
        .mark_text(
            baseline="top" if side > 0 else "bottom",
            dy=11 * side,
            fontSize=_LABEL_SIZE,
            **extra,
        )
        .encode(text="label:N", **enc)
        for side in (-1.0, 1.0)
        for extra, enc in (
            (
                {"stroke": "white", "strokeWidth": 4, "strokeJoin": "round"},
                {"color": alt.value("white")},
            ),
            ({}, {}),
        )
    ]

    layers: list[alt.Chart] = [
        period_rect,
        period_label,
        expected,
        actual_line,
        actual_points,
        anchor_points,
        actual_halo,
        actual_labels,
        *anchor_labels,
    ]
    if is_sample:
        layers.append(
            alt.Chart(alt.InlineData(values=[{}]))
            .mark_text(
                text=SAMPLE_LABEL,
                fontSize=34,
                fontWeight="bold",
                color="#000000",
                opacity=0.08,
                angle=345,
            )
            .encode(x=alt.value(_PLOT_WIDTH / 2), y=alt.value(_PLOT_HEIGHT / 2))
        )
    plot = alt.layer(*layers).properties(width=_PLOT_WIDTH, height=_PLOT_HEIGHT)

    full_width = _PLOT_WIDTH + _Y_AXIS_EXTENT
    name = str(kpi.get("name") or "")
    title_text = _display_text(str(kpi.get("short_name") or name or kpi.get("kpi_id") or ""))
    name = _display_text(name)
    meta = "・".join(p for p in (aggregation, direction) if p)
    ident = " ".join(
        str(p)
        for p in (
            kpi.get("kpi_id"),
            f"戦略{kpi['strategy_id']}" if kpi.get("strategy_id") else None,
        )
        if p
    )
    name_line = f"指標：{name}" if name and name != title_text else ""
    info = "｜".join(p for p in (ident, name_line, meta) if p)
    subtitle = [f"【{SAMPLE_LABEL}】"] if is_sample else []
    subtitle += [_status_line(kpi, latest_fy, unit), info]

    note_text = _note_text(
        note,
        f"破線は基準値（{_fmt_fy(base_fy)}）から目標値（{_fmt_fy(target_fy)}）までを"
        "直線で結んだ各年度の期待値",
        f"網掛けは推進期間（{_fmt_fy(period_start)}〜{_fmt_fy(period_end)}）",
        "年度は4月〜翌年3月で、開始年で表示",
        band_note(bands),
    )
    footer = _footer_chart(
        _footer_lines(source, note_text, is_sample=is_sample, width_px=full_width),
        _PLOT_WIDTH,
        _Y_AXIS_EXTENT,
    )
    return alt.vconcat(
        plot,
        footer,
        title=_title(title_text, subtitle, full_width),
        usermeta={
            "ebpm": {
                "chart": "kpi_trend",
                "kpi_id": kpi.get("kpi_id"),
                "source": source,
                "note": note_text,
                "is_sample": is_sample,
                "bands": list(_check_bands(bands)),
            }
        },
    )


# --------------------------------------------------------------------------------------
# Progress overview chart
# --------------------------------------------------------------------------------------

_OVERVIEW_COLUMNS: Final = ("kpi_id", "strategy_id", "pace", "progress", "grade", "actual")
_OVERVIEW_WIDTH: Final = 400
_OVERVIEW_LABEL_WIDTH: Final = 300
_OVERVIEW_STEP: Final = 24
_OVERVIEW_STEP_2LINES: Final = 36


def _observed(frame: pl.DataFrame) -> pl.Expr:
    """True where the row's actual was observed in its own fiscal year."""
    observed = pl.col("actual").is_not_null() & pl.col("actual").cast(pl.Float64).is_not_nan()
    if isinstance(frame.schema.get("actual_years"), pl.List):
        # period averages / carried values: only years listed in actual_years count
        observed = observed & pl.col("actual_years").list.contains(pl.col("fiscal_year"))
    return observed


def _rows_of_latest_year(progress: pl.DataFrame) -> pl.DataFrame:
    """One row per KPI, all of one fiscal year: the latest with any observed actual.

    KPIs without a row in that year keep their definition but show no actual.
    """
    if "fiscal_year" not in progress.columns or progress["fiscal_year"].n_unique() <= 1:
        return progress.unique("kpi_id", keep="last", maintain_order=True)
    observed = progress.filter(_observed(progress))
    year = (observed if observed.height else progress)["fiscal_year"].max()
    at_year = progress.filter(pl.col("fiscal_year") == year).unique(
        "kpi_id", keep="last", maintain_order=True
    )
    rest = (
        progress.join(at_year.select("kpi_id"), on="kpi_id", how="anti")
        .sort("fiscal_year")
        .unique("kpi_id", keep="last", maintain_order=True)
        .with_columns(
            pl.lit(None, dtype=pl.Float64).alias("actual"),
            pl.lit(None, dtype=pl.Float64).alias("progress"),
            pl.lit(None, dtype=pl.Float64).alias("pace"),
            pl.lit(None, dtype=pl.String).alias("grade"),
            pl.lit(year).cast(progress.schema["fiscal_year"]).alias("fiscal_year"),
        )
    )
    if "reason" in rest.columns:
        rest = rest.with_columns(pl.lit("実績値がありません").alias("reason"))
    return pl.concat([at_year, rest], how="diagonal_relaxed")


def _display_text(text: str) -> str:
    """Typographic fixes for display only: NFKC-folded ``~`` back to the wave dash."""
    return text.replace("~", "〜")


def _overview_frame(
    progress: pl.DataFrame, bands: tuple[float, float]
) -> tuple[pl.DataFrame, float, float]:
    _require_columns(progress, _OVERVIEW_COLUMNS, "progress")
    frame = _rows_of_latest_year(progress)
    defaults = {
        "short_name": None,
        "name": None,
        "strategy_name": None,
        "field_id": None,
        "field_name": None,
        "fiscal_year": None,
        "is_sample": False,
        "reason": None,
        "direction": None,
    }
    frame = frame.with_columns(
        pl.lit(v).alias(k) for k, v in defaults.items() if k not in frame.columns
    )
    rows = []
    for r in frame.iter_rows(named=True):
        actual = r["actual"]
        has_actual = actual is not None and not (isinstance(actual, float) and math.isnan(actual))
        pace = r["pace"] if has_actual else None
        pace = None if pace is None or math.isnan(pace) else float(pace)
        progress_value = r["progress"] if has_actual else None
        # The grade is the warehouse's; a maintain KPI has a grade but no pace.
        grade = r["grade"] if has_actual and r["grade"] in GRADES else UNGRADED
        maintain = r.get("direction") == "maintain"
        label_name = r["short_name"] or r["name"] or r["kpi_id"]
        is_sample = _is_true(r["is_sample"])
        if grade == UNGRADED:
            reason = r["reason"] or ("実績値がありません" if not has_actual else "")
            value_text = f"{UNGRADED}：{reason}" if reason else UNGRADED
        else:
            parts = [
                f"ペース {pace:.2f}"
                if pace is not None
                else ("維持目標" if maintain else "ペース −")
            ]
            if progress_value is not None and not math.isnan(progress_value):
                parts.append(f"{'目標比' if maintain else '進捗率'} {progress_value:.1%}")
            value_text = f"{grade}：" + "・".join(parts)
        strategy = str(r["strategy_id"])
        group = f"戦略{strategy}"
        if r["strategy_name"]:
            group += f" {r['strategy_name']}"
        if r["field_name"]:
            field_id = r["field_id"]
            group += (
                f"（分野{field_id} {r['field_name']}）" if field_id else f"（{r['field_name']}）"
            )
        label = "\n".join(
            wrap_japanese(
                _display_text(f"{strategy} {label_name}"), _OVERVIEW_LABEL_WIDTH - 16, _LABEL_SIZE
            )
        )
        rows.append(
            {
                "kpi_id": str(r["kpi_id"]),
                "strategy_id": strategy,
                "group": _display_text(group),
                "row_label": label,
                "pace": pace,
                "progress": progress_value,
                "grade": grade,
                "value_text": value_text,
                "fiscal_year": r["fiscal_year"],
                "is_sample": is_sample,
            }
        )
    on_track, _ = bands
    paces = [r["pace"] for r in rows if r["pace"] is not None and r["grade"] != UNGRADED]
    lo = 0.0 if all(p >= 0 for p in paces) else -0.5
    hi = max(1.5, on_track + 0.5) if all(p <= 1.5 for p in paces) else max(2.0, on_track + 1.0)
    schema = {
        "kpi_id": pl.String,
        "strategy_id": pl.String,
        "group": pl.String,
        "row_label": pl.String,
        "pace": pl.Float64,
        "progress": pl.Float64,
        "grade": pl.String,
        "value_text": pl.String,
        "fiscal_year": pl.Int64,
        "is_sample": pl.Boolean,
    }
    out = pl.DataFrame(rows, schema=schema, orient="row").with_columns(
        pace_bar=pl.when(pl.col("grade") == UNGRADED)
        .then(None)
        .otherwise(pl.col("pace").clip(lo, hi)),
        _strategy_order=pl.col("strategy_id")
        .str.split("-")
        .list.eval(pl.element().cast(pl.Int64, strict=False)),
    )
    out = out.sort(["_strategy_order", "kpi_id"]).drop("_strategy_order")
    return out, lo, hi


def progress_overview_chart(
    progress: pl.DataFrame,
    *,
    source: str,
    note: str | None = None,
    bands: tuple[float, float] = (1.0, 0.6),
    title: str | None = None,
) -> alt.VConcatChart:
    """Pace of every KPI against the grade bands, grouped by strategy.

    Parameters
    ----------
    progress
        ``kpi_progress`` rows (one per KPI, or several years: the latest year with an
        actual is shown). Needs ``kpi_id``, ``strategy_id``, ``pace``, ``progress``,
        ``grade``, ``actual``; uses ``short_name``/``name``, ``strategy_name``,
        ``field_id``, ``field_name``, ``fiscal_year`` and ``is_sample`` when present.
    source
        The 出典 line, printed verbatim under the chart (required).
    note
        Extra （注） text; the band edges are always appended.
    bands
        Lower pace edges of (順調, 概ね順調), drawn as dashed rules and printed in the note.
        Must equal ``band_on_track``/``band_mostly`` when those columns are present.
    title
        Chart title; default 「KPIの進捗状況（ペースと評価区分）」.

    Returns
    -------
    alt.VConcatChart
        One bar panel per strategy (rows ``"3-1 コピー用紙購入枚数"``) above a footer.
        KPIs without an actual are shown as 評価不能 with no bar.
    """
    source = _require_source(source)
    on_track, roughly = _check_bands(bands)
    if {"band_on_track", "band_mostly"} <= set(progress.columns):
        _check_bands_match_data(
            (on_track, roughly),
            progress["band_on_track"].unique().sort().to_list(),
            progress["band_mostly"].unique().sort().to_list(),
        )
    data, lo, hi = _overview_frame(progress, (on_track, roughly))
    if data.height == 0:
        msg = "progress に表示するKPIの行がありません。"
        raise ValueError(msg)
    is_sample = bool(data["is_sample"].any())
    mixed_sample = is_sample and not bool(data["is_sample"].all())
    if mixed_sample:
        data = data.with_columns(
            row_label=pl.when(pl.col("is_sample"))
            .then(pl.col("row_label") + "＊")
            .otherwise(pl.col("row_label"))
        )
    years = sorted({fy for fy in data["fiscal_year"].to_list() if fy is not None})
    if len(years) > 1:  # say which year each KPI is judged in
        data = data.with_columns(
            value_text=pl.when(pl.col("fiscal_year").is_not_null() & (pl.col("grade") != UNGRADED))
            .then(pl.col("value_text") + "・" + pl.col("fiscal_year").cast(pl.String) + "年度")
            .otherwise(pl.col("value_text"))
        )
    clipped = bool(
        data.filter(
            (pl.col("grade") != UNGRADED) & ((pl.col("pace") < lo) | (pl.col("pace") > hi))
        ).height
    )

    x_scale = alt.Scale(domain=[lo, hi], clamp=True, nice=False, zero=True)
    ticks = sorted(
        {lo, 0.0, roughly, on_track, hi}
        | {t for t in (0.5, 1.5) if min(abs(t - roughly), abs(t - on_track)) > 0.25}
    )
    ticks = [t for t in ticks if lo <= t <= hi]
    color = alt.Color(
        "grade:N",
        scale=alt.Scale(domain=list(GRADES), range=[GRADE_COLORS[g] for g in GRADES]),
        legend=alt.Legend(
            title="評価",
            orient="top",
            direction="horizontal",
            labelFontSize=_LABEL_SIZE,
            symbolType="square",
            symbolSize=160,
            offset=12,
        ),
    )
    edges = [e for e in (roughly, on_track) if lo <= e <= hi]
    multiline = bool(data["row_label"].str.contains("\n", literal=True).any())
    step = _OVERVIEW_STEP_2LINES if multiline else _OVERVIEW_STEP
    groups = data.unique("group", maintain_order=True)["group"].to_list()
    panels: list[alt.LayerChart] = []
    for i, group in enumerate(groups):
        last = i == len(groups) - 1
        rows = data.filter(pl.col("group") == group)
        x_axis = alt.Axis(
            values=ticks,
            format=".1f",
            title="ペース（進捗率÷経過割合）" if last else None,
            labels=last,
            ticks=last,
            domain=last,
            labelOverlap=False,
        )
        y = alt.Y(
            "row_label:N",
            sort=rows["row_label"].to_list(),
            axis=alt.Axis(
                title=None,
                labelExpr="split(datum.label, '\\n')",
                labelLimit=_OVERVIEW_LABEL_WIDTH - 10,
                labelFontSize=_LABEL_SIZE,
                labelPadding=8,
                ticks=False,
                domain=False,
                minExtent=_OVERVIEW_LABEL_WIDTH,
                maxExtent=_OVERVIEW_LABEL_WIDTH,
            ),
        )
        base = alt.Chart(rows).encode(y=y)
        bars = base.mark_bar(height={"band": 0.62}).encode(
            x=alt.X("pace_bar:Q", scale=x_scale, axis=x_axis),
            x2=alt.datum(0),
            color=color,
            tooltip=[
                alt.Tooltip("kpi_id:N", title="KPI"),
                alt.Tooltip("row_label:N", title="指標"),
                alt.Tooltip("grade:N", title="評価"),
                alt.Tooltip("pace:Q", title="ペース", format=".2f"),
                alt.Tooltip("progress:Q", title="進捗率", format=".1%"),
            ],
        )
        text_base = base.transform_calculate(
            text_x=f"isValid(datum.pace_bar) ? max(datum.pace_bar, 0) : {max(lo, 0.0)}"
        ).encode(x=alt.X("text_x:Q", scale=x_scale, axis=x_axis), text="value_text:N")
        text_style = {"align": "left", "dx": 5, "fontSize": _LABEL_SIZE - 1}
        halo = text_base.mark_text(
            **text_style, color="white", stroke="white", strokeWidth=4, strokeJoin="round"
        )
        texts = text_base.mark_text(**text_style, color=_TEXT_COLOR)
        rules = (
            alt.Chart(pl.DataFrame({"edge": edges}))
            .mark_rule(strokeDash=[5, 4], color="#444444", strokeWidth=1.2)
            .encode(x=alt.X("edge:Q", scale=x_scale, axis=x_axis))
        )
        layers: list[alt.Chart] = [rules, bars, halo, texts]
        if lo < 0:
            layers.insert(
                0,
                alt.Chart(pl.DataFrame({"zero": [0.0]}))
                .mark_rule(color="#444444", strokeWidth=1)
                .encode(x=alt.X("zero:Q", scale=x_scale, axis=x_axis)),
            )
        if i == 0:
            zones = pl.DataFrame(
                {
                    "x": [
                        (max(lo, 0.0) + roughly) / 2,
                        (roughly + on_track) / 2,
                        (on_track + hi) / 2,
                    ],
                    "zone": [
                        f"遅れ（<{format_band(roughly)}）",
                        "概ね順調",
                        f"順調（≧{format_band(on_track)}）",
                    ],
                }
            )
            layers.append(
                alt.Chart(zones)
                .mark_text(baseline="bottom", dy=-4, fontSize=_LABEL_SIZE - 1, color="#444444")
                .encode(x=alt.X("x:Q", scale=x_scale, axis=x_axis), y=alt.value(0), text="zone:N")
            )
        panels.append(
            alt.layer(*layers).properties(
                width=_OVERVIEW_WIDTH,
                height=alt.Step(step),
                title=alt.Title(
                    group,
                    anchor="start",
                    frame="bounds",
                    fontSize=_AXIS_TITLE_SIZE,
                    fontWeight="bold",
                    font=FONT_STACK,
                    offset=22 if i == 0 else 6,
                ),
            )
        )

    counts = data.group_by("grade").len()
    count_map = dict(zip(counts["grade"].to_list(), counts["len"].to_list(), strict=True))
    summary = "・".join(f"{g} {count_map[g]}" for g in GRADES if count_map.get(g))
    when = f"{_fmt_fy(years[-1])}時点" if len(years) == 1 else "各指標の最新年度"
    subtitle = [f"【{SAMPLE_LABEL}】"] if is_sample else []
    subtitle.append(f"{when}｜{summary}（全{data.height}指標）")

    full_width = _OVERVIEW_WIDTH + _OVERVIEW_LABEL_WIDTH
    extra = [f"＊は{SAMPLE_LABEL}"] if mixed_sample else []
    extra.append("棒はペース、破線は評価区分の境界")
    if clipped:
        extra.append(
            f"ペースが{format_band(lo)}〜{format_band(hi)}の範囲外の棒は端で切り詰め（数値は文字で表示）"
        )
    extra.append(band_note((on_track, roughly)))
    note_text = _note_text(note, *extra)
    footer = _footer_chart(
        _footer_lines(source, note_text, is_sample=is_sample, width_px=full_width),
        _OVERVIEW_WIDTH,
        _OVERVIEW_LABEL_WIDTH,
    )
    return alt.vconcat(
        *panels,
        footer,
        spacing=14,
        title=_title(title or "KPIの進捗状況（ペースと評価区分）", subtitle, full_width),
        usermeta={
            "ebpm": {
                "chart": "progress_overview",
                "source": source,
                "note": note_text,
                "is_sample": is_sample,
                "bands": [on_track, roughly],
            }
        },
    ).resolve_scale(color="shared", x="shared")


# --------------------------------------------------------------------------------------
# Rendering and export (offline, through vl-convert)
# --------------------------------------------------------------------------------------

_FORMATS: Final = ("png", "svg", "pdf", "json")


def _vl_version() -> str:
    return "_".join(alt.SCHEMA_VERSION.split(".")[:2])


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    with alt.theme.enable(THEME_NAME):
        return chart.to_dict()


def _render_kwargs() -> dict[str, Any]:
    return {
        "vl_version": _vl_version(),
        "format_locale": JA_NUMBER_LOCALE,
        "time_format_locale": JA_TIME_LOCALE,
        "allowed_base_urls": [],  # never fetch anything over the network
    }


def chart_to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string with the ebpm theme and the Japanese font.

    Text stays ``<text>`` with the IPAexGothic-first font stack; a viewer without
    IPAexGothic falls back to its own Japanese font.
    """
    import vl_convert as vlc

    _require_japanese_font()
    return vlc.vegalite_to_svg(_spec(chart), **_render_kwargs())


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
        Output pixels per chart pixel for PNG. The default 3.125 gives 300 dpi when the
        image is placed at the chart's CSS size (96 px per inch), e.g. a 680 px wide chart
        becomes 2,125 px = 180 mm at 300 dpi; the PNG's pHYs header records that dpi.

    Returns
    -------
    list of Path
        The written files, in the order of ``formats``.
    """
    import json

    import vl_convert as vlc

    base = Path(path_without_suffix)
    unknown = [f for f in formats if f not in _FORMATS]
    if unknown:
        msg = f"保存形式は {', '.join(_FORMATS)} から選んでください：{', '.join(unknown)}"
        raise ValueError(msg)
    if base.suffix.lstrip(".").lower() in _FORMATS:
        msg = f"保存先は拡張子なしで指定してください（例：{base.with_suffix('')}）：{base}"
        raise ValueError(msg)
    if not scale_factor > 0:
        msg = f"scale_factor は正の数で指定してください：{scale_factor!r}"
        raise ValueError(msg)
    _require_japanese_font()
    spec = _spec(chart)
    kwargs = _render_kwargs()
    base.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in formats:
        target = base.with_name(f"{base.name}.{fmt}")
        if fmt == "png":
            # vl-convert draws at scale * ppi / 72 and writes ppi into the PNG header.
            ppi = 96 * scale_factor
            target.write_bytes(
                vlc.vegalite_to_png(spec, scale=scale_factor * 72 / ppi, ppi=ppi, **kwargs)
            )
        elif fmt == "svg":
            target.write_text(vlc.vegalite_to_svg(spec, **kwargs), encoding="utf-8")
        elif fmt == "pdf":
            target.write_bytes(vlc.vegalite_to_pdf(spec, **kwargs))
        else:
            target.write_text(json.dumps(spec, ensure_ascii=False, indent=2), encoding="utf-8")
        written.append(target)
    return written


def enable_offline_renderer() -> None:
    """Render charts in Jupyter as static SVG through vl-convert (no CDN, nbval-stable).

    Registers the Japanese font, enables the ebpm theme and Altair's ``svg`` renderer with
    the ja-JP number and time locales.
    """
    _require_japanese_font()
    enable_theme()
    alt.renderers.enable(
        "svg",
        embed_options={"formatLocale": JA_NUMBER_LOCALE, "timeFormatLocale": JA_TIME_LOCALE},
    )
