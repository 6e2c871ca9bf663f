"""The finding codes the code names (adapter/vocabulary/findings.py) are codes of the finding
CodeSystem in mappings/, so a code renamed there fails here, not silently in a record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import adapter.vocabulary.findings as findings

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"


def _codes(concepts: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for c in concepts:
        out |= {c["code"], *_codes(c.get("concept", []))}
    return out


def test_every_named_finding_code_is_in_the_code_system() -> None:
    system = json.loads((MAPPINGS / "CodeSystem-finding.json").read_text())
    known = _codes(system["concept"])
    named = {name: getattr(findings, name) for name in findings.__all__}
    assert named, "no finding code is named"
    assert {name: code for name, code in named.items() if code not in known} == {}
    assert len(set(named.values())) == len(named)  # one name a code
