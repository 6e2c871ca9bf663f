"""The finding CodeSystem in mappings/ and the answers the reader accepts cannot drift apart:
every finding the adapter reads is published with exactly the answers it accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapter.mapping.findings import FINDING_ANSWERS

CODE_SYSTEM = Path(__file__).resolve().parents[3] / "mappings" / "CodeSystem-finding.json"
# Answers taken from a CodeSystem of their own, so not listed on the finding.
OWN_SYSTEM = {"tokuhashi-primary-site"}


def _concepts() -> dict[str, dict[str, list[str]]]:
    data = json.loads(CODE_SYSTEM.read_text())
    out: dict[str, dict[str, list[str]]] = {}
    for concept in data["concept"]:
        props: dict[str, list[str]] = {}
        for prop in concept.get("property", []):
            props.setdefault(prop["code"], []).append(prop.get("valueCode"))
        out[concept["code"]] = props
    assert data["count"] == len(data["concept"])
    return out


@pytest.mark.parametrize("finding", sorted(set(FINDING_ANSWERS) - OWN_SYSTEM))
def test_each_finding_is_published_with_the_answers_it_accepts(finding):
    concepts = _concepts()
    assert concepts[finding]["kind"] == ["finding"]
    assert set(concepts[finding]["answer"]) == set(FINDING_ANSWERS[finding])
    for answer in FINDING_ANSWERS[finding]:
        assert concepts[answer]["kind"] == ["answer"], answer


def test_the_whole_spine_verdict_is_a_finding_with_two_answers():
    concepts = _concepts()
    assert concepts["whole-spine-escc"]["answer"] == ["no-high-grade", "high-grade"]
