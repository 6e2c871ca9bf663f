"""The text report and the page hold no card: an order's line there that leaves findings "in the
card" is followed by what the card would show of them, each with what to do (contract §4 v3: one
decision, every surface)."""

from __future__ import annotations

import html
import re

import pytest

from adapter.cds.procedure import order_cards
from adapter.decision.wording import without_ids
from tests.support.records import (
    condition,
    default_patient,
    finding,
    measurement,
    medication,
    order,
    patient,
    procedure,
)
from tests.unit.decision.test_wording import decisions_for, surfaces

_CEMENT = procedure("vp", "22510", "T12", when="2024-05-20T10:00:00Z")
_FRACTURE = condition("f", "M84.58XA", onset="2024-05-20", level="T12", verification="unconfirmed")
_COLLAPSE = finding("t12-c2", "vertebral-body-collapse", "lt-50", level="T12")
_SINS = {"vertebral-body-collapse": "none", "spinal-pain": "pain-free"}


def _named(ordered, text):
    ordered["bodySite"][0]["text"] = text
    return ordered


def _fusion(*levels):
    return order("f", "X-1", *levels, system="http://hospital.example/codes", text="Lumbar fusion")


def _sited(ordered, text):
    ordered["bodySite"] = [*ordered.get("bodySite", []), {"text": text}]
    return ordered


def test_what_an_orders_line_leaves_to_the_card_is_listed_in_the_report_and_the_page():
    # Cement at T12 before, a collapse in conflict, a fracture of unknown order: the line holds
    # "vertebroplasty … already recorded; +1 more in the card", and the report and the page
    # had no card to show the rest.
    resources = default_patient(sins=_SINS, extra=(_CEMENT, _FRACTURE, _COLLAPSE))
    decisions = decisions_for(resources, orders=(order("vp2", "22510", "T12"),))
    (verdict,) = decisions.orders
    assert "more in the card" in verdict.summary, verdict.summary
    c3 = next(c for c in verdict.check.levels[0].criteria if c.number == 3)
    assert c3.finding is not None and c3.action is not None
    _, _, text, page = surfaces(decisions)
    for surface in (text, html.unescape(page)):  # in the card's row's words
        assert without_ids(c3.basis) in surface, surface
        assert c3.action in surface, surface


def test_an_order_that_meets_every_criterion_lists_nothing_more():
    decisions = decisions_for(default_patient(), orders=(order("vp2", "22510", "T12"),))
    (verdict,) = decisions.orders
    assert verdict.indicator == "info", verdict.summary
    _, _, text, _ = surfaces(decisions)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  ORDER "))
    assert not lines[at + 1].startswith("    - "), lines[at : at + 3]


def test_an_order_with_no_level_lists_that_beneath_its_line():
    # The card's detail opens with "The order names no level"; beneath the line, the report
    # and the page listed warnings and criteria only, and a wrong-site risk was nowhere.
    cord = (finding("frankel-c", "frankel-grade", "frankel-c"),
            finding("b2", "epidural-spinal-cord-compression", "bilsky-2", level="T12"))  # fmt: skip
    resources = default_patient(drop=("frankel", "bilsky-t12"), extra=cord)
    decisions = decisions_for(resources, orders=(order("o1", "22510"),))
    (verdict,) = decisions.orders
    assert "no level ordered" not in verdict.summary, verdict.summary  # left to the card
    _, _, text, page = surfaces(decisions)
    said = (  # in the card's words (the line's "no level ordered — record the level" is short)
        "The order names no level: every scored level is checked as a candidate. Record the "
        "level to treat (ServiceRequest.bodySite)."
    )
    assert f"    - {said}" in text.splitlines(), text
    assert f"<li>{said}</li>" in page


def test_orders_for_different_sites_are_never_called_duplicates():
    # Cord compression leads both lines and hides their sites, so two vertebroplasties ordered
    # at different sites (named in words, not read as levels) read the same: they were labelled
    # "Duplicate order 1 of 2" and "2 of 2", which invites cancelling one of them.
    cord = (finding("frankel-c", "frankel-grade", "frankel-c"),
            finding("b2", "epidural-spinal-cord-compression", "bilsky-2", level="T12"))  # fmt: skip
    resources = default_patient(drop=("frankel", "bilsky-t12"), extra=cord)
    at_t12, at_l2 = order("o2", "22510"), order("o3", "22510")
    at_t12["bodySite"], at_l2["bodySite"] = [{"text": "twelfth thoracic"}], [{"text": "L2"}]
    decisions = decisions_for(resources, orders=(at_t12, at_l2))
    lines = [o.summary for o in decisions.orders]
    assert not any("Duplicate" in line for line in lines), lines
    assert lines[0] != lines[1], lines
    assert "twelfth thoracic" in lines[0] and "L2" in lines[1], lines


