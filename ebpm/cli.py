"""The ``ebpm`` command: every subcommand, registered explicitly in :data:`COMMANDS`.

Heavy modules are imported inside each command so that ``ebpm --help`` answers at once.
Every command follows one exit-code convention (also printed by ``ebpm --help``):

====  =====================================================================================
0     成功
1     入力データ・ファイルの問題（data/raw や ebpm.toml の誤り、ウェアハウス・ワークスペースが
      ない、読めないファイル、評価のない年度）
2     使い方の誤り（コマンド・オプションの誤り、環境変数 ESTAT_APP_ID がない）
3     e-Stat API・ネットワークの誤り（通信できない、API がエラーを返した）
130   中断（Ctrl+C）
====  =====================================================================================
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ebpm import paths

if TYPE_CHECKING:
    import polars as pl

    from ebpm.estat import ParsedFile
    from ebpm.kpi.model import GradeBands

__all__ = ["COMMANDS", "EXIT_CODES", "build_parser", "configure_jupyterlab", "lab_command", "main"]

OK, DATA_ERROR, USAGE_ERROR, NETWORK_ERROR, INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES: dict[int, str] = {
    OK: "成功",
    DATA_ERROR: "入力データ・ファイルの問題（data/raw や ebpm.toml の誤り、ウェアハウス・ワークスペースがない、読めないファイル、評価のない年度）",
    USAGE_ERROR: "使い方の誤り（コマンド・オプションの誤り、環境変数 ESTAT_APP_ID がない）",
    NETWORK_ERROR: "e-Stat API・ネットワークの誤り（通信できない、API がエラーを返した）",
    INTERRUPTED: "中断（Ctrl+C）",
}
EPILOG = (
    "まず `ebpm build` でウェアハウスを作成し、`ebpm status` で進捗を確認します。\n"
    "ワークスペース（ebpm.toml のあるフォルダ）は今のフォルダから上へ探します。"
    "別の場所は --root フォルダか環境変数 EBPM_ROOT で指定します。\n\n終了コード:\n"
    + "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES.items())
)


class UsageError(Exception):
    """A wrong value on the command line (exit code 2)."""


# --- errors → one Japanese line and the exit code -----------------------------------------


def _os_message(error: OSError) -> str:
    if isinstance(error, FileExistsError | paths.WorkspaceError) or error.filename is None:
        return str(error)
    if isinstance(error, FileNotFoundError):
        return f"ファイルが見つかりません: {error.filename}"
    if isinstance(error, PermissionError):
        return f"ファイルにアクセスできません（権限がありません）: {error.filename}"
    if isinstance(error, IsADirectoryError):
        return f"ファイルではなくフォルダです: {error.filename}"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"ディスクの空き容量が足りないため書き込めません: {error.filename}"
            "（不要なファイルを削除して空き容量を増やしてから、もう一度実行してください）"
        )
    return f"ファイルの読み書きに失敗しました: {error.filename}"


def _expected(error: Exception) -> bool:
    """Errors that tell the user about their input, options or network (not bugs)."""
    estat = sys.modules.get("ebpm.estat")
    return isinstance(error, UsageError | OSError | ValueError) or (
        estat is not None and isinstance(error, estat.EStatError)
    )


def _classify(error: Exception) -> tuple[int, str]:
    """The exit code and message of an error; e-Stat classes only if e-Stat was used."""
    estat = sys.modules.get("ebpm.estat")
    if isinstance(error, UsageError):
        return USAGE_ERROR, str(error)
    if estat is not None and isinstance(error, estat.EStatError):
        if isinstance(error, estat.EStatConfigError):
            return USAGE_ERROR, str(error)
        if isinstance(error, estat.EStatAPIError | estat.EStatHTTPError):
            return NETWORK_ERROR, str(error)
        return DATA_ERROR, str(error)
    if isinstance(error, OSError):
        return DATA_ERROR, _os_message(error)
    if isinstance(error, UnicodeError):
        return (
            DATA_ERROR,
            "文字コードを判定できません（UTF-8 か Shift_JIS のファイルを指定してください）",
        )
    return DATA_ERROR, str(error)


def _redact(text: str) -> str:
    """Remove an e-Stat appId from a message (it is personal; never printed)."""
    estat = sys.modules.get("ebpm.estat")
    if estat is None:  # no e-Stat code ran, so no appId can be in the message
        return text
    return str(estat.redact(text))


def _printable(text: str) -> str:
    """Text that any terminal can print: a Shift_JIS file name shown as it reads."""
    from ebpm.manifest import shown_name

    return shown_name(text)


def _error(message: str) -> None:
    print(f"エラー: {_printable(_redact(' '.join(message.split())))}", file=sys.stderr)


def _fiscal_year(text: str) -> int:
    from ebpm.jp import parse_fiscal_year

    try:
        return parse_fiscal_year(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


# --- build, status, report -----------------------------------------------------------------


def _bands(args: argparse.Namespace) -> GradeBands:
    """Command-line edges over the workspace's ``ebpm.toml`` over the defaults."""
    from ebpm.kpi.model import GradeBands
    from ebpm.warehouse.build import workspace_bands

    configured = workspace_bands(args.raw)
    try:
        return GradeBands(
            configured.on_track if args.on_track is None else args.on_track,
            configured.mostly if args.mostly is None else args.mostly,
        )
    except ValueError as error:
        raise UsageError(f"{error}（--on-track と --mostly を確かめてください）") from None


