"""After an index procedure the patient-view card set holds an outcome card (contract §6 v3).

It was missing: the outcome rode as lines in the detail of the first score card, so no card
said what happened after the procedure, and an empty window read "no measurement" before it
had opened.
"""

from __future__ import annotations

import pytest

from adapter.cds.cards import score_cards
from adapter.decision import decide
from adapter.decision.outcome import outcome_view
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.render.patient import patient_body
from adapter.render.text import text_report
from tests.support.records import condition, default_patient, measurement, procedure
from tests.unit.cds.conftest import patient_view, seed_resources

pytestmark = pytest.mark.anyio
TERM = default_terminology()
PAIN, BARTHEL = "72514-3", "96761-2"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def outcome_card(now: str, *extra):
    # Vertebroplasty at T12 on 22 May 2024; windows: 7 days 25 May–5 Jun, 3 months
    # 21 Jul–19 Sep, 6 months 19 Oct 2024–17 Jan 2025.
    resources = default_patient(extra=(procedure("vp", "22511", "T12"), *extra))
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time(now))
    cards = [c for c in score_cards(decide(result), "h") if c.source.topic]
    outcome = [c for c in cards if c.source.topic.code == "outcome-trajectory"]
    assert len(outcome) == 1
    return outcome[0]


def row(card, label: str) -> str:
    return next(
        line for line in (card.detail or "").splitlines() if line.startswith(f"| {label} |")
    )


def test_an_index_procedure_gives_an_outcome_card():
    card = outcome_card("2024-06-01T09:00:00Z")
    assert card.indicator == "info"
    assert card.summary == (
        "After vertebroplasty at T12 on 22 May 2024: pain not recorded; Barthel not recorded"
    )
    assert card.suggestions and card.suggestions[0].actions
    assert card.suggestions[0].actions[0].resource["resourceType"] == "Observation"


def test_windows_say_what_can_be_known_at_the_computation_time():
    baseline = (
        measurement("pain-0", PAIN, 8, when="2024-05-20T09:00:00Z"),
        measurement("barthel-0", BARTHEL, 40, when="2024-05-20T09:00:00Z"),
    )
    seven = measurement("pain-7", PAIN, 4, when="2024-05-29T09:00:00Z")
    # Day 10: the 7-day window is open, the later ones have not opened.
    card = outcome_card("2024-06-01T09:00:00Z", *baseline, seven)
    assert card.summary == (
        "After vertebroplasty at T12 on 22 May 2024: pain 8 → 4 at 7 days; Barthel 40 before"
    )
    assert row(card, "Baseline") == (
        "| Baseline | 22 Apr 2024 – 22 May 2024 | 8 (20 May 2024) | — | 40 (20 May 2024) | — | — |"
    )
    assert row(card, "7 days") == (
        "| 7 days | 25 May 2024 – 5 Jun 2024 | 4 (29 May 2024) | −4 | "
        "no measurement yet (window until 5 Jun 2024) | — | — |"
    )
    assert "| due from 21 Jul 2024 | — | due from 21 Jul 2024 |" in row(card, "3 months")
    assert "| due from 19 Oct 2024 |" in row(card, "6 months")
    # 1 Aug (day 71): the 7-day window closed without a Barthel; the 3-month one is open.
    card = outcome_card("2024-08-01T09:00:00Z", *baseline, seven)
    assert "| −4 | no measurement | — |" in row(card, "7 days")
    assert "no measurement yet (window until 19 Sep 2024)" in row(card, "3 months")


def test_a_dated_baseline_and_a_later_procedure_in_a_window_are_named():
    # Baseline 21 days before the procedure; a vertebroplasty at L1 on day 8 (in the 7-day
    # window); radiotherapy (CPT 77373) on day 95 (in the 3-month window).
    card = outcome_card(
        "2024-09-01T09:00:00Z",
        measurement("pain-0", PAIN, 7, when="2024-05-01T09:00:00Z"),
        procedure("vp-l1", "22511", "L1", when="2024-05-30T10:00:00Z"),
        procedure("sbrt", "77373", "T12", when="2024-08-25T10:00:00Z"),
    )
    assert "| 7 (1 May 2024), dated baseline |" in row(card, "Baseline")
    assert row(card, "7 days").endswith("| vertebroplasty at L1 on 30 May 2024 |")
    # Before the window, the L1 vertebroplasty is named too: a value then comes after it.
    assert row(card, "3 months").endswith(
        "| after vertebroplasty at L1 on 30 May 2024; radiotherapy at T12 on 25 Aug 2024 |"
    )
    assert row(card, "6 months").endswith("| — |")


async def test_the_seed_patient_gets_its_outcome_card(client, monkeypatch):
    from adapter.cds import services

    # Computed after the 6-month visit: the follow-up is in the past.
    monkeypatch.setattr(services, "now_time", lambda: parse_time("2026-11-26T00:00:00Z"))
    response = await client.post("/cds-services/spinemets-scores", json=patient_view())
    card = response.json()["cards"][-1]
    assert card["source"]["topic"]["code"] == "outcome-trajectory"
    assert card["summary"] == (
        "After vertebroplasty and fixation at T12, L2, L3 on 22 May 2024: pain 8 → 0 at 6 months; "
        "Barthel 40 → 95 at 6 months"
    )
    detail = card["detail"]
    assert "; cement 6 mL**" in detail
    assert "| 6 months | 19 Oct 2024 – 17 Jan 2025 | 0 (20 Nov 2024) | −8 | 95 (20 Nov 2024) |" in (
        detail
    )
    assert "Complications: none recorded." in detail


async def test_no_procedure_no_outcome_card(client):
    resources = [r for r in seed_resources() if r["resourceType"] != "Procedure"]
    response = await client.post("/cds-services/spinemets-scores", json=patient_view(resources))
    cards = response.json()["cards"]
    assert all(c["source"]["topic"]["code"] != "outcome-trajectory" for c in cards)
    assert all("Index procedure" not in c["detail"] for c in cards)


def test_the_outcome_card_stands_without_a_scored_spinal_lesion():
    # The metastasis Condition is gone from the record (resolved, or never coded): no score
    # card, but the procedure was done and its outcome is still shown.
    resources = default_patient(drop=("met-t12",), extra=(procedure("vp", "22511", "T12"),))
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-06-01T09:00:00Z"))
    topics = [c.source.topic.code for c in score_cards(decide(result), "h") if c.source.topic]
    assert topics[-1] == "outcome-trajectory"


