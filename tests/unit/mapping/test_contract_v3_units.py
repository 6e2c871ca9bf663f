"""Contract v3 §2 "encodings hospitals send": platelets, INR and serum albumin in the UCUM units
labs use, converted by the table in mappings/ (ConceptMap-ucum-lab-unit-conversion.json); a unit
that does not convert is an invalid resource, and the procedure check names it."""

from __future__ import annotations

import pytest

from adapter.fhir.read.orders import read_orders
from adapter.fhir.read.timing import parse_time
from adapter.mapping.extract import extract_patient
from adapter.mapping.rules import Rules
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.procedure.check import check_order
from adapter.procedure.orders import procedure_orders
from tests.support.records import NOW, P, default_patient, draft_orders, measurement, order

TERM = default_terminology()
MAY_30 = "2024-05-30T09:00:00Z"


def extract(resources):
    data = patient_records(resources, P)
    assert data is not None
    return extract_patient(data, TERM, now=parse_time(NOW))


def errors(a):
    return {i.resource: i.diagnostics for i in a.issues if i.severity == "error"}


def bleeding(resources, code="22511"):
    data = patient_records(resources, P)
    assert data is not None
    result = score_patient(data, TERM, now=parse_time(NOW))
    (found,) = procedure_orders(
        read_orders(draft_orders(order("o", code, "T12"))), None, "order-sign", TERM
    )
    checked = check_order(found, result, Rules())
    return next(c for c in checked.levels[0].criteria if c.number == 7)


# Hand-computed: a count per microlitre is 10^6 per litre, so 150000/uL = 150 × 10⁹/L.
@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(200, "10*9/L", 200.0), (200, "10*3/uL", 200.0), (200, "10*3/mm3", 200.0),
     (150000, "/uL", 150.0), (45000, "/mm3", 45.0), (200, "10*6/mL", 200.0), (180, "/nL", 180.0),
     (0.2, "10*12/L", 200.0), (120000000000, "/L", 120.0)],
)  # fmt: skip
def test_platelets_in_any_count_per_volume_are_read_in_10e9_per_litre(value, unit, expected):
    a = extract(
        default_patient(drop=("platelets",), extra=(measurement("plt", "777-3", value, unit),))
    )
    assert a.safety.platelets is not None
    assert a.safety.platelets.values == frozenset({expected})
    assert "Observation/plt" not in errors(a)


@pytest.mark.parametrize(("unit", "valid"), [(None, True), ("{INR}", True), ("{ratio}", True),
                                             ("1", True), ("s", False), ("%", False)])  # fmt: skip
def test_inr_is_unitless_or_annotated(unit, valid):
    inr = measurement("inr2", "6301-6", 1.3, unit)
    a = extract(default_patient(drop=("inr",), extra=(inr,)))
    assert (a.safety.inr is not None and a.safety.inr.values == frozenset({1.3})) is valid
    assert ("Observation/inr2" in errors(a)) is not valid


# Hand-computed: 1 dL = 0.1 L, so 3.4 g/dL = 34 g/L (exact decimal arithmetic, not 33.99…).
@pytest.mark.parametrize(
    ("loinc", "value", "unit", "expected"),
    [("1751-7", 3.4, "g/dL", 34.0), ("61151-7", 41, "g/L", 41.0), ("61152-5", 3.5, "g/dL", 35.0)],
)  # fmt: skip
def test_serum_albumin_is_read_in_grams_per_litre(loinc, value, unit, expected):
    a = extract(default_patient(extra=(measurement("alb", loinc, value, unit),)))
    assert a.albumin is not None
    assert a.albumin.values == frozenset({expected})
    method = {"61151-7": " (bromocresol green)", "61152-5": " (bromocresol purple)"}.get(loinc, "")
    assert a.albumin.evidence[0].summary == f"albumin{method}: {expected:g} g/L"


