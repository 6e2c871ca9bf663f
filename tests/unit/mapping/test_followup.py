"""FHIR records → the outcome record of contract §6, one rule at a time."""

from __future__ import annotations

from typing import Any

import pytest

from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.extract import read_observation
from adapter.mapping.followup import extract_follow_up
from adapter.mapping.terminology import default_terminology

P = "p1"
CPT = "http://www.ama-assn.org/go/cpt"
LOINC = "http://loinc.org"
FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
VERTEBRA = "http://spinemets.org/fhir/CodeSystem/vertebra"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
START = "2024-05-22T08:00:00+00:00"
NOW = parse_time("2026-01-01T00:00:00Z")


def level(code: str) -> dict:
    return {"coding": [{"system": VERTEBRA, "code": code}]}


def procedure(pid: str, code: str, *, when: str = START, status: str = "completed",
              levels=(), reasons=(), period: bool = False) -> dict:  # fmt: skip
    res: dict[str, Any] = {
        "resourceType": "Procedure", "id": pid, "status": status, "subject": {"reference": f"Patient/{P}"},
        "code": {"coding": [{"system": CPT, "code": code}]}, "bodySite": [level(lv) for lv in levels],
        "reasonReference": [{"reference": f"Condition/{r}"} for r in reasons],
    }  # fmt: skip
    if period:
        res["performedPeriod"] = {"start": when}
    elif when:
        res["performedDateTime"] = when
    return res


def obs(oid: str, system: str, code: str, when: str | None, **value) -> dict:
    res = {"resourceType": "Observation", "id": oid, "status": value.pop("status", "final"),
           "subject": {"reference": f"Patient/{P}"}, "code": {"coding": [{"system": system, "code": code}]}, **value}  # fmt: skip
    if when:
        res["effectiveDateTime"] = when
    return res


def pain(oid, when, value, code="72514-3", unit=None):
    if unit is None and isinstance(value, int):
        return obs(oid, LOINC, code, when, valueInteger=value)
    quantity = {"value": value} | ({"unit": unit, "code": unit} if unit else {})
    return obs(oid, LOINC, code, when, valueQuantity=quantity)


def cement(oid, ml, *, link="partOf", target="pvp", unit="mL", **kw):
    return obs(oid, FINDING, "pmma-volume", START, valueQuantity={"value": ml, "code": unit},
               **{link: [{"reference": f"Procedure/{target}"}]}, **kw)  # fmt: skip


def condition(cid, code, when, system=ICD, levels=(), verification="confirmed"):
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{P}"},
            "verificationStatus": {"coding": [{"code": verification}]},
            "code": {"coding": [{"system": system, "code": code}]}, "onsetDateTime": when,
            "bodySite": [level(lv) for lv in levels]}  # fmt: skip


PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": P,
    "gender": "female",
    "birthDate": "1960-05-23",
}


def follow(*resources, now=NOW, sites=("lung",)):
    loose: list = []
    (data,) = patients_from_resources([PATIENT, *resources], loose, read_observation)
    return extract_follow_up(data, default_terminology(), now=now, primary_sites=sites)


def test_no_index_procedure_no_outcome():
    assert follow().outcome is None
    not_done = procedure("x", "22510", status="in-progress", levels=["T12"])
    other = procedure("y", "22841", levels=["T12"])  # wiring is not screw fixation
    undated = procedure("z", "22510", when="", levels=["T12"])
    later = procedure("w", "22510", when="2026-02-01T00:00:00Z", levels=["T12"])
    assert follow(not_done, other, undated, later).outcome is None


def test_the_first_day_is_the_index_event():
    got = follow(
        procedure("pvp", "22510", levels=["T12", "L2"]),
        procedure("ppsf", "22842", when="2024-05-22T09:10:00+00:00", levels=["T11", "T12", "L1"], period=True),
        procedure("again", "22511", when="2024-07-01T08:00:00+00:00", levels=["L4"]),
    ).outcome  # fmt: skip
    assert got is not None and got.procedures == ("Procedure/ppsf", "Procedure/pvp")
    assert got.treated_levels == ("T12", "L2") and str(got.index_day) == "2024-05-22"
    assert got.index_start == parse_time(START).instant
    assert got.sex == "female" and got.age_years == 63 and got.primary_sites == ("lung",)


def test_fixation_only_treats_its_reasons_else_ordered_levels_with_a_lesion():
    mets = [condition("m1", "C79.51", "2024-05-01", levels=["T12"]),
            condition("m2", "C79.51", "2024-05-01", levels=["L2"])]  # fmt: skip
    by_reason = follow(*mets, procedure("f", "22842", levels=["T11", "T12", "L1"], reasons=["m2"]))
    assert by_reason.outcome.treated_levels == ("L2",)
    by_site = follow(*mets, procedure("f", "22842", levels=["T11", "T12", "L1"]))
    assert by_site.outcome.treated_levels == ("T12",)
    assert not [i for i in by_site.issues if "treated level" in i.diagnostics]


def _unrecorded(got) -> list[str]:
    return [i.diagnostics for i in got.issues if "treated level not recorded" in i.diagnostics]


def test_a_fixation_with_no_treated_level_says_so_and_never_invents_one():
    """Screws at T11–L1 with the lesion recorded without a level: those are the instrumented
    levels (§5), not treated ones (§6). The treated level is not recorded: the procedure's own
    levels are named as such, not counted, and an issue asks to record the treated level."""
    met = condition("m1", "C79.51", "2024-05-01")  # a metastasis without a level
    screws = procedure("f", "22842", levels=["T11", "T12", "L1"])
    got = follow(met, screws)
    assert got.outcome.treated_levels == ()
    assert got.outcome.procedure_levels == ("T11", "T12", "L1")
    (said,) = _unrecorded(got)
    assert said.startswith("Procedure/f: treated level not recorded") and "T11, T12, L1" in said
    assert "Condition.bodySite" in said and "reasonReference" in said
    # the fixation's reason is that lesion, which has no level: still not recorded
    by_reason = follow(met, procedure("f", "22842", levels=["T11", "T12", "L1"], reasons=["m1"]))
    assert by_reason.outcome.treated_levels == ()
    assert by_reason.outcome.procedure_levels == ("T11", "T12", "L1")
    assert len(_unrecorded(by_reason)) == 1
    # a lesion recorded at another level does not make the screws' levels treated
    elsewhere = follow(condition("m2", "C79.51", "2024-05-01", levels=["L4"]), screws)
    assert elsewhere.outcome.treated_levels == () and len(_unrecorded(elsewhere)) == 1


