"""Sampling error of survey shares: Wilson interval, two-wave change, sample size.

Shares are in percent, as the strategy publishes them (48.9 = 48.9 %). The
module uses the standard library only (``math``, ``statistics.NormalDist``),
so the KPI rule, the report and the CLI can import it without numpy, scipy or
statsmodels.

The survey rule
---------------
Two waves of a survey are treated as independent simple random samples. A
change from p₁ (n₁ answers) to p₂ (n₂ answers) is **within sampling error**
at the 95 % level when the pooled two-proportion z-test does not reject "no
change" (two-sided):

    |p₂ − p₁| < z × √( p̄ (1 − p̄) (1/n₁ + 1/n₂) ),   p̄ = (p₁n₁ + p₂n₂) / (n₁ + n₂),

with z = 1.959964 (:data:`Z_95`) and shares as fractions. The right-hand side
is :attr:`ProportionChange.detectable`: the smallest change that is
"significant" at these sample sizes. A change exactly that large is detected
only half of the time; :func:`sample_size_per_wave` gives the n needed to
detect a change with a stated probability (power).

When the base wave's sample size is unknown (the strategy publishes the base
share without n), it is assumed to equal the later wave's n — the same
survey repeated with a similar response — unless the caller passes
``assumed_n_before``. The result records the assumption
(:attr:`ProportionChange.n_before_assumed`) and its summary states it. A
smaller real base sample would widen the margin, so the rule is then less
sure than it says; a larger one would narrow it.

Weighting, design effects and non-response bias are not modelled: for a
weighted survey the margins here are too narrow.

>>> round(two_proportion_test(48.9, None, 48.2, 795).detectable, 2)
4.91
>>> two_proportion_test(48.9, None, 48.2, 795).within_error
True
>>> sample_size_per_wave(3.0)  # 50 % → 53 %, 80 % power, α = 0.05 two-sided
4356
"""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass
from statistics import NormalDist

__all__ = [
    "Z_95",
    "ProportionCI",
    "ProportionChange",
    "proportion_ci",
    "sample_size_per_wave",
    "two_proportion_test",
    "wilson_interval",
    "z_critical",
]

_NORMAL = NormalDist()

#: The two-sided 95 % critical value of the standard normal distribution.
Z_95 = _NORMAL.inv_cdf(0.975)


def z_critical(alpha: float = 0.05) -> float:
    """Two-sided critical value: ``z_critical(0.05)`` = 1.959964…"""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha は0より大きく1より小さい値にしてください（指定値：{alpha}）")
    return _NORMAL.inv_cdf(1 - alpha / 2)


def _check_n(n: object) -> int:
    """A number of answers: a whole number ≥ 1 (numpy integers too)."""
    try:
        value = operator.index(n)  # type: ignore[arg-type]
    except TypeError:
        value = 0
    if isinstance(n, bool) or value < 1:
        raise ValueError(f"回答数 n は1以上の整数で指定してください（指定値：{n!r}）")
    return value


def _check_percent(percent: object, what: str = "割合") -> float:
    """A share in percent, 0–100 (NaN and text refused)."""
    if isinstance(percent, bool) or not isinstance(percent, numbers.Real):
        raise ValueError(f"{what}は数値（0〜100の%）で指定してください（指定値：{percent!r}）")
    value = float(percent)
    if not 0 <= value <= 100:
        raise ValueError(f"{what}は0〜100（%）で指定してください（指定値：{percent}）")
    return value


