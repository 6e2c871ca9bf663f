"""``$populate``: a QuestionnaireResponse to one of the forms, prefilled from the patient's record
(contract §7): one level group per scored level (the metastasis Conditions), and each question
answered with the finding that counts for it by the rules of the scores, with that finding's
clinical time. A question whose findings conflict, or that nothing answers, is left open. The SINS
form's location points and running total are computed by the form's own FHIRPath.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson

from adapter.datadirs import data_dir
from adapter.errors import InputError
from adapter.fhir.read.source import PatientData
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.recorded import Answer, Recorded, recorded_findings
from adapter.mapping.rules import Rules
from adapter.mapping.terminology import Terminology
from adapter.questionnaire.expressions import calculate
from adapter.scoring import location_of
from adapter.vocabulary.forms import (
    FORMS,
    LEVEL_GROUP,
    LEVEL_ITEM,
    NO_TIME,
    RECORDED_AT,
    FormSpec,
    questionnaire_url,
)

__all__ = [
    "RECORDED_AT",
    "QuestionnaireError",
    "Reports",
    "form_named",
    "open_reports",
    "populate",
    "populate_with_reports",
    "questionnaire",
]


class QuestionnaireError(InputError):
    """A form name or a response that cannot be used; the message names the item."""


def form_named(name: str) -> FormSpec:
    form = FORMS.get(name)
    if form is None:
        known = ", ".join(FORMS)
        raise QuestionnaireError(f"no Questionnaire {name!r}: spinemets has {known}")
    return form


@functools.cache
def questionnaire(name: str) -> dict[str, Any]:
    """The published Questionnaire of a form (questionnaires/)."""
    form = form_named(name)
    path = data_dir("questionnaires") / f"Questionnaire-{form.name}.json"
    resource: dict[str, Any] = orjson.loads(path.read_bytes())
    return resource


def _options(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["valueCoding"]["code"]: o["valueCoding"] for o in item.get("answerOption", ())}


def _answered(item: dict[str, Any], answer: Answer) -> dict[str, Any]:
    if isinstance(answer.value, int):
        value: dict[str, Any] = {"valueInteger": answer.value}
    else:
        value = {"valueCoding": dict(_options(item)[answer.value])}
    when = {"valueDateTime": answer.time.text} if answer.time else {"valueCode": NO_TIME}
    value["extension"] = [{"url": RECORDED_AT, **when}]
    return {"linkId": item["linkId"], "text": item["text"], "answer": [value]}


def _level_group(group: dict[str, Any], level: str, recorded: Recorded) -> dict[str, Any]:
    first, *questions = group["item"]
    coding = _options(first)[level]
    items = [{"linkId": LEVEL_ITEM, "text": first["text"], "answer": [{"valueCoding": coding}]}]
    for question in questions:
        answer = recorded.at_level.get((level, question["linkId"]))
        if answer is not None:
            items.append(_answered(question, answer))
    answers = {"linkId": LEVEL_GROUP, "text": group["text"], "item": items}
    calculate(group, answers, {})
    order = [q["linkId"] for q in group["item"]]
    answers["item"].sort(key=lambda i: order.index(i["linkId"]))
    return answers


def _subject(data: PatientData) -> dict[str, str]:
    ref = data.record.ref.reference if data.record is not None else None
    return {"reference": ref or f"Patient/{data.patient}"}


# The preliminary reports an answer would replace, by (level or None, question), each named by
# its answer and its day ("Bilsky 3: cord compression, no CSF visible, 31 May 2024").
Reports = dict[tuple[str | None, str], str]


def populate(
    name: str, data: PatientData, term: Terminology, now: ClinicalTime, *, rules: Rules
) -> dict[str, Any]:
    """The form ``name`` for the patient of ``data``, prefilled as of ``now`` (in progress),
    the record read by the deployment's ``rules`` as its scores are (no default: a surface that
    forgot them would read by other rules than its cards)."""
    return populate_with_reports(name, data, term, now, rules=rules)[0]


def open_reports(
    name: str, data: PatientData, term: Terminology, now: ClinicalTime, *, rules: Rules
) -> Reports:
    """The preliminary reports an answer to the form's questions would replace, by (level or
    None, question), each named by its answer and its day (never the question's title, which
    the form shows already): :func:`populate` leaves such a question open, and a form shows them
    beside it (an SDC response has no place for them)."""
    return populate_with_reports(name, data, term, now, rules=rules)[1]


def populate_with_reports(
    name: str, data: PatientData, term: Terminology, now: ClinicalTime, *, rules: Rules
) -> tuple[dict[str, Any], Reports]:
    """:func:`populate` and :func:`open_reports` from one reading of the record."""
    form = form_named(name)
    q = questionnaire(name)
    recorded = recorded_findings(data, term, now, form.findings, rules=rules)
    items: list[dict[str, Any]] = []
    for item in q["item"]:
        if item["linkId"] != LEVEL_GROUP:
            answer = recorded.whole.get(item["linkId"])
            if answer is not None:
                items.append(_answered(item, answer))
            continue
        for level in recorded.levels:
            if form.sins_levels_only and location_of(level) is None:
                continue  # SINS does not score it (the coccyx)
            if level in _options(item["item"][0]):
                items.append(_level_group(item, level, recorded))
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire_url(form.name)}|{q['version']}",
        "status": "in-progress",
        "subject": _subject(data),
        "authored": now.text,
    }
    if items:
        response["item"] = items
    return response, recorded.reports
