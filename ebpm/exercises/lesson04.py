"""Exercises of lesson 04 (KPI progress)."""

from __future__ import annotations

import re
from typing import Any

from ebpm.exercises.core import (
    Answers,
    Exercise,
    NotAnswerable,
    Wrong,
    as_number,
    close_enough,
    number_hint,
)

HISTORY_2027 = {2025: 118.0, 2026: 110.0, 2027: 99.0}


def _kpi(kpi_id: str) -> Any:
    import ebpm

    return next(k for k in ebpm.load_kpis() if k.kpi_id == kpi_id)


def _evaluate(kpi_id: str, history: dict[int, float], year: int) -> Any:
    import ebpm

    return ebpm.evaluate(_kpi(kpi_id), history, year)


def _progress(value: Any, name: str) -> Any:
    if isinstance(value, str):
        raise NotAnswerable(
            f"{name} が評価区分の文字（「{value}」）だけです。.grade を付けずに、"
            "ebpm.evaluate(…) の結果そのものを入れます。"
        )
    if not all(hasattr(value, attr) for attr in ("kpi_id", "fiscal_year", "actual", "grade")):
        raise NotAnswerable(
            f"{name} には ebpm.evaluate(定義, {{年度: 実績}}, 年度) の結果を入れます。"
        )
    return value


def _same(result: Any, expected: Any) -> bool:
    progress_ok = (result.progress is None) == (expected.progress is None) and (
        result.progress is None or close_enough(result.progress, expected.progress)
    )
    return result.grade == expected.grade and progress_ok


def _result_k01(a: Answers) -> str | None:
    result = _progress(a.value, "result_k01")
    if result.kpi_id != "K01":
        return f'別の指標（{result.kpi_id}）を評価しています。K01 の定義は kpis["K01"] です。'
    if result.fiscal_year != 2025:
        return f"{result.fiscal_year}年度を評価しています。2025年度を評価します（{{2025: 14}} と 2025）。"
    if result.actual == 14 - 6:
        return "2025年度に増えた分（8件）を入れています。累計の指標には年度末の累計（14件）を入れます。"
    if result.actual != 14:
        return f"実績が {result.actual} になっています。2025年度末の累計は 14件です。"
    if not _same(result, _evaluate("K01", {2025: 14}, 2025)):
        return "評価の結果が期待と違います。境界（bands）などを変えずに ebpm.evaluate を呼んでください。"
    return None


def _t_over_a_and_progress(a: Answers) -> str | None:
    t_over_a, progress = a["t_over_a"], a["progress_120"]
    ratio = as_number(t_over_a, what="t_over_a")
    value = as_number(progress, what="progress_120")
    if close_enough(ratio, (120 - 129) / (100 - 129), min_decimals=2) and close_enough(
        value, 100 / 120, min_decimals=2
    ):
        return "t_over_a と progress_120 が逆に入っています。"
    if close_enough(ratio, 120 / 100, min_decimals=2):
        return "t_over_a が実績÷目標（A/T = 120 ÷ 100）です。目標÷実績は 100 ÷ 120 です。"
    if close_enough(value, 120 - 129 / 100 - 129, min_decimals=2):
        return (
            "progress_120 で割り算が先に計算されています。引き算をかっこ ( ) で囲みます："
            "(120 - 129) / (100 - 129)"
        )
    hint = number_hint(t_over_a, 100 / 120, min_decimals=2, what="t_over_a")
    return hint or number_hint(
        progress, (120 - 129) / (100 - 129), min_decimals=2, what="progress_120"
    )


def _result_2027(a: Answers) -> str | None:
    result = _progress(a.value, "result_2027")
    if result.kpi_id != "K10":
        return f"別の指標（{result.kpi_id}）を評価しています。時間外勤務は K10 です。"
    if result.fiscal_year != 2027:
        return f"{result.fiscal_year}年度を評価しています。2027年度を評価します（3つめの引数）。"
    expected = _evaluate("K10", HISTORY_2027, 2027)
    source = a.source or ""
    if result.actual is None and re.search(r"[\"']20\d\d[\"']\s*:", source):
        return (
            '年度が文字列（"2025" のように " " で囲んだもの）になっているので、2027年度の実績が'
            "見つからず「評価不能」になっています。年度は "
            " で囲まずに書きます（{2025: 118, …}）。"
        )
    if result.actual is None and not re.search(r"\b202[47]\s*:", source):
        return (
            "辞書に2027年度の実績（2027: 99）がないため「評価不能」になっています。"
            "2025〜2027年度の3つの実績を {2025: 118, 2026: 110, 2027: 99} のように渡します。"
        )
    if result.actual is None:
        return (
            "2027年度の実績がないため「評価不能」になっています。年度が1年ずれていませんか？"
            "118時間は2025年度、110時間は2026年度、99時間は2027年度の実績です"
            "（{2025: 118, 2026: 110, 2027: 99}）。"
        )
    if tuple(result.actual_years) != tuple(expected.actual_years):
        return (
            "推進期間の平均で判定できていません（評価不能）。推進期間の平均で判定するので、"
            "2025〜2027年度の3つの実績をすべて辞書で渡します。"
        )
    if not close_enough(float(result.actual), float(expected.actual)) or not close_enough(
        float(result.period_average or 0), float(expected.period_average or 0)
    ):
        return (
            f"2027年度の実績が {result.actual}、期間平均が {result.period_average} です。"
            "実績の数字（118、110、99）と年度の組み合わせを確かめてください。"
        )
    if not _same(result, expected):
        return "評価の結果が期待と違います。境界（bands）などを変えずに ebpm.evaluate を呼んでください。"
    return None


