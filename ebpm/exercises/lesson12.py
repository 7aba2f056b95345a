"""Exercises of lesson 12 (e-Stat responses and municipality codes)."""

from __future__ import annotations

from ebpm.exercises.core import Answers, Exercise, NotAnswerable, Wrong, as_number


def _kamaishi_code(a: Answers) -> str | None:
    answer = a.value
    if isinstance(answer, int):
        return 'コードが数値になっています。先頭の0が消えるので、文字列（"…"）にします。to_six の結果をそのまま入れます。'
    if not isinstance(answer, str):
        raise NotAnswerable("kamaishi_code には6桁のコードを文字列で入れます。")
    published = a.con.sql(
        "SELECT lg_code FROM national_municipality WHERE area_code = '03211'"
    ).fetchall()[0][0]
    if answer == published:
        return None
    if answer == "03211":
        return "5桁のままです。6桁目に検査数字を付けます（to_six）。"
    if len(answer) == 6 and answer[:5] == "03211":
        return (
            f"6桁目（検査数字）が違います（{answer[5]}）。4「検査数字」の計算を確かめてください。"
        )
    return f"「{answer}」は釜石市（03211）の6桁コードではありません。"


def _n_markers(a: Answers) -> str | None:
    answer = as_number(a.value, what="n_markers")
    from ebpm import ROOT, estat

    fixture = ROOT / "tests" / "fixtures" / "estat" / "stats_data_special.json"
    frame = estat.parse_file(fixture).frame
    expected = frame.filter(frame["marker"].is_not_null()).height
    noted = estat.parse_notes(fixture)["marker"].to_list()
    if answer == expected:
        return None
    if answer == frame.filter(frame["marker"].is_in(noted)).height:
        return "NOTE に載っている記号だけを数えています。全角の「－」のように NOTE にない記号も数えます。"
    if answer == frame.height - expected:
        return "値がある行（記号のない行）を数えています。marker が空でない行を数えます（is_not_null）。"
    return f"{answer:g} 行ではありません。marker 列が空でない行の数を数えます。"


EXERCISES = (
    Exercise(
        id="12-1",
        answers=("kamaishi_code",),
        stub="# 練習 12-1（None を式に書き換えて、このセルを実行します）\nkamaishi_code = None",
        solution='# 練習 12-1\nkamaishi_code = to_six("03211")\nkamaishi_code',
        judge=_kamaishi_code,
        look="4「全国地方公共団体コードと検査数字」",
        wrong=(
            Wrong('# 練習 12-1\nkamaishi_code = "03211"', "5桁のまま"),
            Wrong('# 練習 12-1\nkamaishi_code = int(to_six("03211"))', "数値"),
            Wrong('# 練習 12-1\nkamaishi_code = "032110"', "検査数字"),
        ),
        also_right=('# 練習 12-1\nkamaishi_code = "03211" + str(check_digit("03211"))',),
        minutes=4,
        taught="12 の 4（to_six・check_digit）",
    ),
    Exercise(
        id="12-2",
        answers=("n_markers",),
        stub="# 練習 12-2（None を式に書き換えて、このセルを実行します）\nn_markers = None",
        solution='# 練習 12-2\nn_markers = values.filter(pl.col("marker").is_not_null()).height\nn_markers',
        judge=_n_markers,
        look="3「e-Stat の応答をオフラインで表に直す」の marker 列",
        wrong=(
            Wrong(
                '# 練習 12-2\nn_markers = values.filter(pl.col("marker").is_in(["***", "-", "X", "…"])).height',
                "NOTE にない記号",
            ),
            Wrong(
                '# 練習 12-2\nn_markers = values.filter(pl.col("marker").is_null()).height',
                "値がある行",
            ),
        ),
        minutes=4,
        taught="02 の filter、12 の 3（marker）",
    ),
)
