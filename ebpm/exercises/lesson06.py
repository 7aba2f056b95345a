"""Exercises of lesson 06 (survey KPIs: sampling error, confidence intervals, power)."""

from __future__ import annotations

from ebpm.exercises.core import (
    Answers,
    Exercise,
    NotAnswerable,
    Wrong,
    as_number,
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


def _n_k08(a: Answers) -> str | None:
    from ebpm.survey import sample_size_per_wave

    answer = as_number(a.value, what="n_k08")
    expected = sample_size_per_wave(3.0, base_percent=30.8)
    if abs(answer - expected) <= 1:  # as returned, or computed by hand and rounded
        return None
    typical = {
        sample_size_per_wave(3.0): (
            "基準の割合を指定していないので、50% として計算されています。"
            "K08 の基準値 30.8% を base_percent=30.8 で渡します。"
        ),
        sample_size_per_wave(3.0, base_percent=30.8, power=0.5): (
            "検出力 50% の回答数です。power は既定の 0.8（80%）のままにします。"
        ),
        sample_size_per_wave(3.0, base_percent=46.1): (
            "K02（基準値 46.1%）の回答数です。K08 の基準値は 30.8% です。"
        ),
        sample_size_per_wave(0.03, base_percent=0.308): (
            "割合を 0〜1 の小数（0.03、0.308）で渡していませんか。"
            "sample_size_per_wave には % の数字のまま（3.0、30.8）渡します。"
        ),
        sample_size_per_wave(33.8, base_percent=30.8): (
            "1つめの引数が変化後の割合（33.8）になっています。1つめは変化の大きさ（3.0ポイント）です。"
        ),
    }
    for value, hint in typical.items():
        if abs(answer - value) <= 1:
            return hint
    return (
        f"値が違います（{answer:,.0f}）。sample_size_per_wave(3.0, base_percent=30.8) で求めます。"
    )


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
        look="6「±3ポイント未満は現状維持」と「小数の差は丸めてから比べる」、01 の 5（if）",
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
        taught="01 の 4〜5（def・if）、06 の 6（丸めてから比べる）",
    ),
    Exercise(
        id="6-2",
        answers=("n_k08",),
        stub="# 練習 6-2（None を式に書き換えて、このセルを実行します）\nn_k08 = None",
        solution="# 練習 6-2\nn_k08 = sample_size_per_wave(3.0, base_percent=30.8)\nn_k08",
        judge=_n_k08,
        look="7「変化を見分けるのに必要な回答数（検出力 80%）」",
        uses=("sample_size_per_wave",),
        wrong=(
            Wrong("# 練習 6-2\nn_k08 = sample_size_per_wave(3.0)", "base_percent=30.8"),
            Wrong(
                "# 練習 6-2\nn_k08 = sample_size_per_wave(3.0, base_percent=30.8, power=0.5)",
                "検出力 50%",
            ),
            Wrong("# 練習 6-2\nn_k08 = sample_size_per_wave(3.0, base_percent=46.1)", "K02"),
            Wrong(
                "# 練習 6-2\nn_k08 = sample_size_per_wave(0.03, base_percent=0.308)",
                "% の数字のまま",
            ),
            Wrong(
                "# 練習 6-2\nn_k08 = sample_size_per_wave(33.8, base_percent=30.8)", "変化の大きさ"
            ),
            Wrong("# 練習 6-2\nn_k08 = 3813", "直接書き込んで"),
        ),
        also_right=(
            "# 練習 6-2\nn_k08 = sample_size_per_wave(change_points=3.0, base_percent=30.8, power=0.8)",
        ),
        minutes=5,
        taught="01 の 4（関数を呼ぶ）、06 の 7（検出力と sample_size_per_wave）",
    ),
)