def _cmd_build(args: argparse.Namespace) -> int:
    from ebpm.readers import BuildError
    from ebpm.warehouse import build

    args.raw = args.raw or paths.workspace().raw
    try:
        summary = build(args.raw, args.db or paths.workspace().warehouse, bands=_bands(args))
    except BuildError as error:
        print(
            "エラー: 入力データに問題があるため、ウェアハウスは更新していません（以前のウェアハウスはそのままです）。",
            file=sys.stderr,
        )
        for message in error.messages[: args.max_errors]:
            print(f"  - {_printable(message)}", file=sys.stderr)
        hidden = len(error.messages) - args.max_errors
        if hidden > 0:
            print(f"  …ほか {hidden} 件", file=sys.stderr)
        return DATA_ERROR
    print(f"ウェアハウスを作成しました: {summary.db_path}（入力ファイル {summary.files} 件）")
    for name, rows in summary.tables.items():
        print(f"  {name}: {rows:,} 行")
    if summary.tables.get("kpi_definition", 0) == 0:
        print(
            "注意: KPI の定義がまだありません（data/raw/kpi/kpi_definitions.csv に行を追加してください）。"
        )
    return OK


def _warn_if_stale(wh: Any) -> None:
    """Tell the user (on stderr) when data/raw changed after the last build."""
    changed = wh.stale_files()
    if changed:
        listed = "、".join(changed[:5]) + (f" ほか{len(changed) - 5}件" if len(changed) > 5 else "")
        print(
            f"注意: ウェアハウスの作成後に data/raw のファイルが変わっています（{listed}）。"
            "最新の内容にするには `ebpm build` を実行してください。",
            file=sys.stderr,
        )


def _no_rows(fiscal_year: int | None) -> str:
    if fiscal_year is None:
        return (
            "評価できる実績がまだありません（data/raw/kpi/actuals/ に実績を入力して "
            "`ebpm build` を実行してください）"
        )
    return f"{fiscal_year}年度の評価はありません（計画期間内の年度を指定してください）"


def _status_format(given: str | None, output: Path | None) -> str:
    """The format asked for, else the one the file's suffix names (進捗.csv is for Excel)."""
    if given is not None:
        return given
    suffix = output.suffix.lower() if output is not None else ""
    return {".csv": "csv", ".json": "json"}.get(suffix, "table")


def _cmd_status(args: argparse.Namespace) -> int:
    from ebpm import status
    from ebpm.csvsafe import neutralize_frame
    from ebpm.warehouse import Warehouse

    with Warehouse(args.db) as wh:
        table = wh.progress_table(args.fy)
        if table.height == 0:
            _error(_no_rows(args.fy))
            return DATA_ERROR
        if args.db is None:
            _warn_if_stale(wh)
    fmt = _status_format(args.format, args.output)
    if fmt == "json":
        text = status.to_json(table) + "\n"
    elif fmt == "csv":  # names and notes come from input files: no live formulas
        text = status.to_csv(neutralize_frame(table))
    else:
        text = status.format_table(table) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return OK
    # A file is for Excel: a BOM makes Japanese Excel read the CSV as UTF-8.
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    args.output.write_text(text, encoding=encoding, newline="")
    print(f"書き出しました: {args.output}（{table.height}指標）")
    return OK


def _cmd_report(args: argparse.Namespace) -> int:
    from ebpm.report import write_report
    from ebpm.warehouse import Warehouse

    with Warehouse(args.db) as wh:  # one snapshot for the staleness check and the report
        if args.db is None:
            _warn_if_stale(wh)
        result = write_report(
            args.out, wh, fiscal_year=args.fy, documents=args.documents, cache=args.cache
        )
    if result.fiscal_year is None:
        print(f"注意: {_no_rows(None)}。定義と出典だけのレポートを作りました。", file=sys.stderr)
    judged = f"{result.fiscal_year}年度の評価" if result.fiscal_year else "評価なし"
    print(f"レポートを作成しました: {result.index}（{judged}）")
    for label, path in result.documents.items():
        print(f"  {label}: {path}")
    print(
        f"  グラフ {len(result.charts)} ファイル（画面用 PNG・SVG・PDF、資料用 charts/document/）:"
        f" {result.index.parent / 'charts'}"
    )
    if result.reused:
        print(
            f"  （{result.drawn + result.reused} 個のグラフのうち、前回から変わらない "
            f"{result.reused} 個はキャッシュから使い、{result.drawn} 個を描きました）"
        )
    print(f"  ブラウザで開く: file://{result.index.resolve()}")
    return OK


