"""Hostile or broken responses never crash: extract refuses them with a QuestionnaireError, the
reader skips what it cannot read (contract §8)."""

from __future__ import annotations

import contextlib
import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import DEFAULT_RULES
from adapter.mapping.terminology import default_terminology
from adapter.questionnaire.extract import extract
from adapter.questionnaire.populate import QuestionnaireError, populate
from tests.support.forms import fill
from tests.support.records import NOW, default_patient

TERM = default_terminology()
[_DATA] = patients_from_resources(default_patient(), [])
VALID = fill(populate("sins", _DATA, TERM, parse_time(NOW), rules=DEFAULT_RULES), {}, authored=NOW)
KEYS = ["item", "answer", "linkId", "valueCoding", "valueInteger", "code", "system", "status",
        "subject", "reference", "questionnaire", "authored", "author"]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=8) | st.sampled_from(["T12", "mechanical", "level", "vertebra"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from _paths(inner, (*path, n))


PATHS = [p for p in _paths(VALID) if p]


def _replaced(path, value):
    out = copy.deepcopy(VALID)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), json_values)
def test_a_response_broken_anywhere_is_refused_or_extracted_never_a_crash(path, value):
    response = _replaced(path, value)
    try:
        bundle = extract(response, TERM)
    except QuestionnaireError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert bundle["type"] == "transaction"
    loose: list[Issue] = []
    patients_from_resources([*default_patient(), response], loose)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_anything_at_all_is_refused_never_a_crash(value):
    with contextlib.suppress(QuestionnaireError):
        extract(value, TERM)


def test_an_entry_whose_resource_type_is_not_a_string_is_skipped():
    # Found by the test above: a list as resourceType raised TypeError in the reader.
    loose: list[Issue] = []
    bundle = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": ["Patient"]}}]}
    assert patients_from_resources([bundle], loose) == []


def test_a_number_beyond_64_bits_in_a_response_is_refused_not_a_crash():
    # Found by the fuzz test above with the full profile: JSON allows any integer.
    response = {**copy.deepcopy(VALID), "extension": [{"url": "x", "valueInteger": 2**70}]}
    response.pop("id", None)  # no id: the response's content keys its entry
    try:
        extract(response, TERM)
    except QuestionnaireError as exc:
        assert "\n" not in str(exc)
