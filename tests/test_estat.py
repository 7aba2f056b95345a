"""e-Stat parsers, CSV readers, client (against a local stub server), cache and CLI.

No test touches the network: the client talks to an http.server on 127.0.0.1.
Real public files in ../shared/realdata are used when present, and skipped otherwise.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import polars as pl
import pytest

from ebpm import estat
from ebpm.cli import main as cli_main
from ebpm.estat import EStatAPIError, EStatClient, EStatConfigError, EStatFormatError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "estat"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


TEST_TITLE = "テスト統計 合成データ 市区町村表 人口・世帯（テスト用）"
TEST_SOURCE = f"出典：政府統計の総合窓口(e-Stat)「{TEST_TITLE}」"


def fixture(name: str) -> Path:
    return FIXTURES / name


def load(name: str) -> dict:
    return json.loads(fixture(name).read_text(encoding="utf-8"))


@pytest.fixture
def real() -> Path:
    """The shared real files; tests using them skip cleanly when the folder is absent."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata がないため実データのテストを省略")
    return REALDATA


# --------------------------------------------------------------------------- stub server


@dataclass
class Stub:
    """A local e-Stat stand-in: ``reply(endpoint, query) -> (status, body, headers)``."""

    base_url: str = ""
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    reply: Callable[[str, dict[str, str]], tuple[int, bytes, dict[str, str]]] | None = None


def ok(body: bytes | dict) -> tuple[int, bytes, dict[str, str]]:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return 200, data, {}


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stub]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query))
            endpoint = url.path.rsplit("/", 1)[-1]
            state.requests.append((endpoint, query))
            state.times.append(time.monotonic())
            assert state.reply is not None
            status, body, headers = state.reply(endpoint, query)
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/rest/3.0/app/json/"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def app_id(monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"TESTAPPID{uuid.uuid4().hex}"
    monkeypatch.setenv("ESTAT_APP_ID", value)
    return value


@pytest.fixture
def client(stub: Stub, app_id: str, tmp_path: Path) -> EStatClient:
    return EStatClient(
        base_url=stub.base_url,
        cache_dir=tmp_path / "cache",
        min_interval=0,
        backoff=0.01,
        progress=False,
    )


def paged(endpoint: str, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    """page1 for the first request, page2 for startPosition=4."""
    return ok(load("page2.json" if query.get("startPosition") == "4" else "page1.json"))


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- JSON parsing


def test_ensure_list_wraps_single_objects() -> None:
    assert estat.ensure_list({"@code": "1"}) == [{"@code": "1"}]
    assert estat.ensure_list([{"@code": "1"}, {"@code": "2"}]) == [{"@code": "1"}, {"@code": "2"}]
    assert estat.ensure_list(None) == []


def test_single_element_class_obj_class_value_and_note() -> None:
    frame = estat.parse_stats_data(fixture("stats_data_single.json"))
    assert frame.height == 1
    row = frame.row(0, named=True)
    assert (row["cat01_code"], row["cat01_label"], row["unit"]) == ("100", "総人口", "人")
    assert (row["area_code"], row["area_label"]) == ("03203", None)  # no area CLASS_OBJ
    assert (row["period_kind"], row["year"], row["value"]) == ("year", 2020, 35000.0)
    notes = estat.parse_notes(fixture("stats_data_single.json"))
    assert notes.rows() == [("***", "該当数値がないもの")]
    meta = estat.parse_meta_info(fixture("stats_data_single.json"))
    assert meta.select("dimension", "code", "level").rows() == [("cat01", "100", None)]


def test_tidy_columns_and_types() -> None:
    frame = estat.parse_stats_data(fixture("stats_data_special.json"))
    assert frame.columns == estat.tidy_columns(["tab", "cat01", "area", "time"])
    assert frame.columns[:4] == ["tab_code", "tab_label", "cat01_code", "cat01_label"]
    assert frame.schema["area_code"] == pl.String
    assert frame.schema["value"] == pl.Float64
    assert frame.schema["fiscal_year"] == pl.Int32
    # tab CLASS is a single object: every row still gets its label
    assert frame.get_column("tab_label").unique().to_list() == ["観測値"]


def test_special_values_become_null_with_marker_and_meaning() -> None:
    frame = estat.parse_stats_data(fixture("stats_data_special.json"))
    markers = frame.filter(pl.col("marker").is_not_null()).select(
        "time_label", "value", "marker", "marker_meaning"
    )
    assert markers.rows() == [
        ("2025年4月", None, "***", "調査又は集計していないもの"),
        ("2026年1-3月期", None, "-", "データが得られないもの"),
        ("2026年1月", None, "X", "数値が秘匿されているもの"),
        ("2020年1～6月", None, "…", "数値が得られないもの"),
        # full-width "－" is kept as published and explained by the declared "-"
        ("2023年度", None, "－", "データが得られないもの"),
    ]
    numbers = frame.filter(pl.col("marker").is_null()).get_column("value").to_list()
    assert numbers == [33000.0, 32500.0, 1180000.0, 14000.0, 0.0, -12.5, 510000.0]


def test_unit_from_value_else_from_class_and_annotation_kept() -> None:
    frame = estat.parse_stats_data(fixture("stats_data_special.json"))
    households = frame.filter(pl.col("cat01_code") == "A7101", pl.col("area_code") == "03203")
    assert households.get_column("unit").to_list() == ["世帯", "世帯"]  # first has no @unit
    annotated = frame.filter(pl.col("annotation").is_not_null())
    assert annotated.select("time_code", "annotation").rows() == [("2024000000", "J1")]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("2020000000", ("year", 2020, None, None, None)),
        ("2020100000", ("fiscal_year", None, 2020, None, None)),
        ("2026000808", ("month", 2026, 2026, 8, 3)),
        ("2026000303", ("month", 2026, 2025, 3, 1)),  # March belongs to the previous 年度
        ("2026000709", ("quarter", 2026, 2026, None, 3)),
        ("2026000103", ("quarter", 2026, 2025, None, 1)),
        ("2020000106", ("other", 2020, None, None, None)),  # half year
        ("2020", ("other", None, None, None, None)),  # irregular code
        (None, ("other", None, None, None, None)),
    ],
)
def test_time_codes(code: str | None, expected: tuple) -> None:
    row = estat.parse_time_codes([code]).row(0)
    assert row == (code, *expected)