def _add_build(commands: Any) -> None:
    build = commands.add_parser(
        "build", help="data/raw/ を検証してウェアハウス（DuckDB）を作り直す", parents=[_ROOT]
    )
    build.add_argument("--raw", type=Path, help="入力フォルダ（既定: data/raw）")
    build.add_argument(
        "--db", type=Path, help="ウェアハウスのファイル（既定: data/processed/ebpm.duckdb）"
    )
    build.add_argument(
        "--on-track",
        type=float,
        help="「順調」とするペースの下限（既定: ebpm.toml の値、なければ 1.0）",
    )
    build.add_argument(
        "--mostly",
        type=float,
        help="「概ね順調」とするペースの下限（既定: ebpm.toml の値、なければ 0.6）",
    )
    build.add_argument("--max-errors", type=int, default=50, help="表示するエラーの最大件数")
    build.set_defaults(func=_cmd_build)


def _add_status(commands: Any) -> None:
    status = commands.add_parser("status", help="KPIの進捗評価を表示する", parents=[_ROOT])
    status.add_argument(
        "--db", type=Path, help="ウェアハウスのファイル（既定: data/processed/ebpm.duckdb）"
    )
    status.add_argument(
        "--fy",
        type=_fiscal_year,
        help="評価する年度（2025、R7、令和7年度など。既定: 実績のある最新年度）",
    )
    status.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default=None,
        help="出力形式（既定: -o のファイル名が .csv なら csv、.json なら json、ほかは table）",
    )
    status.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="ファイル",
        help="画面ではなくファイルに書き出す（csv は Excel で開ける BOM 付き UTF-8）",
    )
    status.set_defaults(func=_cmd_status)


def _add_report(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="進捗表とグラフのレポート（オフラインで開けるHTML）を作る", parents=[_ROOT]
    )
    report.add_argument(
        "--out", type=Path, help="出力フォルダ（既定: data/processed/report/<年度>）"
    )
    report.add_argument(
        "--db", type=Path, help="ウェアハウスのファイル（既定: data/processed/ebpm.duckdb）"
    )
    report.add_argument("--fy", type=_fiscal_year, help="評価する年度（既定: 実績のある最新年度）")
    report.add_argument(
        "--no-documents",
        dest="documents",
        action="store_false",
        help="Excel・Word・PowerPoint を作らない（HTML とグラフだけ）",
    )
    report.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="前回と同じグラフもキャッシュ（data/processed/cache/charts）を使わずに描き直す",
    )
    report.set_defaults(func=_cmd_report)


# --- init, template, samples ---------------------------------------------------------------


def _cmd_init(args: argparse.Namespace) -> int:
    from ebpm.scaffold import init_workspace

    names = {k: v for k, v in (("city", args.city), ("strategy", args.strategy)) if v}
    written = init_workspace(args.folder, **names)
    print(f"ワークスペースを作成しました: {args.folder}（{len(written)} ファイル）")
    print("  data/raw/kpi/ の CSV と SOURCES.toml を入力してから `ebpm build` を実行します。")
    return OK


def _cmd_template(args: argparse.Namespace) -> int:
    if args.commentary:
        from ebpm.annotations import write_commentary_template

        out = write_commentary_template(
            args.out or Path("所管課コメント入力テンプレート.xlsx"), fiscal_year=args.fy
        )
        print(f"所管課コメントの入力テンプレートを作成しました: {out}")
        return OK
    from ebpm.template import write_actuals_template

    out = write_actuals_template(args.out or Path("実績入力テンプレート.xlsx"))
    print(f"実績入力テンプレートを作成しました: {out}")
    return OK


def _cmd_samples(args: argparse.Namespace) -> int:
    from ebpm.samples import write_record_samples, write_samples

    out = args.out or paths.workspace().raw / "sample"
    for path in write_samples(out) + write_record_samples(out / "records"):
        print(f"書き出しました: {path}")
    print("研修用サンプルデータ（架空の値）です。`ebpm build` でウェアハウスに読み込みます。")
    return OK


def _add_init(commands: Any) -> None:
    init = commands.add_parser(
        "init", help="新しいワークスペース（data/raw の構成と定義ファイルのひな形）を作る"
    )
    init.add_argument(
        "folder", type=Path, metavar="フォルダ", help="作成するフォルダ（新しいか空のフォルダ）"
    )
    init.add_argument("--city", help="自治体名（ebpm.toml と出典に書きます）")
    init.add_argument("--strategy", help="戦略の名前（レポートの表題に使います）")
    init.set_defaults(func=_cmd_init)


