"""One decision, every surface (contract §4 v3): for every fixture, the cards (through the real CDS
app), the text report and the HTML page (through ``spinemets score``) agree on the neurology alert,
the deceased rule, each spine order's verdict and each level's SINS band.

Each surface's *output* is parsed — card JSON, report lines, page markup — and the readings are
compared with one another, never with the decision object that produced them. Every fixture is run
twice: as it is, and recorded as deceased; both times with two spine orders added (a vertebroplasty
at T12 and a fixation that names no level), so every fixture has verdicts to compare.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapter import cli
from adapter.cds.settings import Settings
from adapter.fhir.read.references import patient_of
from adapter.fhir.read.timing import parse_time
from adapter.vocabulary import (
    BAUER_MODIFIED,
    BAUER_ORIGINAL,
    LINDEN,
    SINS,
    TOKUHASHI_ORIGINAL,
    TOKUHASHI_REVISED,
    TOMITA,
)
from tests.support.records import draft_orders, order
from tests.unit.cds.conftest import PREFETCH_TYPES, client_for
from tests.unit.surface_readers import Reading, band_of, read_page, read_text, text_sections

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted(
    p
    for p in (ROOT / "fixtures").glob("*/*")
    if p.suffix in (".json", ".ndjson") and p.parent.name != "expected"
)
NOW = "2025-01-01T00:00:00Z"
DIED = "2024-12-03"  # before NOW: the record says the patient has died
HOOK = "5b0f8a56-3a57-4b8e-9a65-1c1f1d2e3a4b"
RESOURCE_ID = re.compile(
    r"\b(Patient|Observation|Condition|Procedure|Encounter|AdverseEvent|Medication\w*|"
    r"ServiceRequest)/[A-Za-z0-9]"
)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


# --- inputs -----------------------------------------------------------------------------------


def resources_of(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".ndjson":
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    document = json.loads(path.read_text())
    return [e["resource"] for e in document.get("entry", []) if isinstance(e, dict)]


def patients_in(resources: list[dict[str, Any]]) -> list[str]:
    ids = [r["id"] for r in resources if r.get("resourceType") == "Patient" and "id" in r]
    for r in resources:
        ref = (r.get("subject") or {}).get("reference", "") if isinstance(r, dict) else ""
        if ref.startswith("Patient/") and ref[8:] not in ids:
            ids.append(ref[8:])
    return ids


def orders_for(pid: str) -> list[dict[str, Any]]:
    return [
        order(f"{pid}-vp", "22510", "T12", subject=pid),
        order(f"{pid}-fx", "22842", subject=pid, status="active"),
    ]


def variant(resources: list[dict[str, Any]], deceased: bool) -> list[dict[str, Any]]:
    """The fixture's resources, every patient with a Patient resource (deceased if asked) and
    two spine orders."""
    out = [dict(r) if isinstance(r, dict) else r for r in resources]
    pids = patients_in(out)
    present = {r.get("id") for r in out if isinstance(r, dict) and r["resourceType"] == "Patient"}
    out += [{"resourceType": "Patient", "id": p} for p in pids if p not in present]
    for r in out:
        if isinstance(r, dict) and r.get("resourceType") == "Patient" and deceased:
            r.pop("deceasedBoolean", None)
            r["deceasedDateTime"] = DIED
    for pid in pids:
        out += orders_for(pid)
    return out


# --- the cards ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
async def cds(tmp_path_factory):
    """The real CDS app in-process, computing at NOW as ``spinemets score --now NOW`` does. One
    for the module: starting it costs more than the calls of a test, and a call without auth
    leaves nothing behind that a later one reads (its audit line only)."""
    from adapter.cds import services

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "now_time", lambda: parse_time(NOW))
        async with client_for(Settings(state_dir=tmp_path_factory.mktemp("cds"))) as client:
            yield client


def _prefetch(resources: list[dict[str, Any]], pid: str) -> dict[str, Any]:
    patient = next(r for r in resources if r.get("resourceType") == "Patient" and r["id"] == pid)
    out: dict[str, Any] = {"patient": patient}
    for key, rtype in PREFETCH_TYPES.items():
        # As a client fills `{rtype}?patient={pid}`: this patient's resources only (a prefetch
        # about another patient is refused, docs/cds-hooks.md).
        found = [r for r in resources if r.get("resourceType") == rtype
                 and patient_of(r) in (pid, None)]  # fmt: skip
        out[key] = {"resourceType": "Bundle", "type": "searchset",
                    "entry": [{"resource": r} for r in found]}  # fmt: skip
    return out


async def _call(
    client: httpx.AsyncClient, service: str, body: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await client.post(f"/cds-services/{service}", json=body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    for card in cards:
        assert card.get("uuid"), card  # contract §4 v3: every card carries a uuid
        assert len(card["summary"]) < 140
        text = card["summary"] + "\n" + (card.get("detail") or "")
        assert not RESOURCE_ID.search(text), RESOURCE_ID.search(text)  # no resource ids
        assert not ISO_DATE.search(text), ISO_DATE.search(text)  # dates read "3 Dec 2026"
    return cards


_SINS_HEAD = re.compile(r"^\*\*SINS at (\S+): (\S+)\*\* \((.*)\)$")
# "Other levels" on the SINS card: each level's headline (adapter/decision/sins.py).
_SINS_OTHER = re.compile(
    r"^- SINS (?P<total>\S+) at (?P<level>[CTLS]\d{1,2})"
    r"(?: \((?:unconfirmed lesion|level from findings only)\))?(?: \(in remission\))?(?P<rest>.*)$"
)
_SINS_TREATED = re.compile(
    r"^- (?P<level>[CTLS]\d{1,2}) (?:before|fixed) .*?(?:: SINS (?P<total>\S+))?"
)
_SHORT = {b.short_label: b.label for b in SINS.bands}
ANY = "any band"
# Every neurology card ends with this caveat, whatever its indicator (adapter/cds/cards.py).
_NEUROLOGY_DETAIL = "SINS and the prognostic scores do not assess neurology or epidural compression"  # the card names the level's total but words its band otherwise (treated, dated)


def _other(line: str) -> tuple[str, tuple[str | None, str | None]] | None:
    if m := _SINS_OTHER.match(line):
        rest = m["rest"]
        if band := re.match(r"^ \(([^)]*)\)[:;]", rest):
            return m["level"], (m["total"], _SHORT.get(band[1], band[1]))
        if rest.startswith(": could be up to") or ": could be up to" in rest:
            return m["level"], (m["total"], None)
        return m["level"], (m["total"], ANY)  # dated ("on 20 May 2024 (dated)"), mechanical pain
    if m := _SINS_TREATED.match(line):
        return m["level"], (m["total"], ANY)
    return None


def _sins_card(detail: str) -> dict[str, tuple[str | None, str | None]]:
    lines = detail.splitlines()
    head = _SINS_HEAD.match(lines[0])
    assert head, lines[0]
    band = head[3]
    out = {head[1]: (head[2], ANY if band.startswith("as recorded before") else band_of(band))}
    if "**Other levels**" in lines:
        for line in lines[lines.index("**Other levels**") + 2 :]:
            if not line.startswith("- "):
                break
            if ": not scored (" in line or line.startswith("- SINS not assessed at "):
                continue
            other = _other(line)
            assert other, line
            out[other[0]] = other[1]
    return out


_LEVEL_HEAD = re.compile(r"^\*\*([CTLS]\d{1,2})\*\*$")


def _order_sins(detail: str) -> dict[str, str]:
    """The SINS line of each level an order card judges: the line under the level's heading."""
    lines = detail.splitlines()
    return {
        m[1]: lines[n + 2]
        for n, line in enumerate(lines[:-2])
        if (m := _LEVEL_HEAD.match(line)) and lines[n + 2].startswith(("SINS ", m[1]))
    }


