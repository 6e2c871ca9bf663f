"""A resource malformed in any way is an invalid resource: reported, ignored, the rest scored.

Contract §8: wrong JSON types, numbers that are not finite or out of range, nesting deeper than
the limit. Each case below broke a whole run (a 500 in the service, a traceback on the command
line) before it was an issue of its own.
"""

from __future__ import annotations

import copy
import math

import pytest

from adapter.errors import ConfigurationError
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.parse import parse_resource
from adapter.fhir.read.records import ObservationRecord
from adapter.fhir.read.shape import InputLimits, limits_from, malformed
from adapter.pipeline import patient_records
from tests.support.records import default_patient, measurement

KPS = measurement("kps-bad", "89243-0", 80)


def _with(resource: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(resource)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


BROKEN = {
    "coding is a number": _with(KPS, ("code", "coding"), 5),
    "resourceType is an object": _with(KPS, ("resourceType",), {"x": 1}),
    "KPS is NaN": _with(KPS, ("valueInteger",), math.nan),
    "KPS is infinite": _with(KPS, ("valueInteger",), math.inf),
    "a quantity of 1e400": {**_with(KPS, ("valueQuantity",), {"value": math.inf})},
    # A bound's comparator that is no string: neither a value nor a bound can be told.
    "a comparator that is an object": _with(
        KPS, ("valueQuantity",), {"value": 80, "comparator": {"x": 1}}
    ),
    "an integer beyond 64 bits": _with(KPS, ("valueInteger",), 10**30),
    "valueInteger is a string": _with(KPS, ("valueInteger",), "80"),
    "effectiveDateTime is a number": _with(KPS, ("effectiveDateTime",), 5),
    "subject is a string": _with(KPS, ("subject",), "Patient/p"),
    "reference is a list": _with(KPS, ("subject", "reference"), ["Patient/p"]),
    "a coding is a string": _with(KPS, ("code", "coding"), ["89243-0"]),
    "system is a number": _with(KPS, ("code", "coding", 0, "system"), 5),
    "status is an object": _with(KPS, ("status",), {"code": "final"}),
    "bodySite is a number": _with(KPS, ("bodySite",), 5),
    "extension is an object": _with(KPS, ("extension",), {"url": "x"}),
    "a day-first date": _with(KPS, ("effectiveDateTime",), "31/12/2024"),
    "not a date at all": _with(KPS, ("effectiveDateTime",), "not-a-date"),
    "the 30th of February": _with(KPS, ("effectiveDateTime",), "2099-02-30T00:00:00Z"),
    "a month 13": _with(KPS, ("issued",), "2024-13-01T00:00:00Z"),
    "a period start not on the calendar": {
        **{k: v for k, v in KPS.items() if k != "effectiveDateTime"},
        "effectivePeriod": {"start": "2024-02-31"},
    },
}

TIME_IS_NOT_FHIR = {
    "effectiveDateTime": _with(KPS, ("effectiveDateTime",), "31/12/2024"),
    "onsetDateTime": {"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/p"},
                      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "94225005"}]},
                      "onsetDateTime": "not-a-date"},
}  # fmt: skip


@pytest.mark.parametrize(("element", "resource"), TIME_IS_NOT_FHIR.items(), ids=TIME_IS_NOT_FHIR)
def test_a_time_that_is_not_a_fhir_date_time_is_named_not_read_as_no_time(element, resource):
    """Contract §2: an invalid resource is reported and ignored. Read as "no recorded time" it was
    scored with a wrong description, and a date after the computation time escaped its rule."""
    parsed = parse_resource(resource, None, {})
    assert isinstance(parsed, Issue)
    assert element in parsed.diagnostics and "not a FHIR dateTime" in parsed.diagnostics


@pytest.mark.parametrize("text", ["2024", "2024-12", "2024-12-30", "2024-12-30T10:00:00+01:00",
                                  "2024-12-30T10:00:00.123Z", "2024-12-30T10:00:00"])  # fmt: skip
def test_a_fhir_date_time_is_read(text):
    """Every R4 precision is read; a time with no zone is read as UTC (README, "Input")."""
    parsed = parse_resource(_with(KPS, ("effectiveDateTime",), text), None, {})
    assert isinstance(parsed, ObservationRecord)
    assert parsed.time is not None and parsed.time.text == text


@pytest.mark.parametrize("resource", BROKEN.values(), ids=BROKEN.keys())
def test_a_malformed_resource_is_one_issue_not_an_exception(resource):
    parsed = parse_resource(resource, None, {})
    assert isinstance(parsed, Issue)
    assert parsed.severity == "error"
    assert "ignored" in parsed.diagnostics


@pytest.mark.parametrize("resource", BROKEN.values(), ids=BROKEN.keys())
def test_the_rest_of_the_patient_is_still_scored(resource):
    data = patient_records([*default_patient(drop=("kps",)), resource], "p")
    assert data is not None
    assert len(data.conditions) == 2  # the primary and the metastasis: still read
    assert not any(o.ref.reference == "Observation/kps-bad" for o in data.observations)