def test_a_procedure_with_no_level_names_none():
    for proc in (procedure("f", "22842"), procedure("pvp", "22510")):
        got = follow(condition("m1", "C79.51", "2024-05-01", levels=["T12"]), proc)
        assert got.outcome.treated_levels == () and got.outcome.procedure_levels == ()
        (said,) = _unrecorded(got)
        assert "names no level" in said and "bodySite" in said


def test_cement_is_summed_over_the_event_and_checked():
    got = follow(
        procedure("pvp", "22510", levels=["T12", "L2"]),
        cement("c1", 1.5), cement("c2", 2.0, link="focus"),
        cement("c3", 9.0, target="elsewhere"), cement("c4", 2, unit="g"), cement("c5", -1),
        cement("c6", 4.0, status="preliminary"),
    )  # fmt: skip
    assert got.outcome.cement_ml == 3.5
    text = " ".join(i.diagnostics for i in got.issues)
    assert "c3: cement volume not linked" in text and text.count("quantity ≥ 0 in mL") == 2
    assert follow(procedure("pvp", "22510", levels=["T12"])).outcome.cement_ml is None


@pytest.mark.parametrize(
    ("observation", "value"),
    [
        (pain("a", "2024-05-20T09:00:00Z", 7), 7),
        (pain("a", "2024-05-20T09:00:00Z", 7.0, unit="{score}"), 7),
        (pain("a", "2024-05-20T09:00:00Z", 65, code="38214-3", unit="mm"), 6.5),
        (pain("a", "2024-05-20T09:00:00Z", 65, code="38214-3"), 6.5),
        (pain("a", "2024-05-20T09:00:00Z", 6.5, code="38214-3", unit="cm"), 6.5),
        (pain("a", "2024-05-20T09:00:00Z", 4, code="38208-5"), 4),
        (obs("a", LOINC, "96761-2", "2024-05-20T09:00:00Z", valueInteger=45), 45),
    ],
)
def test_pain_and_barthel_encodings(observation, value):
    got = follow(procedure("pvp", "22510", levels=["T12"]), observation).outcome
    measure = "barthel" if observation["code"]["coding"][0]["code"] == "96761-2" else "pain"
    assert got.trajectory(measure).value("baseline") == value


@pytest.mark.parametrize(
    ("observation", "said"),
    [
        (pain("a", "2024-05-20T09:00:00Z", 11), "outside its scale"),
        (pain("a", "2024-05-20T09:00:00Z", 5, unit="mg"), "0–10 pain score in 'mg'"),
        (
            pain("a", "2024-05-20T09:00:00Z", 5, code="38214-3", unit="in"),
            "visual analogue scale in 'in'",
        ),
        (pain("a", "2024-05-20T09:00:00Z", 120, code="38214-3", unit="mm"), "outside its scale"),
        (obs("a", LOINC, "72514-3", "2024-05-20T09:00:00Z"), "no numeric value"),
        (obs("a", LOINC, "96761-2", "2024-05-20T09:00:00Z"), "no numeric value"),
        (obs("a", LOINC, "96761-2", "2024-05-20T09:00:00Z", valueInteger=105), "is not 0–100"),
        # Ten items scored in steps of 5 (scores.md): 47 is no total; 17 looks like the 0–20
        # version's, sent under the same code.
        (
            obs("a", LOINC, "96761-2", "2024-05-20T09:00:00Z", valueInteger=47),
            "not a multiple of 5",
        ),
        (obs("a", LOINC, "96761-2", "2024-05-20T09:00:00Z", valueInteger=17), "0–20"),
        (
            obs(
                "a",
                LOINC,
                "96761-2",
                "2024-05-20T09:00:00Z",
                valueQuantity={"value": 5, "code": "kg"},
            ),
            "Barthel Index in 'kg'",
        ),
        (pain("a", None, 5), "without an effective time"),
        (pain("a", "2026-02-01T00:00:00Z", 5), "after the computation time"),
    ],
)
def test_invalid_measurements_are_reported_and_not_used(observation, said):
    got = follow(procedure("pvp", "22510", levels=["T12"]), observation)
    assert not any(t.value("baseline") for t in (got.outcome.pain, got.outcome.barthel))
    assert said in " ".join(i.diagnostics for i in got.issues)


def test_preliminary_measurements_are_left_out_and_said():
    """Not used (contract §2), never silently: the outcome said "pain not recorded"."""
    got = follow(
        procedure("pvp", "22510", levels=["T12"]),
        pain("a", "2024-05-20T09:00:00Z", 5) | {"status": "preliminary"},
    )
    assert got.outcome.pain.value("baseline") is None
    assert [i.diagnostics for i in got.issues] == [
        "Observation/a: a pain score in a preliminary report is not used — confirm it (final)"
    ]
    assert got.outcome.unread == ("pain",)


def test_conflicting_equal_candidates_are_reported():
    got = follow(procedure("pvp", "22510", levels=["T12"]),
                 pain("a", "2024-05-29T10:00:00Z", 3), pain("b", "2024-05-29T10:00:00Z", 5))  # fmt: skip
    assert got.outcome.pain.value("7d") is None
    assert any("pain at 7d: equal candidates disagree" in i.diagnostics for i in got.issues)


def test_death_and_last_follow_up():
    enc = {"resourceType": "Encounter", "id": "e1", "status": "finished", "subject": {"reference": f"Patient/{P}"},
           "period": {"start": "2025-01-10T09:00:00Z", "end": "2025-01-10T10:00:00Z"}}  # fmt: skip
    enc2 = enc | {"id": "e2", "period": {"start": "2025-03-01T09:00:00Z"}}
    late = enc | {"id": "e3", "period": {"end": "2026-06-01T00:00:00Z"}}
    alive = follow(procedure("pvp", "22510", levels=["T12"]), enc, enc2, late).outcome
    assert (
        not alive.died
        and alive.last_follow_up.instant == parse_time("2025-03-01T09:00:00Z").instant
    )
    PATIENT["deceasedDateTime"] = "2025-02-20"
    try:
        dead = follow(procedure("pvp", "22510", levels=["T12"]), enc).outcome
        assert dead.died and dead.death.instant == parse_time("2025-02-20").instant
        not_yet = follow(
            procedure("pvp", "22510", levels=["T12"]), now=parse_time("2025-01-01T00:00:00Z")
        )
        assert not not_yet.outcome.died
        assert "after the computation time" in not_yet.issues[0].diagnostics
        PATIENT.pop("deceasedDateTime")
        PATIENT["deceasedBoolean"] = True
        unknown = follow(procedure("pvp", "22510", levels=["T12"])).outcome
        assert unknown.died and unknown.death is None and unknown.survival is None
    finally:
        PATIENT.pop("deceasedDateTime", None)
        PATIENT.pop("deceasedBoolean", None)