def _patient_view_sins(card: dict[str, Any]) -> list[str]:
    """Each level's words on the patient-view SINS card: its summary, then the other levels."""
    lines = card["detail"].splitlines()
    out = [card["summary"].removesuffix("…").rstrip()]
    if "**Other levels**" in lines:
        for line in lines[lines.index("**Other levels**") + 2 :]:
            if not line.startswith("- "):
                break
            out.append(line[2:])
    return out


def _says_as_patient_view(order_sins: dict[str, str], shown: list[str]) -> None:
    """An order card words a level's SINS as the patient-view card does (contract §4 v3)."""
    for level, line in order_sins.items():
        assert any(line.startswith(words) for words in shown), (level, line, shown)


async def read_cards(
    client: httpx.AsyncClient, resources: list[dict[str, Any]], pid: str
) -> Reading:
    context = {"userId": "Practitioner/x", "patientId": pid}
    prefetch = _prefetch(resources, pid)
    view = {"hook": "patient-view", "hookInstance": HOOK, "context": context, "prefetch": prefetch}
    reading = Reading()
    shown: list[str] = []
    for card in await _call(client, "spinemets-scores", view):
        topic = (card["source"].get("topic") or {}).get("code")
        if topic == "sins":
            reading.sins = _sins_card(card["detail"])
            shown = _patient_view_sins(card)
        elif card["summary"].startswith("Suspected spinal cord compression") or (
            _NEUROLOGY_DETAIL in (card.get("detail") or "")
        ):  # a critical alert, or one that only needs review (info, warning: contract §5 v3)
            reading.neurology = (card["indicator"], card["summary"])
        elif "no score or recommendation is shown" in card["summary"]:
            found = re.match(r"Deceased (.+?): no score", card["summary"])
            reading.deceased = found[1] if found else ""
    drafts = draft_orders(*orders_for(pid))
    sign = {"hook": "order-sign", "hookInstance": HOOK, "prefetch": prefetch,
            "context": {**context, "draftOrders": drafts}}  # fmt: skip
    signed = await _call(client, "spinemets-procedure-check", sign)
    reading.orders = [(c["indicator"], c["summary"]) for c in signed]
    for c in signed:
        _says_as_patient_view(_order_sins(c["detail"]), shown)
    return reading


