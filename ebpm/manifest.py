"""Provenance of raw files, and the 出典 (credit) lines generated from it.

Every file under ``data/raw/`` is described by the ``SOURCES.toml`` of its folder
(keys are file names or glob patterns; the first match wins) or by a sidecar
``<file>.provenance.json`` written beside it (e-Stat responses). This module is the only
one that reads or writes sidecars (:func:`write_sidecar`, :func:`read_sidecar`). The build records,
for each file, its path, SHA-256 and size together with that description, so a
chart's 出典 line can always be traced back to a file and never goes stale.

A ``retrieved_at`` after the build's date is refused (:func:`_describe`, the one check every
record passes through); a SOURCES.toml entry that describes no file is announced, not refused.

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
import logging
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "JST",
    "SAMPLE_LABEL",
    "SIDECAR_SUFFIX",
    "ManifestError",
    "Provenance",
    "build_date",
    "credit_line",
    "data_files",
    "file_sha256",
    "is_sidecar",
    "notes_of",
    "read_sidecar",
    "scan_raw",
    "shown_name",
    "source_line",
    "write_sidecar",
]

#: The label every chart, table and report shows on synthetic training data.
SAMPLE_LABEL: Final = "研修用サンプルデータ"
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
log = logging.getLogger("ebpm.manifest")


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


#: Characters XML cannot hold (the workbook, Word and slides print provenance) and bidi overrides.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


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


#: Japan Standard Time (no daylight saving): the date e-Stat and the city's staff write.
JST: Final = dt.timezone(dt.timedelta(hours=9), "JST")


def build_date(now: dt.datetime | None = None) -> dt.date:
    """The latest date a retrieval may carry: the PC's date, or Japan's when that is later.

    A PC whose clock is set to UTC (or any zone west of Japan) is a day behind Japan for part
    of the day; a file retrieved in Japan today must not be refused there as "in the future".
    """
    now = now or dt.datetime.now(dt.UTC)
    return max(now.astimezone().date(), now.astimezone(JST).date())


def _retrieved_at(value: object, where: str, today: dt.date | None) -> dt.date:
    """The retrieval date, refused when it is after ``today`` (the build's date; by default
    :func:`build_date`).

    A date in the future is a typo (2062 for 2026) or a wrong PC clock; either way the 出典
    line would state a retrieval that has not happened.
    """
    date = _as_date(value, where)
    today = today or build_date()
    if date > today:
        raise ManifestError(
            f"{where}: 取得日が未来の日付です（retrieved_at = {date.isoformat()}、"
            f"今日は {today.isoformat()}）。retrieved_at を実際に取得した日（今日以前）に"
            "直してください（パソコンの日付が正しいかも確かめてください）"
        )
    return date


def _describe(
    meta: dict[str, object], where: str, today: dt.date | None = None
) -> dict[str, object]:
    """The checked fields of one provenance record; every reader and writer goes through here."""
    missing = [key for key in _REQUIRED if not meta.get(key)]
    if missing:
        raise ManifestError(f"{where}: 出典情報に {', '.join(missing)} がありません")
    is_sample = meta.get("is_sample", False)
    if not isinstance(is_sample, bool):
        raise ManifestError(f"{where}: is_sample は true か false で書いてください")

    def text(key: str) -> str | None:
        value = meta.get(key)
        return str(value) if value not in (None, "") else None

    for key in ("title", "publisher", "licence", "url", "processing", "credit", "notes"):
        value = text(key)
        if value and _CONTROL.search(value):
            raise ManifestError(
                f"{where}: 出典情報の {key} に制御文字（\\u0007 など）が含まれています"
                "（Excel・Word に書き出せないため、その文字を削除してください）"
            )
    url = text("url")
    # Shown as text (「不明」 is a fair value), but never a script or file address.
    scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", url or "")
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        raise ManifestError(
            f"{where}: url「{url[:80]}」は Web のアドレスではありません"  # type: ignore[index]
            "（https:// か http:// で始まるアドレスを書くか、url の行を削除してください）"
        )
    return {
        "title": str(meta["title"]),
        "publisher": str(meta["publisher"]),
        "licence": str(meta["licence"]),
        "retrieved_at": _retrieved_at(meta["retrieved_at"], where, today),
        "is_sample": is_sample,
        "url": text("url"),
        "processing": text("processing"),
        "credit": text("credit"),
        "notes": text("notes"),
    }


def _toml_error(where: str, error: tomllib.TOMLDecodeError) -> str:
    found = re.search(r"at line (\d+), column (\d+)", str(error))
    place = f" {found.group(1)}行目 {found.group(2)}文字目" if found else ""
    return (
        f'{where}{place}: TOML の書式が正しくありません（文字列は "…" で囲み、日付は '
        f'2026-11-26、真偽値は true / false、見出しは ["ファイル名"] の形で書いてください。'
        f"詳細: {error}）"
    )


def _folder_sources(folder: Path, raw_dir: Path) -> dict[str, dict[str, object]]:
    """The entries of a folder's SOURCES.toml (UTF-8, a BOM is accepted), each a table."""
    sources = folder / SOURCES_FILE
    if not sources.exists():
        return {}
    where = sources.relative_to(raw_dir).as_posix()
    data = sources.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):  # Notepad's UTF-8 with BOM
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError(
            f"{where}: 文字コードが UTF-8 ではありません（Shift_JIS などで保存されています）。"
            "メモ帳などで開き、文字コード「UTF-8」を選んで保存し直してください"
        ) from None
    try:
        entries = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(_toml_error(where, error)) from None
    except RecursionError:
        raise ManifestError(
            f"{where}: 入れ子（[ や {{）が深すぎて読めません。TOML の書式を確かめてください"
        ) from None
    for key, value in entries.items():
        if not isinstance(value, dict):
            raise ManifestError(
                f"{where}: 「{key}」が表になっていません。ファイルごとに "
                f'["{key}"] の見出しを書き、その下に title = "…" などを1行ずつ書いてください'
            )
    return entries


