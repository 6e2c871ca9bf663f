"""``$extract``: a completed response → a transaction Bundle of finding Observations (contract
§7): codes of §1, ``bodySite`` the level of the group, ``derivedFrom`` the response,
``performer`` its author, ``effective`` its ``authored`` time. An answer ``$populate`` prefilled
and the clinician left unchanged (it still carries the answer-recorded mark) is not extracted: the
finding it repeats is already in the record, with its own time and source, and writing it again
at ``authored`` would date an old finding as a new assessment (contract §2, §6).

A response that cannot be read as the form it names is refused as a whole, with one line naming
the item: a response to another Questionnaire, an item the form does not ask, an answer outside
the finding CodeSystem, a level that does not exist or appears twice. Each Observation is
written by a conditional update on an identifier made from the response and the item, so
extracting the same response again creates nothing new. A response without an id travels in the
transaction itself, so the Observations can point at it. An amended response, or one entered in
error, also marks entered-in-error what it no longer says (``retract.py``).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import orjson

from adapter.fhir.read.responses import RESPONSE_STATUS
from adapter.fhir.read.timing import is_date_time
from adapter.mapping.findings import COUNT_FINDINGS, FINDING_ANSWERS
from adapter.mapping.terminology import Terminology
from adapter.questionnaire.populate import QuestionnaireError, questionnaire
from adapter.questionnaire.retract import WITHDRAWN, withdrawn
from adapter.scoring import location_of
from adapter.vocabulary.forms import (
    LEVEL_GROUP,
    LEVEL_ITEM,
    FormSpec,
    asked_twice,
    form_of_canonical,
    is_prefilled,
)
from adapter.vocabulary.systems import BASE, FINDING, OBSERVATION_CATEGORY, VERTEBRA

__all__ = ["ITEM_SID", "extract"]

ITEM_SID = f"{BASE}/sid/response-item"  # an Observation extracted from one answered item
# A response extracted without an id (every SMART-app save): its content hash, given to it so
# that it is created once (ifNoneExist) and its amendments, once it has an id, still name the
# Observations its first extraction wrote.
RESPONSE_SID = f"{BASE}/sid/response"
_PERFORMERS = ("Practitioner", "PractitionerRole", "Organization", "CareTeam", "Patient",
               "RelatedPerson")  # fmt: skip
_CALCULATED = ("sins-location", "sins-total")  # the form's own arithmetic: never extracted
_ID = r"[A-Za-z0-9\-.]{1,64}"  # FHIR R4's id
_RELATIVE = rf"[A-Z][A-Za-z]+/{_ID}"
_ABSOLUTE = rf"https?://[^\s/?#]+(?:/[^\s/?#]+)*/{_RELATIVE}"  # an author on another server
_AUTHOR = rf"{_RELATIVE}|{_ABSOLUTE}|#\S*|urn:(?:uuid|oid):\S+"  # contained or in a transaction


_LONGEST = 300  # a refusal is one line of a CLI error or an OperationOutcome's diagnostics


def _fail(message: str) -> QuestionnaireError:
    # What a response holds is quoted back to its sender: control characters escaped (one line,
    # nothing a terminal acts on), and a value of any length cut short.
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return QuestionnaireError(shown if len(shown) <= _LONGEST else f"{shown[: _LONGEST - 1]}…")


def _quoted(value: object) -> str:
    """A value of the response as a refusal quotes it: its repr, cut at 60 characters."""
    shown = repr(value)
    return shown if len(shown) <= 60 else f"{shown[:59]}…"


def _items(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(i, dict) and isinstance(i.get("linkId"), str) for i in value
    ):
        raise _fail(f"{where}: every item needs a linkId")
    return value


def _one_answer(item: dict[str, Any]) -> dict[str, Any] | None:
    answers = item.get("answer")
    if answers is None or answers == []:
        return None
    if not isinstance(answers, list) or len(answers) != 1 or not isinstance(answers[0], dict):
        raise _fail(f"item {item['linkId']}: exactly one answer expected")
    answer: dict[str, Any] = answers[0]
    return answer


def _value(item: dict[str, Any]) -> dict[str, Any] | None:
    """The Observation value of an answered question (checked), None when unanswered or when
    the answer repeats, unchanged, a finding the record holds (prefilled, still marked)."""
    answer = _one_answer(item)
    if answer is None:
        return None
    value = _checked(item["linkId"], answer)
    return None if is_prefilled(answer) else value


def _checked(finding: str, answer: dict[str, Any]) -> dict[str, Any]:
    if finding in COUNT_FINDINGS:
        number = answer.get("valueInteger")
        least = COUNT_FINDINGS[finding]
        if not isinstance(number, int) or isinstance(number, bool) or number < least:
            raise _fail(f"item {finding}: answer must be a whole number ≥ {least}")
        return {"valueInteger": number}
    coding = answer.get("valueCoding")
    allowed = FINDING_ANSWERS[finding]
    code = coding.get("code") if isinstance(coding, dict) else None
    system = coding.get("system", FINDING) if isinstance(coding, dict) else None
    if system != FINDING or not isinstance(code, str) or code not in allowed:
        given = _quoted(f"{system}|{code}" if system not in (FINDING, None) else code)
        raise _fail(f"item {finding}: answer {given} is not one of {', '.join(allowed)}")
    return {"valueCodeableConcept": {"coding": [{"system": FINDING, "code": code}]}}


def _level(group: list[dict[str, Any]], form: FormSpec, term: Terminology) -> str | None:
    firsts = [i for i in group if i["linkId"] == LEVEL_ITEM]
    answer = _one_answer(firsts[0]) if firsts else None
    if answer is None:
        return None
    coding = answer.get("valueCoding")
    code = coding.get("code") if isinstance(coding, dict) else None
    system = coding.get("system", VERTEBRA) if isinstance(coding, dict) else None
    if system != VERTEBRA or not isinstance(code, str) or not term.has_code(VERTEBRA, code):
        raise _fail(f"item {LEVEL_ITEM}: {code!r} is not a spinal level of {VERTEBRA}")
    if form.sins_levels_only and location_of(code) is None:
        raise _fail(f"item {LEVEL_ITEM}: SINS does not score {code}")
    return code


def _asked_once(items: list[dict[str, Any]], asked: tuple[str, ...]) -> None:
    """Refuse a question asked twice in one place: both answers would be written to one
    Observation (one fullUrl, one conditional URL: bdl-7), and the last would win."""
    twice = asked_twice(items, asked)
    if twice is not None:
        raise _fail(f"item {twice}: asked twice")


def _answers(
    response: dict[str, Any], form: FormSpec, term: Terminology
) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
    """(finding, level, Observation value) of every answered question, checked."""
    seen: set[str | None] = set()
    items = _items(response.get("item"), "QuestionnaireResponse")
    _asked_once(items, form.whole)
    for item in items:
        link = item["linkId"]
        if link in form.whole:
            value = _value(item)
            if value is not None:
                yield link, None, value
        elif link == LEVEL_GROUP and form.per_level:
            children = _items(item.get("item"), f"item {LEVEL_GROUP}")
            _asked_once(children, (LEVEL_ITEM, *form.per_level))
            level = _level(children, form, term)
            if level is None and any(
                _one_answer(c) for c in children if c["linkId"] in form.per_level
            ):
                raise _fail(f"item {LEVEL_ITEM}: a level group with answers names no level")
            if level is not None and level in seen:
                raise _fail(f"item {LEVEL_ITEM}: level {level} is answered twice")
            seen.add(level)
            for child in children:
                if child["linkId"] in form.per_level:
                    value = _value(child)
                    if value is not None:
                        yield child["linkId"], level, value
                elif child["linkId"] not in (LEVEL_ITEM, *_CALCULATED):
                    raise _fail(f"item {child['linkId']}: not a question of {form.name}")
        else:
            raise _fail(f"item {link}: not a question of Questionnaire/{form.name}")


def _check(response: Any) -> FormSpec:
    if not isinstance(response, dict) or response.get("resourceType") != "QuestionnaireResponse":
        raise _fail("the input is not a QuestionnaireResponse")
    form = form_of_canonical(response.get("questionnaire"))
    if form is None:
        # The value is not repeated: it may be anything, of any length (errors name fields).
        raise _fail("questionnaire: not the canonical URL of a spinemets Questionnaire")
    status = response.get("status")
    if status == WITHDRAWN and not isinstance(response.get("id"), str):
        raise _fail("id: a response entered in error needs its id to withdraw what it recorded")
    if status != WITHDRAWN and (not isinstance(status, str) or status not in RESPONSE_STATUS):
        raise _fail(f"status: {status!r} records no findings")
    _copied(response)
    return form


def _performer(author: Any) -> str | None:
    """The author's reference when it names who may perform an Observation (a Device may
    author, never perform); None otherwise."""
    reference = author.get("reference") if isinstance(author, dict) else None
    parts = reference.split("/") if isinstance(reference, str) else []
    return reference if len(parts) >= 2 and parts[-2] in _PERFORMERS else None


def _copied(response: dict[str, Any]) -> None:
    """What the Observations copy from the response must be valid FHIR in them: the subject (a
    Patient), the authored time, the author, the response's own id."""
    subject = response.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(reference, str) or not reference.startswith("Patient/"):
        raise _fail("subject: the response names no Patient (Patient/id)")
    if not re.fullmatch(_RELATIVE, reference):
        raise _fail(f"subject: {reference!r} is not a reference Patient/id (a FHIR id)")
    authored = response.get("authored")
    if authored is not None and not is_date_time(authored):
        raise _fail(f"authored: {authored!r} is not a FHIR dateTime")
    author = response.get("author")
    ref = author.get("reference") if isinstance(author, dict) else None
    if ref is not None and not re.fullmatch(_AUTHOR, str(ref)):
        raise _fail(f"author: {ref!r} is not a reference Type/id (a FHIR id)")
    rid = response.get("id")
    if rid is not None and not (isinstance(rid, str) and re.fullmatch(_ID, rid)):
        raise _fail(f"id: {rid!r} is not a FHIR id")


