"""Every word around a chart, composed once: title, subtitle, 出典, （注）, the sample notice.

Builders describe their text as a :class:`Caption` (plain strings, already wrapped to the
chart's width) and :func:`framed` draws it: the title above, the footer under the plot.
The footer is a text-mark chart vconcatenated under the plot, so 出典/注 render identically
in PNG, SVG and PDF.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import altair as alt
import polars as pl

from ebpm.charts.profile import WEB, ChartProfile
from ebpm.charts.theme import FONT_STACK, FOOTER_SIZE
from ebpm.kpi import GradeBands
from ebpm.manifest import SAMPLE_LABEL

__all__ = ["Caption", "band_note", "note_parts", "with_source", "wrap_japanese"]

_NO_LINE_START: Final = set(
    "、。，．,.)）」』】〕〉》］｝!！?？:：;；%％ー・々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ"
)
_NO_LINE_END: Final = set("(（「『【〔〈《［｛")
_SAMPLE_NOTICE: Final = f"※{SAMPLE_LABEL}を含みます（大船渡市の実際の数値ではありません）。"

# --------------------------------------------------------------------------------------
# Wrapping
# --------------------------------------------------------------------------------------


def _char_em(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.6


def text_em(text: str) -> float:
    """Approximate width of ``text`` in em (full-width 1, half-width 0.6)."""
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
    return [piece for tok in out for piece in (tok if text_em(tok) > max_em else [tok])]


def wrap_japanese(text: str, width_px: float, font_size: float) -> list[str]:
    """Wrap mixed Japanese text to lines that fit ``width_px`` at ``font_size``.

    A simple greedy wrap with kinsoku: closing punctuation never starts a line and opening
    brackets never end one; numbers and ASCII words are not split.

    >>> wrap_japanese("評価区分：順調 ペース≧1.0。", width_px=110, font_size=11)
    ['評価区分：順調 ペー', 'ス≧1.0。']
    """
    max_em = max(width_px / font_size, 4.0)
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line = ""
        for tok in _tokens(paragraph, max_em):
            if line and text_em(line + tok) > max_em and tok[0] not in _NO_LINE_START:
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


def display_text(text: str) -> str:
    """Typographic fixes for display only: NFKC-folded ``~`` back to the wave dash."""
    return text.replace("~", "〜")


# --------------------------------------------------------------------------------------
# Checked inputs: source, columns, note, bands
# --------------------------------------------------------------------------------------


def require_source(source: object) -> str:
    """The 出典 line, stripped; every chart must have one."""
    if not isinstance(source, str) or not source.strip():
        msg = (
            "出典（source）を指定してください。図には必ず出典を表示します"
            "（例：「出典：大船渡市「大船渡市DX戦略」（令和7年2月）を加工して作成」）。"
        )
        raise ValueError(msg)
    return source.strip()


def require_columns(frame: pl.DataFrame, columns: Iterable[str], what: str) -> None:
    """Refuse a frame without the columns a chart needs, naming them in Japanese."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{what} に必要な列がありません：{', '.join(missing)}"
        raise ValueError(msg)


def is_flagged(value: object) -> bool:
    """A flag such as ``is_sample`` that may be null: only a true value counts."""
    return value is not None and bool(value)


def note_parts(note: str | None, *extra: str) -> list[str]:
    """The user's note, then the builder's sentences, each ending in 「。」 (no 「（注）」)."""
    if note is not None and not isinstance(note, str):
        msg = f"注（note）は文字列で指定してください：{note!r}"
        raise ValueError(msg)
    user = (note or "").strip()
    for prefix in ("（注）", "(注)", "注："):
        user = user.removeprefix(prefix).strip()
    parts = [p.strip() for p in (user, *extra) if p and p.strip()]
    return [p if p.endswith("。") else p + "。" for p in parts]


def note_text(note: str | None, *extra: str) -> str:
    """``（注）`` + the user's note, then the builder's sentences, each ending in 「。」."""
    return "（注）" + "".join(note_parts(note, *extra))


def check_bands(bands: Sequence[float]) -> GradeBands:
    """The band edges ``(順調の下限, 概ね順調の下限)`` as :class:`~ebpm.kpi.GradeBands`.

    The one validation of band edges is ``GradeBands``' own (0 ≦ 概ね順調 < 順調), so a
    chart accepts exactly the edges ``ebpm build`` accepts.
    """
    try:
        on_track, mostly = bands
    except (TypeError, ValueError):
        msg = f"bands は (順調の下限, 概ね順調の下限) の2つの数値で指定してください：{bands!r}"
        raise ValueError(msg) from None
    return GradeBands(on_track=on_track, mostly=mostly)


def check_bands_match_data(bands: GradeBands, on_track: Any, mostly: Any) -> None:
    """Refuse to print band edges that differ from the ones the grades were computed with."""
    given = (bands.on_track, bands.mostly)
    for edge, used in zip(given, (on_track, mostly), strict=True):
        values = {float(v) for v in (used if isinstance(used, list) else [used]) if v is not None}
        if values and values != {edge}:
            msg = (
                f"bands={given!r} がデータの評価区分（順調の下限 {on_track}、"
                f"概ね順調の下限 {mostly}）と一致しません。注に正しい境界を印字するため、"
                "評価に使った bands を指定してください。"
            )
            raise ValueError(msg)


