"""A form response without an id (every save of the SMART app) extracted into a real HAPI FHIR
server: created once however often it is sent, and its amendment withdraws on the server what
its first extraction wrote (contract §7)."""

from __future__ import annotations

import copy

import httpx
import pytest

from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import DEFAULT_RULES
from adapter.mapping.terminology import default_terminology
from adapter.questionnaire.extract import ITEM_SID, RESPONSE_SID, extract
from adapter.questionnaire.populate import populate
from tests.integration.conftest import count, load_seed_copy
from tests.support.forms import fill
from tests.support.records import NOW, default_patient

pytestmark = pytest.mark.integration
TERM = default_terminology()
BILSKY = "epidural-spinal-cord-compression"


def _post(base: str, bundle: dict) -> dict:
    answer = httpx.post(base, json=bundle, timeout=120)
    assert answer.status_code == 200, answer.text[:500]
    result: dict = answer.json()
    return result


def _statuses(base: str, identifier: str) -> list[str]:
    """The status of every Observation with this response-item identifier, read fresh."""
    found = httpx.get(
        f"{base}/Observation",
        params={"identifier": f"{ITEM_SID}|{identifier}"},
        headers={"Cache-Control": "no-cache"},
        timeout=60,
    ).json()
    return [e["resource"]["status"] for e in found.get("entry", [])]


def test_a_response_without_an_id_is_stored_once_and_its_amendment_withdraws_its_findings(
    fhir_base,
):
    pid = load_seed_copy(fhir_base, "seed-13")
    [data] = patients_from_resources(default_patient(), [])
    shown = populate("neurology", data, TERM, parse_time(NOW), rules=DEFAULT_RULES)
    saved = fill(shown, {("T12", BILSKY): "bilsky-3"}, authored=NOW)
    saved.pop("id")
    saved.pop("author")  # no Practitioner on this server: HAPI checks references
    saved["subject"] = {"reference": f"Patient/{pid}"}

    first = extract(saved, TERM)
    _post(fhir_base, first)
    _post(fhir_base, extract(copy.deepcopy(saved), TERM))  # a retry: nothing new
    key = first["entry"][0]["resource"]["identifier"]["value"]
    assert count(fhir_base, f"QuestionnaireResponse?identifier={RESPONSE_SID}|{key}") == 1
    [bilsky] = [
        e["resource"]["identifier"][0]["value"]
        for e in first["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == BILSKY
    ]
    assert _statuses(fhir_base, bilsky) == ["final"]

    # The EHR amends the stored response (it now has the server's id): the grade is cleared.
    stored = httpx.get(
        f"{fhir_base}/QuestionnaireResponse",
        params={"identifier": f"{RESPONSE_SID}|{key}"},
        headers={"Cache-Control": "no-cache"},
        timeout=60,
    ).json()["entry"][0]["resource"]
    amended = {**stored, "status": "amended"}
    [group] = [i for i in amended["item"] if i["linkId"] == "level"]
    group["item"] = [i for i in group["item"] if i["linkId"] != BILSKY]
    _post(fhir_base, extract(amended, TERM))
    assert _statuses(fhir_base, bilsky) == ["entered-in-error"]
