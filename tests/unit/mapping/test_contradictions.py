"""Contradictory answers within a form, or an answer against a coded Condition: the recorded
answer still wins by the rules of contract §2 (Frankel over AIS at equal times, an explicit
finding over what Conditions give), but the output names the conflict (§2 "the output names the
conflict"), on every surface, since the caveat travels with the component.

Hand-computed on the default patient of tests/support/records.py (lung primary, T12 metastasis,
KPS 80, Frankel E): Tomita 5, revised Tokuhashi 10.
"""

from __future__ import annotations

from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.scoring import BoneExtent, Frankel, MajorOrgan, Possible, Visceral
from adapter.vocabulary import TOKUHASHI_MAJOR_ORGAN, TOMITA_VISCERAL
from adapter.vocabulary.scores.tokuhashi import TOKUHASHI_PALSY
from adapter.vocabulary.scores.tomita import TOMITA_BONE
from tests.support.records import NOW, P, condition, default_patient, finding

TERM = default_terminology()
FORM = "2024-05-31T10:00:00Z"  # one form's answers: all at the same time


def _assessment(*extra, drop=()):
    data = patient_records(default_patient(drop=drop, extra=extra), P)
    assert data is not None
    return score_patient(data, TERM, now=parse_time(NOW)).assessment


def _caveats(a, spec) -> str:
    return " ".join(a.basis[spec.code].caveats)


def _count(oid, code, n):
    res = finding(oid, code, "x", when=FORM)
    del res["valueCodeableConcept"]
    return res | {"valueInteger": n}


def test_frankel_e_with_ais_a_in_one_form_names_the_ais_grade():
    a = _assessment(
        finding("f", "frankel-grade", "frankel-e", when=FORM),
        finding("ais", "asia-impairment-scale", "ais-a", when=FORM),
    )
    assert a.tokuhashi.palsy == Possible.of(Frankel.E)  # Frankel wins at equal times (§2)
    said = _caveats(a, TOKUHASHI_PALSY)
    assert "AIS grade A" in said and "Observation/ais" in said and "Frankel E" in said


def test_visceral_none_with_major_organs_unremovable_is_named_on_both():
    a = _assessment(
        finding("v", "visceral-metastases", "none", when=FORM),
        finding("m", "major-organ-metastases", "unremovable", when=FORM),
    )
    assert a.tomita.visceral == Possible.of(Visceral.NONE)
    assert a.tokuhashi.major_organ == Possible.of(MajorOrgan.UNREMOVABLE)
    for spec in (TOMITA_VISCERAL, TOKUHASHI_MAJOR_ORGAN):
        said = _caveats(a, spec)
        assert "visceral metastases none" in said and "major-organ metastases unremovable" in said


def test_extent_solitary_with_several_foci_is_named():
    a = _assessment(
        finding("e", "bone-metastasis-extent", "solitary", when=FORM),
        _count("vc", "vertebral-metastases-count", 3),
        _count("ec", "extraspinal-bone-metastases-count", 2),
    )
    assert a.tomita.bone == Possible.of(BoneExtent.SOLITARY)  # the explicit answer still wins
    said = _caveats(a, TOMITA_BONE)
    assert "solitary" in said and "3 vertebral" in said and "2 extraspinal" in said


def test_an_answer_of_none_against_a_coded_liver_metastasis_names_the_condition():
    liver = condition("liver", "C78.7")
    a = _assessment(
        liver,
        finding("v", "visceral-metastases", "none", when=FORM),
        finding("m", "major-organ-metastases", "none", when=FORM),
    )
    assert a.tomita.visceral == Possible.of(Visceral.NONE)  # the explicit finding wins (§2)
    assert a.tokuhashi.major_organ == Possible.of(MajorOrgan.NONE)
    for spec in (TOMITA_VISCERAL, TOKUHASHI_MAJOR_ORGAN):
        said = _caveats(a, spec)
        assert "Condition/liver" in said and "none" in said


def test_answers_that_agree_name_nothing():
    a = _assessment(
        finding("v", "visceral-metastases", "treatable", when=FORM),
        finding("m", "major-organ-metastases", "removable", when=FORM),
        condition("liver", "C78.7"),
        finding("ais", "asia-impairment-scale", "ais-e", when="2024-05-30T09:00:00Z"),
    )
    for spec in (TOMITA_VISCERAL, TOKUHASHI_MAJOR_ORGAN, TOKUHASHI_PALSY, TOMITA_BONE):
        assert "disagree" not in _caveats(a, spec) and "coded" not in _caveats(a, spec)