def _add_template(commands: Any) -> None:
    template = commands.add_parser(
        "template", help="実績入力用の空の Excel テンプレートを作る", parents=[_ROOT]
    )
    template.add_argument(
        "out",
        type=Path,
        nargs="?",
        help="保存先（既定: 実績入力テンプレート.xlsx、--commentary なら 所管課コメント入力テンプレート.xlsx）",
    )
    template.add_argument(
        "--commentary",
        action="store_true",
        help="所管課コメント（担当課・取組状況・要因分析・今後の方向性）の入力用テンプレートを作る",
    )
    template.add_argument(
        "--fy", type=_fiscal_year, help="--commentary のテンプレートに入れておく年度（例: R7）"
    )
    template.set_defaults(func=_cmd_template)


def _add_samples(commands: Any) -> None:
    samples = commands.add_parser(
        "samples", help="研修用サンプルデータ（架空の値）を作り直す", parents=[_ROOT]
    )
    samples.add_argument("--out", type=Path, help="出力フォルダ（既定: data/raw/sample）")
    samples.set_defaults(func=_cmd_samples)


# --- lab -----------------------------------------------------------------------------------


def _update_json(path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """Apply ``change`` to the JSON object in ``path`` (``{}`` when absent) and write it back."""
    import json

    current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    change(current)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def configure_jupyterlab(prefix: Path | None = None) -> Path:
    """Make JupyterLab start in Japanese and stay offline; idempotent."""

    def change(current: dict[str, Any]) -> None:
        current.setdefault("@jupyterlab/translation-extension:plugin", {})["locale"] = "ja_JP"
        # City PCs are offline (LGWAN): no news feed, update check or PyPI extension manager.
        notification = current.setdefault("@jupyterlab/apputils-extension:notification", {})
        notification.update({"fetchNews": "false", "checkForUpdates": False})
        current.setdefault("@jupyterlab/extensionmanager-extension:plugin", {})["enabled"] = False

    settings = (prefix or Path(sys.prefix)) / "share" / "jupyter" / "lab" / "settings"
    return _update_json(settings / "overrides.json", change)


#: The IPython extension every kernel of the environment loads (see :mod:`ebpm._kernel`).
KERNEL_EXTENSION = "ebpm._kernel"


def configure_kernels(prefix: Path | None = None) -> Path:
    """Make every IPython kernel of the environment load :mod:`ebpm._kernel`; idempotent.

    Written to ``<prefix>/etc/ipython/ipython_kernel_config.json``, which IPython reads for
    the kernels of that environment besides the user's own profile; other settings there are
    kept.
    """

    def change(current: dict[str, Any]) -> None:
        extensions = current.setdefault("InteractiveShellApp", {}).setdefault("extensions", [])
        if KERNEL_EXTENSION not in extensions:
            extensions.append(KERNEL_EXTENSION)

    config = (prefix or Path(sys.prefix)) / "etc" / "ipython" / "ipython_kernel_config.json"
    return _update_json(config, change)


def lab_command(root: Path, jupyter_args: Sequence[str] = ()) -> list[str]:
    """The JupyterLab command line: opened at the workspace root, the user's options last."""
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}"]
    if (
        hasattr(os, "geteuid") and os.geteuid() == 0
    ):  # containers; JupyterLab refuses root otherwise
        command.append("--allow-root")
    return [*command, *jupyter_args]


def _cmd_lab(args: argparse.Namespace) -> int:
    try:
        configure_jupyterlab()
        configure_kernels()
    except OSError as error:  # an environment installed for all users, read-only to this one
        print(
            f"お知らせ: JupyterLab の設定を書き込めませんでした（{error.filename}: "
            f"{error.strerror}）。日本語表示などの設定なしで続けます。"
            "環境を入れた人（管理者）に ebpm lab --configure-only の実行を頼んでください。",
            file=sys.stderr,
        )
        if args.configure_only:
            return DATA_ERROR
    if args.configure_only:
        print(
            "JupyterLab を日本語表示に設定しました（ノートブックの起動を速くする設定も行いました）"
        )
        return OK
    ws = paths.workspace()
    if not ws.warehouse.exists():
        print("ウェアハウスがまだないので作成します（ebpm build）…", file=sys.stderr)
        built = _cmd_build(
            argparse.Namespace(raw=None, db=None, on_track=None, mostly=None, max_errors=50)
        )
        if built != OK:
            return built
    # Kernels started from the lab find the same workspace, even when --root named it.
    env = {**os.environ, paths.ENV_VAR: str(ws.root)}
    os.execve(sys.executable, lab_command(ws.root, args.jupyter_args), env)
    return OK  # pragma: no cover


def _add_lab(commands: Any) -> None:
    lab = commands.add_parser(
        "lab",
        help="JupyterLab をワークスペースで開く（ほかのオプションは JupyterLab に渡す。例: --no-browser --port 8899）",
        parents=[_ROOT],
    )
    lab.add_argument(
        "--configure-only", action="store_true", help="日本語表示の設定だけ行い、起動しない"
    )
    lab.set_defaults(func=_cmd_lab, passes_extra=True)