def test_fiscal_year_month_quarter_in_tidy_frame() -> None:
    frame = estat.parse_stats_data(fixture("stats_data_special.json"))
    periods = (
        frame.filter(pl.col("area_code") == "03203", pl.col("cat01_code") == "A1101")
        .select("time_code", "period_kind", "year", "fiscal_year", "month", "quarter")
        .rows()
    )
    assert periods == [
        ("2023100000", "fiscal_year", None, 2023, None, None),
        ("2024000000", "year", 2024, None, None, None),
        ("2025000404", "month", 2025, 2025, 4, 2),
        ("2026000103", "quarter", 2026, 2025, None, 1),
        ("2026000101", "month", 2026, 2025, 1, 1),
        ("2020000106", "other", 2020, None, None, None),
    ]


def test_data_without_metadata_joins_separate_meta() -> None:
    bare = estat.parse_stats_data(fixture("page2.json"))
    assert bare.get_column("area_label").to_list() == [None, None]
    labelled = estat.parse_stats_data(fixture("page2.json"), meta_json=fixture("meta.json"))
    assert labelled.select("cat01_label", "area_label", "time_label", "unit").rows() == [
        ("A1101_総人口", "岩手県", "2023年度", "人"),
        ("A7101_世帯数", "岩手県 大船渡市", "2023年度", "世帯"),  # unit from the meta class
    ]


def test_status_1_is_an_empty_frame_not_an_error() -> None:
    assert estat.check_status(load("status1.json")) == 1
    frame = estat.parse_stats_data(fixture("status1.json"))
    assert frame.height == 0
    assert frame.columns == estat.tidy_columns()
    assert frame.schema["value"] == pl.Float64
    with_meta = estat.parse_stats_data(fixture("status1.json"), fixture("meta.json"))
    assert with_meta.columns == estat.tidy_columns(["tab", "cat01", "area", "time"])


def test_status_100_raises_with_the_api_message() -> None:
    with pytest.raises(EStatAPIError) as caught:
        estat.parse_stats_data(fixture("status100.json"))
    assert caught.value.status == 100
    assert caught.value.message == "認証に失敗しました。アプリケーションIDを確認して下さい。"
    assert "認証に失敗しました" in str(caught.value)


def test_stats_list_with_a_single_table() -> None:
    tables = estat.parse_stats_list(fixture("stats_list_single.json"))
    assert tables.height == 1
    row = tables.row(0, named=True)
    assert (row["stats_data_id"], row["title"], row["survey_date"]) == (
        "0009990001",
        "人口・世帯（テスト用）",
        "202010",
    )


def test_table_info_and_source_line() -> None:
    info = estat.parse_table_info(fixture("stats_data_special.json"))
    assert info.stats_data_id == "0009990001"
    assert info.publisher == "総務省"
    assert info.source_line == TEST_SOURCE
    plain = estat.parse_table_info(fixture("stats_data_single.json"))
    assert plain.title == "1行だけの表（テスト用）"  # TITLE as a plain string


def test_not_a_stats_data_response_is_refused() -> None:
    with pytest.raises(EStatFormatError, match="getMetaInfo"):
        estat.parse_stats_data(fixture("meta.json"))
    with pytest.raises(EStatFormatError):
        estat.parse_stats_data({"hello": 1})


# --------------------------------------------------------------------------- real JSON


def test_real_koxon_stats_data(real: Path) -> None:
    path = real / "koxon__SampleResponse1752633595900.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["GET_STATS_DATA"]["STATISTICAL_DATA"]["RESULT_INF"]["NEXT_KEY"] == 11
    frame = estat.parse_stats_data(path)
    assert frame.height == 10
    first = frame.row(0, named=True)
    assert first["tab_label"] == "観測値"  # tab CLASS is a single object
    assert first["cat01_label"] == "B1101_総面積（北方地域及び竹島を除く）"
    assert (first["area_code"], first["area_label"]) == ("01100", "北海道 札幌市")
    assert (first["time_code"], first["period_kind"], first["fiscal_year"]) == (
        "1981100000",
        "fiscal_year",
        1981,
    )
    assert (first["unit"], first["value"]) == ("ｈａ", 111801.0)
    assert frame.get_column("value").to_list()[-1] == 112118.0
    assert estat.parse_notes(path).get_column("marker").to_list() == ["***", "-", "X"]


def test_real_koxon_meta_has_ofunato(real: Path) -> None:
    meta = estat.parse_meta_info(real / "koxon__SampleResponse1752633595900.json")
    areas = meta.filter(pl.col("dimension") == "area")
    assert areas.height == 1913
    ofunato = areas.filter(pl.col("code") == "03203").row(0, named=True)
    assert (ofunato["label"], ofunato["level"], ofunato["parent_code"]) == (
        "岩手県 大船渡市",
        "2",
        "03000",
    )
    times = estat.parse_time_codes(meta.filter(pl.col("dimension") == "time")["code"])
    assert times.height == 44
    assert times.get_column("period_kind").unique().to_list() == ["fiscal_year"]
    assert (times["fiscal_year"].min(), times["fiscal_year"].max()) == (1980, 2023)