def run_cli(path: Path, tmp_path: Path, capsys) -> tuple[dict[str, str], Path]:
    assert cli.main(["score", str(path), "--format", "text", "--now", NOW]) == 0
    text = capsys.readouterr().out
    pages = tmp_path / "pages"
    pages.mkdir()
    args = ["score", str(path), "--format", "html", "--output", str(pages), "--now", NOW]
    assert cli.main(args) == 0
    capsys.readouterr()
    return text_sections(text), pages


# --- the comparison ------------------------------------------------------------------------------


PROGNOSTIC_LABELS = [
    band.label
    for spec in (
        TOMITA,
        TOKUHASHI_REVISED,
        TOKUHASHI_ORIGINAL,
        BAUER_MODIFIED,
        BAUER_ORIGINAL,
        LINDEN,
    )
    for band in spec.bands
]


def agree(cards: Reading, text: Reading, page: Reading, *, silent: bool) -> None:
    assert text == page, "the text report and the page disagree"
    assert cards.orders == text.orders, "an order's verdict differs between card and report"
    if silent:  # patient-view says nothing about a record without spinal disease
        assert text.neurology is None and not text.sins
        return
    assert cards.deceased == text.deceased
    if text.neurology is None:
        assert cards.neurology is None
    else:
        assert cards.neurology is not None and cards.neurology[0] == text.neurology[0]
        assert text.neurology[1].startswith(cards.neurology[1].rstrip("…"))
    if cards.deceased is None:
        assert set(cards.sins) <= set(text.sins), "the card names a level the report does not"
        for level, (total, band) in cards.sins.items():
            shown = text.sins[level]
            assert total is None or total == shown[0], f"SINS at {level} differs"
            assert band == ANY or band == shown[1], f"the SINS band at {level} differs"


@pytest.mark.parametrize("deceased", [False, True], ids=["alive", "deceased"])
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
async def test_cards_text_and_page_agree(path, deceased, cds, tmp_path, capsys):
    resources = variant(resources_of(path), deceased)
    source = tmp_path / "input.json"
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in resources]}  # fmt: skip
    source.write_text(json.dumps(bundle))
    texts, pages = run_cli(source, tmp_path, capsys)
    for pid in patients_in(resources):
        text = read_text(texts[pid])
        page = read_page((pages / f"{pid}.html").read_text())
        cards = await read_cards(cds, resources, pid)
        silent = cards == Reading(orders=cards.orders)
        agree(cards, text, page, silent=silent)
        assert len(text.orders) == 2  # both orders judged on every surface
        if deceased:
            assert text.deceased == "3 Dec 2024" and text.neurology is None
            assert all(o == ("warning", o[1]) and "check the patient's identity" in o[1]
                       for o in text.orders)  # fmt: skip
            # "No score, strategy or recommendation applies", then "Tomita: 10 — terminal care":
            # a prognostic band's label is itself a strategy or a survival, never shown then.
            shown = texts[pid] + unescape((pages / f"{pid}.html").read_text())
            assert not [label for label in PROGNOSTIC_LABELS if label in shown]
