"""The v3 findings on the forms (contract §1 v3, §7): prefilled from the record, extracted as
finding Observations (spinal stability per level, the others for the patient), and read back as
the inputs of Bauer, NESMS and NOMS."""

from __future__ import annotations

from adapter.decision.noms import noms_view
from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import DEFAULT_RULES
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import score_patient
from adapter.questionnaire.extract import extract
from adapter.questionnaire.populate import populate
from tests.support.forms import fill
from tests.support.records import NOW, default_patient, finding

TERM = default_terminology()
LATER = "2024-05-31T10:00:00Z"


def _populate(name, resources):
    [data] = patients_from_resources(resources, [])
    return populate(name, data, TERM, parse_time(NOW), rules=DEFAULT_RULES)


def _answers(response, level=None):
    items = response.get("item", [])
    if level is not None:
        group = next(g for g in items if g["linkId"] == "level"
                     and g["item"][0]["answer"][0]["valueCoding"]["code"] == level)  # fmt: skip
        items = group["item"]
    return {i["linkId"]: i["answer"][0]["valueCoding"]["code"] for i in items
            if "answer" in i and "valueCoding" in i["answer"][0]}  # fmt: skip


def test_populate_prefills_the_new_findings():
    record = default_patient(
        extra=(
            finding("pf", "pathological-fracture", "present"),
            finding("rs", "radiosensitivity", "radioresistant"),
            finding("fit", "surgery-tolerance", "unable"),
            finding("walk", "ambulatory-status", "with-aid"),
            finding("stab", "spinal-stability", "unstable", level="T12"),
        )
    )
    staging = _answers(_populate("staging", record))
    assert staging["pathological-fracture"] == "present"
    assert staging["radiosensitivity"] == "radioresistant"
    assert staging["surgery-tolerance"] == "unable"
    assert _answers(_populate("neurology", record))["ambulatory-status"] == "with-aid"
    assert _answers(_populate("sins", record), "T12")["spinal-stability"] == "unstable"


def test_extracted_findings_feed_the_scores_and_noms():
    record = default_patient()
    sins = fill(_populate("sins", record), {("T12", "spinal-stability"): "unstable"},
                authored=LATER)  # fmt: skip
    staging = fill(_populate("staging", record),
                   {(None, "surgery-tolerance"): "able", (None, "pathological-fracture"): "absent"},
                   authored=LATER, rid="qr2")  # fmt: skip
    observations = [e["resource"] for r in (sins, staging) for e in extract(r, TERM)["entry"]]
    by_code = {o["code"]["coding"][0]["code"]: o for o in observations}
    assert by_code["spinal-stability"]["bodySite"]["coding"][0]["code"] == "T12"
    assert "bodySite" not in by_code["surgery-tolerance"]
    [data] = patients_from_resources([*record, *observations], [])
    result = score_patient(data, TERM, now=parse_time(NOW))
    # The fracture finding beats the collapse at T12: 1 + no visceral 1 + lung 0 + 0 + solitary 1.
    assert result.score("bauer-original").result.total.low == 3
    view = noms_view(result)
    assert [p.code for p in view.levels[0].result.paths] == ["stabilise"]  # unstable, fit