def _leak(patient: str) -> dict:
    return {"resourceType": "AdverseEvent", "id": "leak", "actuality": "actual",
            "subject": {"reference": f"Patient/{patient}"}, "date": "2024-05-23",
            "event": {"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/finding",
                                  "code": "cement-leakage"}]}}  # fmt: skip


@pytest.mark.parametrize("source", ["prefetch", "fhirServer"])
async def test_the_card_names_a_complication_recorded_as_an_adverse_event(
    client, monkeypatch, respx_mock, source
):
    """Contract §2 v3: AdverseEvent is part of the record on every surface, so the card no
    longer says "none recorded" where sync names a cement leakage."""
    from adapter.cds import services
    from adapter.fhir.read.timing import parse_time
    from tests.unit.cds.conftest import FHIR, searchset

    monkeypatch.setattr(services, "now_time", lambda: parse_time("2026-11-26T00:00:00Z"))
    resources = seed_resources()
    patient = next(r for r in resources if r["resourceType"] == "Patient")["id"]
    if source == "prefetch":
        body = patient_view([*resources, _leak(patient)])
    else:
        body = patient_view(resources, fhirServer=FHIR)
        del body["prefetch"]["adverseEvents"]
        route = respx_mock.get(
            f"{FHIR}/AdverseEvent", params={"subject": f"Patient/{patient}"}
        ).respond(json=searchset([_leak(patient)]))
    response = await client.post("/cds-services/spinemets-scores", json=body)
    assert response.status_code == 200, response.text
    card = response.json()["cards"][-1]
    assert card["source"]["topic"]["code"] == "outcome-trajectory"
    assert "Complications: none recorded" not in card["detail"]
    assert "cement leakage" in card["detail"]
    if source == "fhirServer":
        assert route.called


def test_a_treated_level_not_recorded_is_said_on_every_surface_never_invented():
    """Screws at L3–L5, where no metastasis is recorded (contract §6: the treated levels of §5,
    not the instrumented ones): the card, the page and the text report say the treated level is
    not recorded and name the procedure's own levels as such."""
    resources = default_patient(extra=(procedure("f", "22842", "L3", "L4", "L5"),))
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-06-01T09:00:00Z"))
    decisions = decide(result)
    (card,) = [c for c in score_cards(decisions, "h") if c.uuid and "After" in c.summary]
    named = "treated level not recorded (levels of the procedure: L3, L4, L5)"
    assert named in (card.detail or "")
    assert "treated level not recorded" in card.summary and " at L3" not in card.summary
    assert named in patient_body(decisions)
    report = text_report(decisions)
    assert "Procedure/f: treated level not recorded" in report and "L3, L4, L5" in report


def test_a_later_procedure_between_windows_is_named_beside_every_later_value_and_in_the_summary():
    # Vertebroplasty at T12; an open fixation on day 130, between the 3- and 6-month windows;
    # pain 1 at 6 months. "After vertebroplasty: pain 8 → 1" alone credits cement with what
    # the fixation may have done (contract §6 v3: a later procedure is named beside the value).
    card = outcome_card(
        "2025-02-01T09:00:00Z",
        measurement("pain-0", PAIN, 8, when="2024-05-20T09:00:00Z"),
        measurement("pain-6", PAIN, 1, when="2024-11-18T09:00:00Z"),
        procedure("ppsf", "22842", "T12", when="2024-09-29T10:00:00Z"),
    )
    assert row(card, "6 months").endswith("| after fixation at T12 on 29 Sep 2024 |")
    assert row(card, "3 months").endswith("| — |")  # before the fixation
    assert card.summary.startswith(
        "After vertebroplasty at T12 on 22 May 2024 (then fixation at T12 on 29 Sep 2024): pain 8 → 1"
    )


def test_the_page_says_of_each_window_what_the_card_says():
    # The page rendered the outcome on its own ("no measurement in the window" for windows not
    # yet open, no "dated baseline", no later procedure): one decision on every surface (§4 v3).
    resources = default_patient(
        extra=(
            procedure("vp", "22511", "T12"),
            measurement("pain-0", PAIN, 7, when="2024-05-01T09:00:00Z"),
            measurement("pain-7", PAIN, 3, when="2024-05-31T09:00:00Z"),
            procedure("vp-l1", "22511", "L1", when="2024-05-30T10:00:00Z"),
        )
    )
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-06-01T09:00:00Z"))
    page = patient_body(decide(result))
    assert "no measurement in the window" not in page
    assert "due from 21 Jul 2024" in page
    assert "no measurement yet (window until 5 Jun 2024)" in page
    assert "dated baseline" in page
    assert "vertebroplasty at L1 on 30 May 2024" in page


@pytest.mark.parametrize(
    ("deceased", "now", "said"),
    [
        # Died 10 Sep 2024 (day 111): the 6-month window (from 19 Oct) will never open.
        ({"deceasedDateTime": "2024-09-10T06:30:00Z"}, "2024-10-01T09:00:00Z",
         "not reached: died 10 Sep 2024"),
        ({"deceasedDateTime": "2024-09-10T06:30:00Z"}, "2024-11-01T09:00:00Z",
         "not reached: died 10 Sep 2024"),
        # ... and once the window has closed: never a missed follow-up.
        ({"deceasedDateTime": "2024-09-10T06:30:00Z"}, "2025-03-01T09:00:00Z",
         "not reached: died 10 Sep 2024"),
        # Died on 1 Nov 2024, inside the window, nothing measured: no more measurements to come.
        ({"deceasedDateTime": "2024-11-01T06:30:00Z"}, "2024-11-05T09:00:00Z",
         "no measurement: died 1 Nov 2024"),
        ({"deceasedBoolean": True}, "2024-11-01T09:00:00Z", "no measurement: died (date unknown)"),
        # Once closed, too: never a bare "no measurement", a missed follow-up.
        ({"deceasedDateTime": "2024-11-01T06:30:00Z"}, "2025-03-01T09:00:00Z",
         "no measurement: died 1 Nov 2024"),
        ({"deceasedBoolean": True}, "2025-03-01T09:00:00Z", "no measurement: died (date unknown)"),
    ],
)  # fmt: skip
def test_a_window_after_the_patients_death_never_reads_as_due_or_awaited(deceased, now, said):
    """The page said "died at 3.6 months" and, below, that the 6-month values were "due from
    19 Oct 2024" or awaited: a follow-up to book for a patient who has died."""
    resources = default_patient(extra=(procedure("vp", "22511", "T12"),))
    resources[0] = {**resources[0], **deceased}
    assert resources[0]["resourceType"] == "Patient"
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time(now))
    view = outcome_view(result)
    assert view is not None
    six = view.points[-1]
    assert six.time_point == "6mo"
    assert (six.pain.text, six.barthel.text) == (said, said)
    page = patient_body(decide(result))
    assert "due from 19 Oct 2024" not in page and "no measurement yet" not in page
    text = text_report(decide(result))
    assert f"6 months (19 Oct 2024 – 17 Jan 2025): pain {said}; Barthel {said}" in text
    assert "died" in next(line for line in text.splitlines() if "Index procedure:" in line)