def is_sidecar(path: Path) -> bool:
    """True for a provenance sidecar (``<file>.provenance.json``), which describes a data file."""
    return path.name.endswith(SIDECAR_SUFFIX)


def _sidecar_of(data_path: Path) -> Path:
    return data_path.with_name(data_path.name + SIDECAR_SUFFIX)


def write_sidecar(
    data_path: Path, record: Mapping[str, object], *, where: str | None = None
) -> Path:
    """Write the provenance sidecar of ``data_path``, replacing an older one atomically.

    The record is checked with the rule :func:`scan_raw` reads it with, so a sidecar that
    the build would refuse is never written. Extra keys (e.g. the e-Stat query) are kept.
    ``where`` names the record in the error message (default: the sidecar's file name).

    Returns
    -------
    pathlib.Path
        The sidecar, ``<data file>.provenance.json``.

    Raises
    ------
    ManifestError
        When ``title``, ``publisher``, ``licence`` or ``retrieved_at`` is missing,
        ``retrieved_at`` is after today, or ``is_sample`` is not a boolean.
    """
    sidecar = _sidecar_of(Path(data_path))
    _describe(dict(record), where or sidecar.name)
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    # Hidden, so a leftover of a killed write is never taken for a data file.
    tmp = sidecar.with_name(f".{sidecar.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(text.encode("utf-8"))
        os.replace(tmp, sidecar)
    finally:
        tmp.unlink(missing_ok=True)
    return sidecar


def read_sidecar(data_path: Path, where: str | None = None) -> dict[str, object] | None:
    """The provenance sidecar of ``data_path`` as written, or None when it has none.

    ``where`` names the sidecar in the error message (default: its file name).

    Raises
    ------
    ManifestError
        When the sidecar is not a JSON object.
    """
    data_path = Path(data_path)
    sidecar = _sidecar_of(data_path)
    if not sidecar.exists():
        return None
    try:
        record = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, RecursionError):
        record = None
    if not isinstance(record, dict):
        raise ManifestError(
            f"{where or sidecar.name}: 出典情報の JSON が壊れています。この出典情報と、それが説明する"
            f"データファイル {data_path.name} の2つを削除し、元のファイルを `ebpm estat import` で"
            "取り込み直してください（e-Stat から取得したものは `ebpm estat fetch` で取得し直します）"
        )
    return record


