"""Every output resource carries a generated narrative an EHR can show (dom-6)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from adapter import cli
from adapter.fhir.write.narrative import XHTML, narrative, with_narrative

ROOT = Path(__file__).resolve().parents[3]
NOW = "2026-11-26T00:00:00Z"  # after the seed's 6-month visits: the outcome Observation is full


def _outputs(path: Path, capsys) -> list[dict]:
    assert cli.main(["score", str(path), "--now", NOW]) == 0
    return [e["resource"] for e in json.loads(capsys.readouterr().out)["entry"]]


def _paragraphs(resource: dict) -> list[str]:
    text = resource["text"]
    assert text["status"] == "generated"
    div = ET.fromstring(text["div"])  # well-formed XHTML, or this raises
    assert div.tag == f"{{{XHTML}}}div"
    return ["".join(p.itertext()) for p in div]


@pytest.mark.parametrize("name", ["seed-01.json", "seed-07.json"])
def test_every_output_has_a_narrative_that_says_its_content(name, capsys):
    outputs = _outputs(ROOT / "fixtures" / "seed" / name, capsys)
    assert {r["resourceType"] for r in outputs} >= {
        "Observation", "RiskAssessment", "Provenance", "OperationOutcome",
    }  # fmt: skip
    for resource in outputs:
        said = " ".join(_paragraphs(resource))
        if resource["resourceType"] == "Observation" and "valueInteger" in resource:
            assert f": {resource['valueInteger']} (" in said
            assert resource["interpretation"][0]["coding"][0]["display"] in said
        if resource["resourceType"] == "RiskAssessment":
            assert resource["mitigation"] in said
        if resource["resourceType"] == "Provenance":
            assert f"{len(resource['target'])} outputs" in said


def test_a_range_says_its_band_or_that_none_is_settled(capsys):
    path = ROOT / "fixtures" / "edge" / "ecog-1-instead-of-kps.json"
    outputs = _outputs(path, capsys)
    ranged = [r for r in outputs if "valueRange" in r]
    assert ranged
    for resource in ranged:
        low, high = resource["valueRange"]["low"]["value"], resource["valueRange"]["high"]["value"]
        said = _paragraphs(resource)[0]
        assert f"{low}–{high}" in said
        if "interpretation" in resource:  # a range within one band has that band
            assert resource["interpretation"][0]["coding"][0]["display"] in said
        elif resource["code"]["coding"][0]["code"] == "nesms":  # no label is published per value
            assert "(no label)" in said
        else:
            assert "category not settled" in said


def test_text_is_escaped():
    div = narrative(["Tokuhashi < 6 months & <b>not</b> bold"])["div"]
    assert "&lt;b&gt;" in div and "&amp;" in div
    assert ET.fromstring(div)[0].text == "Tokuhashi < 6 months & <b>not</b> bold"


def test_the_narrative_follows_resource_type_and_replaces_an_old_one():
    old = {"status": "final", "resourceType": "Observation", "text": {"div": "old"}, "id": "x"}
    out = with_narrative(old, ["new"])
    assert list(out) == ["resourceType", "text", "status", "id"]
    assert "new" in out["text"]["div"] and "old" not in out["text"]["div"]
    assert old["text"] == {"div": "old"}  # the input is left as it was
