"""The wording rules of contract §4 v3 ("cards a clinician reads") on the cards, the text report
and the page: summaries cut at a word boundary, citations without resource ids, drug names not
RxNorm numbers, "level not recorded", the haematological caveat, the deceased patient."""

from __future__ import annotations

import html
import re

import pytest

from adapter.cds.cards import score_cards
from adapter.cds.procedure import order_cards
from adapter.decision import decide
from adapter.decision.wording import HAEMATOLOGICAL_CAVEAT, shorten, without_ids
from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.orders import read_orders
from adapter.fhir.read.records import ResourceRef
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.procedure.orders import procedure_orders
from adapter.render.patient import patient_page
from adapter.render.text import text_report
from tests.support.records import (
    CLINICAL,
    NOW,
    SINS_AT_T12,
    condition,
    default_patient,
    draft_orders,
    finding,
    measurement,
    order,
    patient,
    procedure,
    site,
)

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def decisions_for(resources, orders=()):
    data = patient_records(resources, "p")
    assert data is not None
    term = default_terminology()
    result = score_patient(data, term, now=parse_time(NOW))
    found = procedure_orders(read_orders(draft_orders(*orders)), None, "order-sign", term)
    return decide(result, found)


def surfaces(decisions):
    cards = score_cards(decisions, "h") + order_cards(decisions, "h")
    card_text = "\n".join(c.summary + "\n" + (c.detail or "") for c in cards)
    return cards, card_text, text_report(decisions), patient_page(decisions)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short enough", "short enough"),
        ("word " * 30, ("word " * 27).strip() + "…"),  # 27 × 5 − 1 = 134 characters, then "…"
        ("x" * 150, "x" * 138 + "…"),  # one word longer than a summary: nothing else to cut at
    ],
)
def test_shorten_cuts_at_a_word_boundary(text, expected):
    assert shorten(text) == expected and len(shorten(text)) < 140


def test_shorten_never_cuts_mid_word():
    text = "Vertebroplasty T12: " + " ".join(f"finding{i}" for i in range(30))
    cut = shorten(text)
    assert cut.endswith("…") and len(cut) < 140
    kept = cut[:-1]
    assert text.startswith(kept) and text[len(kept)] == " "  # the cut falls between two words


def test_a_summary_cut_again_never_ends_in_two_ellipses():
    # A headline already cut, with more words after it, cut again (decision/sins.py adds a
    # verdict to a headline that may have been cut for a fracture).
    first = "T12 SINS 11 before cement: unstable; " + "word " * 17 + "re-imaging, or…"
    assert len(first) == 137  # the next cut falls right after it
    again = shorten(f"{first}; recorded unstable, level not recorded: SINS does not override it")
    assert "……" not in again and again.endswith("…") and len(again) < 140


def test_the_text_report_and_the_page_date_a_listed_input_as_the_cards_do():
    # The listing names the resource, then the day and the dated mark as every other surface
    # says them ("Mar 2023, dated"; "no date recorded" for an input with no time, which is why
    # it is dated), never a second form ("Mar 2023 (dated)"), nor "(dated)" with no day said.
    untimed = finding("frankel", "frankel-grade", "frankel-c")
    del untimed["effectiveDateTime"]
    old = finding("v", "visceral-metastases", "none", when="2023-03")
    _, _, report, page = surfaces(
        decisions_for(default_patient(drop=("frankel",), extra=(untimed, old)))
    )
    page = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for name, text in (("report", report), ("page", page)):
        assert "Frankel C: motor useless — Observation/frankel, no date recorded" in text, name
        assert "Visceral metastases (Tomita): None — Observation/v, Mar 2023, dated" in text, name
        assert not re.search(r"Observation/(frankel|v)(, Mar 2023)? \(dated\)", text), name


