"""e-Stat files whose table id is a path or markup (it becomes a cache folder, a warehouse
key and report text): refused at `ebpm estat import` and, if a sidecar was edited, at
`ebpm build`, with the file named."""

from __future__ import annotations

import json
from pathlib import Path

from test_hardening_inputs import base, refused, ws

from ebpm.cli import main

__all__ = ["base", "ws"]  # fixtures shared with test_hardening_inputs

FIXTURE = Path(__file__).parent / "fixtures" / "estat" / "stats_data_single.json"


def with_table_id(tmp_path: Path, table_id: str) -> Path:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data["GET_STATS_DATA"]["STATISTICAL_DATA"]["TABLE_INF"]["@id"] = table_id
    path = tmp_path / "download.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_import_refuses_a_table_id_that_is_a_path(tmp_path, capsys):
    cache = tmp_path / "estat"
    code = main(["estat", "import", "--cache", str(cache), str(with_table_id(tmp_path, "../../x"))])
    err = capsys.readouterr().err
    assert code == 1
    assert "download.json: 統計表ID「../../x」は e-Stat の統計表IDの形ではありません" in err
    assert not cache.exists() or not any(cache.rglob("*.json"))


def test_build_refuses_a_sidecar_whose_table_id_is_markup(ws, capsys, tmp_path):
    cache = ws[0] / "estat"
    assert main(["estat", "import", "--cache", str(cache), str(FIXTURE)]) == 0
    [sidecar] = cache.rglob("*.provenance.json")
    record = json.loads(sidecar.read_text(encoding="utf-8"))
    record["stats_data_id"] = "<img src=x onerror=alert(1)>"
    sidecar.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    err = refused(ws, capsys)
    data_file = sidecar.name.removesuffix(".provenance.json")
    assert (
        f"{data_file}: 統計表ID「<img src=x onerror=alert(1)>」は e-Stat の統計表IDの形ではありません"
        in err
    )
