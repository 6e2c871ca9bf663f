"""The neurology card for cord compression, cauda equina syndrome and paraplegia recorded as coded
diagnoses (ValueSets spinal-cord-compression and paraplegia-quadriplegia; contract §2, §4 v3):
what EHRs hold instead of a Bilsky or Frankel grade.

The default patient (T12, NOW = 1 Jun 2024 09:00) loses its Frankel and Bilsky findings unless a
case keeps them; each case adds the diagnoses as Conditions. CPT 63003 is a thoracic
decompression, CPT 77373 SBRT.
"""

from __future__ import annotations

import html

import pytest

from adapter.decision import NEUROLOGY_ACTION, STEROID_PROMPT, decide
from adapter.render.text import text_report
from tests.support.records import (
    SNOMED,
    clinical,
    condition,
    default_patient,
    finding,
    order,
    procedure,
)
from tests.unit.cds.test_neurology_card import neurology, result_of
from tests.unit.decision.test_wording import decisions_for, surfaces
from tests.unit.procedure.test_elsewhere import bilsky

NO_GRADES = ("frankel", "bilsky-t12")
ON_31_MAY = "2024-05-31"


def coded(*extra, drop=NO_GRADES):
    return default_patient(drop=drop, extra=tuple(extra))


def cord(cid="mscc", code="G95.20", **kw):
    return condition(cid, code, onset=kw.pop("onset", ON_31_MAY), **kw)


@pytest.mark.parametrize(
    ("resource", "reason", "item"),
    [
        (cord(), "Unspecified cord compression, level not recorded, coded 31 May 2024",
         "Unspecified cord compression, level not recorded (coded diagnosis, 31 May 2024)"),
        (cord(level="T8"), "Unspecified cord compression at T8, coded 31 May 2024",
         "Unspecified cord compression at T8 (coded diagnosis, 31 May 2024)"),
        (cord("ces", "G83.4"), "Cauda equina syndrome, level not recorded, coded 31 May 2024",
         "Cauda equina syndrome, level not recorded (coded diagnosis, 31 May 2024)"),
        (cord("ces", "192970008", system=SNOMED),
         "Cauda equina syndrome, level not recorded, coded 31 May 2024",
         "Cauda equina syndrome, level not recorded (coded diagnosis, 31 May 2024)"),
        (cord(code="71286001", system=SNOMED),
         "Spinal cord compression, level not recorded, coded 31 May 2024",
         "Spinal cord compression, level not recorded (coded diagnosis, 31 May 2024)"),
    ],
)  # fmt: skip
def test_a_coded_cord_compression_raises_the_critical_card(resource, reason, item):
    card, alert, _ = neurology(coded(resource))
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        f"Suspected spinal cord compression ({reason}): contact the MSCC / spinal team now"
    )
    assert NEUROLOGY_ACTION in card.detail
    assert (
        f"- critical: {item} — examine and record the Frankel/AIS and Bilsky grades" in card.detail
    )
    assert alert is not None and alert.steroid is None  # compression alone: as Bilsky 2–3


def test_a_coded_paraplegia_is_a_deficit_with_the_steroid_prompt():
    card, alert, _ = neurology(coded(cord("para", "G82.21")))
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        "Suspected spinal cord compression (Paraplegia, complete, coded 31 May 2024): contact "
        "the MSCC / spinal team now"
    )
    assert (
        "- critical: Paraplegia, complete (coded diagnosis, 31 May 2024) — a neurological "
        "deficit, Frankel/AIS grade not recorded: examine and record it" in card.detail
    )
    assert alert is not None and alert.steroid == STEROID_PROMPT


def test_a_coded_quadriplegia_is_a_deficit_too():
    card, _, _ = neurology(coded(cord("quad", "G82.53")))
    assert card is not None and card.indicator == "critical"
    assert "Quadriplegia, C5-C7 complete, coded 31 May 2024" in card.summary


