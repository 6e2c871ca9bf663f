"""A QuestionnaireResponse to one of spinemets' forms, read as the findings it records (contract
§2 v3): each answered question becomes an observation record with the finding code of its
``linkId``, the response as its source and the response's ``authored`` as its clinical time; an
answer in a ``level`` group takes the group's ``vertebra`` answer as its body site.

The answers are not judged here: an answer outside the finding CodeSystem or a level that does
not exist is reported by the extraction, by the rules every finding is read by.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import Coding, ObservationRecord, ResourceRef
from adapter.fhir.read.timing import parse_time
from adapter.vocabulary.forms import (
    LEVEL_GROUP,
    LEVEL_ITEM,
    FormSpec,
    asked_twice,
    form_of_canonical,
    is_prefilled,
)
from adapter.vocabulary.systems import FINDING, VERTEBRA

__all__ = ["RESPONSE_STATUS", "ResponseRecord", "parse_response"]

# A response's status → the status of the findings it records. An in-progress form is a
# preliminary report; a stopped or erroneous one records nothing.
RESPONSE_STATUS = {"completed": "final", "amended": "amended", "in-progress": "preliminary"}


class ResponseRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    findings: tuple[ObservationRecord, ...]
    # Why its answers are not read, when they are not (stopped, a status misspelt): said, since
    # the Observations extracted from it do not count either.
    unread: Issue | None = None


# Statuses of a response that records nothing without a word: withdrawn.
_SILENT = frozenset({"entered-in-error"})
_STATUSES = frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"})


def _answers(item: Mapping[str, Any]) -> tuple[tuple[Coding, ...], float | None]:
    """The answers of an item; an answer that repeats a finding of the record (prefilled, still
    marked) is not one: that finding counts with its own time, not the response's."""
    codes: list[Coding] = []
    number: float | None = None
    answers = item.get("answer")
    for answer in answers if isinstance(answers, list) else ():
        if not isinstance(answer, dict) or is_prefilled(answer):
            continue
        coding = answer.get("valueCoding")
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            system = coding.get("system")
            codes.append(Coding(system if isinstance(system, str) else None, coding["code"]))
        value = answer.get("valueInteger")
        if isinstance(value, int) and not isinstance(value, bool):
            number = float(value)
    return tuple(codes), number


def _count(item: Mapping[str, Any]) -> int:
    answers = item.get("answer")
    return len(answers) if isinstance(answers, list) else 0


def _wrong_type(item: Mapping[str, Any]) -> str | None:
    """Why an item's answer is of a type no question of the forms takes (a ``valueString``, a
    ``valueCoding`` without a code), else None. Read as unanswered, a Bilsky 3 sent as words
    would vanish without a word; the answer's own value is never repeated."""
    answers = item.get("answer")
    for answer in answers if isinstance(answers, list) else ():
        if not isinstance(answer, dict):
            return f"item {item['linkId']}: an answer that is not a JSON object"
        coding = answer.get("valueCoding")
        number = answer.get("valueInteger")
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            continue
        if isinstance(number, int) and not isinstance(number, bool):
            continue
        kind = next((k for k in answer if k.startswith("value")), None)
        said = f"of type {kind[:40]}" if kind else "without a value"
        if kind == "valueCoding":
            said = "coded without a code"
        return f"item {item['linkId']}: an answer {said} is not one of its answers"
    return None


def _twice(items: list[Mapping[str, Any]], asked: tuple[str, ...]) -> str | None:
    twice = asked_twice(items, asked)
    return f"item {twice}: asked twice" if twice is not None else None


