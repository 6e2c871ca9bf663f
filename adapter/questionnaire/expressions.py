"""FHIRPath of the forms: the SINS running total as SDC variables and a calculatedExpression,
and their evaluation over a response with fhirpathpy (the same expressions an SDC renderer runs).

The total shows only what is certain: "12" when every component is known, else the least and
greatest totals the missing components allow and how many are missing, "9–14 (2 missing)".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import fhirpathpy
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

__all__ = [
    "CALCULATED",
    "VARIABLE",
    "calculate",
    "points_variable",
    "total_expression",
    "variable",
]

CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
VARIABLE = "http://hl7.org/fhir/StructureDefinition/variable"
_R4 = models["r4"]
_GROUP_BASE = "QuestionnaireResponse.item"


def variable(name: str, expression: str) -> dict[str, Any]:
    return {
        "url": VARIABLE,
        "valueExpression": {"name": name, "language": "text/fhirpath", "expression": expression},
    }


def _answer(link_id: str) -> str:
    return f"item.where(linkId='{link_id}').answer.value.code"


def points_variable(name: str, link_id: str, points: Mapping[str, int]) -> dict[str, Any]:
    """The points of the item's answer; empty while it is unanswered (or not an answer)."""
    by_points: dict[int, list[str]] = {}
    for code, value in points.items():
        by_points.setdefault(value, []).append(f"'{code}'")
    chain = "{}"
    for value, codes in reversed(list(by_points.items())):
        test = f"$this = {codes[0]}" if len(codes) == 1 else f"$this in ({' | '.join(codes)})"
        chain = f"iif({test}, {value}, {chain})"
    return variable(name, f"{_answer(link_id)}.select({chain})")


def total_expression(
    parts: Sequence[tuple[str, int]],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The variables (least, greatest total, missing parts) and the calculatedExpression of the
    running total over (points variable, greatest points) parts."""
    least = " + ".join(f"iif(%{n}.exists(), %{n}.first(), 0)" for n, _ in parts)
    most = " + ".join(f"iif(%{n}.exists(), %{n}.first(), {m})" for n, m in parts)
    absent = " + ".join(f"iif(%{n}.exists(), 0, 1)" for n, _ in parts)
    variables = [variable("sinsLow", least), variable("sinsHigh", most)]
    variables.append(variable("sinsMissing", absent))
    expression = (
        "iif(%sinsLow = %sinsHigh, %sinsLow.toString(), %sinsLow.toString() + '–' + "
        "%sinsHigh.toString() + ' (' + %sinsMissing.toString() + ' missing)')"
    )
    calculated = {
        "url": CALCULATED,
        "valueExpression": {"language": "text/fhirpath", "expression": expression},
    }
    return variables, calculated


def _expressions(item: Mapping[str, Any], url: str) -> list[dict[str, Any]]:
    return [
        ext["valueExpression"]
        for ext in item.get("extension") or ()
        if ext.get("url") == url and isinstance(ext.get("valueExpression"), dict)
    ]


@functools.lru_cache(maxsize=64)
def _compiled(expression: str) -> Callable[[Any, Mapping[str, Any] | None], list[Any]]:
    """Parsing an expression (ANTLR) costs tens of milliseconds, evaluating it a fraction of one:
    the forms' few expressions are parsed once, not at every evaluation."""
    return fhirpathpy.compile(expression, _R4)


def _evaluate(node: Any, expression: str, env: Mapping[str, Any]) -> list[Any]:
    # As fhirpathpy.evaluate with {"base": ..., "expression": ...}: the base types the answers.
    resource = ResourceNode.create_node(node, _GROUP_BASE)  # type: ignore[no-untyped-call]
    result = _compiled(expression)(resource, dict(env))
    return list(result) if isinstance(result, list) else [result]


def _answer_of(item_type: str, values: list[Any]) -> list[dict[str, Any]]:
    key = {"integer": "valueInteger", "decimal": "valueDecimal"}.get(item_type, "valueString")
    return [{key: v} for v in values[:1] if v is not None]


def calculate(
    group_item: Mapping[str, Any], answers: dict[str, Any], scope: Mapping[str, Any]
) -> None:
    """Fill the calculated items of one response group (``answers``) from its Questionnaire
    group item, with the variables of ``scope`` and of the group in order (SDC)."""
    env = dict(scope)
    for expr in _expressions(group_item, VARIABLE):
        env[expr["name"]] = _evaluate(answers, expr["expression"], env)
    by_link = {i.get("linkId"): i for i in answers.get("item") or ()}
    for child in group_item.get("item") or ():
        for expr in _expressions(child, CALCULATED):
            values = _evaluate(answers, expr["expression"], env)
            target = by_link.get(child["linkId"])
            if target is None:
                target = {"linkId": child["linkId"], "text": child.get("text")}
                answers.setdefault("item", []).append(target)
            target["answer"] = _answer_of(child.get("type", "string"), values)
            if not target["answer"]:
                del target["answer"]