def test_an_unconfirmed_coded_compression_is_said_unconfirmed():
    card, alert, _ = neurology(coded(cord(verification="provisional")))
    assert card is not None and card.indicator == "critical"
    assert alert is not None and alert.summary.startswith(
        "Suspected spinal cord compression (Unspecified cord compression, level not recorded, "
        "coded 31 May 2024, provisional — confirm)"
    )
    assert (
        "Unspecified cord compression, level not recorded (coded diagnosis, 31 May 2024, "
        "provisional — confirm)" in card.detail
    )


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"verification": "refuted"}, "verification status refuted"),
        ({"verification": "entered-in-error"}, "verification status entered-in-error"),
        (clinical("resolved"), "clinical status resolved"),
        (clinical("inactive"), "clinical status inactive"),
    ],
)  # fmt: skip
def test_a_refuted_or_resolved_coded_compression_raises_nothing_and_is_named(extra, said):
    resource = cord(**extra)
    card, alert, result = neurology(coded(resource))
    assert card is None and alert is None
    assert any(
        said in issue.diagnostics and "Unspecified cord compression" in issue.diagnostics
        for issue in result.issues
    )


def test_a_coded_compression_after_the_computation_time_is_not_used():
    card, alert, result = neurology(coded(cord(onset="2024-06-02")))
    assert card is None and alert is None
    assert any("after the computation time" in i.diagnostics for i in result.issues)


def test_a_later_bilsky_grade_at_its_level_supersedes_a_coded_compression():
    # Bilsky 0 at T12 on 30 May (the default patient's) after a compression coded at T12 on 20 May
    card, alert, _ = neurology(coded(cord(level="T12", onset="2024-05-20"), drop=()))
    assert card is None and alert is None


def test_a_later_frankel_grade_supersedes_a_coded_paraplegia():
    # Frankel E on 30 May (the default patient's) after paraplegia coded on 20 May
    card, alert, _ = neurology(coded(cord("para", "G82.21", onset="2024-05-20"), drop=()))
    assert card is None and alert is None


def test_a_coded_paraplegia_after_the_last_frankel_grade_still_speaks():
    card, _, _ = neurology(coded(cord("para", "G82.21"), drop=("bilsky-t12",)))
    assert card is not None and card.indicator == "critical"


def test_a_coded_compression_before_a_decompression_is_a_warning():
    surgery = procedure("surgery", "63003", "T12", when="2024-05-05T09:00:00Z")
    card, alert, _ = neurology(coded(cord(level="T12", onset="2024-05-01"), surgery))
    assert card is not None and card.indicator == "warning"
    assert card.summary == (
        "Unspecified cord compression at T12 (coded diagnosis, 1 May 2024) before decompression "
        "on 5 May 2024 — re-examine and re-image"
    )
    assert alert is not None and alert.steroid is None


def test_a_coded_paraplegia_before_radiotherapy_is_an_established_deficit():
    rt = procedure("rt", "77373", "T12", when="2024-05-05T09:00:00Z")
    card, _, _ = neurology(coded(cord("para", "G82.22", onset="2024-05-01"), rt))
    assert card is not None and card.indicator == "warning"
    assert card.summary == (
        "established deficit (Paraplegia, incomplete since 1 May 2024) — new or worse?"
    )


def test_the_text_report_leads_with_a_coded_cord_compression():
    result = result_of(coded(cord(), cord("para", "G82.21")))
    lines = text_report(decide(result)).splitlines()
    assert lines[1] == (
        "  ALERT [critical] Suspected spinal cord compression (Paraplegia, complete, coded 31 May "
        "2024; Unspecified cord compression, level not recorded, coded 31 May 2024): contact the "
        "MSCC / spinal team now"
    )
    assert lines[2] == f"    → {NEUROLOGY_ACTION}"
    assert lines[3] == f"    → {STEROID_PROMPT}"


def untimed(resource):
    return {k: v for k, v in resource.items() if k != "onsetDateTime"}


def test_a_coded_paraplegia_with_no_time_beside_a_timed_frankel_e_asks_to_confirm():
    card, alert, _ = neurology(coded(untimed(cord("para", "G82.21")), drop=("bilsky-t12",)))
    assert card is not None and card.indicator == "warning"
    assert card.summary == (
        "Paraplegia, complete (coded diagnosis) with no recorded time: confirm the current grade "
        "(Frankel grade: Frankel E: normal (30 May 2024))"
    )
    assert alert is not None and alert.steroid is None


