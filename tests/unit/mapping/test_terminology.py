"""Every file in mappings/ is valid FHIR R4, and the loader reads what the files say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.conceptmap import ConceptMap
from fhir.resources.R4B.valueset import ValueSet

from adapter.errors import MappingError
from adapter.mapping.terminology import load_terminology
from adapter.vocabulary.systems import BASE as SPINEMETS
from adapter.vocabulary.systems import ICD10CM, SNOMED

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
FILES = sorted(MAPPINGS.glob("*.json"))
MODELS: dict[str, Any] = {"CodeSystem": CodeSystem, "ConceptMap": ConceptMap, "ValueSet": ValueSet}
SITE = f"{SPINEMETS}/CodeSystem/tokuhashi-primary-site"
FINDING = f"{SPINEMETS}/CodeSystem/finding"
VERTEBRA = f"{SPINEMETS}/CodeSystem/vertebra"


@pytest.fixture(scope="module")
def term():
    return load_terminology(MAPPINGS)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_file_is_a_valid_r4_resource(path):
    data = json.loads(path.read_text())
    MODELS[data["resourceType"]].model_validate(data)
    assert path.name == f"{data['resourceType']}-{data['id']}.json"
    assert data["url"] == f"{SPINEMETS}/{data['resourceType']}/{data['id']}"


def test_concept_map_targets_exist_in_our_code_systems(term):
    for path in FILES:
        data = json.loads(path.read_text())
        if data["resourceType"] != "ConceptMap":
            continue
        for group in data["group"]:
            if group["target"] in term.code_systems:
                for element in group["element"]:
                    for target in element.get("target", []):
                        if "code" in target:
                            assert term.has_code(group["target"], target["code"]), (
                                path.name,
                                target,
                            )


def test_contract_code_systems_are_complete(term):
    assert {"sins", "tomita", "tokuhashi-revised", "tokuhashi-original", "sins-posterolateral",
            "tokuhashi-palsy"} <= term.code_systems[f"{SPINEMETS}/CodeSystem/score"]  # fmt: skip
    # contract v3 adds the Bauer (3 + 3) and van der Linden (3) bands; NESMS has none.
    assert len(term.code_systems[f"{SPINEMETS}/CodeSystem/category"]) == 22
    assert {"spinal-pain", "frankel-grade", "ais-c", "gt-50"} <= term.code_systems[FINDING]


@pytest.mark.parametrize(
    ("code", "sites"),
    [
        ("C34.90", {"lung"}), ("C34", {"lung"}), ("C50.919", {"breast"}), ("C15.9", {"esophagus"}),
        ("C53.9", {"uterus"}), ("C90.00", {"myeloma"}), ("C20", {"rectum"}),
        ("C19", {"colon", "rectum"}), ("C80.1", {"unidentified"}), ("C61", {"prostate"}),
        ("C64.1", {"kidney"}), ("C7A.00", {"carcinoid"}), ("C41.2", {"osteosarcoma", "sarcoma"}),
        ("C80", {"unidentified", "other"}), ("C25", {"pancreas", "carcinoid"}),
        ("C25.0", {"pancreas"}), ("C24.0", {"gallbladder"}), ("C57.00", {"other"}),
        ("C63.10", {"other"}), ("C68.0", {"other"}), ("C48.1", {"other"}),
        ("C7A.8", {"carcinoid"}),
    ],
)  # fmt: skip
def test_icd10cm_primary_sites_by_longest_prefix(term, code, sites):
    assert term.translate(ICD10CM, code, SITE) == sites


@pytest.mark.parametrize(
    ("site", "growth"),
    [
        ("breast", {"slow"}), ("kidney", {"moderate"}), ("lung", {"rapid"}),
        ("colon", {"moderate", "rapid"}), ("myeloma", {"slow", "moderate"}),
        ("other", {"slow", "moderate", "rapid"}), ("unidentified", {"rapid"}),
    ],
)  # fmt: skip
def test_tomita_growth_only_where_sources_agree(term, site, growth):
    assert term.translate(SITE, site, FINDING) == growth


def test_snomed_vertebrae_and_generic_codes(term):
    assert term.translate(SNOMED, "280849005", VERTEBRA) == {"T12"}
    assert term.translate(SNOMED, "1172006", VERTEBRA) == {"C2"}
    assert term.translate(SNOMED, "3572006", VERTEBRA) == frozenset()  # names no level
    assert term.translate(SNOMED, "12345", VERTEBRA) is None


def _region_levels(region: str) -> frozenset[str]:
    """The levels the vertebra CodeSystem's ``region`` property puts in ``region``."""
    data = json.loads((MAPPINGS / "CodeSystem-vertebra.json").read_text())
    return frozenset(
        c["code"]
        for c in data["concept"]
        if {"code": "region", "valueCode": region} in c.get("property", [])
    )


