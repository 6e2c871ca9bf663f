"""The ValueSets in mappings/ that the v3 tools read, and the codes the reader accepts, cannot
drift apart (scores-more.md, contract §1 v3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapter.mapping.observations import ALBUMIN_LOINC, READ_LOINC
from adapter.mapping.terminology import default_terminology

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
TERM = default_terminology()


def test_the_serum_albumin_value_set_is_what_the_reader_reads():
    vs = json.loads((MAPPINGS / "ValueSet-serum-albumin.json").read_text())
    codes = {c["code"] for part in vs["compose"]["include"] for c in part["concept"]}
    assert codes == set(ALBUMIN_LOINC) == {"1751-7", "61151-7", "61152-5"}
    assert codes <= READ_LOINC


@pytest.mark.parametrize(
    ("value_set", "inside", "outside"),
    [
        ("pathological-fracture-neoplastic", ["M84.58XA", "M84.550A", "M84.50XA"], ["M80.08XA", "M84.48XA"]),
        ("primary-prognosis-uncertain", ["C65.1", "C90.10", "C90.20", "C90.30", "C33", "C88.0"], ["C64.1", "C90.00", "C34.90"]),
        ("radiosensitive-primary", ["C83.30", "C90.00", "C81.10"], ["C90.20", "C50.911", "C62.90"]),
        ("radioresistant-primary", ["C64.1", "C43.9", "C73", "C18.7", "C19", "C20"], ["C65.1", "C61", "C34.90"]),
        # Contract §5 criterion 6: ICD-10-CM S12.0-S12.6 (first to seventh cervical vertebra) and
        # S12.9 (cervical spine NOS) are traumatic vertebral fractures; S12.8 (hyoid, larynx) is not.
        ("other-cause-vertebral-fracture", ["S12.000A", "S12.110A", "S12.691S", "S12.9XXA", "S22.080A", "S32.010A"], ["S12.8XXA", "S14.109A", "S13.100A"]),
    ],
)  # fmt: skip
def test_value_sets_hold_the_codes_scores_more_names(value_set, inside, outside):
    assert all(TERM.in_value_set(value_set, ICD, code) for code in inside), value_set
    assert not any(TERM.in_value_set(value_set, ICD, code) for code in outside), value_set


# --- medication names and their negations are data (audit 9, #1, #4) ------------------------


@pytest.mark.parametrize("value_set", ["antithrombotic-medication", "corticosteroid-medication"])
def test_the_medication_value_sets_carry_their_negation_words(value_set):
    # The same words negate a name in either ValueSet; "hold" is no negation (a paused drug
    # counts, contract §5).
    before = TERM.words[(value_set, "negated-before")]
    assert {"no", "stop", "not on", "allergic to", "avoid"} <= set(before)
    assert {"allergy", "stopped"} <= set(TERM.words[(value_set, "negated-after")])
    assert "do not" in TERM.words[(value_set, "negation-reversed")]
    assert not any("hold" in w for kind in ("negated-before", "negated-after")
                   for w in TERM.words[(value_set, kind)])  # fmt: skip


def test_line_locks_and_abbreviations_are_antithrombotic_data():
    forms = set(TERM.words[("antithrombotic-medication", "non-systemic-form")])
    assert {"flush", "lock", "catheter lock"} <= forms
    names = set(TERM.words[("antithrombotic-medication", "ingredient-name")])
    assert {"ASA", "LMWH", "UFH", "DOAC", "warfarine"} <= names


def _own_extensions(node: object) -> set[str]:
    """The URLs of spinemets' own extensions anywhere in a resource."""
    if isinstance(node, dict):
        url = node.get("url")
        valued = any(key.startswith("value") for key in node)
        found = {url} if valued and isinstance(url, str) and url.startswith(_OWN) else set()
        return found.union(*(_own_extensions(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_own_extensions(v) for v in node))
    return set()


_OWN = "http://spinemets.org/fhir/StructureDefinition/"


def test_every_extension_the_mappings_carry_is_defined_in_profiles():
    # The conformance package validates the mappings with the HL7 validator, which refuses an
    # extension it cannot find: each one the data uses has its StructureDefinition in profiles/.
    used = set().union(
        *(_own_extensions(json.loads(p.read_text())) for p in MAPPINGS.glob("*.json"))
    )
    profiles = MAPPINGS.parent / "profiles"
    defined = {
        json.loads(p.read_text())["url"] for p in profiles.glob("StructureDefinition-*.json")
    }
    assert used, "the mappings carry no extension of ours: the scan is broken"
    assert used - defined == set()