def test_cards_cite_the_reading_and_day_never_the_resource_id():
    ev = Evidence(
        ResourceRef("Observation", "Observation/o1"), parse_time("2024-05-20T09:00:00Z"), "KPS: 80"
    )
    assert ev.said == "KPS: 80 (20 May 2024)"
    assert ev.listed == "KPS: 80 — Observation/o1, 20 May 2024"  # the text report and the page
    assert (
        without_ids("Observation/o-1: dated 2024-05-20T09:00:00Z")
        == "Observation: dated 20 May 2024"
    )
    _, card_text, _, _ = surfaces(decisions_for(default_patient(), [order("vp", "22510", "T12")]))
    assert not re.search(r"(Observation|Condition|Patient)/\w", card_text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", card_text)
    assert "30 May 2024" in card_text


def test_a_fracture_since_a_treatment_is_cited_on_the_card_by_its_day_never_its_id():
    fracture = condition("fx", "M84.58XA", onset="2024-06-01T08:00:00Z", level="T12")
    cement = procedure("vp", "22511", "T12", when="2024-05-31T10:00:00Z")
    _, card_text, report, _ = surfaces(decisions_for(default_patient(extra=(cement, fracture))))
    assert "a vertebral fracture (ICD-10-CM M84.58XA at T12) (1 Jun 2024)" in card_text
    assert not re.search(r"(Observation|Condition|Procedure|Patient)/\w", card_text)
    assert "Condition/fx" in report  # the text report lists the resource, as it lists inputs


def test_an_antithrombotic_without_a_name_in_the_record_takes_the_mappings_display():
    bare = {
        "resourceType": "MedicationStatement", "id": "apx", "status": "active",
        "subject": {"reference": "Patient/p"}, "dateAsserted": "2024-05-20",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "1364430"}]},
    }  # fmt: skip
    decisions = decisions_for(default_patient(extra=(bare,)), [order("vp", "22510", "T12")])
    _, card_text, _, _ = surfaces(decisions)
    assert "antithrombotic apixaban, active (20 May 2024)" in card_text
    assert "1364430" not in card_text


def test_an_antithrombotic_is_named_by_its_drug_not_its_rxnorm_number():
    apixaban = {
        "resourceType": "MedicationRequest", "id": "apx", "status": "active", "intent": "order",
        "subject": {"reference": "Patient/p"}, "authoredOn": "2024-05-20",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "1364430",
                                                  "display": "apixaban 5 MG Oral Tablet"}]},
    }  # fmt: skip
    decisions = decisions_for(default_patient(extra=(apixaban,)), [order("vp", "22510", "T12")])
    _, card_text, _, _ = surfaces(decisions)
    assert "apixaban 5 MG Oral Tablet, active (20 May 2024)" in card_text
    assert "1364430" not in card_text


def test_a_bilsky_without_a_level_says_level_not_recorded_on_every_surface():
    loose = finding("bilsky-x", "epidural-spinal-cord-compression", "bilsky-3")
    decisions = decisions_for(default_patient(extra=(loose,)))
    cards, _, text, page = surfaces(decisions)
    assert cards[0].summary.startswith("Suspected spinal cord compression (Bilsky 2–3, level not")
    assert "Bilsky 2–3, level not recorded" in text and "Bilsky 2–3, level not recorded" in page
    assert "at T12" not in cards[0].summary  # never the level it might have been copied to


def test_myeloma_marks_tomita_and_tokuhashi_not_validated_wherever_they_appear():
    resources = default_patient(drop=("primary",), extra=(condition("myeloma", "C90.00"),))
    decisions = decisions_for(resources, [order("vp", "22510", "T12")])
    cards, _, text, page = surfaces(decisions)
    prognosis = [c for c in cards if c.source.topic and c.source.topic.code != "sins"]
    assert prognosis and all(HAEMATOLOGICAL_CAVEAT in c.summary for c in prognosis)
    procedure = cards[-1]
    assert f"Tomita ({HAEMATOLOGICAL_CAVEAT}): 2–3 — " in procedure.detail  # as the text heads it
    assert f"Revised Tokuhashi (2005) ({HAEMATOLOGICAL_CAVEAT}): 12 — " in procedure.detail
    for surface in (text, page):
        assert surface.count(HAEMATOLOGICAL_CAVEAT) >= 2  # Tomita and revised Tokuhashi
    lung = decisions_for(default_patient())
    assert HAEMATOLOGICAL_CAVEAT not in "".join(surfaces(lung)[1:3])


