"""The procedure check (contract §5), criterion by criterion and level by level.

Each case changes one thing of the default patient (tests/support/records.py), whose
vertebroplasty at T12 meets every criterion.
"""

from __future__ import annotations

import pytest

from adapter.cds.procedure import order_cards
from adapter.fhir.read.orders import read_orders
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import Rules
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.procedure.check import OrderCheck, check_orders
from adapter.procedure.orders import procedure_orders
from adapter.procedure.summary import headline, summary
from tests.support.records import (
    ATC,
    CPT,
    ICD10PCS,
    NOW,
    SINS_AT_T12,
    SNOMED,
    cement_code,
    condition,
    default_patient,
    draft_orders,
    finding,
    measurement,
    order,
    patient,
    procedure,
)
from tests.unit.decision.test_wording import decisions_for, surfaces

TERM = default_terminology()
STALE = "2024-04-01T09:00:00Z"  # 61 days before NOW: past every window but staging


def check(resources, *orders, hook="order-sign", selections=None) -> list[OrderCheck]:
    data = patient_records(resources, "p")
    assert data is not None
    result = score_patient(data, TERM, now=parse_time(NOW))
    records = read_orders(draft_orders(*orders))
    found = procedure_orders(records, selections, hook, TERM)
    return check_orders(found, result, Rules())


def statuses(checked: OrderCheck, level: str) -> dict[int, str]:
    lv = next(lv for lv in checked.levels if lv.level == level)
    return {c.number: c.status for c in lv.criteria}


def single(resources, *levels, code=None, **kw) -> OrderCheck:
    (checked,) = check(resources, order("o", code or cement_code(*levels), *levels, **kw))
    return checked


def test_the_default_patient_meets_every_criterion_at_t12():
    checked = single(default_patient(), "T12")
    assert statuses(checked, "T12") == dict.fromkeys(range(1, 10), "met")
    assert checked.indicator == "info"


def test_a_cervical_level_is_outside_the_population_studied():
    resources = default_patient(extra=(condition("met-c5", "C79.51", level="C5"),))
    checked = single(resources, "C5")
    assert statuses(checked, "C5")[1] == "unmet"
    assert checked.indicator == "warning"


def test_an_order_at_a_level_without_a_lesion():
    checked = single(default_patient(), "L4")
    got = statuses(checked, "L4")
    assert got[2] == "unmet" and got[3] == "unknown"
    assert checked.indicator == "warning"


def test_an_unconfirmed_lesion_at_the_level_is_unknown():
    met = condition("met-l4", "C79.51", level="L4", verification="provisional")
    checked = single(default_patient(extra=(met,)), "L4")
    assert statuses(checked, "L4")[2] == "unknown"


def test_a_lesion_whose_status_cannot_be_read_says_why_it_is_unconfirmed():
    """Read as unconfirmed, never confirmed nor dropped; the basis says why, not only that it is
    unconfirmed: the surgeon who knows it is biopsy-proven learns what the record lacks."""
    local = {"coding": [{"system": "http://hospital.example.org/status", "code": "act"}]}
    met = condition("met-l4", "C79.51", level="L4", verification="confirmed", clinicalStatus=local)
    checked = single(default_patient(extra=(met,)), "L4")
    (tumour,) = [c for c in checked.levels[0].criteria if c.number == 2]
    assert tumour.status == "unknown" and "status not read" in tumour.basis


@pytest.mark.parametrize(
    ("code", "level", "number"),
    [("G95.20", "T12", 5), ("G82.21", None, 4), ("M46.26", "L2", 9)],
)  # cord compression, paraplegia, spinal infection coded as diagnoses
def test_a_coded_diagnosis_whose_status_cannot_be_read_says_why_it_is_unconfirmed(
    code, level, number
):
    local = {"coding": [{"system": "http://hospital.example.org/status", "code": "act"}]}
    coded = condition("dx", code, level=level, verification="confirmed", clinicalStatus=local,
                      onset="2024-05-31")  # fmt: skip
    checked = single(default_patient(extra=(coded,)), "T12")
    (criterion,) = [c for c in checked.criteria if c.number == number]
    assert "status not read" in criterion.basis, criterion.basis


UNSITED = "a bone metastasis is recorded without a level"


@pytest.mark.parametrize(
    ("resources", "level", "lead"),
    [  # Synthea's bone metastasis (SNOMED 94222008) has no bodySite: it may be at the level.
        ([patient(), condition("met", "94222008", system=SNOMED)], "T12",
         f"No metastasis recorded at T12 ({UNSITED}) — record its level (bodySite)"),
        (default_patient(extra=(condition("met", "C79.51"),)), "L1",
         "No metastasis recorded at L1 (metastases: T12, and one without a level) — record its level "
         "(bodySite)"),
    ],
)  # fmt: skip
def test_a_bone_metastasis_without_a_level_may_be_at_the_ordered_level(resources, level, lead):
    checked = single(resources, level)
    two = next(c for c in checked.levels[0].criteria if c.number == 2)
    assert two.status == "unknown" and checked.indicator == "warning"
    assert two.basis.startswith(f"no metastasis is recorded at {level}; {UNSITED}: ")
    assert two.action == "record the bone metastasis's level (bodySite), then check the level"
    _, card_text, text, _ = surfaces(
        decisions_for(resources, [order("o", cement_code(level), level)])
    )
    assert f"ORDER ServiceRequest/o [warning] Vertebroplasty {level}: {lead}" in text
    assert f"Vertebroplasty {level}: {lead}" in card_text
    assert "no spinal metastasis" not in card_text + text


REGION = "a bone metastasis is recorded by spinal region, not vertebra"


def _by_region(concept: dict) -> dict:
    met = condition("met-region", "C79.51")
    met["bodySite"] = [concept]
    return met


@pytest.mark.parametrize(
    ("code", "region"),
    [  # SNOMED CT "bone structure of lumbar vertebra" (a region, no level) and "lumbar spine"
        ("73903008", "Bone structure of lumbar vertebra"),
        ("122496007", "Lumbar spine structure"),
    ],
)
def test_a_bone_metastasis_recorded_by_spinal_region_may_be_at_the_ordered_level(code, region):
    # Contract §2, §5: a metastasis somewhere in the lumbar spine may be at L2 — unknown, never
    # unmet (and never met: the level is not known).
    concept = {"coding": [{"system": SNOMED, "code": code}]}
    resources = default_patient(extra=(_by_region(concept),))
    checked = single(resources, "L2")
    two = next(c for c in checked.levels[0].criteria if c.number == 2)
    assert two.status == "unknown" and checked.indicator == "warning"
    assert two.basis.startswith(f"no metastasis is recorded at L2; {REGION}: ")
    # the regional metastasis cited, then where the others are, as the line says it
    assert two.basis.endswith(f"(1 May 2024) ({region} names no spinal level); metastases: T12")
    assert two.action == "record the bone metastasis's level (bodySite), then check the level"
    lead = (
        "No metastasis recorded at L2 (metastases: T12, and one recorded by region only) — "
        "record its level (bodySite)"
    )
    _, card_text, text, _ = surfaces(decisions_for(resources, [order("o", "22511", "L2")]))
    assert f"ORDER ServiceRequest/o [warning] Vertebroplasty L2: {lead}" in text
    assert f"Vertebroplasty L2: {lead}" in card_text
    # The level recorded is still met.
    assert statuses(single(resources, "T12"), "T12")[2] == "met"


CERVICAL, THORACIC, LUMBAR = "122494005", "122495006", "122496007"  # SNOMED CT spine structures


def _regional(code: str, *extra: dict) -> list[dict]:
    """A record whose only metastasis is known by its spinal region (``code``)."""
    concept = {"coding": [{"system": SNOMED, "code": code}]}
    return [patient(), condition("primary", "C34.90"), _by_region(concept), *extra]


def _two(checked: OrderCheck):
    return next(c for c in checked.levels[0].criteria if c.number == 2)


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
@pytest.mark.parametrize(
    ("code", "inside", "outside", "span"),
    [  # each region's boundary with its neighbour, both ways
        (CERVICAL, "C7", "T1", "C1–C7"),
        (THORACIC, "T1", "C7", "T1–T12"),
        (THORACIC, "T12", "L1", "T1–T12"),
        (LUMBAR, "L1", "T12", "L1–L5"),
        (LUMBAR, "L5", "S1", "L1–L5"),
    ],
)
def test_a_metastasis_known_by_region_is_unknown_only_within_its_region(
    code, inside, outside, span, hook
):
    # A thoracic-spine metastasis may be at T12, never at L1: outside its region criterion 2 is
    # judged as if it were not there (no metastasis at the level: check the level), and the
    # metastasis is still named.
    resources = _regional(code)

    def judged(level: str) -> OrderCheck:
        select = ["ServiceRequest/o"] if hook == "order-select" else None
        (checked,) = check(
            resources, order("o", cement_code(level), level), hook=hook, selections=select
        )
        return checked

    within = _two(judged(inside))
    assert within.status == "unknown"
    assert within.finding == (
        f"No metastasis recorded at {inside} ({REGION}) — record its level (bodySite)"
    )
    beyond = _two(judged(outside))
    assert beyond.status == "unmet"
    assert beyond.action == "check the level ordered"
    assert beyond.finding == (
        f"No metastasis recorded at {outside} (metastases: one recorded by region only, {span}) "
        "— check the level"
    )
    assert beyond.basis.startswith(f"no metastasis is recorded at {outside}; ")
    assert "names no spinal level" in beyond.basis  # the regional metastasis, cited


def test_outside_its_region_a_regional_metastasis_is_named_beside_the_levels_recorded():
    concept = {"coding": [{"system": SNOMED, "code": THORACIC}]}
    resources = default_patient(extra=(_by_region(concept),))
    lead = (
        "No metastasis recorded at L3 (metastases: T12, and one recorded by region only, "
        "T1–T12) — check the level"
    )
    assert _two(single(resources, "L3")).finding == lead
    _, card_text, text, _ = surfaces(decisions_for(resources, [order("o", "22511", "L3")]))
    assert f"ORDER ServiceRequest/o [warning] Vertebroplasty L3: {lead}" in text
    assert f"Vertebroplasty L3: {lead}" in card_text
    # within the region: unknown, as before
    assert _two(single(resources, "T8")).status == "unknown"


