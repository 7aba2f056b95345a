"""e-Stat API v3 (政府統計の総合窓口): client, response parsers, CSV readers and an offline cache.

Everything ends in one *tidy* polars frame, one row per published value:

=====================  =====================================================================
column                 meaning
=====================  =====================================================================
``<dim>_code/_label``  one pair per dimension other than area and time, in the order tab,
                       cat01 … cat15 (e.g. ``tab_code``, ``tab_label``, ``cat01_code`` …)
``area_code``          5-digit e-Stat area code as a string (``03203`` = 大船渡市); null when
                       the source has names only
``area_label``         area name as published (``岩手県 大船渡市`` or bare ``大船渡市``)
``time_code``          10-digit time code ``YYYY F 0 MM mm`` (F=1: 年度)
``time_label``         time name as published (``2020年度``)
``period_kind``        ``year`` | ``fiscal_year`` | ``month`` | ``quarter`` | ``other``
``year``               calendar year (null for a 年度, which spans two calendar years)
``fiscal_year``        年度, April–March, labelled by its start year (null for a calendar year)
``month``, ``quarter`` calendar month 1–12 and calendar quarter 1–4 where the period has them
``unit``               unit of the value (``@unit`` of the value, else of its class)
``value``              Float64; null for special values
``marker``             special character exactly as published (``***``, ``-``, ``X``, ``…``, ``－``)
``marker_meaning``     its meaning from ``DATA_INF.NOTE`` (or the CSV header block)
``annotation``         annotation code of the value (``@annotation``), if any
=====================  =====================================================================

The appId is read only from the environment variable ``ESTAT_APP_ID``; it is never written to
a file, a message or a saved query.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import http.client
import io
import json
import math
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from ebpm import jp
from ebpm.jp import sniff_encoding as _sniff_encoding

__all__ = [
    "APP_ID_ENV",
    "CREDIT",
    "DEFAULT_BASE_URL",
    "LICENCE",
    "PERIOD_KINDS",
    "PUBLISHER",
    "EStatAPIError",
    "EStatClient",
    "EStatConfigError",
    "EStatError",
    "EStatFormatError",
    "EStatHTTPError",
    "EStatResponse",
    "ParsedFile",
    "TableInfo",
    "check_status",
    "default_cache_dir",
    "ensure_list",
    "import_file",
    "load_cache",
    "parse_file",
    "parse_meta_info",
    "parse_notes",
    "parse_stats_data",
    "parse_stats_list",
    "parse_stats_pages",
    "parse_table_info",
    "parse_time_codes",
    "read_estat_csv",
    "read_estat_file",
    "read_provenance",
    "tidy_columns",
]

DEFAULT_BASE_URL = "https://api.e-stat.go.jp/rest/3.0/app/json/"
APP_ID_ENV = "ESTAT_APP_ID"
PUBLISHER = "総務省統計局（政府統計の総合窓口 e-Stat）"
LICENCE = "政府統計の総合窓口(e-Stat)利用規約（CC BY 4.0互換）"
CREDIT = (
    "このサービスは、政府統計総合窓口(e-Stat)のAPI機能を使用していますが、"
    "サービスの内容は国によって保証されたものではありません。"
)
SOURCE_PREFIX = "出典：政府統計の総合窓口(e-Stat)"
PERIOD_KINDS = ("year", "fiscal_year", "month", "quarter", "other")
#: Maximum rows e-Stat returns per request.
MAX_LIMIT = 100_000
SIDECAR_SUFFIX = ".provenance.json"

_API_KINDS = {
    "GET_STATS_DATA": "getStatsData",
    "GET_META_INFO": "getMetaInfo",
    "GET_STATS_LIST": "getStatsList",
}
_VALUE_KINDS = ("getStatsData", "getSimpleStatsData", "download")
_LIST_DIR = "stats_list"
_APP_ID_HELP = (
    f"環境変数 {APP_ID_ENV} にe-StatのアプリケーションIDが設定されていません。"
    "e-Stat（https://www.e-stat.go.jp/api/）でユーザ登録してアプリケーションIDを取得し、"
    f"コマンドを実行する前に設定してください（例: bash では export {APP_ID_ENV}=取得したID、"
    f'PowerShell では $env:{APP_ID_ENV}="取得したID"）。'
    "アプリケーションIDは個人のものです。ファイルやノートブックには書かないでください。"
)

# Fixed tail of every tidy frame; the tab/cat columns come before it.
_TAIL_SCHEMA: dict[str, pl.DataType] = {
    "area_code": pl.String(),
    "area_label": pl.String(),
    "time_code": pl.String(),
    "time_label": pl.String(),
    "period_kind": pl.String(),
    "year": pl.Int32(),
    "fiscal_year": pl.Int32(),
    "month": pl.Int32(),
    "quarter": pl.Int32(),
    "unit": pl.String(),
    "value": pl.Float64(),
    "marker": pl.String(),
    "marker_meaning": pl.String(),
    "annotation": pl.String(),
}


# --------------------------------------------------------------------------- errors


class EStatError(Exception):
    """Base class of this module's errors; the message is Japanese and safe to show."""


class EStatAPIError(EStatError):
    """e-Stat answered with ``STATUS`` >= 100 (its ``ERROR_MSG`` is kept)."""

    def __init__(self, status: int, message: str, url: str | None = None) -> None:
        self.status = status
        self.message = message
        self.url = url
        super().__init__(f"e-Stat API がエラーを返しました（STATUS {status}）: {message}")


class EStatHTTPError(EStatError):
    """The request failed at the HTTP or network level (after retries)."""

    def __init__(self, message: str, http_status: int | None = None) -> None:
        self.http_status = http_status
        super().__init__(message)


class EStatConfigError(EStatError):
    """Missing or misplaced configuration (e.g. no ``ESTAT_APP_ID``)."""


class EStatFormatError(EStatError, ValueError):
    """A response or file that is not a recognisable e-Stat format."""


# --------------------------------------------------------------------------- small helpers


