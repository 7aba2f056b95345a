"""``ebpm estat``: fetch from the e-Stat API, import browser downloads, show a file.

Hook into the main parser with :func:`add_estat_parser`; every subcommand sets ``func``,
which takes the parsed arguments and returns the exit code (0 OK, 2 error)::

    sub = parser.add_subparsers(dest="command")
    add_estat_parser(sub)
    args = parser.parse_args()
    sys.exit(args.func(args))

Heavy imports (polars) happen inside the commands so that ``ebpm --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from ebpm.estat import ParsedFile

__all__ = ["add_estat_parser", "format_table", "main"]

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
_DIMENSION_NAMES = {"tab": "表章項目", "area": "地域", "time": "時間軸"}
_TABLE_ROWS = 50


def add_estat_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``estat`` with ``fetch``, ``import`` and ``show`` to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "estat",
        help="e-Stat（政府統計の総合窓口）のデータを取得・取り込み・表示する",
        description=(
            "e-Stat の統計表を API で取得（fetch）、ブラウザでダウンロードしたファイルを"
            "取り込み（import）、ファイルの中身を表で表示（show）します。"
            "取得・取り込んだファイルは出典情報とともに data/raw/estat/ に保存されます。"
        ),
    )
    parser.set_defaults(func=lambda args: _print_help(parser))
    commands = parser.add_subparsers(dest="estat_command", metavar="{fetch,import,show}")

    fetch = commands.add_parser(
        "fetch",
        help="API で統計表を取得してキャッシュに保存する（ネットワークが必要）",
        description=(
            "統計表ID（statsDataId）を指定して e-Stat API から値を取得し、応答をそのまま "
            "data/raw/estat/<統計表ID>/ に保存します。アプリケーションIDは環境変数 "
            "ESTAT_APP_ID から読みます（ファイルには書きません）。"
        ),
    )
    fetch.add_argument("stats_data_id", metavar="STATS_DATA_ID", help="統計表ID（例: 0000020202）")
    fetch.add_argument("--cd-tab", metavar="CODES", help="表章項目コード（カンマ区切り）")
    fetch.add_argument("--cd-area", metavar="CODES", help="地域コード（例: 03203 大船渡市）")
    fetch.add_argument("--cd-time", metavar="CODES", help="時間軸コード（例: 2020100000）")
    fetch.add_argument("--cd-cat01", metavar="CODES", help="分類事項01のコード")
    fetch.add_argument("--cd-cat02", metavar="CODES", help="分類事項02のコード")
    fetch.add_argument("--cd-cat03", metavar="CODES", help="分類事項03のコード")
    fetch.add_argument("--lv-area", metavar="LEVEL", help="地域の階層レベル（例: 2）")
    fetch.add_argument("--lv-time", metavar="LEVEL", help="時間軸の階層レベル")
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
    fetch.set_defaults(func=_guarded(_cmd_fetch))

    imp = commands.add_parser(
        "import",
        help="ブラウザでダウンロードした JSON / CSV をキャッシュに取り込む（オフライン）",
        description=(
            "e-Stat のサイトでダウンロードした JSON または CSV を検査し、出典情報を付けて "
            "data/raw/estat/ にコピーします。元のファイルは変更しません。"
        ),
    )
    imp.add_argument("file", metavar="FILE", help="取り込むファイル")
    imp.add_argument("--cache", metavar="DIR", help="保存先フォルダ（既定: data/raw/estat）")
    imp.add_argument(
        "--stats-data-id",
        metavar="ID",
        help="保存先のフォルダ名にする統計表ID（ファイルに書かれていない CSV 用）",
    )
    imp.add_argument("--title", help="出典に書く統計表名（ファイルに書かれていない CSV 用）")
    imp.set_defaults(func=_guarded(_cmd_import))

    show = commands.add_parser(
        "show",
        help="e-Stat の JSON / CSV を整えた表にして表示する（データベースは変更しない）",
        description=(
            "e-Stat の JSON または CSV を読み、1行1値の表にして表示します。"
            "--output で保存した CSV は Excel でそのまま開けます（BOM 付き UTF-8）。"
        ),
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
    show.set_defaults(func=_guarded(_cmd_show))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``estat`` on its own: ``python -m ebpm.cli_estat estat show FILE``."""
    parser = argparse.ArgumentParser(prog="ebpm")
    add_estat_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


# --------------------------------------------------------------------------- plumbing


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _say(message: str) -> None:
    print(message, file=sys.stdout)


def _error_message(error: BaseException) -> str:
    from ebpm.estat import APP_ID_ENV, EStatError, _redact

    if isinstance(error, EStatError):
        text = str(error)
    elif isinstance(error, FileNotFoundError):
        text = f"ファイルが見つかりません: {error.filename}"
    elif isinstance(error, PermissionError):
        text = f"ファイルにアクセスできません（権限がありません）: {error.filename}"
    elif isinstance(error, IsADirectoryError):
        text = f"ファイルではなくフォルダです: {error.filename}"
    elif isinstance(error, OSError):
        text = f"ファイルの読み書きに失敗しました: {error.filename or ''}"
    elif isinstance(error, UnicodeError):
        text = "文字コードを判定できません（UTF-8 か Shift_JIS のファイルを指定してください）"
    else:
        text = str(error)
    return _redact(" ".join(text.split()), os.environ.get(APP_ID_ENV))


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn errors into one Japanese line on stderr and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        from ebpm.estat import EStatError

        try:
            return command(args)
        except KeyboardInterrupt:
            print("中断しました", file=sys.stderr)
            return 130
        except (EStatError, OSError, ValueError) as error:
            print(f"エラー: {_error_message(error)}", file=sys.stderr)
            return 2

    run.__name__ = command.__name__
    run.__doc__ = command.__doc__
    return run


