"""Output shapes the contract fixes, checked over every fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapter import cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted(p for p in (ROOT / "fixtures").glob("*/*.json") if p.parent.name != "expected")


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_risk_assessment_identifier_is_its_observations(path, capsys):
    assert cli.main(["score", str(path), "--original", "--now", "2025-01-01T00:00:00Z"]) == 0
    entries = json.loads(capsys.readouterr().out)["entry"]
    by_url = {e["fullUrl"]: e["resource"] for e in entries}
    for ra in (e["resource"] for e in entries if e["resource"]["resourceType"] == "RiskAssessment"):
        observation = by_url[ra["basis"][0]["reference"]]
        assert ra["identifier"] == observation["identifier"]
        assert ra["occurrenceDateTime"] == observation["effectiveDateTime"]
        # Every total is valueInteger or valueRange, never both, never neither.
        assert ("valueInteger" in observation) != ("valueRange" in observation)
        assert ("qualitativeRisk" in ra["prediction"][0]) == ("interpretation" in observation)
