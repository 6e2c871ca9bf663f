"""The procedure-check services (contract §4, §5) through the app: two services, one hook each;
the card per order, its indicator and wording. The criteria themselves: tests/unit/procedure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.records import (
    CPT,
    ICD10PCS,
    NOW,
    OPCS4,
    SNOMED,
    condition,
    default_patient,
    draft_orders,
    finding,
    order,
    site,
)
from tests.unit.cds.conftest import client_for, prefetch_for

pytestmark = pytest.mark.anyio
SIGN = "/cds-services/spinemets-procedure-check"
SELECT = "/cds-services/spinemets-procedure-check-select"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def seed_clock(monkeypatch):
    """The services compute at the time of the request: pin it to the records' NOW."""
    from adapter.cds import services
    from adapter.fhir.read.timing import parse_time

    monkeypatch.setattr(services, "now_time", lambda: parse_time(NOW))


def body(hook: str, orders, resources=None, selections=None) -> dict:
    out: dict[str, Any] = {
        "hook": hook,
        "hookInstance": "c7e2d1f0-2c4b-4a8e-9d5e-0f3b1a2c4d5e",
        "context": {"userId": "Practitioner/x", "patientId": "p", "draftOrders": draft_orders(*orders)},
        "prefetch": prefetch_for(resources if resources is not None else default_patient()),
    }  # fmt: skip
    if selections is not None:
        out["context"]["selections"] = selections
    return out


async def cards(client, path: str, payload: dict) -> list[dict]:
    response = await client.post(path, json=payload)
    assert response.status_code == 200, response.text
    return response.json()["cards"]


def statuses(card: dict, level: str) -> list[str]:
    """The status column of one level's criteria table, in criterion order."""
    lines = card["detail"].splitlines()
    start = lines.index(f"**{level}**")
    rows = [ln for ln in lines[start:] if ln.startswith("| ") and "**" in ln]
    return [row.split(" | ")[2].strip("*") for row in rows[:8]]


async def test_a_vertebroplasty_meeting_every_criterion_is_info_never_indicated(client):
    (card,) = await cards(client, SIGN, body("order-sign", [order("vp", "22510", "T12")]))
    assert card["indicator"] == "info"
    assert card["summary"] == "Vertebroplasty T12: meets the case series' selection criteria"
    assert statuses(card, "T12") == ["met"] * 8
    detail = card["detail"]
    assert "SINS 10 at T12 (potentially unstable): surgical consultation recommended" in detail
    assert "not a criterion" in detail and "revised Tokuhashi 6–13" in detail
    assert "Not checked: cardiopulmonary fitness, the patient's wishes." in detail
    assert "infection" not in detail.split("Not checked:")[1]
    assert "indicated" not in (card["summary"] + detail).replace("not an indication", "")
    # dates as clinicians read them, no resource ids (contract §4 v3)
    assert "Frankel grade: Frankel E: normal (30 May 2024)" in detail
    assert "Observation/" not in detail and "T09:00" not in detail


async def test_order_select_is_its_own_service_and_checks_the_selection(client):
    orders = [order("a", "22510", "T12"), order("b", "22513", "T12")]
    got = await cards(client, SELECT, body("order-select", orders, selections=["ServiceRequest/b"]))
    assert len(got) == 1
    wrong_hook = await client.post(SELECT, json=body("order-sign", orders))
    assert wrong_hook.status_code == 400


@pytest.mark.parametrize("user", ["Patient/p", "RelatedPerson/r"])
async def test_order_hooks_are_a_practitioner_s_and_refuse_another_user(client, user):
    for hook, path in (("order-select", SELECT), ("order-sign", SIGN)):
        payload = body(hook, [order("a", "22510", "T12")], selections=["ServiceRequest/a"])
        payload["context"]["userId"] = user
        refused = await client.post(path, json=payload)
        assert refused.status_code == 400
        assert "context.userId" in refused.json()["issue"][0]["diagnostics"]
        payload["context"]["userId"] = "PractitionerRole/x"
        assert (await client.post(path, json=payload)).status_code == 200


async def test_compression_at_the_level_is_critical_with_what_to_do_first(client):
    resources = default_patient(drop=("bilsky-t12",), extra=(
        finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-3", level="T12"),
    ))  # fmt: skip
    (card,) = await cards(
        client, SIGN, body("order-sign", [order("vp", "22510", "T12")], resources)
    )
    assert card["indicator"] == "critical"
    assert "suspected cord compression" in card["summary"]
    assert "decompression and radiotherapy first" in card["summary"]
    assert len(card["summary"]) < 140


async def test_an_order_without_a_level_asks_for_it(client):
    (card,) = await cards(client, SIGN, body("order-sign", [order("vp", "22511")]))
    assert card["indicator"] == "warning"
    assert "no level ordered" in card["summary"] and "record the level" in card["summary"]
    assert "**The order names no level**" in card["detail"]


async def test_an_order_whose_site_is_not_read_as_a_level_says_so_not_that_none_was_ordered(client):
    vp = order("vp", "22511")  # a SNOMED CT code outside the vertebra map, and its text
    vp["bodySite"] = [{"coding": [{"system": SNOMED, "code": "123037004"}], "text": "T8"}]
    (card,) = await cards(client, SIGN, body("order-sign", [vp]))
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Vertebroplasty: ordered site not read as a level (T8) — record the level as a vertebra code"
    )
    detail = card["detail"]
    assert "no level ordered" not in detail and "names no level" not in detail
    assert detail.startswith(
        "**The ordered site was not read as a level** (T8): every scored level is checked as a "
        "candidate. Record the level to treat as a vertebra code (ServiceRequest.bodySite)."
    )
    assert detail.count("T8") == 1  # named once, never read as the level T8
    # beside a level that is read, the other site is listed, in the same words
    vp["bodySite"].append(site("T12")[0])
    (card,) = await cards(client, SIGN, body("order-sign", [vp]))
    assert "Ordered sites not read as a level: T8." in card["detail"]
    # an order not recognised names its sites all the same
    spinal = order("f", "X-1", system="http://hospital.example/codes", text="Lumbar fusion")
    spinal["bodySite"] = [{"text": "L2-L3"}]
    (card,) = await cards(client, SIGN, body("order-sign", [spinal]))
    assert "Ordered sites not read as a level: L2-L3." in card["detail"]


VERTEBRA = "http://spinemets.org/fhir/CodeSystem/vertebra"
NOT_READ_L1 = "ordered site not read as a level (L1) — record the level as a vertebra code"


