"""The three SDC Questionnaires, built from the finding and vertebra CodeSystems in mappings/, the
forms' vocabulary and the SINS points of the scoring, so a form cannot offer an answer the
extraction does not read or weigh an answer differently from the score.

``scripts/generate-questionnaires`` writes them into questionnaires/; a unit test fails when the
files there differ from what this module builds.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from adapter import __version__
from adapter.fhir.write.package import conformance_narrative
from adapter.mapping.findings import SINS_FINDINGS
from adapter.mapping.terminology import default_mappings_dir
from adapter.questionnaire.expressions import CALCULATED, points_variable, total_expression
from adapter.scoring import answer_points, location_of
from adapter.vocabulary import SINS, SINS_LOCATION
from adapter.vocabulary.forms import FORMS, LEVEL_GROUP, LEVEL_ITEM, FormSpec, questionnaire_url
from adapter.vocabulary.systems import FINDING, SCORE, VERTEBRA

__all__ = ["MIN_VALUE", "OBSERVATION_EXTRACT", "build_questionnaire", "published_questionnaires"]

_VERSION = __version__  # the conformance resources are versioned with the package
OBSERVATION_EXTRACT = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationExtract"
)
_ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
_TOTAL = "sins-total"
_VERSION_ALGORITHM = (
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Questionnaire.versionAlgorithm[x]"
)
_SEMVER = {"system": "http://hl7.org/fhir/version-algorithm", "code": "semver"}


@functools.cache
def _code_system(directory: Path, name: str) -> dict[str, Any]:
    resource: dict[str, Any] = orjson.loads((directory / f"CodeSystem-{name}.json").read_bytes())
    return resource


class _Codes:
    """The finding CodeSystem's concepts by code, with each finding's answers in order."""

    def __init__(self, directory: Path) -> None:
        self.concepts = {c["code"]: c for c in _code_system(directory, "finding")["concept"]}
        self.levels = [c for c in _code_system(directory, "vertebra")["concept"]]

    def coding(self, code: str, system: str = FINDING) -> dict[str, Any]:
        return {"system": system, "code": code, "display": self.concepts[code]["display"]}

    def prop(self, code: str, name: str) -> list[Any]:
        return [
            p.get("valueCode", p.get("valueInteger"))
            for p in self.concepts[code].get("property", ())
            if p["code"] == name
        ]


def _sins_points(finding: str) -> dict[str, int] | None:
    enum = SINS_FINDINGS.get(finding)
    if enum is None:
        return None
    return {member.value: answer_points(member) for member in enum}  # type: ignore[arg-type]


def _ordinal(points: int) -> list[dict[str, Any]]:
    return [{"url": _ORDINAL, "valueDecimal": points}]


def _question(codes: _Codes, finding: str) -> dict[str, Any]:
    concept = codes.concepts[finding]
    item: dict[str, Any] = {
        "extension": [{"url": OBSERVATION_EXTRACT, "valueBoolean": True}],
        "linkId": finding,
        "code": [codes.coding(finding)],
        "text": concept["display"],
    }
    if codes.prop(finding, "value-type") == ["integer"]:
        (minimum,) = codes.prop(finding, "minimum")
        item["extension"].append({"url": MIN_VALUE, "valueInteger": minimum})
        return item | {"type": "integer"}
    points = _sins_points(finding)
    options = []
    for answer in codes.prop(finding, "answer"):
        option: dict[str, Any] = {"valueCoding": codes.coding(answer)}
        if points is not None:
            option = {"extension": _ordinal(points[answer])} | option
        options.append(option)
    return item | {"type": "choice", "answerOption": options}


def _level_question(codes: _Codes, sins: bool) -> dict[str, Any]:
    options: list[dict[str, Any]] = []
    for concept in codes.levels:
        coding = {"system": VERTEBRA, "code": concept["code"], "display": concept["display"]}
        location = location_of(concept["code"])
        if not sins:
            options.append({"valueCoding": coding})
        elif location is not None:  # SINS scores no level without a location (the coccyx)
            options.append({"extension": _ordinal(location.value), "valueCoding": coding})
    return {
        "linkId": LEVEL_ITEM,
        "code": [codes.coding(LEVEL_ITEM)],
        "text": codes.concepts[LEVEL_ITEM]["display"],
        "type": "choice",
        "required": True,
        "answerOption": options,
    }


def _camel(code: str) -> str:
    head, *rest = code.split("-")
    return head + "".join(part.capitalize() for part in rest)


def _calculated(link_id: str, text: str, kind: str, code: dict[str, Any], expr: str) -> Any:
    return {
        "extension": [
            {
                "url": CALCULATED,
                "valueExpression": {"language": "text/fhirpath", "expression": expr},
            }
        ],
        "linkId": link_id,
        "code": [code],
        "text": text,
        "type": kind,
        "readOnly": True,
    }


def _sins_group(codes: _Codes, group: dict[str, Any]) -> dict[str, Any]:
    """The running total: one variable of points per item, then the total's expression."""
    location_points = {c["code"]: location_of(c["code"]) for c in codes.levels}
    located = {code: loc.value for code, loc in location_points.items() if loc is not None}
    variables = [points_variable("location", LEVEL_ITEM, located)]
    parts = [("location", max(located.values()))]
    for finding in SINS_FINDINGS:
        points = _sins_points(finding) or {}
        variables.append(points_variable(_camel(finding), finding, points))
        parts.append((_camel(finding), max(points.values())))
    location_code = {"system": SCORE, "code": SINS_LOCATION.code, "display": SINS_LOCATION.display}
    location = _calculated(
        SINS_LOCATION.code, "SINS location points", "integer", location_code, "%location"
    )
    total = _calculated(
        _TOTAL,
        "SINS at this level (what is certain)",
        "string",
        {"system": SCORE, "code": SINS.code, "display": SINS.display},
        "",
    )
    totals, calculated = total_expression(parts)
    total["extension"] = [calculated]
    variables += totals
    first, *findings = group["item"]
    return {"extension": variables} | group | {"item": [first, location, *findings, total]}


def build_questionnaire(form: FormSpec, directory: Path | None = None) -> dict[str, Any]:
    codes = _Codes(directory or default_mappings_dir())
    items = [_question(codes, finding) for finding in form.whole]
    if form.per_level:
        group: dict[str, Any] = {
            "linkId": LEVEL_GROUP,
            "text": "Spinal level",
            "type": "group",
            "repeats": True,
            "item": [
                _level_question(codes, form.sins_levels_only),
                *(_question(codes, finding) for finding in form.per_level),
            ],
        }
        items.append(_sins_group(codes, group) if form.name == SINS.code else group)
    return {
        "resourceType": "Questionnaire",
        "id": form.name,
        # SDC (sdc-2): a version says how versions compare; R4 has no versionAlgorithm element.
        "extension": [{"url": _VERSION_ALGORITHM, "valueCoding": _SEMVER}],
        "url": questionnaire_url(form.name),
        "version": _VERSION,
        "name": "".join(part.capitalize() for part in form.name.split("-")),
        "title": form.title,
        "status": "active",
        "experimental": False,
        "subjectType": ["Patient"],
        "publisher": "spinemets",
        "description": form.description,
        "item": items,
    }


def published_questionnaires(directory: Path | None = None) -> Mapping[str, dict[str, Any]]:
    """File name in questionnaires/ → Questionnaire, for every form."""
    # Each with its generated narrative (title, description, items), as the package has it.
    return {
        f"Questionnaire-{name}.json": conformance_narrative(build_questionnaire(form, directory))
        for name, form in FORMS.items()
    }
