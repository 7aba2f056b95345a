"""A polite e-Stat API v3 client: it talks HTTP and nothing else.

Rate limit, retries with back-off, the appId from the environment (never in a URL it
shows, a message or a body it returns), STATUS checks and ``NEXT_KEY`` paging. Every
decoded response is handed to a :class:`~ebpm.estat.cache.ResponseCache`, which alone
writes files and their provenance.
"""

from __future__ import annotations

import datetime as dt
import http.client
import math
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final, TextIO

import polars as pl

from ebpm import limits
from ebpm.estat.appid import APP_ID_ENV, Secret, redact, require_app_id, scrub
from ebpm.estat.cache import ResponseCache
from ebpm.estat.errors import EStatAPIError, EStatConfigError, EStatFormatError, EStatHTTPError
from ebpm.estat.responses import (
    EStatResponse,
    decode_json,
    error_status,
    locate,
    parse_stats_list,
)
from ebpm.estat.tidy import parse_stats_pages

__all__ = ["DEFAULT_BASE_URL", "MAX_LIMIT", "EStatClient"]

DEFAULT_BASE_URL: Final = "https://api.e-stat.go.jp/rest/3.0/app/json/"
#: Maximum rows e-Stat returns per request.
MAX_LIMIT: Final = 100_000
_USER_AGENT: Final = "ebpm-estat/0.1 (+offline-first EBPM toolkit)"
#: The largest response body kept: the e-Stat file limit of ``ebpm build``.
MAX_BODY: Final = limits.ESTAT_FILE.max_bytes


def _bounded(body: bytes) -> bytes:
    if len(body) > MAX_BODY:
        raise EStatFormatError(
            f"e-Stat の応答が大きすぎます（{MAX_BODY // (1024 * 1024)}MB を超えています）。"
            "--limit や絞り込み（--cd-area など）で件数を減らして取得してください"
        )
    return body


