"""Ten more hostile inputs, invented after the fixes of issue 14 (playing the attacker).

Each was tried first against the hardened code; those that got through were fixed and are
kept here: a device or a pipe named like a CSV, a link to the root folder, JSON and TOML
nested a hundred thousand deep, Excel's lock file, a Windows device name as a KPI id, a
DOCTYPE in the shared strings of an xlsx, a CSV whose single header cell is 19 MB, a CSV
with old Mac line ends, and a folder name escaping the e-Stat cache."""

from __future__ import annotations

import os
import threading
import zipfile
from pathlib import Path

import pytest
from bad_inputs import corpus
from test_hardening_inputs import append_definition, base, put, refused, ws  # noqa: F401

from ebpm import estat, limits
from ebpm.cli import main

HEADER = corpus.HEADER


def test_a_link_to_dev_zero_named_like_a_csv_is_refused_unread(ws, capsys):  # noqa: F811
    (ws[0] / "kpi" / "actuals" / "x.csv").symlink_to("/dev/zero")
    err = refused(ws, capsys)
    # Refused before any read: a link out of data/raw (tests/test_attack_inputs.py).
    assert "kpi/actuals/x.csv: data/raw の外（/dev/zero）を指すリンクです" in err


def test_a_named_pipe_named_like_a_csv_does_not_block_the_build(ws, capsys):  # noqa: F811
    os.mkfifo(ws[0] / "kpi" / "actuals" / "x.csv")
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(refused(ws, capsys)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the build blocked on the pipe"
    assert "kpi/actuals/x.csv: 通常のファイルではありません" in result[0]


def test_a_link_to_the_root_folder_is_not_walked(ws, capsys):  # noqa: F811
    (ws[0] / "kpi" / "actuals" / "everything").symlink_to("/")
    (ws[0] / "kpi" / "actuals" / "y.csv").symlink_to("/")
    err = refused(ws, capsys)
    assert "kpi/actuals/everything: data/raw の外（/）を指すリンクです" in err
    assert "kpi/actuals/y.csv: data/raw の外（/）を指すリンクです" in err
    assert err.count("\n  - ") == 2  # nothing under / was read or listed


def test_json_nested_a_hundred_thousand_deep_is_refused_not_a_crash(tmp_path, capsys):
    source = tmp_path / "deep.json"
    source.write_text('{"GET_STATS_DATA": ' + "[" * 100_000, encoding="utf-8")
    code = main(["estat", "import", str(source), "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 1
    assert "deep.json: JSON の入れ子が深すぎて読み取れません" in err
    assert "Traceback" not in err


def test_a_sources_toml_nested_deep_is_refused_by_name(ws, capsys):  # noqa: F811
    (ws[0] / "kpi" / "actuals" / "SOURCES.toml").write_text(
        "x = " + "[" * 100_000, encoding="utf-8"
    )
    err = refused(ws, capsys)
    assert "kpi/actuals/SOURCES.toml: 入れ子（[ や {）が深すぎて読めません" in err


def test_excel_lock_files_are_neither_data_nor_errors(ws, capsys):  # noqa: F811
    (ws[0] / "kpi" / "actuals" / "~$実績_総務課.xlsx").write_bytes(b"\x00" * 165)
    raw, db = ws
    assert main(["build", "--raw", str(raw), "--db", str(db)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("kpi_id", ["CON", "nul", "Com1", "LPT9"])
def test_a_windows_device_name_as_kpi_id_is_refused(ws, capsys, kpi_id):  # noqa: F811
    raw = ws[0]
    row = (raw / "kpi" / "kpi_definitions.csv").read_text(encoding="utf-8").splitlines()[5]
    append_definition(raw, row.replace("K05,1,", f"{kpi_id},1,"))
    err = refused(ws, capsys)
    assert f"kpi/kpi_definitions.csv 17行目 kpi_id列: 「{kpi_id}」は Windows で装置の名前" in err


def test_a_doctype_in_the_shared_strings_is_refused(ws, capsys, tmp_path):  # noqa: F811
    book = corpus.formula_without_value_xlsx(tmp_path / "x.xlsx")
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>'
    )
    with zipfile.ZipFile(book, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", laughs)
    put(ws[0], "x.xlsx", book)
    err = refused(ws, capsys)
    assert "kpi/actuals/x.xlsx: Excel ファイルに DOCTYPE・実体宣言があります" in err


def test_a_19mb_header_cell_does_not_flood_the_message(ws, capsys):  # noqa: F811
    put(ws[0], "x.csv", "A" * (19 * 1024 * 1024) + "\nK01\n")
    err = refused(ws, capsys)
    assert "kpi/actuals/x.csv: 必要な列「kpi_id」か「指標ID」か「KPI」がありません" in err
    assert len(err) < 3000


def test_old_mac_line_ends_count_as_rows():
    data = (HEADER.rstrip("\n") + "\r" + "K01,2025,12,,,,true\r" * 150_000).encode()
    with pytest.raises(limits.LimitError, match="行が多すぎます（150,001行"):
        limits.check_csv(data, "mac.csv", limits.KPI_TABLE)


def test_a_stats_data_id_cannot_move_an_import_out_of_the_cache(tmp_path):
    source = Path(__file__).parent / "fixtures" / "estat" / "stats_data_special.json"
    cache = tmp_path / "cache"
    with pytest.raises(estat.EStatFormatError, match=r"統計表ID「\.\./\.\./\.\./\.\./tmp/evil」は"):
        estat.import_file(source, cache, stats_data_id="../../../../tmp/evil")
    assert not (tmp_path / "evil").exists()
    assert not cache.exists() or not any(cache.rglob("*"))


def test_a_sample_csv_replaced_by_a_link_to_another_file_is_read_only_as_a_file(ws, capsys):  # noqa: F811
    target = ws[0] / "sample" / "copy_paper_monthly.csv"
    target.unlink()
    target.symlink_to("/dev/urandom")
    err = refused(ws, capsys)
    assert "sample/copy_paper_monthly.csv: data/raw の外（/dev/urandom）を指すリンクです" in err
