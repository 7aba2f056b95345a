"""`ebpm estat fetch --catalog` and `ebpm estat import` of several files.

No test touches the network: the client talks to a local stand-in on 127.0.0.1 (tests/estat_standin.py) that answers
like e-Stat (synthetic one-value responses; an unknown table gets STATUS 315).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from estat_standin import MISSING_ID

from ebpm.cli import main
from ebpm.national.catalog import load_catalog

AREA_TABLE = "0000020202"  # area_filter = true in the catalogue
WHOLE_TABLE = "0003433219"  # area_filter = false


@pytest.fixture
def app_id(monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"TESTAPPID{uuid.uuid4().hex}"
    monkeypatch.setenv("ESTAT_APP_ID", value)
    return value


def fetch(estat_server: tuple[str, list], cache: Path, *args: str) -> int:
    base = ["estat", "fetch", "--catalog", "--base-url", estat_server[0], "--cache", str(cache)]
    return main([*base, "--interval", "0", *args])


def cached(cache: Path) -> dict[str, int]:
    return {
        folder.name: len(
            [p for p in folder.glob("getStatsData_*.json") if "provenance" not in p.name]
        )
        for folder in sorted(cache.iterdir())
    }


def test_catalog_fetches_every_table_in_one_go(estat_server, app_id, tmp_path, capsys):
    ids = [e.stats_data_id for e in load_catalog() if e.stats_data_id != MISSING_ID]
    assert fetch(estat_server, tmp_path, "--only", *ids) == 0
    assert cached(tmp_path) == dict.fromkeys(sorted(ids), 1)
    out = capsys.readouterr().out
    assert f"e-Stat 統計表カタログの {len(ids)} 表を取得します" in out
    assert f"取得 {len(ids)} 表、失敗 0 表。" in out
    assert "このサービスは、政府統計総合窓口(e-Stat)のAPI機能を使用しています" in out
    assert app_id not in out


def test_a_failing_table_gives_exit_3_and_the_others_are_saved(
    estat_server, app_id, tmp_path, capsys
):
    code = fetch(estat_server, tmp_path, "--only", WHOLE_TABLE, MISSING_ID, AREA_TABLE)
    assert code == 3
    assert cached(tmp_path) == {AREA_TABLE: 1, WHOLE_TABLE: 1}
    out, err = capsys.readouterr()
    assert f"{MISSING_ID} 【未確認の表】" in out
    assert "取得できませんでした: e-Stat API がエラーを返しました（STATUS 315）" in out
    assert "（この表はカタログで未確認です）" in out
    assert "取得 2 表、失敗 1 表。" in out
    assert err.startswith("エラー: 1 表を取得できませんでした")


def test_cd_area_replaces_the_area_of_area_tables_only(estat_server, app_id, tmp_path):
    assert (
        fetch(estat_server, tmp_path, "--only", AREA_TABLE, WHOLE_TABLE, "--cd-area", "03203,04205")
        == 0
    )
    by_id = {q["statsDataId"]: q for q in estat_server[1]}
    assert by_id[AREA_TABLE]["cdArea"] == "03203,04205"
    assert "cdArea" not in by_id[WHOLE_TABLE]


def test_catalog_without_cd_area_uses_the_catalogue_filter(estat_server, app_id, tmp_path):
    assert fetch(estat_server, tmp_path, "--only", AREA_TABLE) == 0
    assert (
        estat_server[1][0]["cdArea"] == "03203"
    )  # estat_catalog.toml: filters = { cdArea = "03203" }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "0000000001"], "統計表ID 0000000001 はカタログにありません"),
        (["0003433219"], "--catalog のときは統計表IDを指定しません"),
        (["--limit", "10"], "--catalog と一緒に使えないオプションです: --limit"),
        (["--cd-cat01", "A1101"], "--catalog と一緒に使えないオプションです: --cd-cat01"),
        (["--cd-area", "3203"], "--cd-area は5桁の地域コード"),
    ],
)
def test_catalog_usage_errors_exit_2_before_any_request(
    estat_server, app_id, tmp_path, capsys, args, message
):
    assert fetch(estat_server, tmp_path, *args) == 2
    assert message in capsys.readouterr().err
    assert estat_server[1] == []


def test_only_without_catalog_is_a_usage_error(app_id, capsys):
    assert main(["estat", "fetch", "--only", WHOLE_TABLE]) == 2
    assert "--only は --catalog と一緒に" in capsys.readouterr().err


def test_fetch_without_an_id_or_catalog_is_a_usage_error(app_id, capsys):
    assert main(["estat", "fetch"]) == 2
    assert "統計表ID を指定してください" in capsys.readouterr().err


def test_catalog_without_app_id_exits_2(estat_server, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    assert fetch(estat_server, tmp_path) == 2
    assert "環境変数 ESTAT_APP_ID" in capsys.readouterr().err
    assert estat_server[1] == []


# --------------------------------------------------------------------------- offline import


def test_files_fetched_on_another_pc_are_imported_together(estat_server, app_id, tmp_path, capsys):
    online = tmp_path / "online"
    assert fetch(estat_server, online, "--only", WHOLE_TABLE, AREA_TABLE) == 0
    files = sorted(
        str(p) for p in online.glob("*/getStatsData_*.json") if "provenance" not in p.name
    )
    offline = tmp_path / "offline"
    capsys.readouterr()
    assert main(["estat", "import", *files, "--cache", str(offline)]) == 0
    assert cached(offline) == {AREA_TABLE: 1, WHOLE_TABLE: 1}
    for folder in offline.iterdir():  # the same bytes as fetched
        [copy] = [p for p in folder.glob("getStatsData_*.json") if "provenance" not in p.name]
        [original] = [
            p
            for p in (online / folder.name).glob("getStatsData_*.json")
            if "provenance" not in p.name
        ]
        assert copy.read_bytes() == original.read_bytes()
    assert capsys.readouterr().out.count("取り込みました: ") == 2


def test_import_goes_on_after_a_bad_file_and_exits_1(estat_server, app_id, tmp_path, capsys):
    online = tmp_path / "online"
    assert fetch(estat_server, online, "--only", WHOLE_TABLE) == 0
    [good] = [p for p in online.glob("*/getStatsData_*.json") if "provenance" not in p.name]
    bad = tmp_path / "壊れた.json"
    bad.write_text("{これは JSON ではない", encoding="utf-8")
    offline = tmp_path / "offline"
    capsys.readouterr()
    assert main(["estat", "import", str(bad), str(good), "--cache", str(offline)]) == 1
    assert cached(offline) == {WHOLE_TABLE: 1}
    out, err = capsys.readouterr()
    assert "取り込みました: " in out
    assert "1 ファイルを取り込めませんでした" in err and "壊れた.json" in err


def test_import_expands_a_pattern_itself_and_skips_sidecars(estat_server, app_id, tmp_path, capsys):
    online = tmp_path / "online"
    assert fetch(estat_server, online, "--only", WHOLE_TABLE, AREA_TABLE) == 0
    offline = tmp_path / "offline"
    pattern = str(online / "*" / "*.json")  # as PowerShell passes it: not expanded
    assert main(["estat", "import", pattern, "--cache", str(offline)]) == 0
    assert cached(offline) == {AREA_TABLE: 1, WHOLE_TABLE: 1}
    assert capsys.readouterr().out.count("取り込みました: ") == 2


def test_import_pattern_without_a_match_exits_1(tmp_path, capsys):
    assert main(["estat", "import", str(tmp_path / "*.json"), "--cache", str(tmp_path)]) == 1
    assert "に当てはまるファイルがありません" in capsys.readouterr().err
