"""The e-Stat catalogue: its entries, and fetching all of them from a local stand-in for e-Stat."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from estat_standin import MISSING_ID

from ebpm.estat import EStatClient, load_cache
from ebpm.national.catalog import CatalogEntry, cached_entries, fetch_catalog, load_catalog


@pytest.fixture
def client(
    estat_server: tuple[str, list[dict[str, str]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> EStatClient:
    monkeypatch.setenv("ESTAT_APP_ID", f"TESTAPPID{uuid.uuid4().hex}")
    return EStatClient(
        base_url=estat_server[0], cache_dir=tmp_path / "estat", min_interval=0, progress=False
    )


# --------------------------------------------------------------------------- the list


def test_catalogue_entries_are_complete_and_unique() -> None:
    entries = load_catalog()
    ids = [e.stats_data_id for e in entries]
    assert len(ids) == len(set(ids)) >= 8
    assert all(len(i) == 10 and i.isdigit() for i in ids)
    assert all(e.title and e.why and e.evidence for e in entries)


def test_verified_only_where_a_real_response_was_seen() -> None:
    verified = {e.stats_data_id for e in load_catalog() if e.verified}
    assert verified == {"0003433219", "0003445078", "0000020202"}
    unverified = [e for e in load_catalog() if not e.verified]
    assert all("公開" in e.evidence for e in unverified)  # where it was found is stated


def test_a_malformed_catalogue_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text('[[table]]\nstats_data_id = "12345"\ntitle = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="1番目の表: 項目が違います"):
        load_catalog(path)


# --------------------------------------------------------------------------- fetching


def test_fetch_writes_every_table_to_the_cache(client: EStatClient, tmp_path: Path) -> None:
    entries = [e for e in load_catalog() if e.stats_data_id != MISSING_ID]
    results = fetch_catalog(client, entries)
    assert [r.error for r in results] == [None] * len(entries)
    assert all(r.rows == 1 and len(r.files) == 1 for r in results)
    counts = cached_entries(tmp_path / "estat", entries)
    assert counts == {e.stats_data_id: 1 for e in entries}
    assert set(load_cache(tmp_path / "estat")["stats_data_id"]) == {
        e.stats_data_id for e in entries
    }


def test_one_failing_table_does_not_stop_the_others(client: EStatClient) -> None:
    results = fetch_catalog(client)
    failed = [r for r in results if r.error]
    assert [r.entry.stats_data_id for r in failed] == [MISSING_ID]
    assert "存在しません" in failed[0].error and "未確認" in failed[0].error
    assert len([r for r in results if r.error is None]) == len(results) - 1


def test_areas_replace_the_area_filter_where_allowed(
    client: EStatClient, estat_server: tuple[str, list[dict[str, str]]]
) -> None:
    _, requests = estat_server
    fetch_catalog(client, areas=["03203", "03211"], only=["0000020202", "0003433219"])
    by_id = {q["statsDataId"]: q for q in requests}
    assert by_id["0000020202"]["cdArea"] == "03203,03211"
    assert "cdArea" not in by_id["0003433219"]  # the whole census table: no area filter


def test_the_app_id_is_never_written(client: EStatClient, tmp_path: Path) -> None:
    import os

    fetch_catalog(client, only=["0003445078"])
    secret = os.environ["ESTAT_APP_ID"].encode()
    written = [p.read_bytes() for p in (tmp_path / "estat").rglob("*") if p.is_file()]
    assert written and all(secret not in data for data in written)


def test_only_unknown_ids_are_refused(client: EStatClient) -> None:
    with pytest.raises(ValueError, match="9999999999 はカタログにありません"):
        fetch_catalog(client, only=["9999999999"])


def test_entry_params() -> None:
    entry = CatalogEntry(
        "0000020201", "t", "w", {"cdArea": "03203", "cdCat01": "A1101"}, True, False, "e"
    )
    assert entry.params(["03203", "01214"]) == {"cdArea": "03203,01214", "cdCat01": "A1101"}
    assert entry.params() == {"cdArea": "03203", "cdCat01": "A1101"}
