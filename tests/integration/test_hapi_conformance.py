"""Everything spinemets writes validates on a real HAPI FHIR server, and can be stored and found."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import httpx
import pytest

from adapter import cli
from adapter.fhir.client import (
    conformance_files,
    default_profiles_dir,
    default_questionnaires_dir,
)
from adapter.mapping.terminology import default_mappings_dir

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted(p for p in (ROOT / "fixtures").glob("*/*.json"))
BASE = "http://spinemets.org/fhir/StructureDefinition"
PROFILES = {
    "sins": f"{BASE}/sins-observation",
    "tomita": f"{BASE}/tomita-observation",
    "tokuhashi-revised": f"{BASE}/tokuhashi-revised-observation",
    "tokuhashi-original": f"{BASE}/tokuhashi-original-observation",
    "outcome-trajectory": f"{BASE}/outcome-trajectory-observation",
    # contract v3: the more prognosis tools (scores-more.md)
    **{
        code: f"{BASE}/{code}-observation"
        for code in ("bauer-original", "bauer-modified", "nesms", "van-der-linden")
    },
}
RISK_PROFILE = f"{BASE}/spinemets-risk-assessment"
SCORE = "http://spinemets.org/fhir/CodeSystem/score"
# Warnings HAPI gives offline, for codes of systems it holds no content for: expected, not errors.
EXPECTED_WARNING_HINTS = (
    "loinc",
    "snomed",
    "unitsofmeasure",
    "terminology.hl7.org",
    "best practice",
    "dom-6",
    "narrative",
)


def outputs_of(path: Path, capsys) -> list[dict]:
    assert cli.main(["score", str(path), "--original", "--now", "2025-01-01T00:00:00Z"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    return [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] != "OperationOutcome"
    ]


def profile_for(resource: dict) -> str | None:
    if resource["resourceType"] == "RiskAssessment":
        return RISK_PROFILE
    if resource["resourceType"] == "Observation":
        return PROFILES[resource["code"]["coding"][0]["code"]]
    return None


async def validate_all(base: str, resources: list[dict]) -> list[tuple[dict, dict]]:
    limit = asyncio.Semaphore(4)
    async with httpx.AsyncClient(timeout=120) as http:

        async def one(resource: dict) -> tuple[dict, dict]:
            profile = profile_for(resource)
            params = {"profile": profile} if profile else {}
            async with limit:
                answer = await http.post(
                    f"{base}/{resource['resourceType']}/$validate", params=params, json=resource
                )
            return resource, answer.json()

        # HAPI generates a profile's snapshot on its first use, and two requests generating
        # snapshots at once can fail ("HAPI-0707: Failed to generate snapshot") and leave every
        # later validation failing: the first resource of each profile goes alone.
        first: dict[str | None, dict] = {}
        for resource in resources:
            first.setdefault(profile_for(resource), resource)
        warmed = [await one(r) for r in first.values()]
        rest = [r for r in resources if all(r is not f for f in first.values())]
        return [*warmed, *await asyncio.gather(*(one(r) for r in rest))]


def errors(outcome: dict) -> list[str]:
    return [
        i.get("diagnostics", "")
        for i in outcome.get("issue", [])
        if i["severity"] in ("error", "fatal")
    ]


def test_conformance_upload_is_idempotent(fhir_base, conformance_uploaded):
    directories = [default_mappings_dir(), default_profiles_dir(), default_questionnaires_dir()]
    files = conformance_files(directories)
    assert len(conformance_uploaded.splitlines()) == len(files)
    again = subprocess.run(
        ["uv", "run", "--locked", "spinemets", "conformance", "upload", "--fhir-server", fhir_base],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    ids = lambda text: sorted(line.split()[0] for line in text.splitlines())  # noqa: E731
    assert ids(again.stdout) == ids(conformance_uploaded)
    for resource in files:
        found = httpx.get(
            f"{fhir_base}/{resource['resourceType']}", params={"url": resource["url"]}, timeout=60
        ).json()
        assert found["total"] == 1, resource["url"]


def test_every_output_of_every_fixture_validates_without_errors(
    fhir_base, conformance_uploaded, capsys
):
    resources = [r for path in FIXTURES for r in outputs_of(path, capsys)]
    results = asyncio.run(validate_all(fhir_base, resources))
    failures = [
        (r["resourceType"], r.get("identifier", [{}])[0].get("value"), errors(o))
        for r, o in results
        if errors(o)
    ]
    assert failures == []
    warnings = {
        i.get("diagnostics", "")
        for _, o in results
        for i in o.get("issue", [])
        if i["severity"] == "warning"
    }
    unexpected = [w for w in warnings if not any(h in w.lower() for h in EXPECTED_WARNING_HINTS)]
    assert unexpected == [], unexpected


def _one_output(capsys, score: str) -> dict:
    outputs = outputs_of(ROOT / "fixtures" / "seed" / "seed-01.json", capsys)
    return next(
        r
        for r in outputs
        if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == score
    )


def test_validation_bites_on_a_condition_in_derived_from(fhir_base, conformance_uploaded, capsys):
    obs = _one_output(capsys, "tomita")
    obs["derivedFrom"] = [{"reference": "Condition/seed-01-primary"}]
    ((_, outcome),) = asyncio.run(validate_all(fhir_base, [obs]))
    assert errors(outcome), outcome


def test_validation_bites_on_a_category_outside_our_value_set(
    fhir_base, conformance_uploaded, capsys
):
    obs = _one_output(capsys, "tomita")
    obs["interpretation"] = [
        {
            "coding": [
                {"system": "http://spinemets.org/fhir/CodeSystem/category", "code": "sins-unstable"}
            ]
        }
    ]
    ((_, outcome),) = asyncio.run(validate_all(fhir_base, [obs]))
    assert errors(outcome), outcome


def test_validation_bites_on_a_value_that_is_neither_integer_nor_range(
    fhir_base, conformance_uploaded, capsys
):
    obs = _one_output(capsys, "sins")
    obs.pop("valueInteger", None)
    obs.pop("valueRange", None)
    obs["valueString"] = "about nine"
    ((_, outcome),) = asyncio.run(validate_all(fhir_base, [obs]))
    assert errors(outcome), outcome


def test_a_later_result_of_a_series_validates_as_final_and_amended_does_not(
    fhir_base, conformance_uploaded, capsys
):
    """What sync writes when a result replaces an older one: the same resource, still final
    (contract §3); the profiles refuse amended."""
    for score in ("sins", "tomita"):
        obs = _one_output(capsys, score) | {"id": "x1"}
        ((_, outcome),) = asyncio.run(validate_all(fhir_base, [obs]))
        assert errors(outcome) == [], outcome
        ((_, outcome),) = asyncio.run(validate_all(fhir_base, [{**obs, "status": "amended"}]))
        assert errors(outcome), outcome
    risk = next(r for r in outputs_of(ROOT / "fixtures" / "seed" / "seed-01.json", capsys)
                if r["resourceType"] == "RiskAssessment")  # fmt: skip
    ((_, outcome),) = asyncio.run(validate_all(fhir_base, [{**risk, "status": "amended"}]))
    assert errors(outcome), outcome


@pytest.mark.parametrize(
    "change",
    [{"status": "preliminary"},
     {"identifier": [{"system": "http://spinemets.org/fhir/sid/assessment", "value": "a"}]},
     {"identifier": [{"system": "http://spinemets.org/fhir/sid/assessment", "value": "a"},
                     {"system": "http://spinemets.org/fhir/sid/assessment-series", "value": "b"},
                     {"system": "http://example.org/other", "value": "c"}]}],
)  # fmt: skip
def test_validation_bites_on_status_and_identifiers(
    fhir_base, conformance_uploaded, capsys, change
):
    obs = _one_output(capsys, "tomita") | change
    ((_, outcome),) = asyncio.run(validate_all(fhir_base, [obs]))
    assert errors(outcome), outcome


def _extracted_findings(capsys, tmp_path: Path) -> list[dict]:
    """The finding Observations extracted from each form, filled for seed-01 (contract §7)."""
    from tests.support.forms import fill

    path = ROOT / "fixtures" / "seed" / "seed-01.json"
    answers: dict[str, dict[tuple[str | None, str], str | int]] = {
        "sins": {},  # populated with seed-01's findings at its levels
        "neurology": {(None, "frankel-grade"): "frankel-d"},
        "staging": {(None, "visceral-metastases"): "treatable",
                    (None, "extraspinal-bone-metastases-count"): 2},
    }  # fmt: skip
    out = []
    for name, given in answers.items():
        assert cli.main(["questionnaire", "populate", name, str(path), "--now", "2025-01-01"]) == 0
        response = json.loads(capsys.readouterr().out)
        if name != "staging":
            level = response["item"][-1]["item"][0]["answer"][0]["valueCoding"]["code"]
            code = "spinal-pain" if name == "sins" else "epidural-spinal-cord-compression"
            given = {**given, (level, code): "pain-free" if name == "sins" else "bilsky-1a"}
        completed = fill(response, given, authored="2025-01-01T00:00:00Z", rid=f"qr-{name}")
        completed_path = tmp_path / f"{name}.json"
        completed_path.write_text(json.dumps(completed))
        assert cli.main(["questionnaire", "extract", str(completed_path)]) == 0
        out += [e["resource"] for e in json.loads(capsys.readouterr().out)["entry"]]
    return out


def test_extracted_finding_observations_validate(fhir_base, conformance_uploaded, capsys, tmp_path):
    observations = _extracted_findings(capsys, tmp_path)
    assert {o["code"]["coding"][0]["code"] for o in observations} >= {
        "spinal-pain", "frankel-grade", "epidural-spinal-cord-compression",
        "visceral-metastases", "extraspinal-bone-metastases-count",
    }  # fmt: skip

    async def run() -> list[tuple[dict, dict]]:
        async with httpx.AsyncClient(timeout=120) as http:
            answers = [
                await http.post(f"{fhir_base}/Observation/$validate", json=o) for o in observations
            ]
        return [(o, a.json()) for o, a in zip(observations, answers, strict=True)]

    failures = [(o["code"]["coding"][0]["code"], errors(r)) for o, r in asyncio.run(run())
                if errors(r)]  # fmt: skip
    assert failures == []