def test_the_text_report_says_of_the_outcome_what_the_card_and_page_say():
    """The text report had no outcome at all: a pulmonary cement embolism named by the card
    and the page was missing from what a clinician files in the chart."""
    embolism = {
        "resourceType": "Condition", "id": "pce", "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "T84.81XA"}]},
        "onsetDateTime": "2024-05-24",
    }  # fmt: skip
    extra = (
        procedure("vp", "22511", "T12"),
        measurement("pain-0", PAIN, 8, when="2024-05-20T09:00:00Z"),
        measurement("pain-7", PAIN, 4, when="2024-05-29T09:00:00Z"),
        embolism,
    )
    data = patient_records(default_patient(extra=extra), "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-06-01T09:00:00Z"))
    decisions = decide(result)
    card = next(c for c in score_cards(decisions, "h") if c.summary.startswith("After "))
    text = text_report(decisions)
    view = outcome_view(result)
    assert view is not None and card.summary == view.headline
    assert f"\n  {view.headline}\n    Index procedure: {view.procedure}; followed for " in text
    assert "pulmonary cement embolism" in (card.detail or "")
    assert "    Complications: pulmonary cement embolism (Condition/pce, 24 May 2024)" in text
    assert (
        "    7 days (25 May 2024 – 5 Jun 2024): pain 4 (29 May 2024), −4; Barthel no measurement yet (window until 5 Jun 2024)"
        in text
    )
    assert (
        "    6 months (19 Oct 2024 – 17 Jan 2025): pain due from 19 Oct 2024; Barthel due from 19 Oct 2024"
        in text
    )


def test_a_measurement_in_no_time_points_window_is_named_never_dropped_silently():
    """Pain 0 on 26 Jun 2024 (day 35) lies between the 7-day and 3-month windows: it is not a
    time point's value, but the record holds it; "no measurement" alone read as if it did not."""
    extra = (
        procedure("vp", "22511", "T12"),
        measurement("pain-35", PAIN, 0, when="2024-06-26T09:00:00Z"),
    )
    data = patient_records(default_patient(extra=extra), "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-08-01T09:00:00Z"))
    said = [i.diagnostics for i in result.issues if i.resource == "Observation/pain-35"]
    assert len(said) == 1 and "day 35" in said[0] and "no time point" in said[0], said


def test_a_measurement_after_the_procedure_on_its_day_is_named_never_dropped_silently():
    """Pain timed 18:00 on the procedure day, after the 10:00 procedure: not the baseline (it
    is after), not the 7-day value (day 0)."""
    extra = (
        procedure("vp", "22511", "T12", when="2024-05-22T10:00:00Z"),
        measurement("pain-0h", PAIN, 2, when="2024-05-22T18:00:00Z"),
    )
    data = patient_records(default_patient(extra=extra), "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-08-01T09:00:00Z"))
    said = [i.diagnostics for i in result.issues if i.resource == "Observation/pain-0h"]
    assert len(said) == 1 and "no time point" in said[0], said


def test_a_dead_patients_window_with_values_still_names_a_later_treatment_beside_it():
    extra = (
        procedure("vp", "22511", "T12"),
        measurement("pain-3m", PAIN, 1, when="2024-09-01T09:00:00Z"),
        procedure("sbrt", "77373", "T12", when="2024-08-25T10:00:00Z"),
    )
    resources = default_patient(extra=extra)
    resources[0] = {**resources[0], "deceasedBoolean": True}
    data = patient_records(resources, "p")
    assert data is not None
    view = outcome_view(score_patient(data, TERM, now=parse_time("2025-07-01T09:00:00Z")))
    assert view is not None
    three = next(p for p in view.points if p.time_point == "3mo")
    assert three.beside == ("radiotherapy at T12 on 25 Aug 2024",)


def test_a_value_dated_after_the_death_is_named_and_never_an_outcome():
    """Died 1 Jul 2024; a Barthel of 100 on 20 Nov 2024: the death or the measurement is wrong,
    and "Barthel → 100 at 6 months" must not credit the procedure with it."""
    extra = (
        procedure("vp", "22511", "T12"),
        measurement("barthel-6m", BARTHEL, 100, when="2024-11-20T09:00:00Z"),
    )
    resources = default_patient(extra=extra)
    resources[0] = {**resources[0], "deceasedDateTime": "2024-07-01T09:00:00Z"}
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2025-03-01T09:00:00Z"))
    said = [i.diagnostics for i in result.issues if i.resource == "Observation/barthel-6m"]
    assert len(said) == 1 and "after the death" in said[0], said
    view = outcome_view(result)
    assert view is not None and "100" not in view.headline
    six = next(p for p in view.points if p.time_point == "6mo")
    assert six.barthel.text == "not reached: died 1 Jul 2024"


@pytest.mark.parametrize(
    ("when", "words"),
    [
        ("2024-05-22T10:00:00Z", "at or after its start"),  # exactly at the procedure's start
        ("2024-04-01T09:00:00Z", "before the baseline window"),  # day −51
    ],
)
def test_a_value_no_time_point_takes_around_the_procedure_is_named(when, words):
    extra = (
        procedure("vp", "22511", "T12", when="2024-05-22T10:00:00Z"),
        measurement("pain-x", PAIN, 6, when=when),
    )
    data = patient_records(default_patient(extra=extra), "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-08-01T09:00:00Z"))
    said = [i.diagnostics for i in result.issues if i.resource == "Observation/pain-x"]
    assert len(said) == 1 and words in said[0], said


@pytest.mark.parametrize(
    "death", ["2024-08", "2024-08-21T23:00:00-05:00"], ids=["month only", "evening, UTC-5"]
)
def test_a_value_the_death_may_have_come_after_is_never_dropped(death):
    """A death recorded as "2024-08" may be 31 Aug; one at 23:00 UTC-5 is the next day in UTC:
    a pain value of 21 Aug is no data error."""
    extra = (
        procedure("vp", "22511", "T12"),
        measurement("pain-3m", PAIN, 0, when="2024-08-21T22:00:00Z"),
    )
    resources = default_patient(extra=extra)
    resources[0] = {**resources[0], "deceasedDateTime": death}
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2025-03-01T09:00:00Z"))
    assert not [i for i in result.issues if i.resource == "Observation/pain-3m"]
    view = outcome_view(result)
    assert view is not None
    assert next(p for p in view.points if p.time_point == "3mo").pain.text.startswith("0 (")


