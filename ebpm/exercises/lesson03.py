"""Exercises of lesson 03 (pitfalls of Excel and CSV files)."""

from __future__ import annotations

from ebpm.exercises.core import Answers, Exercise, Wrong, as_list


def _values_parsed(a: Answers) -> str | None:
    values = as_list(a.value, what="values_parsed")
    if len(values) != 4:
        return f"要素が {len(values)} 個です（cells と同じ4個のはずです）。"
    if any(isinstance(v, str) for v in values):
        return "文字列のままの値があります。ebpm.parse_number で数値にします。"
    first, minus, blank, last = values
    if blank == 0:
        return "「－」を 0 にしています。「－」は「値がない」印なので None のままにします（0 と読み替えると合計や平均を誤ります）。"
    if minus == 3:
        return "「△３」が +3 になっています。△（▲）はマイナスの印です。"
    if [first, minus, blank, last] != [1020, -3, None, 2000]:
        return f"値が違います（{values}）。"
    return None


def _codes_fixed(a: Answers) -> str | None:
    values = as_list(a.value, what="codes_fixed")
    if any(isinstance(v, int) for v in values):
        return "コードが数値になっています。数値にすると先頭の0が消えます。文字列のまま5桁にそろえます。"
    expected = ["03203", "03203", "03201"]
    if values == expected:
        return None
    if any(len(str(v)) == 6 for v in values):
        return (
            "6桁のコードが残っています。6桁目は検査数字なので、5桁にそろえます（normalize_code）。"
        )
    if any(not str(v).isascii() for v in values):
        return "全角の数字が残っています。normalize_code は全角も半角にそろえます。"
    return f"値が違います（{values}）。"


EXERCISES = (
    Exercise(
        id="3-1",
        answers=("values_parsed",),
        stub="# 練習 3-1（None を式に書き換えて、このセルを実行します）\nvalues_parsed = None",
        solution="# 練習 3-1\nvalues_parsed = [ebpm.parse_number(s) for s in cells]\nvalues_parsed",
        judge=_values_parsed,
        look="4「「５，２１６，０００」「△120」を数値にする」",
        uses=("parse_number",),
        wrong=(
            Wrong("# 練習 3-1\nvalues_parsed = [1020.0, -3.0, None, 2000.0]", "直接書き込んで"),
            Wrong(
                "# 練習 3-1\nvalues_parsed = [ebpm.parse_number(s) or 0 for s in cells]",
                "0 にしています",
            ),
            Wrong("# 練習 3-1\nvalues_parsed = [float(s) for s in cells]", "エラーで止まりました"),
            Wrong(
                "# 練習 3-1\nvalues_parsed = ebpm.parse_number(cells[0])", "リストではありません"
            ),
        ),
        also_right=("# 練習 3-1\nvalues_parsed = tuple(ebpm.parse_number(s) for s in cells)",),
        minutes=6,
        taught="01 の 7（リスト内包表記）、03 の 4（parse_number）",
    ),
    Exercise(
        id="3-2",
        answers=("codes_fixed",),
        stub="# 練習 3-2（None を式に書き換えて、このセルを実行します）\ncodes_fixed = None",
        solution="# 練習 3-2\ncodes_fixed = [codes.normalize_code(c) for c in raw_codes]\ncodes_fixed",
        judge=_codes_fixed,
        look="6「団体コードの先頭の0」",
        uses=("normalize_code",),
        wrong=(
            Wrong('# 練習 3-2\ncodes_fixed = ["03203", "03203", "03201"]', "直接書き込んで"),
            Wrong("# 練習 3-2\ncodes_fixed = [c.zfill(5) for c in raw_codes]", "直接書き込んで"),
            Wrong(
                "# 練習 3-2\ncodes_fixed = [codes.normalize_code(c) if len(c) < 6 else c for c in raw_codes]",
                "6桁",
            ),
            Wrong(
                "# 練習 3-2\ncodes_fixed = [int(codes.normalize_code(c)) for c in raw_codes]",
                "数値になっています",
            ),
        ),
        minutes=5,
        taught="01 の 7（リスト内包表記）、03 の 6（normalize_code）",
    ),
)
