"""The contract v3 fixtures (fixtures/v3/, issue 19): loading them, moving their dates for a real
server, and checking a surface's output against the hand-written expectation
(fixtures/expected/v3/<case>.expected.json, written by fixtures/cases/v3_a.py and v3_b.py)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
V3 = ROOT / "fixtures" / "v3"
EXPECTED = ROOT / "fixtures" / "expected" / "v3"
LOCAL_MAP = V3 / "cds" / "local-procedure-map.json"
NOW = "2025-01-01T00:00:00Z"
CASES = sorted(p.stem for p in V3.glob("*.json"))
_TEMPLATE = re.compile(r"\{([dD]):(\d{4}-\d{2}-\d{2})\}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

Json = dict[str, Any]


def expected(name: str, days: int = 0) -> Json:
    """The expectation with its dates moved by ``days`` and written as the surfaces write them."""
    text = (EXPECTED / f"{name}.expected.json").read_text()

    def render(m: re.Match[str]) -> str:
        day = date.fromisoformat(m[2]) + timedelta(days=days)
        short = f"{day.day} {day:%b}"
        return short if m[1] == "d" else f"{short} {day.year}"

    return json.loads(_TEMPLATE.sub(render, text))


def resources(name: str) -> list[Json]:
    return [e["resource"] for e in json.loads((V3 / f"{name}.json").read_text())["entry"]]


def requests(name: str) -> Json:
    return json.loads((V3 / "cds" / f"{name}.json").read_text())


def orders(name: str) -> list[Json]:
    sign = requests(name).get("order-sign")
    return [e["resource"] for e in sign["context"]["draftOrders"]["entry"]] if sign else []


def shifted(value: Any, days: int) -> Any:
    """Every date and dateTime in ``value`` moved by whole ``days`` (so "30 Dec" stays one day)."""
    if isinstance(value, dict):
        return {k: shifted(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [shifted(v, days) for v in value]
    if isinstance(value, str) and _DATE.match(value):
        try:
            if len(value) == 10:
                return (date.fromisoformat(value) + timedelta(days=days)).isoformat()
            moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + timedelta(days=days)
            return moved.isoformat().replace("+00:00", "Z")
        except ValueError:
            return value
    return value


def _find(cards: list[Json], want: Json) -> Json:
    for card in cards:
        topic = (card.get("source", {}).get("topic") or {}).get("code")
        if "topic" in want and topic == want["topic"]:
            return card
        if "topic" not in want and want["match"] in card["summary"]:
            return card
    summaries = [c["summary"] for c in cards]
    raise AssertionError(f"no card {want.get('topic') or want['match']!r} among {summaries}")


def check_cards(cards: list[Json], want: Json, where: str) -> None:
    """One hook's cards against its expectation."""
    if "count" in want:
        assert len(cards) == want["count"], (where, [c["summary"] for c in cards])
    for card in cards:
        whole = card["summary"] + "\n" + (card.get("detail") or "")
        assert card["indicator"] not in want.get("never", []), (where, card["summary"])
        for text in want.get("lacks", []):
            assert text not in whole, (where, text, card["summary"])
    for item in want["cards"]:
        card = _find(cards, item)
        whole = card["summary"] + "\n" + (card.get("detail") or "")
        label = (where, item.get("topic") or item["match"])
        if "indicator" in item:
            assert card["indicator"] == item["indicator"], (
                *label,
                card["indicator"],
                card["summary"],
            )
        if "starts" in item:
            assert card["summary"].startswith(item["starts"]), (*label, card["summary"])
        for text in item.get("summary_has", []):
            assert text in card["summary"], (*label, text, card["summary"])
        for text in item.get("summary_lacks", []):
            assert text not in card["summary"], (*label, text, card["summary"])
        for text in item.get("has", []):
            assert text in whole, (*label, text, whole)
        for text in item.get("lacks", []):
            assert text not in whole, (*label, text, whole)


def check_lines(output: str, want: Json, where: str) -> None:
    """The text report's section or the page (unescaped) holds and leaves out what is expected."""
    for text in want.get("has", []):
        assert text in output, (where, text)
    for text in want.get("lacks", []):
        assert text not in output, (where, text)


def page_text(html: str) -> str:
    return unescape(html)
