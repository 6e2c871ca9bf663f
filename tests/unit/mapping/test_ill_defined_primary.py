"""Contract §2 (an ambiguous input is a range, never a guess): a primary tumour coded at an
ill-defined or unspecified site (ICD-10-CM C26, C39, C76, "organ unspecified" of a system) is
any of the site groups the code may stand for, in every tool that reads the primary.

Hand-computed on the default patient of tests/support/records.py (T12 metastasis, KPS 80,
Frankel E, no visceral metastasis) with its lung primary C34.90 replaced: revised Tokuhashi =
general 2 + extraspinal 2 + vertebral 2 + major organs 2 + palsy 2 = 10 without the primary
site, so lung (0) gives 10 and "others" (2) gives 12.
"""

from __future__ import annotations

import pytest

from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.scoring import Possible, PrimarySite, Span
from adapter.vocabulary import TOKUHASHI_PRIMARY
from adapter.vocabulary.systems import ICD10CM, PRIMARY_SITE, SNOMED
from tests.support.records import NOW, P, condition, default_patient

TERM = default_terminology()
_DIGESTIVE = {"esophagus", "stomach", "pancreas", "liver", "gallbladder", "colon", "rectum",
              "other"}  # fmt: skip
_ANY_SOLID = {s.value for s in PrimarySite} - {"myeloma", "lymphoma", "carcinoid", "unidentified"}


@pytest.mark.parametrize(
    ("code", "sites"),
    [
        ("C39.9", {"lung", "other"}),  # lower respiratory tract, part unspecified
        ("C39.8", {"lung", "other"}),  # overlapping respiratory and intrathoracic sites
        ("C39.0", {"other"}),  # upper respiratory tract: nose, sinuses, pharynx, larynx
        ("C26.9", _DIGESTIVE),  # ill-defined sites within the digestive system
        ("C26.0", {"colon", "rectum", "other"}),  # intestinal tract, part unspecified
        ("C26.1", {"other"}),  # spleen: a named organ
        ("C76.1", {"lung", "esophagus", "breast", "sarcoma", "osteosarcoma", "other"}),
        ("C76.3", {"rectum", "colon", "bladder", "uterus", "prostate", "sarcoma",
                   "osteosarcoma", "other"}),
        ("C76.52", {"osteosarcoma", "sarcoma", "other"}),
        ("C76.8", _ANY_SOLID),
        ("C57.9", {"uterus", "other"}),  # female genital organ, unspecified
        ("C63.9", {"prostate", "other"}),  # male genital organ, unspecified
        ("C68.9", {"kidney", "bladder", "other"}),  # urinary organ, unspecified
        ("C24.9", {"gallbladder", "liver"}),  # biliary tract, unspecified
    ],
)  # fmt: skip
def test_an_ill_defined_site_maps_to_every_group_it_may_be(code, sites):
    assert TERM.translate(ICD10CM, code, PRIMARY_SITE) == sites


def test_snomed_unknown_origin_or_ill_defined_site_is_any_group():
    assert TERM.translate(SNOMED, "302817000", PRIMARY_SITE) == {s.value for s in PrimarySite}


def score(code):
    resources = default_patient(drop=("primary",), extra=(condition("primary", code),))
    data = patient_records(resources, P)
    assert data is not None
    return score_patient(data, TERM, now=parse_time(NOW))


def component(result, score_code, code):
    found = result.score(score_code)
    assert found is not None
    return next(c for c in found.result.components if c.code == code).points


def test_c39_9_is_lung_or_other_in_every_tool():
    result = score("C39.9")
    a = result.assessment
    assert a.tokuhashi.primary_site == Possible.among({PrimarySite.LUNG, PrimarySite.OTHER})
    assert component(result, "tokuhashi-revised", "tokuhashi-primary-site") == Span(0, 2)
    tokuhashi = result.score("tokuhashi-revised")
    assert tokuhashi is not None
    assert tokuhashi.result.total == Span(10, 12)
    assert tokuhashi.result.band is None  # ≥ 6 months or ≥ 12 months: not settled
    for bauer in ("bauer-original", "bauer-modified"):
        assert component(result, bauer, "bauer-primary-not-lung") == Span(0, 1)
        assert component(result, bauer, "bauer-primary-favourable") == Span(0, 0)
    assert component(result, "van-der-linden", "van-der-linden-primary") == Span(0, 1)


def test_an_ill_defined_primary_names_its_code_and_asks_for_the_site():
    basis = score("C39.9").assessment.basis[TOKUHASHI_PRIMARY.code]
    said = " ".join(basis.caveats)
    assert "C39.9" in said
    assert "lung or other" in said
    assert basis.settle == (
        "record the primary tumour's site: the organ's code, or the Tokuhashi primary site"
    )


def test_c26_9_spans_the_digestive_groups():
    result = score("C26.9")
    # oesophagus, stomach, pancreas 0 … rectum 4: 10–14 in total
    assert component(result, "tokuhashi-revised", "tokuhashi-primary-site") == Span(0, 4)
    assert component(result, "bauer-modified", "bauer-primary-not-lung") == Span(1, 1)


def test_c76_1_thorax_may_be_lung_or_breast():
    result = score("C76.1")
    assert component(result, "tokuhashi-revised", "tokuhashi-primary-site") == Span(0, 5)
    assert component(result, "bauer-modified", "bauer-primary-not-lung") == Span(0, 1)
    assert component(result, "bauer-modified", "bauer-primary-favourable") == Span(0, 1)
    assert component(result, "van-der-linden", "van-der-linden-primary") == Span(0, 3)


def test_a_named_site_stays_a_point():
    result = score("C34.90")
    assert component(result, "tokuhashi-revised", "tokuhashi-primary-site") == Span(0, 0)
    assert component(result, "bauer-modified", "bauer-primary-not-lung") == Span(0, 0)
    assert score("C34.90").assessment.basis[TOKUHASHI_PRIMARY.code].settle is None


def test_a_site_that_may_be_almost_anything_is_counted_not_listed():
    basis = score("C76.8").assessment.basis[TOKUHASHI_PRIMARY.code]
    assert "does not name one primary site: any of 17 site groups" in " ".join(basis.caveats)
