"""Provenance left open by issue 14: a retrieval date in the future is refused (SOURCES.toml
entries, e-Stat sidecars, `ebpm estat import`), and a SOURCES.toml entry that describes no
file is announced, not refused — the file a misspelt entry leaves undescribed is refused."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from test_hardening_inputs import refused

from ebpm import manifest, paths
from ebpm.cli import main
from ebpm.manifest import ManifestError

FIXTURES = Path(__file__).parent / "fixtures" / "estat"
HEADER = "kpi_id,fiscal_year,value,sample_size,source,note,is_sample\n"
ENTRY = """
["{name}"]
title = "テスト用の実績"
publisher = "テスト課"
licence = "庁内"
retrieved_at = {date}
is_sample = true
"""
SIDECAR = {
    "title": "国勢調査 人口等基本集計",
    "publisher": "総務省",
    "licence": "政府統計の総合窓口(e-Stat)利用規約（CC BY 4.0互換）",
    "is_sample": False,
}


@pytest.fixture
def ws(kpi_workspace: tuple[Path, Path]) -> tuple[Path, Path]:
    return kpi_workspace


def describe(raw: Path, name: str, date: str) -> None:
    """Append an entry for ``name`` to kpi/actuals/SOURCES.toml."""
    with (raw / "kpi" / "actuals" / "SOURCES.toml").open("a", encoding="utf-8") as handle:
        handle.write(ENTRY.format(name=name, date=date))


def put(raw: Path, name: str) -> None:
    """One valid actual (K01, FY2026) in kpi/actuals/."""
    (raw / "kpi" / "actuals" / name).write_text(HEADER + "K01,2026,20,,,,true\n", "utf-8")


def built(ws: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> str:
    """Run `ebpm build`; it must succeed. Returns its standard output."""
    raw, db = ws
    code = main(["build", "--raw", str(raw), "--db", str(db)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def future_sidecar(raw: Path) -> str:
    """An e-Stat file whose sidecar says it was fetched in 2099 (written by hand: ebpm would not)."""
    folder = raw / "estat" / "0003445078"
    folder.mkdir(parents=True)
    data = folder / "getStatsData_20991231_0123abcd.json"
    data.write_text("{}", encoding="utf-8")
    sidecar = folder / (data.name + ".provenance.json")
    sidecar.write_text(
        json.dumps({**SIDECAR, "retrieved_at": "2099-12-31"}, ensure_ascii=False), "utf-8"
    )
    return sidecar.relative_to(raw).as_posix()


# --- (a) a retrieval date in the future ------------------------------------------------------


def test_a_sources_entry_dated_in_the_future_is_refused_naming_entry_file_and_date(ws, capsys):
    put(ws[0], "x.csv")
    describe(ws[0], "x.csv", "2099-01-01")
    err = refused(ws, capsys)
    today = manifest.build_date().isoformat()
    assert (
        "kpi/actuals/SOURCES.toml の「x.csv」（kpi/actuals/x.csv の出典）: 取得日が未来の日付です"
        f"（retrieved_at = 2099-01-01、今日は {today}）。retrieved_at を実際に取得した日"
        "（今日以前）に直してください"
    ) in err


def test_a_glob_entry_dated_in_the_future_names_the_pattern_and_the_file(ws, capsys):
    put(ws[0], "実績_2026.csv")
    describe(ws[0], "実績_*.csv", "2099-01-01T09:00:00+09:00")  # a TOML date-time
    err = refused(ws, capsys)
    assert (
        "kpi/actuals/SOURCES.toml の「実績_*.csv」（kpi/actuals/実績_2026.csv の出典）: "
        "取得日が未来の日付です（retrieved_at = 2099-01-01、"
    ) in err


def test_a_sidecar_dated_in_the_future_is_refused_naming_the_sidecar(ws, capsys):
    sidecar = future_sidecar(ws[0])
    err = refused(ws, capsys)
    assert sidecar == "estat/0003445078/getStatsData_20991231_0123abcd.json.provenance.json"
    assert f"{sidecar}: 取得日が未来の日付です（retrieved_at = 2099-12-31、" in err


def test_the_build_date_itself_is_accepted(tmp_path):
    (tmp_path / "kpi" / "actuals").mkdir(parents=True)
    put(tmp_path, "x.csv")
    describe(tmp_path, "x.csv", "2026-11-27")
    (record,) = manifest.scan_raw(tmp_path, today=dt.date(2026, 11, 27))
    assert (record.path, record.retrieved_at) == ("kpi/actuals/x.csv", dt.date(2026, 11, 27))


def test_a_pc_behind_japan_takes_japans_date():
    """16:00 UTC is 01:00 of the next day in Japan: a file retrieved then in Japan is dated
    the 28th, and a PC whose clock is set to UTC (27th) must not call that the future."""
    now = dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)
    assert manifest.build_date(now) >= dt.date(2026, 11, 28)
    assert manifest.build_date(now) >= now.astimezone().date()


def test_the_pc_date_counts_when_it_is_japans_date_or_later():
    now = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)  # 12:00 in Japan, the same day
    assert manifest.build_date(now) == max(now.astimezone().date(), dt.date(2026, 11, 27))


def test_a_retrieval_dated_today_in_japan_is_accepted(tmp_path):
    (tmp_path / "kpi" / "actuals").mkdir(parents=True)
    put(tmp_path, "x.csv")
    japan_today = dt.datetime.now(manifest.JST).date()
    describe(tmp_path, "x.csv", japan_today.isoformat())
    (record,) = manifest.scan_raw(tmp_path)
    assert record.retrieved_at == japan_today


def test_the_day_after_the_build_date_is_refused(tmp_path):
    (tmp_path / "kpi" / "actuals").mkdir(parents=True)
    put(tmp_path, "x.csv")
    describe(tmp_path, "x.csv", "2026-11-28")
    with pytest.raises(ManifestError, match=r"retrieved_at = 2026-11-28、今日は 2026-11-27"):
        manifest.scan_raw(tmp_path, today=dt.date(2026, 11, 27))


def test_the_build_compares_with_its_own_date(ws):
    # build(today=…) is the date the KPIs are evaluated at; provenance is checked against it.
    from ebpm.readers import BuildError
    from ebpm.warehouse import build

    raw, db = ws
    put(raw, "x.csv")
    describe(raw, "x.csv", "2026-05-31")
    with pytest.raises(BuildError) as caught:
        build(raw, db, today=dt.date(2026, 5, 30))
    assert any(
        "取得日が未来の日付です（retrieved_at = " in m and "、今日は 2026-05-30）" in m
        for m in caught.value.messages
    ), caught.value.messages


def test_a_sidecar_dated_in_the_future_is_never_written(tmp_path):
    data = tmp_path / "getStatsData_20991231_0123abcd.json"
    data.write_text("{}", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"^getStatsData_20991231_0123abcd\.json\.provenance"):
        manifest.write_sidecar(data, {**SIDECAR, "retrieved_at": "2099-12-31"})
    assert [p.name for p in tmp_path.iterdir()] == [data.name]


def test_an_import_of_a_file_dated_in_the_future_leaves_nothing(tmp_path, capsys):
    # e-Stat's RESULT.DATE becomes retrieved_at; a future one is refused before anything is cached.
    source = tmp_path / "meta_2099.json"
    text = (FIXTURES / "meta.json").read_text("utf-8")
    assert text.count('"DATE": "2026-11-20T10:00:00.000+09:00"') == 1
    source.write_text(text.replace("2026-11-20T10", "2099-11-20T10"), "utf-8")
    cache = tmp_path / "cache"
    code = main(["estat", "import", str(source), "--cache", str(cache)])
    err = capsys.readouterr().err
    assert code == 1
    assert (
        "エラー: meta_2099.json（取り込むファイル。取得日はファイルに書かれた日付か更新日時）: "
        "取得日が未来の日付です（retrieved_at = 2099-11-20、"
    ) in err
    assert [p for p in cache.rglob("*") if p.is_file()] == []


# --- (b) SOURCES.toml entries that describe no file --------------------------------------------


def test_an_entry_for_a_removed_file_is_announced_and_the_build_succeeds(ws, capsys, caplog):
    describe(ws[0], "削除した実績.csv", "2026-05-31")
    with caplog.at_level(logging.WARNING, logger="ebpm.manifest"):
        out = built(ws, capsys)
    assert "ウェアハウスを作成しました" in out
    assert caplog.messages == [
        "お知らせ: kpi/actuals/SOURCES.toml の「削除した実績.csv」に当たるファイルがありません"
        "（ファイル名の誤りか、削除したファイルの記録です）"
    ]


def test_a_misspelt_entry_leaves_its_file_refused_and_is_announced(ws, capsys, caplog):
    put(ws[0], "実績_2026.csv")
    describe(ws[0], "実績_2O26.csv", "2026-05-31")  # the letter O for the digit 0
    with caplog.at_level(logging.WARNING, logger="ebpm.manifest"):
        err = refused(ws, capsys)
    assert "出典情報のないファイルがあります: kpi/actuals/実績_2026.csv" in err
    assert caplog.messages == [
        "お知らせ: kpi/actuals/SOURCES.toml の「実績_2O26.csv」に当たるファイルがありません"
        "（ファイル名の誤りか、削除したファイルの記録です）"
    ]


def test_an_entry_shadowed_by_an_earlier_pattern_is_announced(ws, capsys, caplog):
    put(ws[0], "x.csv")
    describe(ws[0], "*.csv", "2026-05-31")  # after the shipped entry, before x.csv's own
    describe(ws[0], "x.csv", "2026-05-31")
    with caplog.at_level(logging.WARNING, logger="ebpm.manifest"):
        built(ws, capsys)
    assert caplog.messages == [
        "お知らせ: kpi/actuals/SOURCES.toml の「x.csv」は使われていません"
        "（kpi/actuals/x.csv には先に書いた「*.csv」を使っています。"
        "1つのファイルには最初に当たった項目だけを使います）"
    ]


def test_an_entry_naming_a_file_with_brackets_describes_it(ws, capsys, caplog):
    # fnmatch alone reads [速報] as a character class, so the file would be left undescribed.
    put(ws[0], "[速報]実績.csv")
    describe(ws[0], "[速報]実績.csv", "2026-05-31")
    with caplog.at_level(logging.WARNING, logger="ebpm.manifest"):
        built(ws, capsys)
    assert caplog.messages == []


def test_an_entry_in_a_folder_without_data_files_is_announced(tmp_path, caplog):
    folder = tmp_path / "records" / "overtime"
    folder.mkdir(parents=True)
    (folder / "SOURCES.toml").write_text(ENTRY.format(name="勤務実績_R7.csv", date="2026-05-31"))
    with caplog.at_level(logging.WARNING, logger="ebpm.manifest"):
        assert manifest.scan_raw(tmp_path) == []
    assert caplog.messages == [
        "お知らせ: records/overtime/SOURCES.toml の「勤務実績_R7.csv」に当たるファイルがありません"
        "（ファイル名の誤りか、削除したファイルの記録です）"
    ]


def test_the_shipped_data_has_no_unused_entry_and_no_future_date(caplog):
    with caplog.at_level(logging.WARNING, logger="ebpm.manifest"):
        records = manifest.scan_raw(paths.RAW, today=dt.date(2026, 11, 27))
    assert caplog.messages == []
    assert max(r.retrieved_at for r in records) <= dt.date(2026, 11, 27)


def test_the_notice_reaches_the_terminal_of_ebpm_build(ws):
    # Outside pytest no logging is configured: the notice must still be printed (stderr).
    raw, db = ws
    describe(raw, "削除した実績.csv", "2026-05-31")
    result = subprocess.run(
        [sys.executable, "-m", "ebpm", "build", "--raw", str(raw), "--db", str(db)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=paths.ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "お知らせ: kpi/actuals/SOURCES.toml の「削除した実績.csv」に当たるファイルがありません"
        "（ファイル名の誤りか、削除したファイルの記録です）"
    ]
