"""Exercises of lesson 06 (survey KPIs: sampling error, confidence intervals, power)."""

from __future__ import annotations

from statistics import NormalDist

from ebpm.exercises.core import (
    Answers,
    Exercise,
    NotAnswerable,
    Wrong,
    as_number,
    known_wrong,
)

_LABELS = {"改善", "現状維持", "悪化"}
#: (before, after, band or None for the default, expected); differences of exactly ±3.0 and
#: ±band test the rounding and the band argument.
_CASES = [
    (46.1, 48.0, None, "現状維持"),
    (46.1, 49.1, None, "改善"),
    (30.8, 33.8, None, "改善"),
    (48.9, 45.9, None, "悪化"),
    (48.9, 45.5, None, "悪化"),
    (30.8, 33.7, None, "現状維持"),
    (46.1, 48.2, 2.0, "改善"),
    (46.1, 49.1, 5.0, "現状維持"),
    (48.9, 46.9, 2.0, "悪化"),
]


def _judge_deadband(a: Answers) -> str | None:
    function = a.value
    if not callable(function):
        raise NotAnswerable(
            "judge_deadband が関数になっていません。def judge_deadband(before, after, band=3.0): の形で書きます。"
        )
    for before, after, band, want in _CASES:
        try:
            got = function(before, after) if band is None else function(before, after, band=band)
        except Exception as error:
            return f"judge_deadband({before}, {after}) がエラーになりました（{type(error).__name__}: {error}）。"
        if got is None:
            return '関数が値を返していません（結果が None）。return で "改善"・"現状維持"・"悪化" のどれかを返します。'
        if got not in _LABELS:
            return f'「{got}」が返りました。"改善"・"現状維持"・"悪化" のどれかを返します（つづりも確かめます）。'
        if got == want:
            continue
        if band is not None:
            return (
                f"band={band} を渡しても結果が変わりません（{before} → {after} が「{got}」）。"
                "引数 band を使わずに 3 を直接書いていませんか。"
            )
        if abs(round(after - before, 1)) == 3.0:
            return (
                f"差がちょうど 3.0ポイントの {before} → {after} が「{got}」になりました（正しくは「{want}」）。"
                "差を round(after - before, 1) で丸めてから、「以上」は >= で比べます。"
            )
        return f"{before} → {after} が「{got}」になりました（正しくは「{want}」）。"
    return None


def _n_per_wave(p_before: float, p_after: float, power: float = 0.8) -> float:
    z_alpha, z_power = NormalDist().inv_cdf(0.975), NormalDist().inv_cdf(power)
    p_mean = (p_before + p_after) / 2
    spread = (
        z_alpha * (2 * p_mean * (1 - p_mean)) ** 0.5
        + z_power * (p_before * (1 - p_before) + p_after * (1 - p_after)) ** 0.5
    )
    return spread**2 / (p_after - p_before) ** 2


_PERCENT_HINT = "割合を % のまま（30.8）渡していませんか。n_per_wave には 0.308 のように 0〜1 の小数で渡します。"


def _n_k08(a: Answers) -> str | None:
    if isinstance(a.value, complex):
        return _PERCENT_HINT
    answer = as_number(a.value, what="n_k08")
    expected = _n_per_wave(0.308, 0.338)
    if abs(answer - expected) <= 1:  # as computed, rounded, or rounded up
        return None
    hint = known_wrong(
        answer,
        {
            _n_per_wave(
                0.308, 0.338, power=0.5
            ): "検出力 50% の回答数です。power は既定の 0.8（80%）のままにします。",
            _n_per_wave(
                0.461, 0.491
            ): "K02（46.1% → 49.1%）の回答数です。K08 は 30.8% → 33.8% です。",
        },
        min_decimals=0,
    )
    if hint:
        return hint
    if answer < 10:
        return _PERCENT_HINT
    return f"値が違います（{answer:,.0f}）。n_per_wave(0.308, 0.338) で求めます。"


EXERCISES = (
    Exercise(
        id="6-1",
        answers=("judge_deadband",),
        stub=(
            "# 練習 6-1（関数の中身を書いて、このセルを実行します）\n"
            "def judge_deadband(before, after, band=3.0):\n"
            "    return None"
        ),
        solution=(
            "# 練習 6-1\n"
            "def judge_deadband(before, after, band=3.0):\n"
            "    change = round(after - before, 1)  # 小数の誤差をなくす（割合は小数第1位まで）\n"
            "    if change >= band:\n"
            '        return "改善"\n'
            "    if change <= -band:\n"
            '        return "悪化"\n'
            '    return "現状維持"\n'
            "\n"
            "\n"
            "judge_deadband(30.8, 33.8)"
        ),
        judge=_judge_deadband,
        look="5「±3ポイント未満は現状維持」と「小数の差は丸めてから比べる」、01 の 5（if）",
        wrong=(
            Wrong(
                "# 練習 6-1\ndef judge_deadband(before, after, band=3.0):\n    change = after - before\n"
                '    if change >= band:\n        return "改善"\n    if change <= -band:\n'
                '        return "悪化"\n    return "現状維持"',
                "round(after - before, 1)",
            ),
            Wrong(
                "# 練習 6-1\ndef judge_deadband(before, after, band=3.0):\n    change = round(after - before, 1)\n"
                '    if change >= 3:\n        return "改善"\n    if change <= -3:\n'
                '        return "悪化"\n    return "現状維持"',
                "引数 band",
            ),
            Wrong(
                "# 練習 6-1\ndef judge_deadband(before, after, band=3.0):\n    change = round(after - before, 1)\n"
                '    if change > band:\n        return "改善"\n    if change < -band:\n'
                '        return "悪化"\n    return "現状維持"',
                ">=",
            ),
            Wrong(
                "# 練習 6-1\ndef judge_deadband(before, after, band=3.0):\n    change = round(after - before, 1)\n"
                '    if change >= band:\n        return "改善"\n    if change <= -band:\n'
                '        return "悪化"\n    return "維持"',
                "つづり",
            ),
        ),
        minutes=12,
        taught="01 の 4〜5（def・if）、06 の 5（丸めてから比べる）",
    ),
    Exercise(
        id="6-2",
        answers=("n_k08",),
        stub="# 練習 6-2（None を式に書き換えて、このセルを実行します）\nn_k08 = None",
        solution="# 練習 6-2\nn_k08 = n_per_wave(0.308, 0.338)\nn_k08",
        judge=_n_k08,
        look="6「変化を見分けるのに必要な回答数（検出力 80%）」",
        wrong=(
            Wrong("# 練習 6-2\nn_k08 = n_per_wave(30.8, 33.8)", "% のまま"),
            Wrong("# 練習 6-2\nn_k08 = n_per_wave(0.308, 0.338, power=0.5)", "検出力 50%"),
            Wrong("# 練習 6-2\nn_k08 = n_per_wave(0.461, 0.491)", "K02"),
        ),
        also_right=("# 練習 6-2\nimport math\n\nn_k08 = math.ceil(n_per_wave(0.308, 0.338))",),
        minutes=5,
        taught="01 の 4（関数を呼ぶ）、06 の 6（検出力）",
    ),
)
