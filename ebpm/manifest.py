"""Provenance of raw files, and the 出典 (credit) lines generated from it.

Every file under ``data/raw/`` is described by the ``SOURCES.toml`` of its folder
(keys are file names or glob patterns; the first match wins) or by a sidecar
``<file>.provenance.json`` written beside it (e-Stat responses). The build records,
for each file, its path, SHA-256 and size together with that description, so a
chart's 出典 line can always be traced back to a file and never goes stale.

Example ``SOURCES.toml``::

    ["kpi_definitions.csv"]
    title = "大船渡市DX戦略"
    publisher = "大船渡市 企画政策部 デジタル戦略課"
    licence = "…"
    retrieved_at = 2026-11-26
    is_sample = false
    processing = "重要業績評価指標の表を転記"
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "ManifestError",
    "Provenance",
    "credit_line",
    "data_files",
    "file_sha256",
    "scan_raw",
    "source_line",
]

SOURCES_FILE = "SOURCES.toml"
SIDECAR_SUFFIX = ".provenance.json"
#: Files that describe data rather than hold it.
_NOT_DATA = {
    SOURCES_FILE,
    "README.md",
    ".gitkeep",
    "mapping.toml",
    "settings.toml",
}  # + record settings (issue 11)
_REQUIRED = ("title", "publisher", "licence", "retrieved_at")


class ManifestError(ValueError):
    """A raw file without a usable description (message in Japanese)."""


@dataclass(frozen=True)
class Provenance:
    """Where one raw file came from."""

    path: str  # relative to the raw folder, POSIX separators
    sha256: str
    size_bytes: int
    title: str
    publisher: str
    licence: str
    retrieved_at: dt.date
    is_sample: bool
    url: str | None = None
    processing: str | None = None
    credit: str | None = None
    notes: str | None = None

    def as_row(self) -> dict[str, object]:
        return asdict(self)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _as_date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ManifestError(
            f"{where}: retrieved_at「{value}」は日付ではありません（2026-11-26 の形で書いてください）"
        ) from None


def _describe(meta: dict[str, object], where: str) -> dict[str, object]:
    missing = [key for key in _REQUIRED if not meta.get(key)]
    if missing:
        raise ManifestError(f"{where}: 出典情報に {', '.join(missing)} がありません")
    is_sample = meta.get("is_sample", False)
    if not isinstance(is_sample, bool):
        raise ManifestError(f"{where}: is_sample は true か false で書いてください")

    def text(key: str) -> str | None:
        value = meta.get(key)
        return str(value) if value not in (None, "") else None

    return {
        "title": str(meta["title"]),
        "publisher": str(meta["publisher"]),
        "licence": str(meta["licence"]),
        "retrieved_at": _as_date(meta["retrieved_at"], where),
        "is_sample": is_sample,
        "url": text("url"),
        "processing": text("processing"),
        "credit": text("credit"),
        "notes": text("notes"),
    }


def _folder_sources(folder: Path, raw_dir: Path) -> dict[str, dict[str, object]]:
    sources = folder / SOURCES_FILE
    if not sources.exists():
        return {}
    try:
        with sources.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(
            f"{sources.relative_to(raw_dir).as_posix()}: TOML の書式が正しくありません（{error}）"
        ) from None


def data_files(raw_dir: Path) -> list[Path]:
    """The data files under ``raw_dir``, sorted: not SOURCES.toml, READMEs, sidecars or hidden files."""
    return sorted(
        path
        for path in raw_dir.rglob("*")
        if path.is_file()
        and path.name not in _NOT_DATA
        and not path.name.endswith(SIDECAR_SUFFIX)
        and not any(part.startswith(".") for part in path.relative_to(raw_dir).parts)
    )


def scan_raw(raw_dir: Path) -> list[Provenance]:
    """Describe every data file under ``raw_dir``; sorted by path.

    Raises
    ------
    ManifestError
        When a file has no description, listing every such file.
    """
    raw_dir = Path(raw_dir)
    records: list[Provenance] = []
    undescribed: list[str] = []
    cache: dict[Path, dict[str, dict[str, object]]] = {}
    for path in data_files(raw_dir):
        rel = path.relative_to(raw_dir).as_posix()
        sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
        if sidecar.exists():
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        else:
            folder = cache.setdefault(path.parent, _folder_sources(path.parent, raw_dir))
            meta = next(
                (m for pattern, m in folder.items() if fnmatch.fnmatch(path.name, pattern)), None
            )
        if meta is None:
            undescribed.append(rel)
            continue
        records.append(
            Provenance(
                path=rel,
                sha256=file_sha256(path),
                size_bytes=path.stat().st_size,
                **_describe(meta, rel),  # type: ignore[arg-type]
            )
        )
    if undescribed:
        listed = "、".join(undescribed)
        raise ManifestError(
            f"出典情報のないファイルがあります: {listed}"
            f"（同じフォルダの {SOURCES_FILE} にファイル名と title・publisher・licence・"
            "retrieved_at を書き足してください）"
        )
    return records


def credit_line(record: Provenance) -> str:
    """One credit in the 政府標準利用規約 style, e.g. 「大船渡市DX戦略」（大船渡市）."""
    if record.is_sample and "サンプル" not in record.title:
        return f"「{record.title}」（研修用サンプルデータ）"
    if record.is_sample:
        return f"「{record.title}」"
    return f"「{record.title}」（{record.publisher}）"


def source_line(records: Iterable[Provenance]) -> str:
    """The 出典 line under a chart or table, generated from the records of the data shown.

    Processed sources end with 「を加工して作成」; sample data says so.

    >>> r = Provenance("kpi/x.csv", "0" * 64, 1, "大船渡市DX戦略", "大船渡市", "-",
    ...                dt.date(2026, 11, 26), False, processing="転記")
    >>> source_line([r])
    '出典：「大船渡市DX戦略」（大船渡市）を加工して作成'
    """
    unique: dict[str, Provenance] = {}
    for record in records:
        unique.setdefault(credit_line(record), record)
    if not unique:
        raise ValueError("出典となるデータがありません")
    credits = "、".join(unique)
    processed = any(r.processing for r in unique.values())
    return f"出典：{credits}{'を加工して作成' if processed else ''}"


def notes_of(records: Sequence[Provenance]) -> list[str]:
    """Extra credits that must be shown verbatim (e.g. the e-Stat API notice)."""
    seen: dict[str, None] = {}
    for record in records:
        if record.credit:
            seen.setdefault(record.credit, None)
    return list(seen)