@pytest.mark.parametrize(
    ("code", "level"),
    [  # sites the mappings give no region of levels: never guessed, unknown at every level
        ("87141009", "T8"),  # sacral vertebra
        ("87141009", "L3"),
        ("3572006", "C5"),  # body of vertebra
        ("1186895000", "L1"),  # thirteenth thoracic vertebra
    ],
)
def test_a_spinal_site_without_a_region_of_levels_stays_unknown_everywhere(code, level):
    assert _two(single(_regional(code), level)).status == "unknown"


def test_a_metastasis_without_a_level_keeps_every_level_unknown_beside_a_regional_one():
    resources = _regional(CERVICAL, condition("met", "C79.51"))
    two = _two(single(resources, "L3"))
    assert two.status == "unknown"
    assert two.finding == (
        f"No metastasis recorded at L3 ({UNSITED}) — record its level (bodySite)"
    )


def test_a_text_only_spinal_region_is_a_metastasis_without_a_level():
    resources = default_patient(extra=(_by_region({"text": "lumbar spine"}),))
    two = next(c for c in single(resources, "L2").levels[0].criteria if c.number == 2)
    assert two.status == "unknown"


@pytest.mark.parametrize(
    ("sins", "extra", "expected"),
    [
        # No collapse and SINS 3 (certainly ≤ 6): no fracture, no instability.
        ({"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
          "vertebral-body-collapse": "none"}, (), "unmet"),
        # No collapse, but SINS 9 (≥ 7): instability.
        ({"vertebral-body-collapse": "none", "spinal-alignment": "de-novo-deformity"}, (), "met"),
        # No collapse and SINS 3, but a pathological fracture in neoplastic disease at T12.
        ({"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
          "vertebral-body-collapse": "none"},
         (condition("fracture", "M84.58XA", level="T12"),), "met"),
    ],
)  # fmt: skip
def test_fracture_or_instability(sins, extra, expected):
    checked = single(default_patient(sins=sins, extra=extra), "T12")
    assert statuses(checked, "T12")[3] == expected


def test_a_neoplastic_fracture_without_a_vertebral_level_does_not_say_it_is_here():
    # M84.58 is "other specified site": without a vertebral bodySite it may be elsewhere.
    sins = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic"}
    fracture = condition("fracture", "M84.58XA")
    resources = default_patient(sins=sins, drop=("t12-vertebral-body-collapse",), extra=(fracture,))
    checked = single(resources, "T12")  # SINS 3–6, collapse not recorded at T12
    criterion = next(c for c in checked.levels[0].criteria if c.number == 3)
    assert criterion.status == "unknown" and "without a level" in criterion.basis


L3_STABLE = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic", "spinal-alignment": "normal",
             "vertebral-body-collapse": "none", "posterolateral-involvement": "none"}  # fmt: skip


@pytest.mark.parametrize("code", ["22511", "22842"], ids=["vertebroplasty", "fixation"])
@pytest.mark.parametrize(
    ("conflict", "named"),
    [
        (finding("l3-al2", "spinal-alignment", "subluxation", level="L3"),
         "alignment conflicting at L3 (subluxation/normal"),
        (finding("l3-pl2", "posterolateral-involvement", "bilateral", level="L3"),
         "posterolateral involvement conflicting at L3 (bilateral/none"),
    ],
    ids=["alignment", "posterolateral"],
)  # fmt: skip
def test_an_unmet_criterion_3_names_a_conflict_on_what_would_make_the_level_unstable(
    code, conflict, named
):
    # Findings of one time at L3 disagree on a subluxation (or bilateral involvement): SINS is
    # still certainly 6 or less (2–6, 2–5), so the criterion is unmet (contract §5), but the
    # output names the conflict (§2) and never says "no instability" beside a subluxation the
    # card asks to settle.
    l3 = (condition("met-l3", "C79.51", level="L3"),
          *(finding(f"l3-{c}", c, answer, level="L3") for c, answer in L3_STABLE.items()))  # fmt: skip
    checked = single(default_patient(extra=(*l3, conflict)), "L3", code=code)
    c3 = next(c for c in checked.levels[0].criteria if c.number == 3)
    assert c3.status == "unmet"
    assert named in c3.basis, c3.basis
    short = named.split(" at ")[0]  # "alignment conflicting"
    assert c3.finding is not None and c3.finding.startswith("no fracture at L3 (no collapse, SINS")
    assert c3.finding.endswith(f", {short})"), c3.finding
    assert "instability" not in c3.finding, c3.finding
    assert c3.action is not None and c3.action.startswith("settle the conflicting"), c3.action
    summary = headline(checked)
    assert "no fracture or instability" not in summary, summary
    # Short enough that the cord criterion left open (no Bilsky grade at L3) keeps its place.
    assert "no Bilsky grade at L3" in summary, summary


_NO_COLLAPSE = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
                "vertebral-body-collapse": "none"}  # fmt: skip


_SUBLUXED_T12 = finding("t12-al2", "spinal-alignment", "subluxation", level="T12")
_LYTIC = {"bone-lesion-quality": "lytic", "vertebral-body-collapse": "none"}
_DATED_PAIN = finding("t12-spinal-pain", "spinal-pain", "mechanical", level="T12", when=STALE)
_UNDATED_PAIN = {k: v for k, v in _DATED_PAIN.items() if k != "effectiveDateTime"}
_SUBLUXED = "settle the conflicting alignment (subluxation/normal)"


@pytest.mark.parametrize(
    ("sins", "drop", "extra", "action", "named"),
    [
        pytest.param(_NO_COLLAPSE, (), (_SUBLUXED_T12,), "settle the conflicting alignment",
                     f"SINS 3–7 at T12 — {_SUBLUXED}", id="alignment, SINS 3 to 7"),
        pytest.param(_NO_COLLAPSE, (),
                     (finding("t12-c2", "vertebral-body-collapse", "lt-50", level="T12"),),
                     "settle the conflicting collapse",
                     "SINS 3–5 at T12 — settle the conflicting collapse (lt-50/none)",
                     id="collapse in conflict"),
        pytest.param(_NO_COLLAPSE, (),
                     (finding("t12-c2", "vertebral-body-collapse", "lt-50", level="T12"),
                      _SUBLUXED_T12),
                     "settle the conflicting alignment, collapse",
                     "SINS 3–9 at T12 — settle the conflicting alignment (subluxation/normal), "
                     "collapse (lt-50/none)", id="collapse and alignment in conflict"),
        pytest.param(_LYTIC, ("t12-spinal-pain",), (), "record pain", "SINS 5–8 at T12 — record pain",
                     id="pain missing, SINS 5 to 8"),
        pytest.param({k: v for k, v in _NO_COLLAPSE.items() if k != "spinal-pain"},
                     ("t12-spinal-pain",), (_SUBLUXED_T12,),
                     "record pain; settle the conflicting alignment",
                     f"SINS 3–10 at T12 — record pain; {_SUBLUXED}",
                     id="pain missing, alignment in conflict"),
        pytest.param(_LYTIC, ("t12-spinal-pain",), (_DATED_PAIN,), "re-assess pain (dated)",
                     "SINS 8 at T12 — re-assess pain (dated)", id="pain dated, SINS 8"),
        pytest.param(_LYTIC, ("t12-spinal-pain",), (_UNDATED_PAIN,), "re-assess pain (no date)",
                     "SINS 8 at T12 — re-assess pain (no date)", id="pain with no date, SINS 8"),
        pytest.param(_LYTIC, ("t12-spinal-pain",), (_DATED_PAIN, _SUBLUXED_T12),
                     "re-assess pain (dated); settle the conflicting alignment",
                     f"SINS 8–12 at T12 — re-assess pain (dated); {_SUBLUXED}",
                     id="pain dated first, then the conflict"),
    ],
)  # fmt: skip
def test_an_open_criterion_3_with_its_collapse_recorded_asks_for_what_is_missing(
    sins, drop, extra, action, named
):
    # The collapse is recorded (not dated); what leaves the criterion open is a conflict or
    # the rest of SINS reaching 7. The card said "collapse at T12 not recorded — record the
    # vertebral body collapse": it sent the clinician after a finding already in the record.
    checked = single(default_patient(sins=sins, drop=drop, extra=extra), "T12")
    c3 = next(c for c in checked.levels[0].criteria if c.number == 3)
    assert c3.status == "unknown"
    assert c3.action == action, c3.action
    assert c3.finding == named, c3.finding
    assert "Vertebral body collapse: None (30 May 2024)" in c3.basis, c3.basis


@pytest.mark.parametrize(
    "fracture",
    [
        condition("ofx", "M80.08XA", level="T12", onset="2024-05-31"),
        condition("tfx", "S22.000A", onset="2024-05-31"),
    ],
    ids=["osteoporotic at T12", "traumatic, no level"],
)
def test_a_fracture_coded_since_the_imaging_is_re_imaging_not_a_conflict_of_collapse(fracture):
    # One collapse finding (none, 30 May), a vertebral fracture coded on 31 May: the collapse is
    # widened, not in conflict. "Settle the conflicting collapse" sent the clinician back to the
    # film that predates the fracture; the SINS line of the same card says "re-image".
    checked = single(default_patient(sins=_NO_COLLAPSE, extra=(fracture,)), "T12")
    c3 = next(c for c in checked.levels[0].criteria if c.number == 3)
    assert c3.status == "unknown"
    assert c3.finding is not None and "conflicting" not in c3.finding, c3.finding
    assert c3.finding.startswith("collapse at T12 none (30 May"), c3.finding
    assert "coded since — re-image" in c3.finding, c3.finding
    assert c3.action is not None and c3.action.startswith("re-image the level"), c3.action


@pytest.mark.parametrize(
    ("fracture", "named", "action"),
    [
        pytest.param(condition("fx", "M84.58XA", level="T12", verification="provisional"),
                     "unconfirmed pathological fracture at T12", "confirm", id="provisional here"),
        pytest.param(condition("fx", "M84.58XA"), "pathological fracture without a level",
                     "record the level (bodySite)", id="confirmed, no level"),
        pytest.param(condition("fx", "M84.58XA", verification="differential"),
                     "pathological fracture without a level", "record the level (bodySite)",
                     id="unconfirmed, no level"),
    ],
)  # fmt: skip
def test_a_fracture_condition_that_may_be_here_keeps_criterion_3_from_no_fracture(
    fracture, named, action
):
    # No collapse on imaging, SINS 3, and a pathological fracture Condition that may be at T12:
    # unconfirmed there, or recorded with no level (the patient's only metastasis is T12). The
    # card said "no fracture or instability at T12" and never named it; a confirmed one at T12
    # meets the criterion, so either may: unknown, naming what settles it (contract §2, §5).
    checked = single(default_patient(sins=_NO_COLLAPSE, extra=(fracture,)), "T12")
    c3 = next(c for c in checked.levels[0].criteria if c.number == 3)
    assert c3.status == "unknown", c3
    assert c3.finding is not None and named in c3.finding, c3.finding
    assert "no fracture" not in c3.finding, c3.finding
    assert c3.action is not None and action in c3.action, c3.action
    assert "no fracture or instability" not in headline(checked), headline(checked)


