"""A line's head (adapter/fhir/read/heads.py): it names the patient exactly as the whole resource
does, screens out only Observations nothing reads, and leaves every line it cannot read to the
full parser, which still reports it."""

from __future__ import annotations

import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from adapter import cli
from adapter.fhir.read.heads import Head, head_of, unread_observation
from adapter.fhir.read.references import patient_of
from adapter.mapping.extract import read_observation

HEART_RATE = {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}
KARNOFSKY = {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]}


def _line(resource: object) -> bytes:
    return orjson.dumps(resource)


def _observation(code: object, subject: str = "Patient/p1") -> dict[str, object]:
    return {"resourceType": "Observation", "id": "o", "status": "final",
            "subject": {"reference": subject}, "code": code, "valueInteger": 80}  # fmt: skip


def test_the_head_names_the_patient_as_the_resource_does():
    assert head_of(_line({"resourceType": "Patient", "id": "p1"})) == Head(True, "p1")
    assert head_of(_line(_observation(KARNOFSKY))) == Head(True, "p1")
    absolute = _observation(KARNOFSKY, "https://ehr.example.org/fhir/Patient/p2/_history/3")
    assert head_of(_line(absolute)) == Head(True, "p2")
    assert head_of(_line({"id": "x", "subject": {"reference": "Patient/p1"}})) == Head(False, "p1")
    assert head_of(_line({"resourceType": "Observation", "subject": "Patient/p1"})) == Head(
        True, None
    )


def test_a_line_the_head_cannot_read_is_left_to_the_full_parser():
    for line in (
        b"{not json",
        b"[1, 2]",
        b'"text"',
        b"null",
        b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}",
    ):
        assert head_of(line) is None


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
_REFERENCE = st.sampled_from(
    [
        "Patient/p1",
        "Patient/",
        "urn:uuid:1",
        "Group/g",
        "https://x.org/fhir/Patient/p9",
        "",
        "a/b/c",
    ]
)
_RESOURCE = st.fixed_dictionaries(
    {},
    optional={
        "resourceType": st.sampled_from(["Patient", "Observation", "Condition"]) | _JSON,
        "id": st.sampled_from(["p1", ""]) | _JSON,
        "subject": st.fixed_dictionaries({"reference": _REFERENCE}) | _JSON,
        "extra": _JSON,
    },
)


@settings(max_examples=300, deadline=None)
@given(_RESOURCE)
def test_the_head_and_the_whole_resource_always_agree_on_the_patient(resource):
    line = json.dumps(resource).encode()
    head = head_of(line)
    whole = orjson.loads(line)
    assert head is not None
    assert head.patient == patient_of(whole)
    assert head.resource == isinstance(whole.get("resourceType"), str)


def test_only_observations_nothing_reads_are_screened_out():
    assert unread_observation(_line(_observation(HEART_RATE)), read_observation) == Head(True, "p1")
    assert unread_observation(_line(_observation(KARNOFSKY)), read_observation) is None
    assert unread_observation(_line(_observation({"text": "no code"})), read_observation) is None
    condition = {"resourceType": "Condition", "code": HEART_RATE}
    assert unread_observation(_line(condition), read_observation) is None
    not_utf8 = _line(_observation(HEART_RATE))[:-1] + b',"note":"\xff"}'
    assert unread_observation(not_utf8, read_observation) is None


def test_a_broken_line_nothing_would_read_is_still_reported(tmp_path, capsys):
    patient = _line({"resourceType": "Patient", "id": "p1"})
    broken = _line(_observation(HEART_RATE))[:-1] + b',"note":"\xff"}'
    path = tmp_path / "in.ndjson"
    path.write_bytes(patient + b"\n" + broken + b"\n")
    assert cli.main(["score", str(path), "--now", "2025-01-01T00:00:00Z"]) == 0
    outcome = json.loads(capsys.readouterr().out)["entry"][-1]["resource"]
    assert any("NDJSON line 2 is not JSON" in i["diagnostics"] for i in outcome["issue"])
