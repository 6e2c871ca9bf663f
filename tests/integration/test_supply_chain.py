"""scripts/sbom: a CycloneDX JSON SBOM of spinemets and its locked runtime dependencies, written
outside the repository by default."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import adapter

pytestmark = pytest.mark.integration  # each case starts a process of its own

ROOT = Path(__file__).resolve().parents[2]


def test_the_sbom_is_cyclonedx_json_of_the_runtime_dependencies_outside_the_repository(tmp_path):
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    run = subprocess.run(
        [str(ROOT / "scripts" / "sbom")], env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    path = Path(run.stdout.strip().splitlines()[-1])
    assert path.is_relative_to(tmp_path) and not path.is_relative_to(ROOT)
    sbom = json.loads(path.read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["metadata"]["component"]["name"] == "spinemets"
    assert sbom["metadata"]["component"]["version"] == adapter.__version__  # matched to a release
    names = {c["name"] for c in sbom["components"]}
    assert {"fastapi", "httpx", "fhir-resources"} <= names
    assert {"redis", "scipy", "dask"} <= names  # the extras a deployment installs, listed too
    assert not names & {
        "pytest",
        "ruff",
        "bandit",
        "pip-audit",
    }  # development tools are not shipped
    assert all(c.get("purl", "").startswith("pkg:pypi/") for c in sbom["components"])
