"""A level stabilised by cement or screws is scored from the findings after the treatment once
one counts there (contract §6 v3); the earlier ones are listed, not used."""

from __future__ import annotations

from adapter.decision.sins import sins_decision
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from tests.support.records import SINS_AT_T12, default_patient, finding, procedure

TERM = default_terminology()
BEFORE = "2024-05-10T09:00:00Z"  # the default findings, moved before the procedure
DONE = "2024-05-20T10:00:00Z"  # the vertebroplasty
LATER = "2024-05-30T09:00:00Z"


def score(*extra):
    old = tuple(
        finding(f"old-{code}", code, answer, level="T12", when=BEFORE)
        for code, answer in SINS_AT_T12.items()
    )
    drop = tuple(f"t12-{code}" for code in SINS_AT_T12)
    data = patient_records(default_patient(drop=drop, extra=old + extra), "p")
    assert data is not None
    return score_patient(data, TERM, now=parse_time("2024-06-01T09:00:00Z"))


def test_without_a_later_finding_the_findings_are_used_as_they_are():
    result = score(procedure("vp", "22511", "T12", when=DONE))
    (level,) = result.levels
    assert level.assessment.after is None
    assert level.result.total.low == level.result.total.high == 10


def test_a_later_finding_re_scores_the_level_from_findings_after_the_treatment_only():
    # Pain-free 0 after the vertebroplasty; the rest has no later finding and is missing:
    # 3 + 0 + 0–2 + 0–4 + 0–3 + 0–3 = 3–15.
    result = score(
        procedure("vp", "22511", "T12", when=DONE),
        finding("new-pain", "spinal-pain", "pain-free", level="T12", when=LATER),
    )
    (level,) = result.levels
    assert level.assessment.after is not None
    assert level.assessment.after.time.day == "20 May 2024"
    assert (level.result.total.low, level.result.total.high) == (3, 15)
    obs = level.observation.resource
    assert obs["valueRange"]["low"]["value"] == 3 and obs["valueRange"]["high"]["value"] == 15
    notes = [n["text"] for n in obs["note"]]
    assert (
        "Recorded before the vertebroplasty on 20 May 2024, not used: "
        "Bone lesion quality: Lytic (Observation/old-bone-lesion-quality, 2024-05-10T09:00:00Z)."
    ) in notes
    refs = {d["reference"] for d in obs.get("derivedFrom", [])}
    assert "Observation/new-pain" in refs and "Observation/old-spinal-pain" not in refs
    lv = sins_decision(result).levels[0]
    assert (lv.state, lv.indicator) == ("after-treatment", "info")
    assert lv.headline == (
        "SINS 3–15 at T12: could be up to 15 (unstable) — record lesion quality, alignment, "
        "collapse, posterolateral involvement"
    )


def test_a_finding_before_the_treatment_does_not_re_score():
    result = score(
        procedure("vp", "22511", "T12", when=LATER),
        finding("new-pain", "spinal-pain", "pain-free", level="T12", when=DONE),
    )
    (level,) = result.levels
    assert level.assessment.after is None
    # pain-free (0) is the latest pain, before the treatment: 10 − 3 = 7.
    assert level.result.total.low == level.result.total.high == 7
