"""``spinemets load``: the fixtures, collection Bundles as they are kept, go into HAPI in one
command, and loading again changes nothing."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from tests.integration.conftest import count
from tests.integration.interop import ROOT

pytestmark = pytest.mark.integration


def test_a_fixture_loads_into_hapi_in_one_command_twice_without_change(fhir_base, tmp_path):
    pid = f"seed-07-{uuid.uuid4().hex[:8]}"  # a fresh id: other tests' patients stay apart
    text = (ROOT / "fixtures" / "seed" / "seed-07.json").read_text().replace("seed-07", pid)
    path = tmp_path / "seed.json"
    path.write_text(text)
    resources = len(json.loads(text)["entry"])
    command = [str(ROOT / "scripts" / "spinemets"), "load", str(path), "--fhir-server", fhir_base]
    for _ in range(2):
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip().endswith(f"{resources} resources")
    assert count(fhir_base, f"Patient?_id={pid}") == 1
    assert count(fhir_base, f"Observation?subject=Patient/{pid}") > 10
    history = subprocess.run(
        ["curl", "-s", f"{fhir_base}/Patient/{pid}/_history?_summary=count"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert json.loads(history.stdout)["total"] == 1  # the second load changed nothing
