"""The terminology in mappings/: CodeSystems, ValueSets and ConceptMaps, loaded once.

ConceptMaps are indexed by (source system, target system), so a map for a new source code system
needs no code change. ICD-10-CM is hierarchical by prefix: a code is looked up as written, then by
ever shorter prefixes down to its category (C34.11 → C34.1 → C34), and an ``is-a`` ValueSet filter
on ICD-10-CM matches by prefix. Other systems match exactly.

A site's local procedure codes come through a ConceptMap file named by the setting
``SPINEMETS_LOCAL_PROCEDURE_MAP`` (contract §5 v3): each local code maps to codes of the procedure
ValueSets (e.g. CPT 22511), and a local code is then in every ValueSet its targets are in — for
orders, completed treatments and the index procedure alike, with no code change.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson

from adapter.datadirs import data_dir
from adapter.errors import ConfigurationError, MappingError
from adapter.settings import from_mapping
from adapter.settings.clinical import DataFields
from adapter.vocabulary.systems import ATC, BASE, CONVERSION_FACTOR, ICD10CM

__all__ = [
    "LOCAL_PROCEDURE_MAP",
    "CodeRegion",
    "Terminology",
    "default_terminology",
    "load_terminology",
]

LOCAL_PROCEDURE_MAP = "SPINEMETS_LOCAL_PROCEDURE_MAP"
# The ValueSets a local procedure code may be mapped into: the procedure ValueSets (ids ending so).
_PROCEDURE_VALUE_SET_SUFFIX = "-procedure"

# Code systems whose codes name their ancestors by prefix (C34.11 → C34.1 → C34; B01AC06 → B01AC).
_HIERARCHICAL = frozenset({ICD10CM, ATC})


_MAX_ANSWERS = 65_536  # remembered in_value_set answers (a few MB at most)


def _prefixes(system: str | None, code: str) -> Iterable[str]:
    yield code
    if system in _HIERARCHICAL:
        trimmed = code.rstrip(".")
        while len(trimmed) > 3:
            trimmed = trimmed[:-1].rstrip(".")
            yield trimmed


@dataclass(frozen=True, slots=True)
class _Codes:
    """Codes named one by one, codes named with their descendants, and whole code systems."""

    exact: frozenset[tuple[str, str]] = frozenset()
    descendants_of: frozenset[tuple[str, str]] = frozenset()
    whole_systems: frozenset[str] = frozenset()

    def contains(self, system: str, code: str) -> bool:
        if system in self.whole_systems or (system, code) in self.exact:
            return True
        return any((system, p) in self.descendants_of for p in _prefixes(system, code))


@dataclass(frozen=True, slots=True)
class _ValueSet:
    include: _Codes
    exclude: _Codes
    # ValueSet.expansion's codes: how a search names a ValueSet with an is-a filter, whose
    # descendants a FHIR server's token search would not find by the filter's code alone.
    expansion: frozenset[tuple[str, str]] | None = None

    def contains(self, system: str | None, code: str) -> bool:
        if system is None:
            return False
        return self.include.contains(system, code) and not self.exclude.contains(system, code)


@dataclass(frozen=True, slots=True)
class CodeRegion:
    """The spinal region a procedure code names: "lumbosacral", covering lumbar and sacral."""

    name: str
    regions: frozenset[str]


@dataclass(slots=True, eq=False)  # hashed by identity: one instance per loaded directory
class Terminology:
    """Read-only lookups over the mapping files."""

    code_systems: dict[str, frozenset[str]] = field(default_factory=dict)
    value_sets: dict[str, _ValueSet] = field(default_factory=dict)
    maps: dict[tuple[str, str], dict[str, frozenset[str]]] = field(default_factory=dict)
    displays: dict[tuple[str, str], str] = field(default_factory=dict)
    # (source system, code, target system, code) → a ConceptMap target's CONVERSION_FACTOR.
    factors: dict[tuple[str, str, str, str], Decimal] = field(default_factory=dict)
    # (ValueSet id, extension) → words: names of drugs a ValueSet's codes may not list.
    words: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    # (system, code) → the spinal region a procedure code names: how a card words it, and the
    # vertebra CodeSystem's ``region`` codes it covers (ValueSet concept extension
    # ``procedure-region``).
    code_regions: dict[tuple[str, str], CodeRegion] = field(default_factory=dict)
    # (CodeSystem url, code, property) → the concept's ``valueCode`` of that property.
    properties: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # A site's local code → the codes it stands for (SPINEMETS_LOCAL_PROCEDURE_MAP).
    local: dict[tuple[str, str], frozenset[tuple[str, str]]] = field(default_factory=dict)
    # in_value_set's answers (bounded: the codes come from the input); each walks prefixes.
    _answers: dict[tuple[str, str | None, str], bool] = field(
        default_factory=dict, repr=False, compare=False
    )

    def has_code(self, system_url: str, code: str) -> bool:
        return code in self.code_systems.get(system_url, frozenset())

    def display(self, system_url: str, code: str, *, broader: bool = False) -> str | None:
        """The code's display in the mappings; with ``broader``, else its nearest ancestor's in a
        hierarchical code system (C34.90 → C34's)."""
        if not broader:
            return self.displays.get((system_url, code))
        found = (self.displays.get((system_url, p)) for p in _prefixes(system_url, code))
        return next((d for d in found if d), None)

    def in_value_set(self, value_set_id: str, system: str | None, code: str) -> bool:
        key = (value_set_id, system, code)
        known = self._answers.get(key)
        if known is not None:
            return known
        vs = self.value_sets.get(value_set_id)
        if vs is None:
            raise MappingError(f"ValueSet {value_set_id!r} is not in mappings/")
        aliases = self.local.get((system, code)) if system is not None else None
        answer = vs.contains(system, code) or any(vs.contains(s, c) for s, c in aliases or ())
        if len(self._answers) >= _MAX_ANSWERS:
            self._answers.clear()
        self._answers[key] = answer
        return answer

    def value_set_codes(self, value_set_id: str) -> list[tuple[str, str]]:
        """The (system, code) pairs a search names for a ValueSet: its expansion when it has
        one, else the codes it lists. A ValueSet with an is-a filter and no expansion is a
        MappingError: a search by the filter's code would miss every descendant (C90.00 under
        C90), so the patients coded with one."""
        vs = self.value_sets.get(value_set_id)
        if vs is None:
            raise MappingError(f"ValueSet {value_set_id!r} is not in mappings/")
        if vs.expansion is not None:
            return sorted(vs.expansion)
        if vs.include.descendants_of or vs.include.whole_systems:
            raise MappingError(f"ValueSet {value_set_id!r}: searched by code, no expansion")
        return sorted(vs.include.exact)

    def translate(self, system: str | None, code: str, target: str) -> frozenset[str] | None:
        """Target codes for a source code; empty when mapped as "unmatched"; None if unmapped."""
        if system is None:
            return None
        table = self.maps.get((system, target))
        if table is None:
            return None
        for prefix in _prefixes(system, code):
            if prefix in table:
                return table[prefix]
        return None

    def factor(self, system: str, code: str, target: str, target_code: str) -> Decimal | None:
        """The factor converting a value in ``code`` to ``target_code`` (e.g. UCUM ``/uL`` to
        ``10*9/L``: 0.001); None when the maps hold no such conversion."""
        return self.factors.get((system, code, target, target_code))


def _add_code_system(term: Terminology, res: Mapping[str, Any]) -> None:
    codes: set[str] = set()

    def walk(concepts: Any) -> None:
        for concept in concepts or ():
            codes.add(concept["code"])
            if "display" in concept:
                term.displays[(res["url"], concept["code"])] = concept["display"]
            for prop in concept.get("property") or ():
                if "valueCode" in prop:
                    term.properties[(res["url"], concept["code"], prop["code"])] = prop["valueCode"]
            walk(concept.get("concept"))

    walk(res.get("concept"))
    term.code_systems[res["url"]] = frozenset(codes)


def _codes(rid: str, parts: Any) -> _Codes:
    exact: set[tuple[str, str]] = set()
    descendants: set[tuple[str, str]] = set()
    whole: set[str] = set()
    for part in parts or ():
        system = part["system"]
        concepts, filters = part.get("concept"), part.get("filter")
        for concept in concepts or ():
            exact.add((system, concept["code"]))
        for flt in filters or ():
            if flt.get("op") not in ("is-a", "descendent-of") or flt.get("property") != "concept":
                raise MappingError(f"ValueSet {rid}: unsupported filter {flt}")
            descendants.add((system, flt["value"]))
        if not concepts and not filters:
            whole.add(system)
    return _Codes(frozenset(exact), frozenset(descendants), frozenset(whole))


def _note_displays(term: Terminology, system: str, concepts: Any) -> None:
    """The displays a ValueSet or ConceptMap gives its codes: how text names a code the input
    did not name (a code system's own display wins)."""
    for concept in concepts or ():
        if "display" in concept:
            term.displays.setdefault((system, concept["code"]), concept["display"])


_REGION = f"{BASE}/StructureDefinition/procedure-region"


def _note_regions(term: Terminology, system: str, concepts: Any) -> None:
    """The spinal region each procedure code names (extension ``procedure-region``)."""
    for concept in concepts or ():
        for ext in concept.get("extension") or ():
            if ext.get("url") != _REGION:
                continue
            parts = ext.get("extension") or ()
            names = [p["valueString"] for p in parts if p.get("url") == "name"]
            regions = frozenset(p["valueCode"] for p in parts if p.get("url") == "region")
            if len(names) != 1 or not regions:
                raise MappingError(f"{system} {concept['code']}: procedure-region needs a name "
                                   "and a region")  # fmt: skip
            term.code_regions[(system, concept["code"])] = CodeRegion(names[0], regions)


def _add_value_set(term: Terminology, res: Mapping[str, Any]) -> None:
    compose = res.get("compose") or {}
    for part in compose.get("include") or ():
        _note_displays(term, part["system"], part.get("concept"))
        _note_regions(term, part["system"], part.get("concept"))
    for ext in res.get("extension") or ():
        key = (res["id"], ext["url"].removeprefix(f"{BASE}/StructureDefinition/"))
        term.words[key] = (*term.words.get(key, ()), ext["valueString"])
    expansion = res.get("expansion")
    term.value_sets[res["id"]] = _ValueSet(
        _codes(res["id"], compose.get("include")),
        _codes(res["id"], compose.get("exclude")),
        None if expansion is None else _expanded(res["id"], expansion),
    )


def _expanded(rid: str, expansion: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    codes = frozenset((c["system"], c["code"]) for c in expansion.get("contains") or ())
    if not codes:
        raise MappingError(f"ValueSet {rid}: an expansion that contains no code")
    return codes


def _add_concept_map(term: Terminology, res: Mapping[str, Any]) -> None:
    for group in res.get("group", ()):
        table = term.maps.setdefault((group["source"], group["target"]), {})
        _note_displays(term, group["source"], group.get("element"))
        for element in group.get("element", ()):
            targets = frozenset(
                t["code"]
                for t in element.get("target", ())
                if t.get("equivalence") not in ("unmatched", "disjoint") and "code" in t
            )
            table[element["code"]] = table.get(element["code"], frozenset()) | targets
            for target in element.get("target", ()):
                _add_factor(term, group, element["code"], target)


def _add_factor(term: Terminology, group: Any, code: str, target: Any) -> None:
    for product in target.get("product") or ():
        if product.get("property") != CONVERSION_FACTOR:
            continue
        try:
            factor = Decimal(product["value"])
        except InvalidOperation:
            raise MappingError(f"conversion factor {product['value']!r} is not a number") from None
        key = (group["source"], code, group["target"], target["code"])
        term.factors[key] = factor


_LOADERS = {
    "CodeSystem": _add_code_system,
    "ValueSet": _add_value_set,
    "ConceptMap": _add_concept_map,
}


def _add_local_map(term: Terminology, path: Path) -> None:
    """A site's ConceptMap from local procedure codes to codes of the procedure ValueSets."""
    name = f"{LOCAL_PROCEDURE_MAP} {path}"
    try:
        res = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ConfigurationError(f"{name}: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError:
        raise ConfigurationError(f"{name}: not JSON") from None
    if not isinstance(res, dict) or res.get("resourceType") != "ConceptMap":
        raise ConfigurationError(f"{name}: not a ConceptMap")
    procedure_sets = [
        v for k, v in term.value_sets.items() if k.endswith(_PROCEDURE_VALUE_SET_SUFFIX)
    ]
    try:
        for group in res.get("group") or ():
            source, target = group["source"], group["target"]
            for element in group.get("element") or ():
                codes = frozenset(
                    (target, t["code"])
                    for t in element.get("target") or ()
                    if t.get("equivalence") not in ("unmatched", "disjoint") and "code" in t
                )
                for system, code in codes:
                    if not any(vs.contains(system, code) for vs in procedure_sets):
                        raise ConfigurationError(
                            f"{name}: {element['code']} maps to {system}|{code}, "
                            "which is in no procedure ValueSet"
                        )
                key = (source, element["code"])
                term.local[key] = term.local.get(key, frozenset()) | codes
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigurationError(f"{name}: malformed ({exc!r})") from None


def default_mappings_dir() -> Path:
    """``$SPINEMETS_MAPPINGS``, else the repository's mappings/, else the copy in the wheel."""
    return data_dir("mappings")


def load_terminology(directory: Path | None = None, local_map: Path | None = None) -> Terminology:
    """Load and check every JSON file of a mappings directory, and a site's local procedure map."""
    directory = directory or default_mappings_dir()
    term = Terminology()
    files = sorted(directory.glob("*.json"))
    if not files:
        raise MappingError(f"no terminology files in {directory}")
    for path in files:
        try:
            res = orjson.loads(path.read_bytes())
            loader = _LOADERS.get(res.get("resourceType"))
            if loader is None:
                raise MappingError(f"{path.name}: not a CodeSystem, ValueSet or ConceptMap")
            loader(term, res)
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise MappingError(f"{path.name}: malformed ({exc!r})") from None
    if local_map is not None:
        _add_local_map(term, local_map)
    return term


@functools.cache
def default_terminology() -> Terminology:
    """The terminology of the default mappings directory and the local procedure map of the
    environment, loaded once per process."""
    return load_terminology(local_map=from_mapping(DataFields, os.environ).local_procedure_map)