@pytest.mark.parametrize(
    ("extra", "summary"),
    [
        # a second bodySite in words only, beside a coded one
        ({"text": "L1"}, f"Vertebroplasty T12: {NOT_READ_L1}"),
        # a second bodySite that names a region, not a vertebra
        ({"coding": [{"system": SNOMED, "code": "122496007"}]},
         "Vertebroplasty T12: ordered site not read as a level (Lumbar spine structure names no "
         "spinal level) — record the level as a vertebra code"),
    ],
)  # fmt: skip
async def test_a_site_not_read_beside_a_read_level_is_never_info(client, extra, summary):
    """An ordered site the check did not judge is named, and the order is never said to meet the
    criteria: part of it was never checked (contract §5: never guessed from missing data)."""
    vp = order("vp", "22510", "T12")
    vp["bodySite"].append(extra)
    (card,) = await cards(client, SIGN, body("order-sign", [vp]))
    assert card["indicator"] == "warning"
    assert card["summary"] == summary
    assert statuses(card, "T12") == ["met"] * 8  # the level read is still judged
    detail = card["detail"]
    assert "Not checked there: confirm the levels and record each as a vertebra code" in detail


async def test_two_levels_coded_in_one_site_are_both_judged_and_the_conflict_said(client):
    """Codings of one CodeableConcept are one concept: two vertebrae in it disagree. Both are
    judged (the L1 without a metastasis is a wrong level) and the card asks to confirm."""
    vp = order("vp", "22511")
    vp["bodySite"] = [{"coding": [{"system": VERTEBRA, "code": "T12"},
                                  {"system": VERTEBRA, "code": "L1"}], "text": "T12-L1"}]  # fmt: skip
    (card,) = await cards(client, SIGN, body("order-sign", [vp]))
    assert card["indicator"] == "warning"
    # the wrong level leads; the conflict does not fit beside it and is counted
    assert card["summary"] == (
        "Vertebroplasty T12, L1: No metastasis recorded at L1 (metastases: T12) — check the level; "
        "+3 more in the card"
    )
    assert statuses(card, "L1")[1] == "unmet"
    assert (
        "**Warning**: One ordered site (“T12-L1”) is coded both T12 and L1: the codings of a "
        "bodySite are one concept, so the order is unclear. Both levels were checked; confirm "
        "the levels and record each as its own bodySite." in card["detail"]
    )
    # with a metastasis at both, the conflict leads
    resources = default_patient(extra=(condition("met-l1", "C79.51", level="L1"),))
    (card,) = await cards(client, SIGN, body("order-sign", [vp], resources))
    assert card["indicator"] == "warning"
    assert card["summary"].startswith(
        "Vertebroplasty T12, L1: ordered site coded both T12 and L1 — confirm the levels; "
    )


async def test_a_decompression_whose_site_codes_two_vertebrae_silences_no_alarm(client):
    """Codings of one bodySite are alternatives for one concept (FHIR): a decompression coded T7
    and T8 in one site may be at either, so a Bilsky 3 at T8 is still held against the
    vertebroplasty as compression elsewhere (contract §5 v3, criterion 8; §4 v3: what cannot be
    known raises the alarm, never settles it)."""
    resources = default_patient(extra=(
        condition("met-t8", "C79.51", level="T8"),
        finding("b8", "epidural-spinal-cord-compression", "bilsky-3", level="T8"),
    ))  # fmt: skip
    decompression = order("d", "63003")
    decompression["bodySite"] = [{"coding": [{"system": VERTEBRA, "code": "T7"},
                                             {"system": VERTEBRA, "code": "T8"}]}]  # fmt: skip
    payload = body("order-sign", [order("vp", "22510", "T12"), decompression], resources)
    (card,) = await cards(client, SIGN, payload)
    assert card["indicator"] == "critical"
    assert card["summary"].startswith(
        "Vertebroplasty T12: Bilsky 3 at T8 (30 May 2024): suspected cord compression elsewhere"
    )


async def test_a_site_whose_words_name_another_level_than_its_code_is_said(client):
    """The code is read (words are never read as a level), but a level its words name instead
    is said, not dropped: it was not checked."""
    vp = order("vp", "22510", "T12")
    vp["bodySite"][0]["text"] = "L2"
    (card,) = await cards(client, SIGN, body("order-sign", [vp]))
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Vertebroplasty T12: ordered site coded T12 but named “L2” — confirm the level"
    )
    assert (
        "**Warning**: An ordered site is coded T12 but named “L2”: the level checked is the "
        "code's, T12 (words are never read as a level); what its words name was not checked. "
        "Confirm the level." in card["detail"]
    )
    # words that agree with the code, or name no level, are no conflict
    for words in ("T12", "T12 vertebral body", "Twelfth thoracic vertebra"):
        vp["bodySite"][0]["text"] = words
        (card,) = await cards(client, SIGN, body("order-sign", [vp]))
        assert card["summary"] == "Vertebroplasty T12: meets the case series' selection criteria"


async def test_a_cervical_order_is_outside_the_population_studied(client):
    resources = default_patient(extra=(condition("met-c5", "C79.51", level="C5"),))
    (card,) = await cards(client, SIGN, body("order-sign", [order("vp", "22510", "C5")], resources))
    assert statuses(card, "C5")[0] == "unmet" and "outside the population studied" in card["detail"]
    assert card["indicator"] == "warning"


@pytest.mark.parametrize(("path", "hook"), [(SIGN, "order-sign"), (SELECT, "order-select")])
async def test_a_deceased_patient_s_spine_order_warns_to_check_the_identity(client, path, hook):
    resources = default_patient()
    resources[0]["deceasedDateTime"] = "2024-05-31"
    payload = body(hook, [order("vp", "22510", "T12")], resources, selections=["ServiceRequest/vp"])
    (card,) = await cards(client, path, payload)
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Vertebroplasty T12: recorded as deceased on 31 May 2024 — check the patient's identity"
    )
    assert "| 1 |" not in card["detail"]  # no criterion judged: no recommendation
    assert "recommend" not in card["summary"] and "criteria" not in card["summary"]
    assert card["uuid"]


