"""Post-processing: turn the module's site directives into FHIR.

A coding whose code is ``CODE@SITE[+SITE…][;FLAG]`` (see ``synthea.module``) becomes ``CODE``;
on the resource's own ``code`` it also sets

- ``bodySite``: one CodeableConcept per site (a Condition or Procedure may have several, an
  Observation one): a vertebra as the spinemets vertebra code, the SNOMED CT code of the
  mCODE map, or both (chosen per patient, so the corpus holds all three encodings); an
  extraspinal bone as its SNOMED CT code;
- ``;provisional``: ``verificationStatus`` provisional;
- ``;merge``: the patient's Conditions with the same code and this flag become one Condition
  listing every site (myeloma: one disease, lesions at several levels); references follow.

A cement volume (finding ``pmma-volume``) gets ``partOf`` the augmentation at its level in the
same encounter.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["Directive", "SiteCoder", "parse_directive", "process_bundle", "vertebra_levels"]

ROOT = Path(__file__).resolve().parents[1]
VERTEBRA = "http://spinemets.org/fhir/CodeSystem/vertebra"
SNOMED = "http://snomed.info/sct"
FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
CPT = "http://www.ama-assn.org/go/cpt"
AUGMENTATION = frozenset({"22510", "22511", "22512", "22513", "22514", "22515"})
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
# DICOM PS3.16 CID 4 (anatomic region), SNOMED CT.
EXTRASPINAL = {
    "ilium": ("22356005", "Ilium"),
    "femur": ("71341001", "Femur"),
    "rib": ("113197003", "Rib"),
    "humerus": ("85050009", "Humerus"),
    "skull": ("89546000", "Skull"),
}
STYLES = ("vertebra", "vertebra", "snomed", "both")  # by patient: half the spinemets code
_DIRECTIVE = re.compile(r"^(?P<base>[^@;]+)@(?P<sites>[^@;]+)(?:;(?P<flag>provisional|merge))?$")


@dataclass(frozen=True, slots=True)
class Directive:
    base: str
    sites: tuple[str, ...]
    flag: str | None


def parse_directive(code: str) -> Directive | None:
    """The directive in a code; None for a plain code. A malformed directive is an error."""
    if "@" not in code:
        return None
    match = _DIRECTIVE.match(code)
    if match is None:
        raise ValueError(f"malformed site directive {code!r}")
    sites = tuple(match["sites"].split("+"))
    for site in sites:
        if site not in vertebra_levels() and site not in EXTRASPINAL:
            raise ValueError(f"unknown site {site!r} in directive {code!r}")
    return Directive(match["base"], sites, match["flag"])


@cache
def vertebra_levels() -> dict[str, int]:
    """Vertebra code → cranio-caudal rank (mappings/CodeSystem-vertebra.json)."""
    system = json.loads((ROOT / "mappings" / "CodeSystem-vertebra.json").read_text())
    return {c["code"]: i for i, c in enumerate(system["concept"])}


@cache
def _snomed_levels() -> dict[str, tuple[str, str]]:
    """Level → (SNOMED CT code, display), from the project's mCODE-based map."""
    cmap = json.loads((ROOT / "mappings" / "ConceptMap-snomed-to-vertebra.json").read_text())
    out: dict[str, tuple[str, str]] = {}
    for group in cmap["group"]:
        for element in group["element"]:
            if len(element["target"]) != 1:  # a region: any of its levels, none of them exactly
                continue
            for target in element["target"]:
                level = target.get("code")
                if level and target["equivalence"] != "unmatched" and level not in out:
                    out[level] = (element["code"], element["display"])
    return out


class SiteCoder:
    """Writes sites as CodeableConcepts in one patient's style."""

    def __init__(self, patient_id: str) -> None:
        digest = hashlib.sha256(patient_id.encode()).digest()
        self.style = STYLES[digest[0] % len(STYLES)]

    def concept(self, site: str) -> dict[str, Any]:
        if site in EXTRASPINAL:
            code, display = EXTRASPINAL[site]
            return {
                "coding": [{"system": SNOMED, "code": code, "display": display}],
                "text": display,
            }
        codings = []
        if self.style in ("vertebra", "both"):
            codings.append({"system": VERTEBRA, "code": site, "display": site})
        if self.style in ("snomed", "both"):
            code, display = _snomed_levels()[site]
            codings.append({"system": SNOMED, "code": code, "display": display})
        return {"coding": codings, "text": site}