@pytest.mark.parametrize("answer", ["lt-50", "gt-50"])
def test_a_later_preliminary_collapse_keeps_criterion_3_from_no_fracture(answer):
    # A final "no collapse" on 30 May, then a preliminary report of a collapse on 31 May: not
    # scored (contract §2), but the card said "no fracture or instability at T12" and never
    # named it. Preliminary evidence never makes a criterion met (§5 v3): unknown, "confirm".
    early = finding("t12-c-prelim", "vertebral-body-collapse", answer, level="T12",
                    when="2024-05-31T09:00:00Z", status="preliminary")  # fmt: skip
    checked = single(default_patient(sins=_NO_COLLAPSE, extra=(early,)), "T12")
    c3 = next(c for c in checked.levels[0].criteria if c.number == 3)
    assert c3.status == "unknown", c3
    assert c3.finding is not None and "preliminary" in c3.finding, c3.finding
    assert c3.action is not None and "confirm" in c3.action, c3.action
    assert "no fracture" not in headline(checked), headline(checked)


def test_a_later_preliminary_report_of_no_collapse_leaves_criterion_3_unmet():
    early = finding("t12-c-prelim", "vertebral-body-collapse", "none", level="T12",
                    when="2024-05-31T09:00:00Z", status="preliminary")  # fmt: skip
    checked = single(default_patient(sins=_NO_COLLAPSE, extra=(early,)), "T12")
    c3 = next(c for c in checked.levels[0].criteria if c.number == 3)
    assert c3.status == "unmet", c3


@pytest.mark.parametrize(
    ("fracture", "first"),
    [
        (condition("fx", "M84.58XA", level="T12", verification="provisional"),
         "confirm the pathological fracture at T12"),
        (condition("fx", "M84.58XA"), "record the level (bodySite) of the pathological fracture"),
    ],
    ids=["unconfirmed here", "no level"],
)  # fmt: skip
def test_an_open_criterion_3_asks_first_for_the_fracture_that_would_meet_it(fracture, first):
    # Pain missing (SINS 5–8) beside a pathological fracture Condition that may be at T12:
    # confirming it, or recording its level, meets the criterion outright; "record pain" alone
    # did not say so.
    resources = default_patient(sins=_LYTIC, drop=("t12-spinal-pain",), extra=(fracture,))
    c3 = next(c for c in single(resources, "T12").levels[0].criteria if c.number == 3)
    assert c3.status == "unknown"
    assert c3.action is not None and c3.action.startswith(f"{first}; record pain"), c3.action
    assert c3.finding is not None and "record pain" in c3.finding, c3.finding
    assert "pathological fracture" in c3.finding, c3.finding


def test_two_conflicts_that_keep_criterion_3_open_are_settled_in_one_clause():
    # Alignment and posterolateral involvement both in conflict: criterion 3 said "settle the
    # conflicting alignment (…); settle the conflicting posterolateral involvement (…)", and the
    # order's summary cut the second to "settle the conflicting…", naming neither.
    sins = {"spinal-pain": "pain-free", "vertebral-body-collapse": "none",
            "posterolateral-involvement": "none"}  # fmt: skip
    both = (finding("t12-al2", "spinal-alignment", "subluxation", level="T12"),
            finding("t12-pl2", "posterolateral-involvement", "bilateral", level="T12"))  # fmt: skip
    checked = single(default_patient(sins=sins, extra=both), "T12")
    c3 = next(c for c in checked.levels[0].criteria if c.number == 3)
    assert c3.finding == (
        "SINS 5–12 at T12 — settle the conflicting alignment (subluxation/normal), "
        "posterolateral involvement (bilateral/none)"
    ), c3.finding
    assert c3.action == "settle the conflicting alignment, posterolateral involvement", c3.action
    line = summary(checked)
    # Where there is room for one value, it is the subluxation's: cement cannot treat it.
    assert "settle the conflicting alignment (subluxation/normal), posterolateral involvement" in (
        line
    ), line
    assert "…" not in line, line


_NO_COLLAPSE_BLASTIC = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
                        "vertebral-body-collapse": "none"}  # fmt: skip
_AL2 = finding("t12-al2", "spinal-alignment", "subluxation", level="T12")
_PL2 = finding("t12-pl2", "posterolateral-involvement", "bilateral", level="T12")
_PAIN2 = finding("t12-p2", "spinal-pain", "mechanical", level="T12")
_COLLAPSE_NONE = finding("t12-c2", "vertebral-body-collapse", "none", level="T12")


def test_a_summary_keeps_the_subluxation_where_the_line_has_room_for_it():
    # Pain and alignment in conflict: the line had room for "(subluxation/normal)" beside the
    # cement warning it leaves to the card, yet gave it up for fewer words it did not need.
    checked = single(default_patient(sins=_NO_COLLAPSE_BLASTIC, extra=(_PAIN2, _AL2)), "T12")
    line = summary(checked)
    assert "settle the conflicting pain, alignment (subluxation/normal)" in line, line


@pytest.mark.parametrize("code", [None, "22842"], ids=["vertebroplasty", "fixation"])
@pytest.mark.parametrize(
    ("kw", "named"),
    [
        ({"drop": ("t12-spinal-pain",), "extra": (_COLLAPSE_NONE, _AL2, _PL2)},
         "alignment, collapse, posterolateral involvement"),
        ({"drop": ("t12-bone-lesion-quality",), "extra": (_COLLAPSE_NONE, _AL2)},
         "alignment (subluxation/normal), collapse"),
    ],
    ids=["collapse, pain missing, two more", "collapse, quality missing, alignment"],
)  # fmt: skip
def test_a_summary_never_cuts_what_to_settle_before_it_is_named(kw, named, code):
    # A collapse in conflict, something missing between, then other conflicts: the summary cut
    # the last clause to "settle the conflicting…" or "settle…", naming nothing to settle.
    line = summary(single(default_patient(**kw), "T12", code=code))
    assert f"settle the conflicting {named}" in line, line
    assert "settle the conflicting…" not in line and "settle the…" not in line, line
    assert "settle…" not in line, line


def test_a_collapse_conflict_between_two_answers_of_no_fracture_is_named():
    # None and none-gt-50-involved at one time (0 or 1 point) decide whether SINS reaches 7:
    # criterion 3 said only "SINS 6–7 at T12 — re-assess" (and, with pain missing, "record pain").
    sins = {"spinal-pain": "pain-free", "bone-lesion-quality": "lytic",
            "posterolateral-involvement": "unilateral", "vertebral-body-collapse": "none"}  # fmt: skip
    other = finding("t12-c2", "vertebral-body-collapse", "none-gt-50-involved", level="T12")
    c3 = next(c for c in single(default_patient(sins=sins, extra=(other,)), "T12").levels[0].criteria
              if c.number == 3)  # fmt: skip
    assert c3.finding == (
        "SINS 6–7 at T12 — settle the conflicting collapse (none-gt-50-involved/none)"
    ), c3.finding
    assert c3.action == "settle the conflicting collapse", c3.action


@pytest.mark.parametrize(
    ("fracture", "named"),
    [
        (condition("fx", "M84.58XA", level="T12", verification="provisional", onset="2024-05-31"),
         "unconfirmed pathological fracture at T12"),
        (condition("fx", "M84.58XA", onset="2024-05-31"), "pathological fracture without a level"),
    ],
    ids=["unconfirmed here", "no level"],
)  # fmt: skip
def test_a_fracture_since_the_fixation_is_never_said_to_be_absent(fracture, named):
    # Screws at T12 on 20 May, then a pathological fracture Condition that may be at T12 coded on
    # 31 May: the criterion said "no fracture recorded at T12 since the fixation" and never
    # named it, beside a SINS card that asks to re-image for it.
    screws = procedure("fix", "22842", "T11", "T12", "L1", when="2024-05-20T10:00:00Z")
    resources = default_patient(sins=_NO_COLLAPSE, extra=(screws, fracture))
    c3 = next(c for c in single(resources, "T12").levels[0].criteria if c.number == 3)
    assert c3.status == "unknown"
    assert c3.finding is not None and named in c3.finding, c3.finding
    assert "no fracture" not in c3.finding, c3.finding
    assert named in c3.basis, c3.basis


def test_a_fracture_unconfirmed_at_the_level_and_one_with_no_level_are_both_named():
    fractures = (
        condition("fx1", "M84.58XA", level="T12", verification="provisional"),
        condition("fx2", "M84.58XA"),
    )
    c3 = next(c for c in single(default_patient(sins=_NO_COLLAPSE, extra=fractures), "T12")
              .levels[0].criteria if c.number == 3)  # fmt: skip
    assert c3.action == (
        "confirm the pathological fracture at T12; "
        "record the level (bodySite) of the pathological fracture"
    ), c3.action
    assert "pathological fracture without a level" in c3.basis, c3.basis


def test_a_later_preliminary_collapse_is_asked_for_beside_what_sins_lacks():
    early = finding("t12-c-prelim", "vertebral-body-collapse", "gt-50", level="T12",
                    when="2024-05-31T09:00:00Z", status="preliminary")  # fmt: skip
    resources = default_patient(sins=_LYTIC, drop=("t12-spinal-pain",), extra=(early,))
    c3 = next(c for c in single(resources, "T12").levels[0].criteria if c.number == 3)
    assert c3.status == "unknown"
    assert c3.action is not None and c3.action.startswith(
        "confirm the preliminary report with a final vertebral-body-collapse; record pain"
    ), c3.action
    assert "preliminary" in c3.basis, c3.basis


_SCREWS_20_MAY = procedure("fix", "22842", "T11", "T12", "L1", when="2024-05-20T10:00:00Z")


