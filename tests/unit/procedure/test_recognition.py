"""Order recognition (contract §5 v3): the procedure ValueSets in CPT (current and deleted codes),
SNOMED CT, ICD-10-PCS and OPCS-4, a site's local ConceptMap, and spine orders that are not
recognised but look like one. The index procedure of §6 is recognised the same way."""

from __future__ import annotations

import json

import pytest

from adapter.errors import ConfigurationError
from adapter.fhir.read.orders import read_orders
from adapter.fhir.read.timing import parse_time
from adapter.mapping import terminology
from adapter.mapping.followup import extract_follow_up
from adapter.mapping.rules import Rules
from adapter.mapping.terminology import default_terminology, load_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.procedure.check import check_orders
from adapter.procedure.orders import procedure_orders
from adapter.procedure.summary import headline
from tests.support.records import (
    CPT,
    ICD10PCS,
    NOW,
    OPCS4,
    SNOMED,
    default_patient,
    draft_orders,
    finding,
    order,
    procedure,
)
from tests.unit.decision.test_wording import decisions_for, surfaces

TERM = default_terminology()
LOCAL = "http://hospital.example/procedure-codes"
SURGICAL, IMAGING = "387713003", "363679005"


def kinds(*orders, term=TERM) -> list[tuple[str, str]]:
    found = procedure_orders(read_orders(draft_orders(*orders)), None, "order-sign", term)
    return [(o.kind, o.name) for o in found]


@pytest.mark.parametrize(
    ("system", "code", "kind", "name"),
    [
        (CPT, "22511", "augmentation", "Vertebroplasty"),
        (CPT, "22513", "augmentation", "Kyphoplasty"),
        (CPT, "22523", "augmentation", "Kyphoplasty"),  # deleted in 2015, still in records
        (CPT, "22520", "augmentation", "Vertebroplasty"),
        (CPT, "22842", "fixation", "Pedicle screw fixation"),
        (SNOMED, "392010000", "augmentation", "Vertebroplasty"),
        (ICD10PCS, "0QU03JZ", "augmentation", "Vertebroplasty/kyphoplasty"),  # PCS: either
        (ICD10PCS, "0PH434Z", "fixation", "Pedicle screw fixation"),
        (OPCS4, "V44.4", "augmentation", "Vertebroplasty"),
        (OPCS4, "V44.5", "augmentation", "Kyphoplasty"),
    ],
)
def test_orders_are_recognised_in_every_code_system(system, code, kind, name):
    assert kinds(order("o", code, "T12", system=system)) == [(kind, name)]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"text": "Percutaneous vertebroplasty"}, "Percutaneous vertebroplasty"),
        ({"display": "Balloon kyphoplasty"}, "Balloon kyphoplasty"),
        ({"text": "Cement augmentation T12"}, "Cement augmentation T12"),
        ({"text": "Insert pedicle screws"}, "Insert pedicle screws"),
        ({"text": "Posterior spinal fixation"}, "Posterior spinal fixation"),
        ({"text": "Lumbar interbody fusion"}, "Lumbar interbody fusion"),
        ({"text": "Fusion of the lumbar spine"}, "Fusion of the lumbar spine"),
        ({"category": SURGICAL}, "Surgical order"),  # surgical, at a vertebra
    ],
)
def test_an_unrecognised_order_that_looks_like_a_spine_procedure_is_checked(extra, expected):
    assert kinds(order("o", "X-1", "T12", system=LOCAL, **extra)) == [("unrecognised", expected)]


ICD10PCS_OID = "urn:oid:2.16.840.1.113883.6.4"  # ICD-10-PCS as CDA-derived records name it


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        (order("a", "0QU03JZ", "L1", system=ICD10PCS_OID),
         ("augmentation", "Vertebroplasty/kyphoplasty")),
        (order("f", "0PH434Z", "T12", system=ICD10PCS_OID), ("fixation", "Pedicle screw fixation")),
        # the commonest names of a posterior fixation, under a code only the hospital knows
        (order("b", "X1", "T12", system=LOCAL, text="Posterior spinal instrumentation T10-L2"),
         ("unrecognised", "Posterior spinal instrumentation T10-L2")),
        (order("c", "X2", "T12", system=LOCAL, text="Percutaneous spinal stabilisation T11-L1"),
         ("unrecognised", "Percutaneous spinal stabilisation T11-L1")),
        (order("c", "X2", "T12", system=LOCAL, display="Spinal stabilization, percutaneous"),
         ("unrecognised", "Spinal stabilization, percutaneous")),
        (order("d", "X3", "T12", system=LOCAL, text="Transpedicular fixation T11-L1"),
         ("unrecognised", "Transpedicular fixation T11-L1")),
    ],
)  # fmt: skip
def test_orders_hospitals_send_are_never_silent(made, expected):
    assert kinds(made) == [expected]


