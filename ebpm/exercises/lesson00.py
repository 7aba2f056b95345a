"""Exercises of lesson 00 (orientation)."""

from __future__ import annotations

from ebpm.exercises.core import Answers, Exercise, Wrong, as_number, known_wrong, number_hint

BASE, TARGET, ACTUAL = 129, 100, 120


def _reduction_needed(a: Answers) -> str | None:
    return number_hint(a.value, 5_216_000 - 3_652_000, percent=False)


def _progress_k10(a: Answers) -> str | None:
    expected = (ACTUAL - BASE) / (TARGET - BASE)
    answer = as_number(a.value)
    hint = known_wrong(
        answer,
        {
            TARGET
            / ACTUAL: "目標÷実績（T/A）になっています。進捗率は（実績 − 基準）÷（目標 − 基準）です。",
            ACTUAL
            / TARGET: "実績÷目標（A/T）になっています。進捗率は（実績 − 基準）÷（目標 − 基準）です。",
            (BASE - ACTUAL) / BASE: "基準からの削減率（(基準 − 実績) ÷ 基準）になっています。"
            "割る数は「目標 − 基準」です。",
            ACTUAL - BASE: "差（実績 − 基準）のところで止まっています。（目標 − 基準）で割ります。",
            ACTUAL - BASE / TARGET - BASE: "割り算が先に計算されています。"
            "引き算をかっこ ( ) で囲んでください：(120 - 129) / (100 - 129)",
        },
    )
    return hint or number_hint(a.value, expected, min_decimals=2)


EXERCISES = (
    Exercise(
        id="0-1",
        answers=("reduction_needed",),
        stub="# 練習 0-1（None を式に書き換えて、このセルを実行します）\nreduction_needed = None",
        solution="# 練習 0-1\nreduction_needed = paper_base - paper_target\nreduction_needed",
        judge=_reduction_needed,
        look="6「Python の第一歩」の変数（名前を付けたセル）",
        uses=("paper_base", "paper_target"),
        wrong=(
            Wrong("# 練習 0-1\nreduction_needed = 1564000", "直接書き込んで"),
            Wrong("# 練習 0-1\nreduction_needed = paper_target - paper_base", "符号"),
            Wrong('# 練習 0-1\nreduction_needed = f"{paper_base - paper_target:,}"', "文字列"),
        ),
        praise="名前を付けた値（変数）で計算すると、値が変わっても式はそのまま使えます。",
        minutes=4,
        taught="00 の 6（変数と計算）",
    ),
    Exercise(
        id="0-2",
        answers=("progress_k10",),
        stub="# 練習 0-2（None を式に書き換えて、このセルを実行します）\nprogress_k10 = None",
        solution="# 練習 0-2\nprogress_k10 = (120 - 129) / (100 - 129)\nprogress_k10",
        judge=_progress_k10,
        look="7「評価の読み方」の進捗率 P の式",
        wrong=(
            Wrong("# 練習 0-2\nprogress_k10 = 100 / 120", "目標÷実績"),
            Wrong("# 練習 0-2\nprogress_k10 = 120 - 129 / 100 - 129", "割り算が先"),
            Wrong("# 練習 0-2\nprogress_k10 = 31.03", "% の数字"),
            Wrong("# 練習 0-2\nprogress_k10 = (120 - 129) / (129 - 100)", "符号"),
            Wrong("# 練習 0-2\nprogress_k10 = 0.3", "丸め方が粗すぎ"),
            Wrong('# 練習 0-2\nprogress_k10 = "0.31"', "文字列"),
        ),
        praise="0.31（31%）：基準から目標までの差 29時間のうち、9時間を縮めました。",
        minutes=6,
        taught="00 の 6〜7（式）",
    ),
)
