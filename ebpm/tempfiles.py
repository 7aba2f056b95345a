"""Temporary files of a build: named with the process id, removed by a later build.

A build killed with ``kill -9`` (or a power cut) cannot clean up after itself. Every
temporary file or folder a build makes therefore carries its process id, and the next
build deletes the ones whose process no longer runs:

- ``.<warehouse>.<pid>.<random>.tmp`` and its ``.wal`` beside the warehouse;
- ``.staging-<pid>-<random>/`` under the records' Parquet folder;
- ``ebpm-records-<pid>-<random>/`` in the system temporary folder (it may hold clear
  employee ids from a CP932 export being transcoded, so it must not outlive the build).

A name without a process id (made by an older ebpm) is removed once it is an hour old.
Files of a build that still runs are never touched. On Windows, where asking whether a
process runs would terminate it, only the age decides.

>>> tmp_name("ebpm.duckdb").startswith(f".ebpm.duckdb.{os.getpid()}.")
True
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Final

__all__ = [
    "RECORDS_WORKDIR_PREFIX",
    "process_alive",
    "remove_leftovers",
    "staging_name",
    "stale",
    "tmp_name",
    "workdir_prefix",
]

#: A leftover without a process id is removed after this many seconds.
STALE_AFTER: Final = 3600
RECORDS_WORKDIR_PREFIX: Final = "ebpm-records-"
_DB_TMP = re.compile(r"^\.(?P<db>.+?)\.(?:(?P<pid>\d+)\.)?[0-9a-z_]+\.tmp(?:\.wal)?$")
_STAGING = re.compile(r"^\.staging-(?:(?P<pid>\d+)-)?[0-9a-z_]+$")
_WORKDIR = re.compile(rf"^{RECORDS_WORKDIR_PREFIX}(?:(?P<pid>\d+)-)?[0-9a-z_]+$")


def tmp_name(warehouse_name: str) -> str:
    """The name of a new warehouse while it is written: ``.<name>.<pid>.<random>.tmp``."""
    return f".{warehouse_name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"


def staging_name() -> str:
    """The name of a records staging folder: ``.staging-<pid>-<random>``."""
    return f".staging-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def workdir_prefix() -> str:
    """The prefix of a records work folder in the system temporary folder."""
    return f"{RECORDS_WORKDIR_PREFIX}{os.getpid()}-"


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (this process counts as running)."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it: keep, age decides
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def stale(path: Path, pid: str | None, now: float) -> bool:
    """Whether a leftover of process ``pid`` (None: unknown) may be deleted."""
    if pid is not None:
        return not process_alive(int(pid))
    try:
        return now - path.stat().st_mtime >= STALE_AFTER
    except OSError:
        return False


def _delete(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError:  # in use on Windows, or already gone
        return False
    return True


def remove_leftovers(
    warehouse: Path, records: Path | None = None, *, now: float | None = None
) -> list[Path]:
    """Delete what killed builds left for ``warehouse`` (and its ``records`` folder).

    Returns the paths deleted.
    """
    now = time.time() if now is None else now
    found: list[Path] = []
    if warehouse.parent.is_dir():
        for path in warehouse.parent.iterdir():
            match = _DB_TMP.match(path.name)
            ours = match is not None and match.group("db") == warehouse.name and path.is_file()
            if ours and match is not None and stale(path, match.group("pid"), now):
                found.append(path)
    if records is not None and records.is_dir():
        for path in records.iterdir():
            match = _STAGING.match(path.name)
            if match and path.is_dir() and stale(path, match.group("pid"), now):
                found.append(path)
    system_tmp = Path(tempfile.gettempdir())
    for path in system_tmp.glob(f"{RECORDS_WORKDIR_PREFIX}*"):
        match = _WORKDIR.match(path.name)
        if match and path.is_dir() and stale(path, match.group("pid"), now):
            found.append(path)
    return [path for path in found if _delete(path)]