@pytest.mark.parametrize(
    "fracture",
    [
        condition("f", "M84.58XA", onset="2024-05-20", level="T12", verification="unconfirmed"),
        {
            k: v
            for k, v in condition("f", "M84.58XA", level="T12", verification="unconfirmed").items()
            if k != "onsetDateTime"
        },
        condition("f", "M84.58XA", onset="2024-05-20"),
        condition("f", "M84.58XA", onset="2024-05-20", level="T12"),
    ],
    ids=[
        "unconfirmed, same day",
        "unconfirmed, no date",
        "no level, same day",
        "confirmed, same day",
    ],
)
def test_a_fracture_of_unknown_order_against_a_fixation_is_never_said_to_be_absent(fracture):
    # Recorded the day of the screws, or with no date: it may have come after them. Criterion 3
    # said "no fracture recorded at T12 since the fixation" and, for all but the last, never named it.
    sins = {"vertebral-body-collapse": "none", "spinal-pain": "pain-free"}
    resources = default_patient(sins=sins, extra=(_SCREWS_20_MAY, fracture))
    c3 = next(c for c in single(resources, "T12").levels[0].criteria if c.number == 3)
    assert c3.status == "unknown"
    assert c3.finding is not None and "no fracture" not in c3.finding, c3.finding
    assert "pathological fracture" in c3.finding, c3.finding
    assert "pathological fracture" in c3.basis, c3.basis


def test_a_criterion_3_met_after_a_fixation_says_after_it_of_the_collapse():
    since = condition("fx", "M84.58XA", level="T12", verification="provisional", onset="2024-05-31")
    sins = {"vertebral-body-collapse": "lt-50", "spinal-pain": "pain-free"}
    resources = default_patient(sins=sins, extra=(_SCREWS_20_MAY, since))
    c3 = next(c for c in single(resources, "T12").levels[0].criteria if c.number == 3)
    assert c3.status == "met"
    assert "Less than 50% collapse (30 May 2024), after the fixation on 20 May 2024" in c3.basis, (
        c3.basis
    )


def test_an_order_at_a_fixed_level_names_a_fracture_maybe_since_the_screws_in_its_summary():
    # The finding named the fixation's day again and was too long to follow "T12 already
    # fixed on 20 May 2024" in the summary: "+1 more in the card", at order-sign.
    fracture = condition(
        "f", "M84.58XA", onset="2024-05-20", level="T12", verification="unconfirmed"
    )
    sins = {"vertebral-body-collapse": "none", "spinal-pain": "pain-free"}
    checked = single(default_patient(sins=sins, extra=(_SCREWS_20_MAY, fracture)), "T12",
                     code="22842")  # fmt: skip
    line = summary(checked)
    assert "pathological fracture at T12" in line, line


@pytest.mark.parametrize("code", [None, "22842"], ids=["vertebroplasty", "fixation"])
@pytest.mark.parametrize(
    ("fractures", "actions"),
    [
        ((condition("f1", "M84.58XA", level="T12", verification="provisional", onset="2024-05-31"),
          condition("f2", "M84.58XA", onset="2024-05-31")), "confirm, record a level"),
        ((condition("f1", "M84.58XA", onset="2024-05-31"),
          condition("f2", "M84.58XA", level="T12", onset="2024-05-20")), "record a level, re-image"),
    ],
    ids=["unconfirmed here and no level", "no level and of unknown order"],
)  # fmt: skip
def test_two_kinds_of_possible_fracture_at_a_fixed_level_are_named_in_the_summary(
    fractures, actions, code
):
    # Two fracture Conditions that may be at T12 since its screws, each asking something else:
    # their short forms together did not fit after "T12 already fixed on 20 May 2024", and the
    # summary said "+1 more in the card", naming no fracture at all.
    sins = {"vertebral-body-collapse": "none", "spinal-pain": "pain-free"}
    checked = single(default_patient(sins=sins, extra=(_SCREWS_20_MAY, *fractures)), "T12",
                     code=code)  # fmt: skip
    line = summary(checked)
    assert f"possible pathological fractures at T12 — {actions}" in line, line
    assert "more in the card" not in line, line


@pytest.mark.parametrize("verification", [None, "unconfirmed"])
def test_a_fracture_the_day_of_the_cement_is_not_dropped_once_the_level_is_re_imaged(verification):
    # Cement at T12 on 20 May (10:00), findings on 30 May (no collapse, SINS 5), a pathological
    # fracture Condition dated 20 May: it may be after the cement. Criterion 3 was unmet, "no
    # fracture or instability at T12", as if it were not there.
    cement = procedure("vp", "22510", "T12", when="2024-05-20T10:00:00Z")
    fracture = condition(
        "f", "M84.58XA", onset="2024-05-20", level="T12", verification=verification
    )
    sins = {"vertebral-body-collapse": "none", "spinal-pain": "pain-free"}
    c3 = next(c for c in single(default_patient(sins=sins, extra=(cement, fracture)), "T12")
              .levels[0].criteria if c.number == 3)  # fmt: skip
    assert c3.status == "unknown", c3
    assert c3.finding is not None and "pathological fracture at T12" in c3.finding, c3.finding
    assert "no fracture" not in c3.finding, c3.finding


def test_a_levelless_fracture_older_than_the_cement_is_the_one_it_treated():
    cement = procedure("vp", "22510", "T12", when="2024-05-20T10:00:00Z")
    older = condition("f", "M84.58XA", onset="2024-05-10")
    sins = {"vertebral-body-collapse": "none", "spinal-pain": "pain-free"}
    c3 = next(c for c in single(default_patient(sins=sins, extra=(cement, older)), "T12")
              .levels[0].criteria if c.number == 3)  # fmt: skip
    assert c3.status == "unmet", c3


_CEMENT_20_MAY = procedure("vp", "22510", "T12", when="2024-05-20T10:00:00Z")
_RE_IMAGED = {"vertebral-body-collapse": "none", "spinal-pain": "pain-free"}


def test_a_fracture_of_unknown_order_beside_a_collapse_conflict_is_named_and_cited():
    # Cement on 20 May, findings on 30 May in conflict on collapse, a fracture Condition dated
    # 20 May: the finding asked to "re-image the level before the procedure" and nothing on the
    # card said why; the basis never cited the fracture.
    conflict = finding("t12-c2", "vertebral-body-collapse", "lt-50", level="T12")
    fracture = condition("f", "M84.58XA", onset="2024-05-20", level="T12")
    resources = default_patient(sins=_RE_IMAGED, extra=(_CEMENT_20_MAY, fracture, conflict))
    c3 = next(c for c in single(resources, "T12").levels[0].criteria if c.number == 3)
    assert c3.finding is not None
    assert "pathological fracture at T12, maybe after the vertebroplasty" in c3.finding, c3.finding
    assert "settle the conflicting collapse" in c3.finding, c3.finding
    assert "not known to be before or after the vertebroplasty" in c3.basis, c3.basis


@pytest.mark.parametrize("verification", [None, "unconfirmed"])
def test_an_order_at_a_cemented_level_names_a_fracture_maybe_since_in_its_summary(verification):
    fracture = condition(
        "f", "M84.58XA", onset="2024-05-20", level="T12", verification=verification
    )
    resources = default_patient(sins=_RE_IMAGED, extra=(_CEMENT_20_MAY, fracture))
    line = summary(single(resources, "T12"))
    assert "pathological fracture at T12" in line, line


def test_a_levelless_fracture_older_than_the_cement_is_not_cited_beside_an_open_criterion():
    older = condition("f", "M84.58XA", onset="2024-05-10")
    resources = default_patient(
        sins={"vertebral-body-collapse": "none"}, drop=("t12-spinal-pain",),
        extra=(_CEMENT_20_MAY, older),
    )  # fmt: skip
    c3 = next(c for c in single(resources, "T12").levels[0].criteria if c.number == 3)
    assert c3.status == "unknown", c3
    assert "without a level" not in c3.basis, c3.basis


def test_an_unmet_criterion_3_without_a_conflict_still_says_no_fracture_or_instability():
    sins = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
            "vertebral-body-collapse": "none"}  # fmt: skip
    checked = single(default_patient(sins=sins), "T12")
    c3 = next(c for c in checked.levels[0].criteria if c.number == 3)
    assert c3.status == "unmet" and c3.action is None
    assert c3.finding == "no fracture or instability at T12 (no collapse, SINS 3)", c3.finding


def test_a_dated_collapse_never_makes_the_criterion_met():
    stale = finding("t12-vertebral-body-collapse", "vertebral-body-collapse", "lt-50",
                    level="T12", when=STALE)  # fmt: skip
    sins = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic"}
    resources = [r for r in default_patient(sins=sins) if r["id"] != stale["id"]] + [stale]
    checked = single(resources, "T12")
    lv = checked.levels[0]
    fracture = next(c for c in lv.criteria if c.number == 3)
    assert fracture.status == "unknown" and fracture.action and "re-assess" in fracture.action


@pytest.mark.parametrize(
    ("palsy", "expected", "indicator"),
    [
        (finding("frankel", "frankel-grade", "frankel-c"), "unmet", "critical"),
        (finding("frankel", "frankel-grade", "frankel-e", when=STALE), "unknown", "warning"),
        (None, "unknown", "warning"),
    ],
)
def test_neurological_deficit(palsy, expected, indicator):
    resources = default_patient(drop=("frankel",), extra=(palsy,) if palsy else ())
    checked = single(resources, "T12")
    assert statuses(checked, "T12")[4] == expected
    assert checked.indicator == indicator


def test_a_recent_ais_c_beats_an_old_frankel_e():
    old = finding("frankel", "frankel-grade", "frankel-e", when=STALE)
    recent = finding("ais", "asia-impairment-scale", "ais-c")
    resources = default_patient(drop=("frankel",), extra=(old, recent))
    checked = single(resources, "T12")
    assert statuses(checked, "T12")[4] == "unmet" and checked.indicator == "critical"


@pytest.mark.parametrize(
    ("grades", "expected", "critical"),
    [
        ((("bilsky-t12", "bilsky-3", "T12"),), "unmet", True),
        ((("bilsky-t12", "bilsky-1a", "T12"),), "met", False),
        ((("bilsky-loose", "bilsky-2", None),), "unmet", True),  # no level: at every level
        ((("bilsky-loose", "bilsky-1a", None),), "met", False),  # no level, one scored level
        # another level's grade: none here, but compression elsewhere (criterion 8)
        ((("bilsky-l1", "bilsky-3", "L1"),), "unknown", True),
        ((), "unknown", False),
    ],
)
def test_epidural_compression_at_the_level(grades, expected, critical):
    extra = tuple(
        finding(rid, "epidural-spinal-cord-compression", grade, level=level)
        for rid, grade, level in grades
    )
    checked = single(default_patient(drop=("bilsky-t12",), extra=extra), "T12")
    assert statuses(checked, "T12")[5] == expected
    assert (checked.indicator == "critical") is critical