# --- estat ---------------------------------------------------------------------------------

_FILTERS = {
    "cd_tab": "cdTab",
    "cd_area": "cdArea",
    "cd_time": "cdTime",
    "cd_cat01": "cdCat01",
    "cd_cat02": "cdCat02",
    "cd_cat03": "cdCat03",
    "lv_area": "lvArea",
    "lv_time": "lvTime",
}
_FILTER_HELP = {
    "cd_tab": ("CODES", "表章項目コード（カンマ区切り）"),
    "cd_area": ("CODES", "地域コード（例: 03203 大船渡市）"),
    "cd_time": ("CODES", "時間軸コード（例: 2020100000）"),
    "cd_cat01": ("CODES", "分類事項01のコード"),
    "cd_cat02": ("CODES", "分類事項02のコード"),
    "cd_cat03": ("CODES", "分類事項03のコード"),
    "lv_area": ("LEVEL", "地域の階層レベル（例: 2）"),
    "lv_time": ("LEVEL", "時間軸の階層レベル"),
}
_DIMENSION_NAMES = {"tab": "表章項目", "area": "地域", "time": "時間軸"}
_TABLE_ROWS = 50
_CODE_LIST_ALIASES = {
    "area_code": ("area_code", "lgcode", "lg_code", "団体コード", "code"),
    "prefecture": ("prefecture", "pref", "都道府県名", "都道府県"),
    "name": ("name", "city", "市区町村名", "団体名"),
}


def _fetch_params(args: argparse.Namespace) -> dict[str, str]:
    params = {api: getattr(args, attr) for attr, api in _FILTERS.items() if getattr(args, attr)}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param は KEY=VALUE の形で指定してください: {item}")
        params[key.strip()] = value.strip()
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit は 1 以上を指定してください")
    return params


def _cmd_estat_fetch(args: argparse.Namespace) -> int:
    from ebpm import estat

    if args.catalog:
        return _fetch_catalog(args)
    if args.only:
        raise UsageError("--only は --catalog と一緒に指定してください")
    if not args.stats_data_id:
        raise UsageError(
            "統計表ID を指定してください（カタログのすべての表を取得するには --catalog）"
        )
    params = _fetch_params(args)
    client = estat.EStatClient(
        base_url=args.base_url or estat.DEFAULT_BASE_URL,
        cache_dir=args.cache,
        min_interval=args.interval,
    )
    pages = client.fetch_stats_data(args.stats_data_id, max_rows=args.limit, **params)
    frame = estat.parse_stats_pages(pages)
    first = pages[0]
    table = estat.parse_table_info(first.data)
    known = bool(table.title or table.statistics_name)
    title = f"「{table.full_title}」" if known else ""
    print(f"{args.stats_data_id}{title} を取得しました: {frame.height:,}件（{len(pages)}ページ）")
    if first.path is not None:
        print(f"保存先: {first.path.parent}")
    if estat.check_status(first.data) == 1:
        print("該当するデータはありませんでした（STATUS 1）。絞り込みの条件を確かめてください。")
    if known:
        print(table.source_line)
    print(estat.CREDIT)
    return OK


def _catalog_areas(text: str | None) -> list[str] | None:
    """``--cd-area 03203,03205`` as a list of 5-digit codes (e-Stat takes up to 100)."""
    if not text:
        return None
    areas = [a.strip() for a in text.split(",") if a.strip()]
    wrong = [a for a in areas if not (a.isascii() and a.isdigit() and len(a) == 5)]
    if wrong or not areas:
        raise UsageError(
            f"--cd-area は5桁の地域コードをカンマ区切りで指定してください（例: 03203,03205）: {text}"
        )
    if len(areas) > 100:
        raise UsageError(f"--cd-area に指定できる地域は100までです（{len(areas)}個あります）")
    return areas