@pytest.mark.parametrize(("path", "hook"), [(SIGN, "order-sign"), (SELECT, "order-select")])
async def test_a_metastasis_known_by_region_counts_only_within_its_region(client, path, hook):
    # SNOMED CT 122495006 thoracic spine structure: it may be at T11, it cannot be at L1.
    met = condition("met-region", "C79.51")
    met["bodySite"] = [{"coding": [{"system": SNOMED, "code": "122495006"}]}]
    resources = default_patient(extra=(met,))
    orders = [order("a", "22510", "T11"), order("b", "22511", "L1")]
    select = ["ServiceRequest/a", "ServiceRequest/b"] if hook == "order-select" else None
    inside, outside = await cards(client, path, body(hook, orders, resources, select))
    assert inside["summary"].startswith(
        "Vertebroplasty T11: No metastasis recorded at T11 (metastases: T12, and one recorded by "
        "region only) — record its level (bodySite)"
    )
    assert statuses(inside, "T11")[1] == "unknown"
    assert outside["summary"].startswith(
        "Vertebroplasty L1: No metastasis recorded at L1 (metastases: T12, and one recorded by "
        "region only, T1–T12) — check the level"
    )
    assert statuses(outside, "L1")[1] == "unmet"


async def test_orders_this_service_does_not_check_need_no_data(client):
    payload = body("order-sign", [order("wiring", "22841", "T12"), order("x", "99213")])
    payload.pop("prefetch")
    assert await cards(client, SIGN, payload) == []


@pytest.mark.parametrize(("path", "hook", "drop"), [(SIGN, "order-sign", "draftOrders"),
                                                    (SELECT, "order-select", "selections")])  # fmt: skip
async def test_order_context_is_required(client, path, hook, drop):
    payload = body(hook, [order("vp", "22510", "T12")], selections=["ServiceRequest/vp"])
    payload["context"].pop(drop)
    assert (await client.post(path, json=payload)).status_code == 400


async def test_local_thresholds_from_the_environment_apply_to_the_check(monkeypatch, tmp_path):
    """Platelets 200 × 10⁹/L meet the consensus threshold (50) but not a local one of 250."""
    from adapter.cds.settings import load_settings
    from tests.unit.cds.conftest import client_for

    payload = body("order-sign", [order("vp", "22510", "T12")])
    monkeypatch.setenv("SPINEMETS_PLATELETS_MIN_AUGMENTATION", "250")
    async with client_for(load_settings(state_dir=tmp_path)) as local:
        (card,) = await cards(local, SIGN, payload)
    assert statuses(card, "T12")[6] == "unmet"  # criterion 7
    assert "(below 250)" in card["detail"] and card["indicator"] == "warning"


def test_an_unusable_threshold_stops_the_service_before_it_starts(monkeypatch):
    from adapter.cds.settings import load_settings
    from adapter.errors import ConfigurationError

    monkeypatch.setenv("SPINEMETS_INR_MAX", "high")
    with pytest.raises(ConfigurationError, match="SPINEMETS_INR_MAX"):
        load_settings()


# --- contract §5 v3: every order, named ---

REASONS = "http://spinemets.org/fhir/CodeSystem/override-reason"


@pytest.mark.parametrize(
    ("system", "code", "name"),
    [(CPT, "22523", "Kyphoplasty"), (SNOMED, "392010000", "Vertebroplasty"),
     (ICD10PCS, "0PU43JZ", "Vertebroplasty/kyphoplasty"), (OPCS4, "V44.4", "Vertebroplasty")],
)  # fmt: skip
async def test_an_order_in_any_code_system_gets_its_card(client, system, code, name):
    payload = body("order-sign", [order("o", code, "T12", system=system)])
    (card,) = await cards(client, SIGN, payload)
    assert card["summary"] == f"{name} T12: meets the case series' selection criteria"


async def test_two_orders_in_one_request_get_two_named_cards(client):
    resources = default_patient(extra=(
        condition("met-l2", "C79.51", level="L2"),
        finding("bilsky-l2", "epidural-spinal-cord-compression", "bilsky-0", level="L2"),
    ))  # fmt: skip
    orders = [order("a", "22510", "T12"), order("b", "22511", "L1")]
    a, b = await cards(client, SIGN, body("order-sign", orders, resources))
    assert a["summary"] == "Vertebroplasty T12: meets the case series' selection criteria"
    assert b["summary"].startswith(
        "Vertebroplasty L1: No metastasis recorded at L1 (metastases: T12, L2) — check the level"
    )
    assert a["uuid"] != b["uuid"]


async def test_two_identical_orders_are_told_apart(client):
    orders = [order("a", "22510", "T12"), order("b", "22510", "T12")]
    a, b = await cards(client, SIGN, body("order-sign", orders))
    assert a["summary"].startswith("Duplicate order 1 of 2 — Vertebroplasty T12: ")
    assert b["summary"].startswith("Duplicate order 2 of 2 — Vertebroplasty T12: ")


async def test_an_unrecognised_spine_order_is_never_silent(client):
    spinal = order("f", "LOC-77", "L2", system="http://hospital.example/codes",
                   text="Posterior lumbar interbody fusion with cage and bone graft, two levels")  # fmt: skip
    (card,) = await cards(client, SIGN, body("order-sign", [spinal]))
    assert card["indicator"] == "info"
    summary = card["summary"]
    assert len(summary) < 140 and summary.endswith("…")
    assert summary.startswith("Posterior lumbar interbody fusion")
    assert summary[:-1].endswith("spine procedure not recognised — level criteria not checked")
    assert (
        "**Patient-wide criteria**" in card["detail"]
        and "| 9 | No active infection" in card["detail"]
    )


async def test_a_local_code_is_checked_with_the_site_s_map(tmp_path):
    from adapter.cds.settings import load_settings
    from adapter.mapping.terminology import load_terminology
    from tests.unit.cds.conftest import client_for
    from tests.unit.procedure.test_recognition import LOCAL, local_map

    term = load_terminology(local_map=local_map(tmp_path, {"VP": (CPT, "22510")}))
    payload = body("order-sign", [order("o", "VP", "T12", system=LOCAL)])
    async with client_for(load_settings(state_dir=tmp_path), terminology=term) as local:
        (card,) = await cards(local, SIGN, payload)
    assert card["summary"] == "Vertebroplasty T12: meets the case series' selection criteria"


