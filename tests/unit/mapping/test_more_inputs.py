"""The inputs of Bauer, NESMS, van der Linden and NOMS read from a record (scores-more.md): each
derivation the spec gives, and a range wherever it gives none. Expected totals worked by hand.

The default patient (tests/support/records.py): lung primary C34.90, one metastasis at T12 (one
bone site: solitary), no visceral metastasis coded (none), SINS collapse lt-50 at T12, Frankel E,
Karnofsky 80, Bilsky 0 at T12, no albumin.
"""

from __future__ import annotations

import pytest

from adapter.decision.noms import noms_view
from adapter.fhir.read.records import Coding, ConditionRecord, ResourceRef
from adapter.fhir.read.timing import parse_time
from adapter.mapping.context import condition_label
from adapter.mapping.rules import Rules, Windows
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import Scoring, patient_records, score_patient
from adapter.vocabulary.systems import SNOMED
from tests.support.records import (
    ICD,
    NOW,
    P,
    condition,
    default_patient,
    finding,
    measurement,
    site,
)

TERM = default_terminology()


def scored(resources, rules=None):
    data = patient_records(resources, P)
    assert data is not None
    kwargs = {"scoring": Scoring(rules=rules)} if rules is not None else {}
    return score_patient(data, TERM, now=parse_time(NOW), **kwargs)


def total(result, code):
    out = result.score(code)
    assert out is not None
    return out.result.total.low, out.result.total.high


def component(result, score, code):
    out = result.score(score)
    assert out is not None
    points = next(c.points for c in out.result.components if c.code == code)
    return points.low, points.high


def test_the_default_patient_by_hand():
    r = scored(default_patient())
    # Bauer: fracture (collapse lt-50 at T12) 0, no visceral 1, lung 0, not favourable 0,
    # solitary 1 → 2; modified 2; NESMS 0 + (Frankel E: 0–1) + (no albumin: 0–1) → 0–2;
    # van der Linden KPS 80 2 + lung 1 + no visceral 1 → 4 (B).
    assert total(r, "bauer-original") == (2, 2)
    assert r.score("bauer-original").result.band.code == "bauer-original-2-3"
    assert total(r, "bauer-modified") == (2, 2)
    assert r.score("bauer-modified").result.band.code == "bauer-modified-2"
    assert total(r, "nesms") == (0, 2)
    assert total(r, "van-der-linden") == (4, 4)
    assert r.score("van-der-linden").result.band.code == "van-der-linden-b"
    basis = r.score("bauer-original").bases["bauer-no-pathological-fracture"]
    assert [ev.ref.reference for ev in basis.evidence] == [
        "Observation/t12-vertebral-body-collapse"
    ]


def test_no_collapse_and_no_fracture_recorded_is_a_range():
    r = scored(default_patient(sins={"vertebral-body-collapse": "none"}))
    assert component(r, "bauer-original", "bauer-no-pathological-fracture") == (0, 1)
    assert total(r, "bauer-original") == (2, 3)


@pytest.mark.parametrize(
    ("extra", "points"),
    [
        (condition("fx", "M84.58XA"), (0, 0)),  # pathological vertebral fracture, neoplastic
        (condition("fx", "M84.550A"), (0, 0)),  # M84.5- at the pelvis: any site counts
        (condition("fx", "M84.58XA", verification="provisional"), (0, 1)),  # may or may not
        (condition("fx", "M80.08XA"), (0, 1)),  # osteoporotic: does not settle it
        (finding("pf", "pathological-fracture", "absent"), (1, 1)),  # the finding wins
    ],
)
def test_fracture_from_conditions_and_the_finding(extra, points):
    r = scored(default_patient(sins={"vertebral-body-collapse": "none"}, extra=(extra,)))
    assert component(r, "bauer-original", "bauer-no-pathological-fracture") == points


@pytest.mark.parametrize(("answer", "points"), [("gt-50", (0, 0)), ("none", (0, 1))])
def test_a_collapse_focused_on_a_lesion_at_several_levels_is_at_a_metastatic_level(answer, points):
    # at none of its levels for SINS (contract §2), but at one of them: a pathological fracture
    multi = condition("met-multi", "C79.51")
    multi["bodySite"] = [*site("T6"), *site("T12")]
    collapse = finding("c", "vertebral-body-collapse", answer,
                       focus=[{"reference": "Condition/met-multi"}])  # fmt: skip
    r = scored(default_patient(drop=("met-t12", "t12-vertebral-body-collapse"),
                               extra=(multi, collapse)))  # fmt: skip
    assert component(r, "bauer-original", "bauer-no-pathological-fracture") == points
    # a collapse of its own at each of the lesion's levels decides instead
    own = (finding("c6", "vertebral-body-collapse", "none", level="T6"),
           finding("c12", "vertebral-body-collapse", "none", level="T12"))  # fmt: skip
    r = scored(default_patient(drop=("met-t12", "t12-vertebral-body-collapse"),
                               extra=(multi, collapse, *own)))  # fmt: skip
    assert component(r, "bauer-original", "bauer-no-pathological-fracture") == (0, 1)