def _fetch_catalog(args: argparse.Namespace) -> int:
    """``ebpm estat fetch --catalog``: every catalogue table, one after another, in one go."""
    from ebpm import estat
    from ebpm.national.catalog import fetch_catalog, load_catalog

    if args.stats_data_id:
        raise UsageError(
            "--catalog のときは統計表IDを指定しません（カタログの一部だけなら --only 統計表ID）"
        )
    others = [
        "--" + attr.replace("_", "-")
        for attr in _FILTERS
        if attr != "cd_area" and getattr(args, attr)
    ]
    others += ["--param"] * bool(args.param) + ["--limit"] * (args.limit is not None)
    if others:
        raise UsageError(
            f"--catalog と一緒に使えないオプションです: {', '.join(others)}"
            "（絞り込みはカタログに書いてあります。地域だけは --cd-area で指定できます）"
        )
    catalog = load_catalog()
    known = [e.stats_data_id for e in catalog]
    unknown = [i for i in args.only or [] if i not in known]
    if unknown:
        raise UsageError(
            f"統計表ID {'、'.join(unknown)} はカタログにありません（カタログの表: {'、'.join(known)}）"
        )
    areas = _catalog_areas(args.cd_area)
    entries = [e for e in catalog if not args.only or e.stats_data_id in args.only]
    client = estat.EStatClient(
        base_url=args.base_url or estat.DEFAULT_BASE_URL,
        cache_dir=args.cache,
        min_interval=args.interval,
    )
    print(f"e-Stat 統計表カタログの {len(entries)} 表を取得します（保存先: {client.cache_dir}）")
    failed = 0
    for number, entry in enumerate(entries, 1):
        unverified = "" if entry.verified else "【未確認の表】"
        print(
            f"[{number}/{len(entries)}] {entry.stats_data_id} {unverified}{entry.title}", flush=True
        )
        [result] = fetch_catalog(client, [entry], areas=areas)
        if result.error is None:
            print(f"    取得しました: {result.rows:,}件（{len(result.files)}ファイル）")
            continue
        failed += 1
        print(f"    取得できませんでした: {_redact(result.error)}")
    done = len(entries) - failed
    print(f"取得 {done} 表、失敗 {failed} 表。ウェアハウスに入れるには `ebpm build` を実行します。")
    print(estat.CREDIT)
    if failed:
        _error(
            f"{failed} 表を取得できませんでした（上の一覧の理由を確かめてください。"
            "ほかの表は保存してあります）"
        )
        return NETWORK_ERROR
    return OK


def _expand_files(patterns: Sequence[str]) -> list[str]:
    """File names, with ``*`` patterns expanded here (Windows shells pass them unexpanded).

    Provenance sidecars (``*.provenance.json``) matched by a pattern are left out: the import
    writes a new one beside each copy.
    """
    import glob

    from ebpm.manifest import is_sidecar

    files: list[str] = []
    for pattern in patterns:
        if not any(c in pattern for c in "*?[") or Path(pattern).exists():
            files.append(pattern)
            continue
        found = [f for f in sorted(glob.glob(pattern)) if not is_sidecar(Path(f))]
        if not found:
            raise ValueError(f"「{pattern}」に当てはまるファイルがありません")
        files += found
    return files


def _cmd_estat_import(args: argparse.Namespace) -> int:
    from ebpm import estat

    args.files = _expand_files(args.files)
    failed: list[str] = []
    for file in args.files:
        try:
            _import_one(file, args)
        except (OSError, ValueError, estat.EStatError) as error:
            if len(args.files) == 1:
                raise
            failed.append(file)
            _error(_classify(error)[1])
    if failed:
        _error(
            f"{len(failed)} ファイルを取り込めませんでした: {'、'.join(failed)}"
            f"（ほかの {len(args.files) - len(failed)} ファイルは取り込みました）"
        )
        return DATA_ERROR
    return OK


def _import_one(file: str, args: argparse.Namespace) -> None:
    from ebpm import estat

    cached = estat.import_file(file, args.cache, stats_data_id=args.stats_data_id, title=args.title)
    parsed = estat.parse_file(cached)
    rows = f"（{parsed.frame.height:,}件）" if parsed.has_values else ""
    print(f"取り込みました: {cached}{rows}")
    side = estat.read_provenance(cached)
    if side.get("source_line"):
        print(str(side["source_line"]))
    if side.get("title_source") == "file name":
        print("ファイルに統計表名が書かれていません。出典の表題は --title で指定してください。")


def _code_lookup(path: Path) -> Callable[[str, str], str]:
    """A prefecture + name → code lookup from a code list CSV (any of the usual headers)."""
    import functools
    import io

    import polars as pl

    from ebpm import codes, jp

    text, _ = jp.read_text(path)
    table = pl.read_csv(io.StringIO(text), infer_schema=False)
    picked = {}
    for column, aliases in _CODE_LIST_ALIASES.items():
        found = next((a for a in aliases if a in table.columns), None)
        if found is None:
            raise ValueError(
                f"{path.name}: 対応表に「{aliases[0]}」にあたる列がありません（列: {', '.join(table.columns)}）"
            )
        picked[found] = column
    master = table.select(list(picked)).rename(picked).filter(pl.col("name").fill_null("") != "")
    return functools.partial(codes.match_municipality, master=master)


def _cmd_estat_show(args: argparse.Namespace) -> int:
    from ebpm import estat
    from ebpm.csvsafe import write_csv

    lookup = _code_lookup(Path(args.codes)) if args.codes else None
    parsed = estat.parse_file(args.file, meta_json=args.meta, area_code_lookup=lookup)
    frame = parsed.frame
    if args.format == "csv":  # labels come from the file: no live formulas for Excel
        text, encoding = write_csv(frame), "utf-8-sig"  # the BOM lets Excel read UTF-8
    elif args.format == "json":
        text, encoding = frame.write_json() + "\n", "utf-8"
    else:
        text, encoding = _render_estat(parsed, args.max_rows), "utf-8"
    if not args.output:
        sys.stdout.write(text)
        return OK
    Path(args.output).write_text(text, encoding=encoding, newline="")
    print(f"書き出しました: {_printable(str(args.output))}（{frame.height:,}件）", file=sys.stderr)
    return OK


