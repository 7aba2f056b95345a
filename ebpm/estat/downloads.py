"""Files on disk: e-Stat CSV downloads (three layouts) and any e-Stat file by its content.

CSV layouts handled, with the encoding sniffed (CP932, UTF-8, UTF-8 with BOM):

- getSimpleStatsData with its header block (``"RESULT"`` … ``"VALUE"``), then the long table;
- the long layout of database downloads (``tab_code, 表章項目, …, unit, value``);
- 地域統計 (都道府県・市区町村のすがた) downloads: ``調査年, 地域, /項目, A1101_総人口【人】``,
  with area names only (codes are attached from a code list when one is given).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from ebpm.estat.errors import EStatAPIError, EStatFormatError
from ebpm.estat.responses import (
    TableInfo,
    check_status,
    decode_json,
    dimension_names,
    locate,
    parse_meta_info,
    parse_stats_list,
    parse_table_info,
    read_json_source,
    read_limited,
    retrieved_date,
    string_frame,
    table_info_from,
)
from ebpm.estat.tidy import blank_to_null, finish, parse_stats_data
from ebpm.jp import sniff_encoding

__all__ = ["ParsedFile", "parse_file", "read_estat_csv", "read_estat_file"]

AreaLookup = Callable[[str, str], str | None]

_INDICATOR: Final = re.compile(
    r"^(?P<code>[A-Za-z]+\d+[A-Za-z0-9]*)_(?P<label>.+?)(?:【(?P<unit>[^】]*)】)?$"
)
_TABLE_KEYS: Final = ("STAT_NAME", "GOV_ORG", "TITLE", "MAIN_CATEGORY", "SUB_CATEGORY")
_TABLE_TEXT_KEYS: Final = (
    "STATISTICS_NAME",
    "CYCLE",
    "SURVEY_DATE",
    "OPEN_DATE",
    "UPDATED_DATE",
    "COLLECT_AREA",
    "OVERALL_TOTAL_NUMBER",
)


@dataclass(frozen=True)
class ParsedFile:
    """A parsed e-Stat file: its frame plus what the file says about itself."""

    frame: pl.DataFrame
    #: getStatsData | getSimpleStatsData | download | regional | getMetaInfo | getStatsList
    layout: str
    table: TableInfo | None
    #: dimension id → its name in the source (``area`` → ``地域``)
    dimension_names: dict[str, str]
    #: date of e-Stat's response (``RESULT.DATE``), ``YYYY-MM-DD``, when the file has it
    retrieved: str | None = None

    @property
    def has_values(self) -> bool:
        """True for value files (the frame is tidy), False for metadata and table lists."""
        return self.layout not in ("getMetaInfo", "getStatsList")


def is_json(data: bytes) -> bool:
    """True when the bytes start (after a BOM and blanks) like a JSON document."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


# --------------------------------------------------------------------------- CSV


def read_estat_csv(
    source: str | Path | bytes,
    *,
    area_code_lookup: AreaLookup | None = None,
) -> pl.DataFrame:
    """Read an e-Stat CSV (any of the three layouts) into the tidy frame.

    Parameters
    ----------
    source
        A path, or the file's bytes.
    area_code_lookup
        For 地域統計 files without codes: ``f(prefecture, name) -> code or None`` (e.g.
        ``ebpm.codes.match_municipality``); a 6-digit code loses its check digit. Without it
        ``area_code`` stays null.
    """
    data = source if isinstance(source, bytes) else read_limited(source)
    where = None if isinstance(source, bytes) else Path(source).name
    return parse_csv(data, where, area_code_lookup).frame


def _check_binary(data: bytes, where: str | None) -> None:
    prefix = f"{where}: " if where else ""
    if data.startswith(b"PK"):
        raise EStatFormatError(
            f"{prefix}ZIP 形式のファイルです。展開してから CSV を指定してください"
        )
    head = data.lstrip()[:200].lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        raise EStatFormatError(
            f"{prefix}CSV ではなく HTML/XML のページです（ダウンロードに失敗した可能性があります）"
        )


