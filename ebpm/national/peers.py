"""The peer group: the cities 大船渡市 is compared with, chosen by a stated, reproducible rule.

大船渡市's official 類似団体 type (総務省) could not be confirmed, so the peers are not the
ministry's group. By default they are chosen from the census by :class:`PeerRule`:

    北海道・東北の市のうち、2015年国勢調査（確定値）の人口が大船渡市の 0.8〜1.25 倍の市

(0.8 = 1/1.25: the band is as wide above as below on a ratio scale). The 2015 count is
used because it is final; the 2020 count in the workspace is preliminary (速報値).

A planner changes the group in ``data/raw/national/peers.toml`` — other parameters of the
rule, or an explicit list of codes with the reason for choosing them — or passes a list to
:func:`ebpm.national.views.comparison`. Wherever peers appear, the rule text goes with them
(``national_peer_rule``, the ``peer_rule`` column of the comparison view).

``peers.toml``::

    target = "03203"                 # the municipality compared (大船渡市)

    [rule]                           # choose by rule (the default when the file is absent)
    census_year = 2015
    prefectures = ["01", "02", "03", "04", "05", "06", "07"]
    cities_only = true
    band = [0.8, 1.25]

    # … or instead of [rule], name the peers and say why:
    # [list]
    # area_codes = ["01214", "01223", "04203", "04205", "07209"]
    # reason = "北海道・東北の沿岸の市から人口規模の近い市を企画課が選んだ"
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl

from ebpm.codes import PREFECTURES
from ebpm.readers import InputError

__all__ = ["PEERS_FILE", "PeerGroup", "PeerRule", "peer_group", "peers_from_list", "select_peers"]

PEERS_FILE: Final = "peers.toml"
_NOT_OFFICIAL: Final = "総務省の類似団体区分ではない"


@dataclass(frozen=True)
class PeerRule:
    """Peers by rule: cities of some prefectures whose census population is in a band."""

    target: str = "03203"
    census_year: int = 2015
    prefectures: tuple[str, ...] = ("01", "02", "03", "04", "05", "06", "07")
    cities_only: bool = True
    band: tuple[float, float] = (0.8, 1.25)


@dataclass(frozen=True)
class PeerGroup:
    """The peers, the target and the rule that chose them (shown wherever peers appear)."""

    target: str
    target_name: str
    selection: str  # 規則 or 一覧
    rule_text: str
    members: pl.DataFrame = field(repr=False)

    def tables(self) -> dict[str, pl.DataFrame]:
        """``national_peer`` and ``national_peer_rule`` for the warehouse."""
        rule = pl.DataFrame(
            {
                "target_code": [self.target],
                "target_name": [self.target_name],
                "selection": [self.selection],
                "rule_text": [self.rule_text],
                "n_peers": [self.members.height],
            }
        )
        members = self.members.with_columns(
            pl.lit(self.target).alias("target_code"), pl.lit(self.rule_text).alias("rule_text")
        )
        return {"national_peer": members, "national_peer_rule": rule}


def _census(population: pl.DataFrame, year: int) -> pl.DataFrame:
    """Municipal counts of one census year, final counts preferred over preliminary ones."""
    return (
        population.filter((pl.col("year") == year) & (pl.col("area_level") == "市区町村"))
        .sort("is_preliminary", "series")
        .unique("area_code", keep="first", maintain_order=True)
        .select(
            "area_code",
            "prefecture",
            "name",
            "is_city",
            "population",
            pl.col("year").alias("population_year"),
            pl.col("status").alias("population_status"),
        )
    )


def _target(census: pl.DataFrame, code: str, year: int) -> dict[str, Any]:
    found = census.filter(pl.col("area_code") == code)
    if found.height == 0:
        raise ValueError(
            f"比較の中心の団体コード「{code}」が{year}年国勢調査の市区町村にありません"
        )
    return found.row(0, named=True)


def _region(prefectures: Sequence[str]) -> str:
    names = [PREFECTURES[p] for p in prefectures]
    tohoku = [PREFECTURES[p] for p in ("02", "03", "04", "05", "06", "07")]
    if set(names) == {"北海道", *tohoku}:
        return f"北海道・東北（{'・'.join(names)}）"
    if len(names) == len(PREFECTURES):
        return "全国"
    return "・".join(names)


def select_peers(population: pl.DataFrame, rule: PeerRule = PeerRule()) -> PeerGroup:
    """Apply ``rule`` to the census population (``national_census_population``).

    Raises
    ------
    ValueError
        In Japanese, when the rule cannot be applied (unknown prefecture, census year
        not in the data, band not around 1, target not found).
    """
    unknown = [p for p in rule.prefectures if p not in PREFECTURES]
    if unknown:
        raise ValueError(f"都道府県コード {'、'.join(unknown)} は01〜47の2桁ではありません")
    low, high = rule.band
    if not (0 < low <= 1 <= high):
        raise ValueError(
            f"band [{low}, {high}] は1をはさむ2つの倍率にしてください（例 [0.8, 1.25]）"
        )
    census = _census(population, rule.census_year)
    if census.height == 0:
        raise ValueError(f"{rule.census_year}年国勢調査の市区町村の人口がウェアハウスにありません")
    target = _target(census, rule.target, rule.census_year)
    lower, upper = target["population"] * low, target["population"] * high
    members = census.filter(
        pl.col("area_code").str.slice(0, 2).is_in(list(rule.prefectures))
        & (pl.col("is_city") | pl.lit(not rule.cities_only))
        & pl.col("population").is_between(lower, upper)
        & (pl.col("area_code") != rule.target)
    ).sort("area_code")
    status = target["population_status"]
    kind, counter = ("市", "市") if rule.cities_only else ("市区町村", "団体")
    text = (
        f"比較対象の{kind}（ebpm の規則で選んだもので、{_NOT_OFFICIAL}）："
        f"{_region(rule.prefectures)}の{kind}のうち、{rule.census_year}年国勢調査（{status}）の人口が"
        f"{target['name']}（{target['population']:,}人）の{low:g}倍以上{high:g}倍以下"
        f"（{math.ceil(lower):,}〜{math.floor(upper):,}人）の{members.height}{counter}。"
        f"{target['name']}の総務省の類似団体区分は確認できていない。"
    )
    return PeerGroup(rule.target, target["name"], "規則", text, members.drop("is_city"))


def peers_from_list(
    population: pl.DataFrame,
    area_codes: Sequence[str],
    reason: str,
    *,
    target: str = "03203",
    census_year: int = 2015,
) -> PeerGroup:
    """Peers named by a planner; ``reason`` (why these) becomes part of the rule text."""
    if not reason.strip():
        raise ValueError("比較対象を一覧で指定するときは、選んだ理由（reason）を書いてください")
    census = _census(population, census_year)
    target_row = _target(census, target, census_year)
    codes = [str(c).strip().zfill(5) for c in area_codes]
    missing = sorted(set(codes) - set(census["area_code"]))
    if missing:
        raise ValueError(
            f"団体コード {'、'.join(missing)} が{census_year}年国勢調査の市区町村にありません"
            "（5桁の団体コードで書いてください）"
        )
    if target in codes:
        raise ValueError(f"{target_row['name']}（{target}）自身は比較対象に入れられません")
    members = census.filter(pl.col("area_code").is_in(codes)).sort("area_code")
    text = (
        f"比較対象の団体（担当者が一覧で指定したもので、{_NOT_OFFICIAL}）：{members.height}団体。"
        f"選んだ理由：{reason.strip()}"
    )
    return PeerGroup(target, target_row["name"], "一覧", text, members.drop("is_city"))


_RULE_KEYS: Final = {"census_year", "prefectures", "cities_only", "band"}


def _rule_from(config: dict[str, Any], target: str) -> PeerRule:
    rule = config.get("rule", {})
    unknown = sorted(set(rule) - _RULE_KEYS)
    if unknown:
        raise ValueError(
            f"[rule] の {'、'.join(unknown)} は使えません（使える項目: {'、'.join(sorted(_RULE_KEYS))}）"
        )
    default = PeerRule()
    band = rule.get("band", list(default.band))
    if not (
        isinstance(band, list) and len(band) == 2 and all(isinstance(b, int | float) for b in band)
    ):
        raise ValueError("band は [0.8, 1.25] のように2つの数で書いてください")
    prefectures = rule.get("prefectures", list(default.prefectures))
    return PeerRule(
        target=target,
        census_year=int(rule.get("census_year", default.census_year)),
        prefectures=tuple(str(p).zfill(2) for p in prefectures),
        cities_only=bool(rule.get("cities_only", default.cities_only)),
        band=(float(band[0]), float(band[1])),
    )


def peer_group(
    population: pl.DataFrame, config: Path | None, label: str
) -> tuple[PeerGroup | None, list[InputError]]:
    """The peer group of the workspace: ``config`` (``peers.toml``) if it exists, else the default rule."""
    try:
        settings: dict[str, Any] = {}
        if config is not None and config.exists():
            with config.open("rb") as handle:
                settings = tomllib.load(handle)
        unknown = sorted(set(settings) - {"target", "rule", "list"})
        if unknown:
            raise ValueError(
                f"{'、'.join(unknown)} は使えません（target・[rule]・[list] のどれかを書いてください）"
            )
        if "rule" in settings and "list" in settings:
            raise ValueError("[rule] と [list] はどちらか一方だけにしてください")
        target = str(settings.get("target", PeerRule().target)).zfill(5)
        if "list" in settings:
            listed = settings["list"]
            return peers_from_list(
                population,
                listed.get("area_codes", []),
                str(listed.get("reason", "")),
                target=target,
                census_year=int(listed.get("census_year", 2015)),
            ), []
        return select_peers(population, _rule_from(settings, target)), []
    except (ValueError, TypeError, tomllib.TOMLDecodeError, RecursionError) as error:
        return None, [InputError(label, f"比較対象の設定を使えません: {error}")]