def ensure_list(value: Any) -> list[Any]:
    """Wrap e-Stat's single-element objects into a list.

    >>> ensure_list({"@code": "1"}), ensure_list([1, 2]), ensure_list(None)
    ([{'@code': '1'}], [1, 2], [])
    """
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _text(value: Any) -> str | None:
    """Text of a node that is ``{"@code": …, "$": …}``, a plain string or a number."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = value.get("$")
        if value is None:
            return None
    text = str(value).strip()
    return text or None


def _code(value: Any) -> str | None:
    if isinstance(value, Mapping):
        code = value.get("@code") or value.get("@no")
        return str(code) if code not in (None, "") else None
    return None


def default_cache_dir() -> Path:
    """``data/raw/estat`` of the project (see :mod:`ebpm.paths`)."""
    try:
        from ebpm.paths import RAW
    except ImportError:  # pragma: no cover
        return Path("data/raw/estat")
    return RAW / "estat"


def _redact(text: str, secret: str | None) -> str:
    """Remove an appId from a message or URL."""
    text = re.sub(r"(appId=)[^&\s\"']*", r"\1***", text)
    if secret:
        text = text.replace(secret, "***")
    return text


def _app_id_from_env() -> str | None:
    value = os.environ.get(APP_ID_ENV, "").strip()
    return value or None


def _read_json_source(source: Mapping[str, Any] | str | Path | bytes) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return _decode_json(data, where=None if isinstance(source, bytes) else str(source))


def _decode_json(data: bytes, where: str | None = None) -> Mapping[str, Any]:
    prefix = f"{where}: " if where else ""
    head = data.lstrip()[:200].lower()
    if head.startswith(b"<"):
        status, message = _status_from_xml(data)
        if status is not None and status >= 100:
            raise EStatAPIError(status, message or "")
        raise EStatFormatError(
            f"{prefix}JSON ではなく HTML/XML の応答です"
            "（e-Stat のメンテナンス中か、ダウンロードに失敗した可能性があります）"
        )
    try:
        text = data.decode(_sniff_encoding(data))
        obj = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EStatFormatError(f"{prefix}JSON として読み取れません") from None
    if not isinstance(obj, dict):
        raise EStatFormatError(f"{prefix}e-Stat の JSON 応答ではありません")
    return obj


def _status_from_xml(data: bytes) -> tuple[int | None, str | None]:
    text = data.decode("utf-8", errors="replace")
    status = re.search(r"<STATUS>\s*(\d+)\s*</STATUS>", text)
    message = re.search(r"<ERROR_MSG>(.*?)</ERROR_MSG>", text, re.S)
    return (
        int(status.group(1)) if status else None,
        message.group(1).strip() if message else None,
    )


# --------------------------------------------------------------------------- response anatomy


@dataclass(frozen=True)
class _Parts:
    kind: str
    result: Mapping[str, Any]
    parameter: Mapping[str, Any]
    result_inf: Mapping[str, Any]
    table_inf: Any
    class_inf: Mapping[str, Any] | None
    data_inf: Mapping[str, Any] | None


def _locate(obj: Mapping[str, Any]) -> _Parts:
    """Find RESULT, TABLE_INF, CLASS_INF and DATA_INF in any supported response shape."""
    for key, kind in _API_KINDS.items():
        if key in obj:
            root = obj[key] or {}
            if kind == "getStatsData":
                body = root.get("STATISTICAL_DATA") or {}
            elif kind == "getMetaInfo":
                body = root.get("METADATA_INF") or {}
            else:
                body = root.get("DATALIST_INF") or {}
            return _Parts(
                kind=kind,
                result=root.get("RESULT") or {},
                parameter=root.get("PARAMETER") or {},
                result_inf=body.get("RESULT_INF") or {},
                table_inf=body.get("TABLE_INF"),
                class_inf=body.get("CLASS_INF"),
                data_inf=body.get("DATA_INF"),
            )
    if "STATISTICAL_DATA" in obj:
        return _locate({"GET_STATS_DATA": obj})
    if "METADATA_INF" in obj:
        return _locate({"GET_META_INFO": obj})
    if "DATA_INF" in obj or "VALUE" in obj or "NOTE" in obj or "CLASS_INF" in obj:
        data_inf = obj.get("DATA_INF") or (obj if ("VALUE" in obj or "NOTE" in obj) else None)
        return _Parts(
            kind="getStatsData",
            result=obj.get("RESULT") or {},
            parameter={},
            result_inf=obj.get("RESULT_INF") or {},
            table_inf=obj.get("TABLE_INF"),
            class_inf=obj.get("CLASS_INF"),
            data_inf=data_inf,
        )
    if "CLASS_OBJ" in obj:
        return _Parts("getMetaInfo", {}, {}, {}, None, obj, None)
    raise EStatFormatError(
        "e-Stat API の応答として認識できません"
        "（GET_STATS_DATA / GET_META_INFO / GET_STATS_LIST のいずれもありません）"
    )


def check_status(response: Mapping[str, Any]) -> int:
    """Return ``RESULT.STATUS`` (0 OK, 1 no data, 2 partial) or raise on >= 100.

    Raises
    ------
    EStatAPIError
        When STATUS >= 100, with e-Stat's ``ERROR_MSG``.
    """
    parts = _locate(response)
    status = parts.result.get("STATUS", 0)
    try:
        status = int(status)
    except (TypeError, ValueError):
        raise EStatFormatError(f"STATUS「{status}」が数値ではありません") from None
    if status >= 100:
        raise EStatAPIError(status, str(parts.result.get("ERROR_MSG") or ""))
    return status


# --------------------------------------------------------------------------- table info


@dataclass(frozen=True)
class TableInfo:
    """Description of one statistical table (``TABLE_INF``)."""

    stats_data_id: str | None = None
    stat_code: str | None = None
    stat_name: str | None = None
    gov_org: str | None = None
    statistics_name: str | None = None
    title: str | None = None
    cycle: str | None = None
    survey_date: str | None = None
    open_date: str | None = None
    updated_date: str | None = None
    collect_area: str | None = None
    main_category: str | None = None
    sub_category: str | None = None
    overall_total_number: int | None = None

    @property
    def survey_name(self) -> str | None:
        """統計名: the statistics name, prefixed with STAT_NAME unless it already contains it."""
        stat, name = self.stat_name, self.statistics_name
        if stat and name:
            return name if stat in name else f"{stat} {name}"
        return name or stat

    @property
    def full_title(self) -> str:
        """「統計名 表題」 used in the 出典 line and as the provenance title."""
        parts = [p for p in (self.survey_name, self.title) if p]
        if parts:
            return " ".join(parts)
        return f"統計表 {self.stats_data_id}" if self.stats_data_id else "e-Stat 統計表"

    @property
    def publisher(self) -> str:
        """GOV_ORG (e.g. 総務省), or the e-Stat default."""
        return self.gov_org or PUBLISHER

    @property
    def source_line(self) -> str:
        """出典：政府統計の総合窓口(e-Stat)「統計名 表題」."""
        return f"{SOURCE_PREFIX}「{self.full_title}」"


def parse_table_info(response: Mapping[str, Any] | str | Path) -> TableInfo:
    """``TABLE_INF`` of a getStatsData/getMetaInfo response (or a bare TABLE_INF object)."""
    obj = _read_json_source(response)
    if "@id" in obj or "STAT_NAME" in obj:
        table: Any = obj
        parameter: Mapping[str, Any] = {}
    else:
        parts = _locate(obj)
        tables = ensure_list(parts.table_inf)
        table = tables[0] if tables else {}
        parameter = parts.parameter
    return _table_info_from(table, parameter)


def _table_info_from(table: Mapping[str, Any], parameter: Mapping[str, Any]) -> TableInfo:
    total = table.get("OVERALL_TOTAL_NUMBER")
    try:
        total_number = int(total) if total not in (None, "") else None
    except (TypeError, ValueError):
        total_number = None
    stats_id = table.get("@id") or parameter.get("STATS_DATA_ID")
    return TableInfo(
        stats_data_id=str(stats_id) if stats_id else None,
        stat_code=_code(table.get("STAT_NAME")),
        stat_name=_text(table.get("STAT_NAME")),
        gov_org=_text(table.get("GOV_ORG")),
        statistics_name=_text(table.get("STATISTICS_NAME")),
        title=_text(table.get("TITLE")),
        cycle=_text(table.get("CYCLE")),
        survey_date=_text(table.get("SURVEY_DATE")),
        open_date=_text(table.get("OPEN_DATE")),
        updated_date=_text(table.get("UPDATED_DATE")),
        collect_area=_text(table.get("COLLECT_AREA")),
        main_category=_text(table.get("MAIN_CATEGORY")),
        sub_category=_text(table.get("SUB_CATEGORY")),
        overall_total_number=total_number,
    )


def parse_stats_list(response: Mapping[str, Any] | str | Path) -> pl.DataFrame:
    """getStatsList → one row per table (the same id may repeat, once per COLLECT_AREA)."""
    obj = _read_json_source(response)
    check_status(obj)
    tables = ensure_list(_locate(obj).table_inf)
    schema = {name: pl.String() for name in TableInfo.__dataclass_fields__}
    schema["overall_total_number"] = pl.Int64()
    rows = [asdict(_table_info_from(table, {})) for table in tables]
    return pl.DataFrame(rows, schema=schema)


# --------------------------------------------------------------------------- meta and notes


_CLASS_SCHEMA = {
    "dimension": pl.String(),
    "dimension_name": pl.String(),
    "code": pl.String(),
    "label": pl.String(),
    "level": pl.String(),
    "unit": pl.String(),
    "parent_code": pl.String(),
}
_CLASS_ATTRS = {
    "@code": "code",
    "@name": "label",
    "@level": "level",
    "@unit": "unit",
    "@parentCode": "parent_code",
}


def _string_frame(records: list[Mapping[str, Any]], columns: Mapping[str, str]) -> pl.DataFrame:
    """Frame of string columns from JSON objects; ``columns`` maps JSON keys to names."""
    if not records:
        return pl.DataFrame(schema={name: pl.String() for name in columns.values()})
    keys = sorted(set().union(*(r.keys() for r in records)))
    frame = pl.DataFrame(records, schema={k: pl.String() for k in keys}, strict=False)
    missing = [key for key in columns if key not in frame.columns]
    frame = frame.with_columns([pl.lit(None, pl.String()).alias(key) for key in missing])
    return frame.select([pl.col(key).alias(name) for key, name in columns.items()])


def _classes(class_inf: Mapping[str, Any] | None) -> pl.DataFrame:
    frames = []
    for obj in ensure_list((class_inf or {}).get("CLASS_OBJ")):
        items = ensure_list(obj.get("CLASS"))
        frame = _string_frame(items, _CLASS_ATTRS).with_columns(
            dimension=pl.lit(str(obj.get("@id")), pl.String()),
            dimension_name=pl.lit(obj.get("@name"), pl.String()),
        )
        frames.append(frame.select(list(_CLASS_SCHEMA)))
    if not frames:
        return pl.DataFrame(schema=_CLASS_SCHEMA)
    return pl.concat(frames).with_columns(
        [pl.col(c).replace("", None) for c in ("level", "unit", "parent_code")]
    )


def parse_meta_info(meta_json: Mapping[str, Any] | str | Path) -> pl.DataFrame:
    """``CLASS_INF`` as a frame.

    Columns: ``dimension`` (tab, cat01 …, area, time), ``dimension_name``, ``code``, ``label``,
    ``level`` (null when ``""``), ``unit``, ``parent_code``. Works on getMetaInfo and on
    getStatsData with metadata.
    """
    obj = _read_json_source(meta_json)
    check_status(obj)
    return _classes(_locate(obj).class_inf)


def parse_notes(response: Mapping[str, Any] | str | Path) -> pl.DataFrame:
    """``DATA_INF.NOTE`` as a frame with ``marker`` and ``meaning`` (object or list)."""
    obj = _read_json_source(response)
    return _notes(_locate(obj).data_inf)


def _notes(data_inf: Mapping[str, Any] | None) -> pl.DataFrame:
    notes = ensure_list((data_inf or {}).get("NOTE"))
    return _string_frame(notes, {"@char": "marker", "$": "meaning"}).unique(
        subset="marker", keep="first", maintain_order=True
    )


# --------------------------------------------------------------------------- tidy frame


def _dim_sort_key(dim: str) -> tuple[int, str]:
    if dim == "tab":
        return (0, dim)
    match = re.fullmatch(r"cat(\d+)", dim)
    if match:
        return (1 + int(match.group(1)), dim)
    if dim == "area":
        return (200, dim)
    if dim == "time":
        return (201, dim)
    return (100, dim)


def tidy_columns(dims: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Column order of a tidy frame with the given dimensions.

    >>> tidy_columns(["cat01", "tab", "area", "time"])[:5]
    ['tab_code', 'tab_label', 'cat01_code', 'cat01_label', 'area_code']
    """
    others = sorted((d for d in dims if d not in ("area", "time")), key=_dim_sort_key)
    return [f"{d}_{part}" for d in others for part in ("code", "label")] + list(_TAIL_SCHEMA)


