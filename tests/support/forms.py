"""Filling spinemets' forms the way any SDC client would: by item code, from the Questionnaire
alone, and scoring what comes back."""

from __future__ import annotations

import copy
from typing import Any

from adapter.fhir.read.timing import parse_time
from adapter.mapping.recorded import recorded_findings
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.questionnaire.populate import questionnaire

FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
Answers = dict[tuple[str | None, str], str | int]  # (level or None, finding code) → answer


def _by_code(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["code"][0]["code"]: i for i in items if i.get("code")}


def _answer(question: dict[str, Any], value: str | int) -> list[dict[str, Any]]:
    if question["type"] == "integer":
        return [{"valueInteger": value}]
    options = [o["valueCoding"] for o in question["answerOption"]]
    return [{"valueCoding": next(c for c in options if c["code"] == value)}]


def fill(response: dict[str, Any], answers: Answers, *, authored: str, rid: str = "qr1",
         author: str = "Practitioner/dr") -> dict[str, Any]:  # fmt: skip
    """The response completed with ``answers`` (replacing what was prefilled), by item code."""
    name = response["questionnaire"].split("|")[0].rsplit("/", 1)[1]
    q = questionnaire(name)
    out = copy.deepcopy(response)
    out |= {"id": rid, "status": "completed", "authored": authored,
            "author": {"reference": author}}  # fmt: skip
    items = out.setdefault("item", [])
    top = _by_code(q["item"])
    group = next((i for i in q["item"] if i["type"] == "group"), None)
    for (level, code), value in answers.items():
        if level is None:
            items[:] = [i for i in items if i["linkId"] != top[code]["linkId"]]
            items.append({"linkId": top[code]["linkId"], "answer": _answer(top[code], value)})
            continue
        assert group is not None
        inner = _by_code(group["item"])
        target = next(
            (g for g in items if g["linkId"] == group["linkId"]
             and g["item"][0]["answer"][0]["valueCoding"]["code"] == level),
            None,
        )  # fmt: skip
        if target is None:
            level_q = inner["vertebra"]
            target = {"linkId": group["linkId"],
                      "item": [{"linkId": level_q["linkId"], "answer": _answer(level_q, level)}]}  # fmt: skip
            items.append(target)
        question = inner[code]
        target["item"] = [i for i in target["item"] if i["linkId"] != question["linkId"]]
        target["item"].append({"linkId": question["linkId"], "answer": _answer(question, value)})
    _in_order(items, q["item"])
    return out


def _in_order(items: list[dict[str, Any]], questions: list[dict[str, Any]]) -> None:
    """Items in the Questionnaire's order (SDC: a response keeps its form's order)."""
    order = {question["linkId"]: n for n, question in enumerate(questions)}
    items.sort(key=lambda i: order[i["linkId"]])  # stable: repeated groups keep their order
    for item in items:
        inner = next(qn for qn in questions if qn["linkId"] == item["linkId"]).get("item")
        if inner and "item" in item:
            _in_order(item["item"], inner)


def sins_by_level(resources: list[dict[str, Any]], now: str, patient: str = "p") -> dict[str, Any]:
    """Each scored level's SINS total: an int when certain, else (low, high)."""
    data = patient_records(resources, patient)
    assert data is not None
    result = score_patient(data, default_terminology(), now=parse_time(now))
    out: dict[str, Any] = {}
    for lv in result.levels:
        span = lv.result.total
        out[lv.level] = span.low if span.low == span.high else (span.low, span.high)
    return out


def populate_rules(monkeypatch: Any) -> list[Any]:
    """The rules each later ``$populate`` reads the record by, as they are used."""
    used: list[Any] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        used.append(kwargs.get("rules"))
        return recorded_findings(*args, **kwargs)

    monkeypatch.setattr("adapter.questionnaire.populate.recorded_findings", spy)
    return used
