"""Every Python block of README.md and docs/ runs as written (the first code a user runs)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCKS = [pytest.param(code, id=f"{path.relative_to(ROOT)}#{i}",
                       # examples that log thousands of visits or train belong to the
                       # full suite
                       marks=[pytest.mark.slow] if "20_000" in code or "train_run(" in code
                       else [])
          for path in DOCS
          for i, code in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), re.S))]


@pytest.mark.parametrize("code", BLOCKS)
def test_python_block_runs_as_written(code, tmp_path):
    (tmp_path / "logs").mkdir()  # where the examples write their files
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_readme_has_a_quick_start():
    assert any("README.md#0" == block.id for block in BLOCKS)
