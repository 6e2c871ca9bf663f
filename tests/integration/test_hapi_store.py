"""Outputs stored on a real HAPI FHIR server: found by identifier, patient and code; a repeat
of the same transaction creates nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from adapter.fhir.read.source import read_input
from adapter.fhir.read.timing import parse_time
from adapter.fhir.write.transaction import transaction_bundle
from adapter.mapping.extract import read_observation
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import Scoring, score_patient
from tests.integration.conftest import count, load_seed_copy

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SID = "http://spinemets.org/fhir/sid/assessment"
NOW = parse_time("2025-01-01T00:00:00Z")


def outputs(path: Path):
    (data,) = list(read_input(str(path), [], read_observation))
    return score_patient(data, default_terminology(), now=NOW, scoring=Scoring(original=True))


def test_outputs_are_stored_found_and_never_duplicated(fhir_base, conformance_uploaded, tmp_path):
    pid = load_seed_copy(fhir_base, "seed-13")
    path = tmp_path / "seed-13.json"
    path.write_text(
        (ROOT / "fixtures" / "seed" / "seed-13.json").read_text().replace("seed-13", pid)
    )
    result = outputs(path)
    built = result.resources()
    tx = transaction_bundle(built)
    first = httpx.post(fhir_base, json=tx, timeout=120)
    assert first.status_code == 200, first.text
    assert {e["response"]["status"][:3] for e in first.json()["entry"]} == {"201"}

    second = httpx.post(fhir_base, json=tx, timeout=120).json()
    statuses = [e["response"]["status"][:3] for e in second["entry"]]
    assert "201" not in statuses  # matched or unchanged, never created again

    observations = [b.resource for b in built if b.resource["resourceType"] == "Observation"]
    for obs in observations:
        value = obs["identifier"][0]["value"]
        assert count(fhir_base, f"Observation?identifier={SID}|{value}") == 1
    assert (
        count(
            fhir_base,
            f"Observation?patient={pid}&code=http://spinemets.org/fhir/CodeSystem/score|sins",
        )
        == 4
    )
    assert (
        count(
            fhir_base,
            f"Observation?subject=Patient/{pid}&code=http://spinemets.org/fhir/CodeSystem/score|tomita",
        )
        == 1
    )
    # SINS, Tomita, the Tokuhashi scores and (contract v3) Bauer, modified Bauer, NESMS, van der Linden
    assert count(fhir_base, f"RiskAssessment?patient={pid}") == 4 + 4
    _one_provenance_naming_every_output(fhir_base, tx, built)
    _a_later_run_writes_nothing(fhir_base, path)


def _one_provenance_naming_every_output(fhir_base: str, tx: dict, built: list) -> None:
    tag = next(e for e in tx["entry"] if e["resource"]["resourceType"] == "Provenance")["resource"][
        "meta"
    ]["tag"][0]
    assert count(fhir_base, f"Provenance?_tag={tag['system']}|{tag['code']}") == 1
    stored = httpx.get(
        f"{fhir_base}/Provenance?_tag={tag['system']}%7C{tag['code']}", timeout=60
    ).json()["entry"][0]["resource"]
    assert len(stored["target"]) == len(built) - 1
    assert all(
        t["reference"].split("/")[0] in ("Observation", "RiskAssessment") for t in stored["target"]
    )


def _a_later_run_writes_nothing(fhir_base: str, path: Path) -> None:
    """A later run records a new computation time: still nothing new is written."""
    later = transaction_bundle(
        score_patient(
            next(iter(read_input(str(path), [], read_observation))),
            default_terminology(),
            now=parse_time("2026-01-01T00:00:00Z"),
            scoring=Scoring(original=True),
        ).resources()
    )
    third = httpx.post(fhir_base, json=later, timeout=120).json()
    assert "201" not in [e["response"]["status"][:3] for e in third["entry"]]