def _decode_csv(data: bytes, where: str | None) -> str:
    _check_binary(data, where)
    try:
        return data.decode(sniff_encoding(data))
    except UnicodeDecodeError:
        prefix = f"{where}: " if where else ""
        raise EStatFormatError(
            f"{prefix}文字コードを判定できません（UTF-8 か Shift_JIS の CSV を指定してください）"
        ) from None


def parse_csv(
    data: bytes, where: str | None, area_code_lookup: AreaLookup | None = None
) -> ParsedFile:
    """Recognise the CSV layout from its first line and parse it."""
    from ebpm import limits

    try:
        limits.check_csv(data, where or "CSV", limits.ESTAT_FILE)
    except limits.LimitError as error:
        raise EStatFormatError(str(error)) from None
    text = _decode_csv(data, where)
    prefix = f"{where}: " if where else ""
    first_line = text.split("\n", 1)[0]
    first = [c.strip() for c in next(csv.reader([first_line]), [])]
    if first[:1] == ["RESULT"] or first[:1] == ["TABLE_INF"]:
        return _parse_simple_csv(text, prefix)
    if any(c.endswith("_code") for c in first) and "value" in first:
        frame, names = _parse_long_table(text, prefix)
        return ParsedFile(frame, "download", None, names)
    compact = [c.replace(" ", "").replace("　", "") for c in first]
    if "地域" in compact and any(_INDICATOR.match(c) for c in first):
        frame = _parse_regional(text, compact, area_code_lookup, prefix)
        names = {"cat01": "項目", "area": "地域", "time": "調査年"}
        return ParsedFile(frame, "regional", None, names)
    raise EStatFormatError(
        f"{prefix}e-Stat の CSV として認識できません（1行目: {first_line[:80]}）"
    )


def _parse_simple_csv(text: str, prefix: str) -> ParsedFile:
    """getSimpleStatsData with ``sectionHeaderFlg=1``: header block, ``"VALUE"``, table."""
    offset = 0
    header_rows: list[list[str]] = []
    for line in io.StringIO(text):
        offset += len(line)
        cells = next(csv.reader([line]), [])
        if cells and cells[0].strip() == "VALUE" and not any(c.strip() for c in cells[1:]):
            break
        header_rows.append(cells)
    else:
        raise EStatFormatError(f'{prefix}ヘッダ部の終わり（"VALUE" の行）が見つかりません')
    table, declared, result = _header_block(header_rows)
    status = int(result.get("STATUS") or 0)
    if status >= 100:
        raise EStatAPIError(status, str(result.get("ERROR_MSG") or ""))
    frame, names = _parse_long_table(text[offset:], prefix, declared)
    date = str(result.get("DATE") or "")[:10] or None
    return ParsedFile(frame, "getSimpleStatsData", table_info_from(table, {}), names, date)


def _header_block(
    rows: list[list[str]],
) -> tuple[dict[str, Any], list[dict[str, str]], dict[str, Any]]:
    """TABLE_INF (as the JSON would have it), NOTE entries and RESULT of the header block."""
    table: dict[str, Any] = {}
    declared: list[dict[str, str]] = []
    result: dict[str, Any] = {}
    for cells in rows:
        if not cells:
            continue
        key, rest = cells[0].strip(), [c.strip() for c in cells[1:]]
        if not rest:
            continue
        if key == "NOTE":
            declared.append({"@char": rest[0], "$": rest[1] if len(rest) > 1 else ""})
        elif key in ("STATUS", "ERROR_MSG", "DATE"):
            result[key] = rest[0]
        elif key == "TABLE_INF":
            table["@id"] = rest[0]
        elif key in _TABLE_KEYS:
            table[key] = {"@code": rest[0], "$": rest[1]} if len(rest) > 1 else rest[0]
        elif key in _TABLE_TEXT_KEYS:
            table[key] = rest[0]
    return table, declared, result


def _long_names(header: list[str]) -> tuple[list[str], list[str], dict[str, str]]:
    """Column names, dimensions and dimension names of a long table's header."""
    names: list[str] = []
    dims: list[str] = []
    names_in_source: dict[str, str] = {}
    for i, column in enumerate(header):
        if column.endswith("_code"):
            dim = column[: -len("_code")]
            dims.append(dim)
            names.append(f"{dim}_code")
        elif i > 0 and header[i - 1].endswith("_code"):
            dim = header[i - 1][: -len("_code")]
            names_in_source[dim] = column
            names.append(f"{dim}_label")
        elif column == "value":
            names.append("_raw")
        elif column == "unit":
            names.append("_unit")
        elif column == "annotation":
            names.append("annotation")
        else:
            names.append(f"_ignored_{i}")
    return names, dims, names_in_source


