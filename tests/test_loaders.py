"""National data, the e-Stat cache and training samples go through the same validated,
all-or-nothing build as the KPI tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import sha256

from ebpm import paths
from ebpm.readers import BuildError
from ebpm.warehouse import build

FIXTURES = Path(__file__).parent / "fixtures" / "estat"


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_real_population_series_with_provenance(built_db):
    ofunato = rows(
        built_db,
        "SELECT year, population FROM national_population WHERE area_code = '03203' ORDER BY year",
    )
    assert ofunato[0] == (1970, 48816) and ofunato[-1] == (2010, 40737)
    assert rows(
        built_db,
        "SELECT lg_code, prefecture, name FROM national_municipality WHERE area_code = '03203'",
    ) == [("032034", "岩手県", "大船渡市")]
    [(licence, is_sample)] = rows(
        built_db,
        "SELECT licence, is_sample FROM provenance WHERE path = 'national/population_census.csv'",
    )
    assert "政府標準利用規約" in licence and is_sample is False


def test_sample_tables_are_flagged_and_match_kpi_actuals(built_db):
    assert rows(built_db, "SELECT bool_and(is_sample) FROM sample_overtime_monthly") == [(True,)]
    paper = rows(
        built_db,
        """
        SELECT s.fiscal_year, sum(s.sheets), any_value(a.value)
        FROM sample_copy_paper_monthly s JOIN kpi_actual a ON a.kpi_id = 'K09' AND a.fiscal_year = s.fiscal_year
        GROUP BY s.fiscal_year ORDER BY 1""",
    )
    assert paper == [(2024, 4_870_000, 4_870_000.0), (2025, 4_500_000, 4_500_000.0)]
    overtime = rows(
        built_db,
        """
        SELECT fiscal_year, round(sum(hours) / count(DISTINCT employee_id), 1)
        FROM sample_overtime_monthly WHERE fiscal_year >= 2024 GROUP BY 1 ORDER BY 1""",
    )
    assert overtime == [(2024, 126.4), (2025, 120.0)]


def test_cached_estat_response_is_loaded_with_credit(raw, tmp_path):
    from ebpm import estat

    fixture = next(
        p
        for p in sorted(FIXTURES.glob("*.json"))
        if "error" not in p.name and "page" not in p.name and "meta" not in p.name
    )
    estat.import_file(fixture, raw / "estat")
    db = tmp_path / "wh.duckdb"
    build(raw, db)
    assert rows(db, "SELECT count(*) > 0 FROM estat_value") == [(True,)]
    credits = rows(db, "SELECT credit FROM provenance WHERE path LIKE 'estat/%'")
    assert credits and all("政府統計総合窓口(e-Stat)のAPI機能を使用" in c for (c,) in credits)


def test_broken_national_file_keeps_warehouse(raw, tmp_path):
    # The extracts and their provenance alone (no census, fiscal or open-data folder): the
    # path under test, without reading 34 workbooks twice.
    (raw / "national").mkdir()
    for name in ("municipalities.csv", "population_census.csv", "SOURCES.toml"):
        shutil.copy(paths.RAW / "national" / name, raw / "national" / name)
    db = tmp_path / "wh.duckdb"
    build(raw, db)
    assert rows(db, "SELECT count(*) FROM national_population") == [(99,)]
    before = sha256(db)
    population = raw / "national" / "population_census.csv"
    lines = population.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("01214", "03999", 1)  # a code missing from municipalities.csv
    population.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(raw, db)
    assert sha256(db) == before
    assert any("03999" in m for m in caught.value.messages), caught.value.messages
