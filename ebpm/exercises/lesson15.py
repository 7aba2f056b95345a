"""Exercises of lesson 15 (a department's own files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ebpm.exercises.core import (
    Answers,
    Exercise,
    NotAnswerable,
    Wrong,
    as_number,
    known_wrong,
    number_hint,
)


def _data() -> Path:
    """The lesson's example files (notebooks/data of the workspace, as the lesson reads them)."""
    from ebpm import paths

    return paths.ROOT / "notebooks" / "data"


_COLUMNS = ["申請件数_窓口", "申請件数_オンライン", "合計"]
_CORRECTION = {(23, "申請件数_オンライン"): 115}


def _applications() -> Any:
    from ebpm import owndata

    table = owndata.read_own_table(_data() / "サンプル_窓口申請件数.xlsx", header_label="年月")
    table, _ = owndata.to_numbers(table, _COLUMNS, label="x", corrections=_CORRECTION)
    table, _ = owndata.parse_months(table, "年月", label="x")
    return table


def _share(table: Any, *, total: str = "合計") -> float:
    return float(table["申請件数_オンライン"].sum() / table[total].sum())


def _online_share_2024(a: Answers) -> str | None:
    import polars as pl

    answer = as_number(a.value, what="online_share_2024")
    table = _applications()
    fy = {year: _share(table.filter(pl.col("fiscal_year") == year)) for year in (2023, 2024, 2025)}
    monthly = (
        table.filter(pl.col("fiscal_year") == 2024)
        .select((pl.col("申請件数_オンライン") / pl.col("合計")).mean())
        .item()
    )
    hint = known_wrong(
        answer,
        {
            monthly: "月ごとの割合を平均しています（平均の平均）。年度の合計どうしで割ります。",
            _share(
                table.filter(pl.col("年月日").dt.year() == 2024)
            ): "暦年（2024年1〜12月）で集計しています。年度（fiscal_year）で絞ります。",
            fy[2023]: "2023年度の割合です。2024年度（fiscal_year == 2024）で絞ります。",
            fy[2025]: "2025年度の割合です。2024年度（fiscal_year == 2024）で絞ります。",
            table.filter(pl.col("fiscal_year") == 2024)["申請件数_オンライン"].sum()
            / table["合計"].sum(): (
                "割られる数（オンライン）は2024年度ですが、割る数（合計）がすべての年度の合計です。"
                "割る数も2024年度に絞った表から求めます。"
            ),
            _share(table.filter(pl.col("fiscal_year") == 2024), total="申請件数_窓口"): (
                "窓口の件数で割っています。申請件数の合計（合計 の列）で割ります。"
            ),
        },
        min_decimals=2,
    )
    return hint or number_hint(answer, fy[2024], min_decimals=2)


def _training_by_department(a: Answers) -> str | None:
    import polars as pl

    table = a.value
    if not isinstance(table, pl.DataFrame):
        raise NotAnswerable(
            "training_by_department には disclosure.safe_aggregate(…) の結果（表）を入れます。"
        )
    if "suppressed" not in table.columns:
        return "秘匿していない表です。disclosure.safe_aggregate で集計します（group_by ではなく）。"
    from ebpm import owndata

    training = owndata.read_own_table(
        _data() / "サンプル_研修受講記録.csv", header_label="職員番号"
    )
    people = dict(training.group_by("所属").agg(pl.col("職員番号").n_unique()).iter_rows())
    if "所属" not in table.columns:
        return '所属ごとに集計します（by=["所属"]）。'
    published = table.filter(~pl.col("suppressed"))
    shown = dict(zip(published["所属"], published["n_people"], strict=True))
    if any(shown[d] != people[d] for d in shown if d in people):
        return (
            "人数（n_people）が職員の数になっていません。1人が複数の研修を受けているので、"
            'person_col="職員番号" で同じ人を1人と数えます。'
        )
    hidden = set(table.filter(pl.col("suppressed"))["所属"].to_list())
    small = {d for d, n in people.items() if n < 10}
    if not small <= hidden:
        return f"10人未満の所属（{'・'.join(sorted(small - hidden))}）が秘匿されていません。k は既定の 10 のままにします。"
    if "受講時間_sum" not in table.columns:
        return '受講時間の合計（value="受講時間"、stats=("sum",)）を集計します。'
    return None


