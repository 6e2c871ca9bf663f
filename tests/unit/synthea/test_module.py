"""The Synthea module: a well-formed state machine whose codes spinemets reads as intended."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapter.mapping.terminology import default_terminology
from synthea import vocabulary as v
from synthea.gmf import ICD10CM, SNOMED, distributed
from synthea.module import build_module, module_digest
from synthea.postprocess import EXTRASPINAL, parse_directive, vertebra_levels

ROOT = Path(__file__).resolve().parents[3]
SYSTEMS = {ICD10CM: "http://hl7.org/fhir/sid/icd-10-cm", SNOMED: "http://snomed.info/sct"}
SITE_GROUP = "http://spinemets.org/fhir/CodeSystem/tokuhashi-primary-site"
# Site key of the module -> the Tokuhashi site groups its codes may map to (each maps to one).
EXPECTED_GROUPS = {"breast": {"breast"}, "prostate": {"prostate"}, "lung": {"lung"},
                   "kidney": {"kidney"}, "colorectal": {"colon", "rectum"}, "thyroid": {"thyroid"},
                   "esophagus": {"esophagus"}, "uterus": {"uterus"}, "myeloma": {"myeloma"},
                   "unknown": {"unidentified"}}  # fmt: skip
# Finding codes of contract §6 (outcomes) that the finding CodeSystem may not list yet.
OUTCOME_FINDINGS = {"pmma-volume", "cement-leakage"}

MODULE = build_module()
STATES: dict[str, dict[str, Any]] = MODULE["states"]


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _targets(state: dict[str, Any]) -> list[str]:
    out = [state["direct_transition"]] if "direct_transition" in state else []
    return out + [n["transition"] for n in _walk(state) if isinstance(n.get("transition"), str)]


def _codings() -> Iterator[dict[str, str]]:
    for node in _walk(STATES):
        if isinstance(node.get("code"), str) and "system" in node:
            yield node


def test_every_transition_leads_to_a_state_and_every_state_is_reached():
    missing = {t for s in STATES.values() for t in _targets(s) if t not in STATES}
    assert missing == set()
    seen, todo = set(), ["Initial"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += _targets(STATES[name])
    assert set(STATES) - seen == set()
    assert all(s["type"] != "Terminal" or not _targets(s) for s in STATES.values())


def test_every_distribution_sums_to_one():
    for node in _walk(STATES):
        for key in ("distributed_transition", "distributions"):
            if key in node:
                assert sum(o["distribution"] for o in node[key]) == pytest.approx(1, abs=1e-5)


def test_a_distribution_that_does_not_sum_to_one_is_refused():
    with pytest.raises(ValueError, match="sum"):
        distributed([("A", 0.5), ("B", 0.4)])


def test_the_module_is_deterministic_json():
    again = build_module()
    assert module_digest(again) == module_digest(MODULE)
    assert json.loads(json.dumps(MODULE)) == MODULE


def test_every_site_directive_names_known_sites():
    directives = [parse_directive(c["code"]) for c in _codings() if "@" in c["code"]]
    assert directives and all(d is not None for d in directives)
    sites = {s for d in directives if d for s in d.sites}
    assert sites <= set(vertebra_levels()) | set(EXTRASPINAL)
    assert {"T1", "L5", "C3", "S1", "femur"} <= sites
    assert {d.flag for d in directives if d} == {None, "provisional", "merge"}


def test_finding_codes_and_answers_are_the_contracts():
    finding = json.loads((ROOT / "mappings" / "CodeSystem-finding.json").read_text())
    known = {c["code"] for c in finding["concept"]} | OUTCOME_FINDINGS
    used = {c["code"].split("@")[0] for c in _codings() if c["system"] == v.FINDING}
    assert used - known == set()
    assert {"spinal-pain", "frankel-grade", "epidural-spinal-cord-compression", "bilsky-3",
            "asia-impairment-scale", "visceral-metastases"} <= used  # fmt: skip


@pytest.mark.parametrize("site", sorted(v.PRIMARIES))
def test_each_primary_maps_to_its_tokuhashi_site(site):
    term = default_terminology()
    for coding, _ in v.PRIMARIES[site][3]:
        groups = term.translate(SYSTEMS[coding["system"]], coding["code"], SITE_GROUP)
        assert groups is not None and len(groups) == 1 and groups <= EXPECTED_GROUPS[site], coding
    assert sum(w for _, w in v.PRIMARIES[site][3]) == pytest.approx(1)


def test_metastasis_codes_are_in_the_contracts_value_sets():
    term = default_terminology()
    for coding in (v.BONE_METASTASIS, v.BONE_METASTASIS_SNOMED):
        assert term.in_value_set("bone-metastasis", SYSTEMS[coding["system"]], coding["code"])
    for key, (coding, _, major) in v.VISCERAL.items():
        system = SYSTEMS[coding["system"]]
        assert term.in_value_set("visceral-metastasis", system, coding["code"]), key
        assert term.in_value_set("major-organ-metastasis", system, coding["code"]) == major, key


def test_procedure_codes_are_in_the_procedure_value_set():
    term = default_terminology()
    codes = [c["code"].split("@")[0] for c in _codings() if c["system"] == v.CPT]
    assert set(codes) == {"22510", "22511", "22513", "22514", "22842"}
    for code in codes:
        assert any(
            term.in_value_set(value_set, v.CPT, code)
            for value_set in ("vertebral-augmentation-procedure", "spinal-fixation-procedure")
        )


def test_women_and_men_each_have_a_full_distribution_of_primaries():
    assert sum(w for w, _, _, _ in v.PRIMARIES.values()) == pytest.approx(1)
    assert sum(m for _, m, _, _ in v.PRIMARIES.values()) == pytest.approx(1)
    assert sum(v.LEVEL_WEIGHTS.values()) == pytest.approx(1)