def test_an_explicit_absent_fracture_wins_over_the_collapse():
    r = scored(default_patient(extra=(finding("pf", "pathological-fracture", "absent"),)))
    assert total(r, "bauer-original") == (3, 3)


@pytest.mark.parametrize(
    ("drop", "extra", "points"),
    [
        (("frankel",), (finding("f", "frankel-grade", "frankel-c"),), (0, 0)),
        (("frankel",), (finding("f", "asia-impairment-scale", "ais-b"),), (0, 0)),
        (("frankel",), (finding("f", "frankel-grade", "frankel-d"),), (0, 1)),
        (("kps",), (measurement("ecog", "89247-1", 4),), (0, 0)),  # ECOG 4: bed or chair
        ((), (finding("w", "ambulatory-status", "independent"),), (1, 1)),
        ((), (finding("w", "ambulatory-status", "with-aid"),), (0, 1)),  # UNCONFIRMED
        ((), (finding("w", "ambulatory-status", "non-ambulatory"),), (0, 0)),
        (("frankel",), (), (0, 1)),
    ],
)
def test_ambulation(drop, extra, points):
    r = scored(default_patient(drop=drop, extra=extra))
    assert component(r, "nesms", "nesms-ambulatory") == points


@pytest.mark.parametrize(
    ("loinc", "value", "unit", "points"),
    [("1751-7", 3.5, "g/dL", 1), ("1751-7", 3.4, "g/dL", 0), ("61151-7", 35, "g/L", 1),
     ("61152-5", 34.9, "g/L", 0)],
)  # fmt: skip
def test_albumin_at_the_cut_off(loinc, value, unit, points):
    r = scored(default_patient(extra=(measurement("alb", loinc, value, unit),)))
    assert component(r, "nesms", "nesms-albumin") == (points, points)


def test_albumin_older_than_its_window_is_used_and_named_dated():
    old = measurement("alb", "1751-7", 40, "g/L", when="2024-04-01T09:00:00Z")  # 61 days
    r = scored(default_patient(extra=(old,)))
    assert component(r, "nesms", "nesms-albumin") == (1, 1)
    notes = r.score("nesms").observation.resource["note"]
    assert any("albumin: 40 g/L" in n["text"] and "window 30 days" in n["text"] for n in notes)
    longer = scored(default_patient(extra=(old,)), Rules(Windows(albumin=90)))
    assert "note" not in longer.score("nesms").observation.resource or not any(
        "albumin" in n["text"] for n in longer.score("nesms").observation.resource["note"]
    )


@pytest.mark.parametrize(
    ("code", "not_lung", "favourable", "linden"),
    [
        ("C50.911", (1, 1), (1, 1), (3, 3)),  # breast
        ("C61", (1, 1), (0, 0), (2, 2)),  # prostate
        ("C64.1", (1, 1), (1, 1), (0, 0)),  # kidney
        ("C65.1", (1, 1), (0, 1), (0, 0)),  # renal pelvis: kidney or not
        ("C90.00", (1, 1), (1, 1), (0, 0)),  # myeloma
        ("C90.20", (1, 1), (0, 1), (0, 0)),  # extramedullary plasmacytoma: a range
        ("C83.30", (1, 1), (1, 1), (0, 0)),  # lymphoma
        ("C80.1", (0, 1), (0, 0), (0, 1)),  # unidentified: not lung 0–1, favourable 0
        ("C18.7", (1, 1), (0, 0), (0, 0)),  # colon: other
    ],
)
def test_primary_site(code, not_lung, favourable, linden):
    r = scored(default_patient(drop=("primary",), extra=(condition("primary", code),)))
    assert component(r, "bauer-original", "bauer-primary-not-lung") == not_lung
    assert component(r, "bauer-original", "bauer-primary-favourable") == favourable
    assert component(r, "van-der-linden", "van-der-linden-primary") == linden


