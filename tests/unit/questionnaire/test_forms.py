"""The Questionnaires in questionnaires/ are what the finding vocabulary and the SINS points
build, offer exactly the answers the extraction reads, and are published with the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapter.fhir.client import conformance_files
from adapter.mapping.findings import COUNT_FINDINGS, FINDING_ANSWERS
from adapter.questionnaire.expressions import calculate
from adapter.questionnaire.forms import published_questionnaires

ROOT = Path(__file__).resolve().parents[3]
BUILT = published_questionnaires()
FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def _items(items):
    for item in items:
        yield item
        yield from _items(item.get("item", ()))


@pytest.mark.parametrize("name", sorted(BUILT))
def test_file_in_questionnaires_equals_the_vocabulary(name):
    on_disk = json.loads((ROOT / "questionnaires" / name).read_text())
    assert on_disk == BUILT[name], f"questionnaires/{name} drifted: run generate-questionnaires"


@pytest.mark.parametrize("name", sorted(BUILT))
def test_each_question_is_coded_and_offers_the_answers_the_extraction_reads(name):
    for item in _items(BUILT[name]["item"]):
        code = item.get("code", [{}])[0]
        if code.get("system") != FINDING or code["code"] == "vertebra":
            continue
        assert item["linkId"] == code["code"]
        if code["code"] in COUNT_FINDINGS:
            assert item["type"] == "integer" and "answerOption" not in item
            continue
        offered = [o["valueCoding"]["code"] for o in item["answerOption"]]
        assert sorted(offered) == sorted(FINDING_ANSWERS[code["code"]]), item["linkId"]
        assert all(o["valueCoding"]["system"] == FINDING for o in item["answerOption"])


def test_sins_answers_carry_the_published_points():
    group = BUILT["Questionnaire-sins.json"]["item"][0]
    weights = {
        (item["linkId"], o["valueCoding"]["code"]): o["extension"][0]["valueDecimal"]
        for item in group["item"]
        for o in item.get("answerOption", ())
        if o.get("extension", [{}])[0].get("url") == ORDINAL
    }
    # Fisher 2010, Table 1, typed again by hand.
    assert weights[("spinal-pain", "mechanical")] == 3
    assert weights[("spinal-pain", "non-mechanical")] == 1
    assert weights[("bone-lesion-quality", "lytic")] == 2
    assert weights[("spinal-alignment", "subluxation")] == 4
    assert weights[("vertebral-body-collapse", "none-gt-50-involved")] == 1
    assert weights[("posterolateral-involvement", "bilateral")] == 3
    assert weights[("vertebra", "T12")] == 3 and weights[("vertebra", "T6")] == 1
    assert weights[("vertebra", "L3")] == 2 and weights[("vertebra", "S3")] == 0
    assert ("vertebra", "coccyx") not in weights  # SINS does not score the coccyx


def _answer(link_id, code):
    return {"linkId": link_id, "answer": [{"valueCoding": {"code": code}}]}


@pytest.mark.parametrize(
    ("answers", "total"),
    [
        ([], "0–18 (6 missing)"),
        ([("vertebra", "T12"), ("spinal-pain", "mechanical")], "6–18 (4 missing)"),
        (
            [("vertebra", "T8"), ("spinal-pain", "non-mechanical"), ("bone-lesion-quality", "mixed"),
             ("spinal-alignment", "normal")],
            "3–9 (2 missing)",
        ),
        (
            [("vertebra", "T12"), ("spinal-pain", "mechanical"), ("bone-lesion-quality", "lytic"),
             ("spinal-alignment", "normal"), ("vertebral-body-collapse", "lt-50"),
             ("posterolateral-involvement", "none")],
            "10",
        ),
    ],
)  # fmt: skip
def test_running_total_shows_what_is_certain(answers, total):
    group = BUILT["Questionnaire-sins.json"]["item"][0]
    response = {"linkId": "level", "item": [_answer(*a) for a in answers]}
    calculate(group, response, {})
    by_link = {i["linkId"]: i for i in response["item"]}
    assert by_link["sins-total"]["answer"] == [{"valueString": total}]


def test_conformance_upload_includes_the_questionnaires():
    resources = conformance_files([ROOT / "mappings", ROOT / "questionnaires"])
    urls = [r["url"] for r in resources if r["resourceType"] == "Questionnaire"]
    assert urls == [f"http://spinemets.org/fhir/Questionnaire/{n}" for n in
                    ("neurology", "sins", "staging")]  # fmt: skip
    assert resources[-1]["resourceType"] == "Questionnaire"  # after the terminology


@pytest.mark.parametrize("name", sorted(BUILT))
def test_the_answers_of_one_question_read_differently(name):
    # AIS C and AIS D were both "motor incomplete": a clinician choosing by the words picks
    # either, and the worse/better grade decides "established deficit — new or worse?" (§4 v3).
    def items(item_list):
        for item in item_list:
            yield item
            yield from items(item.get("item", ()))

    for item in items(BUILT[name]["item"]):
        # What each answer says beside its letter ("AIS C: motor incomplete" → "motor incomplete")
        shown = [
            o["valueCoding"]["display"].split(": ", 1)[-1] for o in item.get("answerOption", ())
        ]
        assert len(shown) == len(set(shown)), (item["linkId"], shown)
