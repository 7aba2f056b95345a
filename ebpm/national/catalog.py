"""The e-Stat catalogue: the statistical tables a planner needs to compare municipalities.

The list is a data file, ``estat_catalog.toml`` beside this module (each entry: statsDataId,
title, why, filters, whether ``cdArea`` takes the comparison areas, and whether the id was
verified against a real response — unverified ids are marked so). :func:`fetch_catalog`
downloads every entry with an :class:`~ebpm.estat.EStatClient` into the e-Stat cache
(``data/raw/estat/<id>/``), one table after another, and reports what it got; a table that
fails (an unverified id may not exist) does not stop the others.

>>> [entry.stats_data_id for entry in load_catalog()][:2]
['0003433219', '0003445078']
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ebpm.estat import EStatClient

__all__ = [
    "CATALOG_FILE",
    "CatalogEntry",
    "FetchResult",
    "cached_entries",
    "fetch_catalog",
    "load_catalog",
]

CATALOG_FILE: Final = Path(__file__).with_name("estat_catalog.toml")
_KEYS: Final = {"stats_data_id", "title", "why", "filters", "area_filter", "verified", "evidence"}


@dataclass(frozen=True)
class CatalogEntry:
    """One table of the catalogue."""

    stats_data_id: str
    title: str
    why: str
    filters: dict[str, str]
    area_filter: bool
    verified: bool
    evidence: str

    def params(self, areas: Sequence[str] | None = None) -> dict[str, str]:
        """getStatsData parameters; with ``areas`` and ``area_filter``, ``cdArea`` is replaced."""
        params = dict(self.filters)
        if areas and self.area_filter:
            params["cdArea"] = ",".join(areas)
        return params


@dataclass
class FetchResult:
    """What fetching one entry gave: the files written, the rows, or why it failed."""

    entry: CatalogEntry
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    error: str | None = None


def _entry(raw: dict[str, Any], where: str) -> CatalogEntry:
    unknown = sorted(set(raw) - _KEYS)
    missing = sorted(_KEYS - set(raw))
    if unknown or missing:
        raise ValueError(
            f"{where}: 項目が違います（不足: {missing or 'なし'}、不明: {unknown or 'なし'}）"
        )
    sid = str(raw["stats_data_id"])
    if not (sid.isascii() and sid.isdigit() and len(sid) == 10):
        raise ValueError(f"{where}: stats_data_id「{sid}」は10桁の数字ではありません")
    filters = raw["filters"]
    if not isinstance(filters, dict):
        raise ValueError(f'{where}: filters は {{ cdArea = "03203" }} の形で書いてください')
    return CatalogEntry(
        stats_data_id=sid,
        title=str(raw["title"]),
        why=str(raw["why"]),
        filters={str(k): str(v) for k, v in filters.items()},
        area_filter=bool(raw["area_filter"]),
        verified=bool(raw["verified"]),
        evidence=str(raw["evidence"]),
    )


def load_catalog(path: str | Path | None = None) -> list[CatalogEntry]:
    """The catalogue entries (default: the file shipped with ebpm).

    Raises
    ------
    ValueError
        In Japanese, naming the entry that is malformed or repeated.
    """
    path = Path(path) if path is not None else CATALOG_FILE
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    entries = [
        _entry(raw, f"{path.name} {i}番目の表") for i, raw in enumerate(data.get("table", []), 1)
    ]
    ids = [e.stats_data_id for e in entries]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"{path.name}: 統計表ID {'、'.join(repeated)} が2回以上あります")
    return entries


def fetch_catalog(
    client: EStatClient,
    catalog: Sequence[CatalogEntry] | None = None,
    *,
    areas: Sequence[str] | None = None,
    only: Sequence[str] | None = None,
) -> list[FetchResult]:
    """Fetch every catalogue table into the client's cache (``data/raw/estat``).

    Parameters
    ----------
    client
        An e-Stat client (its ``cache_dir`` receives the responses and their provenance).
    catalog
        Entries to fetch (default :func:`load_catalog`).
    areas
        5-digit codes for the entries with ``area_filter`` (e.g. 大船渡市 and its peers).
    only
        statsDataIds to fetch, a subset of the catalogue.

    Returns
    -------
    list of FetchResult
        One per entry, in catalogue order; ``error`` says (in Japanese) why one failed.
    """
    from ebpm import estat

    entries = list(catalog) if catalog is not None else load_catalog()
    if only is not None:
        unknown = sorted(set(only) - {e.stats_data_id for e in entries})
        if unknown:
            raise ValueError(f"統計表ID {'、'.join(unknown)} はカタログにありません")
        entries = [e for e in entries if e.stats_data_id in set(only)]
    results: list[FetchResult] = []
    for entry in entries:
        result = FetchResult(entry)
        try:
            params: dict[str, Any] = entry.params(areas)
            pages = client.fetch_stats_data(entry.stats_data_id, **params)
        except estat.EStatError as error:
            note = "" if entry.verified else "（この表はカタログで未確認です）"
            result.error = f"{error}{note}"
        else:
            result.files = [p.path for p in pages if p.path is not None]
            result.rows = sum(estat.parse_stats_data(p.data).height for p in pages)
        results.append(result)
    return results


def cached_entries(
    cache_dir: str | Path, catalog: Sequence[CatalogEntry] | None = None
) -> dict[str, int]:
    """How many cached data files each catalogue table has in ``cache_dir`` (0 = not yet)."""
    entries = list(catalog) if catalog is not None else load_catalog()
    cache = Path(cache_dir)
    return {
        e.stats_data_id: sum(
            1
            for p in (cache / e.stats_data_id).glob("getStatsData_*")
            if not p.name.endswith(".provenance.json")
        )
        if (cache / e.stats_data_id).is_dir()
        else 0
        for e in entries
    }