def test_real_census_values_joined_with_meta(real: Path) -> None:
    frame = estat.parse_stats_data(
        real / "hermes__values_census.json", real / "hermes__meta_census.json"
    )
    assert frame.height == 42
    fuchu = frame.filter(pl.col("area_label") == "府中市", pl.col("cat01_label") == "総数")
    assert sorted(fuchu.select("area_code", "value").rows()) == [
        ("13206", 262790.0),
        ("34208", 37655.0),
    ]
    assert frame.get_column("tab_label").unique().to_list() == ["人口"]
    assert frame.get_column("period_kind").unique().to_list() == ["year"]
    assert frame.get_column("year").unique().to_list() == [2020]
    meta = estat.parse_meta_info(real / "hermes__meta_census.json")
    tab = meta.filter(pl.col("dimension") == "tab").row(0, named=True)
    assert (tab["code"], tab["level"], tab["unit"]) == ("2020_01", None, "人")  # @level ""


def test_real_cpi_time_codes(real: Path) -> None:
    meta = estat.parse_meta_info(real / "hermes__meta_cpi2025.json")
    times = meta.filter(pl.col("dimension") == "time")
    codes = times["code"].to_list() + times["parent_code"].drop_nulls().unique().to_list()
    parsed = {r[0]: r[1:] for r in estat.parse_time_codes(codes).rows()}
    assert parsed["2026000909"] == ("month", 2026, 2026, 9, 3)
    assert parsed["2026000101"] == ("month", 2026, 2025, 1, 1)
    assert parsed["2026000709"] == ("quarter", 2026, 2026, None, 3)
    assert parsed["2025001012"] == ("quarter", 2025, 2025, None, 4)
    assert parsed["2025100000"] == ("fiscal_year", None, 2025, None, None)
    assert parsed["2025000000"] == ("year", 2025, None, None, None)
    tab = meta.filter(pl.col("dimension") == "tab")
    assert tab.select("code", "unit").rows() == [("1", None), ("2", "%"), ("3", "%")]


# --------------------------------------------------------------------------- CSV


def test_simple_stats_csv_with_header_block() -> None:
    parsed = estat.parse_file(fixture("simple_header.csv"))
    assert parsed.layout == "getSimpleStatsData"
    assert parsed.table is not None and parsed.table.stats_data_id == "0009990001"
    assert parsed.retrieved == "2026-11-20"
    frame = parsed.frame
    assert frame.columns == estat.tidy_columns(["tab", "cat01", "area", "time"])
    assert frame.select("area_code", "time_code", "value", "marker", "marker_meaning").rows() == [
        ("03203", "2023100000", 33000.0, None, None),
        ("03203", "2024000000", 32500.0, None, None),
        ("03211", "2023100000", None, "X", "数値が秘匿されているもの"),
        ("03203", "2023100000", None, "***", "調査又は集計していないもの"),
    ]
    assert frame.get_column("annotation").to_list() == [None, "J1", None, None]


def test_simple_stats_csv_with_crlf_line_ends() -> None:
    crlf = fixture("simple_header.csv").read_bytes().replace(b"\n", b"\r\n")
    frame = estat.read_estat_csv(crlf)
    expected = estat.read_estat_csv(fixture("simple_header.csv"))
    assert frame.equals(expected)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_long_layout_csv_in_any_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"download_{encoding}.csv"
    path.write_bytes(fixture("long_layout.csv").read_text(encoding="utf-8").encode(encoding))
    frame = estat.read_estat_csv(path)
    assert frame.select("cat01_label", "area_code", "year", "unit", "value", "marker").rows() == [
        ("総数", "03203", 2015, "人", 38000.0, None),
        ("総数", "03203", 2020, "人", 35000.0, None),
        ("男", "03203", 2020, "人", 17000.0, None),
        ("女", "03203", 2020, "人", None, "-"),
        ("総数", "03203", 2020, None, 95.5, None),
    ]


def test_area_codes_without_leading_zero_are_padded() -> None:
    text = (
        '"area_code","地域","time_code","時間軸","unit","value"\n'
        '"3203","大船渡市","2020000000","2020年","人","1,234"\n'
    )
    frame = estat.read_estat_csv(text.encode("utf-8"))
    assert frame.select("area_code", "value").row(0) == ("03203", 1234.0)


def test_regional_csv_names_only_and_optional_lookup() -> None:
    frame = estat.read_estat_csv(fixture("regional.csv"))
    assert frame.height == 8
    assert frame.get_column("area_code").null_count() == 8
    first = frame.row(0, named=True)
    assert (first["cat01_code"], first["cat01_label"], first["unit"]) == ("A1101", "総人口", "人")
    assert (first["area_label"], first["time_label"], first["time_code"]) == (
        "岩手県 大船渡市",
        "2020年度",
        "2020100000",
    )
    assert (first["period_kind"], first["fiscal_year"], first["value"]) == (
        "fiscal_year",
        2020,
        35000.0,
    )
    secret = frame.filter(pl.col("marker").is_not_null())
    assert secret.select("area_label", "cat01_code", "value", "marker").rows() == [
        ("岩手県 釜石市", "A7101", None, "X")
    ]

    calls: list[tuple[str, str]] = []

    def lookup(prefecture: str, name: str) -> str | None:
        calls.append((prefecture, name))
        if (prefecture, name) == ("岩手県", "大船渡市"):
            return "032034"  # 6 digits: the check digit is dropped
        if (prefecture, name) == ("岩手県", "釜石市"):
            return "03211"
        raise ValueError("団体コードが見つかりません")

    coded = estat.read_estat_csv(fixture("regional.csv"), area_code_lookup=lookup)
    codes = dict(coded.select("area_label", "area_code").unique().rows())
    # Prefecture rows come from the prefecture list, not from the lookup.
    assert codes == {"岩手県 大船渡市": "03203", "岩手県 釜石市": "03211", "岩手県": "03000"}
    assert len(calls) == 2  # once per distinct municipality name


