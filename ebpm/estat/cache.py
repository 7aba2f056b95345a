"""The offline cache of e-Stat data in ``data/raw/estat``: one folder per table.

Every cached file is kept byte for byte as e-Stat sent it (appId removed) and named
``<kind>_<YYYYMMDD>_<sha8>.<ext>``; beside it a provenance sidecar (written and read by
:mod:`ebpm.manifest`, the owner of that format) records title, publisher, licence, URL,
query, retrieval date and the e-Stat credit. Files get here two ways: responses that
:class:`~ebpm.estat.EStatClient` hands to :class:`ResponseCache`, and browser downloads
copied in by :func:`import_file`. :func:`load_cache` reads everything back as one tidy frame.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl

from ebpm import manifest
from ebpm.estat.appid import app_id_from_env, scrub
from ebpm.estat.downloads import is_json, parse_csv, parse_file
from ebpm.estat.errors import EStatError, EStatFormatError
from ebpm.estat.responses import (
    CREDIT,
    LICENCE,
    EStatResponse,
    TableInfo,
    check_status,
    decode_json,
    locate,
    parse_table_info,
    read_limited,
    retrieved_date,
    table_source_line,
)
from ebpm.estat.tidy import TAIL_SCHEMA, dim_sort_key, parse_stats_data, tidy_columns

__all__ = [
    "ResponseCache",
    "default_cache_dir",
    "import_file",
    "load_cache",
    "read_provenance",
]

#: Kinds of cached files that hold values (others: getMetaInfo, getStatsList).
_VALUE_KINDS: Final = ("getStatsData", "getSimpleStatsData", "download")
#: Folder of getStatsList results, which belong to no table.
_LIST_DIR: Final = "stats_list"
_LIST_TITLE: Final = "e-Stat 統計表の検索結果（getStatsList）"


def default_cache_dir() -> Path:
    """``data/raw/estat`` of the project (see :mod:`ebpm.paths`)."""
    from ebpm import paths

    return paths.RAW / "estat"


#: A table id as e-Stat writes them (``0003448237``) or as a user names a folder; never a
#: path or markup, since it becomes a folder name, a warehouse key and report text.
_TABLE_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,63}")


def _checked_id(value: str, where: str) -> str:
    if not _TABLE_ID.fullmatch(value) or ".." in value:
        raise EStatFormatError(
            f"{where}: 統計表ID「{value[:80]}」は e-Stat の統計表IDの形ではありません"
            "（英数字と _ . - の64文字以内。e-Stat の統計表IDは 0003448237 のような数字10桁です。"
            "ファイルが書き換えられていないか確かめ、--stats-data-id で正しい ID を指定してください）"
        )
    return value


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
    title: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The sidecar record of one cached file (``sha256`` is filled in when it is written)."""
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
        "source_line": table_source_line(full_title),
        "kind": kind,
        "sha256": "",
    }
    record.update(extra or {})
    return record


def _write_cached(
    cache_dir: Path,
    stats_data_id: str,
    body: bytes,
    suffix: str,
    provenance: Mapping[str, Any],
    where: str | None = None,
) -> Path:
    """Write ``body`` once (same content, same name) and its sidecar; return the data file.

    ``where`` names the record in a refusal (default: the sidecar's name).
    """
    folder = cache_dir / _safe_id(stats_data_id)
    folder.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(body).hexdigest()
    day = str(provenance["retrieved_at"]).replace("-", "")
    path = folder / f"{provenance['kind']}_{day}_{sha[:8]}{suffix}"
    record = {**provenance, "sha256": sha}
    if path.exists():  # the same bytes again: only the record is refreshed
        manifest.write_sidecar(path, record, where=where)
        return path
    # All or nothing: the data file appears only after its record, so a build never finds
    # data without provenance; a failure removes both. Temporary names are hidden.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    sidecar: Path | None = None
    try:
        tmp.write_bytes(body)
        sidecar = manifest.write_sidecar(path, record, where=where)
        os.replace(tmp, path)
    except BaseException:
        if sidecar is not None and not path.exists():
            sidecar.unlink(missing_ok=True)
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return path


class ResponseCache:
    """Where :class:`~ebpm.estat.EStatClient` keeps every API response it receives.

    Parameters
    ----------
    folder
        The cache folder (default ``data/raw/estat``).
    """

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir()

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.folder)!r})"

    def store(self, response: EStatResponse) -> EStatResponse:
        """Write the response body and its sidecar; return the response with its ``path``.

        The folder is the request's ``statsDataId`` (else the table's id; getStatsList
        results go to ``stats_list``).
        """
        parts = locate(response.data)
        table = None
        if parts.table_inf and response.kind != "getStatsList":
            table = parse_table_info(response.data)
        stats_id = response.query.get("statsDataId") or (table.stats_data_id if table else None)
        provenance = _provenance(
            table,
            stats_data_id=stats_id,
            kind=response.kind,
            url=response.url,
            query=response.query,
            retrieved_at=response.retrieved_at,
            title=_LIST_TITLE if response.kind == "getStatsList" else None,
            extra={"status": int(parts.result.get("STATUS", 0) or 0)}
            | ({"redacted": True} if response.redacted else {}),
        )
        path = _write_cached(self.folder, stats_id or _LIST_DIR, response.body, ".json", provenance)
        return dataclasses.replace(response, path=path)


