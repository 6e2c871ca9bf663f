"""A record with no bone metastasis: the text report and the page give no score, as the files
(``score``'s Bundle, ``batch``) and the cards give none — a Tomita band read "long-term local
control, wide or marginal excision" beside a breast cancer with no spinal lesion misleads."""

from __future__ import annotations

import json

import pytest

from adapter import cli

NOW = "2025-01-01T00:00:00Z"
PRIMARY_ONLY = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1"}},
        {"resource": {
            "resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C50.911"}]},
            "onsetDateTime": "2024-01-01",
        }},
        {"resource": {
            "resourceType": "Observation", "id": "o1", "status": "final",
            "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]},
            "effectiveDateTime": "2024-12-20", "valueInteger": 80,
        }},
    ],
}  # fmt: skip
SCORE_WORDS = ("Tomita", "Tokuhashi", "Bauer", "NESMS", "van der Linden", "strategy", "NOMS")


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_a_record_with_no_bone_metastasis_shows_no_score_and_says_why(tmp_path, capsys, fmt):
    path = tmp_path / "primary-only.json"
    path.write_text(json.dumps(PRIMARY_ONLY))
    assert cli.main(["score", str(path), "--now", NOW, "--format", fmt]) == 0
    shown = capsys.readouterr().out
    assert [w for w in SCORE_WORDS if w in shown] == []
    assert "No bone-metastasis Condition" in shown
    assert "each is about a spinal metastasis" in shown


def test_the_file_of_the_same_record_holds_no_score(tmp_path, capsys):
    path = tmp_path / "primary-only.json"
    path.write_text(json.dumps(PRIMARY_ONLY))
    assert cli.main(["score", str(path), "--now", NOW]) == 0
    bundle = json.loads(capsys.readouterr().out)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["OperationOutcome"]