def data_files(raw_dir: Path) -> list[Path]:
    """The data files under ``raw_dir``, sorted.

    Not SOURCES.toml, READMEs, sidecars, hidden files or Excel's lock files (``~$…``).
    """
    return sorted(
        path
        for path in raw_dir.rglob("*")
        if path.is_file()
        and path.name not in _NOT_DATA
        and not is_sidecar(path)
        and not path.name.startswith("~$")  # Excel's lock file while a workbook is open
        and not any(part.startswith(".") for part in path.relative_to(raw_dir).parts)
    )


_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")


def shown_name(name: str) -> str:
    r"""A file name (or message) that can be printed.

    A name that is not UTF-8 (a Shift_JIS name copied from a zip or a USB stick) arrives
    from the file system as surrogate escapes; each such run is shown as CP932 reads it.

    >>> shown_name("実績.csv"), shown_name("\udc8e\udcc0\udc90\udcd1.csv")
    ('実績.csv', '実績.csv')
    """

    def decode(run: re.Match[str]) -> str:
        return run.group(0).encode("utf-8", "surrogateescape").decode("cp932", "replace")

    return _ESCAPED_BYTES.sub(decode, name)


def _check_name(rel: str) -> None:
    if shown_name(rel) != rel:
        raise ManifestError(
            f"{shown_name(rel)}: ファイル名の文字コードが UTF-8 ではありません（Shift_JIS の名前のまま"
            "コピーされたファイルです）。エクスプローラーなどでファイル名を付け直してください"
        )


def _link_errors(raw_dir: Path) -> list[str]:
    """Links under ``raw_dir`` that point outside it or nowhere (refused, never followed).

    A link to a file elsewhere (another department's share, ``/etc/passwd``) would make the
    build read, hash and publish a file nobody put in ``data/raw``.
    """
    base = raw_dir.resolve()
    errors: list[str] = []
    for path in sorted(raw_dir.rglob("*")):
        if not path.is_symlink() or any(
            part.startswith(".") for part in path.relative_to(raw_dir).parts
        ):
            continue
        rel = shown_name(path.relative_to(raw_dir).as_posix())
        target = path.resolve()
        if not target.exists():
            errors.append(
                f"{rel}: リンク（ショートカット）の先のファイルがありません"
                "（リンクを削除し、ファイルそのものを data/raw に置いてください）"
            )
        elif not target.is_relative_to(base):
            errors.append(
                f"{rel}: data/raw の外（{shown_name(str(target))[:120]}）を指すリンクです。"
                "ebpm は data/raw の中のファイルだけを読みます（リンクを削除し、"
                "ファイルそのものを data/raw にコピーしてください）"
            )
    return errors


def _all_sources(raw_dir: Path) -> dict[Path, dict[str, dict[str, object]]]:
    """The entries of every SOURCES.toml under ``raw_dir`` (not in hidden folders), by folder.

    All of them are read, not only those a data file needs, so that an entry describing
    no file can be told (:func:`_unused_entries`).
    """
    return {
        path.parent: _folder_sources(path.parent, raw_dir)
        for path in sorted(raw_dir.rglob(SOURCES_FILE))
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(raw_dir).parts)
    }


