"""Exercises of lesson 05 (evidence charts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ebpm.exercises.core import Answers, Exercise, NotAnswerable, Wrong, as_list, close_enough


def _plotted_actuals(chart: Any) -> list[float]:
    """Values of the ``actual`` field in the chart's inline datasets."""
    spec = chart.to_dict()
    values = []
    for rows in spec.get("datasets", {}).values():
        for row in rows:
            value = row.get("actual") if isinstance(row, dict) else None
            if isinstance(value, int | float):
                values.append(float(value))
    return values


def _chart_k10(a: Answers) -> str | None:
    chart = a.value
    meta = getattr(chart, "usermeta", None)
    if not hasattr(chart, "to_dict") or not isinstance(meta, dict):
        raise NotAnswerable("chart_k10 には charts.kpi_trend_chart(…) で作ったグラフを入れます。")
    info = meta.get("ebpm", {})
    if info.get("kpi_id") != "K10":
        return f"グラフの評価の行が K10 ではありません（{info.get('kpi_id')}）。progress から K10 の行を取り出します。"
    if not str(info.get("source", "")).startswith("出典："):
        return '出典が「出典：」で始まっていません。ebpm.source_line(wh.kpi_sources("K10")) を source= に渡します。'
    from ebpm.warehouse import kpi_history

    history = kpi_history("K10", with_base=True)
    own = [float(v) for v in history.filter(pl.col("kind") == "実績")["actual"]]
    base = float(history.filter(pl.col("kind") == "基準値")["actual"].item())
    plotted = _plotted_actuals(chart)
    if not plotted:
        return (
            "実績の折れ線に点が1つもありません。実績に K10 以外の指標の表を渡していませんか？"
            '実績は wh.kpi_history("K10", with_base=False) です。'
        )
    if any(close_enough(v, base) for v in plotted) and not any(close_enough(o, base) for o in own):
        return (
            "基準値（2023年度の129時間）まで実績の点として描かれています。"
            "基準値はグラフが別の印で描くので、実績は with_base=False で読み出します。"
        )
    if any(not any(close_enough(v, o) for o in own) for v in plotted):
        return (
            "実績の折れ線に K10 以外の値が描かれています。"
            '実績は wh.kpi_history("K10", with_base=False) を渡します。'
        )
    return None


def _saved_files(a: Answers) -> str | None:
    files = [Path(f) for f in as_list(a.value, what="saved_files")]
    suffixes = sorted(f.suffix.lower() for f in files)
    if suffixes != [".pdf", ".svg"]:
        shown = "、".join(s or "（拡張子なし）" for s in suffixes)
        return f'書き出した形式が {shown} です。["svg", "pdf"] の2形式にします。'
    missing = [f.name for f in files if not f.exists()]
    if missing:
        return f"ファイルが見つかりません（{'、'.join(missing)}）。save_chart の戻り値をそのまま入れます。"
    import ebpm

    folder = (ebpm.PROCESSED / "研修の成果物").resolve()
    if any(f.resolve().parent != folder for f in files):
        return "output_dir（data/processed/研修の成果物）以外に書き出しています。"
    if any(not f.stem.startswith("K10") for f in files):
        return "ファイル名を K10_時間外勤務 にします。"
    svg = next(f for f in files if f.suffix.lower() == ".svg")
    pdf = next(f for f in files if f.suffix.lower() == ".pdf")
    if not pdf.read_bytes().startswith(b"%PDF"):
        return "PDF の中身が PDF ではありません。save_chart で書き出し直してください。"
    text = svg.read_text(encoding="utf-8", errors="replace")
    if "時間外勤務" not in text:
        return "SVG が K10（時間外勤務）のグラフではありません。chart_k10 を書き出します。"
    return None


EXERCISES = (
    Exercise(
        id="5-1",
        answers=("chart_k10",),
        stub="# 練習 5-1（None を式に書き換えて、このセルを実行します）\nchart_k10 = None",
        solution=(
            "# 練習 5-1\n"
            'row_k10 = progress.filter(pl.col("kpi_id") == "K10").row(0, named=True)\n'
            "chart_k10 = charts.kpi_trend_chart(\n"
            "    row_k10,\n"
            '    wh.kpi_history("K10", with_base=False),\n'
            '    source=ebpm.source_line(wh.kpi_sources("K10")),\n'
            "    bands=bands,\n"
            ")\n"
            "chart_k10"
        ),
        judge=_chart_k10,
        look="3「問いから始める」の kpi_history と kpi_sources、4「KPI のグラフ」",
        wrong=(
            Wrong(
                '# 練習 5-1\nrow_k10 = progress.filter(pl.col("kpi_id") == "K10").row(0, named=True)\n'
                'chart_k10 = charts.kpi_trend_chart(row_k10, wh.kpi_history("K09", with_base=False), '
                'source=ebpm.source_line(wh.kpi_sources("K10")))',
                "点が1つもありません",
            ),
            Wrong(
                '# 練習 5-1\nrow_k10 = progress.filter(pl.col("kpi_id") == "K10").row(0, named=True)\n'
                'chart_k10 = charts.kpi_trend_chart(row_k10, history.drop("kpi_id"), '
                'source=ebpm.source_line(wh.kpi_sources("K10")))',
                "K10 以外の値",
            ),
            Wrong(
                '# 練習 5-1\nrow_k10 = progress.filter(pl.col("kpi_id") == "K10").row(0, named=True)\n'
                'chart_k10 = charts.kpi_trend_chart(row_k10, wh.kpi_history("K10"), '
                'source=ebpm.source_line(wh.kpi_sources("K10")))',
                "with_base=False",
            ),
            Wrong(
                '# 練習 5-1\nchart_k10 = charts.kpi_trend_chart(row, wh.kpi_history("K10", with_base=False), source=source)',
                "K10 ではありません",
            ),
        ),
        minutes=10,
        taught="02 の filter、05 の 3〜4（kpi_history・kpi_sources・kpi_trend_chart）",
    ),
    Exercise(
        id="5-2",
        answers=("saved_files",),
        stub="# 練習 5-2（None を式に書き換えて、このセルを実行します）\nsaved_files = None",
        solution=(
            "# 練習 5-2\n"
            'saved_files = charts.save_chart(chart_k10, output_dir / "K10_時間外勤務", ["svg", "pdf"])\n'
            "[f.relative_to(ebpm.ROOT).as_posix() for f in saved_files]"
        ),
        judge=_saved_files,
        look="6「資料に貼るためにファイルに書き出す」",
        wrong=(
            Wrong(
                '# 練習 5-2\nsaved_files = charts.save_chart(chart_k10, output_dir / "K10_時間外勤務", ["png"])',
                "2形式",
            ),
            Wrong(
                '# 練習 5-2\nsaved_files = charts.save_chart(chart, output_dir / "K10_時間外勤務", ["svg", "pdf"])',
                "K10（時間外勤務）のグラフではありません",
            ),
        ),
        minutes=5,
        taught="05 の 6（save_chart）",
    ),
)