def test_a_level_own_low_grade_wins_over_a_level_less_high_grade():
    loose = finding("bilsky-loose", "epidural-spinal-cord-compression", "bilsky-3")
    checked = single(default_patient(extra=(loose,)), "T12")
    assert statuses(checked, "T12")[5] == "met"


@pytest.mark.parametrize(
    ("fracture", "expected"),
    [
        (condition("osteo", "M80.08XA", level="T12"), "unmet"),
        (condition("osteo", "M80.08XA", level="L3"), "met"),  # another level
        (condition("collapse", "M48.56XA"), "unmet"),  # no level: may be this one
        # ICD-10-CM fracture codes name the vertebra (S32.01-: first lumbar; S22.08-: T11–T12).
        (condition("trauma", "S32.010A"), "met"),  # L1, not T12
        (condition("trauma", "S22.080A"), "unknown"),  # T11 or T12: which is not recorded
        (condition("osteo", "M80.08XA", level="T12", verification="provisional"), "unknown"),
    ],
)
def test_fracture_from_another_cause(fracture, expected):
    checked = single(default_patient(extra=(fracture,)), "T12")
    assert statuses(checked, "T12")[6] == expected


@pytest.mark.parametrize(
    ("code", "level", "where"),
    [
        ("S32.020A", "L2", " at L2"),  # wedge compression fracture of the second lumbar vertebra
        ("S22.060A", "T8", " at T7 or T8"),  # T7–T8: the code names the pair, not which
        ("S22.040A", "T4", " at T4"),  # fourth thoracic vertebra
        ("M48.56XA", "L2", ", level not recorded"),  # lumbar region: no level
        # ICD-10-CM S12.0-S12.6: fracture of the first (atlas) ... seventh cervical vertebra.
        ("S12.000A", "C1", " at C1"),
        ("S12.100A", "C2", " at C2"),  # second cervical vertebra (axis)
        ("S12.110A", "C2", " at C2"),  # type II dens fracture: still the second
        ("S12.400A", "C5", " at C5"),
        ("S12.600A", "C7", " at C7"),
        ("S12.9XXA", "C5", " at C1–C7 (S12.9XXA)"),  # the cervical spine: one of its levels
    ],
)
def test_a_fracture_code_that_names_its_vertebra_gives_the_level(code, level, where):
    metastasis = condition("met-x", "C79.51", level=level)
    checked = single(default_patient(extra=(metastasis, condition("fx", code))), level)
    (shown,) = [lv for lv in checked.levels if lv.level == level]
    basis = next(c.basis for c in shown.criteria if c.number == 6)
    assert f"osteoporotic or traumatic vertebral fracture{where}" in basis


@pytest.mark.parametrize(
    ("code", "level", "expected"),
    [
        ("S12.100A", "C2", "unmet"),  # the second cervical vertebra, here
        ("S12.100A", "C3", "met"),  # ... not the third
        ("S12.9XXA", "C5", "unknown"),  # cervical spine, level not named: this one or another
        ("S12.9XXA", "T12", "met"),  # a fracture of the neck is never thoracolumbar
        ("S12.8XXA", "C5", "met"),  # hyoid, larynx, trachea: not a vertebra
    ],
)
def test_a_cervical_fracture_is_a_fracture_from_another_cause(code, level, expected):
    metastasis = condition("met-x", "C79.51", level=level)
    checked = single(default_patient(extra=(metastasis, condition("fx", code))), level)
    assert statuses(checked, level)[6] == expected


def test_a_fracture_code_naming_two_vertebrae_is_at_one_of_them_not_both():
    # The fracture ConceptMap marks S22.05-S22.08's two targets inexact: one of these levels.
    fracture = condition("trauma", "S22.080A")
    checked = single(default_patient(extra=(fracture,)), "T12")
    (crit,) = [c for c in checked.levels[0].criteria if c.number == 6]
    assert crit.status == "unknown"
    assert "fracture at T11 or T12" in crit.basis and "T11, T12" not in crit.basis
    assert "confirm which" in crit.action
    met_l1 = condition("met-l1", "C79.51", level="L1")
    at_l1 = single(default_patient(extra=(met_l1, fracture)), "L1")
    assert statuses(at_l1, "L1")[6] == "met"  # neither T11 nor T12


def _fully_recorded(level: str, fracture: dict) -> list[dict]:
    """A metastasis at ``level`` with its SINS findings and Bilsky 0, and a fracture Condition."""
    recorded = [
        condition("met-x", "C79.51", level=level),
        *(finding(f"x-{code}", code, answer, level=level) for code, answer in SINS_AT_T12.items()),
        finding("bilsky-x", "epidural-spinal-cord-compression", "bilsky-0", level=level),
    ]
    return default_patient(extra=(*recorded, fracture))


@pytest.mark.parametrize(
    ("code", "level", "said"),
    [
        # S12.9 (cervical spine NOS) is at one of C1–C7: C1 is no neighbour of C6
        ("S12.9XXA", "C6", "osteoporotic or traumatic fracture at one of C1–C7 — confirm which"),
        ("S22.080A", "T12", "osteoporotic or traumatic fracture at T11 or T12 — confirm which"),
    ],
)
def test_a_fracture_at_one_of_several_levels_is_summarised_by_those_levels(code, level, said):
    resources = _fully_recorded(level, condition("fx", code))
    (crit,) = [c for c in single(resources, level).levels[0].criteria if c.number == 6]
    assert crit.status == "unknown" and crit.finding == said
    cards, _, _, _ = surfaces(decisions_for(resources, (order("o", cement_code(level), level),)))
    (card,) = [c for c in cards if c.summary.startswith(f"Vertebroplasty {level}")]
    assert said in card.summary
    assert "neighbour" not in card.summary + (card.detail or "")


@pytest.mark.parametrize(
    ("fracture", "level", "where"),
    [
        (condition("fx", "S12.100A"), "C3", " at C2"),  # the second cervical vertebra
        (condition("fx", "S12.000A"), "C6", " at C1"),
        (condition("fx", "S12.9XXA"), "L2", " at C1–C7 (S12.9XXA)"),  # the neck, never lumbar
        (condition("fx", "M80.08XA", level="L3"), "L2", " at L3"),  # a neighbour, not here
    ],
)
def test_a_fracture_recorded_at_another_level_is_named_where_criterion_6_is_met(
    fracture, level, where
):
    # Met (contract §5: no such fracture at the level or without one), but never "none
    # recorded": the fracture elsewhere is named, and that it is not at this level.
    resources = _fully_recorded(level, fracture)
    (crit,) = [c for c in single(resources, level).levels[0].criteria if c.number == 6]
    said = f"osteoporotic or traumatic vertebral fracture{where} (1 May 2024) — not at {level}"
    assert crit.status == "met" and crit.basis == said
    _, card_text, _, _ = surfaces(
        decisions_for(resources, (order("o", cement_code(level), level),))
    )
    assert said in card_text
    assert "no osteoporotic or traumatic vertebral fracture recorded" not in card_text
    # With none recorded anywhere, the basis says so.
    (crit,) = [c for c in single(default_patient(), "T12").levels[0].criteria if c.number == 6]
    assert crit.basis == "no osteoporotic or traumatic vertebral fracture recorded"


@pytest.mark.parametrize(
    ("code", "extra", "drop", "expected"),
    [
        ("22511", (measurement("inr", "6301-6", 1.8),), ("inr",), "unmet"),
        ("22511", (measurement("platelets", "777-3", 80, "10*9/L"),), ("platelets",), "met"),
        ("22842", (measurement("platelets", "777-3", 80, "10*9/L"),), ("platelets",), "unmet"),
        ("22511", (measurement("platelets", "26515-7", 120, "10*3/uL"),), ("platelets",), "met"),
        ("22511", (), ("inr",), "unknown"),
        ("22511", (measurement("inr", "6301-6", 1.1, when=STALE),), ("inr",), "unknown"),
        ("22511", (condition("dic", "D65"),), (), "unmet"),
        ("22511", (condition("thrombophilia", "D68.51"),), (), "met"),  # not a bleeding risk
    ],
)
def test_bleeding_risk(code, extra, drop, expected):
    checked = single(default_patient(drop=drop, extra=extra), "T12", code=code)
    assert statuses(checked, "T12")[7] == expected


@pytest.mark.parametrize(
    ("code", "inr", "platelets", "unmet", "met"),
    [
        # Fixation: INR 2.3 and platelets 80 both out of range (platelets ≥ 100 for screws).
        ("22842", 2.3, 80, ["INR 2.3 (above 1.5)", "platelets 80 × 10⁹/L (below 100)"], []),
        # Vertebroplasty: platelets 45 below 50; the INR in range reads as within its limit.
        ("22511", 1.1, 45, ["platelets 45 × 10⁹/L (below 50)"], ["INR 1.1 (≤ 1.5)"]),
    ],
)
def test_a_lab_out_of_range_is_said_against_its_limit_as_the_summary_says_it(
    code, inr, platelets, unmet, met
):
    # The detail says what is wrong in the summary's words: "INR 2.3 (≤ 1.5)" reads as met.
    labs = (measurement("inr", "6301-6", inr), measurement("plt", "777-3", platelets, "10*9/L"))
    checked = single(default_patient(drop=("inr", "platelets"), extra=labs), "T12", code=code)
    bleeding = next(c for c in checked.levels[0].criteria if c.number == 7)
    assert bleeding.status == "unmet"
    assert bleeding.finding == "; ".join(unmet)
    said = [part.split(", ")[0] for part in bleeding.basis.split("; ")]  # then its day
    assert said == ([*met, *unmet] if code == "22511" else unmet)
    assert "(≥" not in bleeding.basis  # neither platelet count is said as if it met its limit
    # Each lab cited by its name as a clinician reads it, not the adapter's key ("inr: 2.3").
    assert bleeding.basis.startswith(f"INR {inr:g} (")
    assert f"platelets {platelets:g} × 10⁹/L (below " in bleeding.basis
    assert bleeding.basis.count(", 30 May 2024") == 2  # each lab's day, said once
    assert "inr:" not in bleeding.basis and "platelets:" not in bleeding.basis


def test_an_active_anticoagulant_makes_bleeding_risk_unknown():
    warfarin = {
        "resourceType": "MedicationRequest", "id": "warfarin", "status": "active",
        "intent": "order", "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "B01AA03"}]},
    }  # fmt: skip
    checked = single(default_patient(extra=(warfarin,)), "T12")
    bleeding = next(c for c in checked.levels[0].criteria if c.number == 7)
    assert bleeding.status == "unknown" and "check when it was stopped" in bleeding.basis


