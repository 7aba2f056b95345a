r"""Every workspace path in one place, and how the workspace is found.

A *workspace* is a folder holding ``ebpm.toml`` (its display names and grade bands),
``data/raw/`` (the inputs) and ``data/processed/`` (what ``ebpm build`` makes). The
library never looks for data beside its own files, so an installed package works on
any workspace. The workspace is, in this order:

1. the folder given with ``ebpm --root DIR`` (or :func:`set_root`);
2. the environment variable ``EBPM_ROOT``;
3. the nearest folder at or above the current directory that holds ``ebpm.toml``.

The module attributes ``ROOT``, ``RAW``, ``PROCESSED``, ``WAREHOUSE``, ``REPORT`` and
``NOTEBOOKS`` are looked up on each access, so they follow the current workspace.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     _ = (Path(folder) / MARKER).write_text('[workspace]\ncity = "○○市"', encoding="utf-8")
...     ws = Workspace(Path(folder))
...     ws.config.city, ws.warehouse.relative_to(ws.root).as_posix()
('○○市', 'data/processed/ebpm.duckdb')
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ebpm.kpi.model import GradeBands

__all__ = [
    "ENV_VAR",
    "MARKER",
    "NOTEBOOKS",
    "PROCESSED",
    "RAW",
    "REPORT",
    "ROOT",
    "WAREHOUSE",
    "Workspace",
    "WorkspaceConfig",
    "WorkspaceError",
    "find_workspace",
    "set_root",
    "workspace",
]

MARKER = "ebpm.toml"
ENV_VAR = "EBPM_ROOT"

_override: Path | None = None


class WorkspaceError(FileNotFoundError):
    """No workspace, or an unreadable ``ebpm.toml`` (message in Japanese)."""


@dataclass(frozen=True)
class WorkspaceConfig:
    """What ``ebpm.toml`` says: names printed in reports, and the grade bands.

    ``on_track``/``mostly`` are ``None`` when the file does not set them (the defaults
    of :class:`~ebpm.kpi.model.GradeBands` apply).
    """

    city: str = ""
    strategy: str = ""
    report_title: str = ""
    kpi_source: str = ""
    on_track: float | None = None
    mostly: float | None = None

    @property
    def title(self) -> str:
        """The report's title, e.g. 「大船渡市DX戦略 KPI進捗レポート」."""
        return self.report_title or f"{self.strategy or self.city} KPI進捗レポート".strip()

    def bands(self) -> GradeBands:
        """The grade bands of this workspace (validated once, by GradeBands)."""
        from ebpm.kpi.model import DEFAULT_BANDS, GradeBands

        return GradeBands(
            DEFAULT_BANDS.on_track if self.on_track is None else self.on_track,
            DEFAULT_BANDS.mostly if self.mostly is None else self.mostly,
        )


def _read_config(path: Path) -> WorkspaceConfig:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return WorkspaceConfig()
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        raise WorkspaceError(
            f"{path}: TOML の書式が正しくありません（{error}）。ebpm.toml を直してください"
        ) from None
    unknown = sorted(set(data) - {"workspace", "grades"})
    if unknown:
        raise WorkspaceError(
            f"{path}: 知らない設定があります: {', '.join(unknown)}（[workspace] か [grades] の下に書きます）"
        )
    names = data.get("workspace", {})
    grades = data.get("grades", {})
    if not isinstance(names, dict) or not isinstance(grades, dict):
        raise WorkspaceError(f"{path}: [workspace] と [grades] は表（テーブル）で書いてください")
    unknown = sorted(set(names) - {"city", "strategy", "report_title", "kpi_source"})
    unknown += sorted(set(grades) - {"on_track", "mostly"})
    if unknown:
        raise WorkspaceError(f"{path}: 知らない設定があります: {', '.join(unknown)}")
    for key in ("on_track", "mostly"):
        value = grades.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise WorkspaceError(
                f"{path}: [grades] {key} は数値で書いてください（例：{key} = 0.6）"
            )
    config = WorkspaceConfig(
        **{k: str(v) for k, v in names.items()},
        on_track=grades.get("on_track"),
        mostly=grades.get("mostly"),
    )
    try:
        config.bands()  # refuse edges that build, status or charts could not use
    except ValueError as error:
        raise WorkspaceError(f"{path}: [grades] {error}") from None
    return config


@dataclass(frozen=True)
class Workspace:
    """One workspace folder and everything in it."""

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / MARKER

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def warehouse(self) -> Path:
        return self.processed / "ebpm.duckdb"

    @property
    def report(self) -> Path:
        return self.processed / "report"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @cached_property
    def config(self) -> WorkspaceConfig:
        return _read_config(self.config_file)


def find_workspace(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the current one) with ``ebpm.toml``."""
    here = (start or Path.cwd()).resolve()
    return next((p for p in (here, *here.parents) if (p / MARKER).is_file()), None)


def set_root(root: str | Path | None) -> None:
    """Use ``root`` as the workspace for this process (``None`` returns to discovery)."""
    global _override
    _override = None if root is None else Path(root).resolve()


def workspace() -> Workspace:
    """The current workspace (``--root``, then ``EBPM_ROOT``, then ``ebpm.toml`` upwards).

    Raises
    ------
    WorkspaceError
        When none is found, with the ways to name one.
    """
    named = _override or (Path(os.environ[ENV_VAR]).resolve() if os.environ.get(ENV_VAR) else None)
    if named is not None:
        if not (named / MARKER).is_file():
            raise WorkspaceError(
                f"{named} はワークスペースではありません（{MARKER} がありません）。"
                f"`ebpm init {named}` で作るか、{MARKER} のあるフォルダを指定してください"
            )
        return Workspace(named)
    found = find_workspace()
    if found is None:
        raise WorkspaceError(
            f"ワークスペース（{MARKER} のあるフォルダ）が見つかりません（今のフォルダ: {Path.cwd()}）。"
            f"ワークスペースの中で実行するか、`ebpm --root フォルダ` か環境変数 {ENV_VAR} で指定してください。"
            "新しく作るには `ebpm init フォルダ` を実行します"
        )
    return Workspace(found)


_ATTRIBUTES = {
    "ROOT": "root",
    "RAW": "raw",
    "PROCESSED": "processed",
    "WAREHOUSE": "warehouse",
    "REPORT": "report",
    "NOTEBOOKS": "notebooks",
}


def __getattr__(name: str) -> Path:
    if name in _ATTRIBUTES:
        return getattr(workspace(), _ATTRIBUTES[name])
    raise AttributeError(f"module 'ebpm.paths' has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover
    ROOT: Path
    RAW: Path
    PROCESSED: Path
    WAREHOUSE: Path
    REPORT: Path
    NOTEBOOKS: Path