class _Progress:
    """A plain-text progress bar on stderr for multi-page downloads."""

    def __init__(self, stream: TextIO | None, label: str) -> None:
        self.stream = stream
        self.label = label
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.shown = False

    def update(self, page: int, rows: int, total_rows: int | None, total_pages: int | None) -> None:
        if self.stream is None:
            return
        if total_rows:
            width = 20
            done = min(width, round(width * rows / total_rows))
            bar = "#" * done + "-" * (width - done)
            pages = f"{page}/{total_pages}" if total_pages else str(page)
            line = f"{self.label}: [{bar}] {pages}ページ {rows:,}/{total_rows:,}件"
        else:
            line = f"{self.label}: {page}ページ {rows:,}件"
        self.stream.write(("\r" + line) if self.tty else (line + "\n"))
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.stream is not None and self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clean_params(params: Mapping[str, Any]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for key, value in params.items():
        if key.lower() == "appid":
            raise EStatConfigError(
                f"appId は引数で渡さず、環境変数 {APP_ID_ENV} に設定してください"
            )
        if value is None:
            continue
        if isinstance(value, list | tuple | set):
            value = ",".join(str(v) for v in value)
        clean[key] = str(value)
    return clean


class _Pager:
    """Counts rows and pages of one paged download from each page's ``RESULT_INF``."""

    def __init__(self, page_size: int, max_rows: int | None) -> None:
        self.page_size = page_size
        self.max_rows = max_rows
        self.page = self.fetched = 0
        self.expected_rows: int | None = None
        self.expected_pages: int | None = None

    def limit(self) -> int | None:
        """``limit`` of the next request: never more rows than still wanted."""
        if self.max_rows is None:
            return None
        return min(self.page_size, self.max_rows - self.fetched)

    def count(self, info: Mapping[str, Any]) -> bool:
        """Account for one page; True when it was the last one wanted."""
        self.page += 1
        first, last = info.get("FROM_NUMBER"), info.get("TO_NUMBER")
        if first is not None and last is not None:
            self.fetched += int(last) - int(first) + 1
        if self.page == 1 and info.get("TOTAL_NUMBER") is not None:
            expected = int(info["TOTAL_NUMBER"]) - int(first or 1) + 1
            if self.max_rows is not None:
                expected = min(expected, self.max_rows)
            # the server may cap a page below the requested limit
            per_page = int(last) - int(first) + 1 if first and last else self.page_size
            per_page = max(1, min(per_page, self.page_size))
            self.expected_rows = expected
            self.expected_pages = math.ceil(expected / per_page) if expected else None
        return not info.get("NEXT_KEY") or (
            self.max_rows is not None and self.fetched >= self.max_rows
        )


def _checked_base_url(base_url: str) -> str:
    """``base_url`` ending in ``/``; refused unless it is an http(s) URL with a host.

    Checked here, before any request is built: urllib's own error would quote the whole
    request URL, appId included.
    """
    parsed = urllib.parse.urlsplit(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query:
        raise EStatConfigError(
            f"e-Stat API の URL「{redact(base_url)}」が正しくありません"
            "（https:// で始まる URL を指定してください。例: "
            f"{DEFAULT_BASE_URL}）"
        )
    return base_url if base_url.endswith("/") else base_url + "/"


class EStatClient:
    """Polite e-Stat API v3 client with retries and paging; responses go to the cache.

    The appId comes only from the environment variable ``ESTAT_APP_ID``.

    Parameters
    ----------
    base_url
        Endpoint prefix; ``getStatsData`` etc. are appended (tests point it at a local stub).
    cache_dir
        Folder of the :class:`~ebpm.estat.cache.ResponseCache` that keeps every raw response
        with its provenance sidecar (default ``data/raw/estat``).
    min_interval
        Seconds between the starts of two requests (default 1 s).
    max_retries, backoff
        Retries on HTTP 429/5xx and connection errors, waiting ``backoff * 2**n`` seconds
        (or the server's ``Retry-After``, up to 60 s).
    timeout
        Seconds to wait for one response.
    progress
        ``True`` (stderr), ``False``, or a stream for the progress bar of multi-page downloads.

    Raises
    ------
    EStatConfigError
        When ``ESTAT_APP_ID`` is not set.
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        cache_dir: str | Path | None = None,
        min_interval: float = 1.0,
        max_retries: int = 3,
        backoff: float = 2.0,
        timeout: float = 60.0,
        progress: bool | TextIO = True,
    ) -> None:
        # Held in a closure (Secret): vars(), repr() and tracebacks never show it.
        self._app_id = Secret(require_app_id())
        self.base_url = _checked_base_url(base_url)
        self.cache = ResponseCache(cache_dir)
        self.min_interval = float(min_interval)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.timeout = float(timeout)
        self.progress = progress
        self._last_request: float | None = None

    @property
    def cache_dir(self) -> Path:
        """The folder the responses are cached in."""
        return self.cache.folder

    def __repr__(self) -> str:
        return f"EStatClient(base_url={self.base_url!r}, cache_dir={str(self.cache_dir)!r})"

    # -- HTTP ----------------------------------------------------------------------------

    def _public_url(self, kind: str, params: Mapping[str, str]) -> str:
        query = urllib.parse.urlencode(params)
        return self.base_url + kind + (f"?{query}" if query else "")

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            wait = self.min_interval - (time.monotonic() - self._last_request)
            if wait > 0:
                time.sleep(wait)
        self._last_request = time.monotonic()

    def _request(
        self, kind: str, params: Mapping[str, str], public_url: str
    ) -> urllib.request.Request:
        """The request with the appId; any error building it is re-raised without the URL."""
        failure = None
        try:
            url = self._public_url(kind, {"appId": self._app_id.reveal(), **params})
            return urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        except Exception as error:  # raised below, outside this block: no chained URL
            failure = f"{error.__class__.__name__}: {redact(str(error), self._app_id)}"
        raise EStatConfigError(f"e-Stat へのリクエストを作れません（{failure}）: {public_url}")

    def _attempt(self, request: urllib.request.Request) -> tuple[bytes | None, int | None, str]:
        """One try: ``(body, None, "")`` on success, else ``(error body, HTTP status, reason)``.

        urllib exceptions carry the full URL (appId included), so none leaves this method.
        """
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return _bounded(response.read(MAX_BODY + 1)), None, ""
        except urllib.error.HTTPError as error:
            body = _bounded(error.read(MAX_BODY + 1) or b"")
            retry_after = str(error.headers.get("Retry-After", "") or "") if error.headers else ""
            error.close()
            return body, error.code, retry_after
        except (
            urllib.error.URLError,
            TimeoutError,
            ConnectionError,
            http.client.HTTPException,
        ) as error:
            detail = getattr(error, "reason", None) or error.__class__.__name__
            return None, None, redact(str(detail), self._app_id)
        except EStatFormatError:
            raise
        except Exception as error:  # e.g. http.client.InvalidURL quotes the URL: never re-raised
            return None, None, redact(f"{error.__class__.__name__}: {error}", self._app_id)

    def _fetch(self, kind: str, params: Mapping[str, str]) -> bytes:
        """GET one endpoint with retries; the body, appId scrubbed out."""
        public_url = self._public_url(kind, params)
        request = self._request(kind, params, public_url)
        reason = ""
        for attempt in range(self.max_retries + 1):
            self._wait_turn()
            delay = self.backoff * (2**attempt)
            body, http_status, detail = self._attempt(request)
            if body is not None and http_status is None:
                return body
            if http_status is None:
                reason = detail
            else:
                self._raise_api_error(scrub(body or b"", self._app_id)[0], public_url)
                if http_status != 429 and http_status < 500:
                    raise EStatHTTPError(
                        f"e-Stat が HTTP {http_status} を返しました: {public_url}", http_status
                    )
                reason = f"HTTP {http_status}"
                if detail.strip().isdigit():  # Retry-After
                    delay = max(delay, min(float(detail), 60.0))
            if attempt < self.max_retries:
                time.sleep(delay)
        raise EStatHTTPError(
            f"e-Stat に接続できませんでした（{self.max_retries + 1}回試行、最後の理由: {reason}）。"
            f"ネットワーク接続を確認し、しばらくしてから再実行してください: {public_url}"
        )

    def _raise_api_error(self, body: bytes, public_url: str) -> None:
        """Raise EStatAPIError when a body (of any HTTP status) carries STATUS >= 100."""
        found = error_status(body)
        if found is not None:
            status, message = found
            raise EStatAPIError(status, redact(message, self._app_id), public_url)

    def request(self, kind: str, params: Mapping[str, Any]) -> EStatResponse:
        """One API call: rate limit, retries, STATUS check; the response is then cached.

        Raises
        ------
        EStatAPIError
            STATUS >= 100 (also when it arrives with HTTP 403).
        EStatHTTPError
            Network or HTTP failure after the retries.
        """
        clean = _clean_params(params)
        public_url = self._public_url(kind, clean)
        body, redacted = scrub(self._fetch(kind, clean), self._app_id)
        self._raise_api_error(body, public_url)
        try:
            obj = decode_json(body)
        except EStatAPIError as error:
            raise EStatAPIError(error.status, error.message, public_url) from None
        except EStatFormatError as error:
            raise EStatFormatError(f"{error}: {public_url}") from None
        response = EStatResponse(
            kind=kind,
            data=obj,
            url=public_url,
            body=body,
            query=clean,
            retrieved_at=dt.date.today().isoformat(),
            redacted=redacted,
        )
        return self.cache.store(response)

    # -- paging --------------------------------------------------------------------------

    def _progress_stream(self) -> TextIO | None:
        if self.progress is True:
            return sys.stderr
        if self.progress is False or self.progress is None:
            return None
        return self.progress

    def iter_pages(
        self, kind: str, params: Mapping[str, Any], *, max_rows: int | None = None
    ) -> Iterator[EStatResponse]:
        """Follow ``NEXT_KEY`` via ``startPosition`` until it is absent (or ``max_rows``).

        With ``max_rows`` the ``limit`` of each request is cut so that no more rows than
        asked for are downloaded. Later getStatsData pages are requested without metadata.
        """
        params = _clean_params(params)
        if max_rows is not None and max_rows < 1:
            raise ValueError("max_rows は 1 以上を指定してください")
        pager = _Pager(min(int(params.get("limit") or MAX_LIMIT), MAX_LIMIT), max_rows)
        start = int(params["startPosition"]) if params.get("startPosition") else None
        bar = _Progress(self._progress_stream(), f"e-Stat {params.get('statsDataId') or kind}")
        try:
            while True:
                query = dict(params)
                if start is not None:
                    query["startPosition"] = str(start)
                if (limit := pager.limit()) is not None:
                    query["limit"] = str(limit)
                if pager.page and kind == "getStatsData":
                    query["metaGetFlg"] = "N"  # labels come from the first page
                response = self.request(kind, query)
                yield response
                info = locate(response.data).result_inf
                done = pager.count(info)
                if pager.page > 1 or not done:
                    bar.update(pager.page, pager.fetched, pager.expected_rows, pager.expected_pages)
                if done:
                    break
                next_key = info["NEXT_KEY"]
                if start is not None and int(next_key) <= start:
                    raise EStatFormatError(f"NEXT_KEY {next_key} が進みません: {response.url}")
                start = int(next_key)
        finally:
            bar.close()

    # -- endpoints -----------------------------------------------------------------------

    def get_stats_list(self, **params: Any) -> pl.DataFrame:
        """getStatsList (``searchWord``, ``statsCode``, ``collectArea`` …), all pages."""
        frames = [parse_stats_list(r.data) for r in self.iter_pages("getStatsList", params)]
        return pl.concat(frames) if frames else parse_stats_list({"GET_STATS_LIST": {}})

    def get_meta_info(self, stats_data_id: str, **params: Any) -> Mapping[str, Any]:
        """getMetaInfo of one table (raw JSON; see :func:`~ebpm.estat.parse_meta_info`)."""
        return self.request("getMetaInfo", {"statsDataId": stats_data_id, **params}).data

    def fetch_stats_data(
        self, stats_data_id: str, *, max_rows: int | None = None, **params: Any
    ) -> list[EStatResponse]:
        """getStatsData, every page cached; filters as e-Stat names them (``cdArea`` …)."""
        query = {"statsDataId": stats_data_id, "metaGetFlg": "Y", **params}
        return list(self.iter_pages("getStatsData", query, max_rows=max_rows))

    def get_stats_data(
        self, stats_data_id: str, *, max_rows: int | None = None, **params: Any
    ) -> pl.DataFrame:
        """getStatsData as one tidy frame (all pages, labelled from the first page)."""
        return parse_stats_pages(self.fetch_stats_data(stats_data_id, max_rows=max_rows, **params))