def test_fixation_treats_the_reason_level_and_lists_the_instrumented_ones():
    checked = single(default_patient(), "T11", "T12", "L1", code="22842", reasons=("met-t12",))
    treated = [lv.level for lv in checked.levels if not lv.instrumented]
    instrumented = [lv.level for lv in checked.levels if lv.instrumented]
    assert treated == ["T12"] and instrumented == ["T11", "L1"]
    assert set(statuses(checked, "T11")) == {1, 4, 6, 7, 8, 9}  # not judged by 2, 3 and 5
    assert checked.indicator == "info"


def test_fixation_without_reason_treats_the_ordered_levels_that_carry_a_metastasis():
    checked = single(default_patient(), "T11", "T12", "L1", code="22842")
    assert [lv.level for lv in checked.levels if not lv.instrumented] == ["T12"]


def test_a_fixation_with_no_metastasis_at_its_levels_and_no_reason_judges_them_as_treated():
    # Contract §5: with no reasonReference and no metastasis at an ordered level the fixation has
    # no treated level by the rule, so its levels are judged — never "meets" by default.
    resources = default_patient()
    fixation = order("fx", "22842", "L2", "L3")
    (checked,) = check(resources, fixation)
    assert [lv.level for lv in checked.levels if not lv.instrumented] == ["L2", "L3"]
    assert not any(lv.instrumented for lv in checked.levels)
    assert statuses(checked, "L2")[2] == "unmet" and statuses(checked, "L3")[2] == "unmet"
    assert checked.indicator == "warning"
    lead = "No metastasis recorded at L2 (metastases: T12) — check the level"
    _, card_text, text, _ = surfaces(decisions_for(resources, [fixation]))
    assert f"ORDER ServiceRequest/fx [warning] Pedicle screw fixation L2, L3: {lead}" in text
    assert f"Pedicle screw fixation L2, L3: {lead}" in card_text
    assert "meets the case series" not in card_text + text


def test_a_fixation_at_levels_without_metastasis_is_unknown_with_one_without_a_level():
    resources = default_patient(extra=(condition("met", "C79.51"),))
    checked = single(resources, "L2", "L3", code="22842")
    assert not any(lv.instrumented for lv in checked.levels)
    assert statuses(checked, "L2")[2] == "unknown" and checked.indicator == "warning"


def test_an_order_without_a_level_checks_every_scored_level_and_asks_for_one():
    resources = default_patient(extra=(condition("met-l2", "C79.51", level="L2"),))
    checked = single(resources)
    assert [lv.level for lv in checked.levels] == ["T12", "L2"]
    assert not checked.level_named and checked.indicator == "warning"


def test_which_orders_are_checked():
    orders = (
        order("vp", "22510", "T12"),
        order("wiring", "22841", "T12"),  # wiring, not screws: not checked
        order("old", "22510", "T12", status="completed"),
        order("signed", "22510", "T12", status="active"),
    )
    assert [c.order.reference for c in check(default_patient(), *orders)] == [
        "ServiceRequest/vp",
        "ServiceRequest/signed",
    ]
    selected = check(default_patient(), *orders, hook="order-select",
                     selections=["ServiceRequest/vp"])  # fmt: skip
    assert [c.order.reference for c in selected] == ["ServiceRequest/vp"]


def test_the_worst_level_decides_the_indicator():
    resources = default_patient(extra=(
        condition("met-l2", "C79.51", level="L2"),
        finding("bilsky-l2", "epidural-spinal-cord-compression", "bilsky-3", level="L2"),
    ))  # fmt: skip
    checked = single(resources, "T12", "L2")
    assert statuses(checked, "T12")[5] == "met" and statuses(checked, "L2")[5] == "unmet"
    assert checked.indicator == "critical"


def test_a_patient_without_levels_gets_a_warning():
    checked = single([patient(), condition("primary", "C34.90")], "T12")
    assert statuses(checked, "T12")[2] == "unmet" and checked.indicator == "warning"


# --- criterion 7: an antithrombotic however the record writes it (contract §5, §2 v3) ---------

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
APIXABAN = {"coding": [{"system": RXNORM, "code": "1364445",
                        "display": "apixaban 5 MG Oral Tablet"}]}  # fmt: skip


def _request(mid: str = "m", **medication) -> dict:
    return {
        "resourceType": "MedicationRequest", "id": mid, "status": "active", "intent": "order",
        "subject": {"reference": "Patient/p"}, "authoredOn": "2024-05-20T09:00:00Z", **medication,
    }  # fmt: skip


def _coded(code: str, display: str) -> dict:
    concept = {"coding": [{"system": RXNORM, "code": code, "display": display}]}
    return _request(medicationCodeableConcept=concept)


