"""令和2年度 オープンデータの取組に関するアンケート: answers as published, codes checked."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ebpm import paths
from ebpm.national.opendata import ANSWERS_FILE, QUESTIONS_FILE, read_opendata

NATIONAL = paths.RAW / "national"


@pytest.fixture(scope="module")
def master() -> pl.DataFrame:
    from ebpm.national.census import CENSUS_2015, read_census_2015

    population, _, _ = read_census_2015(NATIONAL / CENSUS_2015, "x")
    return population.filter(pl.col("area_level") == "市区町村").select(
        "area_code", "prefecture", "name"
    )


@pytest.fixture(scope="module")
def survey(master: pl.DataFrame) -> pl.DataFrame:
    frame, errors = read_opendata(
        NATIONAL / ANSWERS_FILE, NATIONAL / QUESTIONS_FILE, paths.RAW, master
    )
    assert errors == []
    return frame


def test_every_government_once(survey: pl.DataFrame) -> None:
    assert survey.height == 1788
    assert survey["area_code"].n_unique() == 1788
    assert dict(survey.group_by("area_level").len().iter_rows()) == {
        "都道府県": 47,
        "市区町村": 1741,
    }


def test_ofunato_answers_as_published(survey: pl.DataFrame) -> None:
    ofunato = survey.filter(pl.col("area_code") == "03203").row(0, named=True)
    assert (ofunato["prefecture"], ofunato["name"]) == ("岩手県", "大船渡市")
    assert ofunato["submission"] == "提出済"
    assert ofunato["awareness"] == "知っているが詳細は分からない"  # No.1
    assert ofunato["publish_plan"] == "未計画"  # No.2
    assert ofunato["publishes_open_data"] is False  # No.4 「オープンデータは公開していない」 ticked
    assert ofunato["n_fields_published"] == 0
    assert ofunato["staff"] == "担当職員を置いていない"  # No.27


def test_fields_are_counted_from_the_ticks(survey: pl.DataFrame) -> None:
    # 岩手県 (03000) ticks three No.6 fields in the file
    assert survey.filter(pl.col("area_code") == "03000")["n_fields_published"].item() == 3


def test_not_submitted_means_no_answers(survey: pl.DataFrame) -> None:
    missing = survey.filter(pl.col("submission") != "提出済")
    assert missing.height == 73
    assert missing["publishes_open_data"].null_count() == 73


def test_a_code_that_contradicts_the_name_is_coded_by_name(survey: pl.DataFrame) -> None:
    # the file gives 福岡県 苅田町 the code 13220 of 東京都 東大和市
    kanda = survey.filter(pl.col("name") == "苅田町").row(0, named=True)
    assert (kanda["published_code"], kanda["area_code"]) == ("13220", "40621")
    assert "都道府県名＋団体名で 40621 を付けた" in kanda["code_note"]
    higashiyamato = survey.filter(pl.col("name") == "東大和市").row(0, named=True)
    assert higashiyamato["area_code"] == "13220"
    assert "この行のコードは正しい" in higashiyamato["code_note"]
    assert survey["code_note"].drop_nulls().len() == 2


def test_an_answer_that_is_not_an_option(tmp_path: Path, master: pl.DataFrame) -> None:
    answers = tmp_path / "national" / ANSWERS_FILE
    answers.parent.mkdir(parents=True)
    text = (NATIONAL / ANSWERS_FILE).read_text(encoding="utf-8-sig")
    answers.write_text(
        text.replace(
            "03203,岩手県 大船渡市,提出済,知っているが詳細は分からない",
            "03203,岩手県 大船渡市,提出済,少し知っている",
            1,
        ),
        encoding="utf-8",
    )
    questions = tmp_path / "national" / QUESTIONS_FILE
    questions.write_bytes((NATIONAL / QUESTIONS_FILE).read_bytes())
    _, errors = read_opendata(answers, questions, tmp_path, master)
    [error] = errors
    assert error.file == "national/opendata/r2_survey_answers.csv"
    assert error.column.startswith("[No.1]")
    assert error.message.startswith("「少し知っている」は設問の選択肢にありません")
