"""Property-based fuzzing of the SDC operations on serve (contract §7, §8): whatever a record sent
to ``$populate`` or a response sent to ``$extract`` holds, the answer is < 500 and nothing is
logged at error level. The numbers of examples are bounded so the unit tier stays fast."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.cds.app import create_app
from adapter.cds.settings import Settings
from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import DEFAULT_RULES
from adapter.mapping.terminology import default_terminology
from adapter.questionnaire.populate import populate
from tests.support.forms import fill
from tests.support.records import NOW, default_patient
from tests.unit.test_fuzz import JSON, _paths, _Running, mutated

FHIR_JSON = {"content-type": "application/fhir+json"}
[_DATA] = patients_from_resources(default_patient(), [])
COMPLETED = fill(
    populate("sins", _DATA, default_terminology(), parse_time(NOW), rules=DEFAULT_RULES),
    {},
    authored=NOW,
)
PATHS = [p for p in _paths(COMPLETED) if p]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    app = create_app(Settings(state_dir=tmp_path_factory.mktemp("fuzz-forms")))
    with _Running(app) as running:
        yield running


def _post(service, caplog, path: str, body) -> None:
    # json, not orjson: it writes NaN, infinities and integers of any size, as a hostile
    # client would.
    with caplog.at_level(logging.INFO):
        response = service.run(
            service.client.post(path, content=json.dumps(body).encode(), headers=FHIR_JSON)
        )
    assert response.status_code < 500, response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    caplog.clear()


@given(mutated(), st.sampled_from(["sins", "neurology", "staging"]), st.booleans())
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_populate_never_answers_5xx(service, caplog, resources, form, subject):
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in resources]}  # fmt: skip
    parameter: list[dict[str, Any]] = [{"name": "context", "part": [{"name": "name", "valueString": "patient"},
                                              {"name": "content", "resource": bundle}]}]  # fmt: skip
    if subject:
        parameter.append({"name": "subject", "valueReference": {"reference": "Patient/p"}})
    body = {"resourceType": "Parameters", "parameter": parameter}
    _post(service, caplog, f"/fhir/Questionnaire/{form}/$populate", body)


@st.composite
def mutated_response(draw):
    """A completed SINS response with one element replaced by arbitrary JSON."""
    response = copy.deepcopy(COMPLETED)
    path = draw(st.sampled_from(PATHS))
    node = response
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = draw(JSON)
    return response


@given(mutated_response(), st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_extract_never_answers_5xx(service, caplog, response, wrapped):
    body = (
        {"resourceType": "Parameters",
         "parameter": [{"name": "questionnaire-response", "resource": response}]}
        if wrapped else response
    )  # fmt: skip
    _post(service, caplog, "/fhir/QuestionnaireResponse/$extract", body)
