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
