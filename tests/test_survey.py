"""Survey maths: Wilson interval, the two-wave rule, sample size — by hand and against statsmodels."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

from ebpm import survey as s


def test_the_module_imports_no_numerical_library():
    heavy = "{'numpy', 'scipy', 'statsmodels', 'polars'}"
    code = f"import sys, ebpm.survey; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- Wilson interval ------------------------------------------------------------------------


def test_wilson_matches_newcombe_1998_and_the_closed_form():
    # Newcombe (1998), Stat Med 17:857, example 81/263: Wilson score interval 0.2553–0.3662
    low, high = s.wilson_interval(100 * 81 / 263, 263)
    assert (round(low / 100, 4), round(high / 100, 4)) == (0.2553, 0.3662)
    p, n, z = 81 / 263, 263, stats.norm.ppf(0.975)
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert (low / 100, high / 100) == pytest.approx((centre - half, centre + half))


@pytest.mark.parametrize(("percent", "n"), [(48.2, 795), (3.0, 100), (99.5, 2000), (50.0, 7)])
def test_wilson_agrees_with_statsmodels(percent, n):
    expected = proportion_confint(percent / 100 * n, n, alpha=0.05, method="wilson")
    assert tuple(v / 100 for v in s.wilson_interval(percent, n)) == pytest.approx(expected)


def test_wilson_at_zero_and_one_hundred_percent_stays_inside_the_scale():
    # 0/10: upper = z²/(n + z²) = 3.8415 / 13.8415 = 0.2775
    assert s.wilson_interval(0.0, 10) == pytest.approx((0.0, 27.75), abs=0.01)
    assert s.wilson_interval(100.0, 10) == pytest.approx((72.25, 100.0), abs=0.01)


def test_a_confidence_interval_summary():
    ci = s.proportion_ci(48.2, 795)
    assert str(ci) == "48.2%（回答数 795）の95%信頼区間：44.7%〜51.7%（Wilson法）"


@pytest.mark.parametrize(
    ("percent", "n", "message"),
    [(146.1, 800, "0〜100"), (float("nan"), 800, "0〜100"), ("48", 800, "数値"),
     (48.0, 0, "回答数"), (48.0, True, "回答数"), (48.0, 79.5, "回答数")],
)  # fmt: skip
def test_bad_shares_and_sample_sizes_are_refused(percent, n, message):
    with pytest.raises(ValueError, match=message):
        s.wilson_interval(percent, n)


def test_numpy_integers_are_sample_sizes_too():
    assert s.wilson_interval(48.2, np.int64(795)) == s.wilson_interval(48.2, 795)


# --- two waves ----------------------------------------------------------------------------


def test_the_pooled_z_test_by_hand_and_against_statsmodels():
    change = s.two_proportion_test(46.1, 800, 48.0, 800)
    pooled = (0.461 * 800 + 0.48 * 800) / 1600
    se = math.sqrt(pooled * (1 - pooled) * (2 / 800))
    assert change.z == pytest.approx((0.48 - 0.461) / se)
    z, p = proportions_ztest([0.48 * 800, 0.461 * 800], [800, 800])
    assert (change.z, change.p_value) == pytest.approx((z, p))
    assert change.detectable == pytest.approx(1.959964 * se * 100, rel=1e-6)
    assert change.difference == pytest.approx(1.9)
    assert change.within_error and not change.significant
    assert "標本誤差の範囲内" in change.summary()


def test_the_difference_interval_is_newcombes():
    change = s.two_proportion_test(30.0, 1000, 40.0, 650)
    low, high = confint_proportions_2indep(
        260, 650, 300, 1000, method="newcomb", compare="diff", alpha=0.05
    )
    assert change.ci == pytest.approx((low * 100, high * 100))
    assert change.significant and change.ci[0] > 0
    assert "標本誤差だけでは説明しにくい" in str(change)


def test_k06_unknown_base_n_is_assumed_equal_to_the_later_wave():
    # 48.9 → 48.2 with n = 795 and no published n for the base:
    # p̄ = 0.4855, SE = √(0.4855·0.5145·2/795) = 0.025068, margin = 1.96·SE = 4.91 points
    change = s.two_proportion_test(48.9, None, 48.2, 795)
    assert change.n_before == 795 and change.n_before_assumed
    assert change.detectable == pytest.approx(4.913, abs=0.001)
    assert change.within_error
    text = change.summary()
    assert "48.9%（回答数 795・仮定）→ 48.2%（回答数 795）" in text
    assert "基準の調査の回答数が公表されていないため、795件と仮定しました" in text


def test_a_large_change_is_beyond_sampling_error_even_with_an_assumed_base():
    change = s.two_proportion_test(48.9, None, 40.0, 795)
    assert change.significant
    assert change.detectable == pytest.approx(4.885, abs=0.001)  # p̄ = 0.4445


def test_the_assumed_base_n_is_configurable():
    # 48.9 → 43.0: margin 5.98 points if the base had 400 answers, 4.90 if it had 795
    known = s.two_proportion_test(48.9, 400, 43.0, 795)
    assumed = s.two_proportion_test(48.9, None, 43.0, 795, assumed_n_before=400)
    assert assumed.z == pytest.approx(known.z) and assumed.n_before_assumed
    assert known.assumption is None
    assert assumed.detectable == pytest.approx(5.977, abs=0.001)
    assert assumed.within_error and not s.two_proportion_test(48.9, None, 43.0, 795).within_error


def test_no_change_at_zero_percent_is_within_error():
    change = s.two_proportion_test(0.0, 100, 0.0, 120)
    assert (change.z, change.p_value, change.within_error) == (0.0, 1.0, True)


def test_the_rule_is_the_z_test_at_the_critical_value():
    assert pytest.approx(1.959963984540054) == s.Z_95 == s.z_critical(0.05)
    change = s.two_proportion_test(50.0, 2000, 53.0, 2000)
    assert change.within_error == (abs(change.difference) < change.detectable)


# --- sample size ----------------------------------------------------------------------------


def test_three_points_at_fifty_percent_with_80_percent_power_needs_4356_per_wave():
    # Fleiss: (1.959964·√(2·0.515·0.485) + 0.841621·√(0.25 + 0.53·0.47))² / 0.03² = 4355.4
    assert s.sample_size_per_wave(3.0) == 4356
    reference = samplesize_proportions_2indep_onetail(0.03, 0.50, 0.8, alpha=0.05)
    assert s.sample_size_per_wave(3.0) == math.ceil(reference)
    assert s.sample_size_per_wave(-3.0, base_percent=53.0) == 4356  # the same change downwards


def test_with_half_power_the_change_is_just_significant():
    n = s.sample_size_per_wave(3.0, power=0.5)
    assert n == 2133  # 1.959964² · 2 · 0.515 · 0.485 / 0.03² = 2132.3
    assert s.two_proportion_test(50.0, n, 53.0, n).detectable == pytest.approx(3.0, abs=0.002)


def test_the_stated_power_holds_in_simulation():
    rng = np.random.default_rng(20261127)
    n, reps = 4356, 4000
    before = rng.binomial(n, 0.50, reps) / n
    after = rng.binomial(n, 0.53, reps) / n
    pooled = (before + after) / 2
    z = (after - before) / np.sqrt(pooled * (1 - pooled) * 2 / n)
    power = float(np.mean(np.abs(z) >= s.Z_95))
    assert power == pytest.approx(0.80, abs=0.02)  # 2 × binomial SE of 0.0063


def test_bad_sample_size_questions_are_refused():
    with pytest.raises(ValueError, match="0以外"):
        s.sample_size_per_wave(0.0)
    with pytest.raises(ValueError, match="0〜100%の内側"):
        s.sample_size_per_wave(5.0, base_percent=97.0)
    with pytest.raises(ValueError, match="検出力"):
        s.sample_size_per_wave(3.0, power=1.0)