def test_complications_after_the_start_of_the_index_procedure():
    adverse = {"resourceType": "AdverseEvent", "id": "ae", "actuality": "actual", "subject": {"reference": f"Patient/{P}"},
               "event": {"coding": [{"system": FINDING, "code": "cement-leakage"}]}, "date": "2024-05-22T10:00:00Z"}  # fmt: skip
    got = follow(
        procedure("pvp", "22510", levels=["T12"]),
        condition("ssi", "T81.41XA", "2024-06-05"),
        condition("old", "T81.41XA", "2024-01-05"),
        condition("refuted", "T84.226A", "2024-06-05", verification="refuted"),
        condition("screws", "T84.226A", "2024-09-01"),
        adverse, adverse | {"id": "ae2", "actuality": "potential"},
    ).outcome  # fmt: skip
    kinds = sorted((c.kind, c.source) for c in got.complications)
    assert kinds == [("cement-leakage", "AdverseEvent/ae"), ("screw-loosening", "Condition/screws"),
                     ("surgical-site-infection", "Condition/ssi")]  # fmt: skip


def _leak(cid, when):
    return condition(cid, "cement-leakage", when, system=FINDING)


def test_a_date_only_complication_on_the_index_day_counts():
    # Contract §6: "after the index date". A date-only record on the index day (the procedure
    # at 08:00) is after it; a timed one before the procedure's start that day is not.
    adverse = {"resourceType": "AdverseEvent", "id": "ae", "actuality": "actual", "subject": {"reference": f"Patient/{P}"},
               "event": {"coding": [{"system": FINDING, "code": "cement-leakage"}]}, "date": "2024-05-22"}  # fmt: skip
    got = follow(
        procedure("pvp", "22510", levels=["T12"]),
        _leak("same-day", "2024-05-22"),
        _leak("before-start", "2024-05-22T07:00:00Z"),
        _leak("day-before", "2024-05-21"),
        adverse,
    ).outcome  # fmt: skip
    assert got is not None
    assert sorted(c.source for c in got.complications) == ["AdverseEvent/ae", "Condition/same-day"]


def test_a_timed_complication_on_the_day_of_a_date_only_index_procedure_counts():
    # No start time to compare with: the day is what is known, and it is the index day.
    got = follow(
        procedure("pvp", "22510", when="2024-05-22", levels=["T12"]),
        _leak("early", "2024-05-22T01:00:00+02:00"),  # 21 May 23:00 UTC, 22 May where recorded
        _leak("day-before", "2024-05-21T23:00:00+02:00"),
    ).outcome  # fmt: skip
    assert got is not None
    assert [c.source for c in got.complications] == ["Condition/early"]


def test_the_cohort_counts_a_date_only_complication_on_the_index_day():
    from adapter.cohort.summary import cohort_summary

    got = follow(procedure("pvp", "22510", levels=["T12"]), _leak("leak", "2024-05-22")).outcome
    assert got is not None
    assert cohort_summary([got])["complications"] == {"cement-leakage": 1}


def test_without_a_patient_resource_sex_and_age_are_unknown():
    loose: list = []
    (data,) = patients_from_resources(
        [procedure("pvp", "22510", levels=["T12"])], loose, read_observation
    )
    got = extract_follow_up(data, default_terminology(), now=NOW, primary_sites=()).outcome
    assert got.sex is None and got.age_years is None and got.primary_sites == ()


def test_last_follow_up_takes_only_records_that_count():
    # Contract §2 "What counts", §6 "Last follow-up": an entered-in-error, refuted or cancelled
    # record is no contact with the patient.
    index = procedure("pvp", "22510", levels=["T12"])
    real = pain("real", "2024-08-10T10:00:00Z", 3)
    enc = {"resourceType": "Encounter", "id": "e", "subject": {"reference": f"Patient/{P}"},
           "period": {"start": "2024-09-25T10:00:00Z"}}  # fmt: skip
    removed = condition(
        "c9", "C79.51", "2024-09-20", levels=["L1"], verification="entered-in-error"
    )
    resolved = condition("c8", "C79.51", "2024-09-21", levels=["L2"]) | {
        "clinicalStatus": {"coding": [{"code": "resolved"}]}
    }
    not_counted = [
        pain("wrong", "2024-09-20T10:00:00Z", 3) | {"status": "entered-in-error"},
        procedure(
            "x", "22511", when="2024-09-20T10:00:00Z", status="entered-in-error", levels=["L1"]
        ),
        procedure("y", "22511", when="2024-09-20T10:00:00Z", status="not-done", levels=["L1"]),
        removed,
        condition("c7", "C79.51", "2024-09-20", levels=["L1"], verification="refuted"),
        resolved,
        enc | {"status": "cancelled"},
        enc | {"id": "e2", "status": "entered-in-error"},
    ]
    want = follow(index, real).outcome.follow_up_months
    assert want == pytest.approx((80 + 2 / 24) / 30.4375)  # 22 May 08:00 → 10 Aug 10:00
    for record in not_counted:
        got = follow(index, real, record).outcome
        assert got.follow_up_months == want, record["id"]
    counted = follow(index, real, enc | {"status": "finished"}).outcome
    assert counted.follow_up_months == pytest.approx((126 + 2 / 24) / 30.4375)


def _dead_on(when: str, *resources):
    PATIENT["deceasedDateTime"] = when
    try:
        return follow(procedure("pvp", "22510", levels=["T12"]), *resources)
    finally:
        PATIENT.pop("deceasedDateTime")


def test_times_are_measured_from_the_index_date():
    # Contract §6: follow-up and survival time are the end minus the index date (22 May 2024,
    # the procedure starting at 08:00); months are days / 30.4375.
    assert _dead_on("2024-08-12").outcome.survival == (82 / 30.4375, True)
    assert _dead_on("2024-05-22").outcome.survival == (0.0, True)  # the index day: never negative
    assert _dead_on("2024-05-22T07:00:00Z").outcome.survival == (0.0, True)
    enc = {"resourceType": "Encounter", "id": "e", "status": "finished",
           "subject": {"reference": f"Patient/{P}"}, "period": {"start": "2024-08-12"}}  # fmt: skip
    alive = follow(procedure("pvp", "22510", levels=["T12"]), enc).outcome
    assert alive.survival == (82 / 30.4375, False)
    # Both timed: the elapsed time from the procedure's start, as the seed's months are.
    timed = _dead_on("2024-08-12T14:00:00Z").outcome.survival
    assert timed == (pytest.approx((82 + 6 / 24) / 30.4375), True)


