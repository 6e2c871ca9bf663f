"""Property-based fuzzing (contract §8): whatever a resource or a CDS request holds, the reader
and the scorer report and carry on, and the service answers < 500 without a traceback.

Each example takes a valid resource of the default patient and replaces one element, at any
depth, with arbitrary JSON (numbers that are not finite or beyond any range, wrong types,
nesting). The numbers of examples are bounded so the unit tier stays fast.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import threading
from unittest.mock import patch

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.cds.app import create_app
from adapter.cds.settings import Settings
from adapter.fhir.read import shape
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.parse import parse_resource
from adapter.fhir.read.shape import InputLimits, _well_formed
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from tests.support.records import NOW, default_patient, draft_orders, order

KEYS = st.sampled_from([
    "resourceType", "id", "code", "coding", "system", "subject", "reference", "status",
    "valueInteger", "valueQuantity", "value", "valueCodeableConcept", "bodySite", "focus",
    "effectiveDateTime", "effectivePeriod", "end", "clinicalStatus", "extension", "url",
    "valueReference", "deceasedBoolean", "birthDate", "entry", "resource", "x",
])  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63, max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["Patient/p", "final", "89243-0", "T12", "2024-05-30", ""]),
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)
# The default patient with a completed vertebroplasty at T12 and its admission: the follow-up.
RESOURCES = default_patient(extra=(
    {"resourceType": "Procedure", "id": "vp-done", "status": "completed",
     "subject": {"reference": "Patient/p"}, "performedDateTime": "2024-05-20",
     "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "22510"}]},
     "bodySite": [{"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/vertebra",
                               "code": "T12"}]}]},
    {"resourceType": "Encounter", "id": "stay", "status": "finished",
     "subject": {"reference": "Patient/p"},
     "period": {"start": "2024-05-20", "end": "2024-05-22"}},
))  # fmt: skip


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _paths(value, (*prefix, n))


@st.composite
def mutated(draw):
    """The default patient's resources, one of them with one element replaced."""
    resources = copy.deepcopy(RESOURCES)
    index = draw(st.integers(0, len(resources) - 1))
    paths = [p for p in _paths(resources[index]) if p]
    path = draw(st.sampled_from(paths))
    node = resources[index]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = draw(JSON)
    if draw(st.booleans()):
        resources[index][draw(KEYS)] = draw(JSON)
    return resources


TERM = default_terminology()
LIMITS = InputLimits()


def _named(resource, limits):
    """malformed() without its fast path."""
    with patch.object(shape, "_well_formed", lambda *_: False):
        return shape.malformed(resource, limits)


@given(mutated())
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_reading_and_scoring_never_raise(resources):
    for resource in resources:
        parsed = parse_resource(resource, None, {})
        assert parsed is None or isinstance(parsed, Issue) or parsed.patient
        if isinstance(resource, dict):  # the fast check and the one that names the path agree
            fast = _well_formed(resource, LIMITS.max_depth)
            assert fast == (_named(resource, LIMITS) is None)
    data = patient_records(resources, "p")
    if data is not None:
        score_patient(data, TERM, now=parse_time(NOW))


class _Running:
    """The app's lifespan on a private loop for the module (as tests/unit/cds/test_schema.py)."""

    def __init__(self, app) -> None:
        self.app, self.loop = app, asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _open(self) -> None:
        self.context = self.app.router.lifespan_context(self.app)
        await self.context.__aenter__()
        transport = httpx.ASGITransport(app=self.app)  # an app exception is raised here
        self.client = httpx.AsyncClient(transport=transport, base_url="http://test")

    async def _close(self) -> None:
        await self.client.aclose()
        await self.context.__aexit__(None, None, None)

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def __enter__(self):
        self.thread.start()
        self.run(self._open())
        return self

    def __exit__(self, *exc) -> None:
        self.run(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    app = create_app(Settings(state_dir=tmp_path_factory.mktemp("fuzz")))
    with _Running(app) as running:
        yield running


def _searchset(resources, rtype):
    entries = [{"resource": r} for r in resources if r.get("resourceType") == rtype]
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


def _request(resources, extra) -> dict:
    body = {
        "hook": "patient-view", "hookInstance": "fuzz",
        "context": {"userId": "Practitioner/x", "patientId": "p"},
        "prefetch": {
            "patient": next((r for r in resources if r.get("id") == "p"), None),
            "conditions": _searchset(resources, "Condition"),
            "observations": _searchset(resources, "Observation"),
            "procedures": None, "encounters": None,
        },
    }  # fmt: skip
    for key, value in extra.items():
        body[key] = value
    return body


@given(
    mutated(),
    st.dictionaries(
        st.sampled_from(["context", "prefetch", "hookInstance", "fhirServer", "hook"]),
        JSON,
        max_size=1,
    ),
)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_service_never_answers_5xx(service, caplog, resources, extra):
    # json, not orjson: it writes NaN, infinities and integers of any size, as a hostile
    # client would.
    content = json.dumps(_request(resources, extra)).encode()
    with caplog.at_level(logging.INFO):
        response = service.run(service.client.post(
            "/cds-services/spinemets-scores", content=content,
            headers={"content-type": "application/json"},
        ))  # fmt: skip
    assert response.status_code < 500, response.text
    assert "Traceback" not in caplog.text
    caplog.clear()


ORDER = order("vp", "22510", "T12")


@st.composite
def mutated_order(draw):
    """A vertebroplasty order at T12 with one element replaced by arbitrary JSON."""
    resource = copy.deepcopy(ORDER)
    path = draw(st.sampled_from([p for p in _paths(resource) if p]))
    node = resource
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = draw(JSON)
    return resource


@given(mutated(), mutated_order(), st.sampled_from(["order-sign", "order-select"]))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_procedure_check_never_answers_5xx(service, caplog, resources, draft, hook):
    body = _request(resources, {})
    body["hook"] = hook
    body["context"]["draftOrders"] = draft_orders(draft)
    if hook == "order-select":
        body["context"]["selections"] = ["ServiceRequest/vp"]
    body["prefetch"] |= {"medicationRequests": None, "medicationStatements": None}
    path = "/cds-services/spinemets-procedure-check" + ("-select" if hook == "order-select" else "")
    with caplog.at_level(logging.INFO):
        response = service.run(service.client.post(
            path, content=json.dumps(body).encode(), headers={"content-type": "application/json"},
        ))  # fmt: skip
    assert response.status_code < 500, response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    caplog.clear()
