"""Employee ids become keyed pseudonyms (HMAC-SHA256) before anything is stored.

The key
-------
- Lives OUTSIDE the repository: ``~/.config/ebpm/pseudonym.key`` (Linux, macOS; or
  ``$XDG_CONFIG_HOME/ebpm/``), ``%APPDATA%\\ebpm\\pseudonym.key`` (Windows), or the file
  named by the environment variable ``EBPM_PSEUDONYM_KEY_FILE``. A key path inside
  the project folder is refused, so it cannot be committed by accident.
- Created on first use: 32 random bytes from :mod:`secrets`, written as hex with
  permissions 0600 in a 0700 folder. On POSIX a key readable by others is refused.
- The same key gives the same pseudonym in every year, so a person can be followed
  across years; a lost key means new pseudonyms (back it up like a password).

The pseudonym
-------------
``HMAC-SHA256(key, "ebpm:employee:v1:" + id)`` (RFC 2104), first 16 hex digits (64
bits: for 25,000 staff the chance that two people share a pseudonym is about 2e-11;
the ingest checks it anyway). The id is NFKC-normalised and stripped first, so
``"Ｓ００１"`` and ``"S001 "`` are the same person. It is computed once per *distinct*
id (tens of thousands), never per row, and joined to the rows: in DuckDB SQL for ids
that are already normal (printable ASCII, :meth:`Pseudonymizer.sql`, the same HMAC
written out), with Python's :mod:`hmac` for the others.

Training samples (fictional ids only) are pseudonymised with :data:`SAMPLE_KEY`, a
public key, so that notebook outputs are the same on every machine. It is never
used for records that are not flagged ``is_sample``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from ebpm import paths

__all__ = [
    "KEY_ENV",
    "SAMPLE_KEY",
    "PseudonymKeyError",
    "Pseudonymizer",
    "default_key_path",
    "load_key",
    "normalize_id",
]

KEY_ENV = "EBPM_PSEUDONYM_KEY_FILE"
#: Public key for the fictional ids of the training samples (never for real records).
SAMPLE_KEY = b"ebpm training samples: public key for fictional employee ids only"
_KEY_BYTES = 32
_DOMAIN = b"ebpm:employee:v1:"
_FINGERPRINT = b"ebpm:key-fingerprint:v1"
PSEUDONYM_LENGTH = 16


class PseudonymKeyError(ValueError):
    """The pseudonym key cannot be used (message in Japanese)."""


def default_key_path() -> Path:
    """Where the key is kept: ``$EBPM_PSEUDONYM_KEY_FILE`` or the user's config folder."""
    override = os.environ.get(KEY_ENV)
    if override:
        return Path(override).expanduser()
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "ebpm" / "pseudonym.key"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _project_folders() -> list[Path]:
    """Folders a key must stay out of: the source checkout and the data workspace."""
    folders = [Path(__file__).resolve().parents[2]]
    with contextlib.suppress(OSError, LookupError):  # no workspace: the checkout is enough
        folders.append(Path(paths.ROOT))
    return folders


def _create(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    handle = os.open(path, flags, 0o600)
    with os.fdopen(handle, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(_KEY_BYTES) + "\n")


def load_key(path: Path | None = None, *, create: bool = True) -> bytes:
    """Read the pseudonym key, creating it on first use.

    Raises
    ------
    PseudonymKeyError
        The key is inside the project folder, readable by other users (POSIX),
        malformed, or missing while ``create`` is false.
    """
    path = Path(path) if path else default_key_path()
    if any(_inside(path, folder) for folder in _project_folders()):
        raise PseudonymKeyError(
            f"仮名化の鍵 {path} がプロジェクトのフォルダの中にあります。鍵はリポジトリの外に置いてください"
            f"（環境変数 {KEY_ENV} で場所を変えられます）"
        )
    if not path.exists():
        if not create:
            raise PseudonymKeyError(f"仮名化の鍵 {path} がありません")
        with contextlib.suppress(FileExistsError):  # created by a concurrent build just now
            _create(path)
    if os.name != "nt" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise PseudonymKeyError(
            f"仮名化の鍵 {path} をほかの利用者が読める設定になっています"
            f"（`chmod 600 {path}` を実行してください）"
        )
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < _KEY_BYTES:
        raise PseudonymKeyError(
            f"仮名化の鍵 {path} の中身が正しくありません（16進数で{_KEY_BYTES * 2}文字以上が必要です）。"
            "バックアップから戻してください"
        )
    return key


def normalize_id(value: str) -> str:
    """The form of an employee id that is hashed: NFKC, surrounding spaces removed."""
    return unicodedata.normalize("NFKC", value).strip()


class Pseudonymizer:
    """Keyed pseudonyms of employee ids.

    >>> p = Pseudonymizer(SAMPLE_KEY)
    >>> p("S000123") == p(" Ｓ０００１２３ "), len(p("S000123"))
    (True, 16)
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < _KEY_BYTES:
            raise ValueError("the pseudonym key must have at least 32 bytes")
        self._base = hmac.new(key, _DOMAIN, hashlib.sha256)
        # RFC 2104: a key longer than the 64-byte block is hashed, then zero-padded
        block = (key if len(key) <= 64 else hashlib.sha256(key).digest()).ljust(64, b"\0")
        self._ipad = bytes(b ^ 0x36 for b in block)
        self._opad = bytes(b ^ 0x5C for b in block)
        self.is_sample_key = key == SAMPLE_KEY
        self.fingerprint = hmac.new(key, _FINGERPRINT, hashlib.sha256).hexdigest()[:12]

    def __call__(self, clear_id: str) -> str:
        mac = self._base.copy()  # the keyed inner/outer states are computed once
        mac.update(normalize_id(clear_id).encode("utf-8"))
        return mac.hexdigest()[:PSEUDONYM_LENGTH]

    def many(self, clear_ids: Iterable[str]) -> list[str]:
        return [self(value) for value in clear_ids]

    def sql(self, column: str) -> tuple[str, dict[str, object]]:
        """The same pseudonym as a DuckDB expression over an already normalised VARCHAR column.

        HMAC-SHA256 written out as RFC 2104 defines it:
        ``SHA256((K ⊕ opad) ‖ SHA256((K ⊕ ipad) ‖ m))`` with ``m = "ebpm:employee:v1:" ‖ id``
        (UTF-8), K zero-padded to the 64-byte block. It lets DuckDB hash tens of
        thousands of distinct ids in parallel; a test checks it equals :mod:`hmac`.
        The key enters the query only as parameters of an in-memory connection.

        Returns the SQL expression and its parameters.
        """
        inner = f"unhex(sha256($ebpm_ipad || encode($ebpm_domain || {column})))"
        expression = f"left(sha256($ebpm_opad || {inner}), {PSEUDONYM_LENGTH})"
        params: dict[str, object] = {
            "ebpm_ipad": self._ipad,
            "ebpm_opad": self._opad,
            "ebpm_domain": _DOMAIN.decode(),
        }
        return expression, params