def test_a_death_before_the_index_date_is_an_error_and_left_out_of_survival():
    from adapter.cohort.summary import cohort_summary

    got = _dead_on("2024-05-01")
    outcome = got.outcome
    assert outcome.died and outcome.survival is None and outcome.follow_up_months is None
    (error,) = [i for i in got.issues if i.severity == "error"]
    assert f"Patient/{P}" in error.diagnostics and "before the index" in error.diagnostics
    summary = cohort_summary([outcome], [error.diagnostics])
    assert summary["deaths"] == 1
    assert summary["survival"]["patients"] == 0 and summary["survival"]["curve"] == []
    assert summary["follow_up_months"]["patients"] == 0
    assert not any("without a date" in i for i in summary["issues"])


def test_baseline_with_mixed_utc_offsets_is_before_the_start():
    # The procedure starts at 00:30 (UTC+01:00), 23:30 UTC the day before; a pain score written
    # in UTC at 23:45 comes 15 minutes after the start and is never the baseline.
    got = follow(
        procedure("pvp", "22510", when="2024-01-10T00:30:00+01:00", levels=["T12"]),
        pain("post", "2024-01-09T23:45:00Z", 2),
        pain("pre", "2024-01-09T20:00:00Z", 8),
    ).outcome
    assert got.pain.value("baseline") == 8
    assert got.pain.at("baseline").source == "Observation/pre"


def test_a_spinal_operation_long_before_the_first_metastasis_is_not_the_index_procedure():
    # A degenerative L4-L5 fusion in 2015 and a vertebroplasty for the T12 metastasis in 2024:
    # the series' index procedure is the one for the metastasis (survival, windows, scores).
    met = condition("m1", "C79.51", "2024-05-01", levels=["T12"])
    old = procedure("fusion", "22842", when="2015-03-10T08:00:00+00:00", levels=["L4", "L5"])
    got = follow(met, old, procedure("pvp", "22510", levels=["T12"]))
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/pvp",)
    assert str(got.outcome.index_day) == "2024-05-22" and got.outcome.treated_levels == ("T12",)
    (said,) = [i.diagnostics for i in got.issues if "Procedure/fusion" in i.diagnostics]
    assert "10 Mar 2015" in said and "1 May 2024" in said and "not taken as the index" in said
    # The same for an osteoporotic vertebroplasty at another level in 2019.
    osteoporotic = procedure("vp2019", "22510", when="2019-02-11T08:00:00+00:00", levels=["L1"])
    got = follow(met, osteoporotic, procedure("pvp", "22510", levels=["T12"]))
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/pvp",)
    assert [i for i in got.issues if "Procedure/vp2019" in i.diagnostics]


def test_a_procedure_shortly_before_the_metastasis_is_recorded_is_still_the_index():
    # The vertebroplasty's biopsy is what confirmed the metastasis, recorded three weeks later.
    met = condition("m1", "C79.51", "2024-06-12", levels=["T12"])
    got = follow(met, procedure("pvp", "22510", levels=["T12"]))
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/pvp",)
    assert not [i for i in got.issues if "not taken as the index" in i.diagnostics]


def test_with_no_dated_metastasis_the_first_procedure_is_the_index_and_the_choice_is_said():
    old = procedure("fusion", "22842", when="2015-03-10T08:00:00+00:00", levels=["L4", "L5"])
    got = follow(old, procedure("pvp", "22510", levels=["T12"]))
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/fusion",)
    (said,) = [i.diagnostics for i in got.issues if "No dated bone metastasis" in i.diagnostics]
    assert "Procedure/fusion" in said and "Procedure/pvp" in said


def test_an_unconfirmed_complication_is_named_as_such_and_not_counted_as_certain():
    # A cement embolism only suspected (the CT to rule it out ordered) is no complication that
    # happened (contract §2: an unconfirmed Condition may or may not be present).
    from adapter.cohort.summary import cohort_summary
    from adapter.cohort.text import cohort_text

    got = follow(
        procedure("pvp", "22510", levels=["T12"]),
        condition("pce", "pulmonary-cement-embolism", "2024-05-23", system=FINDING,
                  verification="differential"),
        condition("ssi", "T81.41XA", "2024-06-05", verification="provisional"),
        condition("leak", "cement-leakage", "2024-05-22", system=FINDING),
    ).outcome  # fmt: skip
    assert got is not None
    said = {c.kind: c.named for c in got.complications}
    assert said == {
        "pulmonary-cement-embolism": "pulmonary cement embolism (differential — confirm)",
        "surgical-site-infection": "surgical site infection (provisional — confirm)",
        "cement-leakage": "cement leakage",
    }
    summary = cohort_summary([got])
    assert summary["complications"] == {"cement-leakage": 1}
    assert summary["complications_unconfirmed"] == {
        "pulmonary-cement-embolism": 1, "surgical-site-infection": 1}  # fmt: skip
    assert (
        "Complications: cement-leakage 1; unconfirmed or undated: pulmonary-cement-embolism 1, "
        "surgical-site-infection 1" in cohort_text(summary)
    )


def test_a_measurement_on_the_procedure_day_with_no_time_is_named_not_dropped_silently():
    # The admission Barthel recorded as a date on the day of the procedure: before or after it
    # cannot be told (contract §6: not a baseline), and no window holds day 0 after it.
    got = follow(
        procedure("pvp", "22510", levels=["T12"]),
        obs("b0", LOINC, "96761-2", "2024-05-22", valueInteger=40),
    )
    assert got.outcome is not None and got.outcome.barthel.value("baseline") is None
    (said,) = [i.diagnostics for i in got.issues if "Observation/b0" in i.diagnostics]
    assert "the measurement has no time of day" in said and "not used" in said


@pytest.mark.parametrize(
    ("done", "measured", "lacking"),
    [
        ("2024-05-22", "2024-05-22T08:00:00Z", "the procedure has no time of day"),
        ("2024-05-22T10:00:00Z", "2024-05-22", "the measurement has no time of day"),
        ("2024-05-22", "2024-05-22", "neither has a time of day"),
    ],
)
def test_a_procedure_day_measurement_says_which_of_the_two_has_no_time_of_day(
    done, measured, lacking
):
    # A Barthel timed at 08:00 beside a procedure recorded as a date: it is the procedure whose
    # time is unknown, and the warning must not send the clinician to fix the measurement.
    got = follow(
        procedure("pvp", "22510", levels=["T12"], when=done),
        obs("b0", LOINC, "96761-2", measured, valueInteger=40),
    )
    (said,) = [i.diagnostics for i in got.issues if "Observation/b0" in i.diagnostics]
    assert lacking in said and "before or after the procedure cannot be told" in said
    assert ("with no time of day" in said) is False