@pytest.mark.parametrize(
    ("death", "said"),
    [
        # Oct 2024 holds the 6-month window's first day (19 Oct): the death may be before it or
        # in it, so the window was perhaps reached, with nothing measured.
        ("2024-10", "no measurement: died Oct 2024, before or in this window"),
        ("2024", "no measurement: died 2024, before or in this window"),
        # All of September is before the window: never reached.
        ("2024-09", "not reached: died Sep 2024"),
    ],
)
def test_a_death_dated_by_a_period_holding_a_windows_first_day_never_says_not_reached(death, said):
    """A death recorded "2024-10" was counted at 1 Oct, and the 6-month window (from 19 Oct) read
    "not reached": the patient may have died on 25 Oct, inside it."""
    resources = default_patient(extra=(procedure("vp", "22511", "T12"),))
    resources[0] = {**resources[0], "deceasedDateTime": death}
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2025-03-01T09:00:00Z"))
    view = outcome_view(result)
    assert view is not None
    six = view.points[-1]
    assert (six.pain.text, six.barthel.text) == (said, said)
    text = text_report(decide(result))
    assert f"6 months (19 Oct 2024 – 17 Jan 2025): pain {said}; Barthel {said}" in text


def test_a_death_dated_by_a_year_that_may_follow_a_window_says_so():
    """Died "2024", counted to the last record (30 May): the 3-month window (21 Jul–19 Sep)
    may have passed with the patient alive, or ended with the death before or in it."""
    resources = default_patient(extra=(procedure("vp", "22511", "T12"),))
    resources[0] = {**resources[0], "deceasedDateTime": "2024"}
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2025-03-01T09:00:00Z"))
    view = outcome_view(result)
    assert view is not None
    three = next(p for p in view.points if p.time_point == "3mo")
    assert three.pain.text == "no measurement: died 2024, before, in or after this window"


@pytest.mark.parametrize(("when", "said"), [("2024-04", "Apr 2024"), ("2024", "2024")])
def test_an_index_procedure_dated_by_a_month_or_a_year_alone_places_no_time_point(when, said):
    """A vertebroplasty recorded "2024-04" read "on 1 Apr 2024" on the outcome card, and its
    windows, follow-up and survival were counted from that invented day (up to 30 days, or a
    year, off). It is named instead; no time point is placed from it, in the card or the cohort."""
    from adapter.cohort.records import cohort_records

    resources = default_patient(extra=(procedure("vp", "22511", "T12", when=when),))
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-07-01T09:00:00Z"))
    assert outcome_view(result) is None
    named = [i.diagnostics for i in result.issues if i.resource == "Procedure/vp"]
    assert any(f"dated {said} alone" in d for d in named), named
    cohort = cohort_records([data], TERM, now=parse_time("2024-07-01T09:00:00Z"))
    assert cohort.outcomes == []
    assert any("Procedure/vp" in i and f"dated {said} alone" in i for i in cohort.issues)


def test_a_death_recorded_by_now_is_never_said_to_follow_a_window_still_to_come():
    """At 10 Sep 2024 a death recorded "2024" happened by then: the 6-month window (from
    19 Oct) was never reached, and the 3-month one (to 19 Sep) cannot be followed by it."""
    resources = default_patient(extra=(procedure("vp", "22511", "T12"),))
    resources[0] = {**resources[0], "deceasedDateTime": "2024"}
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-09-10T09:00:00Z"))
    view = outcome_view(result)
    assert view is not None
    said = {p.time_point: p.pain.text for p in view.points}
    assert said["6mo"] == "not reached: died 2024"
    assert said["3mo"] == "no measurement: died 2024, before or in this window"


def test_a_course_outside_the_spine_is_named_beside_the_windows_as_such():
    # A pain score is the whole patient's: a course to the femur after the procedure is named,
    # with where it was, never as if spinal and never hidden.
    femur = procedure("rfa", "20982", when="2024-08-01T10:00:00Z")
    femur["bodySite"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "71341001",
                                      "display": "Bone structure of femur"}]}]  # fmt: skip
    resources = default_patient(extra=(procedure("vp", "22511", "T12"), femur))
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-11-01T09:00:00Z"))
    view = outcome_view(result)
    assert view is not None
    three = next(p for p in view.points if p.time_point == "3mo")
    assert three.beside == ("ablation outside the spine on 1 Aug 2024",)


def _outcome_of(*extra, now: str = "2024-11-01T09:00:00Z"):
    data = patient_records(default_patient(extra=extra), "p")
    assert data is not None
    return score_patient(data, TERM, now=parse_time(now))


def test_a_procedure_dated_by_a_month_that_may_be_the_first_leaves_no_index_procedure():
    """A vertebroplasty "2024-04" may be the first: the one of 22 May is then not the index, and
    counting the time points from it would be a guess; both are named."""
    result = _outcome_of(
        procedure("vpa", "22511", "L1", when="2024-04"), procedure("vp", "22511", "T12")
    )
    assert outcome_view(result) is None
    [said] = [i.diagnostics for i in result.issues if i.resource == "Procedure/vpa"]
    assert "may be the first" in said and "Procedure/vp" in said


def test_a_procedure_dated_by_a_month_certainly_after_the_index_is_not_named_as_no_index():
    result = _outcome_of(
        procedure("vp", "22511", "T12"), procedure("vp2", "22511", "L1", when="2024-09")
    )
    assert outcome_view(result) is not None
    assert not [i for i in result.issues if "alone (its month)" in i.diagnostics]


def test_a_later_course_dated_by_its_month_is_named_in_its_month():
    view = outcome_view(
        _outcome_of(
            procedure("vp", "22511", "T12"), procedure("rt", "77373", "T12", when="2024-08")
        )
    )
    assert view is not None
    three = next(p for p in view.points if p.time_point == "3mo")
    assert three.beside == ("radiotherapy at T12 in Aug 2024",)


