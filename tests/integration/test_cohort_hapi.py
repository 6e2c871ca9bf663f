"""``spinemets cohort --fhir-server`` against a real HAPI FHIR server: the seed cohort loaded
under fresh ids, read back through a Group and through the index-procedure search."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from adapter import cli
from tests.integration.conftest import ROOT
from tests.unit.cohort.test_summary import close

pytestmark = pytest.mark.integration
NOW = "2026-11-26T00:00:00Z"


@pytest.fixture(scope="module")
def seed_on_server(fhir_base: str) -> tuple[str, list[str]]:
    """The 20 seed patients under ids unique to this run, and a Group of them."""
    run = uuid.uuid4().hex[:8]
    ids = []
    entries = []
    for path in sorted((ROOT / "fixtures" / "seed").glob("seed-*.json")):
        name = path.stem
        text = path.read_text().replace(f"{name}", f"{name}-{run}")
        for entry in json.loads(text)["entry"]:
            res = entry["resource"]
            entries.append(
                {
                    "resource": res,
                    "request": {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"},
                }
            )
        ids.append(f"{name}-{run}")
    for start in range(0, len(entries), 200):
        answer = httpx.post(fhir_base, json={"resourceType": "Bundle", "type": "transaction",
                                             "entry": entries[start : start + 200]}, timeout=300)  # fmt: skip
        assert answer.status_code == 200, answer.text
    group: dict[str, Any] = {"resourceType": "Group", "id": f"cohort-{run}", "type": "person", "actual": True,
             "member": [{"entity": {"reference": f"Patient/{pid}"}} for pid in ids]}  # fmt: skip
    assert httpx.put(f"{fhir_base}/Group/{group['id']}", json=group, timeout=60).status_code in (
        200,
        201,
    )
    return group["id"], ids


def test_cohort_of_a_group_equals_the_oracle(fhir_base, seed_on_server, capsys, tmp_path):
    group, _ = seed_on_server
    page = tmp_path / "cohort.html"
    code = cli.main(
        ["cohort", "--fhir-server", fhir_base, "--group", group, "--now", NOW, "--html", str(page)]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    got = json.loads(captured.out)
    oracle = json.loads(
        (ROOT / "fixtures" / "expected" / "cohort" / "seed.expected.json").read_text()
    )
    close(got, oracle)
    assert page.read_text().startswith("<!DOCTYPE html>")


def test_every_patient_with_an_index_procedure(fhir_base, seed_on_server, capsys):
    _, ids = seed_on_server
    assert cli.main(["cohort", "--fhir-server", fhir_base, "--now", NOW, "--format", "text"]) == 0
    out = capsys.readouterr().out
    n = int(out.split("Cohort: ")[1].split(" ")[0])
    assert n >= len(ids)  # other tests may have loaded seed patients too


def test_a_missing_group_exits_2(fhir_base, capsys):
    assert (
        cli.main(["cohort", "--fhir-server", fhir_base, "--group", f"none-{uuid.uuid4().hex}"]) == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no Group/" in err