def _recorded_only(cid, code, recorded, levels=(), status=None):
    res = condition(cid, code, None, levels=levels)
    res.pop("onsetDateTime", None)
    res["recordedDate"] = recorded
    if status:
        res["clinicalStatus"] = {"coding": [{"code": status}]}
    return res


def test_a_procedure_for_the_metastasis_is_the_index_however_late_the_metastasis_was_entered():
    # The vertebroplasty names the metastasis as its reason; the Condition was entered (its
    # recordedDate) 14 months later, with no onset: a recordedDate is when the diagnosis was
    # entered, not when the metastasis was known.
    met = _recorded_only("m1", "C79.51", "2024-03-15", levels=["T12"])
    pvp = procedure(
        "pvp", "22510", when="2023-01-10T08:00:00+00:00", levels=["T12"], reasons=["m1"]
    )
    got = follow(met, pvp)
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/pvp",)
    # Without the reason, a recordedDate alone dates nothing either.
    got = follow(met, procedure("pvp", "22510", when="2023-01-10T08:00:00+00:00", levels=["T12"]))
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/pvp",)


def test_a_metastasis_since_resolved_still_dates_the_first_one():
    # T12 metastasis 2022, treated by vertebroplasty, resolved; a new L2 metastasis fixed in
    # 2025: the series' index is the 2022 vertebroplasty.
    old = condition("m1", "C79.51", "2022-02-01", levels=["T12"])
    old["clinicalStatus"] = {"coding": [{"code": "resolved"}]}
    new = condition("m2", "C79.51", "2025-02-01", levels=["L2"])
    got = follow(
        old, new,
        procedure("pvp", "22510", when="2022-03-01T08:00:00+00:00", levels=["T12"]),
        procedure("fix", "22842", when="2025-02-10T08:00:00+00:00", levels=["L1", "L2", "L3"]),
    )  # fmt: skip
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/pvp",)


def test_a_measurement_after_the_computation_time_is_reported_once_by_its_name():
    """seed-01 at 1 Jun 2024: each later pain and Barthel value was warned about twice, once as
    "Observation (…)" and once as "Pain score (…)": noise, and twice the count."""
    import json
    from pathlib import Path

    from adapter.mapping.terminology import default_terminology
    from adapter.pipeline import patient_records, score_patient

    seed = Path(__file__).resolve().parents[3] / "fixtures" / "seed" / "seed-01.json"
    resources = [e["resource"] for e in json.loads(seed.read_text())["entry"]]
    data = patient_records(resources, "seed-01")
    assert data is not None
    result = score_patient(data, default_terminology(), now=parse_time("2024-06-01T00:00:00Z"))
    later = [i.diagnostics for i in result.issues if "seed-01-pain-3mo" in i.diagnostics]
    assert len(later) == 1 and later[0].startswith("Pain score ("), later


def test_a_death_dated_by_the_index_procedures_month_is_no_death_before_it():
    # "2024-05" may be any day of May: after the procedure of 22 May as likely as before it.
    # Never "died before the index procedure", never left out of the deaths' count silently:
    # a death at an unknown time after the index (counted, left out of the curve, named).
    got = _dead_on("2024-05")
    outcome = got.outcome
    assert not [i for i in got.issues if i.severity == "error"]
    assert outcome.died and outcome.survival is None
    (said,) = [i.diagnostics for i in got.issues if "May 2024" in i.diagnostics]
    assert "month only" in said and "left out of survival" in said
    for before in ("2024-04", "2023"):  # certainly before: still the data error
        assert [i for i in _dead_on(before).issues if i.severity == "error"]


def test_a_death_dated_by_its_year_alone_is_never_put_before_a_later_contact():
    # "2025" read as 1 Jan 2025 would put the death before the visit of 22 Apr 2025.
    visit = {"resourceType": "Encounter", "id": "e", "status": "finished",
             "subject": {"reference": f"Patient/{P}"}, "period": {"start": "2025-04-22"}}  # fmt: skip
    got = _dead_on("2025", visit)
    months, died = got.outcome.survival
    assert died and months >= 335 / 30.4375  # 22 May 2024 → 22 Apr 2025
    assert any("2025" in i.diagnostics and "year only" in i.diagnostics for i in got.issues)


@pytest.mark.parametrize(("when", "point"), [("2024-05", "baseline"), ("2024-06", "7d")])
def test_a_pain_score_dated_by_its_month_alone_is_at_no_time_point_and_named(when, point):
    # May 2024 holds days before and after the procedure of 22 May; June 2024 is days 10–39,
    # mostly outside the 7-day window (3–14): its time point cannot be told.
    got = follow(procedure("pvp", "22510", levels=["T12"]), pain("p-month", when, 8))
    assert got.outcome.pain.value(point) is None
    (said,) = [i.diagnostics for i in got.issues if "Observation/p-month" in i.diagnostics]
    assert "month only" in said and "not used" in said


def test_the_cohort_never_says_a_death_dated_by_its_month_has_no_date():
    from adapter.cohort.summary import cohort_summary

    got = _dead_on("2024-05")
    summary = cohort_summary([got.outcome], [i.diagnostics for i in got.issues])
    assert summary["deaths"] == 1 and summary["survival"]["undated_deaths"] == 1
    assert not any("without a date" in i for i in summary["issues"])
    assert any("died May 2024 (month only)" in i for i in summary["issues"])


def test_a_death_dated_by_its_month_is_said_by_its_month_never_by_a_day_it_was_not_given():
    from adapter.decision.outcome import follow_up_words

    got = _dead_on("2024-10")
    assert got.outcome.survival is not None
    words = follow_up_words(got.outcome)
    assert "Oct 2024" in words and "1 Oct" not in words and "or later" in words


def test_a_death_in_the_index_month_after_a_later_contact_is_counted_from_that_contact():
    visit = {"resourceType": "Encounter", "id": "e", "status": "finished",
             "subject": {"reference": f"Patient/{P}"}, "period": {"start": "2024-05-28"}}  # fmt: skip
    got = _dead_on("2024-05", visit)
    months, died = got.outcome.survival
    assert died and months == pytest.approx((6 - 8 / 24) / 30.4375, abs=0.02)
    assert not any("cannot be told" in i.diagnostics for i in got.issues)