EXERCISES = (
    Exercise(
        id="4-1",
        answers=("result_k01",),
        stub="# 練習 4-1（None を式に書き換えて、このセルを実行します）\nresult_k01 = None",
        solution=(
            '# 練習 4-1\nresult_k01 = ebpm.evaluate(kpis["K01"], {2025: 14}, 2025)\n'
            'print(f"進捗率 {result_k01.progress:.1%}、ペース {result_k01.pace:.2f} → {result_k01.grade}")'
        ),
        judge=_result_k01,
        look="2「評価の式」の ebpm.evaluate と、4「単年度と累計」",
        wrong=(
            Wrong(
                '# 練習 4-1\nresult_k01 = ebpm.evaluate(kpis["K01"], {2025: 14}, 2025).grade',
                ".grade",
            ),
            Wrong('# 練習 4-1\nresult_k01 = ebpm.evaluate(kpis["K01"], {2025: 8}, 2025)', "累計"),
            Wrong(
                '# 練習 4-1\nresult_k01 = ebpm.evaluate(kpis["K01"], {2024: 14}, 2024)', "2024年度"
            ),
            Wrong(
                '# 練習 4-1\nresult_k01 = ebpm.evaluate(kpis["K03"], {2025: 14}, 2025)', "別の指標"
            ),
        ),
        minutes=6,
        taught="01 の 3（辞書）、04 の 2（evaluate）",
    ),
    Exercise(
        id="4-2",
        answers=("t_over_a", "progress_120"),
        stub=(
            "# 練習 4-2（None を式に書き換えて、このセルを実行します）\n"
            "t_over_a = None  # 目標÷実績\n"
            "progress_120 = None  # 進捗率"
        ),
        solution=(
            "# 練習 4-2\n"
            "t_over_a = 100 / 120  # 目標÷実績\n"
            "progress_120 = (120 - 129) / (100 - 129)  # 進捗率\n"
            'print(f"T/A = {t_over_a:.1%}、進捗率 = {progress_120:.1%}")'
        ),
        judge=_t_over_a_and_progress,
        look="3「A/T や T/A で評価してはいけない理由」と 2 の進捗率の式",
        wrong=(
            Wrong(
                "# 練習 4-2\nt_over_a = 120 / 100\nprogress_120 = (120 - 129) / (100 - 129)", "A/T"
            ),
            Wrong("# 練習 4-2\nt_over_a = 0.833\nprogress_120 = 31.03", "100倍"),
            Wrong(
                "# 練習 4-2\nt_over_a = (120 - 129) / (100 - 129)\nprogress_120 = 100 / 120",
                "逆に入っています",
            ),
            Wrong("# 練習 4-2\nt_over_a = 0.8\nprogress_120 = 0.31", "丸め方が粗すぎ"),
            Wrong(
                "# 練習 4-2\nt_over_a = 100 / 120\nprogress_120 = 120 - 129 / 100 - 129", "かっこ"
            ),
        ),
        also_right=("# 練習 4-2\nt_over_a = 0.83\nprogress_120 = 0.310",),
        minutes=5,
        taught="00 の 7（式）、04 の 3（A/T と T/A）",
    ),
    Exercise(
        id="4-3",
        answers=("result_2027",),
        stub="# 練習 4-3（None を式に書き換えて、このセルを実行します）\nresult_2027 = None",
        solution=(
            "# 練習 4-3\n"
            'result_2027 = ebpm.evaluate(kpis["K10"], {2025: 118, 2026: 110, 2027: 99}, 2027)\n'
            "print(\n"
            '    f"2027年度の実績 {result_2027.actual}、期間平均 {result_2027.period_average}"\n'
            '    f"（{list(result_2027.actual_years)} の平均）→ {result_2027.grade}"\n'
            ")"
        ),
        judge=_result_2027,
        look="6「時間外勤務は「推進期間の平均」で判定」の「各年度の評価」",
        wrong=(
            Wrong(
                '# 練習 4-3\nresult_2027 = ebpm.evaluate(kpis["K10"], {2024: 118, 2025: 110, 2026: 99}, 2027)',
                "1年ずれて",
            ),
            Wrong(
                '# 練習 4-3\nresult_2027 = ebpm.evaluate(kpis["K10"], {2027: 99}, 2027)',
                "3つの実績",
            ),
            Wrong(
                '# 練習 4-3\nresult_2027 = ebpm.evaluate(kpis["K10"], {"2025": 118, "2026": 110, "2027": 99}, 2027)',
                "文字列",
            ),
            Wrong(
                '# 練習 4-3\nresult_2027 = ebpm.evaluate(kpis["K10"], {2025: 118, 2026: 110}, 2027)',
                "2027: 99",
            ),
            Wrong(
                '# 練習 4-3\nresult_2027 = ebpm.evaluate(kpis["K10"], {2025: 118, 2026: 110, 2027: 99}, 2026)',
                "2026年度",
            ),
            Wrong(
                '# 練習 4-3\nresult_2027 = ebpm.evaluate(kpis["K10"], {2025: 118, 2026: 110, 2027: 99}, 2027).grade',
                ".grade",
            ),
        ),
        minutes=7,
        taught="01 の 3（辞書）、04 の 6（推進期間の平均）",
    ),
)
