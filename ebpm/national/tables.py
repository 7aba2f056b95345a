"""Everything ``ebpm build`` reads from ``data/raw/national`` (and the census in the e-Stat cache).

:func:`read_tables` reads each source that is present, checks every table with the Great
Expectations suites of :mod:`ebpm.validation`, and returns the warehouse tables with every
problem as an :class:`~ebpm.readers.InputError` (file, row, column). Tables:

``national_municipality``, ``national_population``
    the two small extracts (:mod:`ebpm.national.extracts`, checked when read);
``national_census_population``, ``national_former_municipality``
    国勢調査 1970–2020 of every area, and the 旧市町村 crosswalk (:mod:`ebpm.national.census`);
``national_fiscal``, ``national_fiscal_mean``, ``national_fiscal_file``, ``national_fiscal_indicator``
    主要財政指標 per municipality and year, the published means, one row per file read
    (indicators present, how rows were matched, the notes), and the indicators' names
    (:mod:`ebpm.national.fiscal`);
``national_opendata``
    the 2020 open-data survey (:mod:`ebpm.national.opendata`);
``national_peer``, ``national_peer_rule``
    the peer group and the rule that chose it (:mod:`ebpm.national.peers`).

Tables read and checked without a problem are kept in ``data/processed/cache/national/``
under a key made of the SHA-256 of every input file and of the reading and checking code
(:mod:`ebpm.national.cache`): a rebuild with the same files loads them; change a file or the
code and everything is read and checked again.

On a cache miss, :func:`start` can read the files in a second (``spawn``) process while
this one imports Great Expectations: the reading (the xlsx safety scan, xlrd and calamine,
the code matching) is Python that holds the GIL, so a thread would only take turns with
the import. The checks stay in this process (they need Great Expectations), and anything
the second process cannot deliver is read here again, so results and errors are the same.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from ebpm import validation
from ebpm._spawn import no_main_module, usable_cores
from ebpm.national import census, fiscal, opendata, peers
from ebpm.national.cache import TableCache
from ebpm.national.extracts import MUNICIPALITY_FILE, read_extracts
from ebpm.readers import InputError

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

__all__ = ["NationalRead", "read_tables", "start", "worth_a_process"]

Tables = dict[str, pl.DataFrame]
_FISCAL_NAMES: Final = {
    "prefecture": "都道府県名",
    "name": "団体名",
    **{i.id: i.label for i in fiscal.INDICATORS},
}
_EMPTY_NAMES: Final = pl.DataFrame(
    schema=dict.fromkeys(("area_code", "prefecture", "name"), pl.String)
)
_EMPTY_FORMER: Final = pl.DataFrame(
    schema=dict.fromkeys(("former_code", "prefecture", "former_name", "successor_code"), pl.String)
)


# --------------------------------------------------------------------------- reading


def _census(raw_dir: Path, folder: Path) -> tuple[Tables, list[InputError]]:
    frames: list[pl.DataFrame] = []
    errors: list[InputError] = []
    former = pl.DataFrame()
    old = folder / census.CENSUS_1970_2010
    if old.exists():
        frame, found = census.read_census_1970_2010(old, f"national/{census.CENSUS_1970_2010}")
        frames.append(frame)
        errors += found
    recent = folder / census.CENSUS_2015
    if recent.exists():
        frame, former, found = census.read_census_2015(recent, f"national/{census.CENSUS_2015}")
        frames.append(frame)
        errors += found
    frame, found = census.read_census_2020(raw_dir / "estat", raw_dir)
    frames.append(frame)
    errors += found
    population = pl.concat(frames, how="vertical_relaxed")
    if errors or population.height == 0:
        return {}, errors
    tables = {"national_census_population": population}
    if former.height:
        tables["national_former_municipality"] = former
    return tables, errors


def _match_sources(tables: Tables) -> fiscal.MatchSources:
    population = tables.get("national_census_population")
    if population is None:
        return fiscal.MatchSources(_EMPTY_NAMES, _EMPTY_FORMER)
    current = (
        population.filter(pl.col("area_level") == census.MUNICIPALITY)
        .sort("year", descending=True)  # the newest name of each code first
        .select("area_code", "prefecture", "name")
    )
    return fiscal.MatchSources(current, tables.get("national_former_municipality", _EMPTY_FORMER))


def _fiscal(
    raw_dir: Path, folder: Path, sources: fiscal.MatchSources
) -> tuple[Tables, list[InputError]]:
    if not (folder / fiscal.FISCAL_DIR).is_dir():
        return {}, []
    rows, files, errors = fiscal.read_fiscal(folder / fiscal.FISCAL_DIR, raw_dir, sources)
    means, mean_files, mean_errors = fiscal.read_fiscal_means(folder / fiscal.MEAN_DIR, raw_dir)
    errors += mean_errors
    if means.height == 0 and not mean_errors:  # the comparison view needs both kinds
        label = (folder / fiscal.MEAN_DIR).relative_to(raw_dir).as_posix() + "/"
        errors.append(
            InputError(
                label,
                "都道府県・全国の市町村平均のファイル（主要財政指標一覧の「都道府県別平均」）が"
                f"ありません。{fiscal.FISCAL_DIR}/ の市町村の表と一緒に、このフォルダに置いてください",
            )
        )
    if errors:
        return {}, errors
    indicators = pl.DataFrame(
        {
            "indicator_id": [i.id for i in fiscal.INDICATORS],
            "indicator": [i.label for i in fiscal.INDICATORS],
            "unit": [i.unit for i in fiscal.INDICATORS],
            "sort_order": list(range(1, len(fiscal.INDICATORS) + 1)),
        }
    )
    file_table = pl.concat([files, mean_files], how="diagonal_relaxed")
    return {
        "national_fiscal": rows,
        "national_fiscal_mean": means,
        "national_fiscal_file": file_table.sort("kind", "fiscal_year"),
        "national_fiscal_indicator": indicators,
    }, errors


def _opendata(
    raw_dir: Path, folder: Path, sources: fiscal.MatchSources
) -> tuple[Tables, list[InputError]]:
    answers = folder / opendata.ANSWERS_FILE
    if not answers.exists():
        return {}, []
    master = sources.current if sources.current.height else None
    table, errors = opendata.read_opendata(
        answers, folder / opendata.QUESTIONS_FILE, raw_dir, master
    )
    return ({} if errors else {"national_opendata": table}), errors


def _peers(folder: Path, tables: Tables) -> tuple[Tables, list[InputError]]:
    population = tables.get("national_census_population")
    if population is None:
        return {}, []
    group, errors = peers.peer_group(
        population, folder / peers.PEERS_FILE, f"national/{peers.PEERS_FILE}"
    )
    return (group.tables() if group is not None else {}), errors


def _read(raw_dir: Path) -> tuple[Tables, list[InputError]]:
    """Every source except the two extracts, as read (not yet checked)."""
    folder = raw_dir / "national"
    tables: Tables = {}
    errors: list[InputError] = []
    for part in (
        lambda: _census(raw_dir, folder),
        lambda: _fiscal(raw_dir, folder, _match_sources(tables)),
        lambda: _opendata(raw_dir, folder, _match_sources(tables)),
        lambda: _peers(folder, tables),
    ):
        found, part_errors = part()
        tables.update(found)
        errors += part_errors
    return tables, errors


# --------------------------------------------------------------------------- checks


def _check(tables: Tables) -> list[InputError]:
    """Run the Great Expectations suite of every table that was read."""
    errors: list[InputError] = []
    census_suites = validation.census_suites()
    for name in ("national_census_population", "national_former_municipality"):
        if name in tables:
            errors += validation.validate(tables[name], census_suites[name])
    if "national_fiscal" in tables:
        ranges = [(i.label, i.low, i.high) for i in fiscal.INDICATORS]
        suites = validation.fiscal_suites(ranges, fiscal.MATCH_METHODS, fiscal.UNMATCHED)
        for name in ("national_fiscal", "national_fiscal_mean"):
            frame = tables[name]
            renamed = frame.rename({k: v for k, v in _FISCAL_NAMES.items() if k in frame.columns})
            errors += validation.validate(renamed, suites[name])
    if "national_opendata" in tables:
        errors += validation.validate(tables["national_opendata"], validation.opendata_suite())
    if "national_peer" in tables:
        population = tables["national_census_population"]
        municipalities = population.filter(pl.col("area_level") == census.MUNICIPALITY)
        target = tables["national_peer_rule"]["target_code"].item()
        # GX serialises a value set again for every metric it computes (≈ 0.2 s for the ~1,900
        # census codes): the set holds the census codes among the peers', the same outcome.
        peer_codes = tables["national_peer"]["area_code"].implode()
        known = municipalities.filter(pl.col("area_code").is_in(peer_codes))["area_code"]
        suite = validation.peer_suite(known.unique().sort().to_list(), target)
        errors += validation.validate(
            tables["national_peer"], suite, f"national/{peers.PEERS_FILE}"
        )
    return errors


def _inputs(raw_dir: Path) -> list[Path]:
    """The files :func:`_read` reads (their content is part of the cache key)."""
    files = [p for p in (raw_dir / "national").rglob("*") if p.is_file()]
    for stats_id in census.CENSUS_2020_TABLES:
        folder = raw_dir / "estat" / stats_id
        if folder.is_dir():
            files += [p for p in folder.iterdir() if p.is_file()]
    return sorted(files)


def _read_in_child(raw_dir: Path, conn: Connection) -> None:
    """The second process: :func:`_read` sent back to the parent (nothing when it fails).

    Ctrl-C is left to the parent, which stops this process; a failure sends nothing, so
    the parent reads again itself and raises exactly what reading raises.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with contextlib.suppress(Exception):  # the parent reads again and reports
            conn.send(_read(raw_dir))
    finally:
        conn.close()


