"""Static rendering through vl-convert: one spec drawn once, a chart cache and parallel workers.

No Altair here, so render workers start fast; :mod:`ebpm.charts.export` themes the charts
and hands their Vega-Lite specs to :func:`convert` or a :class:`Renderer`.

* :func:`convert` compiles a spec to Vega once and draws it to SVG once; the PNG and the PDF
  are rasterised/converted from that SVG (vl-convert's ``svg_to_png``/``svg_to_pdf``): the PNG
  is byte-identical to ``vegalite_to_png`` and the PDF draws the same page (vl-convert orders
  a PDF's graphics-state dictionary at random, so no two of its PDFs are byte-equal).
* :class:`ChartCache` keeps each output under the SHA-256 of everything that decides its
  bytes (the spec, the format, the scale, vl-convert's version and options, the font files),
  so a report made again redraws only the charts whose spec changed.
* :class:`Renderer` draws what the cache does not have in ``spawn`` worker processes
  (vl-convert holds the GIL, so threads give nothing, and ``fork`` deadlocks once the parent
  has used vl-convert) while the caller goes on building the next charts.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Final

__all__ = [
    "CACHE_LIMIT_BYTES",
    "UNITS_PER_INCH",
    "WORKERS_ENV",
    "ChartCache",
    "Pending",
    "Renderer",
    "convert",
    "default_workers",
    "start_worker",
]

#: Chart units per inch: the PDF's points.
UNITS_PER_INCH: Final = 72
#: Environment variable: the number of render worker processes (0 or 1: draw in-process).
WORKERS_ENV: Final = "EBPM_RENDER_WORKERS"
#: The chart cache is pruned to this size (oldest use first) after each report.
CACHE_LIMIT_BYTES: Final = 256 * 1024 * 1024
#: Part of every cache key: raise it when :func:`convert` draws differently.
_CACHE_FORMAT: Final = 1
_DRAWN: Final = frozenset({"png", "svg", "pdf"})


def convert(
    spec: dict[str, Any], formats: Sequence[str], scale_factor: float, kwargs: dict[str, Any]
) -> dict[str, bytes]:
    """``spec`` in each of ``formats``; ``kwargs`` are vl-convert's (version, locales, URLs)."""
    import vl_convert as vlc

    options = dict(kwargs)
    out: dict[str, bytes] = {}
    svg = ""
    if _DRAWN.intersection(formats):
        vega = vlc.vegalite_to_vega(spec, vl_version=options.pop("vl_version"))
        svg = vlc.vega_to_svg(vega, **options)
    for fmt in formats:
        if fmt == "png":
            # vl-convert draws at scale * ppi / 72 and writes ppi into the PNG header; one chart
            # unit is one point, as in the PDF.
            ppi = UNITS_PER_INCH * scale_factor
            out[fmt] = vlc.svg_to_png(svg, scale=scale_factor * 72 / ppi, ppi=ppi)
        elif fmt == "svg":
            out[fmt] = svg.encode("utf-8")
        elif fmt == "pdf":
            out[fmt] = vlc.svg_to_pdf(svg)
        else:
            out[fmt] = json.dumps(spec, ensure_ascii=False, indent=2).encode("utf-8")
    return out


def start_worker(font_dir: str | None) -> None:
    """Initialise a render worker: the same Japanese font as the parent process.

    Ctrl-C is left to the parent, which cancels what is queued and waits for the drawings
    under way (each well under a second) instead of workers dying with tracebacks.
    """
    import signal

    import vl_convert as vlc

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    if font_dir is not None:
        vlc.register_font_directory(font_dir)


def default_workers() -> int:
    """Render workers: ``EBPM_RENDER_WORKERS``, else one per usable core (at most 4)."""
    named = os.environ.get(WORKERS_ENV, "").strip()
    if named:
        try:
            return max(0, int(named))
        except ValueError:
            msg = f"環境変数 {WORKERS_ENV} は 0 以上の整数で指定してください：{named!r}"
            raise ValueError(msg) from None
    return min(len(os.sched_getaffinity(0)), 4)


def _fingerprint(font_dir: str | None, kwargs: dict[str, Any]) -> str:
    """What besides the spec decides the bytes: vl-convert, its options and the font files."""
    import vl_convert as vlc

    fonts: list[tuple[str, int, int]] = []
    if font_dir is not None:
        for entry in sorted(os.scandir(font_dir), key=lambda e: e.name):
            if entry.is_file():
                stat = entry.stat()
                fonts.append((entry.name, stat.st_size, stat.st_mtime_ns))
    parts = [_CACHE_FORMAT, getattr(vlc, "__version__", ""), kwargs, font_dir, fonts]
    return json.dumps(parts, sort_keys=True, ensure_ascii=False)