def _unreadable(form: FormSpec, resource: Mapping[str, Any]) -> str | None:
    """What makes a response unreadable as findings, as $extract refuses it
    (adapter/questionnaire/extract.py): two answers to one question or one question asked twice
    (Frankel E and A: read as either, the deficit could be dropped), an answer of a type no
    question takes, a level group that names no level or two."""
    items = list(_items(resource.get("item")))
    if (why := _twice(items, form.whole)) is not None:
        return why
    for item in items:
        if item["linkId"] in form.whole:
            if _count(item) > 1:
                return f"item {item['linkId']}: exactly one answer expected"
            if (why := _wrong_type(item)) is not None:
                return why
        if item["linkId"] != LEVEL_GROUP:
            continue
        children = list(_items(item.get("item")))
        if (why := _twice(children, (LEVEL_ITEM, *form.per_level))) is not None:
            return why
        levels = [c for c in children if c["linkId"] == LEVEL_ITEM]
        answered = [c for c in children if c["linkId"] in form.per_level and _count(c)]
        for child in [*levels, *answered]:
            if _count(child) > 1:
                return f"item {child['linkId']}: exactly one answer expected"
            if (why := _wrong_type(child)) is not None:
                return why
        if answered and not any(_count(c) for c in levels):
            return f"item {LEVEL_ITEM}: a level group with answers names no level"
    return None


def _items(value: Any) -> Iterator[Mapping[str, Any]]:
    for item in value if isinstance(value, list) else ():
        if isinstance(item, dict) and isinstance(item.get("linkId"), str):
            yield item


def _questions(
    form: FormSpec, resource: Mapping[str, Any]
) -> Iterator[tuple[Mapping[str, Any], tuple[tuple[Coding, ...], ...]]]:
    """(answered question, body sites) for every finding the form asks."""
    for item in _items(resource.get("item")):
        if item["linkId"] in form.whole:
            yield item, ()
        elif item["linkId"] == LEVEL_GROUP:
            children = list(_items(item.get("item")))
            sites = tuple(
                (Coding(VERTEBRA, c.code),)
                for child in children
                if child["linkId"] == LEVEL_ITEM
                for c in _answers(child)[0][:1]
            )
            for child in children:
                if child["linkId"] in form.per_level:
                    yield child, sites


def parse_response(
    resource: Mapping[str, Any], ref: ResourceRef, patient: str
) -> ResponseRecord | Issue | None:
    """The findings of a response to one of spinemets' forms; None for any other response. A
    response that records nothing (stopped, entered in error) is still returned, without
    findings: the Observations extracted from it must not count either. One $extract refuses
    is an invalid resource here too (contract §2: reported, never a silent guess)."""
    form = form_of_canonical(resource.get("questionnaire"))
    status = RESPONSE_STATUS.get(str(resource.get("status")))
    if form is None:
        return None
    if status is None:
        written = resource.get("status")
        label = ref.reference or "QuestionnaireResponse without id"
        if written in _SILENT:
            return ResponseRecord(ref, patient, ())
        if written in _STATUSES:
            said = f"{label} is {written}: its answers are not read."
            return ResponseRecord(ref, patient, (), Issue("information", "informational", said))
        shown = str(written)[:20]
        said = (
            f"{label} is malformed (status {shown!r} is not a QuestionnaireResponse status); "
            "ignored."
        )
        return ResponseRecord(ref, patient, (), Issue("error", "structure", said, ref.reference))
    if (why := _unreadable(form, resource)) is not None:
        label = ref.reference or "QuestionnaireResponse without id"
        return Issue("error", "structure", f"{label} is malformed ({why}); ignored.", ref.reference)
    time = parse_time(resource.get("authored"))
    findings = []
    for item, sites in _questions(form, resource):
        codes, number = _answers(item)
        if not codes and number is None:
            continue  # an unanswered question records nothing
        findings.append(
            ObservationRecord(
                ref=ref,
                patient=patient,
                status=status,
                codes=(Coding(FINDING, item["linkId"]),),
                value_codes=codes,
                value_number=number,
                quantity=None,
                body_sites=sites,
                focus=(),
                part_of=(),
                time=time,
            )
        )
    return ResponseRecord(ref, patient, tuple(findings))