def test_the_summary_names_spinal_courses_and_counts_the_others():
    femur = {"coding": [{"system": "http://snomed.info/sct", "code": "71341001",
                         "display": "Bone structure of femur"}]}  # fmt: skip
    courses = []
    for n, day in enumerate(("2024-06-10", "2024-06-20", "2024-07-01")):
        c = procedure(f"o{n}", "77373", when=f"{day}T10:00:00Z")
        c["bodySite"] = [femur]
        courses.append(c)
    view = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"), *courses,
        procedure("rt", "77373", "T12", when="2024-08-03T10:00:00Z"),
        measurement("pain-3m", PAIN, 2, when="2024-08-20T09:00:00Z"),
    ))  # fmt: skip
    assert view is not None
    assert view.headline.startswith(
        "After vertebroplasty at T12 on 22 May 2024 (then radiotherapy at T12 on 3 Aug 2024; "
        "3 courses outside the spine): pain"
    ), view.headline


def test_a_month_dated_procedure_between_a_passed_over_old_one_and_the_index_still_blocks_it():
    """2019 (passed over: before the metastasis), Apr 2024 (month alone), 22 May 2024: Apr may be
    the first for the metastasis, so 22 May is not taken, and Apr is named."""
    result = _outcome_of(
        procedure("old", "22511", "L3", when="2019-06-01T10:00:00Z"),
        procedure("vpa", "22511", "L1", when="2024-04"),
        procedure("vp", "22511", "T12"),
    )
    assert outcome_view(result) is None
    assert [i for i in result.issues if i.resource == "Procedure/vpa"]


@pytest.mark.parametrize("when", ["2019-03", "2019"])
def test_an_old_operation_dated_by_its_month_or_year_is_passed_over_as_a_full_date_one_is(when):
    result = _outcome_of(
        procedure("old", "22511", "L3", when=when), procedure("vp", "22511", "T12")
    )
    view = outcome_view(result)
    assert view is not None and view.procedure.startswith("vertebroplasty at T12 on 22 May 2024")
    said = [i.diagnostics for i in result.issues if i.resource == "Procedure/old"]
    assert said and "before the first bone metastasis" in said[0]


def test_a_procedure_dated_by_the_index_days_month_keeps_the_index_and_is_named():
    """May 2024 alone beside 22 May 2024: perhaps the same procedure recorded twice, perhaps an
    earlier one that month; the index stands, and the doubt is said."""
    result = _outcome_of(
        procedure("vpm", "22511", "T12", when="2024-05"), procedure("vp", "22511", "T12")
    )
    view = outcome_view(result)
    assert view is not None and view.procedure.startswith("vertebroplasty at T12 on 22 May 2024")
    [said] = [i.diagnostics for i in result.issues if i.resource == "Procedure/vpm"]
    assert "may be the same procedure" in said


@pytest.mark.parametrize(("when", "said"), [("2024", "in 2024"), ("2024-05", "in May 2024")])
def test_a_course_dated_by_a_period_holding_the_index_day_is_named_never_merged(when, said):
    """Radiotherapy "2024" (or "2024-05") beside a vertebroplasty of 22 May 2024: it may be
    before or after it; it is named beside the windows as such, never dropped and never made
    part of the index procedure's name."""
    result = _outcome_of(procedure("vp", "22511", "T12"), procedure("rt", "77373", "L2", when=when))
    view = outcome_view(result)
    assert view is not None
    assert view.procedure.startswith("vertebroplasty at T12 on 22 May 2024")
    seven = next(p for p in view.points if p.time_point == "7d")
    assert seven.beside == (f"radiotherapy at L2 {said}, perhaps before the procedure",)


def test_the_card_names_the_procedure_a_month_dated_one_may_precede_without_its_id():
    """The card drops resource ids from what it says: "before Procedure (22 May 2024)" lost
    which procedure; it must stay readable without the id."""
    result = _outcome_of(
        procedure("vpa", "22511", "L1", when="2024-04"), procedure("vp", "22511", "T12")
    )
    cards = score_cards(decide(result), "h")
    text = "\n".join(c.detail or "" for c in cards)
    assert "before the vertebroplasty or fixation of 22 May 2024" in text, text


def test_an_old_full_date_operation_is_not_the_index_when_a_month_dated_one_may_be():
    """An osteoporotic vertebroplasty of 2019 and one dated Apr 2024 alone (the metastasis's):
    the 2019 one is not taken as the index (it is before the metastasis, and a later one is
    recorded); no index can be placed, and both are named."""
    result = _outcome_of(
        procedure("old", "22511", "L3", when="2019-03-10T10:00:00Z"),
        procedure("vpa", "22511", "T12", when="2024-04"),
        now="2025-01-01T09:00:00Z",
    )
    assert outcome_view(result) is None
    assert [i for i in result.issues if i.resource == "Procedure/vpa"]
    assert not any("no later one is recorded" in i.diagnostics for i in result.issues)


def test_a_procedure_dated_by_the_year_of_the_index_may_be_earlier_and_blocks_it():
    result = _outcome_of(
        procedure("vpy", "22511", "L1", when="2024"), procedure("vp", "22511", "T12")
    )
    assert outcome_view(result) is None


def test_a_course_that_may_precede_the_procedure_is_never_said_to_follow_it_in_the_summary():
    view = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"), procedure("rt", "77373", "L2", when="2024-05"),
        measurement("pain-7d", PAIN, 3, when="2024-05-29T09:00:00Z"),
    ))  # fmt: skip
    assert view is not None and "then" not in view.headline, view.headline


def test_the_card_names_the_index_a_same_month_procedure_may_duplicate_without_its_id():
    result = _outcome_of(
        procedure("vpm", "22511", "T12", when="2024-05"), procedure("vp", "22511", "T12")
    )
    text = "\n".join(c.detail or "" for c in score_cards(decide(result), "h"))
    assert "the vertebroplasty or fixation of 22 May 2024" in text, text


def test_a_procedure_dated_by_a_later_year_leaves_the_index_standing():
    result = _outcome_of(
        procedure("vp", "22511", "T12"), procedure("vpy", "22511", "L1", when="2025"),
        now="2025-06-01T09:00:00Z",
    )  # fmt: skip
    view = outcome_view(result)
    assert view is not None and view.procedure.startswith("vertebroplasty at T12 on 22 May 2024")
    assert not [i for i in result.issues if "may be the first" in i.diagnostics]


