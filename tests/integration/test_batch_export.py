"""``spinemets batch`` on the project's HAPI server: a Bulk Data ``$export`` kicked off,
polled and downloaded by spinemets, each exported patient scored as its fixture expects."""

from __future__ import annotations

import json

import pytest

from adapter import cli
from tests.integration.conftest import load_seed_copy
from tests.integration.interop import ROOT
from tests.unit.test_fixtures import expected_for, read_back

pytestmark = pytest.mark.integration

SEEDS = ("seed-07", "seed-12")
TYPES = "Patient,Condition,Observation,Procedure,Encounter"


def test_a_server_export_is_scored_patient_by_patient(fhir_base, tmp_path, capsys):
    pids = {load_seed_copy(fhir_base, name): name for name in SEEDS}
    # System-level, narrowed to these patients (Patient- and Group-level export need HAPI's
    # missing-fields index: hapi/README.md). Filters of one type are alternatives.
    filters = ",".join(f"{rtype}?{'_id=' if rtype == 'Patient' else 'subject=Patient/'}{pid}"
                       for rtype in TYPES.split(",") for pid in pids)  # fmt: skip
    kick_off = f"{fhir_base}/$export?_type={TYPES}&_typeFilter={filters}"
    output = tmp_path / "out"
    args = ["batch", kick_off, "--output", str(output), "--now", "2025-01-01T00:00:00Z",
            "--workers", "1", "--partitions", "4", "--original"]  # fmt: skip
    assert cli.main(args) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith("2 patients in 4 partitions")
    resources = [json.loads(line) for path in sorted(output.glob("*.ndjson"))
                 for line in path.read_text().splitlines()]  # fmt: skip
    got = read_back({"entry": [{"resource": r} for r in resources]})["patients"]
    assert set(got) == set(pids)
    for pid, name in pids.items():
        expected = expected_for(ROOT / "fixtures" / "seed" / f"{name}.json")["patients"][name]
        for key in ("tomita", "tokuhashi-revised", "tokuhashi-original", "sins"):
            assert got[pid][key] == expected[key], (name, key)
    # The Procedures came along: each patient's outcome after the index procedure.
    outcomes = [r for r in resources if r["resourceType"] == "Observation"
                and r["code"]["coding"][0]["code"] == "outcome-trajectory"]  # fmt: skip
    assert {o["subject"]["reference"] for o in outcomes} == {f"Patient/{p}" for p in pids}
    assert not (output / "_export").exists()
