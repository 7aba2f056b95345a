"""A local stand-in for e-Stat's getStatsData (synthetic one-value responses), for tests.

It answers on 127.0.0.1 only; :data:`MISSING_ID` gets STATUS 315 as an unknown table does.
The ``catalog_server`` fixture in conftest.py serves it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

MISSING_ID = "0000020204"  # the stand-in answers as e-Stat does for an unknown table


def response(stats_id: str, area: str) -> dict:
    """A one-value getStatsData response (synthetic test data) for ``stats_id``."""
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


@contextmanager
def serve() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """The stand-in's base URL and the list of the queries it received."""
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
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/rest/3.0/app/json/", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