def test_a_deceased_patient_gets_no_recommendation_anywhere():
    resources = default_patient(
        extra=(finding("frankel-c", "frankel-grade", "frankel-c", when="2024-05-31T09:00:00Z"),)
    )
    resources[0]["deceasedDateTime"] = "2024-05-31"
    decisions = decisions_for(resources, [order("vp", "22510", "T12")])
    cards, card_text, text, page = surfaces(decisions)
    assert [c.indicator for c in cards] == ["info", "warning"]
    assert cards[0].summary.startswith("Deceased 31 May 2024")
    assert "recorded as deceased on 31 May 2024 — check the patient's identity" in cards[1].summary
    for surface in (text, page, card_text):
        assert "consultation" not in surface and "MSCC" not in surface
        assert "Published strategy" not in surface
    assert "DECEASED (31 May 2024)" in text and "<h2>Deceased 31 May 2024</h2>" in page


def test_suspected_compression_heads_the_text_report_and_the_page():
    frankel = finding("frankel", "frankel-grade", "frankel-c")
    decisions = decisions_for(default_patient(drop=("frankel",), extra=(frankel,)))
    cards, _, text, page = surfaces(decisions)
    assert cards[0].indicator == "critical"
    lines = text.splitlines()
    assert lines[1].startswith("  ALERT [critical] Suspected spinal cord compression (Frankel")
    assert page.index('data-neurology="critical"') < page.index("<figure>")
    assert "Frankel/AIS C" in page[: page.index("<figure>")]


def test_a_condition_is_named_by_its_display_on_every_surface():
    resources = default_patient()
    met = next(r for r in resources if r["id"] == "met-t12")
    met["code"]["coding"][0]["display"] = "Secondary malignant neoplasm of bone"
    _, card_text, text, _ = surfaces(decisions_for(resources))
    assert "lesion at T12 (Secondary malignant neoplasm of bone) (1 May 2024)" in card_text
    assert "(C79.51)" not in card_text
    assert (
        "lesion at T12 (Secondary malignant neoplasm of bone) — Condition/met-t12, 1 May 2024"
        in text
    )


def test_a_level_less_sins_finding_used_at_the_only_level_says_level_not_recorded():
    resources = default_patient()
    pain = next(r for r in resources if r["id"] == "t12-spinal-pain")
    del pain["bodySite"]
    _, card_text, text, page = surfaces(decisions_for(resources))
    shown = "Spinal pain character: Mechanical pain, level not recorded"
    assert f"{shown} (30 May 2024)" in card_text
    assert f"{shown} — Observation/t12-spinal-pain" in text
    assert f"{shown} — Observation/t12-spinal-pain" in page


def test_an_order_at_a_level_never_borrows_a_level_less_bilsky_as_its_own():
    resources = default_patient(
        drop=("bilsky-t12",),
        extra=(finding("bilsky-x", "epidural-spinal-cord-compression", "bilsky-3"),),
    )
    decisions = decisions_for(resources, [order("vp", "22510", "T12")])
    (verdict,) = decisions.orders
    cards, _, text, page = surfaces(decisions)
    assert "Bilsky 3, level not recorded" in verdict.summary
    assert "Bilsky 3 at T12" not in text + page
    assert cards[-1].summary == verdict.summary


