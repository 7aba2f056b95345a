"""The provenance sidecar format (one writer, one reader) and the credit lines built from it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from ebpm import manifest
from ebpm.manifest import ManifestError, Provenance

RECORD = {
    "title": "国勢調査 人口等基本集計",
    "publisher": "総務省",
    "licence": "政府統計の総合窓口(e-Stat)利用規約（CC BY 4.0互換）",
    "retrieved_at": "2026-11-20",
    "is_sample": False,
    "query": {"statsDataId": "0003445078"},
}


def data_file(folder: Path, name: str = "getStatsData_20261120_0123abcd.json") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"GET_STATS_DATA": {}}')
    return path


def test_sidecar_round_trip_keeps_extra_keys(tmp_path: Path) -> None:
    path = data_file(tmp_path)
    sidecar = manifest.write_sidecar(path, RECORD)
    assert sidecar.name == path.name + ".provenance.json"
    assert manifest.read_sidecar(path) == RECORD
    assert json.loads(sidecar.read_text("utf-8"))["query"] == {"statsDataId": "0003445078"}


def test_sidecar_that_the_build_would_refuse_is_not_written(tmp_path: Path) -> None:
    path = data_file(tmp_path)
    incomplete = {k: v for k, v in RECORD.items() if k != "licence"}
    with pytest.raises(ManifestError, match="licence"):
        manifest.write_sidecar(path, incomplete)
    with pytest.raises(ManifestError, match="is_sample"):
        manifest.write_sidecar(path, {**RECORD, "is_sample": "no"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_file_without_sidecar_reads_as_none(tmp_path: Path) -> None:
    assert manifest.read_sidecar(data_file(tmp_path)) is None


def test_scan_describes_a_file_by_its_sidecar(tmp_path: Path) -> None:
    path = data_file(tmp_path / "estat" / "0003445078")
    manifest.write_sidecar(path, RECORD)
    (record,) = manifest.scan_raw(tmp_path)
    assert record.path == "estat/0003445078/getStatsData_20261120_0123abcd.json"
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (record.title, record.publisher) == ("国勢調査 人口等基本集計", "総務省")
    assert record.retrieved_at == dt.date(2026, 11, 20)


def test_scan_names_a_broken_sidecar_by_its_path(tmp_path: Path) -> None:
    path = data_file(tmp_path / "estat" / "0003445078")
    (path.parent / (path.name + ".provenance.json")).write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(
        ManifestError,
        match=r"^estat/0003445078/getStatsData_20261120_0123abcd\.json\.provenance\.json: 出典情報",
    ):
        manifest.scan_raw(tmp_path)


def test_sample_credit_carries_the_one_sample_label() -> None:
    record = Provenance(
        "sample/a.csv", "0" * 64, 1, "時間外勤務の月次記録", "ebpm", "-", dt.date(2026, 1, 1), True
    )
    assert manifest.SAMPLE_LABEL == "研修用サンプルデータ"
    assert manifest.credit_line(record) == "「時間外勤務の月次記録」（研修用サンプルデータ）"