def _parse_long_table(
    text: str, prefix: str, declared: list[dict[str, str]] | None = None
) -> tuple[pl.DataFrame, dict[str, str]]:
    """The long table ``<dim>_code, <dim name>, …, unit, value[, annotation]``."""
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    header = [c.strip() for c in next(csv.reader([header_line]), [])]
    if "value" not in header:
        raise EStatFormatError(f"{prefix}value 列が見つかりません（見出し: {header_line[:80]}）")
    names, dims, names_in_source = _long_names(header)
    body = text.lstrip("\r\n").encode("utf-8")
    frame = pl.read_csv(
        io.BytesIO(body),
        has_header=False,
        skip_rows=1,
        new_columns=names,
        infer_schema=False,
        quote_char='"',
    )
    note_frame = string_frame(declared or [], {"@char": "marker", "$": "meaning"})
    return finish(frame, dims, note_frame), names_in_source


# --------------------------------------------------------------------------- regional CSV


def _time_code_from_label(label: pl.Expr) -> pl.Expr:
    """Time code from a label (2020年度 → 2020100000, 2020年4月 → 2020000404)."""
    norm = label.str.normalize("NFKC").str.replace_all(r"\s", "")
    fiscal = norm.str.extract(r"^(\d{4})年度$", 1)
    calendar = norm.str.extract(r"^(\d{4})年$", 1)
    month_year = norm.str.extract(r"^(\d{4})年(\d{1,2})月$", 1)
    month = norm.str.extract(r"^(\d{4})年(\d{1,2})月$", 2).str.zfill(2)
    return (
        pl.when(fiscal.is_not_null())
        .then(fiscal + "100000")
        .when(calendar.is_not_null())
        .then(calendar + "000000")
        .when(month_year.is_not_null())
        .then(month_year + "00" + month + month)
    )


