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
        # The same result (its first identifier); each its own series (the second). A SINS
        # RiskAssessment that another level may make worse, or that describes levels tied at
        # the worst total (Observations of ours in its basis), says more than its first
        # Observation, so its result is another: the Observation's, and what it adds.
        unsettled = "not settled for the patient" in ra.get("mitigation", "").lower()
        tied = sum(b["reference"] in by_url for b in ra["basis"]) > 1
        # a level shown from findings before its cement or screws: the words say so
        before = "(findings " in ra["prediction"][0]["rationale"]
        assert ra["identifier"][0]["system"] == observation["identifier"][0]["system"]
        mine, theirs = ra["identifier"][0]["value"], observation["identifier"][0]["value"]
        if unsettled or tied or before:
            assert mine.startswith(f"{theirs}-")
        else:
            assert mine == theirs
        assert ra["identifier"][1]["system"] == observation["identifier"][1]["system"]
        assert ra["identifier"][1]["value"] != observation["identifier"][1]["value"]
        assert ra["occurrenceDateTime"] == observation["effectiveDateTime"]
        # Every total is valueInteger or valueRange, never both, never neither.
        assert ("valueInteger" in observation) != ("valueRange" in observation)
        settled = "interpretation" in observation and not unsettled
        assert ("qualitativeRisk" in ra["prediction"][0]) == settled


def _notes(path: Path, score: str, capsys) -> list[str]:
    assert cli.main(["score", str(path), "--now", "2024-06-01T00:00:00Z"]) == 0
    entries = json.loads(capsys.readouterr().out)["entry"]
    obs = next(
        e["resource"]
        for e in entries
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == score
    )
    return [n["text"] for n in obs.get("note", [])]


@pytest.mark.parametrize(
    ("fixture", "score", "says"),
    [
        ("ais-instead-of-frankel.json", "tokuhashi-revised", "AIS grade"),
        ("ecog-1-instead-of-kps.json", "tokuhashi-revised", "ECOG 1 stands in for Karnofsky 70–80"),
        ("conflict-equal-time.json", "sins", "Conflicting"),
        ("visceral-coded-no-finding.json", "tomita", "not assessed"),
        ("ambiguous-primary-colorectal.json", "tomita", "Growth class not defined"),
    ],
)
def test_stand_ins_conflicts_and_ambiguities_are_said_in_the_observation(
    fixture, score, says, capsys
):
    notes = _notes(ROOT / "fixtures" / "edge" / fixture, score, capsys)
    assert any(says in note for note in notes), notes


def test_plain_derivations_do_not_clutter_the_observation(capsys):
    notes = _notes(ROOT / "fixtures" / "seed" / "seed-07.json", "tomita", capsys)
    assert notes == []


def test_the_firm_total_widens_by_each_dated_component_alone():
    """What holds without the inputs that may have changed: each dated component takes its full
    span, the others keep their points; no dated input leaves the total as it is."""
    from adapter.fhir.read.evidence import Basis, Evidence
    from adapter.fhir.read.records import ResourceRef
    from adapter.pipeline.results import firm_total
    from adapter.scoring import Possible, Span
    from adapter.scoring.result import Part, result_of
    from adapter.vocabulary import TOMITA

    points = {1: 1, 2: 2, 4: 4}.__getitem__
    parts = [Part(Possible.of(2), points, (1, 2, 4))] * len(TOMITA.components)
    result = result_of(TOMITA, parts)
    ref = ResourceRef("Observation", "Observation/o")
    dated = Basis((Evidence(ref, None, "old", dated="older than 90 days"),))
    current = Basis((Evidence(ref, None, "new"),))
    codes = [c.code for c in result.components]
    assert firm_total(result, {code: current for code in codes}) == result.total
    one = firm_total(result, {codes[0]: dated, codes[1]: current})
    assert one == Span(result.total.low - 1, result.total.high + 2)
    both = firm_total(result, {codes[0]: dated, codes[1]: dated})
    assert both == Span(result.total.low - 2, result.total.high + 4)