def test_the_outcome_cards_summary_keeps_the_result_when_the_courses_are_long():
    """Seven treated levels, a later course at all of them and one elsewhere: the summary was
    cut before "pain 2 at 3 months". The courses give way (runs of levels, then a count); the
    result stays."""
    levels = ("T9", "T10", "T11", "T12", "L1", "L2", "L3")
    femur = procedure("rtf", "77373", when="2024-07-10T10:00:00Z")
    femur["bodySite"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "71341001",
                                      "display": "Bone structure of femur"}]}]  # fmt: skip
    extra = (
        *(condition(f"m-{lv}", "C79.51", level=lv) for lv in levels),
        procedure("vp", "22511", *levels),
        procedure("rt", "77373", *levels, when="2024-07-03T10:00:00Z"),
        femur,
        measurement("pain-3m", PAIN, 2, when="2024-08-20T09:00:00Z"),
    )
    result = _outcome_of(*extra)
    [card] = [c for c in score_cards(decide(result), "h")
              if c.source.topic and c.source.topic.code == "outcome-trajectory"]  # fmt: skip
    assert "pain 2 at 3 months" in card.summary, card.summary
    assert len(card.summary) <= 139


_FEMUR = [{"coding": [{"system": "http://snomed.info/sct", "code": "71341001",
                       "display": "Bone structure of femur"}]}]  # fmt: skip
_THAT_DAY = "2024-05-22T15:00:00Z"  # the index vertebroplasty's day (10:00), later that day


def _at_femur(course: dict) -> dict:
    return {**course, "bodySite": _FEMUR}


@pytest.mark.parametrize(
    ("course", "procedure_"),
    [
        # a course elsewhere that day is named beside the index, never made part of it, never hidden
        (_at_femur(procedure("rt", "77373", when=_THAT_DAY)),
         "vertebroplasty at T12 on 22 May 2024 (also that day: radiotherapy outside the spine)"),
        (procedure("rt", "77373", "L1", when=_THAT_DAY),
         "vertebroplasty at T12 on 22 May 2024 (also that day: radiotherapy at L1)"),
        # radiotherapy at the index's level, or with no level recorded, is part of it
        (procedure("rt", "77373", "T12", when=_THAT_DAY),
         "vertebroplasty and radiotherapy at T12 on 22 May 2024"),
        (procedure("rt", "77373", when=_THAT_DAY),
         "vertebroplasty and radiotherapy at T12 on 22 May 2024"),
        # a fixation that day is an index procedure wherever its screws are
        (procedure("fx", "22842", "T11", "L1", when=_THAT_DAY),
         "vertebroplasty and fixation at T12 on 22 May 2024"),
    ],
)  # fmt: skip
def test_a_course_on_the_index_day_is_part_of_the_index_or_named_beside_it(course, procedure_):
    view = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"), course,
        measurement("pain-3m", PAIN, 2, when="2024-08-20T09:00:00Z"),
    ))  # fmt: skip
    assert view is not None
    assert view.procedure == procedure_
    assert view.headline.startswith(f"After {procedure_}: pain 2 at 3 months"), view.headline


def test_many_courses_on_the_index_day_are_counted_before_the_result_is_lost():
    elsewhere = [
        procedure(f"rt{n}", "77373", level, when=_THAT_DAY)
        for n, level in enumerate(("C3", "C5", "T2", "T4", "L3", "L5", "S1"))
    ]
    view = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"), *elsewhere,
        measurement("pain-3m", PAIN, 2, when="2024-08-20T09:00:00Z"),
    ))  # fmt: skip
    assert view is not None
    assert "radiotherapy at S1" in view.procedure
    assert view.headline.startswith(
        "After vertebroplasty at T12 on 22 May 2024 (also that day: 7 courses): pain 2 at 3 months"
    ), view.headline


def _no_outcome_cards(*resources):
    data = patient_records(list(resources), "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-11-01T09:00:00Z"))
    cards = score_cards(decide(result), "h")
    return [c for c in cards if c.summary.startswith("No outcome trajectory")], cards


def test_a_card_says_why_there_is_no_outcome_trajectory():
    """A vertebroplasty dated by its month alone places no time point: without a card saying so,
    the missing outcome card would be silent, and its reason sat under the SINS card's issues."""
    [card], cards = _no_outcome_cards(
        *default_patient(extra=(procedure("vp", "22511", "T12", when="2024-04"),))
    )
    assert card.indicator == "info"
    assert card.summary == (
        "No outcome trajectory: the vertebroplasty or fixation dated Apr 2024 alone has no day "
        "to count the time points from — record it"
    )
    detail = card.detail or ""
    assert "dated Apr 2024 alone (its month)" in detail and "Procedure/vp" not in detail
    assert card is cards[-1]  # where the outcome card would stand


def test_the_card_says_why_there_is_no_outcome_trajectory_without_a_spinal_lesion_too():
    [card], _ = _no_outcome_cards(
        *default_patient(drop=("met-t12",), extra=(procedure("vp", "22511", when="2024"),))
    )
    assert "dated 2024 alone" in card.summary


def test_no_such_card_when_the_outcome_card_stands_or_no_procedure_is_recorded():
    assert _no_outcome_cards(*default_patient(extra=(procedure("vp", "22511", "T12"),)))[0] == []
    assert _no_outcome_cards(*default_patient())[0] == []


def _femur_coded_only(course: dict) -> dict:
    return {**course, "bodySite": [{"coding": [{"system": "http://snomed.info/sct",
                                                "code": "71341001"}]}]}  # fmt: skip


def test_a_course_at_a_coded_site_not_a_vertebra_is_never_part_of_the_index():
    """A femur in codes alone (no words): not the metastasis's, so not part of the index, and
    named by its site."""
    view = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"),
        _femur_coded_only(procedure("rt", "77373", when=_THAT_DAY)),
    ))  # fmt: skip
    assert view is not None
    assert view.procedure.startswith("vertebroplasty at T12 on 22 May 2024 (also that day: ")
    assert "(also that day: radiotherapy at Bone structure of femur)" in view.procedure


def test_radiotherapy_at_the_level_a_same_day_fixation_spans_is_part_of_the_index():
    view = outcome_view(_outcome_of(
        procedure("fx", "22842", "T11", "L1"), procedure("rt", "77373", "T12", when=_THAT_DAY),
    ))  # fmt: skip
    assert view is not None
    assert "also that day" not in view.procedure and "fixation and radiotherapy" in view.procedure


def _separation_and_many_courses() -> tuple[dict, ...]:
    """Vertebroplasty, screws and decompression at T12 on the index day, seven courses elsewhere
    that day, three later ones, and a pain score at 3 months."""
    return (
        procedure("vp", "22511", "T12"), procedure("fx", "22842", "T11", "L1", when=_THAT_DAY),
        procedure("dc", "63003", "T12", when=_THAT_DAY),
        *(procedure(f"rt{n}", "77373", lv, when=_THAT_DAY)
          for n, lv in enumerate(("C3", "C5", "T2", "T4", "L3", "L5", "S1"))),
        *(procedure(f"later{n}", "77373", "T12", when=f"2024-0{m}-0{n + 1}T10:00:00Z")
          for n, m in enumerate((6, 7, 8))),
        measurement("pain-3m", PAIN, 2, when="2024-08-20T09:00:00Z"),
    )  # fmt: skip