def test_findings_focused_on_a_lesion_at_several_levels_count_at_none_of_them():
    multi = condition("met-multi", "C79.51")
    multi["bodySite"] = [*site("T6"), *site("T12")]
    on_multi = [{"reference": "Condition/met-multi"}]
    resources = default_patient(
        drop=("met-t12", "bilsky-t12", *(f"t12-{code}" for code in SINS_AT_T12)),
        extra=(multi, finding("bilsky", "epidural-spinal-cord-compression", "bilsky-1a",
                              focus=on_multi),
               *(finding(code, code, answer, focus=on_multi) for code, answer in (
                   ("spinal-pain", "mechanical"), ("bone-lesion-quality", "lytic"),
                   ("spinal-alignment", "subluxation"), ("vertebral-body-collapse", "gt-50"),
                   ("posterolateral-involvement", "bilateral")))),
    )  # fmt: skip
    decisions = decisions_for(resources, [order("vp", "22510", "T6")])
    _, card_text, text, _ = surfaces(decisions)
    assert sorted(s.level or "" for s in decisions.sins) == ["T12", "T6"]
    assert not any(s.result.total.certain for s in decisions.sins)  # one decision, every surface
    assert "SINS 18" not in card_text and "SINS T12: 18" not in text and "SINS T6: 16" not in text
    assert "record the level (bodySite) of the finding" in text
    (verdict,) = decisions.orders
    t6 = verdict.check.levels[0]
    assert t6.level == "T6" and t6.status(5) == "unknown" and t6.status(8) != "met"
    assert "Bilsky 1a" not in next(c.basis for c in t6.criteria if c.number == 5)


def test_findings_and_conditions_the_record_does_not_name_take_the_mappings_displays():
    _, card_text, _, _ = surfaces(decisions_for(default_patient()))
    assert "lesion at T12 (Secondary malignant neoplasm of bone) (1 May 2024)" in card_text
    # C34.90 itself has no display in the mappings: its category C34's is shown
    assert "primary tumour: lung (Malignant neoplasm of bronchus and lung)" in card_text
    assert "C79.51" not in card_text and "C34.90" not in card_text
    assert "Vertebral body collapse: Less than 50% collapse (30 May 2024)" in card_text
    assert "vertebral-body-collapse" not in card_text and "lt-50" not in card_text


def test_a_time_written_as_a_month_alone_reads_as_a_month():
    # A complication or a measurement dated "2024-05" is shown as it is read: "May 2024".
    from adapter.decision.wording import readable_dates

    assert readable_dates("2024-05") == "May 2024"
    assert readable_dates("Dated input: X (Observation/x, 2024-05): 40 days") == (
        "Dated input: X (Observation/x, May 2024): 40 days"
    )
    assert readable_dates("codes 2020-2024 and 1999-12-31") == "codes 2020-2024 and 31 Dec 1999"


def test_without_ids_drops_a_cited_reference_and_shows_the_time_when_two_fall_the_same_day():
    line = (
        "Frankel C (Observation/fc, 2024-06-01T09:30:00Z) is after the computation time "
        "(2024-06-01T09:00:00Z): not used."
    )
    assert without_ids(line) == (
        "Frankel C (1 Jun 2024 09:30) is after the computation time (1 Jun 2024 09:00): not used."
    )
    assert without_ids("the lesion at T6 (Condition/met-t6).") == "the lesion at T6."
    assert without_ids("Frankel grade: E: dated — Observation/f-old.") == "Frankel grade: E: dated."
    assert without_ids("on 2024-05-20T09:00:00Z and 2024-05-21T09:00:00Z") == (
        "on 20 May 2024 and 21 May 2024"  # different days: the day is enough
    )


def test_a_finding_after_the_computation_time_is_named_with_its_time_on_every_surface():
    late = finding("fc", "frankel-grade", "frankel-c", when="2024-06-01T09:30:00Z")
    _, card_text, text, _ = surfaces(decisions_for(default_patient(extra=(late,))))
    frankel = "Frankel grade: Frankel C: motor useless"  # the mappings' displays
    said = f"{frankel} (1 Jun 2024 09:30) is after the computation time (1 Jun 2024 09:00)"
    assert said in card_text
    assert "Observation is dated" not in card_text
    assert f"{frankel} (Observation/fc, 1 Jun 2024 09:30) is after the computation" in text


