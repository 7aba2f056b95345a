"""The national tables in the warehouse, the comparison views, the table cache, all-or-nothing."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from conftest import sha256

from ebpm import paths
from ebpm.national import tables
from ebpm.national.cache import TableCache
from ebpm.national.views import COMPARISON_NOTE, comparison, create_views
from ebpm.readers import BuildError
from ebpm.warehouse import build


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).fetchall()


@pytest.fixture(scope="module")
def with_views(built_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built warehouse with the national views added (as the build will do)."""
    db = tmp_path_factory.mktemp("views") / "ebpm.duckdb"
    shutil.copy(built_db, db)
    with duckdb.connect(str(db)) as con:
        assert create_views(con) == ["national_fiscal_long", "national_comparison"]
    return db


def test_build_loads_every_national_table(built_db: Path) -> None:
    counts = dict(
        rows(
            built_db,
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE table_name LIKE 'national_%'",
        )
    )
    assert set(counts) == {
        "national_municipality",
        "national_population",
        "national_census_population",
        "national_former_municipality",
        "national_fiscal",
        "national_fiscal_mean",
        "national_fiscal_file",
        "national_fiscal_indicator",
        "national_opendata",
        "national_peer",
        "national_peer_rule",
    }
    assert rows(built_db, "SELECT count(*) FROM national_fiscal") == [(29941,)]
    assert rows(built_db, "SELECT count(*) FROM national_fiscal_mean") == [(17 * 48,)]


def test_rows_point_at_their_source_cell(built_db: Path) -> None:
    assert rows(
        built_db,
        "SELECT source_file, source_row FROM national_fiscal WHERE area_code = '03203' AND fiscal_year = 2021",
    ) == [("national/fiscal/R3.xlsx", 224)]


def test_population_series_of_ofunato(built_db: Path) -> None:
    series = rows(
        built_db,
        """SELECT year, population, status FROM national_census_population
           WHERE area_code = '03203' AND series IN ('census_1970_2010', 'census_2015', 'census_2020_preliminary')
           ORDER BY year""",
    )
    assert series[0] == (1970, 48816, "確定値")
    assert series[-2:] == [(2015, 38058, "確定値"), (2020, 34739, "速報値")]


def test_every_new_file_has_provenance(built_db: Path) -> None:
    described = {r[0] for r in rows(built_db, "SELECT path FROM provenance")}
    national = {
        p.relative_to(paths.RAW).as_posix()
        for p in (paths.RAW / "national").rglob("*")
        if p.is_file() and p.name != "SOURCES.toml"
    }
    assert national <= described
    assert "estat/0003433219/getStatsData_20250510_df4bd1e3.json" in described


# --------------------------------------------------------------------------- views


def test_long_view_has_only_published_columns(with_views: Path) -> None:
    fy2007 = rows(
        with_views,
        "SELECT DISTINCT indicator FROM national_fiscal_long WHERE fiscal_year = 2007 AND kind = '市町村'",
    )
    # H19.xls (FY2007) has neither 将来負担比率 nor ラスパイレス指数
    assert {r[0] for r in fy2007} == {
        "起債制限比率",
        "実質公債費比率",
        "経常収支比率",
        "財政力指数",
    }


def test_comparison_puts_ofunato_beside_iwate_nation_and_peers(
    with_views: Path, built_db: Path
) -> None:
    [(target, prefecture, nation, median, peer_n, n_peers, rule)] = rows(
        with_views,
        """SELECT target_value, prefecture_mean, national_mean, peer_median, peer_n, n_peers, peer_rule
           FROM national_comparison WHERE fiscal_year = 2021 AND indicator = '財政力指数'""",
    )
    # R3.xlsx row 224; prefecture_mean/R3.xlsx rows 5 and 50
    assert (target, prefecture, nation) == (0.46, 0.37, 0.5)
    with duckdb.connect(str(built_db), read_only=True) as con:
        peers = con.sql("SELECT area_code FROM national_peer").pl()
        values = con.sql(
            "SELECT area_code, fiscal_strength_index FROM national_fiscal WHERE fiscal_year = 2021"
        ).pl()
        rule_text = con.sql("SELECT rule_text FROM national_peer_rule").fetchall()[0][0]
    by_hand = peers.join(values, on="area_code")["fiscal_strength_index"]
    assert median == by_hand.median() and peer_n == by_hand.len() == n_peers == 25
    assert rule == rule_text and "総務省の類似団体区分ではない" in rule