def test_regional_csv_unmatched_name_is_an_error() -> None:
    def lookup(prefecture: str, name: str) -> str | None:
        if name == "大船渡市":
            return "03203"
        raise ValueError("団体コードが見つかりません")

    with pytest.raises(
        EStatFormatError, match="地域名から団体コードを付けられませんでした（1件）: 岩手県 釜石市"
    ):
        estat.read_estat_csv(fixture("regional.csv"), area_code_lookup=lookup)


def test_csv_that_is_html_or_zip_is_refused(tmp_path: Path) -> None:
    html = tmp_path / "error.csv"
    html.write_bytes("<!DOCTYPE html><html><body>エラー</body></html>".encode("cp932"))
    with pytest.raises(EStatFormatError, match="HTML"):
        estat.read_estat_csv(html)
    with pytest.raises(EStatFormatError, match="ZIP"):
        estat.read_estat_csv(b"PK\x03\x04rest")
    with pytest.raises(EStatFormatError, match="認識できません"):
        estat.read_estat_csv(b"a,b\n1,2\n")


def test_real_feh_csv_cp932_with_84_dashes(real: Path) -> None:
    frame = estat.read_estat_csv(real / "kanazawar002__FEH_00200521_241003100519.csv")
    assert frame.height == 4200
    dashes = frame.filter(pl.col("marker") == "-")
    assert dashes.height == 84
    assert dashes.get_column("value").null_count() == 84
    assert frame.filter(pl.col("marker").is_null()).get_column("value").null_count() == 0
    first = frame.row(0, named=True)
    assert (first["tab_label"], first["cat01_label"], first["area_code"]) == (
        "人口",
        "総数",
        "00000",
    )
    assert (first["time_code"], first["year"], first["value"]) == ("1920000000", 1920, 55963053.0)
    assert frame.filter(pl.col("tab_code") == "1120").get_column("unit").null_count() == 1050
    assert "00100" in frame.get_column("area_code").to_list()  # 人口集中地区, kept as a string


def test_real_regional_csv(real: Path) -> None:
    frame = estat.read_estat_csv(real / "kanazawar002__FEI_CITY_241027082628.csv")
    assert frame.height == 171
    assert frame.get_column("area_code").null_count() == 171
    kanazawa = frame.filter(pl.col("area_label") == "石川県 金沢市", pl.col("fiscal_year") == 2020)
    assert kanazawa.select("cat01_code", "cat01_label", "unit", "value").rows() == [
        ("A1101", "総人口", "人", 463254.0)
    ]
    assert frame.get_column("period_kind").unique().to_list() == ["fiscal_year"]
    assert sorted(frame.get_column("fiscal_year").unique().to_list()) == [
        1980,
        1985,
        1990,
        1995,
        2000,
        2005,
        2010,
        2015,
        2020,
    ]


# --------------------------------------------------------------------------- client


def test_client_follows_next_key_and_caches_every_page(
    client: EStatClient, stub: Stub, tmp_path: Path
) -> None:
    stub.reply = paged
    frame = client.get_stats_data("0009990001", cdArea=["03000", "03203"])
    assert [q.get("startPosition") for _, q in stub.requests] == [None, "4"]
    assert [q["metaGetFlg"] for _, q in stub.requests] == ["Y", "N"]
    assert all(q["cdArea"] == "03000,03203" for _, q in stub.requests)
    assert frame.height == 5
    assert frame.get_column("area_label").null_count() == 0  # page 2 labelled from page 1
    cached = [p for p in files_under(tmp_path / "cache") if not p.name.endswith(".provenance.json")]
    assert len(cached) == 2
    assert all(p.parent.name == "0009990001" for p in cached)
    assert all(p.name.startswith("getStatsData_") and p.suffix == ".json" for p in cached)


def test_provenance_sidecar(client: EStatClient, stub: Stub, app_id: str) -> None:
    stub.reply = paged
    response = client.fetch_stats_data("0009990001")[0]
    assert response.path is not None
    name = response.path.name
    day = time.strftime("%Y%m%d")
    assert name.startswith(f"getStatsData_{day}_") and len(name.split("_")[2]) == len(
        "12345678.json"
    )
    side = estat.read_provenance(response.path)
    assert side["title"] == "テスト統計 合成データ 市区町村表 人口・世帯（テスト用）"
    assert side["publisher"] == "総務省"
    assert side["licence"] == "政府統計の総合窓口(e-Stat)利用規約（CC BY 4.0互換）"
    assert side["retrieved_at"] == time.strftime("%Y-%m-%d")
    assert side["is_sample"] is False
    assert side["stats_data_id"] == "0009990001"
    assert side["query"] == {"statsDataId": "0009990001", "metaGetFlg": "Y"}
    assert side["url"].endswith("/getStatsData?statsDataId=0009990001&metaGetFlg=Y")
    assert "appId" not in side["url"] and app_id not in json.dumps(side)
    assert side["credit"] == estat.CREDIT
    assert side["source_line"] == TEST_SOURCE
    # the raw body is stored unchanged
    assert json.loads(response.path.read_text(encoding="utf-8")) == load("page1.json")


def test_client_only_talks_http_and_hands_responses_to_its_cache(
    client: EStatClient, stub: Stub, app_id: str, tmp_path: Path
) -> None:
    stub.reply = paged
    handed: list[estat.EStatResponse] = []

    class Recorder:
        folder = tmp_path / "unused"

        def store(self, response: estat.EStatResponse) -> estat.EStatResponse:
            handed.append(response)
            return response

    client.cache = Recorder()  # type: ignore[assignment]
    pages = client.fetch_stats_data("0009990001")
    assert files_under(tmp_path) == []  # the client itself wrote nothing
    assert [r.query.get("startPosition") for r in handed] == [None, "4"]
    assert pages == handed and all(r.path is None for r in pages)
    assert handed[0].body == ok(load("page1.json"))[1]  # the body as served
    assert handed[0].retrieved_at == time.strftime("%Y-%m-%d")
    assert all(app_id not in r.url and "appId" not in r.query for r in handed)


