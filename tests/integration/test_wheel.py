"""The installable core: a wheel built from the checkout, installed without extras into a fresh
virtual environment, stays within 200 MB of site-packages, scores a fixture, and refuses the
cohort report naming the extra to install."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.interop import ROOT

pytestmark = pytest.mark.integration

LIMIT = 200 * 1024 * 1024


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file() and not p.is_symlink())


def _uv() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    assert Path(found).exists(), "uv is installed by scripts/bootstrap"
    return found


def test_the_core_wheel_installs_small_scores_and_names_missing_extras(tmp_path):
    uv = _uv()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT"))}
    build = subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("spinemets-*.whl")
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    for step in (
        [uv, "venv", "--python", "3.11", str(venv)],
        [uv, "pip", "install", "--python", str(python), str(wheel)],
    ):
        run = subprocess.run(step, capture_output=True, text=True, check=False, env=env)
        assert run.returncode == 0, run.stderr[-2000:]
    (site,) = (venv / "lib").glob("python3*/site-packages")
    size = _size(site)
    print(f"\ncore install: {size / 2**20:.0f} MiB of site-packages")
    assert size <= LIMIT
    for heavy in ("dask", "pandas", "scipy", "statsmodels", "matplotlib", "redis", "numpy"):
        assert not (site / heavy).exists(), f"{heavy} is installed without its extra"
    spinemets = venv / "bin" / "spinemets"
    seed = ROOT / "fixtures" / "seed" / "seed-07.json"
    scored = subprocess.run(
        [str(spinemets), "score", str(seed), "--format", "text", "--now", "2024-06-01T00:00:00Z"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    assert "Patient seed-07" in scored.stdout and "SINS L4: 13" in scored.stdout
    page = subprocess.run(
        [str(spinemets), "score", str(seed), "--format", "html", "--output", "page.html"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert page.returncode == 0, page.stderr
    refused = subprocess.run(
        [str(spinemets), "cohort", str(seed)], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert refused.stderr == (
        "spinemets: spinemets cohort needs the 'cohort' extra: pip install 'spinemets[cohort]'\n"
    )