def _coded(term: Terminology, system: str, code: str) -> dict[str, Any]:
    display = term.display(system, code)
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _observation(
    finding: str, level: str | None, value: dict[str, Any], response: dict[str, Any],
    source: str, term: Terminology,
) -> dict[str, Any]:  # fmt: skip
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": RESPONSE_STATUS[response["status"]],
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}],
        "code": {"coding": [_coded(term, FINDING, finding)]},
        "subject": {"reference": response["subject"]["reference"]},
    }
    if isinstance(response.get("authored"), str):
        obs["effectiveDateTime"] = response["authored"]
    performer = _performer(response.get("author"))  # checked by _copied
    if performer is not None:
        obs["performer"] = [{"reference": performer}]
    if level is not None:
        obs["bodySite"] = {"coding": [_coded(term, VERTEBRA, level)], "text": level}
    if "valueCodeableConcept" in value:
        code = value["valueCodeableConcept"]["coding"][0]["code"]
        value = {"valueCodeableConcept": {"coding": [_coded(term, FINDING, code)]}}
    obs.update(value)
    obs["derivedFrom"] = [{"reference": source}]
    return obs


def _retraction(
    finding: str, level: str | None, response: dict[str, Any], source: str, term: Terminology
) -> dict[str, Any]:
    """The Observation an earlier extraction wrote for a question the response no longer
    answers, marked entered in error (no value: it no longer says anything)."""
    obs = _observation(finding, level, {}, {**response, "status": "completed"}, source, term)
    obs["status"] = WITHDRAWN
    return obs