def test_a_coded_compression_with_no_time_and_no_grade_is_critical():
    card, alert, _ = neurology(coded(untimed(cord())))
    assert card is not None and card.indicator == "critical"
    assert alert is not None and alert.summary == (
        "Suspected spinal cord compression (Unspecified cord compression, level not recorded, "
        "coded with no date): contact the MSCC / spinal team now"
    )


def test_a_coded_cord_compression_is_one_decision_on_every_surface():
    decisions = decisions_for(coded(cord(), cord("para", "G82.21")), (order("vp", "22510", "T12"),))
    alert = decisions.neurology
    assert alert is not None and alert.critical
    cards, _, text, page = surfaces(decisions)
    assert cards[0].indicator == "critical" and cards[0].summary.startswith("Suspected spinal")
    assert f"ALERT [critical] {alert.summary}" in text
    assert html.escape(alert.summary, quote=False) in page
    (sign,) = [c for c in cards if c.summary.startswith("Vertebroplasty")]
    assert sign.indicator == "critical"
    assert sign.summary.startswith("Vertebroplasty T12: Paraplegia, complete (coded 31 May 2024)")
    rows = {line[:4]: line for line in sign.detail.splitlines() if line.startswith("| ")}
    assert "**unmet**" in rows["| 4 "] and "**unmet**" in rows["| 8 "]
    assert "no Frankel grade or AIS recorded" not in sign.detail


def test_a_critical_summary_keeps_its_action_whatever_the_reasons_hold():
    # The summary is the line many EHRs show alone: what is cut is the list of reasons (all of
    # them in the detail), never "contact the MSCC / spinal team now".
    card, _, _ = neurology(coded(cord(), cord("para", "G82.21")))
    assert card is not None and card.indicator == "critical"
    assert len(card.summary) <= 139
    assert card.summary.startswith("Suspected spinal cord compression (Paraplegia, complete")
    assert card.summary.endswith("…): contact the MSCC / spinal team now")


# A diagnosis recorded with a date only and a grade or treatment timed that same day: which came
# first is not known, so the grade cannot settle the diagnosis nor the treatment establish it.
MORNING = "2024-05-31T08:00:00Z"
SAME_DAY = "no time of day): confirm the current grade"


def test_a_paraplegia_coded_the_day_of_a_timed_frankel_e_asks_to_confirm():
    frankel_e = finding("frankel", "frankel-grade", "frankel-e", when=MORNING)
    card, alert, _ = neurology(coded(frankel_e, cord("para", "G82.22")))
    assert card is not None and card.indicator == "warning"
    assert card.summary == (
        f"Paraplegia, incomplete (coded 31 May 2024, {SAME_DAY} (Frankel grade: "
        "Frankel E: normal (31 May 2024))"
    )
    assert alert is not None and alert.steroid is None


def test_a_compression_coded_the_day_of_a_timed_bilsky_0_at_its_level_asks_to_confirm():
    grade = bilsky("bilsky-t12", "bilsky-0", "T12", when=MORNING)
    card, _, _ = neurology(coded(grade, cord(level="T12")))
    assert card is not None and card.indicator == "warning"
    assert card.summary.startswith(
        f"Unspecified cord compression at T12 (coded 31 May 2024, {SAME_DAY} (Epidural"
    )


def test_a_compression_coded_the_day_of_a_decompression_stays_critical():
    surgery = procedure("surgery", "63003", "T12", when=MORNING)
    card, _, _ = neurology(coded(surgery, cord(level="T12")))
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        "Suspected spinal cord compression (Unspecified cord compression at T12, coded 31 May "
        "2024): contact the MSCC / spinal team now"
    )


# Radiotherapy codes are delivery codes for any site: only one at a spinal level can have treated
# the cord. A decompression is spinal by its code, wherever its bodySite.
def breast_radiotherapy(**site):
    rt = procedure("rt", "77412", when="2024-05-25T10:00:00Z")
    if site:
        rt["bodySite"] = [
            {"coding": [{"system": SNOMED, "code": "80248007"}], "text": "Left breast"}
        ]
    return rt