def _period_exprs(code: pl.Expr) -> dict[str, pl.Expr]:
    """Period columns parsed from a 10-digit time code ``YYYY F 0 MM mm``."""
    valid = code.str.contains(r"^\d{4}[01]0\d{4}$").fill_null(False)
    yyyy = code.str.slice(0, 4).cast(pl.Int32, strict=False)
    calendar = code.str.slice(4, 1) == "0"
    first = code.str.slice(6, 2).cast(pl.Int32, strict=False)
    last = code.str.slice(8, 2).cast(pl.Int32, strict=False)
    whole = (first == 0) & (last == 0)
    kind = (
        pl.when(~valid)
        .then(pl.lit("other"))
        .when(whole & calendar)
        .then(pl.lit("year"))
        .when(whole)
        .then(pl.lit("fiscal_year"))
        .when(calendar & (first == last) & first.is_between(1, 12))
        .then(pl.lit("month"))
        .when(calendar & (last - first == 2) & first.is_in([1, 4, 7, 10]))
        .then(pl.lit("quarter"))
        .otherwise(pl.lit("other"))
    )
    dated = kind.is_in(["month", "quarter"])
    return {
        "period_kind": kind,
        "year": pl.when(kind.is_in(["year", "month", "quarter"]) | (valid & calendar)).then(yyyy),
        "fiscal_year": pl.when(kind == "fiscal_year")
        .then(yyyy)
        .when(dated)
        .then(pl.when(first >= 4).then(yyyy).otherwise(yyyy - 1))
        .when(valid & ~calendar)
        .then(yyyy),
        "month": pl.when(kind == "month").then(first),
        "quarter": pl.when(dated).then((first - 1) // 3 + 1),
    }


def parse_time_codes(codes: list[str | None] | pl.Series) -> pl.DataFrame:
    """Parse e-Stat time codes into the period columns of the tidy frame.

    >>> parse_time_codes(["2025100000", "2026000709"]).row(1)
    ('2026000709', 'quarter', 2026, 2026, None, 3)
    """
    frame = pl.DataFrame({"time_code": pl.Series(list(codes), dtype=pl.String())})
    return frame.with_columns(**_period_exprs(pl.col("time_code"))).with_columns(
        [pl.col(c).cast(pl.Int32) for c in ("year", "fiscal_year", "month", "quarter")]
    )


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    stripped = expr.str.strip_chars()
    return pl.when(stripped != "").then(stripped)


def _value_exprs(raw: pl.Expr, note_chars: list[str]) -> dict[str, pl.Expr]:
    """Numeric value and marker from the published string (vectorised ``jp.parse_number``)."""
    text = _blank_to_null(raw)
    _, is_number, value = jp.number_parts(text)
    declared = text.is_in(note_chars).fill_null(False) if note_chars else pl.lit(False)
    return {
        "value": value,
        "marker": pl.when(declared | (text.is_not_null() & ~is_number)).then(text),
    }


def _finish(frame: pl.DataFrame, dims: list[str], notes: pl.DataFrame) -> pl.DataFrame:
    """Common tail: null columns, area code padding, period, value/marker, meaning, order.

    ``frame`` holds ``<dim>_code``/``<dim>_label`` columns plus ``_raw`` (the published
    string), ``_unit`` and optionally ``annotation``.
    """
    every = dict.fromkeys([*dims, "area", "time"])
    wanted = [f"{d}_{p}" for d in every for p in ("code", "label")]
    missing = [c for c in [*wanted, "_raw", "_unit", "annotation"] if c not in frame.columns]
    frame = frame.with_columns([pl.lit(None, pl.String()).alias(c) for c in missing])
    frame = frame.with_columns(
        [_blank_to_null(pl.col(c)).alias(c) for c in [*wanted, "_unit", "annotation"]]
    )
    note_chars = notes.get_column("marker").drop_nulls().to_list()
    area = pl.col("area_code")
    frame = frame.with_columns(
        area_code=pl.when(area.str.contains(r"^\d{1,4}$")).then(area.str.zfill(5)).otherwise(area),
        unit=pl.col("_unit"),
        **_value_exprs(pl.col("_raw"), note_chars),
        **_period_exprs(pl.col("time_code")),
    )
    # Meaning: exact marker first, then the NFKC form (a published "－" declared as "-").
    exact = notes.rename({"meaning": "marker_meaning"}).drop_nulls("marker")
    frame = frame.join(exact, on="marker", how="left", maintain_order="left")
    loose = (
        notes.drop_nulls("marker")
        .select(_key=pl.col("marker").str.normalize("NFKC"), _meaning=pl.col("meaning"))
        .unique(subset="_key", keep="first", maintain_order=True)
    )
    frame = (
        frame.with_columns(_key=pl.col("marker").str.normalize("NFKC"))
        .join(loose, on="_key", how="left", maintain_order="left")
        .with_columns(marker_meaning=pl.coalesce("marker_meaning", "_meaning"))
    )
    columns = tidy_columns(dims)
    return frame.select(
        [
            pl.col(c).cast(_TAIL_SCHEMA.get(c, pl.String()))
            if c in frame.columns
            else pl.lit(None, _TAIL_SCHEMA.get(c, pl.String())).alias(c)
            for c in columns
        ]
    )


def parse_stats_data(
    data_json: Mapping[str, Any] | str | Path,
    meta_json: Mapping[str, Any] | str | Path | None = None,
) -> pl.DataFrame:
    """getStatsData JSON → tidy frame (see the module docstring for the columns).

    Parameters
    ----------
    data_json
        The response (dict, or a path to the JSON file). A bare ``DATA_INF`` object
        (``{"NOTE": …, "VALUE": …}``) is accepted too.
    meta_json
        A getMetaInfo response (or another getStatsData with metadata) whose ``CLASS_INF``
        labels the values when ``data_json`` has none (``metaGetFlg=N``, later pages).

    Returns
    -------
    polars.DataFrame
        One row per value; empty, with the full schema, when STATUS is 1 (no data).

    Raises
    ------
    EStatAPIError
        When the response carries STATUS >= 100.
    """
    obj = _read_json_source(data_json)
    check_status(obj)
    parts = _locate(obj)
    if parts.kind != "getStatsData":
        raise EStatFormatError(f"{parts.kind} の応答です。getStatsData の応答を渡してください")
    class_inf = parts.class_inf
    if not class_inf and meta_json is not None:
        meta_obj = _read_json_source(meta_json)
        check_status(meta_obj)
        class_inf = _locate(meta_obj).class_inf
    classes = _classes(class_inf)
    values = ensure_list((parts.data_inf or {}).get("VALUE"))
    value_keys = {k[1:] for v in values[:1000] for k in v if k.startswith("@")}
    value_keys |= {k[1:] for v in values[-1:] for k in v if k.startswith("@")}
    dims = set(classes.get_column("dimension").unique().to_list()) | (
        value_keys - {"unit", "annotation"}
    )
    dims_sorted = sorted(dims, key=_dim_sort_key)
    columns = {f"@{d}": f"{d}_code" for d in dims_sorted}
    columns |= {"@unit": "_unit_value", "@annotation": "annotation", "$": "_raw"}
    frame = _string_frame(values, columns)
    unit_sources = [pl.col("_unit_value")]
    for dim in dims_sorted:
        lookup = (
            classes.filter(pl.col("dimension") == dim)
            .select(
                pl.col("code").alias(f"{dim}_code"),
                pl.col("label").alias(f"{dim}_label"),
                pl.col("unit").alias(f"_unit_{dim}"),
            )
            .unique(subset=f"{dim}_code", keep="first", maintain_order=True)
        )
        frame = frame.join(lookup, on=f"{dim}_code", how="left", maintain_order="left")
        unit_sources.append(pl.col(f"_unit_{dim}"))
    frame = frame.with_columns(_unit=pl.coalesce(unit_sources))
    return _finish(frame, dims_sorted, _notes(parts.data_inf))


def parse_stats_pages(pages: list[Mapping[str, Any]] | list[EStatResponse]) -> pl.DataFrame:
    """Several getStatsData pages of one table as one tidy frame.

    Later pages fetched with ``metaGetFlg=N`` take their labels from the first page that
    has ``CLASS_INF``.
    """
    datas = [p.data if isinstance(p, EStatResponse) else p for p in pages]
    meta = next((d for d in datas if _locate(d).class_inf), None)
    frames = [parse_stats_data(d, meta) for d in datas]
    if not frames:
        return pl.DataFrame(schema=_TAIL_SCHEMA)
    return pl.concat(frames, how="diagonal_relaxed")


# --------------------------------------------------------------------------- CSV downloads


_INDICATOR = re.compile(
    r"^(?P<code>[A-Za-z]+\d+[A-Za-z0-9]*)_(?P<label>.+?)(?:【(?P<unit>[^】]*)】)?$"
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


def read_estat_csv(
    source: str | Path | bytes,
    *,
    area_code_lookup: Callable[[str, str], str | None] | None = None,
) -> pl.DataFrame:
    """Read an e-Stat CSV into the tidy frame.

    Handles (a) getSimpleStatsData with its header block (``"RESULT"`` … ``"VALUE"``),
    (b) the long layout of database downloads (``tab_code, 表章項目, …, unit, value``) and
    (c) 地域統計 downloads (``調査年, 地域, /項目, A1101_総人口【人】`` with names only).
    The encoding is sniffed (CP932, UTF-8, UTF-8 with BOM).

    Parameters
    ----------
    area_code_lookup
        For 地域統計 files without codes: ``f(prefecture, name) -> code or None`` (e.g.
        ``ebpm.codes.match_municipality``); a 6-digit code loses its check digit. Without it
        ``area_code`` stays null.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    where = None if isinstance(source, bytes) else Path(source).name
    return _parse_csv(data, where, area_code_lookup).frame


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
        return data.decode(_sniff_encoding(data))
    except UnicodeDecodeError:
        prefix = f"{where}: " if where else ""
        raise EStatFormatError(
            f"{prefix}文字コードを判定できません（UTF-8 か Shift_JIS の CSV を指定してください）"
        ) from None


def _parse_csv(
    data: bytes,
    where: str | None,
    area_code_lookup: Callable[[str, str], str | None] | None = None,
) -> ParsedFile:
    text = _decode_csv(data, where)
    prefix = f"{where}: " if where else ""
    first_line = text.split("\n", 1)[0]
    first = next(csv.reader([first_line]), [])
    first = [c.strip() for c in first]
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
    table: dict[str, Any] = {}
    notes: list[dict[str, str]] = []
    result: dict[str, Any] = {}
    for cells in header_rows:
        if not cells:
            continue
        key, rest = cells[0].strip(), [c.strip() for c in cells[1:]]
        if key == "NOTE" and rest:
            notes.append({"@char": rest[0], "$": rest[1] if len(rest) > 1 else ""})
        elif key in ("STATUS", "ERROR_MSG", "DATE") and rest:
            result[key] = rest[0]
        elif key == "TABLE_INF" and rest:
            table["@id"] = rest[0]
        elif key in ("STAT_NAME", "GOV_ORG", "TITLE", "MAIN_CATEGORY", "SUB_CATEGORY") and rest:
            table[key] = {"@code": rest[0], "$": rest[1]} if len(rest) > 1 else rest[0]
        elif rest and key in (
            "STATISTICS_NAME",
            "CYCLE",
            "SURVEY_DATE",
            "OPEN_DATE",
            "UPDATED_DATE",
            "COLLECT_AREA",
            "OVERALL_TOTAL_NUMBER",
        ):
            table[key] = rest[0]
    status = int(result.get("STATUS") or 0)
    if status >= 100:
        raise EStatAPIError(status, str(result.get("ERROR_MSG") or ""))
    frame, names = _parse_long_table(text[offset:], prefix, notes)
    date = str(result.get("DATE") or "")[:10] or None
    return ParsedFile(frame, "getSimpleStatsData", _table_info_from(table, {}), names, date)


def _parse_long_table(
    text: str, prefix: str, notes: list[dict[str, str]] | None = None
) -> tuple[pl.DataFrame, dict[str, str]]:
    """The long table ``<dim>_code, <dim name>, …, unit, value[, annotation]``."""
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    header = [c.strip() for c in next(csv.reader([header_line]), [])]
    if "value" not in header:
        raise EStatFormatError(f"{prefix}value 列が見つかりません（見出し: {header_line[:80]}）")
    names: list[str] = []
    dims: list[str] = []
    dimension_names: dict[str, str] = {}
    for i, column in enumerate(header):
        if column.endswith("_code"):
            dim = column[: -len("_code")]
            dims.append(dim)
            names.append(f"{dim}_code")
        elif i > 0 and header[i - 1].endswith("_code"):
            dim = header[i - 1][: -len("_code")]
            dimension_names[dim] = column
            names.append(f"{dim}_label")
        elif column == "value":
            names.append("_raw")
        elif column == "unit":
            names.append("_unit")
        elif column == "annotation":
            names.append("annotation")
        else:
            names.append(f"_ignored_{i}")
    body = text.lstrip("\r\n").encode("utf-8")
    frame = pl.read_csv(
        io.BytesIO(body),
        has_header=False,
        skip_rows=1,
        new_columns=names,
        infer_schema=False,
        quote_char='"',
    )
    note_frame = _string_frame(notes or [], {"@char": "marker", "$": "meaning"})
    return _finish(frame, dims, note_frame), dimension_names


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


def _lookup_codes(labels: list[str], lookup: Callable[[str, str], str | None]) -> pl.DataFrame:
    """Codes for 「県 市」 labels; prefecture rows from the prefecture list; unmatched → error."""
    from ebpm.codes import PREFECTURES

    prefectures = {name: f"{code}000" for code, name in PREFECTURES.items()}
    codes: list[str | None] = []
    unmatched: list[str] = []
    for label in labels:
        prefecture, name = _split_area_name(label)
        if label == "全国":
            codes.append("00000")
            continue
        if not name and prefecture in prefectures:
            codes.append(prefectures[prefecture])
            continue
        try:
            code = lookup(prefecture, name)
        except (LookupError, ValueError):
            code = None
        code = str(code).strip() if code not in (None, "") else None
        if code and code.isdigit():
            code = code[:5] if len(code) == 6 else code.zfill(5)
        if code is None:
            unmatched.append(label)
        codes.append(code)
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
    lookup: Callable[[str, str], str | None] | None,
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
            _blank_to_null(pl.col("time_code")), _time_code_from_label(pl.col("time_label"))
        )
    )
    if lookup is not None:
        labels = long.get_column("area_label").drop_nulls().unique(maintain_order=True).to_list()
        long = long.join(
            _lookup_codes(labels, lookup), on="area_label", how="left", maintain_order="left"
        ).with_columns(area_code=pl.coalesce(_blank_to_null(pl.col("area_code")), "_looked_up"))
    return _finish(
        long, ["cat01"], pl.DataFrame(schema={"marker": pl.String(), "meaning": pl.String()})
    )


# --------------------------------------------------------------------------- any file


def parse_file(
    path: str | Path,
    meta_json: Mapping[str, Any] | str | Path | None = None,
    area_code_lookup: Callable[[str, str], str | None] | None = None,
) -> ParsedFile:
    """Parse any e-Stat JSON response or CSV download, keeping its table description.

    getStatsData and CSV files give the tidy frame; getMetaInfo gives
    :func:`parse_meta_info`, getStatsList gives :func:`parse_stats_list`.
    """
    path = Path(path)
    data = path.read_bytes()
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
        return _parse_csv(data, path.name, area_code_lookup)
    obj = _decode_json(data, path.name)
    check_status(obj)
    parts = _locate(obj)
    date = str(parts.result.get("DATE") or "")[:10] or None
    if parts.kind == "getStatsList":
        return ParsedFile(parse_stats_list(obj), parts.kind, None, {}, date)
    table = parse_table_info(obj) if parts.table_inf else None
    if parts.kind == "getMetaInfo":
        return ParsedFile(parse_meta_info(obj), parts.kind, table, {}, date)
    meta_obj = _read_json_source(meta_json) if meta_json is not None else None
    frame = parse_stats_data(obj, meta_obj)
    class_source = parts.class_inf or (_locate(meta_obj).class_inf if meta_obj else None)
    names = {
        str(item["@id"]): str(item.get("@name") or item["@id"])
        for item in ensure_list((class_source or {}).get("CLASS_OBJ"))
        if item.get("@id")
    }
    if table is None and meta_obj is not None and _locate(meta_obj).table_inf:
        table = parse_table_info(meta_obj)
    return ParsedFile(frame, "getStatsData", table, names, date)


def read_estat_file(
    path: str | Path,
    *,
    meta_json: Mapping[str, Any] | str | Path | None = None,
    area_code_lookup: Callable[[str, str], str | None] | None = None,
) -> pl.DataFrame:
    """Read a getStatsData JSON or any supported e-Stat CSV into the tidy frame."""
    parsed = parse_file(path, meta_json, area_code_lookup)
    if not parsed.has_values:
        raise EStatFormatError(f"{Path(path).name}: {parsed.layout} の応答には値がありません")
    return parsed.frame


# --------------------------------------------------------------------------- cache


def _safe_id(value: str) -> str:
    cleaned = re.sub(r"[^0-9A-Za-z_.-]+", "_", value).strip("._")
    return cleaned or "unknown"


def _provenance(
    table: TableInfo | None,
    *,
    stats_data_id: str | None,
    kind: str,
    url: str | None,
    query: Mapping[str, str] | None,
    retrieved_at: str,
    sha256: str,
    title: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    table = table or TableInfo(stats_data_id=stats_data_id)
    full_title = title or table.full_title
    record: dict[str, Any] = {
        "title": full_title,
        "publisher": table.publisher,
        "licence": LICENCE,
        "url": url,
        "retrieved_at": retrieved_at,
        "is_sample": False,
        "stats_data_id": stats_data_id,
        "query": dict(query) if query is not None else None,
        "credit": CREDIT,
        "source_line": f"{SOURCE_PREFIX}「{full_title}」",
        "kind": kind,
        "sha256": sha256,
    }
    record.update(extra or {})
    return record


def _write_cached(
    cache_dir: Path,
    stats_data_id: str,
    kind: str,
    body: bytes,
    suffix: str,
    provenance: Mapping[str, Any],
    retrieved_at: str,
) -> Path:
    folder = cache_dir / _safe_id(stats_data_id)
    folder.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(body).hexdigest()
    path = folder / f"{kind}_{retrieved_at.replace('-', '')}_{sha[:8]}{suffix}"
    if not path.exists():
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(path)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    sidecar.write_text(
        json.dumps({**provenance, "sha256": sha}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    return path


def _scrub(body: bytes, secret: str | None) -> tuple[bytes, bool]:
    if secret and secret.encode() in body:
        return body.replace(secret.encode(), b"***"), True
    return body, False


def import_file(
    path: str | Path,
    cache_dir: str | Path | None = None,
    *,
    stats_data_id: str | None = None,
    title: str | None = None,
) -> Path:
    """Copy a browser-downloaded e-Stat JSON or CSV into the cache, with a provenance sidecar.

    The file is parsed first (so a broken or error file is refused), then copied unchanged
    to ``<cache>/<statsDataId>/<kind>_<YYYYMMDD>_<sha8>.<ext>``. Importing the same file
    twice is harmless.

    Parameters
    ----------
    stats_data_id
        Folder name in the cache; defaults to the id in the file, else the file name.
    title
        Title for the 出典 line when the file does not carry one (plain CSV downloads).

    Returns
    -------
    pathlib.Path
        The cached copy.
    """
    source = Path(path)
    if not source.is_file():
        raise EStatFormatError(f"{source}: ファイルが見つかりません")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    body, redacted = _scrub(source.read_bytes(), _app_id_from_env())
    is_json = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")
    table: TableInfo | None
    if is_json:
        obj = _decode_json(body, source.name)
        check_status(obj)
        parts = _locate(obj)
        kind, suffix = parts.kind, ".json"
        if kind == "getStatsData":
            parse_stats_data(obj)  # validates
        table = parse_table_info(obj) if parts.table_inf else None
        retrieved = str(parts.result.get("DATE") or "")[:10] or None
        query = {str(k): str(v) for k, v in parts.parameter.items()} or None
    else:
        parsed = _parse_csv(body, source.name)
        kind = "getSimpleStatsData" if parsed.layout == "getSimpleStatsData" else "download"
        suffix = source.suffix.lower() or ".csv"
        table, retrieved, query = parsed.table, parsed.retrieved, None
    if retrieved is None:
        mtime = dt.datetime.fromtimestamp(source.stat().st_mtime)
        retrieved = mtime.date().isoformat()
    sid = stats_data_id or (table.stats_data_id if table else None) or _safe_id(source.stem)
    title_source = "argument" if title else "file"
    if table is not None and not (table.title or table.statistics_name):
        table = None
    if table is None:  # e.g. values saved without metadata: use the metadata already cached
        meta = _folder_meta(cache / _safe_id(sid))
        if meta is not None and _locate(meta).table_inf:
            table, title_source = parse_table_info(meta), title_source.replace("file", "metadata")
    if table is None and title is None:
        title, title_source = f"e-Stat ダウンロードデータ（{source.name}）", "file name"
    provenance = _provenance(
        table,
        stats_data_id=sid,
        kind=kind,
        url=None,
        query=query,
        retrieved_at=retrieved,
        sha256="",
        title=title,
        extra={
            "title_source": title_source,
            "imported_from": source.name,
            "imported_at": dt.date.today().isoformat(),
            **({"redacted": True} if redacted else {}),
        },
    )
    return _write_cached(cache, sid, kind, body, suffix, provenance, retrieved)


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The provenance sidecar (``<file>.provenance.json``) of a cached file; ``{}`` if none."""
    path = Path(path)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return {}
    try:
        return json.loads(sidecar.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise EStatFormatError(f"{sidecar.name}: 出典情報の JSON が壊れています") from None


def load_cache(cache_dir: str | Path | None = None, *, dedupe: bool = True) -> pl.DataFrame:
    """All cached values (getStatsData JSON and CSV downloads) as one tidy frame.

    Adds ``stats_data_id``, ``source_file`` (path relative to the cache, POSIX) and
    ``retrieved_at``. Pages fetched without metadata take their labels from a getMetaInfo or
    a first page in the same folder. With ``dedupe`` a value fetched more than once (same
    table and dimension codes) is kept only from the most recently retrieved file, so a
    revised figure (速報 → 確定) replaces the old one.

    Raises
    ------
    EStatFormatError
        Naming the file that cannot be read.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    frames: list[pl.DataFrame] = []
    folders = sorted(p for p in cache.iterdir() if p.is_dir()) if cache.is_dir() else []
    for folder in folders:
        files = sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and not p.name.endswith(SIDECAR_SUFFIX) and not p.name.endswith(".tmp")
        )
        meta = _folder_meta(folder)
        for path in files:
            kind = path.name.split("_", 1)[0]
            if kind not in _VALUE_KINDS:
                continue
            rel = path.relative_to(cache).as_posix()
            try:
                frame = parse_file(path, meta).frame
            except EStatError as error:
                raise EStatFormatError(f"{rel}: キャッシュを読み取れません（{error}）") from None
            side = read_provenance(path)
            retrieved = str(side.get("retrieved_at") or "")[:10] or None
            frames.append(
                frame.with_columns(
                    stats_data_id=pl.lit(str(side.get("stats_data_id") or folder.name)),
                    source_file=pl.lit(rel),
                    retrieved_at=pl.lit(retrieved, pl.String()),
                )
            )
    extra = {"stats_data_id": pl.String(), "source_file": pl.String(), "retrieved_at": pl.String()}
    if not frames:
        return pl.DataFrame(schema={c: _TAIL_SCHEMA[c] for c in _TAIL_SCHEMA} | extra)
    combined = pl.concat(frames, how="diagonal_relaxed")
    dims = sorted(
        {c[: -len("_code")] for c in combined.columns if c.endswith("_code")}, key=_dim_sort_key
    )
    combined = combined.select([*tidy_columns(dims), *extra])
    if dedupe:
        keys = ["stats_data_id", *(f"{d}_code" for d in dims), "area_label", "time_label"]
        combined = (
            combined.with_row_index("_row")
            .sort("retrieved_at", descending=True, nulls_last=True, maintain_order=True)
            .unique(subset=keys, keep="first", maintain_order=True)
            .sort("_row")
            .drop("_row")
        )
    return combined


def _folder_meta(folder: Path) -> Mapping[str, Any] | None:
    """The newest getMetaInfo, else the first getStatsData with CLASS_INF, in one folder."""
    if not folder.is_dir():
        return None
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix == ".json" and not p.name.endswith(SIDECAR_SUFFIX)
    )
    for path in sorted((p for p in files if p.name.startswith("getMetaInfo_")), reverse=True):
        return _decode_json(path.read_bytes(), path.name)
    for path in files:
        if path.name.startswith("getStatsData_"):
            obj = _decode_json(path.read_bytes(), path.name)
            if _locate(obj).class_inf:
                return obj
    return None


# --------------------------------------------------------------------------- client


@dataclass(frozen=True)
class EStatResponse:
    """One decoded API response and where it was cached."""

    kind: str
    data: Mapping[str, Any]
    url: str  # without appId
    path: Path | None


class _Progress:
    """A plain-text progress bar on stderr for multi-page downloads."""

    def __init__(self, stream: TextIO | None, label: str) -> None:
        self.stream = stream
        self.label = label
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.shown = False

    def update(self, page: int, rows: int, total_rows: int | None, total_pages: int | None) -> None:
        if self.stream is None:
            return
        if total_rows:
            width = 20
            done = min(width, round(width * rows / total_rows))
            bar = "#" * done + "-" * (width - done)
            pages = f"{page}/{total_pages}" if total_pages else str(page)
            line = f"{self.label}: [{bar}] {pages}ページ {rows:,}/{total_rows:,}件"
        else:
            line = f"{self.label}: {page}ページ {rows:,}件"
        self.stream.write(("\r" + line) if self.tty else (line + "\n"))
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.stream is not None and self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clean_params(params: Mapping[str, Any]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for key, value in params.items():
        if key.lower() == "appid":
            raise EStatConfigError(
                f"appId は引数で渡さず、環境変数 {APP_ID_ENV} に設定してください"
            )
        if value is None:
            continue
        if isinstance(value, list | tuple | set):
            value = ",".join(str(v) for v in value)
        clean[key] = str(value)
    return clean


class EStatClient:
    """Polite e-Stat API v3 client with retries, paging and a raw-response cache.

    The appId comes only from the environment variable ``ESTAT_APP_ID``.

    Parameters
    ----------
    base_url
        Endpoint prefix; ``getStatsData`` etc. are appended (tests point it at a local stub).
    cache_dir
        Where raw responses and their provenance sidecars go (default ``data/raw/estat``).
    min_interval
        Seconds between the starts of two requests (default 1 s).
    max_retries, backoff
        Retries on HTTP 429/5xx and connection errors, waiting ``backoff * 2**n`` seconds
        (or the server's ``Retry-After``, up to 60 s).
    progress
        ``True`` (stderr), ``False``, or a stream for the progress bar of multi-page downloads.

    Raises
    ------
    EStatConfigError
        When ``ESTAT_APP_ID`` is not set.
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        cache_dir: str | Path | None = None,
        min_interval: float = 1.0,
        max_retries: int = 3,
        backoff: float = 2.0,
        timeout: float = 60.0,
        progress: bool | TextIO = True,
    ) -> None:
        app_id = _app_id_from_env()
        if app_id is None:
            raise EStatConfigError(_APP_ID_HELP)
        self.__app_id = app_id
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.min_interval = float(min_interval)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.timeout = float(timeout)
        self.progress = progress
        self._last_request: float | None = None

    def __repr__(self) -> str:
        return f"EStatClient(base_url={self.base_url!r}, cache_dir={str(self.cache_dir)!r})"

    # -- low level -----------------------------------------------------------------------

    def _public_url(self, kind: str, params: Mapping[str, str]) -> str:
        query = urllib.parse.urlencode(params)
        return self.base_url + kind + (f"?{query}" if query else "")

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            wait = self.min_interval - (time.monotonic() - self._last_request)
            if wait > 0:
                time.sleep(wait)
        self._last_request = time.monotonic()

    def _fetch(self, kind: str, params: Mapping[str, str]) -> bytes:
        public_url = self._public_url(kind, params)
        url = self._public_url(kind, {"appId": self.__app_id, **params})
        request = urllib.request.Request(
            url, headers={"User-Agent": "ebpm-estat/0.1 (+offline-first EBPM toolkit)"}
        )
        reason = ""
        for attempt in range(self.max_retries + 1):
            self._wait_turn()
            delay = self.backoff * (2**attempt)
            http_status: int | None = None
            body = b""
            retry_after = ""
            # Errors are raised outside the except clauses, so that no urllib exception
            # (whose attributes hold the full URL with the appId) is chained to ours.
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as error:
                http_status = error.code
                body = error.read() or b""
                retry_after = str((error.headers or {}).get("Retry-After", "") or "")
                error.close()
            except (
                urllib.error.URLError,
                TimeoutError,
                ConnectionError,
                http.client.HTTPException,
            ) as error:
                detail = getattr(error, "reason", None) or error.__class__.__name__
                reason = _redact(str(detail), self.__app_id)
            if http_status is not None:
                self._raise_api_error(_scrub(body, self.__app_id)[0], public_url)
                if http_status != 429 and http_status < 500:
                    raise EStatHTTPError(
                        f"e-Stat が HTTP {http_status} を返しました: {public_url}", http_status
                    )
                reason = f"HTTP {http_status}"
                if retry_after.strip().isdigit():
                    delay = max(delay, min(float(retry_after), 60.0))
            if attempt < self.max_retries:
                time.sleep(delay)
        raise EStatHTTPError(
            f"e-Stat に接続できませんでした（{self.max_retries + 1}回試行、最後の理由: {reason}）。"
            f"ネットワーク接続を確認し、しばらくしてから再実行してください: {public_url}"
        )

    def _raise_api_error(self, body: bytes, public_url: str) -> None:
        """Raise EStatAPIError when an (HTTP error) body carries STATUS >= 100."""
        status: int | None = None
        message: str | None = None
        stripped = body.lstrip()
        if stripped.startswith(b"<"):
            status, message = _status_from_xml(body)
        elif stripped.startswith(b"{"):
            try:
                obj = json.loads(body.decode("utf-8", errors="replace"))
                result = _locate(obj).result
                status = int(result.get("STATUS")) if "STATUS" in result else None
                message = str(result.get("ERROR_MSG") or "")
            except (json.JSONDecodeError, EStatFormatError, TypeError, ValueError):
                status = None
        if status is not None and status >= 100:
            raise EStatAPIError(status, _redact(message or "", self.__app_id), public_url)

    def request(self, kind: str, params: Mapping[str, Any]) -> EStatResponse:
        """One API call: rate limit, retries, STATUS check, then cache the raw body.

        Raises
        ------
        EStatAPIError
            STATUS >= 100 (also when it arrives with HTTP 403).
        EStatHTTPError
            Network or HTTP failure after the retries.
        """
        clean = _clean_params(params)
        public_url = self._public_url(kind, clean)
        raw = self._fetch(kind, clean)
        body, redacted = _scrub(raw, self.__app_id)
        self._raise_api_error(body, public_url)
        try:
            obj = _decode_json(body)
        except EStatAPIError as error:
            raise EStatAPIError(error.status, error.message, public_url) from None
        except EStatFormatError as error:
            raise EStatFormatError(f"{error}: {public_url}") from None
        parts = _locate(obj)
        table = None
        if parts.table_inf and kind != "getStatsList":
            table = parse_table_info(obj)
        stats_id = clean.get("statsDataId") or (table.stats_data_id if table else None)
        folder = stats_id or _LIST_DIR
        retrieved = dt.date.today().isoformat()
        sha = hashlib.sha256(body).hexdigest()
        title = "e-Stat 統計表の検索結果（getStatsList）" if kind == "getStatsList" else None
        provenance = _provenance(
            table,
            stats_data_id=stats_id,
            kind=kind,
            url=public_url,
            query=clean,
            retrieved_at=retrieved,
            sha256=sha,
            title=title,
            extra={"status": int(parts.result.get("STATUS", 0) or 0)}
            | ({"redacted": True} if redacted else {}),
        )
        path = _write_cached(self.cache_dir, folder, kind, body, ".json", provenance, retrieved)
        return EStatResponse(kind=kind, data=obj, url=public_url, path=path)

    def _progress_stream(self) -> TextIO | None:
        if self.progress is True:
            return sys.stderr
        if self.progress is False or self.progress is None:
            return None
        return self.progress

    def iter_pages(
        self, kind: str, params: Mapping[str, Any], *, max_rows: int | None = None
    ) -> Iterator[EStatResponse]:
        """Follow ``NEXT_KEY`` via ``startPosition`` until it is absent (or ``max_rows``).

        With ``max_rows`` the ``limit`` of each request is cut so that no more rows than
        asked for are downloaded. Later getStatsData pages are requested without metadata.
        """
        params = _clean_params(params)
        if max_rows is not None and max_rows < 1:
            raise ValueError("max_rows は 1 以上を指定してください")
        page_size = min(int(params.get("limit") or MAX_LIMIT), MAX_LIMIT)
        start = int(params["startPosition"]) if params.get("startPosition") else None
        bar = _Progress(self._progress_stream(), f"e-Stat {params.get('statsDataId') or kind}")
        fetched = page = 0
        expected_rows: int | None = None
        expected_pages: int | None = None
        try:
            while True:
                query = dict(params)
                if start is not None:
                    query["startPosition"] = str(start)
                if max_rows is not None:
                    query["limit"] = str(min(page_size, max_rows - fetched))
                if page and kind == "getStatsData":
                    query["metaGetFlg"] = "N"  # labels come from the first page
                response = self.request(kind, query)
                page += 1
                yield response
                info = _locate(response.data).result_inf
                first, last = info.get("FROM_NUMBER"), info.get("TO_NUMBER")
                if first is not None and last is not None:
                    fetched += int(last) - int(first) + 1
                if page == 1 and info.get("TOTAL_NUMBER") is not None:
                    expected_rows = int(info["TOTAL_NUMBER"]) - int(first or 1) + 1
                    if max_rows is not None:
                        expected_rows = min(expected_rows, max_rows)
                    # the server may cap a page below the requested limit
                    per_page = int(last) - int(first) + 1 if first and last else page_size
                    per_page = max(1, min(per_page, page_size))
                    expected_pages = math.ceil(expected_rows / per_page) if expected_rows else None
                next_key = info.get("NEXT_KEY")
                done = not next_key or (max_rows is not None and fetched >= max_rows)
                if page > 1 or not done:
                    bar.update(page, fetched, expected_rows, expected_pages)
                if done:
                    break
                if start is not None and int(next_key) <= start:
                    raise EStatFormatError(f"NEXT_KEY {next_key} が進みません: {response.url}")
                start = int(next_key)
        finally:
            bar.close()

    # -- endpoints -----------------------------------------------------------------------

    def get_stats_list(self, **params: Any) -> pl.DataFrame:
        """getStatsList (``searchWord``, ``statsCode``, ``collectArea`` …), all pages."""
        frames = [parse_stats_list(r.data) for r in self.iter_pages("getStatsList", params)]
        return pl.concat(frames) if frames else parse_stats_list({"GET_STATS_LIST": {}})

    def get_meta_info(self, stats_data_id: str, **params: Any) -> Mapping[str, Any]:
        """getMetaInfo of one table (raw JSON; see :func:`parse_meta_info`)."""
        return self.request("getMetaInfo", {"statsDataId": stats_data_id, **params}).data

    def fetch_stats_data(
        self, stats_data_id: str, *, max_rows: int | None = None, **params: Any
    ) -> list[EStatResponse]:
        """getStatsData, every page cached; filters as e-Stat names them (``cdArea`` …)."""
        query = {"statsDataId": stats_data_id, "metaGetFlg": "Y", **params}
        return list(self.iter_pages("getStatsData", query, max_rows=max_rows))

    def get_stats_data(
        self, stats_data_id: str, *, max_rows: int | None = None, **params: Any
    ) -> pl.DataFrame:
        """getStatsData as one tidy frame (all pages, labelled from the first page)."""
        return parse_stats_pages(self.fetch_stats_data(stats_data_id, max_rows=max_rows, **params))