def process_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    """Apply every directive to one patient's Bundle, in place; returns it."""
    entries = bundle["entry"]
    patient = next(e["resource"] for e in entries if e["resource"]["resourceType"] == "Patient")
    coder = SiteCoder(patient["id"])
    merges: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in entries:
        resource = entry["resource"]
        directive = _apply_own(resource, coder)
        if directive is not None and directive.flag == "merge":
            coding = resource["code"]["coding"][0]
            merges.setdefault((coding["system"], coding["code"]), []).append(entry)
    for coding in _codings(bundle):
        found = parse_directive(coding["code"])
        if found is not None:
            coding["code"] = found.base
    moved = _merge(entries, merges)
    _link_cement(entries)
    if moved:
        _repoint(bundle, moved)
    return bundle


def _apply_own(resource: dict[str, Any], coder: SiteCoder) -> Directive | None:
    if resource["resourceType"] not in ("Condition", "Observation", "Procedure"):
        return None
    coding = resource["code"]["coding"][0]
    directive = parse_directive(coding["code"])
    if directive is None:
        return None
    coding["code"] = directive.base
    concepts = [coder.concept(site) for site in directive.sites]
    if resource["resourceType"] == "Observation":
        if len(concepts) != 1:
            raise ValueError(f"an Observation has one bodySite, not {directive.sites}")
        resource["bodySite"] = concepts[0]
    else:
        resource["bodySite"] = concepts
    if directive.flag == "provisional":
        resource["verificationStatus"] = {
            "coding": [{"system": VERIFICATION, "code": "provisional"}]
        }
    return directive


def _codings(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("code"), str) and "system" in node:
            yield node
        for value in node.values():
            yield from _codings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _codings(item)


def _merge(
    entries: list[dict[str, Any]], merges: dict[tuple[str, str], list[dict[str, Any]]]
) -> dict[str, str]:
    """One Condition per merged code, sites in cranio-caudal order; fullUrl moves returned."""
    order = vertebra_levels()
    moved: dict[str, str] = {}
    for group in merges.values():
        keep, *rest = sorted(group, key=lambda e: e["resource"].get("onsetDateTime", ""))
        sites = [c for e in group for c in e["resource"]["bodySite"]]
        sites.sort(key=lambda c: order.get(c["text"], len(order)))
        keep["resource"]["bodySite"] = sites
        for entry in rest:
            moved[entry["fullUrl"]] = keep["fullUrl"]
            entries.remove(entry)
    return moved


def _link_cement(entries: list[dict[str, Any]]) -> None:
    procedures = [
        e
        for e in entries
        if e["resource"]["resourceType"] == "Procedure"
        and e["resource"]["code"]["coding"][0].get("system") == CPT
        and e["resource"]["code"]["coding"][0]["code"] in AUGMENTATION
    ]
    for entry in entries:
        obs = entry["resource"]
        coding = obs.get("code", {}).get("coding", [{}])[0]
        if obs["resourceType"] != "Observation" or (coding.get("system"), coding.get("code")) != (
            FINDING,
            "pmma-volume",
        ):
            continue
        for proc in procedures:
            same_encounter = proc["resource"].get("encounter") == obs.get("encounter")
            sites = [c["text"] for c in proc["resource"].get("bodySite", [])]
            if same_encounter and obs.get("bodySite", {}).get("text") in sites:
                obs["partOf"] = [{"reference": proc["fullUrl"]}]
                break


def _repoint(node: Any, moved: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ref in moved:
            node["reference"] = moved[ref]
        for value in node.values():
            _repoint(value, moved)
    elif isinstance(node, list):
        for item in node:
            _repoint(item, moved)
        if node and all(isinstance(i, dict) and i.keys() == {"reference"} for i in node):
            # a list of bare references (Provenance.target) names a merged Condition once
            node[:] = [{"reference": r} for r in dict.fromkeys(i["reference"] for i in node)]