@pytest.mark.parametrize(
    ("code", "region"),
    [  # SNOMED CT spine structures (DICOM CID 4031) and bone structure of a region's vertebra
        ("122494005", "cervical"), ("122495006", "thoracic"), ("122496007", "lumbar"),
        ("35769007", "thoracic"), ("73903008", "lumbar"),
    ],
)  # fmt: skip
def test_a_spinal_region_maps_to_the_levels_of_that_region(term, code, region):
    levels = term.translate(SNOMED, code, VERTEBRA)
    assert levels == _region_levels(region) and len(levels) > 1


@pytest.mark.parametrize(
    "code",
    [  # the spine or any vertebra (DICOM CID 6114 "Spine", "Vertebra"): spinal, no level
        "51282000", "421060004",
    ],
)  # fmt: skip
def test_the_whole_spine_is_spinal_with_no_level(term, code):
    assert term.translate(SNOMED, code, VERTEBRA) == frozenset()


def test_the_sacrum_maps_to_the_sacral_levels(term):
    levels = term.translate(SNOMED, "54735007", VERTEBRA)  # bone structure of sacrum
    assert levels == _region_levels("sacral") == {"S1", "S2", "S3", "S4", "S5"}


@pytest.mark.parametrize(
    "code",
    [  # femur, ilium, rib, humerus, cranium, sternum, clavicle, scapula
        "71341001", "22356005", "113197003", "85050009", "89546000", "56873002", "51299004",
        "79601000",
    ],
)  # fmt: skip
def test_known_extraspinal_bone_sites_are_listed(term, code):
    assert term.in_value_set("extraspinal-bone-site", SNOMED, code)
    assert term.translate(SNOMED, code, VERTEBRA) is None


@pytest.mark.parametrize(
    "code",
    [  # the common sites of bone metastasis outside the spine (mCODE TG-263, DICOM CID 4031)
        "12921003",  # pelvic structure: the second commonest site
        "46633002", "37783008", "85710004", "82561000",  # bony pelvis, acetabulum, ischium, pubis
        "2812003", "29627003", "41111004",  # head, neck and shaft of femur
        "12611008", "87342007", "64234005",  # tibia, fibula, patella
        "62413002", "23416004",  # radius, ulna
        "91609006", "70925003",  # mandible, maxilla
        "72001000", "371195002",  # bone of lower limb, bone of upper limb
    ],
)  # fmt: skip
def test_common_extraspinal_bone_sites_are_listed(term, code):
    assert term.in_value_set("extraspinal-bone-site", SNOMED, code)
    assert term.translate(SNOMED, code, VERTEBRA) is None
    assert term.display(SNOMED, code)  # named on the cards by display, never by code alone


@pytest.mark.parametrize(
    "code",
    [  # sites that include vertebrae are never an extraspinal focus
        "118645006",  # innominate bone and/or sacrum and/or coccyx
        "272710004",  # bone of thorax: ribs, sternum and the thoracic vertebrae
        "110517009",  # vertebral column and cranium
    ],
)
def test_a_site_that_includes_vertebrae_is_not_extraspinal(term, code):
    assert not term.in_value_set("extraspinal-bone-site", SNOMED, code)


def test_a_site_never_both_spinal_and_extraspinal(term):
    listed = term.value_set_codes("extraspinal-bone-site")
    assert listed and all(term.translate(s, c, VERTEBRA) is None for s, c in listed)


@pytest.mark.parametrize("code", ["87141009", "3572006", "1186895000"])
def test_a_spinal_site_the_mappings_cannot_place_in_levels_names_none(term, code):
    # sacral vertebra (never guessed), body of vertebra, thirteenth thoracic vertebra
    assert term.translate(SNOMED, code, VERTEBRA) == frozenset()


@pytest.mark.parametrize(
    ("value_set", "system", "code", "member"),
    [
        ("bone-metastasis", ICD10CM, "C79.51", True), ("bone-metastasis", ICD10CM, "C79.5", False),
        ("bone-metastasis", SNOMED, "94222008", True),
        ("visceral-metastasis", ICD10CM, "C78.01", True), ("visceral-metastasis", ICD10CM, "C79.72", True),
        ("visceral-metastasis", ICD10CM, "C79.51", False),
        ("major-organ-metastasis", ICD10CM, "C79.31", True), ("major-organ-metastasis", ICD10CM, "C79.32", False),
        ("major-organ-metastasis", ICD10CM, "C78.7", True), ("major-organ-metastasis", ICD10CM, "C78.1", False),
        ("primary-malignancy", ICD10CM, "C34.90", True), ("primary-malignancy", ICD10CM, "C7A.00", True),
        ("primary-malignancy", ICD10CM, "C78.00", False), ("primary-malignancy", ICD10CM, "C7B.00", False),
        ("primary-malignancy", ICD10CM, "C77.0", False), ("primary-malignancy", ICD10CM, "C96.9", True),
    ],
)  # fmt: skip
def test_value_set_membership(term, value_set, system, code, member):
    assert term.in_value_set(value_set, system, code) is member


