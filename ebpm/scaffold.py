"""``ebpm init``: a new, empty workspace another municipality can fill in.

The workspace holds ``ebpm.toml`` (names for the report, grade bands), the ``data/raw``
layout with ``SOURCES.toml`` descriptions, and the strategy/KPI definition files with
their header rows. It builds as it is (an empty warehouse and an empty-but-valid report),
so each step of filling it in can be checked with ``ebpm build``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ebpm.paths import MARKER
from ebpm.readers import STRATEGY_COLUMNS

__all__ = ["init_workspace"]

CONFIG = """\
# ebpm のワークスペース設定。ebpm はこのファイルのあるフォルダを探して data/ を使います。

[workspace]
city = {city_toml}
strategy = {strategy_toml}
# レポートの表題と「指標の定義」の説明（省略すると strategy から作ります）
# report_title = "{strategy} KPI進捗レポート"
# kpi_source = "{strategy}（令和○年○月策定）の重要業績評価指標（KPI）"

# 評価区分の境界（ペースの下限）。0 ≦ mostly < on_track。
[grades]
on_track = 1.0
mostly = 0.6
"""

KPI_SOURCES = """\
# このフォルダのファイルの出典情報（ebpm build が provenance 表とグラフの出典行に使います）。
# 資料名（title）・作成者（publisher）・利用条件（licence）・取得日（retrieved_at）を実際の内容に直してください。

["*.csv"]
title = {strategy_toml}
publisher = {city_toml}
licence = "（利用条件を書いてください）"
retrieved_at = {today}
is_sample = false
processing = "戦略の体系と重要業績評価指標（KPI）の表を転記"
"""

ACTUALS_SOURCES = """\
# 各課が入力した実績ファイルの出典情報。ファイルを置いたら、ファイル名ごとに表を書き足します。
# 例：
# ["実績_総務課_2025.xlsx"]
# title = "KPI実績値（令和7年度、総務課集計）"
# publisher = "{city} 総務課"
# licence = "庁内資料"
# retrieved_at = {today}
# is_sample = false
"""

FOLDER_SOURCES = """\
# {what}の出典情報。ファイルを置いたら、ファイル名ごとに title・publisher・licence・
# retrieved_at・is_sample を書き足します（書式は ../kpi/SOURCES.toml と同じ）。
"""

README = """\
# {strategy}（ebpm ワークスペース）

1. `data/raw/kpi/` の4つの CSV（分野・戦略・戦術・KPI定義）に行を入力し、`SOURCES.toml` の出典を直します。
2. `ebpm template 実績.xlsx` で実績入力用の Excel を作り、入力して `data/raw/kpi/actuals/` に置きます。
3. `ebpm build` で検証してウェアハウスを作り、`ebpm status` と `ebpm report` で結果を見ます。
"""


def _files(city: str, strategy: str, today: dt.date) -> dict[str, str]:
    names = {"city": city, "strategy": strategy, "today": today.isoformat()}
    names |= {f"{k}_toml": json.dumps(v, ensure_ascii=False) for k, v in names.items()}
    headers = {
        f"data/raw/kpi/{name}": ",".join(c.aliases[0] for c in columns) + "\n"
        for name, columns in STRATEGY_COLUMNS.items()
    }
    return {
        MARKER: CONFIG.format(**names),
        "README.md": README.format(**names),
        **headers,
        "data/raw/kpi/SOURCES.toml": KPI_SOURCES.format(**names),
        "data/raw/kpi/actuals/SOURCES.toml": ACTUALS_SOURCES.format(**names),
        "data/raw/national/SOURCES.toml": FOLDER_SOURCES.format(what="国の統計の抜粋"),
        "data/raw/estat/README.md": "`ebpm estat fetch` / `ebpm estat import` がここに e-Stat のファイルを保存します。\n",
        "data/processed/.gitkeep": "",
    }


def init_workspace(
    folder: str | Path,
    *,
    city: str = "（自治体名）",
    strategy: str = "（戦略の名前）",
    today: dt.date | None = None,
) -> list[Path]:
    """Create a new workspace in ``folder`` (new or empty); returns the files written.

    Raises
    ------
    FileExistsError
        When ``folder`` already has files (nothing is overwritten).
    """
    root = Path(folder)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(
            f"{root} は空のフォルダではありません（新しいフォルダ名を指定してください。既存のファイルは上書きしません）"
        )
    written = []
    for relative, text in _files(city, strategy, today or dt.date.today()).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