class ChartCache:
    """Rendered files under ``directory``, one per (spec, format, scale), named by SHA-256.

    Writes are atomic (a temporary file renamed into place), so parallel reports and test
    workers can share one directory. The cache only saves time: a file it cannot read or
    write is drawn again.
    """

    def __init__(self, directory: str | Path, fingerprint: str) -> None:
        self.directory = Path(directory)
        self._fingerprint = fingerprint

    def keys(self, spec: dict[str, Any], formats: Sequence[str], scale: float) -> dict[str, str]:
        """The cache key of ``spec`` in each format (the scale only matters for PNG)."""
        text = json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        base = hashlib.sha256(f"{self._fingerprint}\n{text}".encode())
        out = {}
        for fmt in formats:
            digest = base.copy()
            sized = repr(scale) if fmt == "png" else ""
            digest.update(f"\n{fmt}\n{sized}".encode())
            out[fmt] = digest.hexdigest()
        return out

    def _path(self, key: str, fmt: str) -> Path:
        return self.directory / key[:2] / f"{key}.{fmt}"

    def get(self, key: str, fmt: str) -> bytes | None:
        path = self._path(key, fmt)
        try:
            body = path.read_bytes()
            os.utime(path)  # last use, for pruning
        except OSError:
            return None
        return body

    def put(self, key: str, fmt: str, body: bytes) -> None:
        path = self._path(key, fmt)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
            os.replace(tmp, path)
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def prune(self, limit: int = CACHE_LIMIT_BYTES) -> int:
        """Delete the least recently used files until the cache holds at most ``limit``
        bytes; the number of files deleted."""
        try:
            stats = [
                (Path(e.path), e.stat())
                for d in os.scandir(self.directory)
                if d.is_dir()
                for e in os.scandir(d.path)
                if e.is_file()
            ]
        except OSError:
            return 0
        files = [(stat.st_mtime_ns, stat.st_size, path) for path, stat in stats]
        total, removed = sum(size for _, size, _ in files), 0
        for _, size, path in sorted(files):
            if total <= limit:
                break
            path.unlink(missing_ok=True)
            total, removed = total - size, removed + 1
        return removed


class Pending:
    """One spec being drawn: its cached formats now, the rest when :meth:`result` is called."""

    def __init__(
        self,
        formats: Sequence[str],
        found: dict[str, bytes],
        keys: dict[str, str],
        cache: ChartCache | None,
        future: Future[dict[str, bytes]] | dict[str, bytes] | None,
    ) -> None:
        self._formats = tuple(formats)
        self._found = found
        self._keys = keys
        self._cache = cache
        self._future = future

    def result(self) -> dict[str, bytes]:
        """Every requested format's bytes, in the requested order (waits for the drawing)."""
        if self._future is not None:
            drawn = self._future if isinstance(self._future, dict) else self._future.result()
            self._future = None
            for fmt, body in drawn.items():
                if fmt not in self._found and fmt in self._formats:
                    self._found[fmt] = body
                    if self._cache is not None:
                        self._cache.put(self._keys[fmt], fmt, body)
        return {fmt: self._found[fmt] for fmt in self._formats}


class Renderer:
    """Draws themed specs: from the cache when it can, otherwise in worker processes.

    Use as a context manager; :meth:`submit` returns at once and the drawing goes on in the
    workers while the caller builds the next chart. With ``workers`` ≤ 1 (or
    ``EBPM_RENDER_WORKERS=0``) every spec is drawn in this process.
    """

    def __init__(
        self,
        kwargs: dict[str, Any],
        font_dir: str | None,
        *,
        cache_dir: str | Path | None = None,
        workers: int | None = None,
    ) -> None:
        self._kwargs = dict(kwargs)
        self._font_dir = font_dir
        self._workers = default_workers() if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None
        self.cache = (
            ChartCache(cache_dir, _fingerprint(font_dir, self._kwargs)) if cache_dir else None
        )
        #: specs drawn and specs taken from the cache (for benchmarks and tests)
        self.drawn = 0
        self.reused = 0

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers (after the queued drawings, or at once with ``cancel``)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None

    def submit(self, spec: dict[str, Any], formats: Sequence[str], scale_factor: float) -> Pending:
        """Start drawing ``spec`` in ``formats``; the bytes come from :meth:`Pending.result`."""
        keys = self.cache.keys(spec, formats, scale_factor) if self.cache else {}
        found: dict[str, bytes] = {}
        if self.cache is not None:
            for fmt in formats:
                body = self.cache.get(keys[fmt], fmt)
                if body is not None:
                    found[fmt] = body
        missing = [f for f in formats if f not in found]
        if not missing:
            self.reused += 1
            return Pending(formats, found, keys, self.cache, None)
        self.drawn += 1
        args = (spec, missing, scale_factor, self._kwargs)
        if self._workers <= 1:
            return Pending(formats, found, keys, self.cache, convert(*args))
        return Pending(formats, found, keys, self.cache, self._executor().submit(convert, *args))

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(self._font_dir,),
            )
        return self._pool
