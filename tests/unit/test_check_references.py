"""scripts/check-references: a reference to a contract section, a page or an anchor that does not
exist fails the static checks, one line per reference; the repository itself passes."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check-references"
S = "\N{SECTION SIGN}"  # spelt out, so that this file's own text holds no reference
D = "docs"  # likewise for the pages

CONTRACT = """# Interface

## 1. Codes

## 2. Inputs

### 2.1 Time

## 4. Surfaces (`serve`)

### 4.2 CDS Hooks service
"""

GUIDE = """# Guide

## Score cards (`patient-view`)

## Errors

## Errors

```
## Not a heading: inside a fence
```
"""


def _load() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("check_references", str(SCRIPT))
    spec = importlib.util.spec_from_loader("check_references", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_references"] = module
    loader.exec_module(module)
    return module


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"docs/contract.md": CONTRACT, "docs/guide.md": GUIDE, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    return root


def _run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=False
    )


GOOD = {
    "adapter/a.py": (
        f'"""Inputs (contract {S}2), time (contract {S}2.1), the card (contract.md {S}4.2)."""\n'
        f"X = 1  # surfaces ({S}4 v3), codes ({S}1); JWT claims (RFC 7519 {S}4.1.5)\n"
        f"# another document's numbering is its own: notes.md {S}9, `other.md` {S}7\n"
        f"# and a standard's: SMART App Launch 2.2 {S}9.1, CDS Hooks 2.0 {S}Prefetch\n"
        f"# see {D}/guide.md#score-cards-patient-view and {D}/guide.md#errors-1\n"
    ),
    "README.md": (
        f"[cards]({D}/guide.md#score-cards-patient-view), [guide](docs/guide.md), "
        "[site](https://example.org/x.md#nope), [top](#readme)\n"
        '<a id="readme"></a>\n'
        "```\n[inside a fence](missing.md)\n```\n"
    ),
    "docs/README.md": "[errors](guide.md#errors), [back](../README.md#readme)\n",
    "uv.lock": f"contract {S}99\n",
    "data.bin": f"\0 contract {S}99",
}


def test_a_tree_whose_references_all_resolve_passes(tmp_path):
    run = _run(_tree(tmp_path, GOOD))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("check-references: ")


def test_each_broken_reference_is_one_line_with_path_and_line(tmp_path):
    bad = {
        "adapter/b.py": (
            "X = 1\n"
            f"# moved: contract {S}9, and (contract {S}2.4)\n"
            f"Y = 2  # ({S}3 v3) is not on the page; {S}4.2 is; nor `{D}/contract.md` {S}7\n"
            f"# {D}/guide.md#no-such-heading, {D}/gone.md#errors\n"
        ),
        "docs/README.md": (
            "[a](guide.md#errors), [b](guide.md#inside-a-fence), [c](absent.md), [d](#nowhere)\n"
        ),
    }
    run = _run(_tree(tmp_path, bad))
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        f"adapter/b.py:2: {S}9",
        f"adapter/b.py:2: {S}2.4",
        f"adapter/b.py:3: {S}3",
        f"adapter/b.py:3: {S}7",
        f"adapter/b.py:4: {D}/guide.md#no-such-heading",
        f"adapter/b.py:4: {D}/gone.md#errors",
        "docs/README.md:1: guide.md#inside-a-fence",
        "docs/README.md:1: absent.md",
        "docs/README.md:1: #nowhere",
    ]


def test_a_tree_without_the_interface_page_fails(tmp_path):
    (tmp_path / "a.py").write_text(f"# contract {S}1\n", encoding="utf-8")
    run = _run(tmp_path)  # not a git checkout: every file is read
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        "docs/contract.md:0: no numbered sections (page missing?)",
        f"a.py:1: {S}1",
    ]


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Score cards (`patient-view`)", "score-cards-patient-view"),
        (
            "Configuration (environment, prefix `SPINEMETS_`)",
            "configuration-environment-prefix-spinemets_",
        ),
        ("1. Codes and namespaces", "1-codes-and-namespaces"),
        ("4.1 Command line", "41-command-line"),
        ("Re-scoring a population: `spinemets batch`", "re-scoring-a-population-spinemets-batch"),
        ("What the cards never say, and why", "what-the-cards-never-say-and-why"),
        ("See [SECURITY.md](../SECURITY.md)", "see-securitymd"),
    ],
)
def test_anchors_are_githubs(heading, anchor):
    assert _load().slug(heading) == anchor


def test_the_interface_page_numbers_its_sections_and_subsections():
    assert _load().section_numbers(CONTRACT) == {"1", "2", "2.1", "4", "4.2"}


def test_the_repository_passes():
    run = _run(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