def test_response_cache_stores_body_and_sidecar(tmp_path: Path) -> None:
    body = fixture("meta.json").read_bytes()
    response = estat.EStatResponse(
        kind="getMetaInfo",
        data=json.loads(body),
        url="https://example.invalid/getMetaInfo?statsDataId=0009990001",
        body=body,
        query={"statsDataId": "0009990001"},
        retrieved_at="2026-11-20",
    )
    stored = estat.ResponseCache(tmp_path).store(response)
    assert stored.path is not None and stored.path.read_bytes() == body
    assert stored.path.parent == tmp_path / "0009990001"
    assert stored.path.name.startswith("getMetaInfo_20261120_")
    side = estat.read_provenance(stored.path)
    assert side["retrieved_at"] == "2026-11-20" and side["kind"] == "getMetaInfo"
    assert side["url"] == response.url and side["status"] == 0
    assert "redacted" not in side


def test_read_provenance_of_a_broken_sidecar_names_it(tmp_path: Path) -> None:
    data = tmp_path / "getStatsData_20260101_deadbeef.json"
    data.write_text("{}", encoding="utf-8")
    (tmp_path / (data.name + ".provenance.json")).write_text("{broken", encoding="utf-8")
    with pytest.raises(
        EStatFormatError, match=r"deadbeef\.json\.provenance\.json: 出典情報の JSON"
    ):
        estat.read_provenance(data)
    assert estat.read_provenance(tmp_path / "none.json") == {}


def test_redact_masks_app_id_parameters_and_the_appid_in_the_environment(app_id: str) -> None:
    text = f"https://x/getStatsData?appId=abc&lang=J failed for {app_id}"
    assert estat.redact(text) == "https://x/getStatsData?appId=***&lang=J failed for ***"
    assert estat.redact("other secret here", "secret") == "other *** here"


def test_client_sends_app_id_from_env(client: EStatClient, stub: Stub, app_id: str) -> None:
    stub.reply = lambda e, q: ok(load("meta.json"))
    meta = client.get_meta_info("0009990001")
    assert stub.requests == [("getMetaInfo", {"appId": app_id, "statsDataId": "0009990001"})]
    assert estat.parse_meta_info(meta).height == 1 + 2 + 3 + 6
    assert app_id not in repr(client)


def test_max_rows_limits_each_request(client: EStatClient, stub: Stub) -> None:
    stub.reply = paged
    pages = client.fetch_stats_data("0009990001", max_rows=3)
    assert len(pages) == 1  # page 1 has 3 rows: no second request
    assert stub.requests[0][1]["limit"] == "3"


def test_status_1_through_the_client_is_not_an_error(client: EStatClient, stub: Stub) -> None:
    stub.reply = lambda e, q: ok(load("status1.json"))
    frame = client.get_stats_data("0009990001", cdArea="99999")
    assert frame.height == 0
    assert "value" in frame.columns


@pytest.mark.parametrize("body_file", ["status100.json", "status100.xml"])
def test_status_100_with_http_403_raises_api_error(
    client: EStatClient, stub: Stub, body_file: str
) -> None:
    stub.reply = lambda e, q: (403, fixture(body_file).read_bytes(), {})
    with pytest.raises(EStatAPIError) as caught:
        client.get_stats_data("0009990001")
    assert caught.value.status == 100
    assert "認証に失敗しました。アプリケーションIDを確認して下さい。" in str(caught.value)
    assert len(stub.requests) == 1  # an API error is not retried


def test_status_100_with_http_200_raises_too(client: EStatClient, stub: Stub) -> None:
    stub.reply = lambda e, q: ok(load("status100.json"))
    with pytest.raises(EStatAPIError, match="STATUS 100"):
        client.get_meta_info("0009990001")


def test_retries_on_503_and_429(client: EStatClient, stub: Stub) -> None:
    answers = iter(
        [
            (503, b"<html>maintenance</html>", {}),
            (429, b"", {"Retry-After": "0"}),
            ok(load("meta.json")),
        ]
    )
    stub.reply = lambda e, q: next(answers)
    client.get_meta_info("0009990001")
    assert len(stub.requests) == 3


def test_gives_up_after_retries_with_a_japanese_message(
    client: EStatClient, stub: Stub, app_id: str
) -> None:
    stub.reply = lambda e, q: (500, b"oops", {})
    with pytest.raises(estat.EStatHTTPError) as caught:
        client.get_meta_info("0009990001")
    assert len(stub.requests) == 4  # 1 + max_retries (3)
    message = str(caught.value)
    assert "e-Stat に接続できませんでした" in message and "HTTP 500" in message
    assert app_id not in message and "appId" not in message


def test_other_http_errors_are_not_retried(client: EStatClient, stub: Stub) -> None:
    stub.reply = lambda e, q: (404, b"<html>Not Found</html>", {})
    with pytest.raises(estat.EStatHTTPError, match="HTTP 404") as caught:
        client.get_meta_info("0009990001")
    assert len(stub.requests) == 1
    assert caught.value.http_status == 404
    assert caught.value.__context__ is None  # no urllib error (holding the URL) is chained