# --------------------------------------------------------------------------- fetch


def _cmd_fetch(args: argparse.Namespace) -> int:
    """ebpm estat fetch."""
    from ebpm import estat

    params: dict[str, str] = {
        api: getattr(args, attr) for attr, api in _FILTERS.items() if getattr(args, attr)
    }
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param は KEY=VALUE の形で指定してください: {item}")
        params[key.strip()] = value.strip()
    if args.limit is not None and args.limit < 1:
        raise ValueError("--limit は 1 以上を指定してください")
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
    _say(f"{args.stats_data_id}{title} を取得しました: {frame.height:,}件（{len(pages)}ページ）")
    if first.path is not None:
        _say(f"保存先: {first.path.parent}")
    if estat.check_status(first.data) == 1:
        _say("該当するデータはありませんでした（STATUS 1）。絞り込みの条件を確認してください。")
    if known:
        _say(table.source_line)
    _say(estat.CREDIT)
    return 0


# --------------------------------------------------------------------------- import


def _cmd_import(args: argparse.Namespace) -> int:
    """ebpm estat import."""
    from ebpm import estat

    cached = estat.import_file(
        args.file, args.cache, stats_data_id=args.stats_data_id, title=args.title
    )
    parsed = estat.parse_file(cached)
    rows = f"（{parsed.frame.height:,}件）" if parsed.has_values else ""
    _say(f"取り込みました: {cached}{rows}")
    side = estat.read_provenance(cached)
    if side.get("source_line"):
        _say(str(side["source_line"]))
    if side.get("title_source") == "file name":
        _say("ファイルに統計表名が書かれていません。出典の表題は --title で指定してください。")
    return 0


# --------------------------------------------------------------------------- show


_CODE_LIST_ALIASES = {
    "area_code": ("area_code", "lgcode", "lg_code", "団体コード", "code"),
    "prefecture": ("prefecture", "pref", "都道府県名", "都道府県"),
    "name": ("name", "city", "市区町村名", "団体名"),
}


def _code_lookup(path: Path) -> Callable[[str, str], str]:
    """A prefecture + name → code lookup from a code list CSV (any of the usual headers)."""
    import functools
    import io

    import polars as pl

    from ebpm import codes, jp
    from ebpm.estat import EStatError

    text, _ = jp.read_text(path)
    table = pl.read_csv(io.StringIO(text), infer_schema=False)
    picked = {}
    for column, aliases in _CODE_LIST_ALIASES.items():
        found = next((a for a in aliases if a in table.columns), None)
        if found is None:
            raise EStatError(
                f"{path.name}: 対応表に「{aliases[0]}」にあたる列がありません（列: {', '.join(table.columns)}）"
            )
        picked[found] = column
    master = table.select(list(picked)).rename(picked).filter(pl.col("name").fill_null("") != "")
    return functools.partial(codes.match_municipality, master=master)


def _cmd_show(args: argparse.Namespace) -> int:
    """ebpm estat show."""
    from ebpm import estat

    lookup = _code_lookup(Path(args.codes)) if args.codes else None
    parsed = estat.parse_file(args.file, meta_json=args.meta, area_code_lookup=lookup)
    frame = parsed.frame
    if args.format == "csv":
        text = frame.write_csv()
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8-sig", newline="")
        else:
            sys.stdout.write(text)
    elif args.format == "json":
        text = frame.write_json() + "\n"
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    else:
        text = _render(parsed, args.max_rows)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    if args.output:
        print(f"書き出しました: {args.output}（{frame.height:,}件）", file=sys.stderr)
    return 0


def _render(parsed: ParsedFile, max_rows: int) -> str:
    frame = parsed.frame
    shown = frame if max_rows <= 0 else frame.head(max_rows)
    if parsed.has_values:
        body = format_table(shown, parsed.dimension_names)
    else:
        body = _plain_table(shown.columns, [[_cell(v) for v in row] for row in shown.iter_rows()])
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


def format_table(frame: pl.DataFrame, dimension_names: dict[str, str] | None = None) -> str:
    """Plain-text table of a tidy frame: dimension labels, value (or its marker), unit.

    Columns are aligned for Japanese text (full-width characters count as two).
    """
    names = {**_DIMENSION_NAMES, **(dimension_names or {})}
    dims = [c[: -len("_code")] for c in frame.columns if c.endswith("_code")]
    headers = [names.get(d, d) for d in dims] + ["値", "単位"]
    label_columns = [
        frame.get_column(f"{d}_label").fill_null(frame.get_column(f"{d}_code")) for d in dims
    ]
    values = [
        _format_value(v, m)
        for v, m in zip(frame.get_column("value"), frame.get_column("marker"), strict=True)
    ]
    rows = [
        [_cell(v) for v in cells]
        for cells in zip(*label_columns, values, frame.get_column("unit"), strict=True)
    ]
    markers = (
        frame.select("marker", "marker_meaning").drop_nulls("marker").unique(maintain_order=True)
    )
    table = _plain_table(headers, rows, right={len(dims)})
    notes = [f"  {m}: {meaning or '（意味の記載なし）'}" for m, meaning in markers.iter_rows()]
    return table + ("\n記号の意味\n" + "\n".join(notes) if notes else "")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space


def _plain_table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right or set()
    widths = [max([_width(h), *(_width(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def join(cells: list[str]) -> str:
        padded = [_pad(c, widths[i], i in right) for i, c in enumerate(cells)]
        return "  ".join(padded).rstrip()

    return "\n".join([join(headers), "  ".join("-" * w for w in widths), *map(join, rows)])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