def _render_estat(parsed: ParsedFile, max_rows: int) -> str:
    from ebpm.jp import plain_table

    frame = parsed.frame
    shown = frame if max_rows <= 0 else frame.head(max_rows)
    if parsed.has_values:
        body = _estat_table(shown, parsed.dimension_names)
    else:
        body = plain_table(shown.columns, [[_cell(v) for v in row] for row in shown.iter_rows()])
    lines = [body]
    if shown.height < frame.height:
        lines.append(
            f"（全{frame.height:,}件のうち先頭{shown.height:,}件を表示。"
            "すべて見るには --max-rows 0 か --format csv を指定してください）"
        )
    else:
        lines.append(f"（全{frame.height:,}件）")
    if parsed.table is not None:
        lines.append(parsed.table.source_line)
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _format_value(value: float | None, marker: str | None) -> str:
    if value is None:
        return marker or ""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return f"{text} ({marker})" if marker else text


def _estat_table(frame: pl.DataFrame, dimension_names: dict[str, str] | None = None) -> str:
    """Plain-text table of a tidy e-Stat frame: dimension labels, value (or its marker), unit."""
    from ebpm.jp import plain_table

    names = {**_DIMENSION_NAMES, **(dimension_names or {})}
    dims = [c[: -len("_code")] for c in frame.columns if c.endswith("_code")]
    headers = [names.get(d, d) for d in dims] + ["値", "単位"]
    labels = [frame.get_column(f"{d}_label").fill_null(frame.get_column(f"{d}_code")) for d in dims]
    values = [
        _format_value(v, m)
        for v, m in zip(frame.get_column("value"), frame.get_column("marker"), strict=True)
    ]
    rows = [
        [_cell(v) for v in cells]
        for cells in zip(*labels, values, frame.get_column("unit"), strict=True)
    ]
    markers = (
        frame.select("marker", "marker_meaning").drop_nulls("marker").unique(maintain_order=True)
    )
    table = plain_table(headers, rows, right={len(dims)})
    notes = [f"  {m}: {meaning or '（意味の記載なし）'}" for m, meaning in markers.iter_rows()]
    return table + ("\n記号の意味\n" + "\n".join(notes) if notes else "")


def _add_estat_fetch(commands: Any) -> None:
    fetch = commands.add_parser(
        "fetch",
        help="API で統計表を取得してキャッシュに保存する（ネットワークが必要）",
        description=(
            "統計表ID（statsDataId）を指定して e-Stat API から値を取得し、応答をそのまま "
            "data/raw/estat/<統計表ID>/ に保存します。--catalog では、市町村の比較に使う"
            "カタログの表をすべて取得します（--cd-area で地域を指定できます。失敗した表があっても"
            "ほかの表の取得は続け、終了コード 3 で終わります）。アプリケーションIDは環境変数 "
            "ESTAT_APP_ID から読みます（ファイルには書きません）。"
        ),
        parents=[_ROOT],
    )
    fetch.add_argument(
        "stats_data_id",
        metavar="STATS_DATA_ID",
        nargs="?",
        help="統計表ID（例: 0000020202）。--catalog のときは指定しない",
    )
    fetch.add_argument(
        "--catalog",
        action="store_true",
        help="e-Stat 統計表カタログ（ebpm/national/estat_catalog.toml）のすべての表を1表ずつ取得する",
    )
    fetch.add_argument(
        "--only",
        metavar="ID",
        nargs="+",
        action="extend",
        help="--catalog のうち、この統計表IDだけを取得する（複数可）",
    )
    for attr, (metavar, text) in _FILTER_HELP.items():
        fetch.add_argument("--" + attr.replace("_", "-"), metavar=metavar, help=text)
    fetch.add_argument(
        "--param",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="そのほかの API パラメータ（例: --param cdCat04=001）。繰り返し指定できます",
    )
    fetch.add_argument(
        "--limit", metavar="N", type=int, help="取得する最大件数（省略時はすべてのページ）"
    )
    fetch.add_argument("--cache", metavar="DIR", help="保存先フォルダ（既定: data/raw/estat）")
    fetch.add_argument(
        "--interval",
        metavar="SEC",
        type=float,
        default=1.0,
        help="リクエストの最小間隔（秒、既定 1.0。短くしないでください）",
    )
    fetch.add_argument("--base-url", metavar="URL", help="API の URL（通常は指定しません）")
    fetch.set_defaults(func=_cmd_estat_fetch)