async def test_cards_offer_override_reasons_and_feedback_takes_them(client, settings):
    from adapter.cds.feedback import FeedbackStore

    (card,) = await cards(client, SIGN, body("order-sign", [order("vp", "22510", "T12")]))
    offered = card["overrideReasons"]
    assert [r["display"] for r in offered] == [
        "Criteria reviewed by the spine team",
        "Patient informed and consents to the risk",
        "Data in the record are wrong",
    ]
    assert {r["system"] for r in offered} == {REASONS}
    item = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2024-06-01T09:05:00Z",
            "overrideReason": {"reason": offered[0], "userComment": "MDT 31 May"}}  # fmt: skip
    response = await client.post(f"{SIGN}/feedback", json={"feedback": [item]})
    assert response.status_code == 200
    (count,) = FeedbackStore(settings.feedback_path).counts()
    assert (count.card, count.overridden, count.reasons) == (
        card["uuid"],
        1,
        {"spine-team-reviewed": 1},
    )


async def test_the_check_reads_completed_treatments_radiotherapy_and_fixation(client):
    """Procedures are in the check's prefetch: a fixation done at T12 means cement is not alone,
    and radiotherapy to T12 within 90 days is named."""
    from tests.support.records import procedure
    from tests.unit.procedure.test_verdicts import SINS_14

    done = (procedure("psf", "22842", "T11", "T12", "L1", when="2024-04-01T09:00:00Z"),
            procedure("sbrt", "77373", "T12", when="2024-04-20T09:00:00Z"))  # fmt: skip
    resources = default_patient(sins=SINS_14, extra=done)
    (card,) = await cards(
        client, SIGN, body("order-sign", [order("vp", "22510", "T12")], resources)
    )
    assert "unstable" not in card["summary"]
    assert "- SBRT T12 on 20 Apr 2024 — wound and fracture risk." in card["detail"]


async def test_an_ir_vertebroplasty_ordered_in_the_imaging_category_is_never_silent(client):
    """Epic-style IR order: a local code, the words in its display, category imaging (§5 v3).
    Judged by the patient-wide criteria: Frankel C makes it critical."""
    from tests.support.records import finding

    epic = "urn:oid:1.2.840.114350.1.13.0.1.7.2.696580"
    ir = order("ir", "IMG5012", "T12", system=epic, display="IR VERTEBROPLASTY LUMBAR",
               category="363679005")  # fmt: skip
    frankel_c = finding("frankel", "frankel-grade", "frankel-c")
    resources = default_patient(drop=("frankel",), extra=(frankel_c,))
    (card,) = await cards(client, SIGN, body("order-sign", [ir], resources))
    assert card["summary"].startswith("IR VERTEBROPLASTY LUMBAR")
    assert card["indicator"] == "critical"
    (plain,) = await cards(client, SIGN, body("order-sign", [ir]))
    assert "spine procedure not recognised" in plain["summary"]


async def test_a_vertebroplasty_whose_words_name_its_guidance_is_never_silent(client):
    """ "Under CT", "(CT)", "with imaging" say how the procedure is guided, not that the order is
    a study (§5 v3): judged by the patient-wide criteria, Frankel C makes it critical."""
    frankel_c = finding("frankel", "frankel-grade", "frankel-c")
    resources = default_patient(drop=("frankel",), extra=(frankel_c,))
    for text in ("Vertebroplasty T12 under CT", "Kyphoplasty with imaging", "IR cementoplasty T12"):
        ir = order("ir", "IMG123", "T12", system="http://hospital.example/orders", text=text,
                   category="363679005")  # fmt: skip
        (card,) = await cards(client, SIGN, body("order-sign", [ir], resources))
        assert card["summary"].startswith(text)
        assert card["indicator"] == "critical"
        assert "**Spine procedure not recognised**" in card["detail"]


async def test_an_x_ray_after_a_kyphoplasty_is_a_study_not_the_procedure(client):
    """An antithrombotic on the list made the radiograph's card a warning with the bleeding table;
    a study about a procedure gets no procedure card at all (§5 v3: imaging orders are not)."""
    resources = _anticoagulated({"medicationCodeableConcept": {"text": "enoxaparin 40 mg SC"}})
    for text in ("XR spine post kyphoplasty", "XR lumbar spine pre vertebroplasty",
                 "Fluoroscopy for vertebroplasty"):  # fmt: skip
        xr = order("xr", "IMG124", "T12", system="http://hospital.example/orders", text=text,
                   category="363679005")  # fmt: skip
        assert await cards(client, SIGN, body("order-sign", [xr], resources)) == []


# --- requests the check cannot read: refused or named, never silence


async def test_an_order_check_on_a_prefetch_about_another_patient_is_refused(client):
    payload = body("order-sign", [order("vp", "22510", "T12")])
    payload["context"]["patientId"] = "other"
    payload["context"]["draftOrders"] = draft_orders(order("vp", "22510", "T12", subject="other"))
    response = await client.post(SIGN, json=payload)
    assert response.status_code == 400
    said = response.json()["issue"][0]["diagnostics"]
    assert "prefetch 'patient'" in said and "context.patientId" in said


async def test_a_draft_order_about_another_patient_is_refused(client):
    """An order for one patient is never checked against another's record."""
    payload = body("order-sign", [order("vp", "22510", "T12", subject="q")])
    response = await client.post(SIGN, json=payload)
    assert response.status_code == 400
    said = response.json()["issue"][0]["diagnostics"]
    assert "context.draftOrders" in said and "ServiceRequest/vp" in said
    assert "Patient/q" in said and "context.patientId" in said


def _malformed(code: Any) -> dict:
    out = order("vp", "22510", "T12")
    out["code"] = code
    return out


@pytest.mark.parametrize(
    ("code", "reason"),
    [("Vertebroplasty T12", "its code is a string, not a CodeableConcept"),
     ([{"coding": [{"system": CPT, "code": "22511"}]}], "its code is a list, not a CodeableConcept"),
     ({"coding": {"system": CPT, "code": "22511"}}, "its code.coding is an object, not a list"),
     ({"coding": [{"system": CPT, "code": 22511}]}, "a code.coding entry's code is a number, not a string"),
     ({}, "its code holds no coding and no text")],
)  # fmt: skip
async def test_a_draft_order_whose_code_cannot_be_read_is_named_not_silent(client, code, reason):
    """Whether it is a spine procedure cannot be told: a warning says the order was not checked
    and why, with no criterion judged and no patient data needed."""
    payload = body("order-sign", [_malformed(code)])
    payload.pop("prefetch")
    (card,) = await cards(client, SIGN, payload)
    assert card["indicator"] == "warning"
    assert card["summary"] == f"Draft order not read ({reason}) — not checked as a spine procedure"
    assert len(card["summary"]) < 140
    assert reason in card["detail"] and "| 1 |" not in card["detail"]
    assert "ServiceRequest/" not in card["detail"]  # no resource ids on a card
    assert card["uuid"] and card["overrideReasons"]