def _level(alpha: float) -> str:
    return f"{100 * (1 - alpha):g}%"


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "p=－"
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def wilson_interval(percent: float, n: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a share, both ends in percent.

    The count is ``percent / 100 × n``, which need not be whole when the
    published share is rounded or weighted.

    >>> tuple(round(v, 2) for v in wilson_interval(100 * 81 / 263, 263))
    (25.53, 36.62)
    """
    p, n = _check_percent(percent) / 100, _check_n(n)
    z = z_critical(alpha)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half) * 100, min(1.0, centre + half) * 100


@dataclass(frozen=True)
class ProportionCI:
    """A survey share in percent with its Wilson confidence interval (percent)."""

    percent: float
    n: int
    lower: float
    upper: float
    alpha: float

    def summary(self) -> str:
        return (
            f"{self.percent:.1f}%（回答数 {self.n:,}）の{_level(self.alpha)}信頼区間："
            f"{self.lower:.1f}%〜{self.upper:.1f}%（Wilson法）"
        )

    def __str__(self) -> str:
        return self.summary()


def proportion_ci(percent: float, n: int, *, alpha: float = 0.05) -> ProportionCI:
    """Wilson confidence interval of a survey share given in percent."""
    lower, upper = wilson_interval(percent, n, alpha=alpha)
    return ProportionCI(float(percent), int(n), lower, upper, alpha)


@dataclass(frozen=True)
class ProportionChange:
    """Change between two independent survey waves, in percentage points.

    ``difference`` = after − before; ``z`` and ``p_value`` are the pooled
    two-proportion z-test; ``detectable`` is the smallest change that the
    test calls significant at these sample sizes (see the module docstring);
    ``ci`` is Newcombe's hybrid-score interval for the difference.
    ``n_before_assumed`` is True when ``n_before`` was not known.
    """

    before: float
    n_before: int
    after: float
    n_after: int
    difference: float
    ci: tuple[float, float]
    z: float
    p_value: float
    detectable: float
    alpha: float
    n_before_assumed: bool = False

    @property
    def within_error(self) -> bool:
        """True when the change is within sampling error (|z| below the critical value)."""
        return abs(self.z) < z_critical(self.alpha)

    @property
    def significant(self) -> bool:
        """True when the change is larger than sampling error at ``alpha``."""
        return not self.within_error

    @property
    def assumption(self) -> str | None:
        """What was assumed about the base wave's sample size, in Japanese (None if known)."""
        if not self.n_before_assumed:
            return None
        return (
            f"基準の調査の回答数が公表されていないため、{self.n_before:,}件と仮定しました"
            "（同じ調査を同程度の回答数で繰り返したと仮定）。"
            "実際の回答数がこれより少なければ、誤差の範囲はもっと広くなります。"
        )

    def summary(self) -> str:
        verdict = (
            "標本誤差だけでは説明しにくい変化です。"
            if self.significant
            else "標本誤差の範囲内の変化で、実際に変わったとは言えません。"
        )
        low, high = (f"{v:+.1f}" for v in self.ci)
        base = f"回答数 {self.n_before:,}" + ("・仮定" if self.n_before_assumed else "")
        lines = [
            f"{self.before:.1f}%（{base}）→ {self.after:.1f}%（回答数 {self.n_after:,}）："
            f"差 {self.difference:+.1f}ポイント（{_level(self.alpha)}信頼区間 {low}〜{high}）、"
            f"z={self.z:.2f}、{_p(self.p_value)}。{verdict}"
            f"この回答数では、±{self.detectable:.1f}ポイント以上の差でないと有意になりません"
            "（ちょうどこの大きさの変化は、2回に1回しか見つかりません）。"
        ]
        if self.assumption:
            lines.append(self.assumption)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def two_proportion_test(
    before: float,
    n_before: int | None,
    after: float,
    n_after: int,
    *,
    alpha: float = 0.05,
    assumed_n_before: int | None = None,
) -> ProportionChange:
    """Is the change between two survey shares (percent) more than sampling error?

    Parameters
    ----------
    before, n_before : the base wave's share and number of answers;
        ``n_before=None`` when it is unknown.
    after, n_after : the later wave.
    alpha : 1 − confidence level (0.05 for the 95 % rule).
    assumed_n_before : the n to assume when ``n_before`` is None; by default
        ``n_after`` (see the module docstring).

    The waves are assumed to be independent simple random samples.
    """
    p1 = _check_percent(before, "基準の割合") / 100
    p2 = _check_percent(after) / 100
    n2 = _check_n(n_after)
    assumed = n_before is None
    if assumed:
        n_before = n2 if assumed_n_before is None else assumed_n_before
    n1 = _check_n(n_before)
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se > 0:
        z = (p2 - p1) / se
        p_value = 2 * _NORMAL.cdf(-abs(z))
    else:  # both waves 0 % or both 100 %: no change and no noise
        z, p_value = 0.0, 1.0
    low1, high1 = (v / 100 for v in wilson_interval(before, n1, alpha=alpha))
    low2, high2 = (v / 100 for v in wilson_interval(after, n2, alpha=alpha))
    difference = p2 - p1
    ci = (
        difference - math.sqrt((p2 - low2) ** 2 + (high1 - p1) ** 2),
        difference + math.sqrt((high2 - p2) ** 2 + (p1 - low1) ** 2),
    )
    return ProportionChange(
        before=float(before),
        n_before=n1,
        after=float(after),
        n_after=n2,
        difference=float(after) - float(before),
        ci=(ci[0] * 100, ci[1] * 100),
        z=z,
        p_value=p_value,
        detectable=z_critical(alpha) * se * 100,
        alpha=alpha,
        n_before_assumed=assumed,
    )


def sample_size_per_wave(
    change_points: float,
    *,
    base_percent: float = 50.0,
    power: float = 0.8,
    alpha: float = 0.05,
) -> int:
    """Answers needed in EACH of two waves to detect a change of ``change_points``.

    For a share moving from ``base_percent`` to ``base_percent + change_points``,
    the n per wave at which the two-sided pooled z-test at ``alpha`` detects
    the change with probability ``power`` (normal approximation, no continuity
    correction; Fleiss, *Statistical Methods for Rates and Proportions*):

        n = ( z₁₋α/₂ √(2 p̄ q̄) + z₁₋β √(p₁q₁ + p₂q₂) )² / (p₂ − p₁)²

    50 % is the worst case (the most answers needed) when the base is unknown.

    >>> sample_size_per_wave(3.0, base_percent=50.0, power=0.5)  # just-significant: half the time
    2133
    """
    if not 0 < power < 1:
        raise ValueError(
            f"power（検出力）は0より大きく1より小さい値にしてください（指定値：{power}）"
        )
    _check_percent(base_percent, "基準の割合")
    target = base_percent + change_points
    if change_points == 0 or not 0 < target < 100:
        raise ValueError(
            f"変化の大きさ（ポイント）は0以外で、変化後が0〜100%の内側になるようにしてください"
            f"（{base_percent}% → {target}%）"
        )
    p1, p2 = base_percent / 100, target / 100
    mean = (p1 + p2) / 2
    need = (
        z_critical(alpha) * math.sqrt(2 * mean * (1 - mean))
        + _NORMAL.inv_cdf(power) * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2 / (p2 - p1) ** 2
    return math.ceil(need)
