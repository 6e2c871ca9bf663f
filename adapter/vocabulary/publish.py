"""The score vocabulary as FHIR terminology: the score and category CodeSystems and the
ValueSets over them, built from the specs so the published files cannot drift from the code.

``scripts/generate-terminology`` writes these into mappings/; a unit test fails when the files
there differ from what this module builds.
"""

from __future__ import annotations

from typing import Any

from adapter import __version__
from adapter.vocabulary.outcomes import OUTCOME, OUTCOME_COMPONENTS
from adapter.vocabulary.scores import SCORES
from adapter.vocabulary.specs import ScoreSpec
from adapter.vocabulary.systems import BASE, CATEGORY, SCORE

__all__ = ["published"]

_VERSION = __version__  # the conformance resources are versioned with the package
_KIND = "What the code names: 'total' (a score's total), 'component' (one of its items, or of "
_KIND += "the outcome summary), 'method' (the published version a total is computed by) or "
_KIND += "'outcome' (the per-patient outcome summary)."


def _header(
    resource_type: str, rid: str, name: str, title: str, description: str
) -> dict[str, Any]:
    kind = "CodeSystem" if resource_type == "CodeSystem" else "ValueSet"
    return {
        "resourceType": resource_type,
        "id": rid,
        "url": f"{BASE}/{kind}/{rid}",
        "version": _VERSION,
        "name": name,
        "title": title,
        "status": "active",
        "experimental": False,
        "publisher": "spinemets",
        "description": description,
    }


def _concept(code: str, display: str, definition: str, **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "display": display, "definition": definition}
    out["property"] = [
        {"code": key, ("valueInteger" if isinstance(v, int) else "valueCode"): v}
        for key, v in props.items()
    ]
    return out


def _score_concepts() -> list[dict[str, Any]]:
    concepts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for spec in SCORES.values():
        concepts.append(_concept(spec.code, spec.display, spec.definition, kind="total"))
        for comp in spec.components:
            if comp.code not in seen:  # the Tokuhashi scores share their components
                seen.add(comp.code)
                concepts.append(
                    _concept(comp.code, comp.display, comp.definition, kind="component")
                )
    for spec in SCORES.values():
        m = spec.method
        concepts.append(_concept(m.code, m.display, m.definition, kind="method"))
    concepts.append(_concept(OUTCOME.code, OUTCOME.display, OUTCOME.definition, kind="outcome"))
    concepts += [
        _concept(c.code, c.display, c.definition, kind="component") for c in OUTCOME_COMPONENTS
    ]
    return concepts


def score_code_system() -> dict[str, Any]:
    concepts = _score_concepts()
    out = _header(
        "CodeSystem",
        "score",
        "Score",
        "spinemets score and component codes",
        "Codes for the totals and components of the scores the spinemets adapter computes "
        "(SINS, Tomita, revised and original Tokuhashi, original and modified Bauer, NESMS, "
        "van der Linden), and for the published versions "
        "(methods) they follow; and the per-patient outcome summary after an index procedure "
        "(outcome-trajectory) with its components. Used as Observation.code, "
        "Observation.component.code, "
        "Observation.method and RiskAssessment.code/method.",
    )
    out |= {"caseSensitive": True, "content": "complete", "count": len(concepts)}
    out["property"] = [
        {"code": "kind", "uri": f"{SCORE}#kind", "description": _KIND, "type": "code"}
    ]
    out["concept"] = concepts
    return out


def category_code_system() -> dict[str, Any]:
    concepts = [
        _concept(b.code, b.display, b.definition, score=s.code, low=b.low, high=b.high)
        for s in SCORES.values()
        for b in s.bands
    ]
    out = _header(
        "CodeSystem",
        "category",
        "Category",
        "spinemets result categories",
        "Result categories (bands of the total) of the scores the spinemets adapter computes, "
        "used as Observation.interpretation and RiskAssessment.prediction.qualitativeRisk. Each "
        "concept carries the total it belongs to and its inclusive range.",
    )
    out |= {"caseSensitive": True, "content": "complete", "count": len(concepts)}
    out["property"] = [
        {
            "code": "score",
            "uri": f"{CATEGORY}#score",
            "description": "The total code (CodeSystem score) the band belongs to.",
            "type": "code",
        },
        {
            "code": "low",
            "uri": f"{CATEGORY}#low",
            "description": "Lowest total in the band (inclusive).",
            "type": "integer",
        },
        {
            "code": "high",
            "uri": f"{CATEGORY}#high",
            "description": "Highest total in the band (inclusive).",
            "type": "integer",
        },
    ]
    out["concept"] = concepts
    return out


def _enumerated(system: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    concept = [{"code": code, "display": display} for code, display in pairs]
    return {"include": [{"system": system, "concept": concept}]}


def _category_value_set(spec: ScoreSpec) -> dict[str, Any]:
    label = spec.title.split(" (")[0]
    name = "".join(part.capitalize() for part in spec.code.split("-"))
    out = _header(
        "ValueSet",
        f"category-{spec.code}",
        f"Category{name}",
        f"{label} categories",
        f"The result categories (bands) of the {label} score total '{spec.code}'.",
    )
    out["compose"] = _enumerated(CATEGORY, [(b.code, b.display) for b in spec.bands])
    return out


def published() -> dict[str, dict[str, Any]]:
    """File name in mappings/ → resource, for every file built from the vocabulary."""
    out = {
        "CodeSystem-score.json": score_code_system(),
        "CodeSystem-category.json": category_code_system(),
    }
    for spec in (s for s in SCORES.values() if s.bands):  # NESMS has no categories
        vs = _category_value_set(spec)
        out[f"ValueSet-{vs['id']}.json"] = vs
    category = _header(
        "ValueSet",
        "category",
        "Category",
        "Result categories",
        "Every result category (band) of every score in the spinemets category CodeSystem "
        "(RiskAssessment.prediction.qualitativeRisk).",
    )
    category["compose"] = {"include": [{"system": CATEGORY}]}
    out["ValueSet-category.json"] = category
    totals = _header(
        "ValueSet",
        "score-total",
        "ScoreTotal",
        "Score totals",
        "The total codes of the scores (Observation.code of a score).",
    )
    totals["compose"] = _enumerated(SCORE, [(s.code, s.display) for s in SCORES.values()])
    out["ValueSet-score-total.json"] = totals
    components = _header(
        "ValueSet",
        "score-component",
        "ScoreComponent",
        "Score components",
        "The component codes of the scores (Observation.component.code).",
    )
    pairs = {c.code: c.display for s in SCORES.values() for c in s.components}
    components["compose"] = _enumerated(SCORE, list(pairs.items()))
    out["ValueSet-score-component.json"] = components
    outcome = _header(
        "ValueSet",
        "outcome-component",
        "OutcomeComponent",
        "Outcome summary components",
        "The component codes of the per-patient outcome summary Observation (code "
        "outcome-trajectory): pain and Barthel Index at each contract §6 time point, and their "
        "change from baseline.",
    )
    outcome["compose"] = _enumerated(SCORE, [(c.code, c.display) for c in OUTCOME_COMPONENTS])
    out["ValueSet-outcome-component.json"] = outcome
    return out