def test_connection_refused_is_retried_then_reported(
    app_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    import socket

    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = EStatClient(
        base_url=f"http://127.0.0.1:{port}/json/",
        cache_dir=tmp_path,
        min_interval=0,
        backoff=0.01,
        max_retries=1,
        progress=False,
    )
    with pytest.raises(estat.EStatHTTPError, match="2回試行") as caught:
        client.get_meta_info("0009990001")
    assert app_id not in str(caught.value)


def test_rate_limit_spaces_requests(stub: Stub, app_id: str, tmp_path: Path) -> None:
    client = EStatClient(
        base_url=stub.base_url, cache_dir=tmp_path, min_interval=0.25, progress=False
    )
    stub.reply = lambda e, q: ok(load("meta.json"))
    started = time.monotonic()
    for _ in range(3):
        client.get_meta_info("0009990001")
    assert time.monotonic() - started >= 0.5  # two waits of 0.25 s
    gaps = [b - a for a, b in zip(stub.times, stub.times[1:], strict=False)]
    assert all(gap >= 0.2 for gap in gaps)  # as seen by the server (network jitter allowed)


def test_default_interval_is_one_second(app_id: str) -> None:
    assert EStatClient().min_interval == 1.0


def test_progress_bar_for_multi_page_fetch(stub: Stub, app_id: str, tmp_path: Path) -> None:
    stream = io.StringIO()
    client = EStatClient(
        base_url=stub.base_url, cache_dir=tmp_path, min_interval=0, progress=stream
    )
    stub.reply = paged
    client.fetch_stats_data("0009990001")
    lines = stream.getvalue().splitlines()
    assert lines == [
        "e-Stat 0009990001: [############--------] 1/2ページ 3/5件",
        "e-Stat 0009990001: [####################] 2/2ページ 5/5件",
    ]


def test_no_progress_for_a_single_page(stub: Stub, app_id: str, tmp_path: Path) -> None:
    stream = io.StringIO()
    client = EStatClient(
        base_url=stub.base_url, cache_dir=tmp_path, min_interval=0, progress=stream
    )
    stub.reply = lambda e, q: ok(load("stats_data_special.json"))
    client.fetch_stats_data("0009990001")
    assert stream.getvalue() == ""


def test_missing_app_id_explains_how_to_set_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    with pytest.raises(EStatConfigError) as caught:
        EStatClient()
    assert "環境変数 ESTAT_APP_ID" in str(caught.value)
    assert "export ESTAT_APP_ID=" in str(caught.value)


def test_app_id_as_a_parameter_is_refused(client: EStatClient) -> None:
    with pytest.raises(EStatConfigError, match="ESTAT_APP_ID"):
        client.get_stats_data("0009990001", appId="abc")


def test_get_stats_list_single_table(client: EStatClient, stub: Stub, tmp_path: Path) -> None:
    stub.reply = lambda e, q: ok(load("stats_list_single.json"))
    tables = client.get_stats_list(searchWord="大船渡")
    assert tables.get_column("stats_data_id").to_list() == ["0009990001"]
    assert stub.requests[0][0] == "getStatsList"
    assert [p.parent.name for p in files_under(tmp_path / "cache")] == ["stats_list"] * 2


# --------------------------------------------------------------------------- appId never leaks


def test_app_id_never_written_or_shown(
    stub: Stub, app_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"

    def echoing(endpoint: str, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if query.get("statsDataId") == "0009990099":  # an error that echoes the request
            body = load("status100.json")
            body["GET_STATS_DATA"]["RESULT"]["ERROR_MSG"] = f"appId={query['appId']} は無効です"
            return 403, json.dumps(body, ensure_ascii=False).encode(), {}
        if query.get("statsDataId") == "0009990098":
            return 500, f"appId={query['appId']}".encode(), {}
        body = load("page2.json" if query.get("startPosition") == "4" else "page1.json")
        body["GET_STATS_DATA"]["PARAMETER"]["ECHO"] = query["appId"]  # a server that echoes it
        return ok(body)

    stub.reply = echoing
    base = ["estat", "fetch", "--base-url", stub.base_url, "--cache", str(cache), "--interval", "0"]
    assert cli_main([*base, "0009990001", "--cd-area", "03203"]) == 0
    assert cli_main([*base, "0009990099"]) == 3  # an API error: exit code 3
    client = EStatClient(base_url=stub.base_url, cache_dir=cache, min_interval=0, backoff=0.01)
    errors = []
    for stats_id in ("0009990099", "0009990098"):
        with pytest.raises(estat.EStatError) as caught:
            client.get_meta_info(stats_id)
        errors.append(caught.value)
    out, err = capsys.readouterr()
    assert "取得しました" in out and "認証" not in out
    assert "エラー: " in err
    for text in (out, err, *map(str, errors), *(repr(e) for e in errors)):
        assert app_id not in text
    assert all(e.__context__ is None and e.__cause__ is None for e in errors)
    written = files_under(cache)
    assert len(written) == 4  # two pages + two sidecars
    for path in written:
        assert app_id.encode() not in path.read_bytes()
    side = estat.read_provenance(
        next(p for p in written if p.suffix == ".json" and "prov" not in p.name)
    )
    assert side["redacted"] is True


# --------------------------------------------------------------------------- cache


def test_import_file_json(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cached = estat.import_file(fixture("stats_data_special.json"), cache)
    assert cached.parent == cache / "0009990001"
    assert cached.name.startswith("getStatsData_20261120_")  # the response DATE
    assert cached.read_bytes() == fixture("stats_data_special.json").read_bytes()
    side = estat.read_provenance(cached)
    assert side["retrieved_at"] == "2026-11-20"
    assert side["url"] is None
    assert side["imported_from"] == "stats_data_special.json"
    assert side["source_line"].endswith(
        "「テスト統計 合成データ 市区町村表 人口・世帯（テスト用）」"
    )
    assert side["query"]["STATS_DATA_ID"] == "0009990001"
    # importing again changes nothing
    assert estat.import_file(fixture("stats_data_special.json"), cache) == cached
    assert len(files_under(cache)) == 2


def test_import_file_plain_csv_needs_a_title(tmp_path: Path) -> None:
    cached = estat.import_file(
        fixture("long_layout.csv"), tmp_path, stats_data_id="0003445078", title="国勢調査 人口"
    )
    assert cached.parent.name == "0003445078" and cached.name.startswith("download_")
    side = estat.read_provenance(cached)
    assert side["title"] == "国勢調査 人口"
    assert side["source_line"] == "出典：政府統計の総合窓口(e-Stat)「国勢調査 人口」"
    assert side["publisher"] == "総務省統計局（政府統計の総合窓口 e-Stat）"


def test_import_refuses_error_responses(tmp_path: Path) -> None:
    with pytest.raises(EStatAPIError):
        estat.import_file(fixture("status100.json"), tmp_path)
    assert files_under(tmp_path) == []


def test_import_real_feh_csv_keeps_bytes(real: Path, tmp_path: Path) -> None:
    source = real / "kanazawar002__FEH_00200521_241003100519.csv"
    cached = estat.import_file(source, tmp_path)
    assert cached.parent.name == "kanazawar002__FEH_00200521_241003100519"  # file name
    assert cached.read_bytes() == source.read_bytes()  # Shift_JIS, unchanged


def test_real_census_import_and_load_cache(real: Path, tmp_path: Path) -> None:
    estat.import_file(real / "hermes__meta_census.json", tmp_path)
    # a bare DATA_INF file carries no id: give it, so it lands beside its metadata
    cached = estat.import_file(
        real / "hermes__values_census.json", tmp_path, stats_data_id="0003445078"
    )
    assert cached.parent.name == "0003445078"
    frame = estat.load_cache(tmp_path)
    assert frame.height == 42
    assert frame.get_column("stats_data_id").unique().to_list() == ["0003445078"]
    fuchu = frame.filter(pl.col("area_label") == "府中市", pl.col("cat01_code") == "0")
    assert sorted(fuchu.get_column("area_code").to_list()) == ["13206", "34208"]
    side = estat.read_provenance(cached)  # the file has no TABLE_INF: taken from the metadata
    assert side["title_source"] == "metadata"
    assert side["title"].startswith("令和２年国勢調査 人口等基本集計")


def test_load_cache_combines_pages_and_imports(
    client: EStatClient, stub: Stub, tmp_path: Path
) -> None:
    stub.reply = paged
    client.fetch_stats_data("0009990001")
    cache = tmp_path / "cache"
    estat.import_file(fixture("simple_header.csv"), cache)  # same table, older date
    estat.import_file(fixture("regional.csv"), cache, stats_data_id="regional")
    estat.import_file(fixture("meta.json"), cache)  # metadata only: no values
    frame = estat.load_cache(cache)
    assert frame.columns[-3:] == ["stats_data_id", "source_file", "retrieved_at"]
    assert frame.group_by("stats_data_id").len().sort("stats_data_id").rows() == [
        ("0009990001", 6),  # 5 fetched + the one value only in the older CSV
        ("regional", 8),
    ]
    ofunato_2023 = frame.filter(
        pl.col("stats_data_id") == "0009990001",
        pl.col("cat01_code") == "A1101",
        pl.col("area_code") == "03203",
        pl.col("time_code") == "2023100000",
    )
    assert ofunato_2023.height == 1  # fetched today and in the CSV: the newest file wins
    assert ofunato_2023["source_file"].item().startswith("0009990001/getStatsData_")
    assert (
        frame.filter(pl.col("source_file").str.contains("getStatsData"))
        .get_column("area_label")
        .null_count()
        == 0
    )


def test_load_cache_without_dedupe_and_when_empty(tmp_path: Path) -> None:
    estat.import_file(fixture("page1.json"), tmp_path)
    estat.import_file(fixture("simple_header.csv"), tmp_path)
    assert estat.load_cache(tmp_path, dedupe=False).height == 3 + 4
    assert estat.load_cache(tmp_path).height == 3 + 4 - 2  # 2 values are in both files
    empty = estat.load_cache(tmp_path / "nothing")
    assert empty.height == 0 and "stats_data_id" in empty.columns


def test_load_cache_names_a_broken_file(tmp_path: Path) -> None:
    folder = tmp_path / "0009990001"
    folder.mkdir()
    (folder / "getStatsData_20260101_deadbeef.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(EStatFormatError, match=r"getStatsData_20260101_deadbeef\.json"):
        estat.load_cache(tmp_path)


def test_sidecars_satisfy_the_manifest(client: EStatClient, stub: Stub, tmp_path: Path) -> None:
    manifest = pytest.importorskip("ebpm.manifest")
    stub.reply = paged
    client.fetch_stats_data("0009990001")
    records = manifest.scan_raw(tmp_path / "cache")
    assert len(records) == 2
    assert all(r.credit == estat.CREDIT and not r.is_sample for r in records)


# --------------------------------------------------------------------------- CLI


SHOW_TABLE = """\
観測値  項目          地域             調査年                値  単位
------  ------------  ---------------  -------------  ---------  ----
観測値  A1101_総人口  岩手県 大船渡市  2023年度          33,000  人
観測値  A1101_総人口  岩手県 大船渡市  2024年            32,500  人
観測値  A1101_総人口  岩手県 大船渡市  2025年4月            ***  人
観測値  A1101_総人口  岩手県 大船渡市  2026年1-3月期          -  人
観測値  A1101_総人口  岩手県 大船渡市  2026年1月              X  人
観測値  A1101_総人口  岩手県 大船渡市  2020年1～6月           …  人
観測値  A1101_総人口  岩手県 釜石市    2023年度              －  人
観測値  A1101_総人口  岩手県           2023年度       1,180,000  人
観測値  A7101_世帯数  岩手県 大船渡市  2023年度          14,000  世帯
観測値  A7101_世帯数  岩手県 大船渡市  2024年                 0  世帯
観測値  A7101_世帯数  岩手県 釜石市    2023年度           -12.5  世帯
観測値  A7101_世帯数  岩手県           2023年度         510,000  世帯
記号の意味
  ***: 調査又は集計していないもの
  -: データが得られないもの
  X: 数値が秘匿されているもの
  …: 数値が得られないもの
  －: データが得られないもの
（全12件）
出典：政府統計の総合窓口(e-Stat)「テスト統計 合成データ 市区町村表 人口・世帯（テスト用）」
"""


def test_show_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["estat", "show", str(fixture("stats_data_special.json"))]) == 0
    out, err = capsys.readouterr()
    assert out == SHOW_TABLE
    assert err == ""


def test_show_limits_rows(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["estat", "show", str(fixture("regional.csv")), "--max-rows", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["項目", "地域", "調査年", "値", "単位"]
    assert out[2].split() == ["総人口", "岩手県", "大船渡市", "2020年度", "35,000", "人"]
    assert out[4].startswith("（全8件のうち先頭2件を表示。すべて見るには --max-rows 0")


def test_show_csv_to_stdout_and_to_an_excel_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["estat", "show", str(fixture("long_layout.csv")), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert not out.startswith("\ufeff")
    lines = out.splitlines()
    assert lines[0].startswith("tab_code,tab_label,cat01_code,cat01_label,area_code,area_label")
    assert lines[4] == "020,人口,120,女,03203,大船渡市,2020000000,2020年,year,2020,,,,人,,-,,"
    target = tmp_path / "表.csv"
    args = ["estat", "show", str(fixture("long_layout.csv")), "--format", "csv", "-o", str(target)]
    assert cli_main(args) == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "書き出しました" in capsys.readouterr().err
    back = pl.read_csv(target, encoding="utf8-lossy", infer_schema=False)
    assert back.columns[0] == "tab_code"  # the BOM is not part of the header name
    assert back.get_column("area_code").to_list() == ["03203"] * 5


def test_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli_main(["estat", "show", str(fixture("stats_data_single.json")), "--format", "json"]) == 0
    )
    records = json.loads(capsys.readouterr().out)
    assert records[0]["cat01_label"] == "総人口" and records[0]["value"] == 35000.0


def test_show_meta_and_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli_main(["estat", "show", str(fixture("meta.json")), "--max-rows", "0"]) == 0
    assert "岩手県 大船渡市" in capsys.readouterr().out
    assert cli_main(["estat", "show", str(tmp_path / "ない.csv")]) == 1  # an input problem
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == f"エラー: ファイルが見つかりません: {tmp_path / 'ない.csv'}"


def test_show_error_response_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["estat", "show", str(fixture("status100.json"))]) == 3  # API error
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("エラー: e-Stat API がエラーを返しました（STATUS 100）")


def test_cli_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(
        ["estat", "import", str(fixture("simple_header.csv")), "--cache", str(tmp_path)]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"取り込みました: {tmp_path / '0009990001'}")
    assert "（4件）" in out
    assert "出典：政府統計の総合窓口(e-Stat)「テスト統計" in out


def test_cli_fetch(
    stub: Stub, app_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.reply = paged
    args = ["estat", "fetch", "0009990001", "--base-url", stub.base_url, "--interval", "0"]
    args += [
        "--cache",
        str(tmp_path),
        "--cd-area",
        "03203",
        "--cd-cat01",
        "A1101",
        "--lv-area",
        "2",
    ]
    args += ["--param", "cdTimeFrom=2020000000"]
    assert cli_main(args) == 0
    query = stub.requests[0][1]
    assert (query["cdArea"], query["cdCat01"], query["lvArea"], query["cdTimeFrom"]) == (
        "03203",
        "A1101",
        "2",
        "2020000000",
    )
    out, err = capsys.readouterr()
    assert "を取得しました: 5件（2ページ）" in out
    assert f"保存先: {tmp_path / '0009990001'}" in out
    assert estat.CREDIT in out
    assert "2/2ページ" in err  # progress on stderr


def test_cli_fetch_without_app_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    assert cli_main(["estat", "fetch", "0009990001"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(
        "エラー: 環境変数 ESTAT_APP_ID にe-StatのアプリケーションIDが設定されていません。"
    )
    assert err.count("\n") == 1


def test_cli_fetch_rejects_bad_param(app_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["estat", "fetch", "0009990001", "--param", "novalue"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_import_is_light() -> None:
    import subprocess
    import sys

    heavy = ("altair", "great_expectations", "duckdb", "pandas")
    code = f"import sys, ebpm.estat; print(any(m in sys.modules for m in {heavy!r}))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_show_attaches_codes_from_a_code_list(capsys: pytest.CaptureFixture[str]) -> None:
    from ebpm import paths
    from ebpm.cli import main

    code_list = paths.RAW / "national" / "municipalities.csv"
    assert (
        main(
            [
                "estat",
                "show",
                str(fixture("regional.csv")),
                "--codes",
                str(code_list),
                "--format",
                "csv",
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(r["area_label"], r["area_code"]) for r in rows} == {
        ("岩手県 大船渡市", "03203"),
        ("岩手県 釜石市", "03211"),
        ("岩手県", "03000"),
    }


def test_show_real_regional_csv_with_real_code_list(
    realdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ebpm.cli import main

    regional = realdata / "kanazawar002__FEI_CITY_241027082628.csv"
    code_list = realdata / "localgovjp__localgovjp-utf8.csv"
    assert main(["estat", "show", str(regional), "--codes", str(code_list), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    kanazawa = {r["area_code"] for r in rows if r["area_label"] == "石川県 金沢市"}
    assert kanazawa == {"17201"}
    assert all(r["area_code"] for r in rows)