def test_marked_peers_are_counted_not_averaged(with_views: Path) -> None:
    [(peer_n, marked, n_peers, note)] = rows(
        with_views,
        """SELECT peer_n, peer_n_marked, n_peers, note FROM national_comparison
           WHERE fiscal_year = 2021 AND indicator = '将来負担比率'""",
    )
    assert (peer_n, marked, n_peers) == (16, 9, 25)
    assert note == COMPARISON_NOTE


def test_prefecture_mean_marker_is_shown(with_views: Path) -> None:
    # prefecture_mean/H20.xls: 岩手県 将来負担比率 「－」 (not computed that year)
    assert rows(
        with_views,
        """SELECT prefecture_mean, prefecture_mean_marker, national_mean FROM national_comparison
           WHERE fiscal_year = 2008 AND indicator = '将来負担比率'""",
    ) == [(None, "－", 100.9)]


def test_comparison_with_another_list_of_peers(with_views: Path) -> None:
    with duckdb.connect(str(with_views), read_only=True) as con:
        given = comparison(con, ["04205", "07209"], "気仙沼市と相馬市（試験）")
    row = given.filter((pl.col("fiscal_year") == 2021) & (pl.col("indicator") == "財政力指数")).row(
        0, named=True
    )
    # the median of two values is their mean; the values are read back from the table
    with duckdb.connect(str(with_views), read_only=True) as con:
        values = [
            r[0]
            for r in con.sql(
                "SELECT fiscal_strength_index FROM national_fiscal WHERE fiscal_year = 2021 AND area_code IN ('04205', '07209')"
            ).fetchall()
        ]
    assert row["peer_median"] == pytest.approx(sum(values) / 2) and row["peer_n"] == 2
    assert row["peer_rule"].endswith("選んだ理由：気仙沼市と相馬市（試験）")