@contextlib.contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """Ctrl-C ignored while a child process starts, so that it starts ignoring it.

    An ignored signal stays ignored in the new interpreter (POSIX), even while it imports
    its modules, before :func:`_read_in_child` runs; the parent stops the child itself.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (nor receives Ctrl-C)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Child:
    """:func:`_read` running in a ``spawn`` process (no ``fork``: DuckDB and polars threads)."""

    def __init__(self, raw_dir: Path) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        self._conn: Connection | None = receive
        #: set by :meth:`stop`: the build stopped, so nothing is read again in its place
        self.stopped = False
        self.process: BaseProcess = context.Process(
            target=_read_in_child, args=(raw_dir, send), name="ebpm-national", daemon=True
        )
        try:
            # a script without a __main__ guard is not run again; Ctrl-C is the parent's
            with no_main_module(), _interrupts_ignored():
                self.process.start()
        finally:
            send.close()  # the child holds its own end; EOF here once it exits

    def result(self) -> tuple[Tables, list[InputError]] | None:
        """What the child read, or None when it delivered nothing (read here instead)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return None
        try:
            found: tuple[Tables, list[InputError]] = conn.recv()
        except (EOFError, OSError):
            return None
        finally:
            conn.close()
            self._end()
        return found

    def stop(self) -> None:
        """End the child at once if it still runs (Ctrl-C, an error elsewhere)."""
        self.stopped = True
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._end()

    def _end(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def worth_a_process() -> bool:
    """Whether reading in a second process can overlap anything: Great Expectations is not
    imported yet (a first build in this process) and there is more than one core."""
    return "great_expectations" not in sys.modules and usable_cores() > 1


class NationalRead:
    """The national tables of one build, from the cache or being read; see :func:`start`."""

    def __init__(self, raw_dir: Path, cache: TableCache, *, process: bool) -> None:
        self._raw_dir = raw_dir
        self._cache = cache
        self._key = cache.key(raw_dir, _inputs(raw_dir))
        self._cached = cache.load(self._key)
        self._child: _Child | None = None
        #: set by :meth:`close`
        self.closed = False
        if self._cached is None and process:
            try:
                self._child = _Child(raw_dir)
            except (OSError, RuntimeError):  # no second process (limits, locked-down PC): here
                self._child = None

    def result(self) -> tuple[Tables, list[InputError]]:
        """Every table read and checked, and every problem (see :func:`read_tables`)."""
        if self._cached is not None:
            return self._cached, []
        self.raise_if_closed()
        tables: Tables = {}
        errors: list[InputError] = []
        folder = self._raw_dir / "national"
        if (folder / MUNICIPALITY_FILE).exists():  # read and checked by readers.read_table + GX
            extracts, errors = read_extracts(folder)
            if extracts:
                tables["national_municipality"] = extracts["municipality"]
                tables["national_population"] = extracts["population"]
        child, read = self._child, None
        if child is not None:
            read = child.result()
            self._child = None
        self.raise_if_closed()  # stopped meanwhile: the process is gone, read nothing here
        found, found_errors = read if read is not None else _read(self._raw_dir)
        tables.update(found)
        errors += found_errors + _check(found)
        if not errors:
            self._cache.save(self._key, tables)
        return tables, errors

    def close(self) -> None:
        """Stop the second process if it still runs (after an error or Ctrl-C elsewhere)."""
        self.closed = True
        if self._child is not None:
            self._child.stop()
            self._child = None

    def raise_if_closed(self) -> None:
        """``InterruptedError`` once :meth:`close` was called: the build stopped, read no more."""
        if self.closed:
            raise InterruptedError("the build stopped while the national files were read")


def start(raw_dir: Path, *, cache: TableCache | None = None, process: bool = False) -> NationalRead:
    """Start reading every national source under ``raw_dir``; ``result()`` waits for them.

    The cache is looked up at once. On a miss with ``process`` the files are read in a
    second process meanwhile (see the module's notes); call ``close()`` when the build
    stops early. ``cache`` as in :func:`read_tables`.
    """
    return NationalRead(
        raw_dir, cache if cache is not None else TableCache.default(), process=process
    )


def read_tables(
    raw_dir: Path, *, cache: TableCache | None = None
) -> tuple[Tables, list[InputError]]:
    """Read and check every national source under ``raw_dir`` (``data/raw``).

    ``cache`` defaults to ``data/processed/cache/national``; pass ``TableCache(None)`` to
    read and check every file again.
    """
    return start(raw_dir, cache=cache).result()
