"""How the cross-surface test (tests/unit/test_surfaces.py) reads the text report and the page:
each surface's output parsed into one :class:`Reading`, compared with the others there."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

NOT_SETTLED = "category not settled"


@dataclass
class Reading:
    """What one surface says about one patient."""

    deceased: str | None = None  # the day as shown, "" without a date
    neurology: tuple[str, str] | None = None  # (indicator, summary)
    orders: list[tuple[str, str]] = field(default_factory=list)  # (indicator, summary), in order
    # level → (total, band); a card's total is None where it says "SINS not applicable", its band
    # ANY where it words the band otherwise
    sins: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def band_of(label: str) -> str | None:
    return None if label.startswith(NOT_SETTLED) else label


# --- the text report and the page ---------------------------------------------------------------

_ORDER_LINE = re.compile(r"^  ORDER \S+ \[(\w+)\] (.*)$")
_ALERT_LINE = re.compile(r"^  ALERT \[(\w+)\] (.*)$")
_DECEASED_LINE = re.compile(r"^  DECEASED \((.*?)\): ")
_SINS_LINE = re.compile(r"^  SINS (\S+): (\S+) — (.*?)(?: \(band rests on dated .*\))?$")


def read_text(section: str) -> Reading:
    reading = Reading()
    for line in section.splitlines():
        if m := _DECEASED_LINE.match(line):
            reading.deceased = "" if m[1] == "date not recorded" else m[1]
        elif m := _ALERT_LINE.match(line):
            reading.neurology = (m[1], m[2])
        elif m := _ORDER_LINE.match(line):
            reading.orders.append((m[1], _as_on_the_card(m[2])))
        elif m := _SINS_LINE.match(line):
            reading.sins[m[1]] = (m[2], band_of(m[3]))
    return reading


def text_sections(text: str) -> dict[str, str]:
    parts = re.split(r"^Patient (\S+)\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


_PAGE_DECEASED = re.compile(r'data-deceased="([^"]*)"')
_PAGE_ALERT = re.compile(r'data-neurology="(\w+)"><h2>(.*?)</h2>')
_PAGE_ORDER = re.compile(
    r'<li data-order="[^"]*" data-verdict="(\w+)"><span[^>]*>\w+</span> (.*?)'
    r'(?:<ul class="order-items">|</li>)'  # the line, then what the card would add to it
)
_PAGE_SINS = re.compile(
    r'<span data-score="sins-([^"]+)">([^<]*)</span> <span class="[^"]*" data-band="[^"]*">([^<]*)</span>'
)


def listed(line: str) -> str:
    """An order's line as the report and the page say it, above the list of what it leaves out."""
    return re.sub(r"; \+(\d+) more in the card$", r"; +\1 more; the full list below", line)


def _as_on_the_card(line: str) -> str:
    """An order's line as the card says it: the report and the page, which list beneath it what
    it leaves out, say "+2 more; the full list below" where the card says "+2 more in the card" (and never
    point to a card they do not hold)."""
    assert " more in the card" not in line, f"a card named where there is none: {line}"
    return re.sub(r"; \+(\d+) more; the full list below$", r"; +\1 more in the card", line)


def read_page(html: str) -> Reading:
    reading = Reading()
    if m := _PAGE_DECEASED.search(html):
        reading.deceased = unescape(m[1])
    if m := _PAGE_ALERT.search(html):
        reading.neurology = (m[1], unescape(m[2]))
    reading.orders = [(m[1], _as_on_the_card(unescape(m[2]))) for m in _PAGE_ORDER.finditer(html)]
    for m in _PAGE_SINS.finditer(html):
        reading.sins[unescape(m[1])] = (unescape(m[2]), band_of(unescape(m[3])))
    return reading