def test_a_condition_left_out_is_named_by_its_display_and_level_not_its_code():
    resolved = condition("met-t8", "C79.51", level="T8")
    resolved["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": "resolved"}]}
    refuted = condition("met-l2", "C79.51", level="L2", verification="refuted")
    _, card_text, text, _ = surfaces(decisions_for(default_patient(extra=(resolved, refuted))))
    name = "Secondary malignant neoplasm of bone"
    assert f"{name} at T8: clinical status resolved, so it is not used." in card_text
    assert f"{name} at L2: verification status refuted, so it is not used." in card_text
    assert "C79.51" not in card_text and "Condition (" not in card_text
    assert f"{name} at T8 (Condition/met-t8): clinical status resolved" in text


def test_an_unconfirmed_condition_is_named_by_its_display_and_level():
    maybe = condition("met-l1", "C79.51", level="L1", verification="provisional")
    _, card_text, text, _ = surfaces(decisions_for(default_patient(extra=(maybe,))))
    said = "Secondary malignant neoplasm of bone at L1 (provisional) may or may not be present"
    assert said in card_text
    assert "Condition (provisional)" not in card_text
    assert "Secondary malignant neoplasm of bone at L1 (Condition/met-l1, provisional)" in text


def test_a_dated_input_is_named_with_its_date_and_no_dangling_type_name():
    old = finding("f-old", "frankel-grade", "frankel-e", when="2024-03-01T09:00:00Z")
    resources = [*default_patient(drop=("frankel",)), old]
    _, card_text, text, _ = surfaces(decisions_for(resources))
    frankel = "Dated input: Frankel grade: Frankel E: normal"
    assert f"{frankel} (1 Mar 2024): 92 days before the computation time" in card_text
    assert not re.search(r"— (Observation|Condition|Procedure)\b", card_text)
    assert not re.search(r"\((Observation|Condition|Procedure)\)", card_text)
    assert f"{frankel} (Observation/f-old, 1 Mar 2024)" in text


def test_a_dated_input_dated_by_its_month_alone_is_named_by_the_month_on_every_surface():
    old = finding("f-old", "frankel-grade", "frankel-e", when="2024-03")
    _, card_text, text, page = surfaces(
        decisions_for(default_patient(drop=("frankel",), extra=(old,)))
    )
    frankel = "Dated input: Frankel grade: Frankel E: normal"
    assert f"{frankel} (Mar 2024):" in card_text
    assert f"{frankel} (Observation/f-old, Mar 2024):" in text
    assert "2024-03)" not in card_text + text + page


def test_a_resource_id_holding_a_date_is_never_rewritten_as_one():
    # Ids such as "f-2024-03-01" are common: the text report and the page name the resource by
    # its id exactly, so that it can be found; only the times around it are made readable.
    old = finding("f-2024-03-01", "frankel-grade", "frankel-e", when="2024-03-01T09:00:00Z")
    _, card_text, text, page = surfaces(
        decisions_for(default_patient(drop=("frankel",), extra=(old,)))
    )
    assert "(Observation/f-2024-03-01, 1 Mar 2024): 92 days before" in text
    assert "Observation/f-2024-03-01" in page
    assert "f-1 Mar 2024" not in card_text + text + page


def test_cement_alone_at_a_conflicting_alignment_is_one_warning_on_the_card_and_the_text():
    conflict = finding("t12-align2", "spinal-alignment", "subluxation", level="T12")
    decisions = decisions_for(default_patient(extra=(conflict,)), [order("vp", "22510", "T12")])
    cards, _, text, _ = surfaces(decisions)
    card = cards[-1]
    line = (
        "Vertebroplasty T12: alignment conflicting at T12 (subluxation/normal, 30 May): settle "
        "before cement alone — subluxation would need fixation"
    )
    assert (card.indicator, card.summary) == ("warning", line)
    assert "settle it before cement alone — subluxation would need fixation" in (card.detail or "")
    assert f"[warning] {line}" in text
    assert "meets the case series" not in card.summary + text


