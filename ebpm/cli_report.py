"""``ebpm report``: the offline HTML report and the chart files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_report_parser"]


def _cmd_report(args: argparse.Namespace) -> int:
    from ebpm import paths
    from ebpm.cli import warn_if_stale
    from ebpm.report import write_report
    from ebpm.warehouse import WarehouseMissingError

    try:
        if args.db == paths.WAREHOUSE:
            warn_if_stale(args.db)
        result = write_report(args.out, args.db, fiscal_year=args.fy)
    except (WarehouseMissingError, ValueError) as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    print(f"レポートを作成しました: {result.index}（{result.fiscal_year}年度の評価）")
    print(
        f"  グラフ {len(result.charts)} ファイル（PNG・SVG・PDF）: {result.index.parent / 'charts'}"
    )
    print(f"  ブラウザで開く: file://{result.index.resolve()}")
    return 0


def add_report_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from ebpm import paths
    from ebpm.cli import _fiscal_year

    report = commands.add_parser(
        "report", help="進捗表とグラフのレポート（オフラインで開けるHTML）を作る"
    )
    report.add_argument(
        "--out", type=Path, default=paths.REPORT, help="出力フォルダ（既定: data/processed/report）"
    )
    report.add_argument("--db", type=Path, default=paths.WAREHOUSE, help="ウェアハウスのファイル")
    report.add_argument(
        "--fy", type=_fiscal_year, default=None, help="評価する年度（既定: 実績のある最新年度）"
    )
    report.set_defaults(func=_cmd_report)
