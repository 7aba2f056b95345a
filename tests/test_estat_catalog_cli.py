"""`ebpm estat fetch --catalog` and `ebpm estat import` of several files.

No test touches the network: the client talks to an http.server on 127.0.0.1 that answers
like e-Stat (synthetic one-value responses; an unknown table gets STATUS 315).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from ebpm.cli import main
from ebpm.national.catalog import load_catalog

MISSING_ID = "0000020204"  # the stand-in answers as e-Stat does for an unknown table
AREA_TABLE = "0000020202"  # area_filter = true in the catalogue
WHOLE_TABLE = "0003433219"  # area_filter = false


def response(stats_id: str, area: str) -> dict:
    """A one-value getStatsData response for ``stats_id`` (synthetic test data)."""
    return {
        "GET_STATS_DATA": {
            "RESULT": {
                "STATUS": 0,
                "ERROR_MSG": "正常に終了しました。",
                "DATE": "2026-11-27T10:00:00.000+09:00",
            },
            "PARAMETER": {"LANG": "J", "STATS_DATA_ID": stats_id, "DATA_FORMAT": "J"},
            "STATISTICAL_DATA": {
                "RESULT_INF": {"TOTAL_NUMBER": 1, "FROM_NUMBER": 1, "TO_NUMBER": 1},
                "TABLE_INF": {
                    "@id": stats_id,
                    "STAT_NAME": {"@code": "99999999", "$": "テスト統計"},
                    "GOV_ORG": {"@code": "00200", "$": "総務省"},
                    "STATISTICS_NAME": "合成データ",
                    "TITLE": f"カタログの試験用の表 {stats_id}",
                },
                "CLASS_INF": {
                    "CLASS_OBJ": {
                        "@id": "cat01",
                        "@name": "項目",
                        "CLASS": {"@code": "100", "@name": "総人口", "@level": "", "@unit": "人"},
                    }
                },
                "DATA_INF": {
                    "VALUE": {"@cat01": "100", "@area": area, "@time": "2020000000", "$": "35000"}
                },
            },
        }
    }


def not_found(stats_id: str) -> dict:
    return {
        "GET_STATS_DATA": {
            "RESULT": {
                "STATUS": 315,
                "ERROR_MSG": f"statsDataId=[{stats_id}]のデータは存在しません。",
            },
            "PARAMETER": {"STATS_DATA_ID": stats_id},
        }
    }


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[dict[str, str]]]]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    requests: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(parse_qsl(urlsplit(self.path).query))
            requests.append(query)
            stats_id = query["statsDataId"]
            area = query.get("cdArea", "00000").split(",")[0]
            body = not_found(stats_id) if stats_id == MISSING_ID else response(stats_id, area)
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/rest/3.0/app/json/", requests
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def app_id(monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"TESTAPPID{uuid.uuid4().hex}"
    monkeypatch.setenv("ESTAT_APP_ID", value)
    return value


def fetch(server: tuple[str, list], cache: Path, *args: str) -> int:
    base = ["estat", "fetch", "--catalog", "--base-url", server[0], "--cache", str(cache)]
    return main([*base, "--interval", "0", *args])


def cached(cache: Path) -> dict[str, int]:
    return {
        folder.name: len(
            [p for p in folder.glob("getStatsData_*.json") if "provenance" not in p.name]
        )
        for folder in sorted(cache.iterdir())
    }


def test_catalog_fetches_every_table_in_one_go(server, app_id, tmp_path, capsys):
    ids = [e.stats_data_id for e in load_catalog() if e.stats_data_id != MISSING_ID]
    assert fetch(server, tmp_path, "--only", *ids) == 0
    assert cached(tmp_path) == dict.fromkeys(sorted(ids), 1)
    out = capsys.readouterr().out
    assert f"e-Stat 統計表カタログの {len(ids)} 表を取得します" in out
    assert f"取得 {len(ids)} 表、失敗 0 表。" in out
    assert "このサービスは、政府統計総合窓口(e-Stat)のAPI機能を使用しています" in out
    assert app_id not in out


def test_a_failing_table_gives_exit_3_and_the_others_are_saved(server, app_id, tmp_path, capsys):
    code = fetch(server, tmp_path, "--only", WHOLE_TABLE, MISSING_ID, AREA_TABLE)
    assert code == 3
    assert cached(tmp_path) == {AREA_TABLE: 1, WHOLE_TABLE: 1}
    out, err = capsys.readouterr()
    assert f"{MISSING_ID} 【未確認の表】" in out
    assert "取得できませんでした: e-Stat API がエラーを返しました（STATUS 315）" in out
    assert "（この表はカタログで未確認です）" in out
    assert "取得 2 表、失敗 1 表。" in out
    assert err.startswith("エラー: 1 表を取得できませんでした")


def test_cd_area_replaces_the_area_of_area_tables_only(server, app_id, tmp_path):
    assert (
        fetch(server, tmp_path, "--only", AREA_TABLE, WHOLE_TABLE, "--cd-area", "03203,04205") == 0
    )
    by_id = {q["statsDataId"]: q for q in server[1]}
    assert by_id[AREA_TABLE]["cdArea"] == "03203,04205"
    assert "cdArea" not in by_id[WHOLE_TABLE]


def test_catalog_without_cd_area_uses_the_catalogue_filter(server, app_id, tmp_path):
    assert fetch(server, tmp_path, "--only", AREA_TABLE) == 0
    assert server[1][0]["cdArea"] == "03203"  # estat_catalog.toml: filters = { cdArea = "03203" }


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
    server, app_id, tmp_path, capsys, args, message
):
    assert fetch(server, tmp_path, *args) == 2
    assert message in capsys.readouterr().err
    assert server[1] == []


def test_only_without_catalog_is_a_usage_error(app_id, capsys):
    assert main(["estat", "fetch", "--only", WHOLE_TABLE]) == 2
    assert "--only は --catalog と一緒に" in capsys.readouterr().err


def test_fetch_without_an_id_or_catalog_is_a_usage_error(app_id, capsys):
    assert main(["estat", "fetch"]) == 2
    assert "統計表ID を指定してください" in capsys.readouterr().err


def test_catalog_without_app_id_exits_2(server, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    assert fetch(server, tmp_path) == 2
    assert "環境変数 ESTAT_APP_ID" in capsys.readouterr().err
    assert server[1] == []


# --------------------------------------------------------------------------- offline import


def test_files_fetched_on_another_pc_are_imported_together(server, app_id, tmp_path, capsys):
    online = tmp_path / "online"
    assert fetch(server, online, "--only", WHOLE_TABLE, AREA_TABLE) == 0
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


def test_import_goes_on_after_a_bad_file_and_exits_1(server, app_id, tmp_path, capsys):
    online = tmp_path / "online"
    assert fetch(server, online, "--only", WHOLE_TABLE) == 0
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


def test_import_expands_a_pattern_itself_and_skips_sidecars(server, app_id, tmp_path, capsys):
    online = tmp_path / "online"
    assert fetch(server, online, "--only", WHOLE_TABLE, AREA_TABLE) == 0
    offline = tmp_path / "offline"
    pattern = str(online / "*" / "*.json")  # as PowerShell passes it: not expanded
    assert main(["estat", "import", pattern, "--cache", str(offline)]) == 0
    assert cached(offline) == {AREA_TABLE: 1, WHOLE_TABLE: 1}
    assert capsys.readouterr().out.count("取り込みました: ") == 2


def test_import_pattern_without_a_match_exits_1(tmp_path, capsys):
    assert main(["estat", "import", str(tmp_path / "*.json"), "--cache", str(tmp_path)]) == 1
    assert "に当てはまるファイルがありません" in capsys.readouterr().err