def _split_area_name(label: str) -> tuple[str, str]:
    parts = re.split(r"[\s　]+", label.strip(), maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")


def _area_code(label: str, lookup: AreaLookup, prefectures: Mapping[str, str]) -> str | None:
    """Code of one 「県 市」 label: 全国, a prefecture, else the lookup (6 digits cut to 5)."""
    prefecture, name = _split_area_name(label)
    if label == "全国":
        return "00000"
    if not name and prefecture in prefectures:
        return prefectures[prefecture]
    try:
        code = lookup(prefecture, name)
    except (LookupError, ValueError):
        code = None
    code = str(code).strip() if code not in (None, "") else None
    if code and code.isdigit():
        code = code[:5] if len(code) == 6 else code.zfill(5)
    return code


def _lookup_codes(labels: list[str], lookup: AreaLookup) -> pl.DataFrame:
    """Codes for 「県 市」 labels; prefecture rows from the prefecture list; unmatched → error."""
    from ebpm.codes import PREFECTURES

    prefectures = {name: f"{code}000" for code, name in PREFECTURES.items()}
    codes = [_area_code(label, lookup, prefectures) for label in labels]
    unmatched = [label for label, code in zip(labels, codes, strict=True) if code is None]
    if unmatched:
        listed = "、".join(unmatched[:10]) + (
            f" ほか{len(unmatched) - 10}件" if len(unmatched) > 10 else ""
        )
        raise EStatFormatError(
            f"地域名から団体コードを付けられませんでした（{len(unmatched)}件）: {listed}"
            "（都道府県名と市区町村名の組で照合しています。団体の一覧に含まれているか確かめてください）"
        )
    return pl.DataFrame(
        {"area_label": labels, "_looked_up": codes},
        schema={"area_label": pl.String(), "_looked_up": pl.String()},
    )


def _parse_regional(
    text: str,
    compact_header: list[str],
    lookup: AreaLookup | None,
    prefix: str,
) -> pl.DataFrame:
    """地域統計 (都道府県・市区町村のすがた) download: names only, indicators as columns."""
    frame = pl.read_csv(
        io.BytesIO(text.encode("utf-8")),
        has_header=False,
        skip_rows=1,
        new_columns=[f"c{i}" for i in range(len(compact_header))],
        infer_schema=False,
    )
    position = {name: f"c{i}" for i, name in enumerate(compact_header)}
    indicators = {
        f"c{i}": m for i, name in enumerate(compact_header) if (m := _INDICATOR.match(name))
    }
    if "調査年" not in position:
        raise EStatFormatError(f"{prefix}「調査年」列が見つかりません")
    ids = {
        "time_label": position["調査年"],
        "area_label": position["地域"],
        "time_code": position.get("調査年コード"),
        "area_code": position.get("地域コード"),
    }
    base = frame.select(
        [
            (pl.col(col) if col else pl.lit(None, pl.String())).alias(name)
            for name, col in ids.items()
        ]
        + [pl.col(col) for col in indicators]
    )
    long = base.unpivot(
        index=list(ids), on=list(indicators), variable_name="_column", value_name="_raw"
    )
    catalogue = pl.DataFrame(
        {
            "_column": list(indicators),
            "cat01_code": [m["code"] for m in indicators.values()],
            "cat01_label": [m["label"] for m in indicators.values()],
            "_unit": [m["unit"] for m in indicators.values()],
        },
        schema={k: pl.String() for k in ("_column", "cat01_code", "cat01_label", "_unit")},
    )
    long = long.join(catalogue, on="_column", how="left", maintain_order="left").with_columns(
        time_code=pl.coalesce(
            blank_to_null(pl.col("time_code")), _time_code_from_label(pl.col("time_label"))
        )
    )
    if lookup is not None:
        labels = long.get_column("area_label").drop_nulls().unique(maintain_order=True).to_list()
        long = long.join(
            _lookup_codes(labels, lookup), on="area_label", how="left", maintain_order="left"
        ).with_columns(area_code=pl.coalesce(blank_to_null(pl.col("area_code")), "_looked_up"))
    return finish(
        long, ["cat01"], pl.DataFrame(schema={"marker": pl.String(), "meaning": pl.String()})
    )


# --------------------------------------------------------------------------- any file


def parse_file(
    path: str | Path,
    meta_json: Mapping[str, Any] | str | Path | None = None,
    area_code_lookup: AreaLookup | None = None,
) -> ParsedFile:
    """Parse any e-Stat JSON response or CSV download, keeping its table description.

    getStatsData and CSV files give the tidy frame; getMetaInfo gives
    :func:`~ebpm.estat.parse_meta_info`, getStatsList gives
    :func:`~ebpm.estat.parse_stats_list`.
    """
    path = Path(path)
    data = read_limited(path)
    if not is_json(data):
        return parse_csv(data, path.name, area_code_lookup)
    obj = decode_json(data, path.name)
    check_status(obj)
    parts = locate(obj)
    date = retrieved_date(parts)
    if parts.kind == "getStatsList":
        return ParsedFile(parse_stats_list(obj), parts.kind, None, {}, date)
    table = parse_table_info(obj) if parts.table_inf else None
    if parts.kind == "getMetaInfo":
        return ParsedFile(parse_meta_info(obj), parts.kind, table, {}, date)
    meta_obj = read_json_source(meta_json) if meta_json is not None else None
    frame = parse_stats_data(obj, meta_obj)
    class_source = parts.class_inf or (locate(meta_obj).class_inf if meta_obj else None)
    if table is None and meta_obj is not None and locate(meta_obj).table_inf:
        table = parse_table_info(meta_obj)
    return ParsedFile(frame, "getStatsData", table, dimension_names(class_source), date)


def read_estat_file(
    path: str | Path,
    *,
    meta_json: Mapping[str, Any] | str | Path | None = None,
    area_code_lookup: AreaLookup | None = None,
) -> pl.DataFrame:
    """Read a getStatsData JSON or any supported e-Stat CSV into the tidy frame."""
    parsed = parse_file(path, meta_json, area_code_lookup)
    if not parsed.has_values:
        raise EStatFormatError(f"{Path(path).name}: {parsed.layout} の応答には値がありません")
    return parsed.frame
