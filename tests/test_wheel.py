"""The built wheel is a library that works on any workspace, never on data beside its files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q")


def test_installed_wheel_runs_a_new_workspace_outside_the_repository(tmp_path):
    # Build from a copy of the sources, so the repository's own build/ and egg-info stay as they are.
    source = tmp_path / "source"
    shutil.copytree(REPO / "ebpm", source / "ebpm", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [*PIP_WHEEL, "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = wheels.glob("ebpm-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "ebpm = ebpm.cli:main" in archive.read(entry_points).decode()
        archive.extractall(tmp_path / "site")
    for packaged in ("templates/actuals_template.xlsx", "templates/report.html", "py.typed"):
        assert f"ebpm/{packaged}" in names, packaged

    env = {k: v for k, v in os.environ.items() if k != "EBPM_ROOT"}
    env["PYTHONPATH"] = str(tmp_path / "site")  # ahead of the repository's editable install

    def ebpm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "ebpm", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    where = subprocess.run(
        [sys.executable, "-c", "import ebpm; print(ebpm.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "site")
    ebpm("init", str(tmp_path / "ws"), cwd=tmp_path)
    ws = tmp_path / "ws"
    ebpm("build", cwd=ws)
    ebpm("template", "x.xlsx", cwd=ws)
    ebpm("report", cwd=ws)
    assert (ws / "x.xlsx").stat().st_size > 0
    assert (ws / "data" / "processed" / "report" / "index.html").is_file()
    assert not (
        tmp_path / "site" / "data"
    ).exists()  # nothing looked for or written beside the package