# --------------------------------------------------------------------------- browser downloads


def _describe_download(
    body: bytes, source: Path
) -> tuple[str, str, TableInfo | None, str | None, dict[str, str] | None]:
    """Kind, suffix, table, retrieval date and query of a downloaded file (parsed to check it)."""
    if is_json(body):
        obj = decode_json(body, source.name)
        check_status(obj)
        parts = locate(obj)
        if parts.kind == "getStatsData":
            parse_stats_data(obj)  # validates
        table = parse_table_info(obj) if parts.table_inf else None
        query = {str(k): str(v) for k, v in parts.parameter.items()} or None
        return parts.kind, ".json", table, retrieved_date(parts), query
    parsed = parse_csv(body, source.name)
    kind = "getSimpleStatsData" if parsed.layout == "getSimpleStatsData" else "download"
    return kind, source.suffix.lower() or ".csv", parsed.table, parsed.retrieved, None


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
    body, redacted = scrub(read_limited(source), app_id_from_env())
    kind, suffix, table, retrieved, query = _describe_download(body, source)
    if retrieved is None:
        retrieved = dt.datetime.fromtimestamp(source.stat().st_mtime).date().isoformat()
    sid = stats_data_id or (table.stats_data_id if table else None) or _safe_id(source.stem)
    sid = _checked_id(sid, manifest.shown_name(source.name))
    title_source = "argument" if title else "file"
    if table is not None and not (table.title or table.statistics_name):
        table = None
    if table is None:  # e.g. values saved without metadata: use the metadata already cached
        meta = _folder_meta(cache / _safe_id(sid))
        if meta is not None and locate(meta).table_inf:
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
        title=title,
        extra={
            "title_source": title_source,
            "imported_from": manifest.shown_name(source.name),
            "imported_at": dt.date.today().isoformat(),
            **({"redacted": True} if redacted else {}),
        },
    )
    # A refused record names the file being imported (its cached copy does not exist yet).
    where = f"{manifest.shown_name(source.name)}（取り込むファイル。取得日はファイルに書かれた日付か更新日時）"
    return _write_cached(cache, sid, body, suffix, provenance, where)


# --------------------------------------------------------------------------- reading back


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The provenance sidecar (``<file>.provenance.json``) of a cached file; ``{}`` if none."""
    try:
        return manifest.read_sidecar(Path(path)) or {}
    except manifest.ManifestError as error:
        raise EStatFormatError(str(error)) from None


def _cached_files(folder: Path) -> list[Path]:
    """Data files of one cache folder: not sidecars, hidden or half-written ``.tmp`` files."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not manifest.is_sidecar(p)
        and not p.name.endswith(".tmp")
        and not p.name.startswith(".")
    )


def _folder_meta(folder: Path) -> Mapping[str, Any] | None:
    """The newest getMetaInfo, else the first getStatsData with CLASS_INF, in one folder."""
    if not folder.is_dir():
        return None
    files = [p for p in _cached_files(folder) if p.suffix == ".json"]
    for path in sorted((p for p in files if p.name.startswith("getMetaInfo_")), reverse=True):
        return decode_json(read_limited(path), path.name)
    for path in files:
        if path.name.startswith("getStatsData_"):
            obj = decode_json(read_limited(path), path.name)
            if locate(obj).class_inf:
                return obj
    return None


def _folder_values(cache: Path, folder: Path) -> list[pl.DataFrame]:
    """Tidy frames of one folder's value files, each with its table id, file and date."""
    meta = _folder_meta(folder)
    frames = []
    for path in _cached_files(folder):
        if path.name.split("_", 1)[0] not in _VALUE_KINDS:
            continue
        rel = path.relative_to(cache).as_posix()
        try:
            frame = parse_file(path, meta).frame
        except EStatError as error:
            raise EStatFormatError(f"{rel}: キャッシュを読み取れません（{error}）") from None
        side = read_provenance(path)
        retrieved = str(side.get("retrieved_at") or "")[:10] or None
        table_id = _checked_id(str(side.get("stats_data_id") or folder.name), rel)
        frames.append(
            frame.with_columns(
                stats_data_id=pl.lit(table_id),
                source_file=pl.lit(rel),
                retrieved_at=pl.lit(retrieved, pl.String()),
            )
        )
    return frames


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
    folders = sorted(p for p in cache.iterdir() if p.is_dir()) if cache.is_dir() else []
    frames = [frame for folder in folders for frame in _folder_values(cache, folder)]
    extra: dict[str, pl.DataType] = {
        "stats_data_id": pl.String(),
        "source_file": pl.String(),
        "retrieved_at": pl.String(),
    }
    if not frames:
        return pl.DataFrame(schema=dict(TAIL_SCHEMA) | extra)
    combined = pl.concat(frames, how="diagonal_relaxed")
    dims = sorted(
        {c[: -len("_code")] for c in combined.columns if c.endswith("_code")}, key=dim_sort_key
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