async def test_an_unreadable_order_beside_a_spine_order_gets_its_own_card(client):
    orders = [order("a", "22510", "T12"), _malformed("Kyphoplasty L1")]
    a, b = await cards(client, SIGN, body("order-sign", orders))
    assert a["summary"] == "Vertebroplasty T12: meets the case series' selection criteria"
    assert b["summary"].startswith("Draft order not read (its code is a string")
    assert "Kyphoplasty L1" in b["detail"]  # how the EHR sent it: the clinician can tell which
    assert a["uuid"] != b["uuid"]


async def test_an_unreadable_order_outside_the_selection_stays_silent(client):
    payload = body("order-select", [order("a", "22510", "T12"), _malformed("x")],
                   selections=["ServiceRequest/a"])  # fmt: skip
    (card,) = await cards(client, SELECT, payload)
    assert card["summary"].startswith("Vertebroplasty T12")


@pytest.mark.parametrize(
    ("status", "reason"),
    [(None, "its status is missing"), ({"code": "draft"}, "its status is an object, not a string"),
     (1, "its status is a number, not a string")],
)  # fmt: skip
async def test_an_order_without_a_readable_status_is_named(client, status, reason):
    """FHIR requires a status; without one it cannot be told whether the order is being made, so
    it is named as not read, never passed over in silence."""
    vp = order("vp", "22510", "T12")
    vp.pop("status")
    if status is not None:
        vp["status"] = status
    (card,) = await cards(client, SIGN, body("order-sign", [vp]))
    assert card["indicator"] == "warning"
    assert card["summary"] == f"Draft order not read ({reason}) — not checked as a spine procedure"
    assert reason in card["detail"] and "| 1 |" not in card["detail"]
    assert "ServiceRequest.status" in card["detail"]
    # beside it, an order that is read is checked as usual; an order that is no spine procedure
    # (a blood count) says nothing, whatever its status
    blood = order("fbc", "58410-2", system="http://loinc.org")
    blood.pop("status")
    payload = body("order-sign", [order("a", "22510", "T12"), vp, blood])
    checked, named = await cards(client, SIGN, payload)
    assert checked["summary"] == "Vertebroplasty T12: meets the case series' selection criteria"
    assert named["summary"] == card["summary"]


async def test_a_partly_malformed_code_that_still_names_a_spine_procedure_is_checked(client):
    payload = body(
        "order-sign", [_malformed({"coding": ["22510", {"system": CPT, "code": "22510"}]})]
    )
    (card,) = await cards(client, SIGN, payload)
    assert card["summary"] == "Vertebroplasty T12: meets the case series' selection criteria"


# --- an antithrombotic as EHRs send it (contract §5 criterion 7, §2 v3) ----------------------

_RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
_APIXABAN = {"coding": [{"system": _RX, "code": "1364445", "display": "apixaban 5 MG Oral Tablet"}]}


def _anticoagulated(medication: dict) -> list[dict]:
    request = {
        "resourceType": "MedicationRequest", "id": "m", "status": "active", "intent": "order",
        "subject": {"reference": "Patient/p"}, "authoredOn": "2024-05-20T09:00:00Z", **medication,
    }  # fmt: skip
    return default_patient(extra=(request,))


@pytest.mark.parametrize(
    ("medication", "named"),
    [
        ({"contained": [{"resourceType": "Medication", "id": "m1", "code": _APIXABAN}],
          "medicationReference": {"reference": "#m1"}}, "apixaban 5 MG Oral Tablet"),
        ({"medicationCodeableConcept": {"text": "enoxaparin 40 mg SC once daily"}},
         "enoxaparin 40 mg SC once daily"),
        ({"medicationCodeableConcept": {"coding": [
            {"system": _RX, "code": "1364447", "display": "Eliquis 5 MG Oral Tablet"}]}},
         "Eliquis 5 MG Oral Tablet"),
    ],
    ids=["contained", "text only", "brand"],
)  # fmt: skip
async def test_an_antithrombotic_as_ehrs_send_it_is_never_said_to_meet_the_criteria(
    client, medication, named
):
    payload = body("order-sign", [order("vp", "22510", "T12")], _anticoagulated(medication))
    (card,) = await cards(client, SIGN, payload)
    assert card["indicator"] == "warning"
    assert (
        card["summary"] == "Vertebroplasty T12: antithrombotic active — check when it was stopped"
    )
    assert "meets the case series' selection criteria" not in card["summary"]
    row = next(ln for ln in card["detail"].splitlines() if ln.startswith("| 7 "))
    assert "**unknown**" in row and named in row


async def test_a_medication_the_searchset_includes_is_read_with_the_request_it_names(client):
    # What `_include=MedicationRequest:medication` adds to the prefetch the EHR fills.
    resources = _anticoagulated({"medicationReference": {"reference": "Medication/apx"}})
    payload = body("order-sign", [order("vp", "22510", "T12")], resources)
    payload["prefetch"]["medicationRequests"]["entry"].append(
        {"resource": {"resourceType": "Medication", "id": "apx", "code": _APIXABAN},
         "search": {"mode": "include"}}
    )  # fmt: skip
    (card,) = await cards(client, SIGN, payload)
    assert card["indicator"] == "warning"
    assert "apixaban 5 MG Oral Tablet" in card["detail"]


def _without_id(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if k != "id"}


async def test_cards_of_orders_without_ids_have_distinct_uuids(client):
    # Feedback (an override reason) is keyed by the card's uuid: two orders must never share one.
    resources = default_patient(extra=(condition("met-l1", "C79.51", level="L1"),))
    first, second = _without_id(order("x", "22510", "T12")), _without_id(order("y", "22511", "L1"))
    got = await cards(client, SIGN, body("order-sign", [first, second], resources))
    assert [c["summary"].split(":")[0] for c in got] == ["Vertebroplasty T12", "Vertebroplasty L1"]
    assert len({c["uuid"] for c in got}) == 2
    again = await cards(client, SIGN, body("order-sign", [first, second], resources))
    assert [c["uuid"] for c in again] == [c["uuid"] for c in got]  # stable for the same call
    # An order with an id keeps its card's uuid wherever it stands in the request.
    named = order("vp", "22511", "L1")
    alone = await cards(client, SIGN, body("order-sign", [named], resources))
    behind = await cards(client, SIGN, body("order-sign", [first, named], resources))
    assert alone[0]["uuid"] == behind[1]["uuid"] != behind[0]["uuid"]