@pytest.mark.parametrize(
    ("code", "not_lung", "favourable", "linden"),
    [
        ("109989006", (1, 1), (1, 1), (0, 0)),  # multiple myeloma
        ("415112005", (1, 1), (0, 1), (0, 0)),  # plasmacytoma: a range, as C90.2
        ("188718006", (1, 1), (0, 1), (0, 0)),  # extramedullary plasmacytoma
        ("93985007", (1, 1), (0, 1), (0, 0)),  # renal pelvis: kidney or not, as C65
        ("702391001", (1, 1), (1, 1), (0, 0)),  # renal cell carcinoma
        ("424132000", (0, 0), (0, 0), (1, 1)),  # Synthea: NSCLC, TNM stage 1
        ("423121009", (0, 0), (0, 0), (1, 1)),  # Synthea: NSCLC, TNM stage 4
        ("67811000119102", (0, 0), (0, 0), (1, 1)),  # Synthea: small cell lung, TNM stage 1
        ("67841000119103", (0, 0), (0, 0), (1, 1)),  # Synthea: small cell lung, TNM stage 4
    ],
)
def test_primary_site_in_snomed_ct_as_in_icd10(code, not_lung, favourable, linden):
    primary = condition("primary", code, system=SNOMED)
    r = scored(default_patient(drop=("primary",), extra=(primary,)))
    assert component(r, "bauer-original", "bauer-primary-not-lung") == not_lung
    assert component(r, "bauer-original", "bauer-primary-favourable") == favourable
    assert component(r, "van-der-linden", "van-der-linden-primary") == linden


UNCERTAIN = (
    ": grouped with a named tumour by Tokuhashi, but not certainly the tumour Bauer and van der "
    "Linden name — both are possible."
)


@pytest.mark.parametrize(
    ("code", "system", "words", "named"),
    [
        ("415112005", SNOMED, {}, "Plasmacytoma (SNOMED CT 415112005)"),  # the mappings' display
        ("415112005", SNOMED, {"display": "Plasmacytoma of bone"},
         "Plasmacytoma of bone (SNOMED CT 415112005)"),  # the record's display first
        ("415112005", SNOMED, {"text": "Solitary plasmacytoma, T12"},
         "Solitary plasmacytoma, T12 (SNOMED CT 415112005)"),  # its text before any display
        ("C65.1", ICD, {}, "Malignant neoplasm of renal pelvis (ICD-10-CM C65.1)"),
    ],
)  # fmt: skip
def test_a_primary_bauer_and_van_der_linden_may_not_mean_is_named_in_words(
    code, system, words, named
):
    primary = condition("primary", code, system=system)
    if "display" in words:
        primary["code"]["coding"][0]["display"] = words["display"]
    if "text" in words:
        primary["code"]["text"] = words["text"]
    r = scored(default_patient(drop=("primary",), extra=(primary,)))
    caveat = f"Primary {named}{UNCERTAIN}"
    for score, item in (("bauer-original", "bauer-primary-not-lung"),
                        ("van-der-linden", "van-der-linden-primary")):  # fmt: skip
        out = r.score(score)
        assert out is not None
        assert caveat in out.bases[item].caveats


@pytest.mark.parametrize(
    ("coding", "name", "label"),
    [
        (Coding(SNOMED, "415112005"), None, "SNOMED CT 415112005"),  # nothing names it: the code
        (Coding("http://hospital.example/dx", "PC-1"), None, "PC-1"),  # a local system unnamed
        (Coding("http://hospital.example/dx", "PC-1"), "Plasmacytoma", "Plasmacytoma (PC-1)"),
    ],
)
def test_a_condition_without_words_is_labelled_by_its_code(coding, name, label):
    cond = ConditionRecord(ResourceRef("Condition", "Condition/x"), P, "active", "confirmed",
                           (coding,), (), (), None, name=name)  # fmt: skip
    assert condition_label(cond) == label


