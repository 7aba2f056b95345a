"""Exercises of lesson 01 (Python for Excel users)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ebpm.exercises.core import (
    Answers,
    Exercise,
    NotAnswerable,
    Wrong,
    as_list,
    as_number,
    close_enough,
    error_text,
    known_wrong,
    number_hint,
)

#: The illustrative monthly hours of the lesson (例, not a real person's figures).
MONTHLY_HOURS = [15.2, 10.8, 9.5, 8.1, 6.0, 9.7, 9.1, 8.4, 9.0, 8.2, 10.1, 14.3]
WRITTEN_YEARS = ["令和5年度", "R6", "ＦＹ２０２５", "2026年度"]


_NO_RETURN = (
    "関数が値を返していません（結果が None）。中身がまだ return None のままか、"
    "print で表示しているだけです。return の後ろに結果の式を書きます。"
)


def _function(a: Answers, name: str) -> Callable[..., Any]:
    function = a.value
    if not callable(function):
        raise NotAnswerable(f"{name} が関数になっていません。def {name}(…): の形で書きます。")
    return function


def _call(function: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    try:
        return function(*args), None
    except Exception as error:  # the trainee's function raised
        called = ", ".join(map(repr, args))
        hint = (
            '（文字は " " で囲みます。例：return "順調"）'
            if isinstance(error, NameError) and not str(error).isascii()
            else ""
        )
        return None, (
            f"関数を ({called}) で呼ぶとエラーになりました（{error_text(error)}）。"
            f"関数の中の式を確かめてください{hint}。"
        )


def _first_half(a: Answers) -> str | None:
    answer = as_number(a.value)
    expected = sum(MONTHLY_HOURS[0:6])
    hint = known_wrong(
        answer,
        {
            sum(MONTHLY_HOURS[1:7]): "5月〜10月の合計になっています。リストの番号は 0 から数えます"
            "（4月が [0]）。",
            sum(
                MONTHLY_HOURS[0:5]
            ): "4月〜8月の5か月分です。[0:6] のように、終わりの番号は含まれません。",
            sum(MONTHLY_HOURS): "12か月全部の合計です。上半期（4月〜9月）だけにします。",
        },
        min_decimals=1,
    )
    return hint or number_hint(a.value, expected, min_decimals=1, percent=False)


_EXPECTED_CASES = [
    ((129, 100, 0.5), 114.5),
    ((5_216_000, 3_652_000, 0.5), 4_434_000),
    ((26, 90, 0.25), 42.0),
]


def _expected_value(a: Answers) -> str | None:
    function = _function(a, "expected_value")
    for args, want in _EXPECTED_CASES:
        got, error = _call(function, *args)
        if error:
            return error
        if got is None:
            return _NO_RETURN
        number = as_number(got, what="関数の結果")
        if close_enough(number, want, min_decimals=None):
            continue
        base, target, elapsed = args
        if close_enough(number, base + target - base * elapsed):
            return (
                "掛け算が先に計算されています。(target - base) をかっこで囲んでください："
                "base + (target - base) * elapsed"
            )
        return (
            f"expected_value{args} が {number:,g} になりました（正しくは {want:,g}）。"
            "引数 base・target・elapsed をそのまま式に使っているか確かめてください。"
        )
    return None


_GRADE_CASES = [
    (1.3, "順調"),
    (1.0, "順調"),
    (0.75, "概ね順調"),
    (0.6, "概ね順調"),
    (0.59, "遅れ"),
    (-0.2, "遅れ"),
]


def _grade_of(a: Answers) -> str | None:
    function = _function(a, "grade_of")
    for pace, want in _GRADE_CASES:
        got, error = _call(function, pace)
        if error:
            return error
        if got is None:
            return _NO_RETURN
        if got == want:
            continue
        if pace in (1.0, 0.6):
            return (
                f"境界ちょうどのペース {pace} が「{got}」になりました（正しくは「{want}」）。"
                "「以上」は >= で書きます（> は「より大きい」）。"
            )
        if pace == 1.3 and got == "概ね順調":
            return (
                "ペース 1.3 が「概ね順調」になりました。if と elif は上から順に調べるので、"
                "大きい境界（1.0）から先に書きます。"
            )
        return f"grade_of({pace}) が「{got}」になりました（正しくは「{want}」）。"
    return None


def _years(a: Answers) -> str | None:
    values = as_list(a.value, what="years")
    if any(isinstance(v, str) for v in values):
        return '年度が文字列（"2023" など）のままです。ebpm.parse_fiscal_year で整数にします。'
    if len(values) != len(WRITTEN_YEARS):
        return (
            f"要素の数が {len(values)} 個です（written と同じ {len(WRITTEN_YEARS)} 個のはずです）。"
        )
    expected = [2023, 2024, 2025, 2026]
    if values == [y + 1 for y in expected] or values == [y - 1 for y in expected]:
        return "年度が1年ずれています。令和元年＝2019年、令和N年＝2018＋N年です。"
    if values != expected:
        return f"値が違います（{values}）。"
    return None


EXERCISES = (
    Exercise(
        id="1-1",
        answers=("first_half",),
        stub="# 練習 1-1（None を式に書き換えて、このセルを実行します）\nfirst_half = None",
        solution="# 練習 1-1\nfirst_half = round(sum(monthly_hours[0:6]), 1)\nfirst_half",
        judge=_first_half,
        look="2「リスト」の番号（0から数える）と範囲 [始め:終わり]",
        uses=("monthly_hours",),
        wrong=(
            Wrong("# 練習 1-1\nfirst_half = sum(monthly_hours[1:7])", "0 から数えます"),
            Wrong("# 練習 1-1\nfirst_half = sum(monthly_hours[0:5])", "終わりの番号は含まれません"),
            Wrong("# 練習 1-1\nfirst_half = sum(monthly_hours)", "上半期"),
            Wrong("# 練習 1-1\nfirst_half = monthly_hours[0:6]", "リストのまま"),
        ),
        minutes=6,
        taught="01 の 2（リスト）",
    ),
    Exercise(
        id="1-2",
        answers=("expected_value",),
        stub=(
            "# 練習 1-2（return の後ろの None を式に書き換えて、このセルを実行します）\n"
            "def expected_value(base, target, elapsed):\n"
            "    return None"
        ),
        solution=(
            "# 練習 1-2\n"
            "def expected_value(base, target, elapsed):\n"
            "    return base + (target - base) * elapsed\n"
            "\n"
            "\n"
            "expected_value(129, 100, 0.5)"
        ),
        judge=_expected_value,
        look="4「関数」の def と return",
        wrong=(
            Wrong(
                "# 練習 1-2\ndef expected_value(base, target, elapsed):\n"
                "    return base + target - base * elapsed",
                "かっこで囲んで",
            ),
            Wrong(
                "# 練習 1-2\ndef expected_value(base, target, elapsed):\n"
                "    print(base + (target - base) * elapsed)",
                "return",
            ),
            Wrong(
                "# 練習 1-2\ndef expected_value(base, target, elapsed):\n    return 114.5",
                "引数",
            ),
        ),
        minutes=8,
        taught="01 の 4（関数）",
    ),
    Exercise(
        id="1-3",
        answers=("grade_of",),
        stub=(
            "# 練習 1-3（関数の中身を書いて、このセルを実行します）\n"
            "def grade_of(pace):\n"
            "    return None"
        ),
        solution=(
            "# 練習 1-3\n"
            "def grade_of(pace):\n"
            "    if pace >= 1.0:\n"
            '        return "順調"\n'
            "    elif pace >= 0.6:\n"
            '        return "概ね順調"\n'
            "    else:\n"
            '        return "遅れ"\n'
            "\n"
            "\n"
            "grade_of(0.92)"
        ),
        judge=_grade_of,
        look="5「if（IF関数）」の >= と、条件を調べる順番",
        wrong=(
            Wrong(
                '# 練習 1-3\ndef grade_of(pace):\n    if pace > 1.0:\n        return "順調"\n'
                '    elif pace > 0.6:\n        return "概ね順調"\n    else:\n        return "遅れ"',
                ">=",
            ),
            Wrong(
                '# 練習 1-3\ndef grade_of(pace):\n    if pace >= 0.6:\n        return "概ね順調"\n'
                '    elif pace >= 1.0:\n        return "順調"\n    else:\n        return "遅れ"',
                "上から順に",
            ),
        ),
        minutes=10,
        taught="01 の 5（if）",
    ),
    Exercise(
        id="1-4",
        answers=("years",),
        stub="# 練習 1-4（None を式に書き換えて、このセルを実行します）\nyears = None",
        solution="# 練習 1-4\nyears = [ebpm.parse_fiscal_year(w) for w in written]\nyears",
        judge=_years,
        look="7「リスト内包表記」（列全体に同じ数式を入れる）",
        uses=("parse_fiscal_year",),
        wrong=(
            Wrong("# 練習 1-4\nyears = [2023, 2024, 2025, 2026]", "直接書き込んで"),
            Wrong(
                "# 練習 1-4\nyears = [ebpm.parse_fiscal_year(w) + 1 for w in written]", "1年ずれて"
            ),
            Wrong("# 練習 1-4\nyears = ebpm.parse_fiscal_year(written[0])", "リストではありません"),
        ),
        praise="タプル (2023, 2024, …) で答えても正解として扱います。",
        minutes=7,
        taught="01 の 7（リスト内包表記）",
    ),
)