def test_the_issue_names_the_element_and_the_reason():
    parsed = parse_resource(BROKEN["coding is a number"], None, {})
    assert isinstance(parsed, Issue)
    assert parsed.diagnostics == (
        "Observation/kps-bad is malformed (code.coding: not a list of JSON objects); ignored."
    )
    nan = parse_resource(BROKEN["KPS is NaN"], None, {})
    assert isinstance(nan, Issue)
    assert "valueInteger" in nan.diagnostics and "not finite" in nan.diagnostics


def test_a_well_formed_resource_is_read_as_before():
    assert isinstance(parse_resource(KPS, None, {}), ObservationRecord)
    # Elements repeated in one resource type and single in another are both well formed.
    single = _with(KPS, ("bodySite",), {"coding": [{"code": "T12"}]})
    assert isinstance(parse_resource(single, None, {}), ObservationRecord)
    assert isinstance(parse_resource(_with(KPS, ("valueInteger",), 2**62), None, {}), object)


def test_nesting_deeper_than_the_limit_is_malformed():
    deep: dict = {"url": "x"}
    for _ in range(70):
        deep = {"url": "x", "extension": [deep]}
    resource = {**KPS, "extension": [deep]}
    assert malformed(resource, InputLimits(max_depth=64)) is not None
    assert "nested deeper than 64" in (malformed(resource, InputLimits(max_depth=64)) or "")
    assert malformed(resource, InputLimits(max_depth=200)) is None
    assert isinstance(parse_resource(resource, None, {}), Issue)  # default limit: 64


def test_the_limits_are_settings_with_bounds():
    assert limits_from({}) == InputLimits()
    assert limits_from({"SPINEMETS_MAX_JSON_DEPTH": "20"}).max_depth == 20
    assert limits_from({"SPINEMETS_MAX_LINE_BYTES": "4096"}).max_line_bytes == 4096
    for name, value in (
        ("SPINEMETS_MAX_JSON_DEPTH", "deep"),
        ("SPINEMETS_MAX_JSON_DEPTH", "2"),
        ("SPINEMETS_MAX_LINE_BYTES", "-1"),
    ):
        with pytest.raises(ConfigurationError, match=name):
            limits_from({name: value})


@pytest.mark.parametrize(
    "site",
    [
        {"coding": 5},
        {"coding": "T8", "text": "T8"},
        {"coding": {"code": "T8"}, "text": "T8"},
        [{"coding": 5}, {"text": "T8"}],
    ],
)
def test_an_order_site_with_coding_of_the_wrong_type_is_read_without_its_codes(site):
    """Draft orders come straight from the EHR's request, without the shape check: a bodySite
    whose coding is not a list has no codes, and its words are kept as an ordered site."""
    from adapter.fhir.read.orders import read_orders
    from tests.support.records import draft_orders, order

    draft = order("vp", "22510")
    draft["bodySite"] = site
    [record] = read_orders(draft_orders(draft))
    assert record.body_sites == ()
    assert record.uncoded_sites == (("T8",) if "T8" in str(site) else ())


def test_a_time_of_day_with_no_zone_is_read_as_utc_and_named():
    """FHIR R4: with hours and minutes "a time zone SHALL be populated". Vendor data often has
    none: the time is read as UTC, and a warning names the resource (the hours may be local)."""
    zoneless = _with(KPS, ("effectiveDateTime",), "2024-05-30T10:00:00")
    data = patient_records([*default_patient(drop=("kps",)), zoneless], "p")
    assert data is not None
    kps = next(o for o in data.observations if o.ref.reference == "Observation/kps-bad")
    assert kps.time is not None and kps.time.instant.isoformat() == "2024-05-30T10:00:00+00:00"
    warned = [i for i in data.issues if i.resource == "Observation/kps-bad"]
    assert [i.severity for i in warned] == ["warning"]
    assert "no time zone" in warned[0].diagnostics and "UTC" in warned[0].diagnostics
    zoned = _with(KPS, ("effectiveDateTime",), "2024-05-30T10:00:00+02:00")
    data = patient_records([*default_patient(drop=("kps",)), zoned], "p")
    assert data is not None and not data.issues


def test_an_order_of_the_record_whose_do_not_perform_is_no_boolean_is_an_issue():
    """doNotPerform "true" (a string) may forbid the procedure: the record's order is named as
    malformed and ignored, never checked as an order to do it (contract §2)."""
    from adapter.fhir.read.orders import OrderRecord
    from tests.support.records import order

    vp = {**order("vp", "22510", "T12"), "doNotPerform": "true"}
    parsed = parse_resource(vp, None, {})
    assert parsed == Issue(
        "error",
        "structure",
        "ServiceRequest/vp is malformed (doNotPerform: not true or false); ignored.",
        "ServiceRequest/vp",
        "doNotPerform",
    )
    assert isinstance(parse_resource({**vp, "doNotPerform": True}, None, {}), OrderRecord)
    assert parse_resource({**vp, "status": "completed"}, None, {}) is None  # not an order to check