def band_note(bands: tuple[float, float] = (1.0, 0.6)) -> str:
    """Return the 評価区分 sentence printed in every chart's （注）."""
    return check_bands(bands).describe()


# --------------------------------------------------------------------------------------
# Caption: the composed text of one chart
# --------------------------------------------------------------------------------------


def sample_subtitle(is_sample: bool) -> list[str]:
    """The subtitle line that flags sample data, or nothing."""
    return [f"【{SAMPLE_LABEL}】"] if is_sample else []


def footer_lines(
    source: str, note: str, *, is_sample: bool, width_px: float, font_size: float = FOOTER_SIZE
) -> list[str]:
    """出典, then （注）, then the sample notice, each wrapped to ``width_px``."""
    lines = wrap_japanese(source, width_px, font_size)
    if note:
        lines += wrap_japanese(note, width_px, font_size)
    if is_sample:
        lines += wrap_japanese(_SAMPLE_NOTICE, width_px, font_size)
    return lines


@dataclass(frozen=True)
class Caption:
    """Title, subtitle and footer lines of one chart, wrapped to its width."""

    title: tuple[str, ...]
    subtitle: tuple[str, ...]
    footer: tuple[str, ...]
    source: str
    note: str
    is_sample: bool
    #: the sizes the lines were wrapped for
    profile: ChartProfile = WEB

    @classmethod
    def compose(
        cls,
        title: str,
        subtitle: Sequence[str],
        *,
        source: str,
        note: str,
        is_sample: bool,
        width_px: float,
        profile: ChartProfile = WEB,
    ) -> Caption:
        """Wrap the title and every subtitle line; the sample flag leads the subtitle."""
        lines = [*sample_subtitle(is_sample), *subtitle]
        return cls(
            # one line of large type: the kinsoku margin kept for the small lines is not needed
            title=tuple(wrap_japanese(title, width_px + profile.wrap_margin, profile.title_size)),
            subtitle=tuple(
                line
                for sub in lines
                for line in wrap_japanese(sub, width_px, profile.subtitle_size)
            ),
            footer=tuple(
                footer_lines(
                    source,
                    note,
                    is_sample=is_sample,
                    width_px=width_px,
                    font_size=profile.footer_size,
                )
            ),
            source=source,
            note=note,
            is_sample=is_sample,
            profile=profile,
        )


# --------------------------------------------------------------------------------------
# Drawing the caption
# --------------------------------------------------------------------------------------


def title_of(caption: Caption) -> alt.Title:
    """The chart title with its subtitle lines."""
    return alt.Title(
        text=list(caption.title),
        subtitle=list(caption.subtitle),
        anchor="start",
        font=FONT_STACK,
        subtitleFont=FONT_STACK,
        fontSize=caption.profile.title_size,
        subtitleFontSize=caption.profile.subtitle_size,
    )


def footer_chart(
    lines: Sequence[str], plot_width: float, axis_extent: float, profile: ChartProfile = WEB
) -> alt.Chart:
    """A data-free text chart drawing the 出典/注 lines, flush with the y-axis labels.

    Concatenated views are aligned on their plot origins, so the text starts at
    ``-axis_extent`` (the fixed extent of the plot's left axis).
    """
    height = profile.footer_line_height * len(lines)
    return (
        alt.Chart(alt.InlineData(values=[{}]), width=plot_width, height=height)
        .mark_text(
            text=list(lines),
            align="left",
            baseline="top",
            x=-axis_extent,
            y=0,
            fontSize=profile.footer_size,
            lineHeight=profile.footer_line_height,
            color="#333333",
            font=FONT_STACK,
        )
        .properties(view=alt.ViewBackground(stroke=None))
    )


def framed(
    panels: Sequence[Any],
    footer: alt.Chart,
    *,
    meta: dict[str, Any],
    caption: Caption | None = None,
    **vconcat: Any,
) -> alt.VConcatChart:
    """Panels above the footer, under the caption's title; ``meta`` goes to ``usermeta``.

    ``usermeta.ebpm`` records what the chart says (source, note, sample flag) so tests and
    the report can read it back without parsing the drawing.
    """
    if caption is not None:
        vconcat["title"] = title_of(caption)
    return alt.vconcat(*panels, footer, **vconcat, usermeta={"ebpm": meta})


def _sample_title(chart: alt.TopLevelMixin) -> alt.Title:
    """The chart's own title with 【研修用サンプルデータ】 as the first subtitle line."""
    current = getattr(chart, "title", alt.Undefined)
    if isinstance(current, alt.Title):
        title = current.copy(deep=True)
        kept = title.subtitle if isinstance(title.subtitle, list) else [title.subtitle]
        kept = [line for line in kept if isinstance(line, str) and line]
        title.subtitle = [*sample_subtitle(True), *kept]
        return title
    text = current if isinstance(current, str | list) else ""
    return alt.Title(text=text, subtitle=sample_subtitle(True))


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
    source = require_source(source)
    note = note_text(note) if note else ""
    lines = footer_lines(source, note, is_sample=is_sample, width_px=width)
    if is_sample:
        chart = chart.properties(title=_sample_title(chart))
    meta = {"chart": "custom", "source": source, "note": note, "is_sample": is_sample}
    return framed([chart], footer_chart(lines, width, 0), meta=meta)