def test_the_report_and_the_page_point_below_not_to_a_card_they_do_not_hold():
    resources = default_patient(sins=_SINS, extra=(_CEMENT, _FRACTURE, _COLLAPSE))
    decisions = decisions_for(resources, orders=(order("vp2", "22510", "T12"),))
    (verdict,) = decisions.orders
    assert verdict.summary.endswith("; +1 more in the card"), verdict.summary  # the card's line
    _, _, text, page = surfaces(decisions)
    line = next(ln for ln in text.splitlines() if ln.startswith("  ORDER "))
    # "+1 more below" above a list holding every finding, the line's own too, miscounted it.
    assert line.endswith("; +1 more; the full list below"), line
    assert "more in the card" not in text and "more in the card" not in page
    assert "; +1 more; the full list below" in html.unescape(page)


def test_orders_told_apart_by_long_site_words_keep_what_to_do():
    # Two orders for sites named in long words, cord compression leading both: the site words
    # led each line unbounded and pushed out "decompression and radiotherapy first".
    cord = (finding("frankel-c", "frankel-grade", "frankel-c"),
            finding("b2", "epidural-spinal-cord-compression", "bilsky-2", level="T12"))  # fmt: skip
    resources = default_patient(drop=("frankel", "bilsky-t12"), extra=cord)
    first, second = order("o2", "22510"), order("o3", "22510")
    first["bodySite"] = [{"text": "the twelfth thoracic vertebra, left pedicle, as discussed"}]
    second["bodySite"] = [{"text": "the second lumbar vertebra, right pedicle, as discussed"}]
    decisions = decisions_for(resources, orders=(first, second))
    lines = [o.summary for o in decisions.orders]
    assert lines[0] != lines[1], lines
    assert all("decompression and radiotherapy first" in line for line in lines), lines


_NO_LEVEL_PATIENT = (
    patient(),
    condition("primary", "C34.90"),
    condition("met", "C79.51"),  # a bone metastasis at no level: no level is scored
    finding("frankel", "frankel-grade", "frankel-e"),
    measurement("kps", "89243-0", 80),
    measurement("inr", "6301-6", 1.1),
    measurement("platelets", "777-3", 200, "10*9/L"),
)