def _matches(name: str, key: str) -> bool:
    """True when the entry ``key`` (a file name or glob pattern) describes the file ``name``.

    The exact name counts first: 「[速報]実績.csv」 is a name, not the character class [速報].
    """
    return name == key or fnmatch.fnmatch(name, key)


def _shown_key(key: str) -> str:
    """An entry's key as it can be printed: control characters escaped, at most 80 characters."""
    shown = _CONTROL.sub(lambda c: f"\\u{ord(c.group(0)):04x}", key)
    return shown if len(shown) <= 80 else shown[:80] + "…"


def _unused_entries(
    raw_dir: Path,
    sources: Mapping[Path, Mapping[str, object]],
    described_by: Mapping[Path, str | None],
) -> list[str]:
    """A notice for every SOURCES.toml entry that describes no data file.

    ``described_by`` maps each data file to the key of the entry that describes it (None
    when its sidecar does). An entry matching no file is most often the record of a removed
    file (harmless) or a misspelt name, whose file is then refused as undescribed.
    """
    notices = []
    for folder, entries in sources.items():
        where = (folder / SOURCES_FILE).relative_to(raw_dir).as_posix()
        files = {path: key for path, key in described_by.items() if path.parent == folder}
        used = set(files.values())
        for key in entries:
            if key in used:
                continue
            shown = _shown_key(key)
            matched = [path for path in files if _matches(path.name, key)]
            if not matched:
                notices.append(
                    f"{where} の「{shown}」に当たるファイルがありません"
                    "（ファイル名の誤りか、削除したファイルの記録です）"
                )
                continue
            first = matched[0]
            rel = first.relative_to(raw_dir).as_posix()
            winner = files[first]
            instead = (
                f"出典記録 {first.name}{SIDECAR_SUFFIX}"
                if winner is None
                else f"先に書いた「{_shown_key(winner)}」"
            )
            notices.append(
                f"{where} の「{shown}」は使われていません（{rel} には{instead}を使っています。"
                "1つのファイルには最初に当たった項目だけを使います）"
            )
    return notices


def scan_raw(raw_dir: Path, today: dt.date | None = None) -> list[Provenance]:
    """Describe every data file under ``raw_dir``; sorted by path.

    ``today`` is the build's date (default: today): a later ``retrieved_at`` is refused.
    SOURCES.toml entries that describe no file are logged as notices (「お知らせ: …」) on
    the ``ebpm.manifest`` logger; they are not errors (a removed file's entry is harmless).

    Raises
    ------
    ManifestError
        When a file has no description, listing every such file, or a description is
        incomplete, unreadable or dated after ``today``.
    """
    raw_dir = Path(raw_dir)
    links = _link_errors(raw_dir)
    if links:
        raise ManifestError("\n".join(links))
    sources = _all_sources(raw_dir)
    records: list[Provenance] = []
    undescribed: list[str] = []
    described_by: dict[Path, str | None] = {}
    for path in data_files(raw_dir):
        rel = path.relative_to(raw_dir).as_posix()
        _check_name(rel)
        where = rel + SIDECAR_SUFFIX  # errors name the file that holds the record
        key: str | None = None
        meta = read_sidecar(path, where=where)
        if meta is None:
            entries = sources.get(path.parent, {})
            key = next((k for k in entries if _matches(path.name, k)), None)
            if key is None:
                undescribed.append(rel)
                continue
            meta = entries[key]
            place = (path.parent / SOURCES_FILE).relative_to(raw_dir).as_posix()
            where = f"{place} の「{_shown_key(key)}」（{rel} の出典）"
        described_by[path] = key
        records.append(
            Provenance(
                path=rel,
                sha256=file_sha256(path),
                size_bytes=path.stat().st_size,
                **_describe(meta, where, today),  # type: ignore[arg-type]
            )
        )
    for notice in _unused_entries(raw_dir, sources, described_by):
        log.warning("お知らせ: %s", notice)
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
        return f"「{record.title}」（{SAMPLE_LABEL}）"
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