def test_the_summary_never_cuts_its_first_result_however_many_courses_there_are():
    data = patient_records(default_patient(extra=_separation_and_many_courses()), "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time("2024-11-01T09:00:00Z"))
    [card] = [c for c in score_cards(decide(result), "h") if c.summary.startswith("After")]
    assert "pain 2 at 3 months" in card.summary, card.summary
    assert "(+7 that day, +3 later)" in card.summary, card.summary


def test_the_page_names_the_index_procedure_as_the_card_does():
    result = _outcome_of(
        procedure("vp", "22511", "T12"), procedure("rt", "77373", "L1", when=_THAT_DAY)
    )
    page = patient_body(decide(result))
    assert "vertebroplasty at T12 on 22 May 2024 (also that day: radiotherapy at L1)" in page, page[
        page.find("After the procedure") :
    ][:400]


def test_the_last_fallback_of_the_summary_keeps_the_level():
    view = outcome_view(_outcome_of(*_separation_and_many_courses()))
    assert view is not None
    assert view.headline.startswith("After index procedure at T12 on 22 May 2024 (+7 that day"), (
        view.headline
    )


def test_two_blocked_procedures_of_one_month_are_counted_and_named_once():
    [card], _ = _no_outcome_cards(*default_patient(extra=(
        procedure("vp", "22511", "T12", when="2024-04"),
        procedure("vp2", "22511", "T12", when="2024-04"),
    )))  # fmt: skip
    assert card.summary.startswith(
        "No outcome trajectory: 2 vertebroplasties or fixations dated Apr 2024 alone have no day"
    )
    lines = (card.detail or "").splitlines()
    assert len(lines) == len(set(lines))


def test_several_coded_sites_are_named_briefly():
    ribs = procedure("rt", "77373", when=_THAT_DAY)
    ribs["bodySite"] = [{"coding": [{"system": "http://snomed.info/sct", "code": code}]}
                        for code in ("71341001", "85050009", "113197003")]  # fmt: skip
    view = outcome_view(_outcome_of(procedure("vp", "22511", "T12"), ribs))
    assert view is not None
    assert "(also that day: radiotherapy at Bone structure of femur and 2 other sites)" in (
        view.procedure
    ), view.procedure


def test_blocked_procedures_at_two_levels_are_each_named_by_their_kind_and_level():
    """Two month-dated procedures at T12 and L1 read as one line with no level: the clinician
    could not tell which records to date."""
    [card], _ = _no_outcome_cards(*default_patient(extra=(
        procedure("vp", "22511", "T12", when="2024-05"),
        procedure("fx", "22842", "L1", when="2024-05"),
    )))  # fmt: skip
    lines = (card.detail or "").splitlines()
    assert len(lines) == 2, lines
    assert any("vertebroplasty at T12 dated May 2024 alone" in line for line in lines), lines
    assert any("fixation at L1 dated May 2024 alone" in line for line in lines), lines


def test_three_months_never_cut_the_no_outcome_summary_s_action():
    [card], _ = _no_outcome_cards(*default_patient(extra=tuple(
        procedure(f"vp{m}", "22511", "T12", when=f"2024-0{m}") for m in (5, 6, 7)
    )))  # fmt: skip
    assert card.summary.startswith("No outcome trajectory: 3 vertebroplasties or fixations"), (
        card.summary
    )
    assert card.summary.endswith("— record their days"), card.summary
    assert "…" not in card.summary and len(card.summary) <= 140


def test_a_course_at_the_femur_and_at_a_site_not_understood_is_named_beside_the_index():
    """One site known to be no vertebra and one the maps do not know: never placed at the
    index's level as if it were the metastasis's; both sites said."""
    course = procedure("rt", "77373", when=_THAT_DAY)
    course["bodySite"] = [*_FEMUR, {"coding": [{"system": "http://snomed.info/sct",
                                                "code": "99999003", "display": "Hip region"}]}]  # fmt: skip
    view = outcome_view(_outcome_of(procedure("vp", "22511", "T12"), course))
    assert view is not None
    assert view.procedure == (
        "vertebroplasty at T12 on 22 May 2024 (also that day: radiotherapy at Bone structure of "
        "femur and Hip region (SNOMED CT 99999003 not understood))"
    ), view.procedure


def _sited(course: dict, *sites: dict) -> dict:
    return {**course, "bodySite": list(sites)}


_T13 = {"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/vertebra", "code": "T13"}]}


def test_a_blocked_procedure_whose_level_is_not_a_vertebra_code_says_what_its_bodysite_holds():
    """ "(level not recorded)" told the clinician there was nothing to record where there was
    something to correct: words, a code that does not exist."""
    [card], _ = _no_outcome_cards(*default_patient(extra=(
        _sited(procedure("vp", "22511", when="2024-05"), {"text": "T12 vertebral body"}),
        _sited(procedure("vp2", "22511", when="2024-05"), _T13),
    )))  # fmt: skip
    detail = card.detail or ""
    assert "a vertebroplasty (bodySite 'T12 vertebral body' in words only) dated May 2024" in detail
    assert "a vertebroplasty (vertebra code 'T13' does not exist) dated May 2024" in detail
    assert "level not recorded" not in detail


def test_a_course_at_the_femur_beside_a_vertebra_code_that_does_not_exist_is_named_beside():
    view = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"),
        _sited(procedure("rt", "77373", when=_THAT_DAY), *_FEMUR, _T13),
    ))  # fmt: skip
    assert view is not None
    assert view.procedure == (
        "vertebroplasty at T12 on 22 May 2024 (also that day: radiotherapy at Bone structure of "
        "femur and vertebra code 'T13' does not exist)"
    ), view.procedure


def test_a_bodysite_in_words_beside_the_femur_is_said_or_if_spinal_keeps_the_course_at_the_index():
    hip = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"),
        _sited(procedure("rt", "77373", when=_THAT_DAY), *_FEMUR, {"text": "left hip"}),
    ))  # fmt: skip
    assert hip is not None
    assert hip.procedure.endswith(
        "(also that day: radiotherapy at Bone structure of femur and 'left hip' in words only)"
    ), hip.procedure
    spine = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"),
        _sited(procedure("rt", "77373", when=_THAT_DAY), *_FEMUR, {"text": "T12 vertebral body"}),
    ))  # fmt: skip
    assert spine is not None
    assert spine.procedure == "vertebroplasty and radiotherapy at T12 on 22 May 2024", (
        spine.procedure
    )