@pytest.mark.parametrize("rt", [breast_radiotherapy(breast=True), breast_radiotherapy()])
@pytest.mark.parametrize(
    ("diagnosis", "reason"),
    [
        (cord(onset="2024-05-20"),
         "Unspecified cord compression, level not recorded, coded 20 May 2024"),
        (cord("para", "G82.22", onset="2024-05-20"), "Paraplegia, incomplete, coded 20 May 2024"),
    ],
)  # fmt: skip
def test_radiotherapy_at_no_spinal_level_leaves_a_coded_diagnosis_critical(rt, diagnosis, reason):
    card, _, _ = neurology(coded(diagnosis, rt))
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        f"Suspected spinal cord compression ({reason}): contact the MSCC / spinal team now"
    )


def test_radiotherapy_at_no_spinal_level_leaves_a_frankel_deficit_critical():
    frankel_c = finding("frankel", "frankel-grade", "frankel-c", when="2024-05-30T09:00:00Z")
    before = finding("frankel-0", "frankel-grade", "frankel-c", when="2024-05-20T09:00:00Z")
    card, _, _ = neurology(coded(frankel_c, before, breast_radiotherapy(breast=True)))
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        "Suspected spinal cord compression (Frankel/AIS C): contact the MSCC / spinal team now"
    )


def test_a_decompression_with_no_level_still_follows_a_coded_compression_with_no_level():
    surgery = procedure("surgery", "63003", when="2024-05-25T10:00:00Z")
    card, _, _ = neurology(coded(cord(onset="2024-05-20"), surgery))
    assert card is not None and card.indicator == "warning"
    assert "(coded diagnosis, 20 May 2024) before decompression on 25 May 2024" in card.summary


@pytest.mark.parametrize(("code", "name"), [("G82.2", "Paraplegia"), ("G82.5", "Quadriplegia")])
def test_a_paralysis_coded_at_its_category_raises_the_critical_card(code, name):
    card, alert, _ = neurology(coded(cord("para", code)))
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        f"Suspected spinal cord compression ({name}, coded 31 May 2024): contact the MSCC / "
        "spinal team now"
    )
    assert alert is not None and alert.steroid == STEROID_PROMPT


def test_a_paraplegia_coded_long_ago_is_said_dated_as_a_frankel_grade_is():
    card, _, _ = neurology(coded(cord("para", "G82.21", onset="1994-03-01")))
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        "Suspected spinal cord compression (Paraplegia, complete, coded 1 Mar 1994, dated — "
        "re-examine): contact the MSCC / spinal team now"
    )
    assert (
        "- critical: Paraplegia, complete (coded diagnosis, 1 Mar 1994, dated: 11050 days "
        "before) — not known to be current: re-examine now and record the Frankel/AIS grade"
        in card.detail
    )


def test_a_compression_coded_long_ago_is_said_dated_as_a_bilsky_grade_is():
    # Critical still (contract §4 v3: dated evidence may raise an alarm), never said as current.
    card, alert, _ = neurology(coded(cord(onset="1994-03-01")))
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        "Suspected spinal cord compression (Unspecified cord compression, coded 1 Mar 1994, "
        "dated, level not…): contact the MSCC / spinal team now"
    )
    assert (
        "- critical: Unspecified cord compression, level not recorded (coded diagnosis, "
        "1 Mar 1994, dated: 11050 days before) — not known to be current: re-examine and "
        "re-image now, and record the Frankel/AIS and Bilsky grades" in card.detail
    )
    assert alert is not None and alert.reasons == (
        "Unspecified cord compression, coded 1 Mar 1994, dated, level not recorded — re-image",
    )
    assert alert.steroid is None  # compression alone: as a dated Bilsky 2–3