def test_the_cohort_median_is_a_bound_when_a_death_is_counted_at_its_periods_first_day():
    from adapter.cohort.summary import cohort_summary
    from adapter.cohort.text import median_survival

    got = _dead_on("2024-10")
    summary = cohort_summary([got.outcome], [i.diagnostics for i in got.issues])
    assert summary["survival"]["median_reached"]
    assert "or later" in median_survival(summary)
    month = _dead_on("2024-05")
    summary = cohort_summary([month.outcome], [i.diagnostics for i in month.issues])
    assert "have no date" not in median_survival(summary)


def test_the_median_with_both_kinds_of_uncertain_death_is_said_to_be_no_bound():
    from adapter.cohort.summary import cohort_summary
    from adapter.cohort.text import median_bound

    late, early = _dead_on("2024-10"), _dead_on("2024-05")
    outcomes = [late.outcome]
    summary = cohort_summary(outcomes, [])
    assert median_bound(summary) == (
        " or later (1 death dated by month or year counted at their earliest day)"
    )
    summary["survival"]["undated_deaths"] = summary["survival"]["undated_partial"] = 1
    assert "neither a lower nor an upper bound" in median_bound(summary)
    assert early.outcome.death is None


def _seen(eid: str, start: str) -> dict:
    return {"resourceType": "Encounter", "id": eid, "status": "finished",
            "subject": {"reference": f"Patient/{P}"}, "period": {"start": start}}  # fmt: skip


@pytest.mark.parametrize(
    ("death", "seen", "named"),
    [
        ("2024-08-12", "2024-09-30", True),  # seen seven weeks after the recorded death
        ("2024-08", "2024-09-30", True),  # after the whole month
        ("2024-08-12T10:00:00Z", "2024-08-12T16:00:00Z", True),
        ("2024-08-12", "2024-08-12T16:00:00Z", False),  # the death's day: may be before it
        ("2024-08-12T23:00:00-05:00", "2024-08-13", False),  # 04:00 UTC: 13 Aug somewhere
        ("2024-08", "2024-08-30", False),  # within the month: it places the death (survival)
    ],
)
def test_a_record_certainly_after_the_death_is_named(death, seen, named):
    """A patient recorded as dead on 12 Aug and seen in clinic on 30 Sep: survival was counted to
    12 Aug without a word, though one of the two dates is wrong."""
    got = _dead_on(death, _seen("late", seen))
    said = [i.diagnostics for i in got.issues if "Encounter/late" in i.diagnostics]
    if named:
        assert len(said) == 1, got.issues
        assert f"Patient/{P}" in said[0] and "after the recorded death" in said[0]
    else:
        assert said == [], said
    assert got.outcome.died


def _named_after_death(death: str, *records) -> list[str]:
    got = _dead_on(death, *records)
    return [i.diagnostics for i in got.issues if "after the recorded death" in i.diagnostics]


def test_records_around_a_death_that_do_not_mean_the_patient_was_seen_after_it_are_not_named():
    death = "2024-10-01T14:00:00Z"
    certification = {  # Synthea: starts at the death, ends 15 minutes later
        "resourceType": "Encounter", "id": "dc", "status": "finished",
        "subject": {"reference": f"Patient/{P}"},
        "period": {"start": death, "end": "2024-10-01T14:15:00Z"},
    }  # fmt: skip
    stay = {  # the stay the patient died in
        "resourceType": "Encounter", "id": "stay", "status": "finished",
        "subject": {"reference": f"Patient/{P}"},
        "period": {"start": "2024-09-28T10:00:00Z", "end": "2024-10-01T16:00:00Z"},
    }  # fmt: skip
    spanning = obs("pp", LOINC, "72514-3", None, valueInteger=5,
                   effectivePeriod={"start": "2024-09-30T10:00:00Z", "end": "2024-10-02T10:00:00Z"})  # fmt: skip
    released = obs(
        "hb", LOINC, "718-7", None, valueQuantity={"value": 9}, issued="2024-10-03T09:00:00Z"
    )
    autopsy = procedure("aut", "29240004", when="2024-10-02T09:00:00Z")
    autopsy["code"]["coding"][0]["system"] = "http://snomed.info/sct"
    assert _named_after_death(death, certification, stay, spanning, released, autopsy) == []


def test_a_visit_after_a_death_dated_by_the_year_of_the_procedure_is_named():
    later = _seen("late", "2025-01-10")
    [said] = _named_after_death("2024", later)
    assert "Encounter/late" in said


def test_the_death_check_gives_both_times_on_one_clock():
    """Death 00:30 at UTC+2 (1 Oct 22:30 UTC), an encounter begun 1 Oct 23:00 UTC: both are said
    in UTC, never a written local day beside a UTC time."""
    late = {"resourceType": "Encounter", "id": "x", "status": "finished",
            "subject": {"reference": f"Patient/{P}"},
            "period": {"start": "2024-10-01T23:00:00Z", "end": "2024-10-01T23:30:00Z"}}  # fmt: skip
    [said] = _named_after_death("2024-10-02T00:30:00+02:00", late)
    assert "began 1 Oct 2024 23:00 UTC, after the recorded death (1 Oct 2024 22:30 UTC)" in said


def test_a_death_certification_encounter_after_the_death_is_not_named():
    """Synthea certifies a death with an encounter typed SNOMED 308646001, sometimes the next day."""
    certification = {
        "resourceType": "Encounter", "id": "dc", "status": "finished",
        "subject": {"reference": f"Patient/{P}"},
        "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "308646001",
                              "display": "Death certification"}]}],
        "period": {"start": "2024-10-02T09:00:00Z", "end": "2024-10-02T09:15:00Z"},
    }  # fmt: skip
    assert _named_after_death("2024-10-01T14:00:00Z", certification) == []


def test_a_spinal_procedure_after_the_death_is_named():
    later = procedure("vp2", "22511", when="2025-01-05T10:00:00Z", levels=["L1"])
    [said] = _named_after_death("2024-10-01T14:00:00Z", later)
    assert "Procedure/vp2" in said


def test_a_death_certification_never_places_a_death_dated_by_its_month():
    certification = {
        "resourceType": "Encounter", "id": "dc", "status": "finished",
        "subject": {"reference": f"Patient/{P}"},
        "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "308646001"}]}],
        "period": {"start": "2024-10-25T09:00:00Z", "end": "2024-10-25T09:15:00Z"},
    }  # fmt: skip
    with_it = _dead_on("2024-10", certification).outcome
    without = _dead_on("2024-10").outcome
    assert with_it.survival == without.survival


