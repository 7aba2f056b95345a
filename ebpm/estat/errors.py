"""The errors of :mod:`ebpm.estat`; every message is Japanese and safe to show (no appId)."""

from __future__ import annotations

__all__ = [
    "EStatAPIError",
    "EStatConfigError",
    "EStatError",
    "EStatFormatError",
    "EStatHTTPError",
]


class EStatError(Exception):
    """Base class of the e-Stat errors; the message is Japanese and safe to show."""


class EStatAPIError(EStatError):
    """e-Stat answered with ``STATUS`` >= 100 (its ``ERROR_MSG`` is kept)."""

    def __init__(self, status: int, message: str, url: str | None = None) -> None:
        self.status = status
        self.message = message
        self.url = url
        super().__init__(f"e-Stat API がエラーを返しました（STATUS {status}）: {message}")


class EStatHTTPError(EStatError):
    """The request failed at the HTTP or network level (after retries)."""

    def __init__(self, message: str, http_status: int | None = None) -> None:
        self.http_status = http_status
        super().__init__(message)


class EStatConfigError(EStatError):
    """Missing or misplaced configuration (e.g. no ``ESTAT_APP_ID``)."""


class EStatFormatError(EStatError, ValueError):
    """A response or file that is not a recognisable e-Stat format."""
