"""What a corrected response withdraws (contract §2, §7): an ``amended`` response no longer says
what it left without an answer, and a response ``entered-in-error`` says nothing at all, so the
Observations an earlier extraction of it wrote must stop counting.

They are found by the identifier extraction gave them (the response and the item, so the
response needs its id) and marked ``entered-in-error`` by a conditional update: FHIR keeps the
record of what was said, and no reader counts it. A question left without an answer that was
never extracted gets such an entered-in-error placeholder too; it counts nowhere. An answer kept
as prefilled (still marked) is not withdrawn: it repeats a finding the record holds. A level
group the corrected response dropped altogether is not named in it and so not retracted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapter.vocabulary.forms import LEVEL_GROUP, LEVEL_ITEM, FormSpec

__all__ = ["WITHDRAWN", "withdrawn"]

WITHDRAWN = "entered-in-error"  # a response status that withdraws all it said


def _answered(item: dict[str, Any]) -> bool:
    return bool(item.get("answer"))


def _level(children: list[dict[str, Any]]) -> str | None:
    for child in children:
        if child["linkId"] == LEVEL_ITEM and _answered(child):
            code = child["answer"][0].get("valueCoding", {}).get("code")
            return code if isinstance(code, str) else None
    return None


def withdrawn(response: dict[str, Any], form: FormSpec) -> Iterator[tuple[str | None, str]]:
    """(level, finding) of every question a corrected response no longer answers; nothing for a
    response that corrects nothing (completed, in progress). The response is checked already."""
    status = response.get("status")
    if status not in ("amended", WITHDRAWN):
        return
    everything = status == WITHDRAWN
    items: list[dict[str, Any]] = response.get("item") or []
    top = {i["linkId"]: i for i in items}
    for finding in form.whole:
        if everything or not _answered(top.get(finding, {})):
            yield None, finding
    for group in (i for i in items if i["linkId"] == LEVEL_GROUP):
        children: list[dict[str, Any]] = group.get("item") or []
        level = _level(children)
        if level is None:
            continue
        asked = {c["linkId"]: c for c in children}
        for finding in form.per_level:
            if everything or not _answered(asked.get(finding, {})):
                yield level, finding