def _entry(resource: dict[str, Any], key: str, method: str, url: str) -> dict[str, Any]:
    full_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"
    return {"fullUrl": full_url, "resource": resource, "request": {"method": method, "url": url}}


def _content_key(response: dict[str, Any]) -> str:
    """The response's content hash (its entry's key when it has no id)."""
    try:
        return hashlib.sha256(orjson.dumps(response, option=orjson.OPT_SORT_KEYS)).hexdigest()
    except TypeError:  # JSON allows integers orjson cannot hold (beyond 64 bits)
        raise QuestionnaireError("the response holds a number out of range") from None


def _senders_identifier(response: dict[str, Any]) -> dict[str, Any] | None:
    """The identifier the sender gave a response, kept as it is (its own link to the form it
    filled); None when it gave none usable."""
    identifier = response.get("identifier")
    if isinstance(identifier, dict):
        value, system = identifier.get("value"), identifier.get("system", "-")
        # R4: a value alone, no system, is an identifier; one that is not valid FHIR is not kept
        if isinstance(value, str) and value and isinstance(system, str) and system:
            return dict(identifier)
    return None


def _own_key(response: dict[str, Any]) -> str | None:
    """The key an earlier extraction gave the response (its RESPONSE_SID identifier), if any."""
    identifiers = response.get("identifier")
    found = identifiers if isinstance(identifiers, list) else [identifiers]
    for identifier in found:
        if isinstance(identifier, dict) and identifier.get("system") == RESPONSE_SID:
            value = identifier.get("value")
            if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value):
                return value
    return None


