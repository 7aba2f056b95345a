"""Re-execute notebooks in place so their stored outputs match the current code (for nbval).

    .venv/bin/python scripts/execute_notebooks.py                # every notebook
    .venv/bin/python scripts/execute_notebooks.py notebooks/00_*.ipynb

Run `ebpm build` first: the notebooks read the warehouse.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)
    print(f"executed {path.relative_to(ROOT)}")


if __name__ == "__main__":
    targets = [Path(p).resolve() for p in sys.argv[1:]] or sorted(
        (ROOT / "notebooks").rglob("*.ipynb")
    )
    for target in targets:
        if ".ipynb_checkpoints" not in target.parts:
            execute(target)