def _add_estat_import(commands: Any) -> None:
    imp = commands.add_parser(
        "import",
        help="ブラウザでダウンロードした JSON / CSV をキャッシュに取り込む（オフライン）",
        description=(
            "e-Stat のサイトでダウンロードした JSON または CSV（またはネットワークにつながる PC で "
            "ebpm estat fetch が保存した JSON）を検査し、出典情報を付けて data/raw/estat/ に"
            "コピーします。元のファイルは変更しません。取り込めないファイルがあってもほかのファイルは"
            "取り込み、終了コード 1 で終わります。"
        ),
        parents=[_ROOT],
    )
    imp.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help="取り込むファイル（複数可。例: 別の PC で取得した data/raw/estat/*/*.json）",
    )
    imp.add_argument("--cache", metavar="DIR", help="保存先フォルダ（既定: data/raw/estat）")
    imp.add_argument(
        "--stats-data-id",
        metavar="ID",
        help="保存先のフォルダ名にする統計表ID（ファイルに書かれていない CSV 用）",
    )
    imp.add_argument("--title", help="出典に書く統計表名（ファイルに書かれていない CSV 用）")
    imp.set_defaults(func=_cmd_estat_import)


def _add_estat_show(commands: Any) -> None:
    show = commands.add_parser(
        "show",
        help="e-Stat の JSON / CSV を整えた表にして表示する（データベースは変更しない）",
        description=(
            "e-Stat の JSON または CSV を読み、1行1値の表にして表示します。"
            "--output で保存した CSV は Excel でそのまま開けます（BOM 付き UTF-8）。"
        ),
        parents=[_ROOT],
    )
    show.add_argument("file", metavar="FILE", help="表示するファイル")
    show.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="出力形式（既定: table）",
    )
    show.add_argument("--output", "-o", metavar="PATH", help="画面ではなくファイルに書き出す")
    show.add_argument(
        "--meta", metavar="META_JSON", help="ラベルを補う getMetaInfo の JSON（値だけの応答用）"
    )
    show.add_argument(
        "--codes",
        metavar="CSV",
        help="地域名しかないファイルに団体コードを付けるための対応表（団体コード・都道府県・市区町村名の列。"
        "例: data/raw/national/municipalities.csv）",
    )
    show.add_argument(
        "--max-rows",
        metavar="N",
        type=int,
        default=_TABLE_ROWS,
        help=f"table 形式で表示する最大行数（既定 {_TABLE_ROWS}、0 ですべて）",
    )
    show.set_defaults(func=_cmd_estat_show)


def _add_estat(commands: Any) -> None:
    parser = commands.add_parser(
        "estat",
        help="e-Stat（政府統計の総合窓口）のデータを取得・取り込み・表示する",
        description=(
            "e-Stat の統計表を API で取得（fetch）、ブラウザでダウンロードしたファイルを"
            "取り込み（import）、ファイルの中身を表で表示（show）します。"
            "取得・取り込んだファイルは出典情報とともに data/raw/estat/ に保存されます。"
        ),
        parents=[_ROOT],
    )
    parser.set_defaults(func=lambda args: _print_help(parser))
    estat_commands = parser.add_subparsers(dest="estat_command", metavar="{fetch,import,show}")
    for add in (_add_estat_fetch, _add_estat_import, _add_estat_show):
        add(estat_commands)


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return USAGE_ERROR


# --- the parser and main -------------------------------------------------------------------

#: ``--root`` on the main parser and on every subcommand (``ebpm status --root DIR`` works too).
_ROOT = argparse.ArgumentParser(add_help=False)
_ROOT.add_argument(
    "--root",
    type=Path,
    default=argparse.SUPPRESS,
    help="ワークスペースのフォルダ（既定: 今のフォルダから上へ ebpm.toml を探す。環境変数 EBPM_ROOT でも可）",
)

#: Every subcommand, in the order ``ebpm --help`` lists them.
COMMANDS: tuple[Callable[[Any], None], ...] = (
    _add_init,
    _add_build,
    _add_status,
    _add_report,
    _add_template,
    _add_samples,
    _add_estat,
    _add_lab,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ebpm",
        description="自治体の戦略のKPIを根拠（エビデンス）に基づいて評価するためのツール（例：大船渡市DX戦略）",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_ROOT],
    )
    from ebpm import __version__

    parser.add_argument("--version", action="version", version=f"ebpm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="コマンド")
    for add in COMMANDS:
        add(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("中断しました", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # e.g. `ebpm status | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except Exception as error:
        if not _expected(error):
            raise  # a bug, not the user's problem: keep the traceback
        code, message = _classify(error)
        _error(message)
        return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see :data:`EXIT_CODES`)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passes_extra", False):
        parser.error(f"認識できない引数です: {' '.join(extra)}")
    args.jupyter_args = extra
    if getattr(args, "root", None):
        paths.set_root(args.root)
    if not getattr(args, "func", None):
        parser.print_help()
        return OK
    return _run(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
