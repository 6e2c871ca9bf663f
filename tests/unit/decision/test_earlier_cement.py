"""Cement alone given more than once at a level: the level is read against the latest cement,
and cement alone given earlier at a level certainly unstable before it must not be lost to it
(contract §6 v3: cement alone at an unstable level stays a warning)."""

from __future__ import annotations

import html
import re

import pytest

from tests.support.records import (
    SINS_AT_T12,
    condition,
    default_patient,
    finding,
    order,
    procedure,
)
from tests.unit.decision.test_sins import result_of
from tests.unit.decision.test_wording import decisions_for, surfaces

STABLE = {"spinal-pain": "pain-free", "bone-lesion-quality": "blastic",
          "vertebral-body-collapse": "none"}  # fmt: skip
HIGH = {"spinal-alignment": "subluxation", "vertebral-body-collapse": "gt-50",
        "bone-lesion-quality": "lytic", "spinal-pain": "mechanical"}  # fmt: skip  # SINS 14
FIRST = procedure("vp1", "22511", "L3", when="2024-05-20T10:00:00Z")


def _l3(when: str, tag: str, answers: dict[str, str]) -> tuple[dict, ...]:
    return tuple(
        finding(f"l3-{tag}-{code}", code, answer, level="L3", when=when)
        for code, answer in {**SINS_AT_T12, **answers}.items()
    )


def _patient(*extra: dict, before: dict[str, str] = HIGH) -> list[dict]:
    """L3: its findings on 19 May (SINS 14 by default), cement alone on 20 May, stable findings
    on 25 May, and what ``extra`` adds (a second cement, findings after it)."""
    return default_patient(
        sins=STABLE,
        extra=(
            condition("met-l3", "C79.51", level="L3"),
            FIRST,
            *_l3("2024-05-19T09:00:00Z", "b", before),
            *_l3("2024-05-25T12:00:00Z", "m", STABLE),
            *extra,
        ),
    )


SECOND = procedure("vp2", "22511", "L3", when="2024-05-31T10:00:00Z")
SECOND_BY_DAY = procedure("vp2", "22511", "L3", when="2024-05-31")
AFTER_SECOND = _l3("2024-05-31T12:00:00Z", "a", STABLE)

CASES = {
    "all findings before the second cement": (SECOND,),
    "re-imaged after the second cement": (SECOND, *AFTER_SECOND),
    "re-imaged the second cement's day": (SECOND_BY_DAY, *AFTER_SECOND),
}
LINE = (
    "L3 SINS 14 before cement on 20 May 2024: unstable before cement alone; no fixation "
    "recorded — consider surgical review"
)
SAID = (
    "SINS 14 at L3 before the vertebroplasty on 20 May 2024: unstable before cement alone; no "
    "fixation recorded — consider surgical review."
)


@pytest.mark.parametrize("extra", CASES.values(), ids=CASES.keys())
def test_cement_alone_at_an_unstable_level_stays_a_warning_after_a_second_cement(extra):
    # With one cement the card warned; a second cement there made it "L3 before vertebroplasty
    # on 31 May 2024: SINS 2" (info), and the RiskAssessment "no surgical consultation needed".
    resources = _patient(*extra)
    cards, card_text, text, page = surfaces(decisions_for(resources))
    assert cards[0].indicator == "warning", cards[0].summary
    assert LINE in card_text, card_text
    assert SAID in result_of(resources).sins_risk.resource["mitigation"]
    flat = " ".join(text.split())
    assert "Before the vertebroplasty on 20 May 2024: SINS 14. Unstable before cement alone" in (
        flat
    ), text
    assert "no surgical consultation needed" not in flat.split("SINS L3")[1].split("SINS")[0]
    label = html.unescape(re.search(r'aria-label="(Spine from[^"]*)"', page)[1])
    assert "unstable with cement alone" in label, label


@pytest.mark.parametrize("extra", CASES.values(), ids=CASES.keys())
def test_an_order_for_more_cement_names_the_earlier_cement_at_an_unstable_level(extra):
    resources = _patient(*extra)
    cards, _, _, _ = surfaces(decisions_for(resources, [order("o1", "22511", "L3")]))
    (check,) = [c for c in cards if c.summary.startswith("Vertebroplasty L3")]
    assert check.indicator == "warning"
    assert "Cement alone at L3 (SINS 14 before the vertebroplasty on 20 May 2024, unstable)" in (
        check.detail or ""
    ), check.detail


@pytest.mark.parametrize("extra", CASES.values(), ids=CASES.keys())
def test_two_cements_at_a_level_stable_before_both_warn_of_nothing(extra):
    resources = _patient(*extra, before=STABLE)
    _, card_text, text, _ = surfaces(decisions_for(resources))
    assert "unstable before cement alone" not in card_text + text
    assert "20 May 2024: SINS" not in card_text + text


def test_the_order_checks_level_line_keeps_the_earlier_cements_picture_apart_from_the_latest():
    # "L3 SINS 14 before cement on 20 May 2024: … — from the findings after the vertebroplasty
    # on 31 May 2024": SINS 14 is from before 20 May, not from after 31 May.
    resources = _patient(SECOND, *AFTER_SECOND)
    cards, _, _, _ = surfaces(decisions_for(resources, [order("o1", "22511", "L3")]))
    (check,) = [c for c in cards if c.summary.startswith("Vertebroplasty L3")]
    line = next(ln for ln in (check.detail or "").splitlines() if ln.startswith(LINE))
    assert "— from the findings after" not in line, line
    assert line.endswith("; SINS 2 from the findings after the vertebroplasty on 31 May 2024"), line