def test_a_record_after_the_death_without_an_id_is_named_in_good_grammar():
    later = _seen("late", "2025-01-10")
    del later["id"]
    [said] = _named_after_death("2024-10-01T14:00:00Z", later)
    assert "whether that encounter is the patient's" in said


def test_a_preliminary_measurement_a_final_one_replaces_is_not_said():
    """A final reading at the same time or later replaces a preliminary one (contract §2):
    "confirm it" would be noise."""
    got = follow(
        procedure("pvp", "22510", levels=["T12"]),
        pain("a", "2024-05-20T09:00:00Z", 5) | {"status": "preliminary"},
        pain("b", "2024-05-20T10:00:00Z", 6),
    )
    assert got.outcome.pain.value("baseline") == 6
    assert not any("preliminary" in i.diagnostics for i in got.issues), got.issues


def test_a_final_reading_of_another_day_never_hides_a_preliminary_one():
    """A preliminary baseline pain, a final pain three months later: the baseline vanished with
    no word."""
    got = follow(
        procedure("pvp", "22510", levels=["T12"]),
        pain("a", "2024-05-20T09:00:00Z", 8) | {"status": "preliminary"},
        pain("b", "2024-08-20T09:00:00Z", 3),
    )
    assert any("preliminary" in i.diagnostics for i in got.issues), got.issues


def test_an_untimed_preliminary_reading_is_asked_for_its_time_too():
    early = pain("a", "2024-05-20T09:00:00Z", 8) | {"status": "preliminary"}
    del early["effectiveDateTime"]
    got = follow(procedure("pvp", "22510", levels=["T12"]), early)
    said = [i.diagnostics for i in got.issues if "preliminary" in i.diagnostics]
    assert said and "time" in said[0], said


def test_an_onset_on_the_day_the_metastasis_was_recorded_still_dates_it():
    # onsetDateTime and recordedDate on the same day (EHRs often fill both): the onset was taken
    # for a recordedDate alone, so a later lesion dated the first metastasis and the
    # vertebroplasty for the first one was passed over for a fixation nine months later.
    first = condition("m1", "C79.51", "2024-05-10", levels=["T12"])
    first["recordedDate"] = "2024-05-10"
    later = condition("m2", "C79.51", "2025-01-15", levels=["L3"])
    pvp = procedure("pvp", "22510", levels=["T12"])
    fix = procedure("fix", "22842", when="2025-02-10T08:00:00+00:00", levels=["L2", "L3", "L4"])
    got = follow(first, later, pvp, fix)
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/pvp",)
    assert not [i for i in got.issues if "not taken as the index" in i.diagnostics]
    # Alone, it is a dated metastasis: no "No dated bone metastasis is recorded".
    alone = follow(first, pvp, fix)
    assert not [i for i in alone.issues if "No dated bone metastasis" in i.diagnostics]


def test_a_metastasis_dated_only_by_its_record_keeps_a_procedure_from_being_passed_over():
    # The T12 metastasis has only a recordedDate (entered 1 Jun 2024: it may have begun long
    # before), a new L3 lesion an onset in 2025: when the first metastasis began is not known,
    # so the vertebroplasty of May 2024 cannot be shown to be before it and stays the index.
    first = _recorded_only("m1", "C79.51", "2024-06-01", levels=["T12"])
    later = condition("m2", "C79.51", "2025-01-15", levels=["L3"])
    pvp = procedure("pvp", "22510", levels=["T12"])
    fix = procedure("fix", "22842", when="2025-02-10T08:00:00+00:00", levels=["L2", "L3", "L4"])
    got = follow(first, later, pvp, fix)
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/pvp",)


def test_an_undated_complication_is_named_never_dropped():
    # A surgical-site infection and a cement leak recorded with no date were dropped without a
    # word, and every surface said "Complications: none recorded since the index procedure".
    from adapter.cohort.summary import cohort_summary

    ssi = condition("ssi", "T81.41XA", None)
    ssi.pop("onsetDateTime")
    leak = {"resourceType": "AdverseEvent", "id": "ae", "actuality": "actual", "subject": {"reference": f"Patient/{P}"},
            "event": {"coding": [{"system": FINDING, "code": "cement-leakage"}]}}  # fmt: skip
    got = follow(procedure("pvp", "22510", levels=["T12"]), ssi, leak)
    assert got.outcome is not None
    named = sorted(c.named for c in got.outcome.complications)
    assert named == [
        "cement leakage (no date: not known to be after the index procedure)",
        "surgical site infection (no date: not known to be after the index procedure)",
    ]
    for ref in ("Condition/ssi", "AdverseEvent/ae"):
        (said,) = [i.diagnostics for i in got.issues if ref in i.diagnostics]
        assert "no date" in said and "record when it happened" in said
    # Not counted as one that happened after the index procedure: named beside them.
    summary = cohort_summary([got.outcome])
    assert summary["complications"] == {}
    assert summary["complications_unconfirmed"] == {
        "cement-leakage": 1,
        "surgical-site-infection": 1,
    }


def test_a_complication_after_the_computation_time_is_named():
    late = condition("ssi", "T81.41XA", "2026-02-01")
    got = follow(procedure("pvp", "22510", levels=["T12"]), late)
    assert got.outcome is not None and got.outcome.complications == ()
    (said,) = [i.diagnostics for i in got.issues if "Condition/ssi" in i.diagnostics]
    assert "after the computation time" in said and "not used" in said


def test_an_encounter_under_way_at_the_computation_time_is_contact_up_to_it():
    # In hospital since 1 Mar 2025, discharge planned after the computation time: the encounter
    # was dropped for its end, and the patient censored at the index day (follow-up 0).
    stay = {"resourceType": "Encounter", "id": "stay", "status": "in-progress",
            "subject": {"reference": f"Patient/{P}"},
            "period": {"start": "2025-03-01T09:00:00Z", "end": "2026-07-01T09:00:00Z"}}  # fmt: skip
    got = follow(procedure("pvp", "22510", levels=["T12"]), stay).outcome
    assert got is not None and got.last_follow_up is not None
    assert got.last_follow_up.instant == NOW.instant  # seen up to the computation time
    # One that begins after the computation time is no contact yet.
    later = stay | {"id": "later", "period": {"start": "2026-02-01T09:00:00Z"}}
    got = follow(procedure("pvp", "22510", levels=["T12"]), later).outcome
    assert got is not None and got.last_follow_up.instant < parse_time("2025-01-01").instant


