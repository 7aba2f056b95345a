"""The e-Stat application ID: read only from the environment, and kept out of every text.

The appId is personal (one per registered user). It is read from ``ESTAT_APP_ID`` when a
request is made and is never written to a file, a message, a saved query or a cached body.
"""

from __future__ import annotations

import os
import re
from typing import Final

from ebpm.estat.errors import EStatConfigError

__all__ = ["APP_ID_ENV", "app_id_from_env", "redact", "require_app_id", "scrub"]

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


def redact(text: str, secret: str | None = None) -> str:
    """Remove an appId from a message or URL.

    Every ``appId=…`` query value is masked, and so is ``secret`` wherever it appears
    (default: the appId in ``ESTAT_APP_ID``, if set).

    >>> redact("https://api.e-stat.go.jp/rest/3.0/app/json/getStatsData?appId=abc&lang=J")
    'https://api.e-stat.go.jp/rest/3.0/app/json/getStatsData?appId=***&lang=J'
    >>> redact("key abc123 was refused", "abc123")
    'key *** was refused'
    """
    text = _APP_ID_PARAM.sub(r"\1***", text)
    secret = secret if secret is not None else app_id_from_env()
    if secret:
        text = text.replace(secret, "***")
    return text


def scrub(body: bytes, secret: str | None) -> tuple[bytes, bool]:
    """``body`` with every occurrence of ``secret`` replaced by ``***``, and whether any was.

    e-Stat echoes the request (appId included) in some error bodies and CSV headers, so a
    body is scrubbed before it is kept anywhere.

    >>> scrub(b'{"appId": "abc123"}', "abc123")
    (b'{"appId": "***"}', True)
    """
    if secret and secret.encode() in body:
        return body.replace(secret.encode(), b"***"), True
    return body, False