async def test_two_orders_with_the_same_id_get_distinct_uuids(client):
    resources = default_patient(extra=(condition("met-l1", "C79.51", level="L1"),))
    twins = [order("vp", "22510", "T12"), order("vp", "22511", "L1")]
    got = await cards(client, SIGN, body("order-sign", twins, resources))
    assert len({c["uuid"] for c in got}) == 2


async def test_an_order_not_to_perform_the_procedure_never_meets_the_criteria(client):
    dont = order("z", "22510", "T12") | {"doNotPerform": True}
    (card,) = await cards(client, SIGN, body("order-sign", [dont]))
    assert card["indicator"] == "info"
    assert card["summary"] == (
        "Vertebroplasty T12: order for it not to be done — selection criteria not checked"
    )
    assert "meets" not in card["summary"] + card["detail"]
    assert card["detail"].startswith("**An order for this procedure not to be done**")


async def test_a_combined_screws_and_cement_order_keeps_the_cement_leak_warning(client):
    grade = finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-1c", level="T12")
    combined = order("pc", "22842", "T11", "T12", "L1", text="PPSF T11-L1 with vertebroplasty T12")
    combined["code"]["coding"].append({"system": CPT, "code": "22510"})
    resources = default_patient(drop=("bilsky-t12",), extra=(grade,))
    (card,) = await cards(client, SIGN, body("order-sign", [combined], resources))
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Pedicle screw fixation with vertebroplasty T11, T12, L1: epidural tumour at T12: "
        "cement-leak risk — spine team review"
    )


# SINS 14 at T12 (junctional 3, mechanical 3, lytic 2, de novo deformity 2, collapse > 50 % 3,
# unilateral posterolateral 1): cement alone there is a warning.
_UNSTABLE_T12 = {"spinal-alignment": "de-novo-deformity", "vertebral-body-collapse": "gt-50",
                 "posterolateral-involvement": "unilateral"}  # fmt: skip


async def test_order_select_sees_the_fixation_already_in_the_basket(client):
    # The fixation is in the basket (a draft, not selected now): the cement just selected is not
    # alone, as order-sign says of the same basket.
    screws, cement = order("f", "22842", "T11", "T12", "L1"), order("v", "22510", "T12")
    resources = default_patient(sins=_UNSTABLE_T12)
    selected = await cards(client, SELECT, body("order-select", [screws, cement], resources,
                                                selections=["ServiceRequest/v"]))  # fmt: skip
    signed = await cards(client, SIGN, body("order-sign", [screws, cement], resources))
    meets = "Vertebroplasty T12: meets the case series' selection criteria"
    assert [(c["indicator"], c["summary"]) for c in selected] == [("info", meets)]
    assert [c["summary"] for c in signed if c["summary"].startswith("Vertebroplasty")] == [meets]
    # An order not to place the screws does not keep the cement company.
    dont = {**screws, "doNotPerform": True}
    alone = await cards(client, SELECT, body("order-select", [dont, cement], resources,
                                             selections=["ServiceRequest/v"]))  # fmt: skip
    assert [(c["indicator"], c["summary"]) for c in alone] == [(
        "warning", "Vertebroplasty T12: SINS 14, unstable: the case series combined cement with "
        "pedicle screw fixation",
    )]  # fmt: skip


async def test_a_local_code_for_another_region_than_its_level_is_named(tmp_path):
    from adapter.cds.settings import load_settings
    from adapter.mapping.terminology import load_terminology
    from tests.unit.cds.conftest import client_for
    from tests.unit.procedure.test_recognition import LOCAL, local_map

    term = load_terminology(local_map=local_map(tmp_path, {"VP": (CPT, "22511")}))
    payload = body("order-sign", [order("o", "VP", "T12", system=LOCAL)])
    async with client_for(load_settings(state_dir=tmp_path), terminology=term) as local:
        (card,) = await cards(local, SIGN, payload)
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Vertebroplasty T12: VP (CPT 22511, lumbosacral) ordered at T12 — check the level or the code"
    )
    assert (
        "The order's code VP (as CPT 22511) is for a lumbosacral vertebra, but the level ordered "
        "is T12 (thoracic): one of the two is wrong — check the level or the code before the "
        "procedure (wrong-level risk)."
    ) in card["detail"]


async def test_an_order_whose_do_not_perform_is_no_boolean_is_named_not_judged(client):
    """doNotPerform "true" (a string) may forbid the procedure: read as an order to do it, the
    card would say "meets". Whether it orders or forbids it cannot be told (contract §2, §5)."""
    vp = {**order("vp", "22511", "T12"), "doNotPerform": "true"}
    (card,) = await cards(client, SIGN, body("order-sign", [vp]))
    reason = "its doNotPerform is a string, not true or false"
    assert card["indicator"] == "warning"
    assert card["summary"] == f"Draft order not read ({reason}) — not checked as a spine procedure"
    assert reason in card["detail"] and "ServiceRequest.doNotPerform" in card["detail"]
    assert "meets" not in card["summary"] + card["detail"]
    # an order that is no spine procedure says nothing, whatever its doNotPerform
    blood = {**order("fbc", "58410-2", system="http://loinc.org"), "doNotPerform": "true"}
    assert await cards(client, SIGN, body("order-sign", [blood])) == []


