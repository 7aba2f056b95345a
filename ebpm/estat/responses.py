"""Anatomy of e-Stat API v3 JSON responses: status, table description, classes and notes.

getStatsData, getMetaInfo and getStatsList wrap the same parts in different envelopes
(``GET_STATS_DATA.STATISTICAL_DATA``, ``GET_META_INFO.METADATA_INF``,
``GET_STATS_LIST.DATALIST_INF``); :func:`locate` finds them in any of these, in the bare
objects people save by hand, and in single-element objects that e-Stat does not wrap in a
list (:func:`ensure_list`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl

from ebpm.estat.errors import EStatAPIError, EStatFormatError
from ebpm.jp import sniff_encoding

__all__ = [
    "CREDIT",
    "LICENCE",
    "PUBLISHER",
    "EStatResponse",
    "TableInfo",
    "check_status",
    "ensure_list",
    "parse_meta_info",
    "parse_notes",
    "parse_stats_list",
    "parse_table_info",
]

PUBLISHER: Final = "総務省統計局（政府統計の総合窓口 e-Stat）"
LICENCE: Final = "政府統計の総合窓口(e-Stat)利用規約（CC BY 4.0互換）"
#: The notice e-Stat's terms require wherever API data is shown.
CREDIT: Final = (
    "このサービスは、政府統計総合窓口(e-Stat)のAPI機能を使用していますが、"
    "サービスの内容は国によって保証されたものではありません。"
)
SOURCE_PREFIX: Final = "出典：政府統計の総合窓口(e-Stat)"

_API_KINDS: Final = {
    "GET_STATS_DATA": "getStatsData",
    "GET_META_INFO": "getMetaInfo",
    "GET_STATS_LIST": "getStatsList",
}
_BODIES: Final = {
    "getStatsData": "STATISTICAL_DATA",
    "getMetaInfo": "METADATA_INF",
    "getStatsList": "DATALIST_INF",
}

Source = Mapping[str, Any] | str | Path


@dataclass(frozen=True)
class EStatResponse:
    """One decoded API response, and where the cache keeps it (``path``, once stored)."""

    kind: str
    data: Mapping[str, Any]
    url: str  # without appId
    path: Path | None = None
    #: the body as received, appId scrubbed: what the cache stores byte for byte
    body: bytes = field(default=b"", repr=False, compare=False)
    #: the request parameters, without appId
    query: Mapping[str, str] = field(default_factory=dict)
    #: date of the request, ``YYYY-MM-DD``
    retrieved_at: str = ""
    #: True when the appId had to be removed from the body
    redacted: bool = False


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


def string_frame(records: Sequence[Mapping[str, Any]], columns: Mapping[str, str]) -> pl.DataFrame:
    """Frame of string columns from JSON objects; ``columns`` maps JSON keys to names."""
    if not records:
        return pl.DataFrame(schema={name: pl.String() for name in columns.values()})
    keys = sorted(set().union(*(r.keys() for r in records)))
    frame = pl.DataFrame(records, schema={k: pl.String() for k in keys}, strict=False)
    missing = [key for key in columns if key not in frame.columns]
    frame = frame.with_columns([pl.lit(None, pl.String()).alias(key) for key in missing])
    return frame.select([pl.col(key).alias(name) for key, name in columns.items()])


# --------------------------------------------------------------------------- decoding


def read_limited(path: str | Path) -> bytes:
    """The bytes of an e-Stat file, refused before loading when it is too large to read.

    Raises
    ------
    EStatFormatError
        Naming the file: a folder, a device, or more than the e-Stat file limit.
    """
    from ebpm import limits

    path = Path(path)
    try:
        return limits.read_bytes(path, path.name, limits.ESTAT_FILE)
    except limits.LimitError as error:
        raise EStatFormatError(str(error)) from None


def read_json_source(source: Source | bytes) -> Mapping[str, Any]:
    """A response given as a decoded object, a JSON file path, or the raw bytes."""
    if isinstance(source, Mapping):
        return source
    data = source if isinstance(source, bytes) else read_limited(source)
    return decode_json(data, where=None if isinstance(source, bytes) else str(source))


def decode_json(data: bytes, where: str | None = None) -> Mapping[str, Any]:
    """Decode a response body; an XML error page becomes :class:`EStatAPIError`.

    Raises
    ------
    EStatAPIError
        For an XML body with STATUS >= 100.
    EStatFormatError
        For anything else that is not a JSON object (HTML maintenance pages included).
    """
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
        text = data.decode(sniff_encoding(data))
        obj = json.loads(text)
    except RecursionError:  # [[[[… a million deep: refused, never a crash
        raise EStatFormatError(f"{prefix}JSON の入れ子が深すぎて読み取れません") from None
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


def error_status(body: bytes) -> tuple[int, str] | None:
    """``(STATUS, ERROR_MSG)`` when a JSON or XML body reports STATUS >= 100, else None.

    Used on bodies that arrive with an HTTP error code too (e-Stat answers a bad appId
    with HTTP 403 and a STATUS in the body).
    """
    status: int | None = None
    message: str | None = None
    stripped = body.lstrip()
    if stripped.startswith(b"<"):
        status, message = _status_from_xml(body)
    elif stripped.startswith(b"{"):
        try:
            obj = json.loads(body.decode("utf-8", errors="replace"))
            result = locate(obj).result
            status = int(result["STATUS"]) if "STATUS" in result else None
            message = str(result.get("ERROR_MSG") or "")
        except (json.JSONDecodeError, EStatFormatError, TypeError, ValueError, RecursionError):
            status = None
    if status is not None and status >= 100:
        return status, message or ""
    return None


# --------------------------------------------------------------------------- envelope


@dataclass(frozen=True)
class Parts:
    """The parts of one response, whatever its envelope."""

    kind: str
    result: Mapping[str, Any]
    parameter: Mapping[str, Any]
    result_inf: Mapping[str, Any]
    table_inf: Any
    class_inf: Mapping[str, Any] | None
    data_inf: Mapping[str, Any] | None


def locate(obj: Mapping[str, Any]) -> Parts:
    """Find RESULT, TABLE_INF, CLASS_INF and DATA_INF in any supported response shape."""
    for key, kind in _API_KINDS.items():
        if key in obj:
            root = obj[key] or {}
            body = root.get(_BODIES[kind]) or {}
            return Parts(
                kind=kind,
                result=root.get("RESULT") or {},
                parameter=root.get("PARAMETER") or {},
                result_inf=body.get("RESULT_INF") or {},
                table_inf=body.get("TABLE_INF"),
                class_inf=body.get("CLASS_INF"),
                data_inf=body.get("DATA_INF"),
            )
    if "STATISTICAL_DATA" in obj:
        return locate({"GET_STATS_DATA": obj})
    if "METADATA_INF" in obj:
        return locate({"GET_META_INFO": obj})
    if "DATA_INF" in obj or "VALUE" in obj or "NOTE" in obj or "CLASS_INF" in obj:
        data_inf = obj.get("DATA_INF") or (obj if ("VALUE" in obj or "NOTE" in obj) else None)
        return Parts(
            kind="getStatsData",
            result=obj.get("RESULT") or {},
            parameter={},
            result_inf=obj.get("RESULT_INF") or {},
            table_inf=obj.get("TABLE_INF"),
            class_inf=obj.get("CLASS_INF"),
            data_inf=data_inf,
        )
    if "CLASS_OBJ" in obj:
        return Parts("getMetaInfo", {}, {}, {}, None, obj, None)
    raise EStatFormatError(
        "e-Stat API の応答として認識できません"
        "（GET_STATS_DATA / GET_META_INFO / GET_STATS_LIST のいずれもありません）"
    )


def retrieved_date(parts: Parts) -> str | None:
    """Date of e-Stat's answer (``RESULT.DATE``) as ``YYYY-MM-DD``, when the response has it."""
    return str(parts.result.get("DATE") or "")[:10] or None


