"""The one grade palette: distinguishable in greyscale and for colour-blind readers, text at
WCAG AA contrast, the same colours in every output.

Colour-vision deficiency is simulated with the Machado, Oliveira & Fernandes (2009) matrices
(severity 1.0) in linear RGB; distances are CIE76 ΔE*ab in CIELAB (D65). The maths here is
independent of the library's (only :func:`ebpm.kpi.grades.contrast_ratio` is checked against
published WCAG examples).
"""

from __future__ import annotations

import itertools
import math

import pytest

from ebpm.kpi.grades import GRADE_STYLES, GRADES, OUTLINE, contrast_ratio, grade_label

MACHADO_2009 = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}


def linear_rgb(color: str) -> tuple[float, float, float]:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    text = color.lstrip("#")
    r, g, b = (channel(int(text[i : i + 2], 16)) for i in (0, 2, 4))
    return r, g, b


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def simulate(color: str, kind: str) -> tuple[float, float, float]:
    rgb = linear_rgb(color)
    matrix = MACHADO_2009[kind]
    out = tuple(
        min(max(sum(m * c for m, c in zip(row, rgb, strict=True)), 0.0), 1.0) for row in matrix
    )
    return lab(out)  # type: ignore[arg-type]


FILLS = {grade: style.fill for grade, style in GRADE_STYLES.items()}


def test_every_grade_has_one_style_in_the_order_of_the_grade_list():
    assert tuple(GRADE_STYLES) == GRADES
    assert len(set(FILLS.values())) == len(GRADES)
    assert len({s.symbol for s in GRADE_STYLES.values()}) == len(GRADES)  # second cue


def test_greyscale_lightness_of_every_fill_differs_by_at_least_10():
    # A greyscale print keeps only lightness: every pair of grades must stay apart
    # (the old palette had 概ね順調 ≈ 遅れ and 順調 ≈ 悪化 in greyscale).
    lightness = sorted(lab(linear_rgb(c))[0] for c in FILLS.values())
    gaps = [b - a for a, b in itertools.pairwise(lightness)]
    assert min(gaps) >= 10, lightness


@pytest.mark.parametrize("kind", sorted(MACHADO_2009))
def test_fills_stay_apart_for_colour_blind_readers(kind: str):
    simulated = {g: simulate(c, kind) for g, c in FILLS.items()}
    for (a, la), (b, lb) in itertools.combinations(simulated.items(), 2):
        assert math.dist(la, lb) >= 10, (kind, a, b)


def test_warm_and_cool_sides_keep_their_order_of_depth():
    # darker = further from the middle on each side, so the depth reads as degree
    def lightness(grade: str) -> float:
        return lab(linear_rgb(FILLS[grade]))[0]

    assert lightness("達成") < lightness("順調") < lightness("概ね順調")
    assert lightness("悪化") < lightness("未達成") < lightness("遅れ")


def test_contrast_ratio_matches_wcag_examples():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#56B4E9", "#FFFFFF") == pytest.approx(2.3, abs=0.05)  # the old ink


@pytest.mark.parametrize("grade", GRADES)
def test_grade_text_passes_wcag_aa(grade: str):
    style = GRADE_STYLES[grade]
    assert contrast_ratio(style.ink, "#FFFFFF") >= 4.5  # the grade's name on white
    assert contrast_ratio(style.on_fill, style.fill) >= 4.5  # text on its own fill


@pytest.mark.parametrize("grade", GRADES)
def test_light_fills_get_an_outline_that_stands_out(grade: str):
    # WCAG 1.4.11: a graphic needs 3:1 against white; lighter fills are drawn with OUTLINE
    style = GRADE_STYLES[grade]
    if contrast_ratio(style.fill, "#FFFFFF") < 3:
        assert style.outline
    assert contrast_ratio(OUTLINE, "#FFFFFF") >= 3


def test_grade_label_pairs_symbol_and_name():
    assert [grade_label(g) for g in ("達成", "未達成", "評価不能")] == [
        "◎ 達成",
        "× 未達成",
        "− 評価不能",
    ]
