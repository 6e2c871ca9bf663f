"""For every fixture: populate → fill by item code → extract → score gives exactly the SINS the
answers imply; and the record plus the completed response alone gives the same (contract §7)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import DEFAULT_RULES
from adapter.mapping.terminology import default_terminology
from adapter.questionnaire.extract import extract
from adapter.questionnaire.populate import populate
from tests.support.forms import fill, sins_by_level

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = sorted(p for p in (ROOT / "fixtures").glob("*/*.json") if p.parent.name != "expected")
NOW = "2026-01-01T00:00:00Z"  # after every fixture's inputs; the response is authored then
TERM = default_terminology()

# Fisher 2010, Table 1, typed again here so the test does not read the code it checks.
POINTS = {
    "spinal-pain": {"mechanical": 3, "non-mechanical": 1, "pain-free": 0},
    "bone-lesion-quality": {"lytic": 2, "mixed": 1, "blastic": 0},
    "spinal-alignment": {"subluxation": 4, "de-novo-deformity": 2, "normal": 0},
    "vertebral-body-collapse": {"gt-50": 3, "lt-50": 2, "none-gt-50-involved": 1, "none": 0},
    "posterolateral-involvement": {"bilateral": 3, "unilateral": 1, "none": 0},
}
LOCATION = {
    **dict.fromkeys(("occiput", "C1", "C2", "C7", "T1", "T2", "T11", "T12", "L1", "L5", "S1"), 3),
    **dict.fromkeys(("C3", "C4", "C5", "C6", "L2", "L3", "L4"), 2),
    **dict.fromkeys([f"T{n}" for n in range(3, 11)], 1),
    **dict.fromkeys(("S2", "S3", "S4", "S5"), 0),
}


def _resources(path):
    document = json.loads(path.read_text())
    if document.get("resourceType") == "Bundle":
        return [e["resource"] for e in document.get("entry", []) if "resource" in e]
    return [document]


def _levels(response):
    return [
        g["item"][0]["answer"][0]["valueCoding"]["code"]
        for g in response.get("item", [])
        if g["linkId"] == "level"
    ]


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_populate_fill_extract_score(path):
    resources = _resources(path)
    choices = itertools.cycle(list(itertools.product(*(list(p) for p in POINTS.values()))))
    for data in patients_from_resources(resources, []):
        response = populate("sins", data, TERM, parse_time(NOW), rules=DEFAULT_RULES)
        answers: dict[tuple[str | None, str], str | int] = {}
        implied: dict[str, int] = {}
        for level in _levels(response):
            picked = dict(zip(POINTS, next(choices), strict=True))
            answers |= {(level, finding): answer for finding, answer in picked.items()}
            implied[level] = LOCATION[level] + sum(POINTS[f][a] for f, a in picked.items())
        if not implied:
            continue
        completed = fill(response, answers, authored=NOW, rid=f"qr-{data.patient}")
        extracted = [e["resource"] for e in extract(completed, TERM)["entry"]]
        for i, obs in enumerate(extracted):
            obs["id"] = f"x-{data.patient}-{i}"
        with_observations = sins_by_level([*resources, *extracted], NOW, data.patient)
        with_response = sins_by_level([*resources, completed], NOW, data.patient)
        scored = {level: with_observations[level] for level in implied}
        assert scored == implied
        assert {level: with_response[level] for level in implied} == implied