def check_status(response: Mapping[str, Any]) -> int:
    """Return ``RESULT.STATUS`` (0 OK, 1 no data, 2 partial) or raise on >= 100.

    Raises
    ------
    EStatAPIError
        When STATUS >= 100, with e-Stat's ``ERROR_MSG``.
    """
    parts = locate(response)
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
        return table_source_line(self.full_title)


def table_source_line(title: str) -> str:
    """The 出典 line of an e-Stat table.

    >>> table_source_line("国勢調査 人口等基本集計")
    '出典：政府統計の総合窓口(e-Stat)「国勢調査 人口等基本集計」'
    """
    return f"{SOURCE_PREFIX}「{title}」"


def parse_table_info(response: Source) -> TableInfo:
    """``TABLE_INF`` of a getStatsData/getMetaInfo response (or a bare TABLE_INF object)."""
    obj = read_json_source(response)
    if "@id" in obj or "STAT_NAME" in obj:
        table: Any = obj
        parameter: Mapping[str, Any] = {}
    else:
        parts = locate(obj)
        tables = ensure_list(parts.table_inf)
        table = tables[0] if tables else {}
        parameter = parts.parameter
    return table_info_from(table, parameter)


def table_info_from(table: Mapping[str, Any], parameter: Mapping[str, Any]) -> TableInfo:
    """:class:`TableInfo` from one ``TABLE_INF`` object (the id may come from the request)."""
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


