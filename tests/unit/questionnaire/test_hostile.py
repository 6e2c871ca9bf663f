"""Hostile or broken responses never crash: extract refuses them with a QuestionnaireError, the
reader skips what it cannot read (contract §8)."""

from __future__ import annotations

import contextlib
import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import DEFAULT_RULES
from adapter.mapping.terminology import default_terminology
from adapter.questionnaire.extract import extract
from adapter.questionnaire.populate import QuestionnaireError, populate
from tests.support.forms import Answers, fill
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


def _neurology() -> dict:
    """A completed neurology response: Frankel A, Bilsky 3 at T12."""
    shown = populate("neurology", _DATA, TERM, parse_time(NOW), rules=DEFAULT_RULES)
    answers: Answers = {
        (None, "frankel-grade"): "frankel-a",
        ("T12", "epidural-spinal-cord-compression"): "bilsky-3",
    }
    return fill(shown, answers, authored=NOW)


def _read_as_input(response: dict) -> list[Issue]:
    loose: list[Issue] = []
    [data] = patients_from_resources([*default_patient(), response], loose)
    return [*loose, *data.issues]


def _bilsky(response: dict) -> dict:
    [group] = [i for i in response["item"] if i["linkId"] == "level"]
    return next(i for i in group["item"] if i["linkId"] == "epidural-spinal-cord-compression")


@pytest.mark.parametrize(
    "answer",
    [{"valueString": "bilsky-3"},
     {"valueCoding": {"system": "http://spinemets.org/fhir/CodeSystem/finding", "display": "Bilsky 3"}},
     {"valueBoolean": True}],
)  # fmt: skip
def test_an_answer_of_a_type_no_question_takes_is_refused_and_reported_never_dropped(answer):
    """A Bilsky 3 sent as a string is no Bilsky grade: $extract refuses it, and the response
    read as input must say so rather than read as if the question were unanswered."""
    response = _neurology()
    _bilsky(response)["answer"] = [answer]
    with pytest.raises(QuestionnaireError):
        extract(response, TERM)
    said = [
        i.diagnostics
        for i in _read_as_input(response)
        if "QuestionnaireResponse/qr1" in i.diagnostics
    ]
    assert any(
        "malformed" in text and "epidural-spinal-cord-compression" in text for text in said
    ), said


def _twice(response: dict, where: str) -> dict:
    if where == "whole":
        [frankel] = [i for i in response["item"] if i["linkId"] == "frankel-grade"]
        again = copy.deepcopy(frankel)
        again["answer"][0]["valueCoding"]["code"] = "frankel-e"
        response["item"].append(again)
    else:
        [group] = [i for i in response["item"] if i["linkId"] == "level"]
        again = copy.deepcopy(_bilsky(response))
        again["answer"][0]["valueCoding"]["code"] = "bilsky-0"
        group["item"].append(again)
    return response


@pytest.mark.parametrize("where", ["whole", "level"])
def test_a_question_answered_twice_in_one_place_is_refused_and_reported(where):
    """Two frankel-grade items (A, then E), or two Bilsky items in one level group (3, then 0):
    extracted, both entries would share one fullUrl and one conditional URL (bdl-7), and a
    server applying them in order would keep the second, dropping the deficit."""
    response = _twice(_neurology(), where)
    with pytest.raises(QuestionnaireError, match="twice"):
        extract(response, TERM)
    said = [
        i.diagnostics
        for i in _read_as_input(response)
        if "QuestionnaireResponse/qr1" in i.diagnostics
    ]
    assert any("malformed" in text and "twice" in text for text in said), said
