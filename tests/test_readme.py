"""The README's promises that a newcomer tries first."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _listing(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if not {".git", ".pytest_cache", "__pycache__"} & set(p.relative_to(folder).parts)}


def test_the_library_example_runs_and_writes_nothing_into_the_repository() -> None:
    [example] = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    before = _listing(ROOT)
    done = subprocess.run([sys.executable, "-c", example], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "사만다" in done.stdout  # the example's search found and printed passages of the bundled corpus
    assert _listing(ROOT) == before