@pytest.mark.parametrize(
    ("code", "system", "paths"),
    [
        ("C64.1", ICD, ["srs"]),  # kidney: radioresistant
        ("702391001", SNOMED, ["srs"]),  # renal cell carcinoma
        ("372244006", SNOMED, ["srs"]),  # melanoma
        ("C83.30", ICD, ["cebrt-low"]),  # lymphoma: radiosensitive
        ("118601006", SNOMED, ["cebrt-low"]),  # non-Hodgkin lymphoma
        ("109989006", SNOMED, ["cebrt-low"]),  # multiple myeloma
        ("415112005", SNOMED, ["cebrt-low", "srs"]),  # plasmacytoma: not in the AO list, both
    ],
)
def test_noms_radiosensitivity_of_a_snomed_ct_primary_as_of_its_icd10_code(code, system, paths):
    extra = (condition("primary", code, system=system),
             finding("stab", "spinal-stability", "stable", level="T12"))  # fmt: skip
    view = noms_view(scored(default_patient(drop=("primary",), extra=extra)))
    assert view is not None
    assert [p.code for p in view.levels[0].result.paths] == paths


def test_noms_paths_at_a_level_from_the_record():
    # Kidney (radioresistant), Bilsky 2 at T12, surgeon: stable, fit for surgery → row 5.
    extra = (
        condition("primary", "C64.1"),
        finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-2", level="T12"),
        finding("stab", "spinal-stability", "stable", level="T12"),
        finding("fit", "surgery-tolerance", "able"),
    )
    view = noms_view(scored(default_patient(drop=("primary", "bilsky-t12"), extra=extra)))
    assert view is not None
    (t12,) = view.levels
    assert [p.code for p in t12.result.paths] == ["separation-srs"]
    assert any("radioresistant" in text for text in t12.readings)
    # The surgeon's stability verdict missing: SINS 10 at T12 (7–12) is either → rows 1 and 5.
    view = noms_view(
        scored(default_patient(drop=("primary", "bilsky-t12"), extra=extra[:2] + extra[3:]))
    )
    assert [p.code for p in view.levels[0].result.paths] == ["stabilise", "separation-srs"]


def test_noms_lung_primary_is_unconfirmed_so_both_oncological_rows():
    extra = (finding("stab", "spinal-stability", "stable", level="T12"),)
    view = noms_view(scored(default_patient(extra=extra)))
    # Bilsky 0 (low), stable, lung (radiosensitivity UNCONFIRMED): cEBRT or SRS.
    assert [p.code for p in view.levels[0].result.paths] == ["cebrt-low", "srs"]
    recorded = (*extra, finding("rs", "radiosensitivity", "radiosensitive"))
    assert [
        p.code for p in noms_view(scored(default_patient(extra=recorded))).levels[0].result.paths
    ] == ["cebrt-low"]


def test_noms_says_which_is_unconfirmed_the_classification_or_the_primary():
    """A lung primary's radiosensitivity is UNCONFIRMED in the sources; a primary whose status
    cannot be read is taken as unconfirmed. The O reading must tell the two apart, never print
    a bare "(UNCONFIRMED)" beside the diagnosis as if the tumour were in doubt."""
    local = {"coding": [{"system": "http://hospital.example/status", "code": "A"}]}
    for extra, doubted in (
        ((), False),
        ((condition("primary", "C34.90", clinicalStatus=local),), True),
    ):
        drop = ("primary",) if extra else ()
        view = noms_view(scored(default_patient(drop=drop, extra=extra)))
        assert view is not None
        (o_text,) = [r for r in view.levels[0].readings if r.startswith("O: ")]
        assert "radiosensitivity not classified for this code (UNCONFIRMED)" in o_text, o_text
        assert "not classified (UNCONFIRMED) (" not in o_text, o_text
        assert ("status not read: taken as unconfirmed" in o_text) is doubted, o_text


@pytest.mark.parametrize("status", ["provisional", "differential"])
def test_noms_says_a_primary_that_is_not_confirmed_may_be_another_tumour(status):
    """A provisional renal-cell primary is radioresistant if it is there; the framework keeps
    the radiosensitive path open because it may be another tumour, and O must say why."""
    extra = (condition("primary", "C64.1", verification=status),)
    view = noms_view(scored(default_patient(drop=("primary",), extra=extra)))
    assert view is not None
    (o_text,) = [r for r in view.levels[0].readings if r.startswith("O: ")]
    assert f"primary tumour ({status}: may be another tumour), radioresistant" in o_text, o_text
    assert "cebrt-low" in [p.code for p in view.levels[0].result.paths]


def test_noms_never_says_the_sources_leave_a_tumour_unclassified_that_they_classify():
    """Seminoma is radiosensitive in the sources, but C62.90 does not tell a seminoma."""
    extra = (condition("primary", "C62.90"),)
    view = noms_view(scored(default_patient(drop=("primary",), extra=extra)))
    assert view is not None
    (o_text,) = [r for r in view.levels[0].readings if r.startswith("O: ")]
    assert "in the sources" not in o_text and "not classified for this code" in o_text, o_text


