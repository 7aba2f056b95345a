"""The peer group: a stated, reproducible rule (or a planner's list with its reason)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ebpm import paths
from ebpm.national.census import CENSUS_2015, read_census_2015
from ebpm.national.peers import PeerRule, peer_group, peers_from_list, select_peers

NATIONAL = paths.RAW / "national"


@pytest.fixture(scope="module")
def population() -> pl.DataFrame:
    frame, _, errors = read_census_2015(NATIONAL / CENSUS_2015, "national/" + CENSUS_2015)
    assert errors == []
    return frame


def test_default_rule_by_hand(population: pl.DataFrame) -> None:
    group = select_peers(population)
    # 大船渡市 2015: 38,058 → band 30,446.4 … 47,572.5; cities of 北海道・東北 in it, without 大船渡市
    census = population.filter((pl.col("year") == 2015) & (pl.col("area_level") == "市区町村"))
    expected = (
        census.filter(
            pl.col("area_code").str.slice(0, 2).is_in(["01", "02", "03", "04", "05", "06", "07"])
            & pl.col("name").str.ends_with("市")
            & (pl.col("population") >= 30446.4)
            & (pl.col("population") <= 47572.5)
            & (pl.col("area_code") != "03203")
        )["area_code"]
        .sort()
        .to_list()
    )
    assert group.members["area_code"].to_list() == expected
    assert len(expected) == 25
    assert {"03207", "03211", "04214", "07209"} <= set(expected)  # 久慈市 釜石市 東松島市 相馬市


def test_rule_text_states_the_rule_and_the_numbers(population: pl.DataFrame) -> None:
    group = select_peers(population)
    assert group.rule_text == (
        "比較対象の市（ebpm の規則で選んだもので、総務省の類似団体区分ではない）："
        "北海道・東北（北海道・青森県・岩手県・宮城県・秋田県・山形県・福島県）の市のうち、"
        "2015年国勢調査（確定値）の人口が大船渡市（38,058人）の0.8倍以上1.25倍以下"
        "（30,447〜47,572人）の25市。大船渡市の総務省の類似団体区分は確認できていない。"
    )


def test_peer_tables_carry_the_rule(population: pl.DataFrame) -> None:
    tables = select_peers(population).tables()
    assert tables["national_peer"]["rule_text"].n_unique() == 1
    rule = tables["national_peer_rule"].row(0, named=True)
    assert (rule["target_code"], rule["target_name"], rule["selection"], rule["n_peers"]) == (
        "03203",
        "大船渡市",
        "規則",
        25,
    )


def test_a_narrower_band_keeps_fewer(population: pl.DataFrame) -> None:
    narrow = select_peers(population, PeerRule(band=(0.95, 1.05)))
    assert narrow.members["population"].is_between(38058 * 0.95, 38058 * 1.05).all()
    assert 0 < narrow.members.height < 25


def test_band_must_contain_one(population: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="band"):
        select_peers(population, PeerRule(band=(1.1, 1.3)))


def test_list_with_reason(population: pl.DataFrame) -> None:
    group = peers_from_list(population, ["01214", "1223"], "沿岸の市を企画課が選んだ")
    assert group.members["area_code"].to_list() == ["01214", "01223"]
    assert group.selection == "一覧"
    assert group.rule_text.endswith("選んだ理由：沿岸の市を企画課が選んだ")


def test_list_needs_a_reason(population: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="選んだ理由"):
        peers_from_list(population, ["01214"], " ")


def test_list_refuses_unknown_codes_and_the_target(population: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="99999"):
        peers_from_list(population, ["99999"], "理由")
    with pytest.raises(ValueError, match="自身は比較対象に入れられません"):
        peers_from_list(population, ["03203"], "理由")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "peers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_with_a_list(tmp_path: Path, population: pl.DataFrame) -> None:
    path = write(tmp_path, '[list]\narea_codes = ["04205", "07209"]\nreason = "沿岸の市"\n')
    group, errors = peer_group(population, path, "national/peers.toml")
    assert errors == [] and group is not None
    assert group.members["name"].to_list() == ["気仙沼市", "相馬市"]


def test_config_errors_name_the_file(tmp_path: Path, population: pl.DataFrame) -> None:
    both = write(tmp_path, "[rule]\nband = [0.8, 1.25]\n[list]\narea_codes = []\nreason = 'x'\n")
    group, errors = peer_group(population, both, "national/peers.toml")
    assert group is None
    assert [str(e) for e in errors] == [
        "national/peers.toml: 比較対象の設定を使えません: [rule] と [list] はどちらか一方だけにしてください"
    ]
    typo = write(tmp_path, "[rule]\nbandwidth = [0.8, 1.25]\n")
    _, errors = peer_group(population, typo, "national/peers.toml")
    assert "[rule] の bandwidth は使えません" in str(errors[0])


def test_committed_config_is_the_default_rule(population: pl.DataFrame) -> None:
    group, errors = peer_group(population, NATIONAL / "peers.toml", "national/peers.toml")
    assert errors == [] and group is not None
    assert group.rule_text == select_peers(population).rule_text
