"""The ``ebpm`` command. Start with ``ebpm --help``.

Heavy modules are imported inside each command so that ``ebpm --help`` and
``ebpm status`` answer at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _paths() -> object:
    from ebpm import paths

    return paths


def _fiscal_year(text: str) -> int:
    from ebpm.jp import parse_fiscal_year

    try:
        return parse_fiscal_year(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _cmd_build(args: argparse.Namespace) -> int:
    from ebpm.kpi import GradeBands
    from ebpm.readers import BuildError
    from ebpm.warehouse import build

    try:
        bands = GradeBands(on_track=args.on_track, mostly=args.mostly)
        summary = build(args.raw, args.db, bands=bands)
    except BuildError as error:
        print(
            "エラー: 入力データに問題があるため、ウェアハウスは更新していません（以前のウェアハウスはそのままです）。",
            file=sys.stderr,
        )
        for message in error.messages[: args.max_errors]:
            print(f"  - {message}", file=sys.stderr)
        hidden = len(error.messages) - args.max_errors
        if hidden > 0:
            print(f"  …ほか {hidden} 件", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 2
    print(f"ウェアハウスを作成しました: {summary.db_path}（入力ファイル {summary.files} 件）")
    for name, rows in summary.tables.items():
        print(f"  {name}: {rows:,} 行")
    return 0


def warn_if_stale(db: Path, raw: Path | None = None) -> None:
    """Tell the user (on stderr) when data/raw changed after the last build."""
    from ebpm.warehouse import stale_files

    changed = stale_files(db, raw)
    if changed:
        listed = "、".join(changed[:5]) + (f" ほか{len(changed) - 5}件" if len(changed) > 5 else "")
        print(
            f"注意: ウェアハウスの作成後に data/raw のファイルが変わっています（{listed}）。"
            "最新の内容にするには `ebpm build` を実行してください。",
            file=sys.stderr,
        )


def _cmd_status(args: argparse.Namespace) -> int:
    from ebpm import status
    from ebpm.warehouse import WarehouseMissingError

    try:
        table = status.progress_table(args.fy, args.db)
    except WarehouseMissingError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1
    if table.height == 0:
        print(
            f"エラー: {args.fy}年度の評価はありません（計画期間内の年度を指定してください）",
            file=sys.stderr,
        )
        return 1
    if args.db == _paths().WAREHOUSE:  # type: ignore[attr-defined]
        warn_if_stale(args.db)
    if args.format == "json":
        print(status.to_json(table))
    elif args.format == "csv":
        sys.stdout.write(status.to_csv(table))
    else:
        print(status.format_table(table))
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from ebpm.template import write_actuals_template

    out = write_actuals_template(args.out)
    print(f"実績入力テンプレートを作成しました: {out}")
    return 0


def configure_jupyterlab(prefix: Path | None = None) -> Path:
    """Make JupyterLab start in Japanese and stay offline; idempotent."""
    import json

    settings = (prefix or Path(sys.prefix)) / "share" / "jupyter" / "lab" / "settings"
    overrides = settings / "overrides.json"
    current = json.loads(overrides.read_text(encoding="utf-8")) if overrides.exists() else {}
    current.setdefault("@jupyterlab/translation-extension:plugin", {})["locale"] = "ja_JP"
    # City PCs are offline (LGWAN): no news feed, update check or PyPI extension manager.
    notification = current.setdefault("@jupyterlab/apputils-extension:notification", {})
    notification.update({"fetchNews": "false", "checkForUpdates": False})
    current.setdefault("@jupyterlab/extensionmanager-extension:plugin", {})["enabled"] = False
    settings.mkdir(parents=True, exist_ok=True)
    overrides.write_text(json.dumps(current, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return overrides


def _cmd_lab(args: argparse.Namespace) -> int:
    import os

    configure_jupyterlab()
    if args.configure_only:
        print("JupyterLab を日本語表示に設定しました")
        return 0
    paths = _paths()
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={paths.NOTEBOOKS}"]  # type: ignore[attr-defined]
    if (
        hasattr(os, "geteuid") and os.geteuid() == 0
    ):  # containers; JupyterLab refuses root otherwise
        command.append("--allow-root")
    os.execv(sys.executable, command)
    return 0  # pragma: no cover


def build_parser() -> argparse.ArgumentParser:
    paths = _paths()
    parser = argparse.ArgumentParser(
        prog="ebpm",
        description="大船渡市DX戦略のKPIを根拠（エビデンス）に基づいて評価するためのツール",
        epilog="まず `ebpm build` でウェアハウスを作成し、`ebpm status` で進捗を確認します。",
    )
    parser.add_argument("--version", action="version", version="ebpm 0.1.0")
    commands = parser.add_subparsers(dest="command", metavar="コマンド")

    build = commands.add_parser(
        "build", help="data/raw/ を検証してウェアハウス（DuckDB）を作り直す"
    )
    build.add_argument("--raw", type=Path, default=paths.RAW, help="入力フォルダ（既定: data/raw）")  # type: ignore[attr-defined]
    build.add_argument(
        "--db",
        type=Path,
        default=paths.WAREHOUSE,
        help="ウェアハウスのファイル（既定: data/processed/ebpm.duckdb）",
    )  # type: ignore[attr-defined]
    build.add_argument(
        "--on-track", type=float, default=1.0, help="「順調」とするペースの下限（既定 1.0）"
    )
    build.add_argument(
        "--mostly", type=float, default=0.6, help="「概ね順調」とするペースの下限（既定 0.6）"
    )
    build.add_argument("--max-errors", type=int, default=50, help="表示するエラーの最大件数")
    build.set_defaults(func=_cmd_build)

    status = commands.add_parser("status", help="KPIの進捗評価を表示する")
    status.add_argument("--db", type=Path, default=paths.WAREHOUSE, help="ウェアハウスのファイル")  # type: ignore[attr-defined]
    status.add_argument(
        "--fy",
        type=_fiscal_year,
        default=None,
        help="評価する年度（2025、R7、令和7年度など。既定: 実績のある最新年度）",
    )
    status.add_argument(
        "--format", choices=["table", "json", "csv"], default="table", help="出力形式"
    )
    status.set_defaults(func=_cmd_status)

    template = commands.add_parser("template", help="実績入力用の空の Excel テンプレートを作る")
    template.add_argument(
        "out", type=Path, nargs="?", default=Path("実績入力テンプレート.xlsx"), help="保存先"
    )
    template.set_defaults(func=_cmd_template)

    lab = commands.add_parser("lab", help="研修用ノートブックを JupyterLab で開く")
    lab.add_argument(
        "--configure-only", action="store_true", help="日本語表示の設定だけ行い、起動しない"
    )
    lab.set_defaults(func=_cmd_lab)

    for register in _plugins():
        register(commands)
    return parser


def _plugins() -> list[object]:
    """Sub-commands that live in their own modules."""
    import importlib

    found = []
    for module, function in (
        ("ebpm.cli_report", "add_report_parser"),
        ("ebpm.cli_estat", "add_estat_parser"),
        ("ebpm.cli_samples", "add_samples_parser"),
    ):
        try:
            found.append(getattr(importlib.import_module(module), function))
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
            continue
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except BrokenPipeError:  # e.g. `ebpm status | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