def test_an_index_procedure_sited_in_words_says_so_in_its_treated_level_issue():
    result = _outcome_of(
        _sited(procedure("vp", "22511"), {"text": "L1 vertebral body"}),
    )
    said = " ".join(i.diagnostics for i in result.outcome_issues)
    assert "bodySite 'L1 vertebral body' in words only" in said, said
    assert "names no level (bodySite)" not in said


def test_a_barthel_recorded_but_not_read_is_said_on_the_outcome_card_itself():
    """Totals of the 0–20 version (12, 18) are refused; the card read "Barthel not recorded" and
    the reason sat only under the SINS card's input issues."""
    result = _outcome_of(
        procedure("vp", "22511", "T12"),
        measurement("b0", BARTHEL, 12, when="2024-05-20T09:00:00Z"),
        measurement("b3", BARTHEL, 18, when="2024-08-20T09:00:00Z"),
        measurement("pain-3m", PAIN, 2, when="2024-08-20T09:00:00Z"),
    )
    [card] = [c for c in score_cards(decide(result), "h")
              if c.source.topic and c.source.topic.code == "outcome-trajectory"]  # fmt: skip
    assert "Barthel recorded, not used" in card.summary, card.summary
    assert "Barthel not recorded" not in card.summary
    detail = card.detail or ""
    assert "Barthel Index 12 is not a multiple of 5" in detail, detail
    assert "Observation/b0" not in detail  # cards drop ids (contract §4 v3)


def test_barthel_totals_that_all_fit_the_0_to_20_version_are_flagged_as_perhaps_on_that_scale():
    """10 → 20 on the 0–20 version is dependent → independent; read as the 100-point index it is
    "very dependent, barely changed", with no word of doubt."""
    result = _outcome_of(
        procedure("vp", "22511", "T12"),
        measurement("b0", BARTHEL, 10, when="2024-05-20T09:00:00Z"),
        measurement("b3", BARTHEL, 20, when="2024-08-20T09:00:00Z"),
    )
    view = outcome_view(result)
    assert view is not None
    assert any("20 or less" in n and "0–20 version" in n for n in view.notes), view.notes
    wide = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"),
        measurement("b0", BARTHEL, 10, when="2024-05-20T09:00:00Z"),
        measurement("b3", BARTHEL, 45, when="2024-08-20T09:00:00Z"),
    ))  # fmt: skip
    assert wide is not None and not any("20 or less" in n for n in wide.notes)


def test_a_site_the_maps_do_not_know_is_cited_by_the_record_s_own_words_with_its_code():
    course = procedure("rt", "77373", when=_THAT_DAY)
    course["bodySite"] = [*_FEMUR, {"coding": [{"system": "http://snomed.info/sct",
                                                "code": "99999003", "display": "Hip region"}]}]  # fmt: skip
    view = outcome_view(_outcome_of(procedure("vp", "22511", "T12"), course))
    assert view is not None
    assert "and Hip region (SNOMED CT 99999003 not understood))" in view.procedure, view.procedure


def test_other_sites_counted_say_how_many_the_maps_do_not_read():
    course = _sited(
        procedure("rt", "77373", when=_THAT_DAY), *_FEMUR,
        {"coding": [{"system": "http://snomed.info/sct", "code": "99999003"}]},
        {"coding": [{"system": "http://snomed.info/sct", "code": "99999011"}]},
    )  # fmt: skip
    view = outcome_view(_outcome_of(procedure("vp", "22511", "T12"), course))
    assert view is not None
    # two codes the maps do not read, with no words: they may be vertebrae, never "outside the
    # spine" from the femur's words alone
    assert "outside the spine" not in view.procedure
    assert "radiotherapy at Bone structure of femur and 2 other sites, 2 not read)" in (
        view.procedure
    ), view.procedure


def test_a_barthel_recorded_by_its_month_alone_is_recorded_not_used_and_a_lone_old_20_is_not_flagged():
    view = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"),
        measurement("b0", BARTHEL, 60, when="2024-05"),
        measurement("old", BARTHEL, 20, when="2022-01-10T09:00:00Z"),  # in no window
    ))  # fmt: skip
    assert view is not None
    assert "Barthel recorded, not used" in view.headline, view.headline
    assert not any("20 or less" in n for n in view.notes), view.notes


def _femur_course_beside(words: str) -> str:
    view = outcome_view(_outcome_of(
        procedure("vp", "22511", "T12"),
        _sited(procedure("rt", "77373", when=_THAT_DAY), *_FEMUR, {"text": words}),
    ))  # fmt: skip
    assert view is not None
    return view.procedure


@pytest.mark.parametrize("words", ["Th12 body", "T-12", "T 12", "BWK 12"])
def test_words_naming_a_level_in_other_notations_keep_a_course_at_the_index(words):
    said = _femur_course_beside(words)
    assert said == "vertebroplasty and radiotherapy at T12 on 22 May 2024", said


@pytest.mark.parametrize("words", ["D1 lesion of the hand", "rib 7, D2 finger"])
def test_a_finger_in_words_beside_the_femur_is_no_spinal_level(words):
    said = _femur_course_beside(words)
    assert "(also that day: radiotherapy at Bone structure of femur and" in said, said


def test_spinal_words_as_the_display_of_a_code_not_read_keep_a_course_at_the_index():
    course = _sited(
        procedure("rt", "77373", when=_THAT_DAY), *_FEMUR,
        {"coding": [{"system": "http://snomed.info/sct", "code": "99999003",
                     "display": "T12 vertebral body"}]},
    )  # fmt: skip
    view = outcome_view(_outcome_of(procedure("vp", "22511", "T12"), course))
    assert view is not None
    assert view.procedure == "vertebroplasty and radiotherapy at T12 on 22 May 2024", view.procedure


def test_a_preliminary_barthel_is_recorded_not_used_and_says_to_confirm_it():
    """A Barthel of status preliminary was dropped without a word: "Barthel not recorded"."""
    early = measurement("b0", BARTHEL, 60, when="2024-05-20T09:00:00Z")
    early["status"] = "preliminary"
    result = _outcome_of(procedure("vp", "22511", "T12"), early)
    view = outcome_view(result)
    assert view is not None
    assert "Barthel recorded, not used" in view.headline, view.headline
    said = " ".join(i.diagnostics for i in result.outcome_issues)
    assert "preliminary" in said and "confirm" in said, said
