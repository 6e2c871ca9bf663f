"""Observation states shared by the presentation and the follow-up visits."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from synthea import gmf
from synthea import vocabulary as v
from synthea.builder import Builder

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["barthel", "coded", "finding", "measured", "neurology", "pain", "performance"]


def coded(
    coding: dict[str, str], answer: dict[str, str], *, category: str, then: str
) -> dict[str, Any]:
    return {
        "type": "Observation",
        "category": category,
        "codes": [coding],
        "value_code": answer,
        "direct_transition": then,
    }


def finding(code: str, answer: str, *, category: str, then: str) -> dict[str, Any]:
    """A finding of the spinemets finding CodeSystem (code may carry a site directive)."""
    display = _finding_displays()
    base = code.split("@")[0]
    return coded(
        {"system": v.FINDING, "code": code, "display": display.get(base, base)},
        {"system": v.FINDING, "code": answer, "display": display.get(answer, answer)},
        category=category,
        then=then,
    )


@cache
def _finding_displays() -> dict[str, str]:
    system = json.loads((ROOT / "mappings" / "CodeSystem-finding.json").read_text())
    return {c["code"]: c["display"] for c in system["concept"]}


def measured(
    coding: dict[str, str],
    low: float,
    high: float,
    *,
    unit: str,
    category: str,
    then: str,
    decimals: int = 0,
) -> dict[str, Any]:
    """A number drawn uniformly from [low, high], rounded to ``decimals``."""
    return {
        "type": "Observation",
        "category": category,
        "codes": [coding],
        "unit": unit,
        "range": {"low": low, "high": high, "decimals": decimals},
        "direct_transition": then,
    }


def exact(coding: dict[str, str], value: int, *, unit: str, category: str, then: str) -> Any:
    return {
        "type": "Observation",
        "category": category,
        "codes": [coding],
        "unit": unit,
        "exact": {"quantity": value},
        "direct_transition": then,
    }


def pain(b: Builder, tag: str, low: int, high: int, p: float, then: str) -> str:
    """Pain on the patient's scale: 0-10 NRS (72514-3), or VAS in mm (38214-3)."""
    nrs = b.add(
        f"Pain_{tag}_NRS",
        measured(v.PAIN_NRS, low, high, unit="{score}", category="survey", then=then),
    )
    vas = b.add(
        f"Pain_{tag}_VAS",
        measured(v.PAIN_VAS, low * 10, high * 10, unit="mm", category="survey", then=then),
    )
    return b.simple(
        f"Pain_{tag}",
        complex_transition=gmf.complex_transition(
            [
                (gmf.attr_is("pain_scale", "vas"), [(vas, p), (then, 1 - p)]),
                (None, [(nrs, p), (then, 1 - p)]),
            ]
        ),
    )


def barthel(b: Builder, tag: str, low: int, high: int, p: float, then: str) -> str:
    """Barthel Index total, a multiple of 5 in [low, high]."""
    values = range(low, high + 1, 5)
    options = [
        (
            b.add(
                f"Barthel_{tag}_{n}",
                exact(v.BARTHEL, n, unit="{score}", category="survey", then=then),
            ),
            p / len(values),
        )
        for n in values
    ]
    return b.choose(f"Barthel_{tag}", [*options, (then, 1 - p)])


def performance(
    b: Builder, tag: str, *, p_kps: float, p_ecog: float, kps: list[tuple[int, float]], then: str
) -> str:
    """Karnofsky (valueQuantity %) or ECOG (LOINC answer), or neither."""
    kps_states = [
        (
            b.add(f"KPS_{tag}_{n}", exact(v.KARNOFSKY, n, unit="%", category="survey", then=then)),
            p_kps * w,
        )
        for n, w in kps
    ]
    ecog_states = [
        (
            b.add(
                f"ECOG_{tag}_{i}",
                coded(
                    v.ECOG_CODE,
                    {"system": gmf.LOINC, "code": la, "display": text},
                    category="survey",
                    then=then,
                ),
            ),
            p_ecog * w,
        )
        for i, (la, text, w) in enumerate(v.ECOG)
    ]
    return b.choose(f"Performance_{tag}", [*kps_states, *ecog_states, (then, 1 - p_kps - p_ecog)])


def neurology(b: Builder, tag: str, *, p_frankel: float, p_ais: float, then: str) -> str:
    """Frankel grade or ASIA impairment scale (no level: the patient's neurology)."""
    options = []
    for grade, w in v.FRANKEL:
        frankel = b.add(
            f"Frankel_{tag}_{grade}",
            finding("frankel-grade", f"frankel-{grade}", category="exam", then=then),
        )
        ais = b.add(
            f"AIS_{tag}_{grade}",
            finding("asia-impairment-scale", f"ais-{grade}", category="exam", then=then),
        )
        options += [(frankel, p_frankel * w), (ais, p_ais * w)]
    return b.choose(f"Neurology_{tag}", [*options, (then, 1 - p_frankel - p_ais)])