ANTITHROMBOTICS = {
    # How EHRs send it: a reference to a Medication in the same input.
    "referenced": (
        (_request(medicationReference={"reference": "Medication/apx"}),
         {"resourceType": "Medication", "id": "apx", "code": APIXABAN}),
        "apixaban 5 MG Oral Tablet",
    ),
    # A Medication contained in the request.
    "contained": (
        (_request(contained=[{"resourceType": "Medication", "id": "m1", "code": APIXABAN}],
                  medicationReference={"reference": "#m1"}),),
        "apixaban 5 MG Oral Tablet",
    ),
    # A brand or a strength the ValueSet does not list: named by its ingredient or brand.
    "brand": ((_coded("1364447", "Eliquis 5 MG Oral Tablet"),), "Eliquis 5 MG Oral Tablet"),
    "other strength": (
        (_coded("855302", "warfarin sodium 2 MG Oral Tablet"),),
        "warfarin sodium 2 MG Oral Tablet",
    ),
    "text only": (
        (_request(medicationCodeableConcept={"text": "enoxaparin 40 mg SC once daily"}),),
        "enoxaparin 40 mg SC once daily",
    ),
    # The Medication is not in the input, but the reference names it.
    "reference display": (
        (_request(medicationReference={"reference": "Medication/x",
                                       "display": "Xarelto 20 MG Oral Tablet"}),),
        "Xarelto 20 MG Oral Tablet",
    ),
    "statement": (
        ({"resourceType": "MedicationStatement", "id": "s", "status": "active",
          "subject": {"reference": "Patient/p"},
          "medicationCodeableConcept": {"text": "ticagrelor 90 mg twice daily"}},),
        "ticagrelor 90 mg twice daily",
    ),
    # No medication at all, but the problem list says the patient takes one.
    "Z79.01": (
        (condition("z", "Z79.01") | {"code": {"coding": [
            {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "Z79.01",
             "display": "Long term (current) use of anticoagulants"}]}},),
        "Long term (current) use of anticoagulants",
    ),
    "Z79.02": (
        (condition("z", "Z79.02"),),
        "Long term (current) use of antithrombotics/antiplatelets",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(ANTITHROMBOTICS))
def test_an_antithrombotic_however_recorded_makes_bleeding_risk_unknown_naming_it(case):
    extra, named = ANTITHROMBOTICS[case]
    checked = single(default_patient(extra=extra), "T12")
    bleeding = next(c for c in checked.levels[0].criteria if c.number == 7)
    assert bleeding.status == "unknown", bleeding.basis
    assert named in bleeding.basis and "check when it was stopped" in bleeding.basis
    assert checked.indicator == "warning"


@pytest.mark.parametrize(
    "extra",
    [
        # Another drug, by text: not an antithrombotic, criterion 7 stays met.
        (_request(medicationCodeableConcept={"text": "ondansetron 8 mg orally twice daily"}),),
        # A stopped anticoagulant, by text.
        (
            _request(medicationCodeableConcept={"text": "enoxaparin 40 mg SC"})
            | {"status": "stopped"},
        ),
        # An ingredient name inside another word is no ingredient ("heparinised saline" is).
        (_request(medicationCodeableConcept={"text": "paraspirinol 1 tablet"}),),
    ],
    ids=["other drug", "stopped", "not a whole word"],
)
def test_a_medication_that_names_no_antithrombotic_leaves_bleeding_risk_met(extra):
    checked = single(default_patient(extra=extra), "T12")
    assert statuses(checked, "T12")[7] == "met"


def test_an_active_medication_that_cannot_be_identified_makes_bleeding_risk_unknown():
    # A reference to a Medication the input does not hold, and nothing else: what the drug is
    # is missing data, never "no antithrombotic" (contract §5: never guessed).
    unknown = _request(medicationReference={"reference": "Medication/gone"})
    checked = single(default_patient(extra=(unknown,)), "T12")
    bleeding = next(c for c in checked.levels[0].criteria if c.number == 7)
    assert bleeding.status == "unknown"
    assert "medication not identified" in bleeding.basis


@pytest.mark.parametrize(
    "code",
    ["51282000", "421060004"],  # bone structure of spine, structure of vertebral column
)
def test_a_metastasis_somewhere_in_the_spine_may_be_at_the_ordered_level(code):
    # Contract §2: only a non-spinal bodySite is an extraspinal focus; a spinal site without a
    # level may be at L2 (criterion 2 unknown), and its grade is not recorded (criterion 8 unknown).
    concept = {"coding": [{"system": SNOMED, "code": code}]}
    resources = default_patient(drop=("met-t12",), extra=(_by_region(concept),))
    checked = single(resources, "L2")
    by_number = {c.number: c for c in checked.levels[0].criteria}
    assert by_number[2].status == "unknown"
    assert by_number[8].status == "unknown"


# --- criterion 7: what a name does not say (audit 9, #4, #5) ---------------------------------


def _text(said: str, **extra) -> dict:
    return _request(medicationCodeableConcept={"text": said}) | extra


def _given(said: str, when: str, mid: str = "ma") -> dict:
    return {
        "resourceType": "MedicationAdministration", "id": mid, "status": "completed",
        "subject": {"reference": "Patient/p"}, "effectiveDateTime": when,
        "medicationCodeableConcept": {"text": said},
    }  # fmt: skip


@pytest.mark.parametrize(
    "said",
    ["ASA 81 mg", "LMWH prophylaxis", "Clexane40mg", "Warfarine 5 mg", "DOAC (see GP letter)",
     "hold apixaban before surgery"],
)  # fmt: skip
def test_abbreviations_glued_doses_and_spellings_name_an_antithrombotic(said):
    checked = single(default_patient(extra=(_text(said),)), "T12")
    bleeding = next(c for c in checked.levels[0].criteria if c.number == 7)
    assert bleeding.status == "unknown", bleeding.basis
    assert said in bleeding.basis and "check when it was stopped" in bleeding.basis


@pytest.mark.parametrize(
    "said",
    ["no aspirin", "not on warfarin", "stop warfarin", "stopped clopidogrel 25 May",
     "discontinue apixaban", "warfarin allergy", "allergic to aspirin", "avoid NSAIDs and aspirin",
     "heparin lock flush 10 units/mL injection", "heparin 100 units/mL catheter lock"],
)  # fmt: skip
def test_a_negated_stopped_or_line_lock_name_is_no_antithrombotic(said):
    checked = single(default_patient(extra=(_text(said),)), "T12")
    assert statuses(checked, "T12")[7] == "met"


def test_an_antithrombotic_administered_today_makes_bleeding_risk_unknown():
    given = _given("enoxaparin 40 mg sc", "2024-06-01T07:00:00Z")
    checked = single(default_patient(extra=(given,)), "T12")
    bleeding = next(c for c in checked.levels[0].criteria if c.number == 7)
    assert bleeding.status == "unknown", bleeding.basis
    assert "enoxaparin 40 mg sc" in bleeding.basis and "given" in bleeding.basis


def test_an_antithrombotic_administered_a_week_ago_is_not_current():
    given = _given("enoxaparin 40 mg sc", "2024-05-25T07:00:00Z")
    checked = single(default_patient(extra=(given,)), "T12")
    assert statuses(checked, "T12")[7] == "met"


def test_many_unidentified_medications_are_said_once_naming_three():
    unknown = tuple(
        _request(f"u{i}", medicationReference={"reference": f"Medication/x{i}"}) for i in range(12)
    )
    checked = single(default_patient(extra=unknown), "T12")
    bleeding = next(c for c in checked.levels[0].criteria if c.number == 7)
    assert bleeding.status == "unknown"
    assert bleeding.basis.count("not identified") == 1, bleeding.basis
    assert "12 medications not identified" in bleeding.basis
    assert "_include" in bleeding.basis and "+9 more" in bleeding.basis
    assert len(bleeding.basis) < 400, len(bleeding.basis)


@pytest.mark.parametrize(
    "said",
    ["do not stop aspirin", "stop warfarin, start apixaban 5 mg", "aspirin 75 mg, do not crush",
     "apixaban 5 mg (stop 48 h before surgery)", "heparinised saline 5 mL"],
)  # fmt: skip
def test_a_negation_reaches_only_its_own_name_and_clause(said):
    checked = single(default_patient(extra=(_text(said),)), "T12")
    assert statuses(checked, "T12")[7] == "unknown", said


def test_an_infusion_in_progress_counts_however_long_ago_it_started():
    running = _given("heparin infusion 1000 units/h", "2024-05-20T07:00:00Z") | {
        "status": "in-progress"
    }
    checked = single(default_patient(extra=(running,)), "T12")
    bleeding = next(c for c in checked.levels[0].criteria if c.number == 7)
    assert bleeding.status == "unknown" and "being given" in bleeding.basis


def test_a_missing_palsy_grade_is_asked_for_by_name_not_by_finding_code():
    # Contract §4 v3: card details name what to record by display, never a finding code.
    checked = single(default_patient(drop=("frankel",)), "T12")
    palsy = next(c for c in checked.levels[0].criteria if c.number == 4)
    assert palsy.status == "unknown"
    action = palsy.action or ""
    assert "frankel-grade" not in action
    assert "Frankel" in action and "AIS" in action


# T12 (junctional 3) + mechanical 3 + lytic 2 + de novo deformity 2 + collapse > 50 % 3
# + unilateral posterolateral 1 = 14: unstable, cement alone is a warning there.
UNSTABLE_T12 = {"spinal-alignment": "de-novo-deformity", "vertebral-body-collapse": "gt-50",
                "posterolateral-involvement": "unilateral"}  # fmt: skip
_COMBINED = "the case series combined cement with pedicle screw fixation"


def test_cement_with_a_bridging_fixation_for_the_level_is_not_alone():
    # Screws above and below T12, for the T12 metastasis (reasonReference), and cement in T12:
    # the case series' own construct. The fixation treats T12, so the cement is not alone.
    bridge = order("f", "22842", "T11", "L1", reasons=("met-t12",))
    screws, cement = check(default_patient(sins=UNSTABLE_T12), bridge, order("v", "22510", "T12"))
    assert not any(_COMBINED in c.finding for c in cement.concerns)
    assert cement.indicator == "info" and screws.indicator == "info"
    # An order not to place the screws keeps the cement alone.
    dont = {**bridge, "doNotPerform": True}
    _, alone = check(default_patient(sins=UNSTABLE_T12), dont, order("v", "22510", "T12"))
    assert [c.finding for c in alone.concerns] == [f"SINS 14, unstable: {_COMBINED}"]
    assert alone.indicator == "warning"


def test_cement_between_the_screws_of_the_same_request_is_not_alone_without_a_reason():
    # The case series' construct ordered as it is often coded: screws at T11 and L1 (no
    # reasonReference), cement at T12. The cement is not alone, and the fixation treats T12.
    bridge = order("f", "22842", "T11", "L1")
    screws, cement = check(default_patient(sins=UNSTABLE_T12), bridge, order("v", "22510", "T12"))
    assert not any(_COMBINED in c.finding for c in cement.concerns)
    assert [(lv.level, lv.instrumented) for lv in screws.levels] == [
        ("T12", False), ("T11", True), ("L1", True)
    ]  # fmt: skip
    assert "No metastasis recorded" not in headline(screws)
    assert cement.indicator == "info" and screws.indicator == "info"
    # Screws ordered alone, no reason given and no metastasis at their levels, bridge the
    # metastasis their span holds: T12 is judged, not T11 and L1 as wrong levels (they said
    # "No metastasis recorded at T11" and left T12's fracture and compression unjudged). Cement
    # outside their span stays alone.
    (alone,) = check(default_patient(sins=UNSTABLE_T12), bridge)
    assert [(lv.level, lv.instrumented) for lv in alone.levels] == [
        ("T12", False), ("T11", True), ("L1", True)
    ]  # fmt: skip
    assert "No metastasis recorded" not in headline(alone)
    below = {**order("v", "22511", "L2"), "id": "v2"}
    resources = default_patient(
        sins=UNSTABLE_T12, extra=(condition("met-l2", "C79.51", level="L2"),)
    )
    _, apart = check(resources, bridge, below)
    assert [lv.level for lv in apart.levels] == ["L2"]


def test_cement_between_the_screws_is_not_alone_when_a_screw_level_holds_a_tumour_too():
    resources = default_patient(
        sins=UNSTABLE_T12, extra=(condition("met-l1", "C79.51", level="L1"),)
    )
    _, cement = check(resources, order("f", "22842", "T11", "L1"), order("v", "22510", "T12"))
    assert not any(_COMBINED in c.finding for c in cement.concerns)


def test_cement_between_two_ordered_constructs_stays_alone():
    screws = order("f", "22842", "T4", "T6", "L2", "L4")
    _, cement = check(default_patient(sins=UNSTABLE_T12), screws, order("v", "22510", "T12"))
    assert [c.finding for c in cement.concerns] == [f"SINS 14, unstable: {_COMBINED}"]


def test_radiotherapy_in_progress_at_the_level_is_named():
    running = procedure("rt", "77373", "T12", status="in-progress")
    del running["performedDateTime"]
    running["performedPeriod"] = {"start": "2024-05-20T10:00:00Z"}
    fixation = order("f", "22842", "T11", "T12", "L1")
    (checked,) = check(default_patient(extra=(running,)), fixation)
    assert checked.context == (
        "SBRT T12 in progress since 20 May 2024 — wound and fracture risk.",
        "Radiotherapy at T12 is under way: agree the timing of surgery and of the remaining "
        "fractions with the radiation oncologist.",
    )
    assert not any("Plan postoperative radiotherapy" in line for line in checked.context)
    # The same course completed: named with its date, and no new course planned as if none was.
    done = procedure("rt", "77373", "T12", when="2024-05-20T10:00:00Z")
    (after,) = check(default_patient(extra=(done,)), fixation)
    assert after.context == (
        "SBRT T12 on 20 May 2024 — wound and fracture risk.",
        "T12 was irradiated on 20 May 2024: radiotherapy there after surgery would be "
        "re-irradiation — plan it with the radiation oncologist.",
    )
    # In progress at another level only: not named, and postoperative radiotherapy as usual.
    elsewhere = procedure("rt", "77373", "T6", status="in-progress")
    del elsewhere["performedDateTime"]
    elsewhere["performedPeriod"] = {"start": "2024-05-20T10:00:00Z"}
    (away,) = check(default_patient(extra=(elsewhere,)), fixation)
    assert away.context == (
        "Plan postoperative radiotherapy once the wound has healed (usually 1–3 weeks).",
    )


@pytest.mark.parametrize(
    ("code", "system", "levels", "said"),
    [
        ("22511", CPT, ("T12",), "CPT 22511 (lumbosacral) ordered at T12"),
        ("22514", CPT, ("T12",), "CPT 22514 (lumbar) ordered at T12"),
        ("0QU03JZ", ICD10PCS, ("T12",), "ICD-10-PCS 0QU03JZ (lumbar) ordered at T12"),
        ("22510", CPT, ("L2",), "CPT 22510 (cervicothoracic) ordered at L2"),
        ("22513", CPT, ("L1", "L2"), "CPT 22513 (thoracic) ordered at L1, L2"),
        ("0PH434Z", ICD10PCS, ("L1", "L2", "L3"), "ICD-10-PCS 0PH434Z (thoracic) ordered at L1, L2, L3"),
    ],
)  # fmt: skip
def test_an_order_code_for_another_region_than_its_level_is_named(code, system, levels, said):
    resources = default_patient(extra=tuple(
        condition(f"met-{lv.lower()}", "C79.51", level=lv) for lv in levels if lv != "T12"
    ))  # fmt: skip
    checked = single(resources, *levels, code=code, system=system)
    finding = f"{said} — check the level or the code"
    assert [c.finding for c in checked.concerns if "check the level or the code" in c.finding] == [
        finding
    ]
    assert checked.indicator != "info"
    (card,) = order_cards(decisions_for(resources, [order("o", code, *levels, system=system)]), "h")
    assert finding in card.summary + card.detail
    assert "meets" not in card.summary


@pytest.mark.parametrize(
    ("code", "system", "levels"),
    [
        ("22510", CPT, ("T12",)),
        ("22513", CPT, ("T12",)),
        ("22511", CPT, ("L2",)),
        ("22511", CPT, ("S1",)),  # lumbosacral
        ("22513", CPT, ("T12", "L1")),  # a further body across the junction (22515)
        ("0PU43JZ", ICD10PCS, ("T12",)),
        ("22842", CPT, ("T11", "T12", "L1")),  # no region in the code
    ],
)  # fmt: skip
def test_an_order_code_of_the_level_s_region_says_nothing_of_it(code, system, levels):
    checked = single(default_patient(), *levels, code=code, system=system)
    assert not any("check the level or the code" in c.finding for c in checked.concerns)


def test_frankel_e_beside_an_ais_c_of_the_same_time_does_not_meet_criterion_4():
    # One form answered both scales: the deficit the AIS grade records is not settled by the
    # Frankel E beside it (contract §4 v3, §5: evidence may raise an alarm, never settle one).
    together = (finding("frankel", "frankel-grade", "frankel-e"),
                finding("ais", "asia-impairment-scale", "ais-c"))  # fmt: skip
    checked = single(default_patient(drop=("frankel",), extra=together), "T12")
    assert statuses(checked, "T12")[4] == "unmet"
    assert checked.indicator == "critical"


_STALE_PAIN = finding("t12-dp", "spinal-pain", "mechanical", level="T12", when=STALE)


@pytest.mark.parametrize("code", [None, "22842"], ids=["vertebroplasty", "fixation"])
def test_a_summary_cut_never_ends_on_a_bare_record(code):
    # Three conflicts, a dated pain and a finding missing: the first finding is too long for the
    # line even in its fewest words, and was cut to "…; re-assess pain (dated); record…",
    # naming nothing to record.
    extra = (_COLLAPSE_NONE, _AL2, _PL2, _STALE_PAIN)
    resources = default_patient(drop=("t12-spinal-pain", "t12-bone-lesion-quality"), extra=extra)
    line = summary(single(resources, "T12", code=code))
    assert "…" in line, line  # still too long: cut
    for bare in ("record…", "settle…", "the…", "conflicting…", "re-assess…", "confirm…"):
        assert bare not in line, line


@pytest.mark.parametrize("code", [None, "22513", "22842"])
def test_with_alignment_and_posterolateral_in_conflict_the_summary_keeps_the_subluxation(code):
    # Both what cement cannot treat in conflict: the shorter form dropped both values at once,
    # and the vertebroplasty line, its cement warnings left to the card, said no subluxation.
    sins = {"spinal-pain": "pain-free", "vertebral-body-collapse": "none"}
    line = summary(single(default_patient(sins=sins, extra=(_AL2, _PL2)), "T12", code=code))
    assert "alignment (subluxation/normal)" in line, line


@pytest.mark.parametrize("extra", [(_AL2,), ()], ids=["alignment in conflict", "one alignment"])
@pytest.mark.parametrize("code", [None, "22513"], ids=["vertebroplasty", "kyphoplasty"])
def test_a_warning_cut_to_fit_never_ends_on_a_bare_verb(extra, code):
    # The cement warning leads, a fracture with no level coded since its findings, and is too
    # long even in its short form: it was cut to "… coded since: settle…" or "…: re-image, or…",
    # what to do left unnamed.
    unplaced = condition("fxn", "M84.58XA", onset="2024-05-31T20:00:00Z")
    line = summary(single(default_patient(extra=(*extra, unplaced)), "T12", code=code))
    for bare in ("settle…", "record…", "or…"):  # "re-image…" is an action whole
        assert bare not in line, line


@pytest.mark.parametrize("code", [None, "22513"], ids=["vertebroplasty", "kyphoplasty"])
def test_a_cement_warning_cut_to_fit_keeps_what_to_do_before_cement_alone(code):
    # The warning leads and is too long even alone: the cut took "settle before cement alone"
    # with it, and the line said neither cement nor what to do.
    unplaced = condition("fxn", "M84.58XA", onset="2024-05-31T20:00:00Z")
    line = summary(single(default_patient(extra=(_AL2, unplaced)), "T12", code=code))
    assert "settle before cement alone" in line, line


@pytest.mark.parametrize("code", [None, "22513"], ids=["vertebroplasty", "kyphoplasty"])
@pytest.mark.parametrize(
    "extra", [(_PL2,), (_AL2, _PL2), ()], ids=["posterolateral", "both", "none"]
)
def test_a_cut_never_leaves_a_parenthesis_open_or_a_fracture_unnamed(extra, code):
    # A cement warning cut in its why: "(30…" was left open, and "a vertebral…" or "with no…"
    # named nothing, beside "record the fracture's level".
    unplaced = condition("fxn", "M84.58XA", onset="2024-05-31T20:00:00Z")
    line = summary(single(default_patient(extra=(*extra, unplaced)), "T12", code=code))
    assert line.count("(") == line.count(")"), line
    for dangling in ("vertebral…", "with…", "no…", "coded…"):
        assert dangling not in line, line


def test_a_lab_out_of_range_is_said_once_with_its_day():
    # "INR 3.2 (above 1.5): INR 3.2 (30 May 2024)": the value twice in the card's row.
    resources = default_patient(drop=("inr",), extra=(measurement("inr", "6301-6", 3.2),))
    checked = single(resources, "T12")
    seven = next(c for c in checked.patient if c.number == 7)
    assert seven.status == "unmet"
    assert seven.basis.startswith("INR 3.2 (above 1.5), 30 May 2024;"), seven.basis
    assert seven.basis.count("3.2") == 1, seven.basis


def test_a_lab_with_no_date_is_said_so_once():
    # "INR 1.1 (≤ 1.5), dated, no date recorded": dated because it has no date.
    untimed = measurement("inr", "6301-6", 1.1)
    del untimed["effectiveDateTime"]
    checked = single(default_patient(drop=("inr",), extra=(untimed,)), "T12")
    seven = next(c for c in checked.patient if c.number == 7)
    assert seven.status == "unknown"
    assert seven.basis.startswith("INR 1.1 (≤ 1.5), no date recorded, so dated;"), seven.basis
    assert seven.action == "re-assess: the evidence is dated"


def test_a_lab_given_as_a_bound_is_said_with_its_day():
    # "INR > 3 (above 1.5, a bound)": when it was taken was said nowhere.
    lab = measurement("inr", "6301-6", 3.5, when="2024-04-01T08:00:00Z")
    lab["valueQuantity"] = {"value": 3, "comparator": ">"}
    lab.pop("valueInteger", None)
    checked = single(default_patient(drop=("inr",), extra=(lab,)), "T12")
    seven = next(c for c in checked.patient if c.number == 7)
    assert seven.status == "unmet"
    assert seven.basis.startswith("INR > 3 (above 1.5, a bound), 1 Apr 2024;"), seven.basis


def test_screws_whose_span_holds_no_metastasis_still_judge_their_own_levels():
    # A construct away from every metastasis is a wrong level to say, never one that meets.
    (away,) = check(default_patient(), order("f", "22842", "L2", "L4"))
    assert [lv.level for lv in away.levels if not lv.instrumented] == ["L2", "L4"]
    assert "No metastasis recorded at L2" in headline(away)


def test_screws_ordered_again_around_a_bridged_metastasis_say_it_is_already_fixed():
    # Screws placed at T11 and L1 on 22 May with no reasonReference (as billing-derived records
    # are) bridge the T12 metastasis; the same screws ordered again judge T12 and say it is
    # already fixed, as the order bridges it too (the record and the order read one rule).
    done = procedure("px", "22842", "T11", "L1")
    (again,) = check(default_patient(extra=(done,)), order("o1", "22842", "T11", "L1"))
    assert again.indicator == "warning"
    assert "T12 already fixed on 22 May 2024" in headline(again), headline(again)
    # Cement ordered at T12 after that construct is not cement alone: T12 is within it.
    (cement,) = check(default_patient(sins=UNSTABLE_T12, extra=(done,)), order("v", "22510", "T12"))
    said = headline(cement) + " ".join(c.detail for c in cement.concerns)
    assert "Cement alone" not in said and "T12 already fixed on 22 May 2024" in said, said


def test_a_second_construct_around_no_metastasis_in_the_same_order_is_judged():
    # T4 and T6 bridge the T5 metastasis; L2 and L4 bracket L3, which carries none: those are
    # wrong levels to say whether the EHR sends the two constructs as one order or as two.
    resources = default_patient(extra=(condition("met-t5", "C79.51", level="T5"),))
    (both,) = check(resources, order("o1", "22842", "T4", "T6", "L2", "L4"))
    assert [lv.level for lv in both.levels if not lv.instrumented] == ["T5", "L2", "L4"]
    assert [lv.level for lv in both.levels if lv.instrumented] == ["T4", "T6"]
    assert "No metastasis recorded at L2" in headline(both), headline(both)
    # A long construct (two screw levels above, two below) is one construct around T12.
    (long,) = check(default_patient(), order("o2", "22842", "T10", "T11", "L1", "L2"))
    assert [lv.level for lv in long.levels if not lv.instrumented] == ["T12"]


def test_screws_into_one_metastasis_and_around_another_judge_both():
    # Screws at T11 and L1, metastases at T12 and L1: the construct treats L1 (a screw in it)
    # and bridges T12; T12's fracture and compression are judged, not left to criterion 8.
    resources = default_patient(extra=(condition("met-l1", "C79.51", level="L1"),))
    (screws,) = check(resources, order("o1", "22842", "T11", "L1"))
    assert [(lv.level, lv.instrumented) for lv in screws.levels] == [
        ("T12", False), ("L1", False), ("T11", True)
    ]  # fmt: skip


def test_a_level_known_from_findings_only_is_bridged_by_neither_an_order_nor_a_record():
    # T12 placed by its findings alone (the metastasis Condition names no level): screws at T11
    # and L1 ordered bridged it while the same screws completed did not, so one record was read
    # two ways. Neither bridges it; and the cement card names the screws around it rather than
    # saying that no fixation is recorded there.
    unplaced = condition("met-x", "C79.51")
    resources = default_patient(drop=("met-t12",), sins=UNSTABLE_T12, extra=(unplaced,))
    (screws,) = check(resources, order("f", "22842", "T11", "L1"))
    assert [lv.level for lv in screws.levels if not lv.instrumented] == ["T11", "L1"]
    done = procedure("px", "22842", "T11", "L1")
    (cement,) = check(
        default_patient(drop=("met-t12",), sins=UNSTABLE_T12, extra=(unplaced, done)),
        order("v", "22510", "T12"),
    )
    said = " ".join(c.detail for c in cement.concerns)
    assert "Cement alone at T12" in said and "no fixation ordered or recorded there" not in said
    assert "screws recorded at T11, L1 around it" in said, said