def parse_stats_list(response: Source) -> pl.DataFrame:
    """getStatsList → one row per table (the same id may repeat, once per COLLECT_AREA)."""
    obj = read_json_source(response)
    check_status(obj)
    tables = ensure_list(locate(obj).table_inf)
    schema: dict[str, pl.DataType] = {name: pl.String() for name in TableInfo.__dataclass_fields__}
    schema["overall_total_number"] = pl.Int64()
    rows = [asdict(table_info_from(table, {})) for table in tables]
    return pl.DataFrame(rows, schema=schema)


# --------------------------------------------------------------------------- classes and notes


_CLASS_SCHEMA: Final = {
    "dimension": pl.String(),
    "dimension_name": pl.String(),
    "code": pl.String(),
    "label": pl.String(),
    "level": pl.String(),
    "unit": pl.String(),
    "parent_code": pl.String(),
}
_CLASS_ATTRS: Final = {
    "@code": "code",
    "@name": "label",
    "@level": "level",
    "@unit": "unit",
    "@parentCode": "parent_code",
}


def classes(class_inf: Mapping[str, Any] | None) -> pl.DataFrame:
    """``CLASS_INF`` as one row per class item (see :func:`parse_meta_info`)."""
    frames = []
    for obj in ensure_list((class_inf or {}).get("CLASS_OBJ")):
        items = ensure_list(obj.get("CLASS"))
        frame = string_frame(items, _CLASS_ATTRS).with_columns(
            dimension=pl.lit(str(obj.get("@id")), pl.String()),
            dimension_name=pl.lit(obj.get("@name"), pl.String()),
        )
        frames.append(frame.select(list(_CLASS_SCHEMA)))
    if not frames:
        return pl.DataFrame(schema=_CLASS_SCHEMA)
    return pl.concat(frames).with_columns(
        [pl.col(c).replace("", None) for c in ("level", "unit", "parent_code")]
    )


def dimension_names(class_inf: Mapping[str, Any] | None) -> dict[str, str]:
    """Dimension id → its name in the source (``area`` → ``地域``)."""
    return {
        str(item["@id"]): str(item.get("@name") or item["@id"])
        for item in ensure_list((class_inf or {}).get("CLASS_OBJ"))
        if item.get("@id")
    }


def parse_meta_info(meta_json: Source) -> pl.DataFrame:
    """``CLASS_INF`` as a frame.

    Columns: ``dimension`` (tab, cat01 …, area, time), ``dimension_name``, ``code``, ``label``,
    ``level`` (null when ``""``), ``unit``, ``parent_code``. Works on getMetaInfo and on
    getStatsData with metadata.
    """
    obj = read_json_source(meta_json)
    check_status(obj)
    return classes(locate(obj).class_inf)


def parse_notes(response: Source) -> pl.DataFrame:
    """``DATA_INF.NOTE`` as a frame with ``marker`` and ``meaning`` (object or list)."""
    obj = read_json_source(response)
    return notes(locate(obj).data_inf)


def notes(data_inf: Mapping[str, Any] | None) -> pl.DataFrame:
    """The special characters a table declares, first meaning of each kept."""
    declared = ensure_list((data_inf or {}).get("NOTE"))
    return string_frame(declared, {"@char": "marker", "$": "meaning"}).unique(
        subset="marker", keep="first", maintain_order=True
    )