@pytest.mark.parametrize(
    "extra",
    [
        {"text": "MRI thoracic spine after spinal instrumentation", "category": IMAGING},
        {"text": "XR lumbar spine post transpedicular fixation"},
        {"text": "Spinal stabilisation exercises"},  # physiotherapy, not an operation
        {"text": "Physiotherapy: spinal stabilization programme"},
    ],
)
def test_studies_and_exercises_named_after_a_fixation_are_not_one(extra):
    assert kinds(order("o", "X-1", "T12", system=LOCAL, **extra)) == []


@pytest.mark.parametrize(
    "text",
    [
        "PT eval and treat - spinal stabilization",
        "Spinal stabilization therapy (outpatient PT)",
        "Lumbar spinal stabilisation Pilates",
        "Spinal stabilization brace (TLSO)",
        "Core and spinal stabilisation - physical therapy",
        "OT/PT: spinal stabilization",
        "Hydrotherapy - spinal stabilisation",
        "Referral to physical therapist for spinal stabilization",
        "Spinal stabilisation home exercise programme",
    ],
)
def test_therapies_and_appliances_named_after_a_fixation_are_not_one(text):
    # Physiotherapy orders and braces go by the same words as a percutaneous fixation; checked
    # as a spine procedure they would say "cord compression" to a therapist (contract §5 v3).
    assert kinds(order("o", "X-1", "T12", system=LOCAL, text=text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Percutaneous spinal stabilisation T11-L1, then inpatient rehab",
        "Spinal instrumentation T10-L2 (rehabilitation ward patient)",
        "Transpedicular fixation T12 - physio to mobilise day 1",
        "Transpedicular fixation - physio to mobilise day 1",
        "Spinal stabilisation T11-L1 and rehab",
        "Spinal stabilisation then physiotherapy",
        # "programme", "class", "PT" and "therapy" mean other things before an operation's name
        "Enhanced recovery programme: spinal stabilisation T11-L1",
        "ASA class 3 - spinal stabilisation",
        "PT/INR then spinal stabilisation T11-L1",
        "Radiation therapy then spinal stabilisation",
    ],
)
def test_a_fixation_order_that_mentions_therapy_after_it_is_never_silent(text):
    # The therapy is what follows the operation, not what is ordered (§5 v3: silence is never
    # the answer to a spine order).
    assert kinds(order("o", "X-1", "T12", system=LOCAL, text=text)) == [("unrecognised", text)]


def test_a_fixation_order_that_mentions_therapy_gets_its_critical_card():
    text = "Transpedicular fixation T12 - physio to mobilise day 1"
    bilsky = finding("b3", "epidural-spinal-cord-compression", "bilsky-3", level="T12")
    resources = default_patient(drop=("bilsky-t12",), extra=(bilsky,))
    decisions = decisions_for(resources, [order("o", "X-1", "T12", system=LOCAL, text=text)])
    (decision,) = decisions.orders
    assert decision.indicator == "critical"
    # The long label would cut the finding before its level ("Bilsky…"): the order's words give
    # way instead (the detail names it in full), the finding and the action whole.
    assert decision.summary.startswith("Transpedicular fixation T12 - physio to…: Bilsky 3 at T12")
    assert "suspected cord compression — decompression and radiotherapy first" in decision.summary


@pytest.mark.parametrize(
    "extra",
    [
        {"text": "Blood transfusion"},  # "fusion" inside a word
        {"text": "Fusion of ankle joint"},  # not beside a spinal word
        {"text": "Breast augmentation"},
        {"text": "MRI lumbar spine after fusion", "category": IMAGING},  # imaging never counts
        {"text": "Vertebroplasty planning CT", "category": IMAGING},
        {"category": IMAGING},
        {"text": "Physiotherapy"},  # at a vertebra, but not surgical
    ],
)
def test_what_is_not_a_spine_procedure_gets_no_card(extra):
    assert kinds(order("o", "X-1", "T12", system=LOCAL, **extra)) == []


