"""The docs site builds with `mkdocs build --strict`: a broken link, a missing anchor or a
reference to a name the code no longer has fails the build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_docs_site_builds_strictly_with_every_page_in_it(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    for page in ("index.html", "envs/artwork_bandit/index.html", "results/index.html",
                 "performance/index.html", "api/environments/index.html"):
        assert (site / page).is_file(), page
    api = (site / "api/environments/index.html").read_text()
    assert "ModelConfig" in api and "ArtworkEnv" in api