async def test_an_ordered_site_s_words_are_quoted_within_bounds_however_long(client):
    # An EHR's free text is quoted on the card, never echoed whole: 200 KB of bodySite words
    # would make every answer that size.
    vp = {**order("vp", "22510", "T12"), "bodySite": [{"text": "T12 " * 50000}]}
    (card,) = await cards(client, SIGN, body("order-sign", [vp]))
    assert card["indicator"] == "warning"
    assert "ordered site not read as a level" in card["summary"]
    assert len(card["detail"]) < 5000 and "…" in card["detail"]


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("object", "context.draftOrders.entry is not a list"),
        ("bare", "context.draftOrders.entry[0] holds no resource"),
        ("number", "context.draftOrders.entry[0] holds no resource"),
    ],
)
async def test_draft_orders_that_cannot_be_read_are_refused_never_silent(client, entry, said):
    """The order being signed unread would be "nothing to say" (contract §5 v3: silence is never
    the answer to a spine order); the same fault in a prefetch Bundle is a 400 too."""
    payload = body("order-sign", [order("vp", "22510", "T12")])
    orders = payload["context"]["draftOrders"]
    first = orders["entry"][0]
    orders["entry"] = {"object": first, "bare": [first["resource"]], "number": [5]}[entry]
    response = await client.post(SIGN, json=payload)
    assert response.status_code == 400, response.text[:200]
    assert said in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("grade_on", "done", "action"),
    [
        (
            "2024-05-10T09:00:00Z",
            ("77373", "2024-05-20T10:00:00Z"),
            "re-image before any procedure",
        ),
        (
            "2024-03-25T09:00:00Z",
            ("63047", "2024-04-01T10:00:00Z"),
            "re-image before the procedure",
        ),
        ("2024-04-15T09:00:00Z", None, "re-image"),
    ],
    ids=["irradiated-not-decompressed", "before-decompression-re-image-due", "old-then-frankel-e"],
)
async def test_a_grade_to_re_image_elsewhere_says_re_image_in_the_summary(
    client, grade_on, done, action
):
    """Criterion 8 unknown for a Bilsky 3 at T6 that must be re-imaged (contract §5 v3): the
    summary, often all an EHR shows, says what to do, as the neurology card does — never only
    "compression elsewhere?" about a level where a Bilsky 3 is known."""
    from tests.support.records import procedure

    extra = [condition("met-t6", "C79.51", level="T6"),
             finding("b6", "epidural-spinal-cord-compression", "bilsky-3", level="T6", when=grade_on)]  # fmt: skip
    if done is not None:
        extra.append(procedure("t6", done[0], "T6", when=done[1]))
    payload = body("order-sign", [order("vp", "22510", "T12")], default_patient(extra=tuple(extra)))
    (card,) = await cards(client, SIGN, payload)
    assert card["indicator"] == "warning"
    assert "Bilsky 3 at T6" in card["summary"] and "compression elsewhere?" not in card["summary"]
    assert card["summary"].endswith(f"— {action}")


@pytest.mark.parametrize("code", ["22511", "22842"], ids=["vertebroplasty", "fixation"])
@pytest.mark.parametrize("site", [None, {"text": "T11-L1"}], ids=["no-site", "words-only"])
async def test_a_prior_stabilisation_recorded_without_a_level_is_named_never_meets(
    client, code, site
):
    """A cement or screw procedure two months ago at a level nobody recorded may be the ordered
    one (contract §5: never guessed from missing data; §6 v3: a stabilised level): the order is
    no "meets the case series' selection criteria" while it is not known where it was."""
    from tests.support.records import procedure

    prior = procedure("prior", code, when="2024-04-01T10:00:00Z")
    if site is not None:
        prior["bodySite"] = [site]
    payload = body("order-sign", [order("vp", "22510", "T12")], default_patient(extra=(prior,)))
    (card,) = await cards(client, SIGN, payload)
    assert card["indicator"] == "warning"
    assert "meets the case series" not in card["summary"]
    assert "1 Apr 2024" in card["summary"] and "without a level" in card["summary"]
    assert "T12" in card["detail"].split("without a level")[1].split("\n")[0]


@pytest.mark.parametrize(
    "site",
    [None, {"text": "T10-L2"},
     {"coding": [{"system": SNOMED, "code": "122495006", "display": "Thoracic spine structure"}]}],
    ids=["no-site", "words-only", "region"],
)  # fmt: skip
async def test_recent_radiotherapy_without_a_level_is_named_and_no_new_course_advised(client, site):
    """SBRT ten days ago whose site is not recorded as a level may have included the level now
    fixed (contract §5 v3: recent radiotherapy named; never guessed from missing data): the
    card says so, and never advises planning a new course as if none had been given."""
    from adapter.procedure.context import POSTOPERATIVE_RADIOTHERAPY
    from tests.support.records import procedure

    rt = procedure("rt", "77373", when="2024-05-22T10:00:00Z", text="SBRT 27 Gy in 3 fractions")
    if site is not None:
        rt["bodySite"] = [site]
    fixation = order("fx", "22842", "T11", "T12", "L1", reasons=("met-t12",))
    (card,) = await cards(
        client, SIGN, body("order-sign", [fixation], default_patient(extra=(rt,)))
    )
    detail = card["detail"]
    assert POSTOPERATIVE_RADIOTHERAPY not in detail
    assert "22 May 2024" in detail and "site not recorded as a level" in detail
    assert "wound and fracture risk" in detail


async def test_a_screw_level_is_named_as_one_in_the_criteria_it_is_judged_by(client):
    """An L4–S1 construct for an L5 lesion: S1 takes screws, it is not the level treated. Its
    criteria 1 and 6 say so (contract §5: instrumented levels are listed, not treated), never
    "S1 is outside the population studied" as if the lesion were there, and a fracture of
    another cause at a screw level names its level and is about the screws' hold."""
    l5 = {"spinal-pain": "mechanical", "bone-lesion-quality": "lytic",
          "spinal-alignment": "normal", "vertebral-body-collapse": "lt-50",
          "posterolateral-involvement": "none"}  # fmt: skip
    record = default_patient(
        drop=("met-t12", *(f"t12-{c}" for c in l5), "bilsky-t12"),
        extra=(condition("met-l5", "C79.51", level="L5"),
               *(finding(f"l5-{c}", c, a, level="L5") for c, a in l5.items()),
               finding("bilsky-l5", "epidural-spinal-cord-compression", "bilsky-0", level="L5"),
               condition("op", "M80.08XA", level="L4")),
    )  # fmt: skip
    fixation = order("fx", "22842", "L4", "L5", "S1", reasons=("met-l5",))
    (card,) = await cards(client, SIGN, body("order-sign", [fixation], record))
    assert "S1 is outside the population studied" not in card["summary"]
    s1 = card["detail"].split("**S1")[1].splitlines()
    s1_row = next(row for row in s1 if row.startswith("| 1 "))
    assert "S1, a screw level" in s1_row and "outside the population studied" not in s1_row
    assert "at L4" in card["summary"] and "screw" in card["summary"]
    assert "confirm tumour cause" not in card["summary"]


async def test_an_unrecognised_orders_own_level_is_never_called_another(client):
    """Its level criteria are not checked (contract §5 v3), so criterion 8's row must not call
    the order's own level "every other level" as though it had been looked at."""
    local = order("u", "LOCAL1", "T12", system="urn:local", text="Spinal instrumentation T11-L1")
    (card,) = await cards(client, SIGN, body("order-sign", [local]))
    row = next(line for line in card["detail"].splitlines() if line.startswith("| 8 "))
    assert "every other level (T12)" not in row and "T12" in row


