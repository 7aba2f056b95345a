"""A build cache for the national tables: read *and checked* tables, as Parquet, by content key.

Reading 34 Excel files and running the Great Expectations suites over ~60,000 rows adds
seconds to every ``ebpm build``, although these public files rarely change. So when a
build has read and checked them without a single problem, the tables are kept under a key:
the SHA-256 of every input file (relative path and content) and of the source of every
module that reads or checks them (the readers, :mod:`ebpm.validation` with its suites,
:mod:`ebpm.govtables`, :mod:`ebpm.codes` …). The next build with the same key loads the
tables instead of reading and checking again — the same bytes through the same code give
the same result. Any changed, added or removed file, or changed code, gives another key:
read and checked again. Tables with a problem are never kept. A cache that cannot be
written (read-only folder) is silently not used; ``TableCache(None)`` disables it.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import polars as pl

from ebpm.manifest import file_sha256

__all__ = ["TableCache"]

#: Modules whose code decides what is read and how it is checked (their source is in the key).
_READERS: Final = ("cells", "census", "extracts", "fiscal", "opendata", "peers", "tables")
_SHARED: Final = ("govtables.py", "codes.py", "jp.py", "limits.py", "readers.py", "validation.py")
_KEEP: Final = 3  # older entries beyond this many are removed


class TableCache:
    """Parquet files of the checked tables of one set of inputs; ``folder=None`` disables it."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @classmethod
    def default(cls) -> TableCache:
        from ebpm import paths

        return cls(paths.PROCESSED / "cache" / "national")

    @staticmethod
    def _code() -> Iterable[Path]:
        package = Path(__file__).parent
        yield from (package / f"{name}.py" for name in _READERS)
        yield from (package.parent / name for name in _SHARED)

    def key(self, raw_dir: Path, inputs: Iterable[Path]) -> str:
        """SHA-256 over the inputs (relative path and content) and the reading code."""
        digest = hashlib.sha256()
        for path in inputs:
            digest.update(path.relative_to(raw_dir).as_posix().encode())
            digest.update(bytes.fromhex(file_sha256(path)))  # in blocks: any size
        for path in self._code():
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def load(self, key: str) -> dict[str, pl.DataFrame] | None:
        """The tables saved under ``key``, or None."""
        if self.folder is None:
            return None
        entry = self.folder / key
        if not (entry / "complete").exists():
            return None
        try:
            return {p.stem: pl.read_parquet(p) for p in sorted(entry.glob("*.parquet"))}
        except (OSError, pl.exceptions.PolarsError):
            return None

    def save(self, key: str, tables: dict[str, pl.DataFrame]) -> None:
        """Save ``tables`` under ``key`` (written beside, then renamed into place)."""
        if self.folder is None or not tables:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.folder))
            for name, frame in tables.items():
                frame.write_parquet(staging / f"{name}.parquet")
            (staging / "complete").write_text(key, encoding="utf-8")
            target = self.folder / key
            if target.exists():
                shutil.rmtree(staging)
            else:
                staging.rename(target)
            self._prune(keep=key)
        except OSError:
            return

    def _prune(self, keep: str) -> None:
        assert self.folder is not None
        entries = sorted(
            (p for p in self.folder.iterdir() if p.is_dir() and p.name != keep),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in entries[_KEEP - 1 :]:
            shutil.rmtree(old, ignore_errors=True)