def test_a_new_concept_map_needs_no_code_change(tmp_path):
    for path in FILES:
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "ConceptMap-icdo3-demo.json").write_text(json.dumps({
        "resourceType": "ConceptMap", "id": "icdo3-demo", "status": "draft",
        "group": [{"source": "http://terminology.hl7.org/CodeSystem/icd-o-3", "target": SITE,
                   "element": [{"code": "C34.1", "target": [{"code": "lung", "equivalence": "equivalent"}]}]}],
    }))  # fmt: skip
    term = load_terminology(tmp_path)
    assert term.translate("http://terminology.hl7.org/CodeSystem/icd-o-3", "C34.1", SITE) == {
        "lung"
    }


def test_malformed_mapping_files_are_refused(tmp_path):
    with pytest.raises(MappingError, match="no terminology files"):
        load_terminology(tmp_path)
    (tmp_path / "ValueSet-x.json").write_text("{not json")
    with pytest.raises(MappingError, match="malformed"):
        load_terminology(tmp_path)
    (tmp_path / "ValueSet-x.json").write_text('{"resourceType": "Patient"}')
    with pytest.raises(MappingError, match="not a CodeSystem"):
        load_terminology(tmp_path)


def test_remembered_answers_stay_right_and_bounded(monkeypatch):
    import adapter.mapping.terminology as terminology

    monkeypatch.setattr(terminology, "_MAX_ANSWERS", 4)
    term = load_terminology()  # its own instance: answers are remembered per terminology
    for _ in range(3):  # asked again, answered the same
        assert term.in_value_set("bone-metastasis", ICD10CM, "C79.51")
        assert not term.in_value_set("bone-metastasis", ICD10CM, "C79.31")
    for n in range(20):  # codes from the input are many: what is remembered is not
        term.in_value_set("bone-metastasis", ICD10CM, f"Z{n:02d}")
        assert len(term._answers) <= 4
    with pytest.raises(MappingError):
        term.in_value_set("no-such-set", ICD10CM, "C79.51")


EXPANDED = [p for p in MAPPINGS.glob("ValueSet-*.json") if "expansion" in json.loads(p.read_text())]


@pytest.mark.parametrize("path", EXPANDED, ids=[p.name for p in EXPANDED])
def test_an_expansion_holds_what_its_value_set_includes_and_nothing_else(term, path):
    data = json.loads(path.read_text())
    expanded = {(c["system"], c["code"]) for c in data["expansion"]["contains"]}
    assert data["expansion"]["total"] == len(data["expansion"]["contains"]) == len(expanded)
    assert all(term.in_value_set(data["id"], s, c) for s, c in expanded)
    for part in data["compose"]["include"]:
        named = [c["code"] for c in part.get("concept", [])]
        named += [f["value"] for f in part.get("filter", [])]  # a filter's root is itself
        assert {(part["system"], code) for code in named} <= expanded


def test_a_value_set_searched_by_an_is_a_code_alone_is_refused(term):
    # Searching C78 would miss every C78.01 patient: such a ValueSet needs its expansion.
    with pytest.raises(MappingError, match="no expansion"):
        term.value_set_codes("visceral-metastasis")
    assert (ICD10CM, "C90.00") in term.value_set_codes("bone-marrow-primary")


def _primary_groups(term, code: str) -> frozenset[str]:
    """The Tokuhashi site groups a primary's ICD-10-CM code reads as (an unlisted one: others)."""
    return term.translate(ICD10CM, code, SITE) or frozenset({"other"})


def test_a_category_code_reads_as_every_group_its_subcategories_may_be(term):
    # "C80" alone may be any C80.x: scored narrower than its subcodes (a certain "other" for an
    # unknown primary) it settles a band the record does not (contract §2: a range, no guess).
    data = json.loads((MAPPINGS / "ConceptMap-icd10cm-to-tokuhashi-primary-site.json").read_text())
    listed = [e["code"] for group in data["group"] for e in group["element"]]
    categories = {code.split(".")[0] for code in listed}
    narrower = {}
    for category in sorted(categories):
        below = [code for code in listed if code.startswith(f"{category}.")]
        union = frozenset().union(*(_primary_groups(term, code) for code in below))
        if missing := union - _primary_groups(term, category):
            narrower[category] = sorted(missing)
    assert narrower == {}


def test_a_bare_myeloma_category_is_an_uncertain_bauer_primary(term):
    # C90 may be C90.1–C90.3 (plasma cell leukaemia, plasmacytomas), which Bauer's tables may not
    # mean; C90.00 (multiple myeloma) stays certain.
    assert term.in_value_set("primary-prognosis-uncertain", ICD10CM, "C90")
    assert not term.in_value_set("primary-prognosis-uncertain", ICD10CM, "C90.00")


@pytest.mark.parametrize("path", sorted(MAPPINGS.glob("ConceptMap-*.json")), ids=lambda p: p.name)
def test_every_narrower_or_inexact_target_says_why(path):
    # FHIR R4 invariant cmd-1, which the HL7 validator enforces: the unit tier catches it first.
    data = json.loads(path.read_text())
    silent = [
        (element["code"], target.get("code"))
        for group in data["group"]
        for element in group["element"]
        for target in element.get("target", [])
        if target.get("equivalence") in ("narrower", "inexact") and not target.get("comment")
    ]
    assert silent == []