@pytest.mark.parametrize(("value", "unit"), [(520, "umol/L"), (3500, "mg/dL"), (35, "mg/mL")])
def test_albumin_in_a_unit_that_does_not_convert_is_invalid(value, unit):
    # scores-more.md: albumin in g/dL or g/L only; any other unit is invalid.
    a = extract(default_patient(extra=(measurement("alb", "1751-7", value, unit),)))
    assert a.albumin is None
    assert "does not convert to g/L" in errors(a)["Observation/alb"]


def test_the_latest_albumin_wins_and_none_recorded_is_none():
    older = measurement("alb1", "1751-7", 30, "g/L", when="2024-05-20T09:00:00Z")
    newer = measurement("alb2", "1751-7", 3.9, "g/dL", when=MAY_30)
    assert extract(default_patient(extra=(older, newer))).albumin.values == frozenset({39.0})
    assert extract(default_patient()).albumin is None


def test_platelets_in_a_unit_that_does_not_convert_are_invalid_and_named_by_the_check():
    bad = measurement("plt", "777-3", 200, "g", when=MAY_30)
    resources = default_patient(drop=("platelets",), extra=(bad,))
    a = extract(resources)
    assert a.safety.platelets is None
    assert errors(a)["Observation/plt"] == (
        "Observation/plt: platelets in unit 'g', which does not convert to 10*9/L; resource ignored."
    )
    criterion = bleeding(resources)
    assert criterion.status == "unknown"
    assert "platelets 30 May 2024: unit 'g' not understood" in criterion.basis
    assert "no platelets recorded" not in criterion.basis


def test_an_unreadable_count_later_than_a_good_one_makes_that_part_unknown():
    bad = measurement("plt-bad", "777-3", 200, "g", when=MAY_30)
    good = measurement("platelets", "777-3", 200, "10*9/L", when="2024-05-25T09:00:00Z")
    criterion = bleeding(default_patient(drop=("platelets",), extra=(good, bad)))
    assert criterion.status == "unknown"
    assert "platelets 30 May 2024: unit 'g' not understood" in criterion.basis


def test_an_unreadable_count_older_than_a_good_one_is_reported_but_the_good_one_counts():
    bad = measurement("plt-bad", "777-3", 200, "g", when="2024-05-20T09:00:00Z")
    resources = default_patient(extra=(bad,))
    assert "Observation/plt-bad" in errors(extract(resources))
    criterion = bleeding(resources)
    assert criterion.status == "met"
    assert "not understood" not in criterion.basis


def test_platelets_of_150000_per_microlitre_meet_the_fixation_threshold():
    # 150000/uL = 150 × 10⁹/L ≥ 100 (fixation) and ≥ 50 (vertebroplasty).
    resources = default_patient(
        drop=("platelets",), extra=(measurement("plt", "777-3", 150000, "/uL"),)
    )
    assert bleeding(resources, code="22842").status == "met"
    low = default_patient(drop=("platelets",), extra=(measurement("plt", "777-3", 80000, "/uL"),))
    assert bleeding(low, code="22842").status == "unmet"  # 80 × 10⁹/L < 100
    assert bleeding(low, code="22511").status == "met"  # ≥ 50 for vertebroplasty


def test_the_conversion_table_is_data():
    assert str(TERM.factor("http://unitsofmeasure.org", "/uL", "http://unitsofmeasure.org",
                           "10*9/L")) == "0.001"  # fmt: skip
    assert (
        TERM.factor("http://unitsofmeasure.org", "g", "http://unitsofmeasure.org", "10*9/L") is None
    )


def test_an_inr_in_seconds_is_named_by_the_check_and_unknown():
    bad = measurement("inr-s", "6301-6", 12.5, "s", when=MAY_30)
    criterion = bleeding(default_patient(drop=("inr",), extra=(bad,)))
    assert criterion.status == "unknown"
    assert "INR 30 May 2024: unit 's' not understood" in criterion.basis
    assert "no INR recorded" not in criterion.basis


def test_a_platelet_count_without_a_unit_is_not_guessed():
    bare = measurement("plt", "777-3", 200.5, None, when=MAY_30)  # a number with no unit
    resources = default_patient(drop=("platelets",), extra=(bare,))
    assert extract(resources).safety.platelets is None
    assert "platelets 30 May 2024: no unit" in bleeding(resources).basis