@pytest.mark.parametrize(
    "extra",
    [
        # Interventional radiology orders its procedures in the imaging category (§5 v3: the
        # words count whatever the category; "imaging orders are not" is about the bodySite rule).
        {"display": "IR VERTEBROPLASTY LUMBAR", "category": IMAGING},
        {"text": "CT-guided vertebroplasty T12", "category": IMAGING},
        {"text": "Kyphoplasty under fluoroscopic guidance", "category": IMAGING},
        # A study word beside the procedure's name says how it is guided, not that it is a study.
        {"text": "Vertebroplasty T12 under CT", "category": IMAGING},
        {"text": "Vertebroplasty (CT)", "category": IMAGING},
        {"text": "Vertebroplasty, fluoroscopy and CT", "category": IMAGING},
        {"text": "Kyphoplasty with imaging", "category": IMAGING},
        {"text": "Vertebroplasty MR-guided", "category": IMAGING},
        # A radiology orderable is named by the modality it is done in: "XR KYPHOPLASTY".
        {"text": "XR kyphoplasty", "category": IMAGING},
        {"text": "Vertebroplasty for pathological fracture under CT", "category": IMAGING},
        {"text": "Repeat vertebroplasty after failed kyphoplasty", "category": IMAGING},
        # Cementoplasty is what UK and European radiology calls it.
        {"text": "IR cementoplasty T12", "category": IMAGING},
        {"text": "Vertebral cementoplasty"},
        {"text": "Percutaneous vertebral augmentation", "category": IMAGING},
    ],
)
def test_an_imaging_category_order_that_names_a_spine_procedure_is_checked(extra):
    name = extra.get("display") or extra["text"]
    assert kinds(order("o", "X-1", "T12", system=LOCAL, **extra)) == [("unrecognised", name)]


@pytest.mark.parametrize(
    "text",
    [
        # A study whose words say it is about the procedure: before, after, for, planning it.
        "XR spine post kyphoplasty",
        "XR lumbar spine pre vertebroplasty",
        "MRI after vertebroplasty",
        "Pre-vertebroplasty MRI",
        "CT T12 following cementoplasty",
        "Vertebroplasty follow-up MRI",
        "Kyphoplasty post-op XR",
        "DXA after kyphoplasty",
        # Fluoroscopy ordered for a procedure ordered elsewhere: that order gets the card.
        "Fluoroscopy for vertebroplasty",
        "Fluoro before kyphoplasty",
    ],
)
@pytest.mark.parametrize("category", [IMAGING, None])
def test_a_study_about_a_spine_procedure_is_not_the_procedure(text, category):
    assert kinds(order("o", "X-1", "T12", system=LOCAL, text=text, category=category)) == []


def test_a_cementoplasty_of_a_bone_outside_the_spine_is_not_a_spine_procedure():
    for text in ("Cementoplasty of acetabulum", "IR pelvic cementoplasty", "Femoral cementoplasty"):
        assert kinds(order("o", "X-1", system=LOCAL, text=text, category=IMAGING)) == []


@pytest.mark.parametrize(
    "text", ["MRI lumbar spine", "MRI thoracic spine with contrast", "CT lumbar spine"]
)
def test_a_plain_spine_imaging_order_gets_no_card(text):
    assert kinds(order("o", "X-1", "T12", system=LOCAL, text=text, category=IMAGING)) == []


def test_a_surgical_order_that_names_no_vertebra_is_not_taken_for_a_spine_procedure():
    assert kinds(order("o", "X-1", system=LOCAL, category=SURGICAL)) == []


def local_map(tmp_path, targets: dict[str, tuple[str, str]]):
    """A site's ConceptMap: local code → (system, code)."""
    groups: dict[str, list] = {}
    for local, (system, code) in targets.items():
        element = {"code": local, "target": [{"code": code, "equivalence": "equivalent"}]}
        groups.setdefault(system, []).append(element)
    res = {
        "resourceType": "ConceptMap", "id": "local", "status": "active",
        "group": [{"source": LOCAL, "target": s, "element": e} for s, e in groups.items()],
    }  # fmt: skip
    path = tmp_path / "local-procedures.json"
    path.write_text(json.dumps(res))
    return path


