"""The e-Stat application ID: read only from the environment, and kept out of every text.

The appId is personal (one per registered user). It is read from ``ESTAT_APP_ID`` when a
request is made and is never written to a file, a message, a saved query or a cached body.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from typing import Final, NoReturn

from ebpm.estat.errors import EStatConfigError

__all__ = ["APP_ID_ENV", "Secret", "app_id_from_env", "redact", "require_app_id", "scrub"]

APP_ID_ENV: Final = "ESTAT_APP_ID"
_APP_ID_HELP: Final = (
    f"環境変数 {APP_ID_ENV} にe-StatのアプリケーションIDが設定されていません。"
    "e-Stat（https://www.e-stat.go.jp/api/）でユーザ登録してアプリケーションIDを取得し、"
    f"コマンドを実行する前に設定してください（例: bash では export {APP_ID_ENV}=取得したID、"
    f'PowerShell では $env:{APP_ID_ENV}="取得したID"）。'
    "アプリケーションIDは個人のものです。ファイルやノートブックには書かないでください。"
)
_APP_ID_PARAM: Final = re.compile(r"(appId=)[^&\s\"']*")


def app_id_from_env() -> str | None:
    """The appId in ``ESTAT_APP_ID`` (surrounding spaces removed), or None when unset."""
    value = os.environ.get(APP_ID_ENV, "").strip()
    return value or None


def require_app_id() -> str:
    """The appId in ``ESTAT_APP_ID``.

    Raises
    ------
    EStatConfigError
        When it is not set, explaining in Japanese how to obtain and set one.
    """
    app_id = app_id_from_env()
    if app_id is None:
        raise EStatConfigError(_APP_ID_HELP)
    return app_id


class Secret:
    """A secret held in a closure: no attribute, repr, str, pickle or ``vars()`` shows it.

    >>> key = Secret("abc123")
    >>> key, str(key), key.reveal()
    (Secret('***'), '***', 'abc123')
    """

    __slots__ = ("reveal",)

    def __init__(self, value: str) -> None:
        def reveal() -> str:
            return value

        self.reveal: Callable[[], str] = reveal

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __reduce__(self) -> NoReturn:
        raise TypeError("Secret は保存（pickle）できません")


def _char_forms(char: str) -> list[bytes]:
    """How a server may echo one character: as is, %XX, \\uXXXX, \\xXX, &#N;, &#xX;."""
    code = ord(char)
    forms = [re.escape(char.encode("utf-8"))]
    if code < 0x80:
        forms += [
            rb"%" + f"{code:02x}".encode(),
            rb"\\u00" + f"{code:02x}".encode(),
            rb"\\x" + f"{code:02x}".encode(),
            rb"&#0*" + str(code).encode() + rb";",
            rb"&#x0*" + f"{code:x}".encode() + rb";",
        ]
    return forms


def _echo_pattern(secret: str) -> re.Pattern[bytes]:
    """The secret written with any mix of character escapes (hex digits in either case)."""
    parts = [b"(?:" + b"|".join(_char_forms(c)) + b")" for c in secret]
    return re.compile(b"".join(parts), re.IGNORECASE if secret.isascii() else 0)


def _base64_cores(secret: bytes) -> list[bytes]:
    """The base64 characters fixed by ``secret`` alone, at each of the 3 alignments."""
    cores = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret)
        first = -(-8 * offset // 6)  # ceil: the first character made only of secret bits
        last = 8 * (offset + len(secret)) // 6
        core = encoded[first:last]
        if len(core) >= 8:
            cores += [core, core.replace(b"+", b"-").replace(b"/", b"_")]  # standard, URL-safe
    return cores


def _scrub_bytes(body: bytes, secret: str) -> bytes:
    body = _echo_pattern(secret).sub(b"***", body)
    raw = secret.encode("utf-8")
    for form in (raw.hex().encode(), raw.hex().upper().encode(), *_base64_cores(raw)):
        body = body.replace(form, b"***")
    return body


def redact(text: str, secret: str | Secret | None = None) -> str:
    r"""Remove an appId from a message or URL.

    Every ``appId=…`` query value is masked, and so is ``secret`` wherever it appears,
    also escaped (``%61…``, ``\\u0061…``, ``&#97;…``), in hex or in base64 (default: the
    appId in ``ESTAT_APP_ID``, if set).

    >>> redact("https://api.e-stat.go.jp/rest/3.0/app/json/getStatsData?appId=abc&lang=J")
    'https://api.e-stat.go.jp/rest/3.0/app/json/getStatsData?appId=***&lang=J'
    >>> redact("key abc123 was refused", "abc123")
    'key *** was refused'
    >>> redact("echo %61%62%63123 and \\u0061bc123", "abc123")
    'echo *** and ***'
    """
    text = _APP_ID_PARAM.sub(r"\1***", text)
    value = secret.reveal() if isinstance(secret, Secret) else secret
    value = value if value is not None else app_id_from_env()
    if value:
        text = _scrub_bytes(text.encode("utf-8", "surrogatepass"), value).decode(
            "utf-8", "surrogatepass"
        )
    return text


def scrub(body: bytes, secret: str | Secret | None) -> tuple[bytes, bool]:
    r"""``body`` with every echo of ``secret`` replaced by ``***``, and whether any was.

    e-Stat echoes the request (appId included) in some error bodies and CSV headers, so a
    body is scrubbed before it is kept anywhere: the secret as is, escaped character by
    character (URL, JSON, HTML), in hex and in base64.

    >>> scrub(b'{"appId": "abc123"}', "abc123")
    (b'{"appId": "***"}', True)
    >>> scrub(b'{"echo": "\\u0061\\u0062c123"}', "abc123")
    (b'{"echo": "***"}', True)
    """
    value = secret.reveal() if isinstance(secret, Secret) else secret
    if not value:
        return body, False
    cleaned = _scrub_bytes(body, value)
    return cleaned, cleaned != body
