"""Issue 14 item 3: the appId never leaks — not at construction, not from a request that
cannot be built, not through vars()/repr/pickle, not in an encoded echo cached to disk."""

from __future__ import annotations

import base64
import json
import pickle
from pathlib import Path

import pytest
from test_estat import Stub, app_id, load, ok, stub  # noqa: F401 - fixtures shared with test_estat

from ebpm import estat
from ebpm.cli import main
from ebpm.estat import EStatClient, EStatConfigError, EStatHTTPError


def files_text(folder: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()
    )


def test_a_base_url_without_scheme_is_refused_without_the_app_id(app_id, tmp_path):  # noqa: F811
    with pytest.raises(EStatConfigError) as caught:
        EStatClient(base_url="api.e-stat.go.jp/rest/3.0/app/json", cache_dir=tmp_path)
    assert "https:// で始まる URL を指定してください" in str(caught.value)
    assert app_id not in str(caught.value)


def test_the_cli_with_a_base_url_without_scheme_exits_2_without_the_app_id(app_id, capsys):  # noqa: F811
    code = main(["estat", "fetch", "0000020202", "--base-url", "example.invalid/api"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "e-Stat API の URL「example.invalid/api」が正しくありません" in err
    assert app_id not in out + err


def test_a_request_failing_inside_urllib_is_reported_without_the_app_id(app_id, tmp_path):  # noqa: F811
    client = EStatClient(
        base_url="http://bad host.invalid/api/",  # urllib: "URL can't contain control characters"
        cache_dir=tmp_path,
        min_interval=0,
        max_retries=0,
        progress=False,
    )
    with pytest.raises(EStatHTTPError) as caught:
        client.get_meta_info("0000020202")
    error = caught.value
    chain = [error, error.__cause__, error.__context__]
    assert all(app_id not in str(e) for e in chain if e is not None)
    assert "e-Stat に接続できませんでした" in str(error)


def test_the_client_keeps_the_app_id_out_of_vars_repr_and_pickle(app_id, tmp_path):  # noqa: F811
    client = EStatClient(cache_dir=tmp_path, progress=False)
    shown = repr(vars(client)) + repr(client) + str(vars(client))
    assert app_id not in shown
    with pytest.raises(TypeError, match="pickle"):
        pickle.dumps(client)


def echo_everywhere(secret: str) -> bytes:
    """A getMetaInfo body echoing the appId as is, JSON-escaped, URL-encoded, base64, hex."""
    body = load("stats_data_single.json")
    body["GET_STATS_DATA"]["PARAMETER"]["ECHO_URL"] = "".join(f"%{ord(c):02X}" for c in secret)
    body["GET_STATS_DATA"]["PARAMETER"]["ECHO_B64"] = base64.b64encode(
        f"appId={secret}".encode()
    ).decode()
    body["GET_STATS_DATA"]["PARAMETER"]["ECHO_HEX"] = secret.encode().hex()
    text = json.dumps(body, ensure_ascii=False)
    escaped = "".join(f"\\u{ord(c):04x}" for c in secret)
    return text.replace('"PARAMETER": {', f'"PARAMETER": {{"ECHO_JSON": "{escaped}", ', 1).encode()


def test_an_encoded_echo_of_the_app_id_never_reaches_the_cache(stub, app_id, tmp_path):  # noqa: F811
    stub.reply = lambda endpoint, query: ok(echo_everywhere(query["appId"]))
    client = EStatClient(
        base_url=stub.base_url, cache_dir=tmp_path / "cache", min_interval=0, progress=False
    )
    client.fetch_stats_data("0009990001")
    cached = files_text(tmp_path / "cache")
    decoded = json.loads(next((tmp_path / "cache").rglob("getStatsData_*.json")).read_bytes())
    assert app_id not in cached
    assert app_id not in json.dumps(decoded, ensure_ascii=False)  # \\u escapes decoded
    assert app_id.encode().hex() not in cached
    assert "".join(f"%{ord(c):02X}" for c in app_id) not in cached
    assert '"redacted": true' in cached


def test_an_imported_file_echoing_the_app_id_is_scrubbed(app_id, tmp_path):  # noqa: F811
    source = tmp_path / "download.json"
    source.write_bytes(echo_everywhere(app_id))
    cached = estat.import_file(source, tmp_path / "cache")
    assert app_id not in json.dumps(json.loads(cached.read_bytes()), ensure_ascii=False)


@pytest.mark.parametrize(
    "form",
    [
        lambda s: s,
        lambda s: "".join(f"%{ord(c):02x}" for c in s),
        lambda s: "".join(f"\\u{ord(c):04X}" for c in s),
        lambda s: "".join(f"&#{ord(c)};" for c in s),
        lambda s: base64.b64encode(b"x" + s.encode()).decode(),
        lambda s: base64.urlsafe_b64encode(b"xy" + s.encode()).decode(),
    ],
)
def test_redact_removes_every_encoded_form(form):
    secret = "Q1w2E3r4T5y6U7i8"
    text = f"error near {form(secret)} end"
    cleaned = estat.redact(text, secret)
    assert cleaned.startswith("error near ") and cleaned.endswith(" end")
    assert form(secret) not in cleaned