def test_a_metastasis_dated_by_its_record_bounds_the_first_one_and_never_unsets_it():
    # One metastasis with a recordedDate alone (problem lists often leave the onset out) made
    # the first metastasis's day unknown, and a vertebroplasty of 2015 became the index of a
    # 2024 series. A recordedDate bounds the onset: the metastasis began by then.
    dated = condition("m1", "C79.51", "2024-05-01", levels=["T12"])
    recorded = _recorded_only("m2", "C79.51", "2024-05-15", levels=["L3"])
    old = procedure("vp2015", "22510", when="2015-03-01T08:00:00+00:00", levels=["L1"])
    fix = procedure("fix", "22842", levels=["T11", "T12", "L1"])
    got = follow(dated, recorded, old, fix)
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/fix",)
    assert [i for i in got.issues if "Procedure/vp2015" in i.diagnostics]


def test_a_completed_procedure_with_no_date_is_named_never_passed_over_in_silence():
    # A vertebroplasty recorded with no date: the patient was "no index procedure; left out",
    # and nothing said why. It is named — it cannot place the time points — and beside a dated
    # one it is said to be of unknown order.
    undated = procedure("pe", "22510", when="", levels=["T12"])
    undated.pop("performedDateTime", None)
    got = follow(undated)
    assert got.outcome is None
    (said,) = [i.diagnostics for i in got.issues if "Procedure/pe" in i.diagnostics]
    assert "no date" in said and "record the day it was done" in said
    dated = procedure("pvp", "22510", levels=["T12"])
    got = follow(undated, dated)
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/pvp",)
    (said,) = [i.diagnostics for i in got.issues if "Procedure/pe" in i.diagnostics]
    assert "no date" in said and "before or after" in said


@pytest.mark.parametrize(
    ("birth", "age", "said"),
    [
        ("1960-05-23", 63, None),
        ("1960-02", 64, None),  # the month settles it: born before 22 May either way
        ("1960", None, "1960 names no day: 63 or 64 at the index procedure"),
        ("2025-01-01", None, "after the index procedure"),
        ("0001-01-01", None, "an age of 2023 years"),
    ],
)
def test_an_age_at_the_index_is_counted_only_when_the_birth_date_settles_it(birth, age, said):
    # A birth after the index gave an age of -1 in Table 4's mean, year 1 an age of 2023, and a
    # year alone one of two ages: each is named and left out of the mean (never a guess, §2).
    PATIENT["birthDate"] = birth
    try:
        got = follow(procedure("pvp", "22510", levels=["T12"]))
    finally:
        PATIENT["birthDate"] = "1960-05-23"
    assert got.outcome is not None and got.outcome.age_years == age
    named = [i.diagnostics for i in got.issues if "birthDate" in i.diagnostics]
    assert (named == []) if said is None else (len(named) == 1 and said in named[0]), named


@pytest.mark.parametrize("ml", [300, 1e308])
def test_a_cement_volume_no_vertebroplasty_holds_is_named_and_not_counted(ml):
    # 300 mL (a typo for 3.00) became Table 4's maximum; two of 1e308 summed to infinity, shown
    # as "inf" in the text and null in the JSON. Tens of millilitres fill several vertebrae; more
    # than 100 mL for one event is a data error.
    got = follow(procedure("pvp", "22510", levels=["T12"]), cement("c1", ml), cement("c2", ml))
    assert got.outcome is not None and got.outcome.cement_ml is None
    named = [i.diagnostics for i in got.issues if "cement" in i.diagnostics]
    assert named and all("not counted" in n for n in named), named


def test_a_metastasis_known_only_by_its_record_never_passes_over_a_procedure_alone():
    # The only metastasis has a recordedDate (15 Mar 2024) and no onset: it may have begun long
    # before. The vertebroplasty at its level in Jan 2023 stays the index (the first), with a
    # warning, and is not passed over for a later fixation: a recordedDate only brings earlier a
    # day that an onset gives.
    met = _recorded_only("m1", "C79.51", "2024-03-15", levels=["T12"])
    pvp = procedure("pvp", "22510", when="2023-01-10T08:00:00+00:00", levels=["T12"])
    fix = procedure("fix", "22842", when="2024-04-01T08:00:00+00:00", levels=["L1", "L2", "L3"])
    got = follow(met, pvp, fix)
    assert got.outcome is not None and got.outcome.procedures == ("Procedure/pvp",)
    assert [i for i in got.issues if "No dated bone metastasis" in i.diagnostics]


@pytest.mark.parametrize("died", ["2025-12", "2025-12-10"])
def test_a_stay_under_way_is_no_contact_after_a_recorded_death(died):
    # The stay a patient died in ends after the death: counted as contact up to the
    # computation time, it moved a month-dated death to that day ("the last record of the
    # patient") and put the last follow-up after a death dated to the day.
    stay = {"resourceType": "Encounter", "id": "stay", "status": "finished",
            "subject": {"reference": f"Patient/{P}"},
            "period": {"start": "2025-12-02T09:00:00Z", "end": "2026-01-05T09:00:00Z"}}  # fmt: skip
    now = parse_time("2025-12-20T00:00:00Z")
    PATIENT["deceasedDateTime"] = died
    try:
        got = follow(procedure("pvp", "22510", levels=["T12"]), stay, now=now).outcome
    finally:
        PATIENT.pop("deceasedDateTime", None)
    assert got is not None and got.died
    assert got.last_follow_up is None or got.last_follow_up.instant < now.instant
    assert got.death is None or got.death.instant < now.instant


def test_a_stay_ending_after_the_computation_time_counts_at_its_start_for_a_patient_recorded_dead():
    # Died in 2025 (the year alone), admitted 2 Mar 2025, the stay ending after T: the admission
    # shows the patient alive then, so survival is counted to it, not to 1 Jan.
    stay = {"resourceType": "Encounter", "id": "stay", "status": "finished",
            "subject": {"reference": f"Patient/{P}"},
            "period": {"start": "2025-03-02T09:00:00Z", "end": "2026-01-05T09:00:00Z"}}  # fmt: skip
    now = parse_time("2025-12-20T00:00:00Z")
    PATIENT["deceasedDateTime"] = "2025"
    try:
        got = follow(procedure("pvp", "22510", levels=["T12"]), stay, now=now).outcome
    finally:
        PATIENT.pop("deceasedDateTime", None)
    assert got is not None and got.last_follow_up is not None
    assert got.last_follow_up.instant == parse_time("2025-03-02T09:00:00Z").instant
