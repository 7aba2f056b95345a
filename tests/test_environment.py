"""environment.yml stays a thin shim over pyproject.toml, and constraints pin everything."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[1]


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def pins() -> dict[str, str]:
    lines = (REPO / "constraints.txt").read_text().splitlines()
    found = {}
    for line in lines:
        if line and not line.startswith("#"):
            name, version = line.split("==")
            found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def test_environment_yml_is_only_a_shim():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    assert env["dependencies"] == [
        "python=3.11",
        "pip",
        {"pip": ["-c constraints.txt", "-e .[dev]"]},
    ]
    python = env["dependencies"][0].split("=")[1]
    assert SpecifierSet(pyproject()["project"]["requires-python"]).contains(python + ".0")


def test_constraints_pin_every_declared_dependency_within_its_range():
    project = pyproject()["project"]
    declared = [
        *project["dependencies"],
        *(d for extra in project["optional-dependencies"].values() for d in extra),
    ]
    pinned = pins()
    for text in declared:
        requirement = Requirement(text)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        if name == "ebpm":
            continue
        assert name in pinned, f"{name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (name, pinned[name])
