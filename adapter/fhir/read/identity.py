"""Who a Patient resource names: the name and the record number a clinician checks the page by.

The official name (else the first) as written (``text``, else given names and family); the
identifier typed ``MR`` (HL7 v2 table 0203, the medical record number), else the first one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["patient_name", "record_number"]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def patient_name(resource: Mapping[str, Any]) -> str | None:
    names = _dicts(resource.get("name"))
    chosen = next((n for n in names if n.get("use") == "official"), names[0] if names else None)
    if chosen is None:
        return None
    if isinstance(chosen.get("text"), str) and chosen["text"].strip():
        return str(chosen["text"]).strip()
    given = [g for g in chosen.get("given") or () if isinstance(g, str)]
    family = chosen.get("family")
    parts = [*given, family] if isinstance(family, str) else given
    return " ".join(parts).strip() or None


def record_number(resource: Mapping[str, Any]) -> str | None:
    idents = [i for i in _dicts(resource.get("identifier")) if isinstance(i.get("value"), str)]
    for ident in idents:
        kind = ident.get("type")
        codes = (
            [c.get("code") for c in _dicts(kind.get("coding"))] if isinstance(kind, dict) else []
        )
        if "MR" in codes:
            return str(ident["value"])
    return str(idents[0]["value"]) if idents else None
