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
* :class:`Renderer` builds each chart's spec and draws what the cache does not have in
  ``spawn`` worker processes (vl-convert holds the GIL, so threads give nothing, and ``fork``
  deadlocks once the parent has used vl-convert) while the caller goes on with its work.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Final

from ebpm._spawn import no_main_module, usable_cores

__all__ = [
    "CACHE_LIMIT_BYTES",
    "CHART_CACHE_ENV",
    "UNITS_PER_INCH",
    "WORKERS_ENV",
    "ChartCache",
    "Given",
    "Pending",
    "Renderer",
    "chart_cache_dir",
    "convert",
    "default_workers",
    "draw",
    "start_worker",
]

#: Chart units per inch: the PDF's points.
UNITS_PER_INCH: Final = 72
#: Environment variable: the number of render worker processes (0 or 1: draw in-process).
WORKERS_ENV: Final = "EBPM_RENDER_WORKERS"
#: The chart cache is pruned to this size (oldest use first) after each report.
CACHE_LIMIT_BYTES: Final = 256 * 1024 * 1024
#: Environment variable naming the chart cache folder (see :func:`chart_cache_dir`).
CHART_CACHE_ENV: Final = "EBPM_CHART_CACHE"
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


def chart_cache_dir() -> Path | None:
    """Where rendered charts are kept between reports and lessons: ``EBPM_CHART_CACHE``, else
    ``data/processed/cache/charts/`` of the current workspace (None outside a workspace)."""
    from ebpm import paths

    named = os.environ.get(CHART_CACHE_ENV, "").strip()
    if named:
        return Path(named)
    try:
        return paths.workspace().processed / "cache" / "charts"
    except paths.WorkspaceError:
        return None


def start_worker(font_dir: str | None, preload: Sequence[str] = ()) -> None:
    """Initialise a render worker: the same Japanese font as the parent process, and the
    modules its jobs use loaded before the first job.

    Ctrl-C is left to the parent, which cancels what is queued and waits for the drawings
    under way (each well under a second) instead of workers dying with tracebacks.
    """
    import signal

    import vl_convert as vlc

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if font_dir is not None:
        vlc.register_font_directory(font_dir)
    for module in preload:
        importlib.import_module(module)


def default_workers() -> int:
    """Render workers: ``EBPM_RENDER_WORKERS``, else one per usable core (at most 4)."""
    named = os.environ.get(WORKERS_ENV, "").strip()
    if named:
        try:
            return max(0, int(named))
        except ValueError:
            msg = f"環境変数 {WORKERS_ENV} は 0 以上の整数で指定してください：{named!r}"
            raise ValueError(msg) from None
    return min(usable_cores(), 4)


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

    def _marker(self, fact: str) -> Path:
        digest = hashlib.sha256(f"{self._fingerprint}\n{fact}".encode()).hexdigest()
        return self.directory / f"{fact}-{digest[:16]}.ok"

    def knows(self, fact: str) -> bool:
        """Whether :meth:`learn` recorded ``fact`` with this fingerprint (same vl-convert,
        options and font files)."""
        return self._marker(fact).is_file()

    def learn(self, fact: str) -> None:
        """Record that ``fact`` holds for this fingerprint (e.g. the font draws Japanese)."""
        with contextlib.suppress(OSError):
            self.directory.mkdir(parents=True, exist_ok=True)
            self._marker(fact).touch()

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


def draw(
    build: Callable[[], dict[str, Any]],
    formats: Sequence[str],
    scale_factor: float,
    kwargs: dict[str, Any],
    cache: ChartCache | None,
) -> tuple[dict[str, bytes], bool]:
    """Build one spec and return it in ``formats`` (from ``cache`` where it has them); True
    when nothing had to be drawn. Runs in a render worker or in this process."""
    spec = build()
    keys = cache.keys(spec, formats, scale_factor) if cache is not None else {}
    found: dict[str, bytes] = {}
    if cache is not None:
        for fmt in formats:
            body = cache.get(keys[fmt], fmt)
            if body is not None:
                found[fmt] = body
    missing = [f for f in formats if f not in found]
    if missing:
        for fmt, body in convert(spec, missing, scale_factor, kwargs).items():
            found[fmt] = body
            if cache is not None:
                cache.put(keys[fmt], fmt, body)
    return {fmt: found[fmt] for fmt in formats}, not missing


class Given:
    """A spec built already, as a job's ``build`` (picklable)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def __call__(self) -> dict[str, Any]:
        return self.spec


class Pending:
    """One chart being built and drawn; :meth:`result` waits for its bytes."""

    def __init__(
        self,
        renderer: Renderer,
        job: Future[tuple[dict[str, bytes], bool]] | tuple[dict[str, bytes], bool],
    ) -> None:
        self._renderer = renderer
        self._job = job
        self._bodies: dict[str, bytes] | None = None

    def result(self) -> dict[str, bytes]:
        """Every requested format's bytes, in the requested order."""
        if self._bodies is None:
            job = self._job if isinstance(self._job, tuple) else self._job.result()
            self._bodies, reused = job
            if reused:
                self._renderer.reused += 1
            else:
                self._renderer.drawn += 1
        return self._bodies


class Renderer:
    """Builds and draws chart specs in worker processes, taking what the cache has.

    Use as a context manager: the workers start at once (loading ``preload`` while the
    caller reads its data), :meth:`submit` returns at once and the caller goes on with the
    next chart. With ``workers`` ≤ 1 (or ``EBPM_RENDER_WORKERS=0``) every job runs in this
    process.
    """

    def __init__(
        self,
        kwargs: dict[str, Any],
        font_dir: str | None,
        *,
        cache_dir: str | Path | None = None,
        workers: int | None = None,
        preload: Sequence[str] = (),
    ) -> None:
        self._kwargs = dict(kwargs)
        self._font_dir = font_dir
        self._preload = tuple(preload)
        self._workers = default_workers() if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None
        self.cache = (
            ChartCache(cache_dir, _fingerprint(font_dir, self._kwargs)) if cache_dir else None
        )
        #: charts drawn and charts whose every format came from the cache
        self.drawn = 0
        self.reused = 0

    def __enter__(self) -> Renderer:
        if self._workers > 1:  # start the workers now: they load while the caller reads data
            with no_main_module():
                for _ in range(self._workers):
                    self._executor().submit(os.getpid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers (after the queued jobs, or at once with ``cancel``)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None

    def submit(
        self, build: Callable[[], dict[str, Any]], formats: Sequence[str], scale_factor: float
    ) -> Pending:
        """Start building (``build()`` returns the themed spec; it must pickle) and drawing
        one chart in ``formats``."""
        args = (build, tuple(formats), scale_factor, self._kwargs, self.cache)
        if self._workers <= 1:
            return Pending(self, draw(*args))
        with no_main_module():
            return Pending(self, self._executor().submit(draw, *args))

    def _executor(self) -> ProcessPoolExecutor:
        """The worker pool; processes start on demand inside :func:`no_main_module`."""
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(self._font_dir, self._preload),
            )
        return self._pool