def test_a_site_s_local_codes_are_recognised_through_its_concept_map(tmp_path):
    path = local_map(tmp_path, {"VP-LUMB": (CPT, "22511"), "PSF": (CPT, "22842")})
    term = load_terminology(local_map=path)
    got = kinds(order("a", "VP-LUMB", "L1", system=LOCAL), order("b", "PSF", "T12", system=LOCAL),
                term=term)  # fmt: skip
    assert got == [("augmentation", "Vertebroplasty"), ("fixation", "Pedicle screw fixation")]
    assert kinds(order("a", "VP-LUMB", "L1", system=LOCAL)) == []  # without the map: unknown


def test_the_setting_names_the_local_map(tmp_path, monkeypatch):
    path = local_map(tmp_path, {"VP-LUMB": (CPT, "22511")})
    monkeypatch.setenv("SPINEMETS_LOCAL_PROCEDURE_MAP", str(path))
    term = terminology.default_terminology.__wrapped__()  # the cached one is the suite's
    assert term.in_value_set("vertebral-augmentation-procedure", LOCAL, "VP-LUMB")


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "No such file"),
        ("not json", "not JSON"),
        ({"resourceType": "ValueSet"}, "not a ConceptMap"),
        # A target outside the procedure ValueSets is a typo, not a local choice.
        ({"resourceType": "ConceptMap", "group": [{"source": LOCAL, "target": CPT,
          "element": [{"code": "X", "target": [{"code": "99213"}]}]}]}, "in no procedure ValueSet"),
        ({"resourceType": "ConceptMap", "group": [{"target": CPT}]}, "malformed"),
    ],
)  # fmt: skip
def test_an_unusable_local_map_stops_the_start_naming_the_setting(tmp_path, content, said):
    path = tmp_path / "map.json"
    if content is not None:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(ConfigurationError, match=f"SPINEMETS_LOCAL_PROCEDURE_MAP.*{said}"):
        load_terminology(local_map=path)


def test_an_unusable_local_map_is_exit_2_on_the_command_line(tmp_path, monkeypatch, capsys):
    from adapter.cli import main

    bundle = tmp_path / "in.json"
    bundle.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}))
    monkeypatch.setenv("SPINEMETS_LOCAL_PROCEDURE_MAP", str(tmp_path / "missing.json"))
    terminology.default_terminology.cache_clear()
    try:
        assert main(["score", str(bundle)]) == 2
    finally:
        terminology.default_terminology.cache_clear()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "SPINEMETS_LOCAL_PROCEDURE_MAP" in err[0]


@pytest.mark.parametrize(
    ("system", "code", "local"),
    [(ICD10PCS, "0QU03JZ", False), (OPCS4, "V44.4", False), (SNOMED, "392010000", False),
     (CPT, "22523", False), (LOCAL, "VP-LUMB", True)],
)  # fmt: skip
def test_the_index_procedure_is_recognised_in_every_code_system(tmp_path, system, code, local):
    term = load_terminology(local_map=local_map(tmp_path, {"VP-LUMB": (CPT, "22511")}))
    done = procedure("pvp", code, "L1", system=system, when="2024-05-01T09:00:00Z")
    resources = [*default_patient(), done]
    data = patient_records(resources, "p")
    assert data is not None
    got = extract_follow_up(data, term if local else TERM, now=parse_time(NOW), primary_sites=())
    assert got.outcome is not None and got.outcome.treated_levels == ("L1",)


def test_a_decompression_order_gets_no_card_but_its_levels_are_known_to_the_request():
    from adapter.procedure.orders import decompressed_levels

    laminectomy = order("lam", "63003", "T6", category=SURGICAL)  # CPT thoracic laminectomy
    assert kinds(laminectomy) == []  # not the case series' procedure, not "not recognised"
    records = read_orders(draft_orders(laminectomy, order("vp", "22510", "T12")))
    assert decompressed_levels(records, TERM) == {"T6"}
    # a decompression that also names screws is a spine order the check must speak about
    screws = order("x", "63003", "T6", text="Laminectomy and pedicle screws T5-T7")
    assert kinds(screws) == [("unrecognised", "Laminectomy and pedicle screws T5-T7")]