def test_views_are_skipped_without_national_tables(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        assert create_views(con) == []


# --------------------------------------------------------------------------- cache


def small_raw(tmp_path: Path) -> Path:
    """data/raw/national without the fiscal files (fast to read and check)."""
    raw = tmp_path / "raw"
    shutil.copytree(
        paths.RAW / "national", raw / "national", ignore=shutil.ignore_patterns("fiscal")
    )
    return raw


def test_cache_reads_once_for_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = small_raw(tmp_path)
    cache = TableCache(tmp_path / "cache")
    first, errors = tables.read_tables(raw, cache=cache)
    assert errors == [] and "national_opendata" in first

    def no_reading(*args: object) -> None:
        raise AssertionError("read again")

    monkeypatch.setattr(tables, "_read", no_reading)
    again, errors = tables.read_tables(raw, cache=cache)
    assert errors == [] and set(again) == set(first)
    assert again["national_opendata"].equals(first["national_opendata"])


def test_a_changed_file_is_read_and_checked_again(tmp_path: Path) -> None:
    raw = small_raw(tmp_path)
    cache = TableCache(tmp_path / "cache")
    key = cache.key(raw, tables._inputs(raw))
    tables.read_tables(raw, cache=cache)
    peers = raw / "national" / "peers.toml"
    peers.write_text(
        peers.read_text(encoding="utf-8").replace("[0.8, 1.25]", "[0.5, 2.0]"), encoding="utf-8"
    )
    assert cache.key(raw, tables._inputs(raw)) != key
    changed, errors = tables.read_tables(raw, cache=cache)
    assert errors == [] and changed["national_peer_rule"]["n_peers"].item() > 25


def test_tables_with_problems_are_not_cached(tmp_path: Path) -> None:
    raw = small_raw(tmp_path)
    (raw / "national" / "peers.toml").write_text("[rule]\nband = [2, 3]\n", encoding="utf-8")
    cache = TableCache(tmp_path / "cache")
    _, errors = tables.read_tables(raw, cache=cache)
    assert errors and not (tmp_path / "cache").exists()


def test_a_peer_the_census_does_not_know_is_refused(tmp_path: Path) -> None:
    read, errors = tables._read(small_raw(tmp_path))
    assert errors == []
    peers = read["national_peer"]
    read["national_peer"] = peers.with_columns(
        pl.col("area_code").replace(peers["area_code"][1], "99999")
    )
    found = [(e.message, e.column) for e in tables._check(read)]
    assert found == [
        (
            "「99999」は国勢調査の市区町村にない団体コードです（5桁の団体コードで書いてください）",
            "area_code",
        )
    ]


# --------------------------------------------------------------------------- second process


def test_a_second_process_reads_the_same_tables(tmp_path: Path) -> None:
    raw = small_raw(tmp_path)
    here, errors = tables.read_tables(raw, cache=TableCache(None))
    there, child_errors = tables.start(raw, cache=TableCache(None), process=True).result()
    assert errors == child_errors == []
    assert set(there) == set(here)
    for name, frame in here.items():
        assert there[name].equals(frame), name


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    raw = small_raw(tmp_path)
    script = tmp_path / "script.py"
    script.write_text(
        "from pathlib import Path\n"
        "from ebpm.national import tables\n"
        "print('script ran', flush=True)\n"
        f"found, errors = tables._Child(Path({str(raw)!r})).result()\n"
        "print(sorted(found)[0], len(errors))\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.splitlines() == ["script ran", "national_census_population 0"]


def test_a_stopped_build_stops_the_second_process_and_reads_nothing_again(
    tmp_path: Path,
) -> None:
    raw = small_raw(tmp_path)
    reading = tables.start(raw, cache=TableCache(None), process=True)
    child = reading._child
    assert child is not None
    reading.close()  # what read_all does on Ctrl-C or an error while the process reads
    assert child.stopped and child.process.exitcode is not None
    with pytest.raises(InterruptedError):
        reading.result()


def test_a_build_stopped_while_a_thread_waits_for_the_second_process_reads_nothing_again(
    tmp_path: Path,
) -> None:
    reading = tables.start(small_raw(tmp_path), cache=TableCache(None), process=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(reading.result)  # as the build's reading thread does
        reading.close()
        with pytest.raises(InterruptedError):
            waiting.result(timeout=60)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX: an ignored signal stays ignored")
def test_a_process_started_for_the_build_ignores_ctrl_c_from_its_start() -> None:
    before = signal.getsignal(signal.SIGINT)
    report = "import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)"
    with tables._interrupts_ignored():  # what _Child wraps around starting the process
        started = subprocess.run(
            [sys.executable, "-c", report], capture_output=True, text=True, check=True
        )
    assert started.stdout.strip() == "True"  # ignored before any import ran
    assert signal.getsignal(signal.SIGINT) is before  # the parent's Ctrl-C is its own again


# --------------------------------------------------------------------------- all or nothing


def _all_fiscal_but(keep: str):
    """A ``copytree`` filter leaving out every fiscal workbook except ``keep`` (both folders)."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        if Path(folder).name not in ("fiscal", "prefecture_mean"):
            return []
        return [n for n in names if n.endswith((".xls", ".xlsx")) and n != keep]

    return ignore


def test_fiscal_tables_without_the_means_folder_are_refused_by_name(
    raw: Path, tmp_path: Path
) -> None:
    shutil.copytree(paths.RAW / "national", raw / "national", ignore=_all_fiscal_but("R3.xlsx"))
    shutil.rmtree(raw / "national" / "fiscal" / "prefecture_mean")
    with pytest.raises(BuildError) as caught:
        build(raw, tmp_path / "ebpm.duckdb")
    assert caught.value.messages == [
        "national/fiscal/prefecture_mean/: 都道府県・全国の市町村平均のファイル"
        "（主要財政指標一覧の「都道府県別平均」）がありません。fiscal/ の市町村の表と一緒に、"
        "このフォルダに置いてください"
    ]
    assert not (tmp_path / "ebpm.duckdb").exists()


def test_broken_fiscal_file_keeps_the_warehouse(raw: Path, tmp_path: Path) -> None:
    # One year of the fiscal tables (of both kinds) takes the same path as all seventeen.
    shutil.copytree(paths.RAW / "national", raw / "national", ignore=_all_fiscal_but("R3.xlsx"))
    db = tmp_path / "ebpm.duckdb"
    build(raw, db)
    assert rows(db, "SELECT DISTINCT fiscal_year FROM national_fiscal") == [(2021,)]
    before = sha256(db)
    book = openpyxl.load_workbook(raw / "national" / "fiscal" / "R3.xlsx")
    book.worksheets[0]["D2"] = "財政力指標"
    book.save(raw / "national" / "fiscal" / "R3.xlsx")
    with pytest.raises(BuildError) as caught:
        build(raw, db)
    assert any(
        m.startswith("national/fiscal/R3.xlsx: 見出し「財政力指標」") for m in caught.value.messages
    )
    assert sha256(db) == before