def _plain(markdown: str) -> str:
    """A card's Markdown line as plain words: bold and escapes taken off."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("**", ""))


def test_a_patient_with_no_level_is_said_beneath_the_orders_line():
    # A record with no spinal level (the mCODE example patient, an order in SNOMED CT): the card
    # said "No spinal level is recorded for this patient, so no level could be checked"; the
    # report and the page listed only "no level ordered" and the criteria.
    decisions = decisions_for(list(_NO_LEVEL_PATIENT), orders=(order("o1", "22510"),))
    (verdict,) = decisions.orders
    assert not verdict.check.levels
    said = (  # one note: no level ordered, none to check instead
        "The order names no level: no level is scored for this patient, so none could be "
        "checked. Record the level to treat (ServiceRequest.bodySite)."
    )
    _, card_text, text, page = surfaces(decisions)
    assert said in card_text.replace("**", "")
    assert f"    - {said}" in text.splitlines(), text
    assert f"<li>{said}</li>" in page


@pytest.mark.parametrize(
    ("resources", "ordered"),
    [
        (list(_NO_LEVEL_PATIENT), order("o1", "22510")),
        (default_patient(), order("o1", "22510")),
        (default_patient(), order("o1", "22510", "T12")),
        (default_patient(extra=(_CEMENT,)), order("o1", "22510", "T12")),
        (default_patient(), _sited(order("o1", "22510"), "twelfth thoracic")),
        (default_patient(), _sited(order("o1", "22510", "T12"), "L2-L3")),
        (default_patient(), _sited(order("o1", "22510", "T12"), "[T8](http://x) *now*")),
        (default_patient(), _named(order("o1", "22510", "T12"), "L2")),
        (default_patient(), _fusion("L2", "L3")),
        (default_patient(), _sited(_fusion("L2"), "L4 *left*")),
        (list(_NO_LEVEL_PATIENT), _fusion()),
    ],
)
def test_what_the_report_lists_of_the_order_itself_is_what_the_card_says(resources, ordered):
    # The card's opening lines (the order not read, no level, each warning) and the items
    # beneath the report's line were built apart, and the report's left things out.
    decisions = decisions_for(resources, orders=(ordered,))
    (verdict,) = decisions.orders
    (card,) = order_cards(decisions, "h")
    detail = card.detail or ""
    said = []
    for paragraph in detail.split("\n\n"):  # the order's own lines, up to its first table
        if re.match(r"\*\*([CTLS]\d+\b|Patient-wide criteria)", paragraph):
            break
        said.append(_plain(paragraph))
    about = [i for i in verdict.items if not re.match(r"(\w+, )?[Cc]riterion \d", i)]
    assert about == said, (about, said)


def _rows(detail):
    """The card's criterion rows as (level or "Criterion", number, name, status, basis, action)."""
    where = "Criterion"
    for line in detail.split("\n"):
        if heading := re.match(r"\*\*([CTLS]\d+)\b", line):
            where = f"{heading[1]}, criterion"
        elif line == "**Patient-wide criteria**":
            where = "Criterion"
        elif re.match(r"\| \d+ \|", line):
            cells = [_plain(cell.strip()) for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            yield (where, *cells)


@pytest.mark.parametrize(
    ("resources", "ordered"),
    [
        (list(_NO_LEVEL_PATIENT), order("o1", "22510", "T12")),
        (
            default_patient(sins=_SINS, extra=(_CEMENT, _FRACTURE, _COLLAPSE)),
            order("o", "22510", "T12"),
        ),
        (default_patient(drop=("inr", "platelets", "frankel")), order("o1", "22510", "T12")),
        (list(_NO_LEVEL_PATIENT), _fusion("L2")),
    ],
)
def test_each_criterion_the_report_lists_is_the_cards_row(resources, ordered):
    # The report listed a criterion by the line's short finding, which can hold what to do, and
    # then what to do again: "… — record its level (bodySite) → record the bone metastasis's
    # level (bodySite), then check the level". The card's row says what it rests on, then what
    # to do, once.
    decisions = decisions_for(resources, orders=(ordered,))
    (verdict,) = decisions.orders
    (card,) = order_cards(decisions, "h")
    listed = [i for i in verdict.items if re.match(r"(\w+, )?[Cc]riterion \d", i)]
    patient_wide = {str(c.number) for c in verdict.check.patient}
    levels, everywhere = [], []  # a patient-wide criterion is in each level's table: listed once
    for where, number, name, status, basis, action in _rows(card.detail or ""):
        then = f" → {action}" if action else ""
        if number in patient_wide:
            row = f"Criterion {number} ({name}): {status} — {basis}{then}"
            everywhere += [row] if status != "met" and row not in everywhere else []
        elif status != "met":
            levels.append(f"{where} {number} ({name}): {status} — {basis}{then}")
    assert listed == levels + everywhere, (listed, levels + everywhere)
    assert listed, verdict.items


def test_record_text_in_a_criterion_listed_beneath_an_order_is_one_bounded_line():
    # A medication named in 100,000 characters with line breaks, an escape sequence and a
    # right-to-left override: the page's item carried them raw and unbounded.
    drug = medication("m1", "1364445")
    name = "apixaban\nline2\x1b[31m RED\u202e " + "z" * 100_000
    drug["medicationCodeableConcept"]["text"] = name
    drug["medicationCodeableConcept"]["coding"][0]["display"] = name
    decisions = decisions_for(default_patient(extra=(drug,)), orders=(order("o1", "22510", "T12"),))
    (verdict,) = decisions.orders
    assert verdict.items
    for item in verdict.items:
        assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", item), item[:200]
        assert len(item) <= 1_000, len(item)
    _, _, text, page = surfaces(decisions)
    assert "\x1b" not in page and "\u202e" not in page
    assert max(len(line) for line in text.splitlines()) <= 1_000


def test_an_order_naming_no_level_for_a_patient_with_none_does_not_offer_candidates():
    # "every scored level is checked as a candidate" beside "No spinal level is recorded for
    # this patient": there is none to check.
    decisions = decisions_for(list(_NO_LEVEL_PATIENT), orders=(order("o1", "22510"),))
    (verdict,) = decisions.orders
    (card,) = order_cards(decisions, "h")
    for surface in (" ".join(verdict.items), card.detail or ""):
        assert "candidate" not in surface, surface
        assert "no level is scored for this patient" in surface, surface


def test_a_wrong_level_row_says_where_the_metastases_are_and_no_scoring_jargon():
    # The report's list is the card's rows: criterion 2 at a level with no metastasis said
    # "no metastasis is recorded at L3" where the line says "(metastases: T12)", and criterion 3
    # "no scored lesion at L3".
    decisions = decisions_for(default_patient(), orders=(order("o", "22511", "L3"),))
    (verdict,) = decisions.orders
    rows = {c.number: c for c in verdict.check.levels[0].criteria}
    assert "metastases: T12" in rows[2].basis, rows[2].basis
    assert "scored lesion" not in rows[3].basis, rows[3].basis
    assert "not assessed" in rows[3].basis, rows[3].basis
    unsited = default_patient(extra=(condition("met", "C79.51"),))
    (verdict,) = decisions_for(unsited, orders=(order("o", "22511", "L3"),)).orders
    two = next(c for c in verdict.check.levels[0].criteria if c.number == 2)
    assert "metastases: T12" in two.basis, two.basis


@pytest.mark.parametrize(
    "there",
    [
        condition("fx", "M84.58XA", level="L3", verification="provisional"),
        finding("c3", "vertebral-body-collapse", "gt-50", level="L3"),
        finding("st3", "spinal-stability", "unstable", level="L3"),
        condition("ofx", "M80.08XA", level="L3"),
    ],
)
def test_a_level_with_no_metastasis_is_not_said_to_have_no_fracture(there):
    # "no metastasis is scored at L3, so no fracture or instability is known there" beside a
    # collapse, a fracture or an "unstable" verdict recorded at L3: not assessed, not absent.
    decisions = decisions_for(default_patient(extra=(there,)), orders=(order("o", "22511", "L3"),))
    (verdict,) = decisions.orders
    three = next(c for c in verdict.check.levels[0].criteria if c.number == 3)
    for said in (three.basis, three.finding or "", verdict.summary, " ".join(verdict.items)):
        assert "no fracture" not in said, said
        assert "instability recorded" not in said and "is known there" not in said, said


_ANTITHROMBOTICS = (
    "apixaban 5 MG Oral Tablet [Eliquis]",
    "enoxaparin sodium 40 MG in 0.4 ML Prefilled Syringe [Lovenox]",
    "heparin sodium, porcine 5000 UNT/ML Injectable Solution",
    "aspirin 81 MG Delayed Release Oral Tablet",
    "clopidogrel 75 MG Oral Tablet [Plavix]",
    "rivaroxaban 20 MG Oral Tablet [Xarelto]",
    "warfarin sodium 5 MG Oral Tablet [Coumadin]",
    "dabigatran etexilate 150 MG Oral Capsule [Pradaxa]",
    "ticagrelor 90 MG Oral Tablet [Brilinta]",
    "fondaparinux sodium 2.5 MG/0.5 ML Prefilled Syringe",
)


def test_every_active_antithrombotic_and_what_to_do_are_listed_beneath_the_order():
    # Ten active antithrombotics: the bound on an item cut the last drugs, the labs and what to
    # do from the report and the page (the card kept them).
    drugs = []
    for i, name in enumerate(_ANTITHROMBOTICS):
        drug = medication(f"m{i}", "1364445")
        drug["medicationCodeableConcept"]["coding"][0]["display"] = name
        drugs.append(drug)
    decisions = decisions_for(
        default_patient(extra=tuple(drugs)), orders=(order("o1", "22510", "T12"),)
    )
    (verdict,) = decisions.orders
    seven = next(i for i in verdict.items if i.startswith("Criterion 7"))
    for name in _ANTITHROMBOTICS:
        assert name in seven, name
    assert seven.endswith("→ check INR, platelets and antithrombotic medication"), seven[-120:]


def test_a_fixation_naming_no_level_says_its_reasons_level_is_checked_not_every_level():
    # Its reasonReference names the T12 metastasis: only T12 is checked, yet the note said
    # "every scored level is checked as a candidate" beside an L2 metastasis left unchecked.
    resources = default_patient(extra=(condition("met-l2", "C79.51", level="L2"),))
    decisions = decisions_for(resources, orders=(order("o1", "22842", reasons=("met-t12",)),))
    (verdict,) = decisions.orders
    assert [lv.level for lv in verdict.check.levels] == ["T12"]
    (card,) = order_cards(decisions, "h")
    for surface in (" ".join(verdict.items), card.detail or ""):
        assert "every scored level" not in surface, surface
        assert "the level of its reason (T12) is checked" in surface, surface


def test_a_patient_whose_only_metastasis_no_score_covers_is_not_said_to_have_no_level():
    # A metastasis at the coccyx: recorded, not scored; "no spinal level is recorded" was false.
    coccyx = condition("met-t12", "C79.51", level="coccyx")
    resources = default_patient(drop=("met-t12",), extra=(coccyx,))
    decisions = decisions_for(resources, orders=(order("o1", "22510"),))
    (verdict,) = decisions.orders
    assert not verdict.check.levels
    said = " ".join(verdict.items)
    assert "no spinal level is recorded" not in said, said
    assert "no level is scored for this patient" in said, said


def test_a_reason_naming_two_vertebrae_is_one_reason():
    # One metastasis Condition at T12 and L1: "the levels of its reasons (T12, L1)" named two.
    met = condition("met-t12", "C79.51", level="T12")
    met["bodySite"] += condition("x", "C79.51", level="L1")["bodySite"]
    resources = default_patient(drop=("met-t12",), extra=(met,))
    decisions = decisions_for(resources, orders=(order("o1", "22842", reasons=("met-t12",)),))
    (verdict,) = decisions.orders
    said = " ".join(verdict.items)
    assert "the levels of its reason (T12, L1) are checked" in said, said
