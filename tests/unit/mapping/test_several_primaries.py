"""Contract §2: several primary tumour Conditions, none linked from the metastasis, make a range
over each. What settles it is linking the metastasis to its primary (mCODE condition-related) or
recording the tool's own finding, not "confirm the primary tumour Condition": both are confirmed.
The range rests on inputs recorded but not singled out: "uncertain", not "missing".
"""

from __future__ import annotations

from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.render.text import text_report
from tests.support.records import NOW, condition, default_patient
from tests.unit.decision.test_wording import decisions_for

CONDITION_RELATED = "http://hl7.org/fhir/StructureDefinition/condition-related"
_BREAST = condition("primary2", "C50.9")
_PROVISIONAL = condition("primary", "C34.90", verification="provisional")


def _result(resources):
    data = patient_records(resources, "p")
    assert data is not None
    return score_patient(data, default_terminology(), now=parse_time(NOW))


def _mitigations(result):
    return {s.result.code: s.risk.resource["mitigation"] for s in result.scores
            if "Not settled" in s.risk.resource.get("mitigation", "")}  # fmt: skip


def test_two_confirmed_primaries_are_settled_by_linking_the_metastasis_not_by_confirming():
    text = text_report(decisions_for(default_patient(extra=(_BREAST,))))
    settles = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("- Primary")]
    assert settles, text
    for line in settles:
        assert "confirm the primary tumour Condition" not in line, line
        assert "link the bone metastasis to its primary tumour" in line, line
    growth = next(ln for ln in settles if ln.startswith("- Primary tumour growth:"))
    assert "record the Tomita primary tumour growth" in growth, growth


def test_two_confirmed_primaries_leave_the_range_uncertain_not_missing():
    said = _mitigations(_result(default_patient(extra=(_BREAST,))))
    assert {"tomita", "tokuhashi-revised"} <= said.keys(), said
    for code in ("tomita", "tokuhashi-revised"):
        assert said[code].startswith("Not settled; depending on the uncertain inputs:"), said


def test_a_primary_recorded_only_as_provisional_is_uncertain_not_missing():
    said = _mitigations(_result(default_patient(drop=("primary",), extra=(_PROVISIONAL,))))
    assert "tokuhashi-revised" in said, said
    assert said["tokuhashi-revised"].startswith("Not settled; depending on the uncertain inputs:")


def test_linking_the_metastasis_to_one_primary_settles_what_the_advice_says_it_does():
    resources = default_patient(extra=(_BREAST,))
    met = next(r for r in resources if r["id"] == "met-t12")
    met["extension"] = [
        {"url": CONDITION_RELATED, "valueReference": {"reference": "Condition/primary2"}}
    ]
    said = _mitigations(_result(resources))
    assert "tokuhashi-revised" not in said, said  # breast alone: one primary site


def _settles(resources):
    text = text_report(decisions_for(resources))
    return [ln.strip() for ln in text.splitlines() if ln.strip().startswith("- Primary")]


def _linked(met, *primaries):
    met["extension"] = [
        {"url": CONDITION_RELATED, "valueReference": {"reference": f"Condition/{p}"}}
        for p in primaries
    ]
    return met


def test_primaries_the_metastasis_links_to_are_not_told_to_be_linked():
    # One metastasis linking to two primaries: the report said "Primary linked from the
    # metastasis" and, beneath it, "link the bone metastasis to its primary tumour".
    resources = default_patient(extra=(_BREAST,))
    met = next(r for r in resources if r["id"] == "met-t12")
    _linked(met, "primary", "primary2")
    settles = _settles(resources)
    assert settles, "no range to settle"
    assert not any("link the bone metastasis" in line for line in settles), settles
    assert any("record the Tokuhashi primary site" in line for line in settles), settles
    said = _mitigations(_result(resources))
    assert said["tokuhashi-revised"].startswith("Not settled; depending on the uncertain inputs:")


def test_a_confirmed_and_a_provisional_primary_are_offered_the_link_that_settles_them():
    # Confirming the provisional one leaves two confirmed primaries: the range stays. Linking the
    # metastasis to its primary, or refuting the provisional one, settles it.
    resources = default_patient(extra=(condition("primary2", "C50.9", verification="provisional"),))
    settles = _settles(resources)
    site = next(line for line in settles if line.startswith("- Primary site:"))
    assert "link the bone metastasis to its primary tumour" in site, site
    assert "refuted" in site, site
    assert not site.startswith("- Primary site: confirm the primary tumour Condition"), site


def test_an_ill_defined_primary_among_several_still_asks_for_the_organs_code():
    # Lung and C76.8 (other ill-defined sites): linking the metastasis to the C76.8 primary
    # leaves it every site group; its organ's code settles it.
    resources = default_patient(extra=(condition("primary2", "C76.8"),))
    site = next(line for line in _settles(resources) if line.startswith("- Primary site:"))
    assert "the organ's code" in site, site
    assert "link the bone metastasis to its primary tumour" in site, site


def test_each_step_offered_for_several_primaries_settles_the_range_when_followed():
    # Two provisional primaries the metastasis links to: "confirm the primary tumour Condition"
    # left the other provisional and linked, so the range stayed. Two confirmed and one
    # provisional, none linked: refuting the provisional one left two confirmed.
    both = default_patient(drop=("primary",), extra=(_PROVISIONAL,
        condition("primary2", "C50.9", verification="provisional")))  # fmt: skip
    _linked(next(r for r in both if r["id"] == "met-t12"), "primary", "primary2")
    site = next(line for line in _settles(both) if line.startswith("- Primary site:"))
    assert "record the others as refuted" in site, site
    three = default_patient(
        extra=(_BREAST, condition("primary3", "C61", verification="provisional"))
    )
    site = next(line for line in _settles(three) if line.startswith("- Primary site:"))
    assert "refuted" not in site, site
    assert "link the bone metastasis to its primary tumour" in site, site


def test_a_provisional_ill_defined_primary_is_confirmed_with_its_organ():
    # C76.8 provisional: confirming it leaves every site group its code may be, and an organ's
    # code still provisional leaves every site: both are needed.
    alone = default_patient(drop=("primary",), extra=(
        condition("primary", "C76.8", verification="provisional"),))  # fmt: skip
    settles = _settles(alone)
    site = next(line for line in settles if line.startswith("- Primary site:"))
    assert "confirm the primary tumour Condition with its organ's code" in site, site
    growth = next(line for line in settles if line.startswith("- Primary tumour growth:"))
    assert "confirm the primary tumour Condition with its organ's code" in growth, growth


def test_refuting_is_not_offered_where_the_one_confirmed_primary_names_no_single_site():
    # C76.8 confirmed, a lung primary provisional: refuting the lung leaves C76.8, every site
    # group it may be.
    resources = default_patient(drop=("primary",), extra=(condition("primary", "C76.8"),
        condition("primary2", "C34.90", verification="provisional")))  # fmt: skip
    site = next(line for line in _settles(resources) if line.startswith("- Primary site:"))
    assert "refuted" not in site, site