def test_a_compression_is_dated_by_the_bilsky_window_not_the_frankel_one():
    # 22 days old: within the 30-day Bilsky window (older than the 14-day Frankel/AIS one).
    card, _, _ = neurology(coded(cord(level="T8", onset="2024-05-10")))
    assert card is not None and card.summary == (
        "Suspected spinal cord compression (Unspecified cord compression at T8, coded 10 May "
        "2024): contact the MSCC / spinal team now"
    )
    # 47 days old: dated.
    card, _, _ = neurology(coded(cord(level="T8", onset="2024-04-15")))
    assert card is not None and card.indicator == "critical"
    assert card.summary == (
        "Suspected spinal cord compression (Unspecified cord compression at T8, coded 15 Apr "
        "2024, dated…): contact the MSCC / spinal team now"
    )
    assert (
        "- critical: Unspecified cord compression at T8 (coded diagnosis, 15 Apr 2024, dated: "
        "47 days before) — not known to be current: re-examine and re-image now, and record the "
        "Frankel/AIS and Bilsky grades" in card.detail
    )


def test_a_compression_coded_long_ago_with_its_recorded_date_only_is_dated_too():
    # No onset: the recordedDate is its clinical time (contract §2).
    old = cord(onset=None, recordedDate="2020-01-07")
    del old["onsetDateTime"]
    card, _, _ = neurology(coded(old))
    assert card is not None and "coded 7 Jan 2020, dated" in card.summary


def test_a_compression_coded_long_ago_with_a_frankel_e_since_stays_critical():
    # Dated evidence may raise an alarm, never settle one (contract §4 v3): a Frankel/AIS E since
    # (30 May) does not turn the card into a warning, nor does it when the E is itself old.
    card, _, _ = neurology(coded(cord(onset="1994-03-01"), drop=("bilsky-t12",)))
    assert card is not None and card.indicator == "critical"
    assert "dated: 11050 days before" in card.detail


def test_a_compression_recorded_yesterday_with_an_old_onset_is_not_said_dated():
    # Dated by when it was last asserted: onset is when the disease began, the recordedDate when
    # it was diagnosed (yesterday's MRI), so a fresh diagnosis is no old evidence.
    fresh = cord(level="T8", onset="2024-04-15", recordedDate=ON_31_MAY)
    card, _, _ = neurology(coded(fresh))
    assert card is not None and card.indicator == "critical"
    assert "dated" not in card.summary and "dated" not in card.detail


def test_a_compression_coded_in_a_month_is_dated_only_once_the_whole_month_is_old():
    # "2024-05" may be 31 May: not known to be older than the window at 1 Jun.
    card, _, _ = neurology(coded(cord(level="T8", onset="2024-05")))
    assert card is not None and card.indicator == "critical"
    assert "dated" not in card.summary and "dated" not in card.detail
    card, _, _ = neurology(coded(cord(level="T8", onset="2024-03")))  # all of March is old
    assert card is not None and "dated" in card.summary


def test_a_dated_compression_is_said_with_the_date_it_was_recorded_and_its_age_from_then():
    # Onset in 1994, diagnosed (recordedDate) 47 days before 1 Jun 2024: dated by the recordedDate
    # (older than the 30-day Bilsky window), and said so. "1 Mar 1994, dated: 11050 days before"
    # reads as a thirty-year-old history when it was asserted seven weeks ago.
    old = cord(level="T8", onset="1994-03-01", recordedDate="2024-04-15")
    card, alert, _ = neurology(coded(old))
    assert card is not None and card.indicator == "critical"
    assert (
        "- critical: Unspecified cord compression at T8 (coded diagnosis, onset 1 Mar 1994, "
        "recorded 15 Apr 2024, dated: 47 days before) — not known to be current: re-examine "
        "and re-image now, and record the Frankel/AIS and Bilsky grades" in card.detail
    )
    assert "11050" not in card.detail
    assert alert is not None and alert.reasons == (
        "Unspecified cord compression at T8, coded 15 Apr 2024, dated — re-image",
    )


def test_a_fresh_diagnosis_of_an_old_compression_names_both_dates():
    fresh = cord(level="T8", onset="2024-04-15", recordedDate=ON_31_MAY)
    card, alert, _ = neurology(coded(fresh))
    assert card is not None and card.indicator == "critical"
    assert (
        "Unspecified cord compression at T8 (coded diagnosis, onset 15 Apr 2024, recorded "
        "31 May 2024)" in card.detail
    )
    assert alert is not None and alert.reasons == (
        "Unspecified cord compression at T8, coded 31 May 2024",
    )