def test_noms_reads_a_level_fixed_with_screws_as_stable():
    from tests.support.records import procedure

    # Pedicle screw fixation at T12 (CPT 22842) after the findings: M stable whatever the SINS.
    extra = (
        procedure("fix", "22842", "T12", when="2024-05-31T10:00:00Z"),
        finding("rs", "radiosensitivity", "radiosensitive"),
    )
    view = noms_view(scored(default_patient(extra=extra)))
    (t12,) = view.levels
    assert [p.code for p in t12.result.paths] == ["cebrt-low"]  # Bilsky 0, radiosensitive, stable
    assert any(r.startswith("M: T12 fixed (") for r in t12.readings)


# NOMS N from a cord compression recorded as a diagnosis (ValueSet spinal-cord-compression): it
# says the cord may be compressed, never which Bilsky grade (scores-more.md: N is the ESCC grade),
# so it makes high grade possible and never settles N on its own.
_SETTLED_OTHERWISE = (finding("rs", "radiosensitivity", "radiosensitive"),
                      finding("stab", "spinal-stability", "stable", level="T12"))  # fmt: skip
_CORD = {"onset": "2024-05-31"}


def _noms_t12(*extra, drop=("bilsky-t12",)):
    view = noms_view(scored(default_patient(drop=drop, extra=(*_SETTLED_OTHERWISE, *extra))))
    assert view is not None
    t12 = view.at("T12")
    assert t12 is not None
    return [p.code for p in t12.result.paths], t12.readings[0]


def test_noms_n_reads_a_coded_cord_compression_at_the_level_as_high_grade_possible():
    paths, n = _noms_t12(condition("mscc", "G95.20", level="T12", **_CORD))
    assert paths == ["cebrt-low", "cebrt-high"]  # low or high: the grade is not known
    assert n == (
        "N: Unspecified cord compression at T12 (coded 31 May 2024): high grade possible, "
        "Bilsky grade not recorded — either"
    )


def test_noms_n_a_coded_cord_compression_after_a_low_grade_unsettles_it():
    # Bilsky 0 at T12 on 30 May, then cord compression coded at T12 on 31 May.
    paths, n = _noms_t12(condition("mscc", "G95.20", level="T12", **_CORD), drop=())
    assert paths == ["cebrt-low", "cebrt-high"]
    assert n == (
        "N: Unspecified cord compression at T12 (coded 31 May 2024): high grade possible — "
        "either; latest grade: Bilsky 0 at T12 (30 May 2024)"
    )


def test_noms_n_a_coded_cord_compression_without_a_level_counts_at_the_level():
    paths, n = _noms_t12(condition("mscc", "G83.4", **_CORD), drop=())
    assert paths == ["cebrt-low", "cebrt-high"]
    assert n == (
        "N: Cauda equina syndrome, level not recorded (coded 31 May 2024): high grade possible "
        "— either; latest grade: Bilsky 0 at T12 (30 May 2024)"
    )


def test_noms_n_a_later_grade_answers_a_coded_cord_compression():
    # Coded on 20 May, Bilsky 0 at T12 on 30 May: the clinician's grade is what N reads.
    placed = condition("mscc", "G95.20", level="T12", onset="2024-05-20")
    unplaced = condition("ces", "G83.4", onset="2024-05-20")
    paths, n = _noms_t12(placed, unplaced, drop=())
    assert paths == ["cebrt-low"]
    assert n == "N: Bilsky 0 at T12 (30 May 2024)"


def test_noms_n_a_coded_cord_compression_after_a_high_grade_keeps_it_high():
    bilsky_3 = finding(
        "b3", "epidural-spinal-cord-compression", "bilsky-3", level="T12", when="2024-05-30"
    )
    paths, n = _noms_t12(bilsky_3, condition("mscc", "G95.20", level="T12", **_CORD))
    assert paths == ["cebrt-high"]
    assert n == (
        "N: Bilsky 3 at T12 (30 May 2024); Unspecified cord compression at T12 (coded 31 May 2024)"
    )


def test_noms_n_a_coded_cord_compression_at_another_level_stays_there():
    t8 = condition("met-t8", "C79.51", level="T8")
    paths, n = _noms_t12(t8, condition("mscc", "G95.20", level="T8", **_CORD), drop=())
    assert paths == ["cebrt-low"]
    assert n == "N: Bilsky 0 at T12 (30 May 2024)"
