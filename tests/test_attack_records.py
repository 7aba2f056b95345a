"""A mapping.toml whose header_row is absurd: refused at once (it made `ebpm build` skip
99,999,999 rows one by one on a short export, for minutes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ebpm import paths
from ebpm.records.mapping import MAX_HEADER_ROW, MappingError, load_mapping

SAMPLE_MAPPING = paths.RAW / "sample" / "records" / "overtime" / "mapping.toml"


def test_a_header_row_beyond_the_limit_is_refused(tmp_path: Path):
    text = SAMPLE_MAPPING.read_text(encoding="utf-8").replace(
        'files = "勤務実績_*.csv"', 'files = "勤務実績_*.csv"\nheader_row = 99999999', 1
    )
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(mapping, "overtime", "records/overtime/mapping.toml")
    assert any(
        f"header_row は見出しのある行の番号（1〜{MAX_HEADER_ROW} の整数）で書いてください" in m
        for m in caught.value.messages
    )