def extract(response: Any, term: Terminology) -> dict[str, Any]:
    """A transaction Bundle of the finding Observations a completed response records."""
    form = _check(response)
    questionnaire(form.name)  # the published form must exist
    answers = list(_answers(response, form, term))
    if response["status"] == WITHDRAWN:
        answers = []  # checked, but a response entered in error says nothing
    entries: list[dict[str, Any]] = []
    rid = response.get("id")
    own = _own_key(response)
    # Keys made from an identifier name the patient too: one copied onto another patient's
    # response never names the first patient's Observations.
    subject = response["subject"]["reference"]
    if isinstance(rid, str) and rid:
        source = f"QuestionnaireResponse/{rid}"
        key = f"{own}/{subject}" if own else source
    else:
        # Hashed without spinemets' own identifier: the response taken back from an earlier
        # extraction's Bundle hashes as it did then (a retry creates nothing), and one changed
        # since is a new response with a new identifier, never the earlier one.
        bare = {k: v for k, v in response.items() if k != "identifier"} if own else response
        content = _content_key(bare)
        key = f"{content}/{subject}"
        theirs = _senders_identifier(response) if own is None else None
        if theirs is None:  # R4 QuestionnaireResponse.identifier is 0..1
            response = {**response, "identifier": {"system": RESPONSE_SID, "value": content}}
        entry = _entry(response, key, "POST", "QuestionnaireResponse")
        if theirs is None:
            token = quote(f"{RESPONSE_SID}|{content}", safe="")
            entry["request"]["ifNoneExist"] = f"identifier={token}"
        # A sender's own identifier is kept and never a condition of the create: it may name
        # every version of one form (a draft, then the completed form), and the server would
        # keep the draft. Such a response is created as sent; a retry may store it twice.
        entries.append(entry)
        source = entry["fullUrl"]
    writes = [(f, lv, _observation(f, lv, v, response, source, term)) for f, lv, v in answers]
    if isinstance(rid, str) and rid:  # without its id, what it wrote before cannot be named
        writes += [(f, lv, _retraction(f, lv, response, source, term))
                   for lv, f in withdrawn(response, form)]  # fmt: skip
    for finding, level, obs in writes:
        ident = f"{key}#{level or 'patient'}/{finding}"
        obs["identifier"] = [{"system": ITEM_SID, "value": ident}]
        url = f"Observation?identifier={quote(f'{ITEM_SID}|{ident}', safe='')}"
        entries.append(_entry(obs, f"{ITEM_SID}|{ident}", "PUT", url))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