EXERCISES = (
    Exercise(
        id="15-1",
        answers=("online_share_2024",),
        stub="# 練習 15-1（None を式に書き換えて、このセルを実行します）\nonline_share_2024 = None",
        solution=(
            "# 練習 15-1\n"
            'fy2024 = applications.filter(pl.col("fiscal_year") == 2024)\n'
            'online_share_2024 = fy2024["申請件数_オンライン"].sum() / fy2024["合計"].sum()\n'
            'print(f"{online_share_2024:.1%}")'
        ),
        judge=_online_share_2024,
        look="5「分析する：年度ごとのオンライン申請の割合」と、07 の「平均の平均」",
        wrong=(
            Wrong(
                '# 練習 15-1\nonline_share_2024 = applications.filter(pl.col("fiscal_year") == 2024).select(\n'
                '    (pl.col("申請件数_オンライン") / pl.col("合計")).mean()\n).item()',
                "平均の平均",
            ),
            Wrong(
                '# 練習 15-1\ny2024 = applications.filter(pl.col("年月日").dt.year() == 2024)\n'
                'online_share_2024 = y2024["申請件数_オンライン"].sum() / y2024["合計"].sum()',
                "暦年",
            ),
            Wrong(
                '# 練習 15-1\nfy2024 = applications.filter(pl.col("fiscal_year") == 2024)\n'
                'online_share_2024 = fy2024["申請件数_オンライン"].sum() / fy2024["合計"].sum() * 100',
                "100倍",
            ),
            Wrong(
                '# 練習 15-1\nfy2024 = applications.filter(pl.col("fiscal_year") == 2024)\n'
                'online_share_2024 = fy2024["申請件数_オンライン"].sum() / applications["合計"].sum()',
                "すべての年度の合計",
            ),
            Wrong(
                '# 練習 15-1\nfy2024 = applications.filter(pl.col("fiscal_year") == 2024)\n'
                'online_share_2024 = fy2024["申請件数_オンライン"].sum() / fy2024["申請件数_窓口"].sum()',
                "窓口の件数",
            ),
        ),
        also_right=(
            '# 練習 15-1\nonline_share_2024 = by_year.filter(pl.col("fiscal_year") == 2024)["オンラインの割合"].item()',
        ),
        minutes=7,
        taught="02 の filter、07 の平均の平均、15 の 5",
    ),
    Exercise(
        id="15-2",
        answers=("training_by_department",),
        stub="# 練習 15-2（None を式に書き換えて、このセルを実行します）\ntraining_by_department = None",
        solution=(
            "# 練習 15-2\n"
            "training_by_department = disclosure.safe_aggregate(\n"
            '    training, by=["所属"], value="受講時間", person_col="職員番号", stats=("sum",)\n'
            ")\n"
            "disclosure.format_for_display(\n"
            '    training_by_department, count_col="n_people", value_cols=["受講時間_sum"]\n'
            ")"
        ),
        judge=_training_by_department,
        look="6「人についてのデータ」と、08 の 2「部署別の表と秘匿」",
        wrong=(
            Wrong(
                "# 練習 15-2\ntraining_by_department = disclosure.safe_aggregate(\n"
                '    training, by=["所属"], value="受講時間", stats=("sum",)\n)',
                "person_col",
            ),
            Wrong(
                '# 練習 15-2\ntraining_by_department = training.group_by("所属").agg(pl.col("受講時間").sum())',
                "秘匿していない",
            ),
            Wrong(
                "# 練習 15-2\ntraining_by_department = disclosure.safe_aggregate(\n"
                '    training, by=["所属"], value="受講時間", person_col="職員番号", stats=("sum",), k=3\n)',
                "10人未満の所属",
            ),
        ),
        also_right=(
            "# 練習 15-2\ntraining_by_department = disclosure.safe_aggregate(\n"
            '    training, by="所属", value="受講時間", person_col="職員番号", stats="sum"\n)',
        ),
        minutes=6,
        taught="08 の 2（safe_aggregate と person_col）",
    ),
)
