"""The procedure-check card says a level's SINS and the prognosis as patient-view does (contract
§4 v3: one decision, every surface): dated, re-assess, in remission, not assessed.

The default patient (T12; NOW is 1 Jun 2024); OLD is 61 days before NOW, past the SINS (30 days)
and KPS (14 days) windows.
"""

from __future__ import annotations

from adapter.cds.cards import score_cards
from adapter.cds.procedure import order_cards
from tests.support.records import clinical, condition, default_patient, finding, order
from tests.unit.decision.test_wording import decisions_for

OLD = "2024-04-01T09:00:00Z"
SINS_14 = {
    "spinal-alignment": "de-novo-deformity",
    "vertebral-body-collapse": "gt-50",
    "posterolateral-involvement": "unilateral",
}


def _dated(resources, *ids):
    for r in resources:
        if r["id"].startswith("t12-") or r["id"] in ids:
            r["effectiveDateTime"] = OLD
    return resources


def _cards(resources, *orders):
    decisions = decisions_for(resources, orders)
    return score_cards(decisions, "h"), order_cards(decisions, "h")


def _line(detail: str, start: str) -> str:
    return next(line for line in detail.splitlines() if line.startswith(start))


def test_an_unstable_total_on_dated_findings_reads_re_assess_as_on_patient_view():
    resources = _dated(default_patient(sins=SINS_14))
    scores, (card,) = _cards(
        resources, order("f", "22842", "T11", "T12", "L1", reasons=("met-t12",))
    )
    sins = next(c for c in scores if c.source.topic and c.source.topic.code == "sins")
    assert sins.summary == "SINS 14 at T12 on 1 Apr 2024 (dated) — re-assess"
    detail = card.detail or ""
    assert "SINS 14 at T12 on 1 Apr 2024 (dated) — re-assess" in detail.splitlines()
    assert "(unstable)" not in detail


def test_a_band_and_a_prognosis_resting_on_dated_inputs_say_so_on_the_order_card():
    resources = _dated(default_patient(), "kps")
    _, (card,) = _cards(resources, order("v", "22510", "T12"))
    detail = card.detail or ""
    assert (
        "SINS 10 at T12 (potentially unstable): surgical consultation recommended; rests on "
        "dated pain, lesion quality, alignment, collapse, posterolateral involvement"
    ) in detail.splitlines()
    assert _line(detail, "Prognosis") == (
        "Prognosis, as information for the decision (not a criterion): Tomita: 5 — middle-term "
        "local control; Revised Tokuhashi (2005): 10 — predicted survival ≥ 6 months (band rests "
        "on dated KPS); the case series' patients had revised Tokuhashi 6–13."
    )


def test_a_metastasis_in_remission_is_marked_on_the_order_card():
    remitted = condition("met-t12", "C79.51", level="T12", **clinical("remission"))
    _, (card,) = _cards(
        default_patient(drop=("met-t12",), extra=(remitted,)), order("v", "22510", "T12")
    )
    detail = card.detail or ""
    assert (
        "SINS 10 at T12 (in remission) (potentially unstable): surgical consultation recommended"
    ) in detail.splitlines()
    assert _line(detail, "| 2 ") == (
        "| 2 | A tumour at the level | **met** | lesion at T12 (Secondary malignant neoplasm of "
        "bone) (1 May 2024) (in remission) |  |"
    )


def test_a_level_with_no_sins_finding_reads_not_assessed_not_a_range():
    extra = (
        condition("met-t8", "C79.51", level="T8"),
        finding("b8", "epidural-spinal-cord-compression", "bilsky-0", level="T8"),
    )
    scores, (card,) = _cards(default_patient(extra=extra), order("v", "22510", "T8"))
    sins = next(c for c in scores if c.source.topic and c.source.topic.code == "sins")
    assert "- SINS not assessed at T8" in (sins.detail or "").splitlines()
    lines = (card.detail or "").splitlines()
    # the line under the level's heading, where a range "SINS at T8: 1–16" stood
    assert lines[lines.index("**T8**") + 2] == "SINS not assessed at T8"
    assert not any(line.startswith("SINS at T8") for line in lines)
