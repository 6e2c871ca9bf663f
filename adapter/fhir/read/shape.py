"""Is a resource well-formed JSON for FHIR? The checks every input resource passes before parsing.

A resource is malformed when it nests deeper than a limit, holds a number that is not finite or
beyond what FHIR can carry (a 64-bit integer, a decimal of the binary64 range), or gives an
element a JSON type FHIR never allows for it: ``coding`` that is not a list of objects, a
``reference`` or ``system`` that is not a string, a choice element whose type suffix says one
type and whose value is another (``valueInteger: "80"``, ``effectiveDateTime: 5``), a
``resourceType`` that is not a string, a time (``effectiveDateTime``, ``issued``, a Period's
``start`` …) that is not a FHIR date, dateTime or instant on the calendar (``"31/12/2024"``,
``"2099-02-30"``: read as "no time" it would be described wrongly and escape the rule on times
after the computation time). A time with no zone is still read, as UTC (the README's "Input").
A malformed resource is an invalid resource (contract §2,
§8): reported and ignored, the rest of the input scored.

The limits are settings (``SPINEMETS_MAX_JSON_DEPTH``, ``SPINEMETS_MAX_LINE_BYTES``, fields of
:class:`adapter.settings.clinical.InputFields`), shared by every surface like the rules.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapter.fhir.read.timing import parse_time
from adapter.settings import from_mapping
from adapter.settings.clinical import InputFields

__all__ = ["InputLimits", "input_limits", "limits_from", "malformed"]

_INT_LIMIT = 2**63  # FHIR integer64; integer is 32-bit, checked where it is read


_DEFAULT = InputFields()


@dataclass(frozen=True, slots=True)
class InputLimits:
    max_depth: int = _DEFAULT.max_json_depth  # FHIR resources nest ~10 levels
    max_line_bytes: int = _DEFAULT.max_line_bytes  # an NDJSON line, or a one-line document


def limits_from(environ: Mapping[str, str]) -> InputLimits:
    """The limits from ``SPINEMETS_MAX_JSON_DEPTH`` and ``SPINEMETS_MAX_LINE_BYTES``; an
    unusable value is a ConfigurationError naming the variable."""
    settings = from_mapping(InputFields, environ)
    return InputLimits(settings.max_json_depth, settings.max_line_bytes)


@functools.cache
def input_limits() -> InputLimits:
    """The limits of this process, read from its environment once."""
    return limits_from(os.environ)


# The JSON type of a choice element (``value[x]``, ``effective[x]`` …) by its type suffix, FHIR R4.
_SUFFIX: dict[str, str] = {
    **dict.fromkeys(("DateTime", "Instant", "Date"), "time"),
    **dict.fromkeys(("Time", "String", "Code", "Uri", "Url", "Canonical"), "string"),
    **dict.fromkeys(("Integer", "PositiveInt", "UnsignedInt"), "integer"),
    "Boolean": "boolean",
    "Decimal": "number",
    **dict.fromkeys(
        ("CodeableConcept", "Coding", "Quantity", "Period", "Range", "Ratio", "Reference",
         "Identifier", "Age", "Duration", "SampledData", "Attachment", "Annotation", "Timing"),
        "object",
    ),
}  # fmt: skip
_CHOICES = (
    "value", "effective", "onset", "abatement", "deceased", "performed", "occurrence",
    "medication", "multipleBirth", "born", "asNeeded", "reported",
)  # fmt: skip
# Elements whose type is the same wherever they occur.
_EXACT: dict[str, str] = {
    "resourceType": "string",
    "id": "string",
    "reference": "string",
    "system": "string",
    "status": "string",
    "comparator": "string",  # a Quantity's "<", ">=": a bound, never read as the value itself
    "url": "string",
    "fullUrl": "string",
    "issued": "time",
    "birthDate": "time",
    "recordedDate": "time",
    "authoredOn": "time",
    # A Period's (an Appointment's …) bounds; MolecularSequence's are integers, left alone.
    "start": "when",
    "end": "when",
    "coding": "objects",
    "extension": "objects",
    "modifierExtension": "objects",
    "contained": "objects",
    "entry": "objects",
    "subject": "object",
    "meta": "object",
    "clinicalStatus": "object",
    "verificationStatus": "object",
    "code": "code",  # Coding.code is a string, Observation.code a CodeableConcept
    # Single in some resources, repeated in others: an object or a list of objects.
    **dict.fromkeys(
        ("bodySite", "category", "focus", "partOf", "reasonCode", "reasonReference"), "some"
    ),
}


def _expected(key: str) -> str | None:
    found = _EXACT.get(key)
    if found is not None:
        return found
    for prefix in _CHOICES:
        if key.startswith(prefix):
            return _SUFFIX.get(key[len(prefix) :])
    return None


_WRONG = {
    "string": "not a string",
    "time": "not a FHIR dateTime",
    "when": "not a FHIR dateTime",
    "object": "not a JSON object",
    "objects": "not a list of JSON objects",
    "some": "not a JSON object or a list of them",
    "code": "neither a string nor a JSON object",
    "integer": "not an integer",
    "boolean": "not true or false",
    "number": "not a number",
}


def _fits(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "time":
        return isinstance(value, str) and parse_time(value) is not None
    if kind == "when":
        return not isinstance(value, str) or parse_time(value) is not None
    if kind == "object":
        return isinstance(value, dict)
    if kind == "objects":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    if kind == "some":
        return isinstance(value, dict) or _fits(value, "objects")
    if kind == "code":
        return isinstance(value, str | dict)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, int | float) and not isinstance(value, bool)  # number


def _bad_number(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _INT_LIMIT


# What a key's value may be, for :func:`_well_formed`: its JSON types as the exact Python types
# a JSON parser gives, or one of the two kinds that look inside a list.
_TYPES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "object": frozenset({dict}),
    "boolean": frozenset({bool}),  # True is an int to isinstance, not to type()
    "code": frozenset({str, dict}),
    "integer": frozenset({int}),
    "number": frozenset({int, float}),
}
_OBJECTS = object()  # a list of JSON objects
_SOME = object()  # a JSON object or a list of them
_TIME = object()  # a string that parse_time reads
_WHEN = object()  # a string that parse_time reads, or any other type
_UNKNOWN = object()
_SPECIAL = {"objects": _OBJECTS, "some": _SOME, "time": _TIME, "when": _WHEN}


def _check_of(key: Any) -> Any:
    """What a key's value must be: None (anything), a set of exact types, or one of
    :data:`_SPECIAL`. Learned once per key name."""
    kind = _expected(key) if isinstance(key, str) else None
    if kind is None:
        return None
    return _SPECIAL.get(kind) or _TYPES[kind]


def _well_formed(resource: Mapping[str, Any], max_depth: int) -> bool:
    """:func:`malformed`'s check without paths, on every input resource, so written for speed:
    one pass, exact types (anything else is judged by :func:`malformed`), strings first out."""
    checks = _CHECKS
    stack: list[tuple[Any, int]] = [(resource, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, deeper = pop()
        if deeper > max_depth:
            return False
        deeper += 1
        if type(node) is dict:
            for key, value in node.items():
                kind = type(value)
                check = checks.get(key, _UNKNOWN)
                if check is _UNKNOWN:
                    check = checks[key] = _check_of(key)
                if check is not None:
                    if check is _TIME or check is _WHEN:  # parse_time is cached
                        if parse_time(value) is None if kind is str else check is _TIME:
                            return False
                    elif check is _OBJECTS or check is _SOME:
                        if kind is list:
                            for member in value:
                                if type(member) is not dict:
                                    return False
                        elif check is _OBJECTS or kind is not dict:
                            return False
                    elif kind not in check:
                        return False
                if kind is str:
                    continue
                if kind is dict or kind is list:
                    push((value, deeper))
                elif kind is float:
                    if value - value != 0.0:  # NaN or an infinity
                        return False
                elif kind is int and not -_INT_LIMIT < value < _INT_LIMIT:
                    return False
        else:
            for value in node:
                kind = type(value)
                if kind is dict or kind is list:
                    push((value, deeper))
                elif kind is float:
                    if value - value != 0.0:
                        return False
                elif kind is int and not -_INT_LIMIT < value < _INT_LIMIT:
                    return False
    return True


_CHECKS: dict[Any, Any] = {}  # key → what its value must be (see _check_of), filled as met


def malformed(resource: Mapping[str, Any], limits: InputLimits) -> str | None:
    """Why ``resource`` is malformed (the element's path and the reason), or None."""
    if type(resource) is dict and _well_formed(resource, limits.max_depth):
        return None
    stack: list[tuple[Any, str, int]] = [(resource, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > limits.max_depth:
            return f"{path or 'the resource'}: nested deeper than {limits.max_depth} levels"
        if isinstance(node, dict):
            items: Any = node.items()
        elif isinstance(node, list):
            items = ((f"[{n}]", v) for n, v in enumerate(node))
        else:
            continue
        for key, value in items:
            if not isinstance(key, str):
                continue
            where = f"{path}{key}" if key.startswith("[") or not path else f"{path}.{key}"
            if _bad_number(value):
                return f"{where}: a number that is not finite or is out of range"
            kind = _expected(key) if isinstance(node, dict) else None
            if kind is not None and not _fits(value, kind):
                return f"{where}: {_WRONG[kind]}"
            if isinstance(value, dict | list):
                stack.append((value, where, depth + 1))
    return None