@pytest.mark.parametrize(
    ("code", "display"), [("12738006", "Brain structure"), ("71341001", "Bone structure of femur")]
)
async def test_radiotherapy_the_record_places_outside_the_spine_is_not_called_unplaced(
    client, code, display
):
    """Whole-brain or femur radiotherapy says where it went: the fixation card keeps the
    contract's postoperative advice (§5 v3) and never doubts a site the record settles."""
    from adapter.procedure.context import POSTOPERATIVE_RADIOTHERAPY
    from tests.support.records import procedure

    rt = procedure("rt", "77427", when="2024-05-22T10:00:00Z")
    rt["bodySite"] = [{"coding": [{"system": SNOMED, "code": code, "display": display}]}]
    fixation = order("fx", "22842", "T11", "T12", "L1", reasons=("met-t12",))
    (card,) = await cards(
        client, SIGN, body("order-sign", [fixation], default_patient(extra=(rt,)))
    )
    assert POSTOPERATIVE_RADIOTHERAPY in card["detail"]
    assert "site not recorded" not in card["detail"]


async def test_a_prior_stabilisation_without_a_level_is_said_with_its_date_as_written(client):
    from tests.support.records import procedure

    prior = procedure("prior", "22511", when="2024-04-01T10:00:00Z")
    payload = body("order-sign", [order("vp", "22510", "T12")], default_patient(extra=(prior,)))
    (card,) = await cards(client, SIGN, payload)
    assert "1 Apr 2024" in card["detail"] and "\\*" not in card["detail"]


def _bounded_lab(rid: str, loinc: str, value: float, comparator: str, unit: str | None) -> dict:
    from tests.support.records import measurement

    lab = measurement(rid, loinc, value, unit)
    if "valueInteger" in lab:
        lab["valueQuantity"] = {"value": lab.pop("valueInteger")}
    lab["valueQuantity"]["comparator"] = comparator
    return lab


@pytest.mark.parametrize(
    ("lab", "status", "said"),
    [
        (("platelets", "777-3", 20, "<", "10*9/L"), "unmet", "platelets < 20"),
        (("inr", "6301-6", 8, ">", None), "unmet", "INR > 8"),
        (("platelets", "777-3", 60, "<", "10*9/L"), "unknown", "platelets < 60"),
    ],
    ids=["platelets-below", "inr-above", "platelets-undecided"],
)
async def test_a_lab_bound_decides_criterion_7_when_it_lies_beyond_the_limit(
    client, lab, status, said
):
    """Platelets "< 20" are below 50 whatever their value (contract §5: unmet when out of
    range); "< 60" may be either side, so unknown — and the bound is shown either way."""
    rid, loinc, value, comparator, unit = lab
    record = default_patient(
        drop=(rid,), extra=(_bounded_lab(rid, loinc, value, comparator, unit),)
    )
    (card,) = await cards(client, SIGN, body("order-sign", [order("vp", "22510", "T12")], record))
    row = next(line for line in card["detail"].splitlines() if line.startswith("| 7 "))
    shown = row.replace("\\", "")  # the detail is markdown: "<" and ">" arrive escaped
    assert f"**{status}**" in row and said in shown


@pytest.mark.parametrize(
    ("system", "code", "display"),
    [(SNOMED, "12921003", "Pelvis structure"), (SNOMED, "38266002", "Entire body as a whole"),
     ("urn:local", "CSI", "Craniospinal axis"), ("urn:local", "PAN", "Para-aortic nodes"),
     (SNOMED, "72410000", "Mediastinal structure"), ("urn:local", "PVR", "Paravertebral region")],
)  # fmt: skip
async def test_radiotherapy_to_a_field_that_may_hold_the_vertebra_is_named(
    client, system, code, display
):
    """Pelvis, craniospinal, total-body, para-aortic, mediastinal and paravertebral fields reach
    vertebrae: a course there is named beside a spine order (contract §5 v3), never silent."""
    from tests.support.records import procedure

    rt = procedure("rt", "77427", when="2024-05-22T10:00:00Z")
    rt["bodySite"] = [{"coding": [{"system": system, "code": code, "display": display}]}]
    payload = body("order-sign", [order("vp", "22510", "T12")], default_patient(extra=(rt,)))
    (card,) = await cards(client, SIGN, payload)
    assert "Radiotherapy on 22 May 2024" in card["detail"]


async def test_a_fracture_recorded_without_a_level_is_never_placed_at_the_ordered_level(client):
    record = default_patient(extra=(condition("osteo", "M80.08XA"),))
    (card,) = await cards(client, SIGN, body("order-sign", [order("vp", "22510", "T12")], record))
    assert "fracture at T12" not in card["summary"] and "level not recorded" in card["summary"]


async def test_a_bilsky_3_worded_at_another_level_is_never_outranked_by_an_older_grade(client):
    """Its code says T12, its words T11: at T12 it may be, so an older Bilsky 0 there settles
    nothing (criterion 5 never met on it)."""
    grade = finding("bilsky-new", "epidural-spinal-cord-compression", "bilsky-3",
                    when="2024-05-31T09:00:00Z")  # fmt: skip
    grade["bodySite"] = {"coding": site("T12")[0]["coding"], "text": "T11"}
    record = default_patient(extra=(grade,))
    (card,) = await cards(client, SIGN, body("order-sign", [order("vp", "22510", "T12")], record))
    row = next(line for line in card["detail"].splitlines() if line.startswith("| 5 "))
    assert "**met**" not in row


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
async def test_more_draft_orders_or_selections_than_the_limit_is_413(settings, hook):
    # Nothing counted context.draftOrders or selections: 50,000 orders in a 12 MB body kept a
    # core busy for tens of minutes (contract §8: limits on everything, a clean refusal).
    capped = settings.model_copy(update={"max_draft_orders": 5})
    orders = [order(f"vp{n}", "22510", "T12") for n in range(6)]
    path = SIGN if hook == "order-sign" else SELECT
    selections = [f"ServiceRequest/vp{n}" for n in range(6)] if hook == "order-select" else None
    async with client_for(capped) as client:
        over = await client.post(path, json=body(hook, orders, selections=selections))
        under = await client.post(
            path, json=body(hook, orders[:5], selections=selections and selections[:5])
        )
    assert over.status_code == 413, over.text
    said = over.json()["issue"][0]
    assert said["code"] == "too-costly" and "5 draft orders" in said["diagnostics"]
    assert under.status_code == 200, under.text