def _before_cement():
    """SINS findings at T12 on 15 May (subluxation), vertebroplasty on 22 May, pain-free after."""
    res = default_patient(sins={"spinal-alignment": "subluxation"}, extra=(
        procedure("vp", "22511", "T12"),
        finding("pf", "spinal-pain", "pain-free", level="T12", when="2024-05-29T09:00:00Z"),
    ))  # fmt: skip
    for r in res:
        if r["id"].startswith("t12-"):
            r["effectiveDateTime"] = "2024-05-15T09:00:00Z"
    return res


def _two_levels():
    """T8 and L2; mechanical pain with no level."""
    return [
        patient(), condition("primary", "C64.9"), condition("m1", "C79.51", level="T8"),
        condition("m2", "C79.51", level="L2"), finding("fr", "frankel-grade", "frankel-e"),
        measurement("kps", "89243-0", 80), finding("p", "spinal-pain", "mechanical"),
    ]  # fmt: skip


def _next_level():
    """Collapse > 50 % recorded at L1, where no metastasis is (the lesion is at T12)."""
    return default_patient(extra=(finding("c1", "vertebral-body-collapse", "gt-50", level="L1"),))


@pytest.mark.parametrize(
    ("resources", "shown", "coded"),
    [
        (_before_cement(),
         "not used: Radiographic spinal alignment: Subluxation/translation present (15 May 2024)",
         "spinal-alignment: subluxation"),
        (_two_levels(),
         "Spinal pain character: Mechanical pain, level not recorded (30 May 2024): without a "
         "level, it does not say which of the 2 levels it belongs to",
         "spinal-pain: mechanical"),
        (_next_level(),
         "Vertebral body collapse: More than 50% collapse at L1, where no metastasis is recorded",
         "vertebral-body-collapse at L1"),
    ],
)  # fmt: skip
def test_card_details_name_findings_by_their_displays_not_codes(resources, shown, coded):
    # Contract §4 v3: "Details use displays, not codes" — the finding and its answer, on the
    # cards, and in the text report and the page that render the same notes.
    _, card_text, text, page = surfaces(decisions_for(resources))
    assert shown in card_text
    assert coded not in card_text and coded not in text and coded not in page


def test_a_condition_whose_status_cannot_be_read_is_named_on_the_cards():
    """Cards drop resource ids (contract §4 v3): the warning names the diagnosis instead, or it
    would not say which Condition it is about."""
    local = {"coding": [{"system": "http://hospital.example.org/status", "code": "act"}]}
    lesion = condition(
        "met-l4", "C79.51", level="L4", verification="confirmed", clinicalStatus=local
    )
    _, card_text, text, _ = surfaces(decisions_for(default_patient(extra=(lesion,))))
    (line,) = [ln for ln in card_text.splitlines() if "clinicalStatus" in ln]
    assert "C79.51" in line and "met-l4" not in line
    assert "Condition/met-l4" in text  # the text report keeps the id


def test_a_diagnosis_in_very_long_words_is_shown_cut_short_everywhere():
    """A record's own words are quoted within bounds (contract §8: limits on everything): a
    20,000-character diagnosis text once came back whole in every citation of it."""
    lesion = condition("met-l1", "C79.51", level="L1", verification="provisional")
    lesion["code"]["text"] = "metastasis " + "word " * 4_000
    _, card_text, text, page = surfaces(decisions_for(default_patient(extra=(lesion,))))
    for shown in (card_text, text, page):
        assert "word " * 100 not in shown


def test_a_bone_metastasis_whose_coded_site_is_not_read_never_reads_as_without_a_site():
    """Name exactly what was not understood: a bodySite was sent, in a code the mappings do not
    hold; "no bodySite" would tell the integrator their data never arrived."""
    bone = condition("bone", "C79.51")
    bone["bodySite"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "23215003",
                                     "display": "Bone structure of T12"}]}]  # fmt: skip
    _, card_text, text, page = surfaces(decisions_for(default_patient(extra=(bone,))))
    for shown in (card_text, text, page):
        assert "with no bodySite" not in shown
    assert "Bone structure of T12" in text
