"""The neurology card's deficits, contract v3 §4: an established deficit against a new or worse
one, after a decompression or radiotherapy, and the steroid prompt. The computation time and the
default patient are those of tests/unit/cds/test_neurology_card.py."""

from __future__ import annotations

from adapter.decision import STEROID_PROMPT, decide
from adapter.render.text import text_report
from tests.support.records import condition, default_patient, finding, medication, procedure
from tests.unit.cds.test_neurology_card import BILSKY, neurology, result_of, superseded

# --- established deficits, the steroid prompt (§4 v3) ----------------------------------------


def deficit(before, after=(), now="frankel-c", treatment="63003"):
    """Palsy grades before a decompression at T12 on 5 May 2024, after it, and on 30 May."""
    extra = [finding("before", "frankel-grade", before, when="2024-05-01T09:00:00Z")]
    extra += [
        finding(f"after-{i}", "frankel-grade", grade, when=f"2024-05-{10 + i}T09:00:00Z")
        for i, grade in enumerate(after)
    ]
    extra += [
        finding("frankel", "frankel-grade", now),
        procedure("surgery", treatment, "T12", when="2024-05-05T09:00:00Z"),
    ]
    return default_patient(drop=("frankel",), extra=tuple(extra))


def test_a_deficit_no_worse_than_before_a_decompression_is_established():
    card, alert, _ = neurology(deficit("frankel-c"))
    assert card is not None and card.indicator == "warning"
    assert card.summary == "established deficit (Frankel C since 1 May 2024) — new or worse?"
    assert alert is not None and alert.steroid is None


def test_a_deficit_no_worse_than_before_radiotherapy_is_established_too():
    card, _, _ = neurology(deficit("frankel-b", treatment="77373"))  # B before, C now: better
    assert card is not None and card.indicator == "warning"


def test_a_worse_deficit_is_critical_with_the_steroid_prompt():
    card, _, _ = neurology(deficit("frankel-d"))
    assert card is not None and card.indicator == "critical"
    assert "Frankel/AIS C" in card.summary
    assert STEROID_PROMPT in card.detail


def test_a_deficit_back_after_a_recovery_is_new():
    card, _, _ = neurology(deficit("frankel-c", after=("frankel-e",)))
    assert card is not None and card.indicator == "critical"


def test_an_active_corticosteroid_silences_the_steroid_prompt():
    resources = default_patient(
        drop=("frankel",),
        extra=(finding("frankel", "frankel-grade", "frankel-c"), medication("dex", "3264")),
    )
    card, alert, _ = neurology(resources)
    assert card is not None and card.indicator == "critical"
    assert alert is not None and alert.steroid is None
    assert "dexamethasone" not in card.detail


# --- a grade without a level (§4 v3) ---------------------------------------------------------


def test_a_grade_without_a_level_says_level_not_recorded():
    resources = default_patient(
        extra=(
            condition("met-t8", "C79.51", level="T8"),
            finding("mri", BILSKY, "bilsky-3"),
        )
    )
    card, _, result = neurology(resources)
    assert card is not None and card.indicator == "critical"
    assert "Bilsky 2–3, level not recorded" in card.summary
    assert "at T8" not in card.summary and "at T12" not in card.summary
    assert "Bilsky 3, level not recorded (30 May 2024)" in card.detail
    text = text_report(decide(result))
    assert (
        "ALERT [critical] Suspected spinal cord compression (Bilsky 2–3, level not recorded)"
        in text
    )


def test_the_text_report_shows_a_warning_without_the_mscc_action():
    result = result_of(superseded("2024-04-01", "2024-04-10"))
    text = text_report(decide(result))
    assert "ALERT [warning] Bilsky 3 at T12 before decompression on 10 Apr 2024" in text
    assert "MSCC" not in text


def test_a_deficit_with_no_grade_before_the_treatment_is_new():
    resources = default_patient(
        drop=("frankel",),
        extra=(
            finding("frankel", "frankel-grade", "frankel-c"),
            procedure("surgery", "63003", "T12", when="2024-04-10T09:00:00Z"),
        ),
    )
    card, _, _ = neurology(resources)
    assert card is not None and card.indicator == "critical"
    assert "Frankel C (30 May 2024)" in card.detail


def test_a_stopped_corticosteroid_leaves_the_steroid_prompt():
    resources = default_patient(
        drop=("frankel",),
        extra=(
            finding("frankel", "frankel-grade", "frankel-c"),
            medication("dex", "3264", status="stopped"),
        ),
    )
    _, alert, _ = neurology(resources)
    assert alert is not None and alert.steroid == STEROID_PROMPT