def test_the_service_refuses_to_start_with_an_unusable_local_map(tmp_path, monkeypatch):
    from adapter.cds.serve import preflight
    from adapter.cds.settings import load_settings
    from adapter.errors import exit_status

    monkeypatch.setenv("SPINEMETS_LOCAL_PROCEDURE_MAP", str(tmp_path / "missing.json"))
    terminology.default_terminology.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="SPINEMETS_LOCAL_PROCEDURE_MAP") as raised:
            preflight(load_settings(state_dir=tmp_path))
    finally:
        terminology.default_terminology.cache_clear()
    assert exit_status(raised.value)[0] == 2


def test_a_local_code_for_screws_with_cement_is_checked_by_both_rule_sets(tmp_path):
    # A site's one orderable for the case series' procedure, mapped to screws and cement: the
    # card names both, and the cement-leak rule holds at the cemented level (contract §5 v3).
    res = {
        "resourceType": "ConceptMap", "id": "local", "status": "active",
        "group": [{"source": LOCAL, "target": CPT, "element": [{
            "code": "PPSF-PVP", "target": [{"code": "22842", "equivalence": "wider"},
                                           {"code": "22510", "equivalence": "wider"}]}]}],
    }  # fmt: skip
    path = tmp_path / "local-procedures.json"
    path.write_text(json.dumps(res))
    term = load_terminology(local_map=path)
    combined = order("pc", "PPSF-PVP", "T11", "T12", "L1", system=LOCAL)
    assert kinds(combined, term=term) == [
        ("fixation", "Pedicle screw fixation with vertebroplasty")
    ]
    grade = finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-1c", level="T12")
    data = patient_records(default_patient(drop=("bilsky-t12",), extra=(grade,)), "p")
    assert data is not None
    result = score_patient(data, term, now=parse_time(NOW))
    found = procedure_orders(read_orders(draft_orders(combined)), None, "order-sign", term)
    (checked,) = check_orders(found, result, Rules())
    assert checked.indicator == "warning"
    assert headline(checked) == (
        "Pedicle screw fixation with vertebroplasty T11, T12, L1: epidural tumour at T12: "
        "cement-leak risk — spine team review"
    )


@pytest.mark.parametrize(
    ("the_order", "label"),
    [
        (order("z", "22510", "T12"), "Vertebroplasty T12"),
        (order("z", "22842", "T11", "T12", "L1"), "Pedicle screw fixation T11, T12, L1"),
        (order("z", "X-1", "T12", system=LOCAL, text="Posterior spinal fusion",
               category=SURGICAL), "Posterior spinal fusion T12"),
    ],
)  # fmt: skip
def test_a_do_not_perform_order_is_not_checked_as_the_procedure(the_order, label):
    # ServiceRequest.doNotPerform: an order for the procedure *not* to be done. Judging it
    # against the selection criteria would read as an endorsement ("meets …") of what the order
    # forbids; it is named, as info, and not judged.
    the_order = {**the_order, "doNotPerform": True}
    decisions = decisions_for(default_patient(), [the_order])
    (decision,) = decisions.orders
    line = f"{label}: order for it not to be done — selection criteria not checked"
    assert (decision.indicator, decision.summary) == ("info", line)
    assert decision.check.levels == () and decision.check.criteria == ()
    _, card_text, text, page = surfaces(decisions)
    assert line in card_text and line in text
    assert "meets the case series" not in card_text + text + page
    assert "not recognised" not in card_text
    # doNotPerform false is an ordinary order
    (plain,) = decisions_for(default_patient(), [{**the_order, "doNotPerform": False}]).orders
    assert "not to be done" not in plain.summary


@pytest.mark.parametrize("value", ["true", "false", 1, None, {"value": True}])
def test_a_do_not_perform_that_is_no_boolean_is_not_read_as_an_order_to_do_it(value):
    # "true" as a string may forbid the procedure: judged as an order to do it, it would read
    # "meets". Whether it orders or forbids cannot be told, so it is not checked (contract §2).
    records = read_orders(draft_orders({**order("z", "22510", "T12"), "doNotPerform": value}))
    (record,) = records
    kind = (
        "null"
        if value is None
        else {str: "a string", int: "a number", dict: "an object"}[type(value)]
    )
    assert record.problem == f"its doNotPerform is {kind}, not true or false"
    assert procedure_orders(records, None, "order-sign", TERM) == []
