"""A finding recorded with a date or a month alone is not known to be before a timed finding of
that day or month (contract §2: findings of equal time that disagree make a range, and the output
names the conflict). Compared at the coarser precision of the two, as the coded diagnoses are:
a date-only Bilsky 3 beside a Bilsky 0 timed 09:00 that day may be the current grade.

The default patient has, on 30 May 2024 at 09:00, Frankel E, Bilsky 0 at T12, INR 1.1 and
platelets 200; the order is a vertebroplasty at T12.
"""

from __future__ import annotations

import re

import pytest

from adapter.cds.cards import score_cards
from adapter.decision import decide
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from tests.support.records import NOW, condition, default_patient, finding, measurement, procedure
from tests.unit.procedure.test_check import single

BILSKY = "epidural-spinal-cord-compression"
SAME_DAY, SAME_MONTH, DAY_BEFORE = "2024-05-30", "2024-05", "2024-05-29"


def criterion(checked, number, level="T12"):
    lv = next(lv for lv in checked.levels if lv.level == level)
    return next(c for c in lv.criteria if c.number == number)


def said(c) -> str:
    return f"{c.finding} {c.basis}"


def names_bilsky_3(text: str) -> bool:
    """ "Bilsky 3", or the grades that disagree, "Bilsky 0/3"."""
    return re.search(r"Bilsky [0-3abc/]*3\b", text) is not None


@pytest.mark.parametrize("when", [SAME_DAY, SAME_MONTH])
def test_a_bilsky_3_of_the_timed_bilsky_0s_day_or_month_is_never_outranked_by_it(when):
    mri = finding("mri", BILSKY, "bilsky-3", level="T12", when=when)
    checked = single(default_patient(extra=(mri,)), "T12")
    five = criterion(checked, 5)
    assert five.status != "met" and checked.indicator != "info"
    assert names_bilsky_3(said(five))


@pytest.mark.parametrize("when", [SAME_DAY, SAME_MONTH])
def test_a_frankel_c_of_the_timed_frankel_es_day_or_month_is_never_outranked_by_it(when):
    exam = finding("exam", "frankel-grade", "frankel-c", when=when)
    checked = single(default_patient(extra=(exam,)), "T12")
    four = criterion(checked, 4)
    assert four.status != "met" and checked.indicator != "info"
    assert "Frankel C" in said(four)


def test_a_bilsky_3_elsewhere_of_the_timed_grades_day_is_never_outranked_by_it():
    grades = (
        condition("met-t6", "C79.51", level="T6"),
        finding("b6", BILSKY, "bilsky-0", level="T6"),
        finding("b6-mri", BILSKY, "bilsky-3", level="T6", when=SAME_DAY),
    )
    checked = single(default_patient(extra=grades), "T12")
    eight = criterion(checked, 8)
    assert eight.status != "met" and checked.indicator != "info"
    assert names_bilsky_3(said(eight))


def test_an_inr_of_the_timed_inrs_day_is_never_outranked_by_it():
    lab = measurement("inr-outside", "6301-6", 2.5, when=SAME_DAY)
    checked = single(default_patient(extra=(lab,)), "T12")
    seven = criterion(checked, 7)
    assert seven.status != "met" and checked.indicator != "info"
    assert "INR 2.5" in said(seven)


def test_a_grade_of_an_earlier_day_is_still_outranked_by_a_timed_one():
    # Certainly older: 28 May ends, in every zone, before 30 May 09:00 UTC. The timed Bilsky 0
    # is the grade. (29 May may still be 29 May in Hawaii at 30 May 09:00 UTC: not certainly.)
    mri = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-05-28")
    checked = single(default_patient(extra=(mri,)), "T12")
    assert criterion(checked, 5).status == "met" and checked.indicator == "info"
    mri = finding("mri", BILSKY, "bilsky-3", level="T12", when=DAY_BEFORE)
    assert criterion(single(default_patient(extra=(mri,)), "T12"), 5).status != "met"


def _result(resources, now=NOW):
    data = patient_records(resources, "p")
    assert data is not None
    return score_patient(data, default_terminology(), now=parse_time(now))


def test_the_neurology_card_names_a_bilsky_3_of_the_timed_bilsky_0s_day():
    result = _result(default_patient(extra=(finding("mri", BILSKY, "bilsky-3", level="T12",
                                                    when=SAME_DAY),)))  # fmt: skip
    cards = score_cards(decide(result), "hook")
    (alarm,) = [c for c in cards if "cord compression" in c.summary]
    assert alarm.indicator == "critical" and "Bilsky 2–3 at T12" in alarm.summary


def test_a_subluxation_of_the_timed_normal_alignments_day_keeps_the_level_possibly_unstable():
    # SINS 10 with normal alignment; subluxation (4 points) would make it 14, unstable.
    result = _result(default_patient(extra=(
        finding("t12-align-mri", "spinal-alignment", "subluxation", level="T12", when=SAME_DAY),
    )))  # fmt: skip
    (level,) = result.levels
    assert (level.result.total.low, level.result.total.high) == (10, 14)
    conflict = " ".join(level.observation.resource["note"][i]["text"]
                        for i in range(len(level.observation.resource["note"])))  # fmt: skip
    assert "subluxation" in conflict.lower()


def test_a_preliminary_bilsky_3_of_the_final_grades_day_is_never_replaced_by_it():
    # A preliminary report dated 30 May alone is not known to be older than the final Bilsky 0
    # timed 09:00 that day: its alarm stands, as one with no recorded time does.
    mri = finding("mri", BILSKY, "bilsky-3", level="T12", when=SAME_DAY) | {"status": "preliminary"}
    checked = single(default_patient(extra=(mri,)), "T12")
    five = criterion(checked, 5)
    assert five.status != "met" and checked.indicator != "info"
    assert "preliminary" in said(five)


def test_an_unreadable_count_of_the_good_ones_day_makes_that_part_unknown():
    bad = measurement("plt-bad", "777-3", 200, "g", when=SAME_DAY)
    checked = single(default_patient(extra=(bad,)), "T12")
    seven = criterion(checked, 7)
    assert seven.status == "unknown"
    assert "platelets 30 May 2024: unit 'g' not understood" in seven.basis


# --- the review of the first fix: one time per chosen grade, same-value copies, zones, midnight,
# tie rules, wording ---------------------------------------------------------------------------

POST_OP = "2024-05-30T09:00:00Z"


@pytest.mark.parametrize("first", [True, False])
def test_a_month_only_grade_never_moves_a_current_grade_before_its_decompression(first):
    # Decompressed on 20 May; a timed Bilsky 3 on 30 May is current compression, whatever the
    # order of the records and whatever a May 2024 report beside it says.
    surgery = procedure("dec", "63003", "T12", when="2024-05-20T10:00:00Z")
    post = finding("mri-post", BILSKY, "bilsky-3", level="T12", when=POST_OP)
    pre = finding("mri-pre", BILSKY, "bilsky-2", level="T12", when=SAME_MONTH)
    extra = (surgery, pre, post) if first else (surgery, post, pre)
    resources = default_patient(drop=("bilsky-t12",), extra=extra)
    checked = single(resources, "T12")
    assert criterion(checked, 5).status == "unmet"
    cards = score_cards(decide(_result(resources)), "hook")
    (alarm,) = [c for c in cards if "cord compression" in c.summary]
    assert alarm.indicator == "critical"


def test_a_month_only_copy_of_a_fresh_finding_never_makes_it_dated():
    copies = (
        finding("t12-align-ct", "spinal-alignment", "subluxation", level="T12"),
        finding("t12-align-old", "spinal-alignment", "subluxation", level="T12", when=SAME_MONTH),
        measurement("inr-copy", "6301-6", 1.1, when=SAME_MONTH),
    )
    resources = default_patient(drop=("t12-spinal-alignment",), extra=copies)
    (level,) = _result(resources).levels
    assert (level.result.total.low, level.result.total.high) == (14, 14)
    assert criterion(single(resources, "T12"), 7).status == "met"
    sins = [c for c in score_cards(decide(_result(resources)), "hook") if "SINS" in c.summary]
    assert sins and all("dated" not in c.summary for c in sins)


@pytest.mark.parametrize(
    ("timed", "timed_grade", "dated_grade"),
    [
        ("2024-05-30T20:00:00-05:00", "bilsky-0", "bilsky-3"),  # a Chicago evening report
        ("2024-05-30T08:00:00+09:00", "bilsky-3", "bilsky-0"),  # a Tokyo morning report
        # The same written in UTC: any site's, whose day runs from UTC+14 to UTC-12.
        ("2024-05-31T01:00:00Z", "bilsky-0", "bilsky-3"),  # 30 May 20:00 in Chicago
        ("2024-05-29T23:00:00Z", "bilsky-3", "bilsky-0"),  # 30 May 08:00 in Tokyo
    ],
)
def test_a_date_alone_is_compared_with_the_local_day_a_time_was_written_in(
    timed, timed_grade, dated_grade
):
    grades = (
        finding("mri-timed", BILSKY, timed_grade, level="T12", when=timed),
        finding("mri-dated", BILSKY, dated_grade, level="T12", when=SAME_DAY),
    )
    checked = single(default_patient(drop=("bilsky-t12",), extra=grades), "T12")
    assert criterion(checked, 5).status != "met" and checked.indicator != "info"


@pytest.mark.parametrize("final_code", [BILSKY, "frankel-grade"])
def test_a_final_grade_at_midnight_never_replaces_a_preliminary_one_of_its_day(final_code):
    normal, alarm, drop = (
        ("bilsky-0", "bilsky-3", "bilsky-t12")
        if final_code == BILSKY
        else ("frankel-e", "frankel-c", "frankel")
    )
    where = {"level": "T12"} if final_code == BILSKY else {}
    final = finding("final", final_code, normal, when="2024-05-30T00:00:00Z", **where)
    early = finding("early", final_code, alarm, when=SAME_DAY, **where) | {"status": "preliminary"}
    checked = single(default_patient(drop=(drop,), extra=(final, early)), "T12")
    assert checked.indicator != "info"


def test_a_date_only_karnofsky_never_outranks_a_timed_ecog_of_its_day():
    # KPS wins a tie of equal times (contract §2); a day alone is no such tie: both count.
    status = (
        measurement("kps", "89243-0", 90, when=SAME_DAY),
        measurement("ecog", "89247-1", 3),
    )
    result = _result(default_patient(drop=("kps",), extra=status))
    tokuhashi = next(s for s in result.scores if s.result.spec.code == "tokuhashi-revised")
    assert tokuhashi.result.total.low < tokuhashi.result.total.high


def test_the_conflict_names_each_finding_by_its_own_readable_date():
    result = _result(default_patient(extra=(
        finding("t12-align-old", "spinal-alignment", "subluxation", level="T12", when=SAME_MONTH),
    )))  # fmt: skip
    (level,) = result.levels
    (conflict,) = [
        n["text"] for n in level.observation.resource["note"] if n["text"].startswith("Conflicting")
    ]
    assert "2024-05)" not in conflict and "subluxation (Observation/t12-align-old, May 2024)" in (
        conflict
    )
    assert "normal (Observation/t12-spinal-alignment, 30 May 2024 09:00)" in conflict


def test_a_day_alone_and_a_time_within_it_are_never_said_recorded_together():
    grades = (
        finding("fr", "frankel-grade", "frankel-e", when=SAME_DAY),
        finding("ais", "asia-impairment-scale", "ais-c"),
    )
    result = _result(default_patient(drop=("frankel",), extra=grades))
    cards = score_cards(decide(result), "hook")
    (alarm,) = [c for c in cards if "cord compression" in c.summary]
    assert alarm.indicator == "critical"
    assert "recorded with" not in alarm.summary
    assert "recorded together" not in (alarm.detail or "")


# --- the second review: a year-only grade's own day, the local clock ---------------------------


def test_a_grade_of_another_day_is_never_said_with_the_latest_grades_day():
    # A Frankel C recorded in 2024 alone beside a Frankel E of 30 May 09:00: the alarm must not
    # read "Frankel C (30 May 2024)", a day the C was never given.
    exam = finding("exam-old", "frankel-grade", "frankel-c", when="2024")
    result = _result(default_patient(extra=(exam,)))
    cards = score_cards(decide(result), "hook")
    (alarm,) = [c for c in cards if "cord compression" in c.summary]
    assert alarm.indicator == "critical"
    assert "Frankel C (30 May 2024)" not in (alarm.detail or "")
    assert "not known which is later" in (alarm.detail or "")


def test_a_time_written_in_its_zone_is_said_on_the_day_it_was_written():
    from adapter.fhir.read.timing import when_said

    assert when_said(parse_time("2024-05-30T20:00:00-05:00")) == "30 May 2024 20:00"


def test_a_grade_dated_by_the_day_of_a_timed_decompression_is_never_put_before_it():
    # Decompressed 25 May 10:00; a Bilsky 3 dated 25 May alone may be the post-operative MRI
    # (an epidural haematoma): current compression, never "before decompression" (info).
    surgery = procedure("dec", "63003", "T12", when="2024-05-25T10:00:00Z")
    mri = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-05-25")
    result = _result(default_patient(drop=("bilsky-t12",), extra=(surgery, mri)))
    cards = score_cards(decide(result), "hook")
    (alarm,) = [c for c in cards if "Bilsky" in c.summary]
    assert alarm.indicator == "critical"


def test_a_deficit_dated_by_the_day_of_a_timed_decompression_is_never_established_by_it():
    grades = (
        finding("fd", "frankel-grade", "frankel-d", when="2024-05-20T09:00:00Z"),
        procedure("dec", "63003", "T12", when="2024-05-25T10:00:00Z"),
        finding("fc", "frankel-grade", "frankel-c", when="2024-05-25"),
    )
    result = _result(default_patient(drop=("frankel",), extra=grades))
    cards = score_cards(decide(result), "hook")
    (alarm,) = [c for c in cards if "Frankel" in c.summary]
    assert alarm.indicator == "critical" and "established" not in alarm.summary


@pytest.mark.parametrize("pre_op", ["bilsky-3", "bilsky-2"])
def test_a_timed_pre_operative_grade_never_puts_a_same_day_date_only_grade_before_surgery(pre_op):
    surgery = procedure("dec", "63003", "T12", when="2024-05-25T10:00:00Z")
    grades = (
        finding("mri-pre", BILSKY, pre_op, level="T12", when="2024-05-25T08:00:00Z"),
        finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-05-25"),
    )
    result = _result(default_patient(drop=("bilsky-t12",), extra=(surgery, *grades)))
    cards = score_cards(decide(result), "hook")
    (alarm,) = [c for c in cards if "Bilsky" in c.summary]
    assert alarm.indicator == "critical"


def test_a_time_written_in_its_sites_zone_is_ordered_by_its_own_day():
    # Written with its zone, a time says its local day: a decompression the next morning in
    # Tokyo (25 May 23:00 in UTC) is after a grade dated the day before alone; only a time in
    # UTC is any site's.
    mri = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-05-25")
    surgery = procedure("dec", "63003", "T12", when="2024-05-26T08:00:00+09:00")
    result = _result(default_patient(drop=("bilsky-t12",), extra=(surgery, mri)))
    cards = score_cards(decide(result), "hook")
    (item,) = [c for c in cards if "Bilsky" in c.summary]
    assert item.indicator != "critical"


@pytest.mark.parametrize(
    ("code", "earlier", "later", "number"),
    [
        (BILSKY, "bilsky-0", "bilsky-3", 5),
        ("frankel-grade", "frankel-e", "frankel-c", 4),
    ],
)
def test_a_next_day_finding_wins_over_an_evening_one_written_in_its_zone(
    code, earlier, later, number
):
    # 24 May 20:00 in Chicago is 25 May 01:00 in UTC, yet a finding dated 25 May alone is later
    # by the days they were written on: it is the latest, alone.
    where = {"level": "T12"} if code == BILSKY else {}
    drop = "bilsky-t12" if code == BILSKY else "frankel"
    grades = (
        finding("evening", code, earlier, when="2024-05-24T20:00:00-05:00", **where),
        finding("next-day", code, later, when="2024-05-25", **where),
    )
    checked = single(default_patient(drop=(drop,), extra=grades), "T12")
    assert criterion(checked, number).status == "unmet"


# --- the third review: every output names a grade's own times; a normal grade since, certainly ---
# Grades that cannot be put in order are said "not known which is later" beside their names (on
# the order card's summary lines, only "dated" when one is), and each is cited with its own time
# in the detail: never the timed one's day given to the other, and never a list of times beside a
# list of grades that a reader would pair wrongly.

UNORDERED = "not known which is later"


def _year_only_bilsky_3():
    return default_patient(
        extra=(finding("mri-old", BILSKY, "bilsky-3", level="T12", when="2024"),)
    )


def _decisions(resources, *orders):
    from adapter.fhir.read.orders import read_orders
    from adapter.procedure.orders import procedure_orders
    from tests.support.records import draft_orders

    term = default_terminology()
    found = procedure_orders(read_orders(draft_orders(*orders)), None, "order-sign", term)
    return decide(_result(resources), found)


def _order_summary(resources):
    from adapter.cds.procedure import order_cards
    from tests.support.records import cement_code, order

    (card,) = order_cards(_decisions(resources, order("o", cement_code("T12"), "T12")), "h")
    return card


def test_the_order_cards_compression_row_never_gives_a_year_only_grade_the_timed_ones_day():
    # Bilsky 0 of 30 May 09:00 beside a Bilsky 3 of 2024 alone: criterion 5's finding (the
    # order card's summary line) gives neither's day to both, never "Bilsky 0/3 at T12 (30 May)";
    # it says one of them is dated, and its basis cites each with its own time.
    five = criterion(single(_year_only_bilsky_3(), "T12"), 5)
    assert five.status == "unmet"
    assert five.finding == "Bilsky 0/3 at T12 (partly dated)"
    assert re.search(r"Bilsky 3[^;]*\(2024", five.basis)
    assert re.search(r"Bilsky 0[^;]*\(30 May 2024", five.basis)


def test_the_order_cards_deficit_row_never_gives_a_year_only_grade_the_timed_ones_day():
    exam = finding("exam-old", "frankel-grade", "frankel-c", when="2024")
    four = criterion(single(default_patient(extra=(exam,)), "T12"), 4)
    assert four.status == "unmet"
    assert four.finding == "Frankel/AIS C/E (partly dated)"


def test_the_noms_line_never_gives_a_year_only_grade_the_timed_ones_day():
    from adapter.render.text import text_report

    report = text_report(decide(_result(_year_only_bilsky_3())))
    (line,) = [ln.strip() for ln in report.splitlines() if ln.strip().startswith("N: Bilsky")]
    assert line.startswith(f"N: Bilsky 0/3 at T12 ({UNORDERED})")


@pytest.mark.parametrize(
    ("extra", "kept"),
    [
        # the cement concern keeps its action
        (
            (finding("al-old", "spinal-alignment", "subluxation", level="T12", when="2024-05"),),
            "settle before cement alone",
        ),
        # criterion 5 keeps the alarm and its action
        (_year_only_bilsky_3()[-1:], "suspected cord compression — assess for decompression"),
    ],
)
def test_grades_that_cannot_be_ordered_leave_the_order_cards_summary_its_action(extra, kept):
    card = _order_summary(default_patient(extra=extra))
    assert kept in card.summary and "not…" not in card.summary


def test_a_dated_grade_that_cannot_be_ordered_keeps_its_dated_mark_in_the_summary():
    grades = (
        finding("b0", BILSKY, "bilsky-0", level="T12", when="2024-04-01T09:00:00Z"),
        finding("b3", BILSKY, "bilsky-3", level="T12", when="2024-04"),
    )
    card = _order_summary(default_patient(drop=("bilsky-t12",), extra=grades))
    assert "Bilsky 0/3 at T12 (dated)" in card.summary


def test_the_neurology_card_never_gives_an_unordered_deficit_the_timed_ones_day():
    # AIS C of 2024 alone beside the Frankel E of 30 May 09:00: they disagree, and neither is
    # dated by the other's day.
    ais = finding("ais", "asia-impairment-scale", "ais-c", when="2024")
    cards = score_cards(decide(_result(default_patient(extra=(ais,)))), "hook")
    (alarm,) = [c for c in cards if "cord compression" in c.summary]
    assert alarm.indicator == "critical"
    assert "(30 May 2024)" not in alarm.summary + (alarm.detail or "")
    # A dated pair: the C of April alone is not said "on 1 Apr 2024" (the E's day).
    grades = (
        finding("fe", "frankel-grade", "frankel-e", when="2024-04-01T09:00:00Z"),
        finding("fc", "frankel-grade", "frankel-c", when="2024-04"),
    )
    cards = score_cards(decide(_result(default_patient(drop=("frankel",), extra=grades))), "h")
    (alarm,) = [c for c in cards if "cord compression" in c.summary]
    assert alarm.indicator == "critical"
    assert "on 1 Apr 2024" not in alarm.summary and "C (1 Apr 2024" not in (alarm.detail or "")


def test_an_untimed_grade_beside_unordered_ones_reads_as_a_sentence():
    untimed = finding("b-untimed", BILSKY, "bilsky-3", level="T12")
    del untimed["effectiveDateTime"]
    day_only = finding("b-day", BILSKY, "bilsky-1a", level="T12", when="2024-05-30")
    cards = score_cards(decide(_result(default_patient(extra=(untimed, day_only)))), "hook")
    text = " ".join(c.summary + (c.detail or "") for c in cards)
    assert f"Bilsky 0/1a at T12, {UNORDERED})" in text and "on not known" not in text


def test_a_time_written_in_its_zone_is_dated_by_the_day_it_was_written():
    # An MRI of 31 May 20:00 in Chicago is 1 Jun in UTC: every output says 31 May.
    assert parse_time("2024-05-31T20:00:00-05:00").day == "31 May 2024"
    assert parse_time("2024-06-01T01:00:00Z").day == "1 Jun 2024"
    mri = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-05-31T20:00:00-05:00")
    five = criterion(single(default_patient(drop=("bilsky-t12",), extra=(mri,)), "T12"), 5)
    assert "(31 May)" in five.finding and "1 Jun" not in said(five)


def _bilsky_card(*grades):
    result = _result(default_patient(drop=("bilsky-t12", "frankel"), extra=grades))
    (card,) = [c for c in score_cards(decide(result), "hook") if "Bilsky" in c.summary]
    return card


def test_a_frankel_e_of_an_old_date_only_grades_day_is_never_since_it():
    # A Bilsky 3 dated 1 Apr alone (61 days: dated) and a Frankel E timed 09:00 that day: the E
    # is not known to be after the MRI, so the old grade stays an alarm (re-examine and re-image
    # now), never "Frankel/AIS E since — re-image".
    mri = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-04-01")
    alarm = _bilsky_card(
        mri, finding("fe", "frankel-grade", "frankel-e", when="2024-04-01T09:00:00Z")
    )
    assert alarm.indicator == "critical" and "since" not in alarm.summary
    # A current Frankel E, certainly later: the warning to re-image (contract §5 v3).
    item = _bilsky_card(
        mri, finding("fe", "frankel-grade", "frankel-e", when="2024-05-31T09:00:00Z")
    )
    assert item.indicator == "warning" and "Frankel/AIS E since" in item.summary


def test_a_date_only_frankel_e_is_never_since_an_evening_mri_written_in_another_zone():
    # 1 Apr 20:00 in Chicago is 2 Apr 01:00 UTC; a Frankel E dated 2 Apr alone, written where
    # 2 Apr began earlier (UTC+2 and east), may be before the MRI: the alarm stays critical.
    mri = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-04-01T20:00:00-05:00")
    fresh = finding("fe-now", "frankel-grade", "frankel-e", when="2024-05-31T09:00:00Z")
    alarm = _bilsky_card(mri, finding("fe", "frankel-grade", "frankel-e", when="2024-04-02"), fresh)
    assert alarm.indicator == "warning"  # the current E of 31 May is certainly since
    alarm = _bilsky_card(mri, finding("fe", "frankel-grade", "frankel-e", when="2024-04-02"))
    assert alarm.indicator == "critical" and "since" not in alarm.summary


def test_a_dated_frankel_e_never_settles_an_old_compression_alarm():
    # Dated evidence may raise an alarm, never settle one (contract §4 v3): a Frankel E of 3 Apr
    # (59 days old, outside its 14-day window) after a Bilsky 3 of 1 Apr stays critical.
    mri = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-04-01T09:00:00Z")
    alarm = _bilsky_card(
        mri, finding("fe", "frankel-grade", "frankel-e", when="2024-04-03T09:00:00Z")
    )
    assert alarm.indicator == "critical" and "since" not in alarm.summary


# --- the fourth review: an old grade is settled only when all of it is certainly old -----------

JUNE_3 = "2024-06-03T09:00:00Z"


def _on_june_3(*extra, drop=("bilsky-t12", "frankel")):
    e = finding("fe", "frankel-grade", "frankel-e", when="2024-06-02T09:00:00Z")
    return _result(default_patient(drop=drop, extra=(*extra, e)), JUNE_3)


@pytest.mark.parametrize(
    ("three", "zero"),
    [
        ("2024-05-29T09:00:00Z", "2024-05"),  # a current Bilsky 3 beside a month-only Bilsky 0
        ("2024-05", "2024-05-29T09:00:00Z"),  # a Bilsky 3 of May alone: it may be 31 May's
    ],
)
def test_a_grade_not_certainly_old_is_never_settled_by_a_frankel_e(three, zero):
    # Contract §5 v3: only a Bilsky 2–3 older than 30 days followed by a Frankel/AIS E is a
    # warning; one finding of the grade being dated is not enough.
    grades = (
        finding("b3", BILSKY, "bilsky-3", level="T12", when=three),
        finding("b0", BILSKY, "bilsky-0", level="T12", when=zero),
    )
    result = _on_june_3(*grades)
    (alarm,) = [c for c in score_cards(decide(result), "hook") if "Bilsky" in c.summary]
    assert alarm.indicator == "critical" and "since" not in alarm.summary


def test_a_current_grade_elsewhere_is_never_settled_by_a_frankel_e():
    from tests.support.records import cement_code, order

    grades = (
        condition("met-t6", "C79.51", level="T6"),
        finding("b3", BILSKY, "bilsky-3", level="T6", when="2024-05-29T09:00:00Z"),
        finding("b0", BILSKY, "bilsky-0", level="T6", when="2024-05"),
    )
    e = finding("fe", "frankel-grade", "frankel-e", when="2024-06-02T09:00:00Z")
    from adapter.cds.procedure import order_cards
    from adapter.fhir.read.orders import read_orders
    from adapter.procedure.orders import procedure_orders
    from tests.support.records import draft_orders

    term = default_terminology()
    orders = read_orders(draft_orders(order("o", cement_code("T12"), "T12")))
    result = _result(default_patient(drop=("frankel",), extra=(*grades, e)), JUNE_3)
    decisions = decide(result, procedure_orders(orders, None, "order-sign", term))
    (card,) = order_cards(decisions, "h")
    assert card.indicator == "critical" and "since" not in card.summary


def test_an_untimed_deficit_keeps_an_old_grade_an_alarm_beside_a_current_frankel_e():
    # A Frankel C with no recorded time may be the current grade: the E is not known to be the
    # latest, so it settles nothing.
    untimed = finding("fc", "frankel-grade", "frankel-c")
    del untimed["effectiveDateTime"]
    grades = (finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-04-01T09:00:00Z"), untimed)
    result = _result(default_patient(drop=("bilsky-t12",), extra=grades))
    cards = score_cards(decide(result), "hook")
    assert any(c.indicator == "critical" for c in cards if "Bilsky" in c.summary + (c.detail or ""))
    assert not any("Frankel/AIS E since" in c.summary for c in cards)


def test_the_order_card_keeps_elsewhere_and_the_dated_mark_with_grades_that_cannot_be_ordered():
    t6 = (
        condition("met-t6", "C79.51", level="T6"),
        finding("b6", BILSKY, "bilsky-0", level="T6"),
        finding("b6-mri", BILSKY, "bilsky-3", level="T6", when="2024-05"),
    )
    card = _order_summary(default_patient(extra=t6))
    assert "suspected cord compression elsewhere — assess for" in card.summary
    grades = (
        finding("b0", BILSKY, "bilsky-0", level="T12", when="2024-04-01T09:00:00Z"),
        finding("b3", BILSKY, "bilsky-3", level="T12", when="2024-04"),
    )
    card = _order_summary(default_patient(drop=("bilsky-t12", "frankel"), extra=grades))
    assert "Bilsky 0/3 at T12 (dated)" in card.summary


def test_an_alarm_resting_on_a_dated_grade_says_dated_in_the_order_cards_summary():
    # The year-only Bilsky 3 is what makes criterion 5 unmet, and it is dated; the timed Bilsky 0
    # is current: one of the two is dated.
    assert "Bilsky 0/3 at T12 (partly dated)" in _order_summary(_year_only_bilsky_3()).summary
    t6 = (condition("met-t6", "C79.51", level="T6"),
          finding("b6", BILSKY, "bilsky-3", level="T6", when="2024-04-01T09:00:00Z"))  # fmt: skip
    card = _order_summary(default_patient(drop=("frankel",), extra=t6))
    assert "Bilsky 3 at T6 (1 Apr 2024, dated)" in card.summary


def test_a_deficit_that_cannot_be_ordered_names_the_grade_beside_it_and_says_not_known_once():
    exam = finding("exam-old", "frankel-grade", "frankel-c", when="2024-05")
    cards = score_cards(decide(_result(default_patient(extra=(exam,)))), "hook")
    detail = " ".join(c.detail or "" for c in cards)
    # The C of May alone is dated (its month began 31 days ago), the E of 30 May is not.
    assert "Frankel C (beside Frankel E, not known which is later, partly dated)" in detail
    grades = (
        finding("fe", "frankel-grade", "frankel-e", when="2024-04-01T09:00:00Z"),
        finding("fc", "frankel-grade", "frankel-c", when="2024-04"),
    )
    cards = score_cards(decide(_result(default_patient(drop=("frankel",), extra=grades))), "h")
    text = " ".join(c.summary + (c.detail or "") for c in cards)
    assert "not known which is later, dated) — not known" not in text


def test_an_untimed_high_grade_keeps_an_old_grade_an_alarm_beside_a_current_frankel_e():
    # A Bilsky 3 at T12 with no recorded time may be yesterday's MRI: the current Frankel E does
    # not settle the old timed Bilsky 3 into "re-image" while it is there.
    untimed = finding("mri-untimed", BILSKY, "bilsky-3", level="T12")
    del untimed["effectiveDateTime"]
    old = finding("mri", BILSKY, "bilsky-3", level="T12", when="2024-04-01T09:00:00Z")
    result = _result(default_patient(drop=("bilsky-t12",), extra=(old, untimed)))
    cards = score_cards(decide(result), "hook")
    (alarm,) = [c for c in cards if "Bilsky" in c.summary]
    assert alarm.indicator == "critical" and "since" not in alarm.summary


# --- the fifth review: a copy dated by its month is part of the grade's age ----------------------


@pytest.mark.parametrize("level", ["T12", "T6"])
def test_a_month_only_copy_of_an_old_grade_keeps_it_an_alarm(level):
    # Bilsky 3 of 1 May 09:00 (40 days before 10 Jun) and a Bilsky 3 dated May alone, which may
    # be 31 May's: the grade is not certainly older than 30 days, so the Frankel E of 9 Jun
    # settles nothing (no surface may read "re-image" only).
    grades = (
        finding("b3", BILSKY, "bilsky-3", level=level, when="2024-05-01T09:00:00Z"),
        finding("b3-may", BILSKY, "bilsky-3", level=level, when="2024-05"),
        finding("fe", "frankel-grade", "frankel-e", when="2024-06-09T09:00:00Z"),
    )
    extra = (condition("met-t6", "C79.51", level="T6"),) if level == "T6" else ()
    result = _result(default_patient(drop=("bilsky-t12", "frankel"), extra=(*extra, *grades)),
                     "2024-06-10T09:00:00Z")  # fmt: skip
    (alarm,) = [c for c in score_cards(decide(result), "hook") if "Bilsky" in c.summary]
    assert alarm.indicator == "critical" and "since" not in alarm.summary


def test_the_neurology_card_says_partly_dated_as_the_order_card_does():
    result = _result(_year_only_bilsky_3())
    (alarm,) = [c for c in score_cards(decide(result), "hook") if "cord compression" in c.summary]
    assert "partly dated" in alarm.summary
    assert "Bilsky 0/3 at T12 (not known which is later, partly dated)" in (alarm.detail or "")


def test_two_scales_that_disagree_say_partly_dated_in_the_neurology_summary():
    # A Frankel C of May alone (dated) beside an AIS E of 30 May 09:00 (current).
    grades = (
        finding("fc", "frankel-grade", "frankel-c", when="2024-05"),
        finding("ais", "asia-impairment-scale", "ais-e"),
    )
    result = _result(default_patient(drop=("frankel",), extra=grades))
    (alarm,) = [c for c in score_cards(decide(result), "hook") if "cord compression" in c.summary]
    assert "partly dated" in alarm.summary


def test_a_grade_dated_by_a_month_or_a_year_alone_is_said_in_it_not_on_it():
    exam = finding("exam-old", "frankel-grade", "frankel-c", when="2024-03")
    result = _result(default_patient(drop=("frankel",), extra=(exam,)))
    (alarm,) = [c for c in score_cards(decide(result), "hook") if "cord compression" in c.summary]
    assert "Frankel/AIS C in Mar 2024, dated" in alarm.summary and "on Mar" not in alarm.summary


def _untimed(oid, code, answer, **kw):
    res = finding(oid, code, answer, **kw)
    del res["effectiveDateTime"]
    return res


@pytest.mark.parametrize(
    ("drop", "extra", "said"),
    [
        (
            ("frankel",),
            (_untimed("fc", "frankel-grade", "frankel-c"),
             finding("fe", "frankel-grade", "frankel-e", when="2024-03")),
            "Frankel C with no recorded time: confirm the current grade (Frankel E in Mar 2024)",
        ),
        (
            ("bilsky-t12",),
            (_untimed("b3", BILSKY, "bilsky-3", level="T12"),
             finding("b0", BILSKY, "bilsky-0", level="T12", when="2024")),
            "Bilsky 3 at T12 with no recorded time: confirm the current grade "
            "(Bilsky 0 at T12 in 2024)",
        ),
        (
            ("bilsky-t12",),
            (_untimed("b3", BILSKY, "bilsky-3"), finding("b0", BILSKY, "bilsky-0", when="2024-03")),
            "Bilsky 3, level not recorded, with no recorded time: confirm the current grade "
            "(Bilsky 0, level not recorded, in Mar 2024)",
        ),
    ],
)  # fmt: skip
def test_the_untimed_grade_alarm_says_a_month_or_a_year_alone_in_it_not_on_it(drop, extra, said):
    result = _result(default_patient(drop=drop, extra=extra))
    cards = score_cards(decide(result), "hook")
    text = " ".join(f"{c.summary} {c.detail or ''}" for c in cards)
    assert said in text
    assert " on Mar" not in text and " on 2024" not in text


# Said "on" a month or a year alone: "on Mar 2024", "on 2024", on any surface.
_ON_A_MONTH_OR_A_YEAR = re.compile(
    r"\bon (?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) )?\d{4}\b"
)


def _every_surface(resources, *orders):
    """The cards (patient and order), the text report and the page, as one text each."""
    import html

    from tests.unit.decision.test_wording import decisions_for, surfaces

    _, cards, report, page = surfaces(decisions_for(resources, orders))
    return {"cards": cards, "report": report, "page": html.unescape(re.sub(r"<[^>]+>", " ", page))}


def _sins_14_of_march():
    unstable = {
        "spinal-alignment": "de-novo-deformity",
        "vertebral-body-collapse": "gt-50",
        "posterolateral-involvement": "unilateral",
    }
    resources = default_patient(sins=unstable)
    for r in resources:
        if r["id"].startswith("t12-"):
            r["effectiveDateTime"] = "2024-03"
    return resources


@pytest.mark.parametrize(
    ("resources", "said", "where"),
    [
        # criterion 4: an established deficit no worse than a grade of March alone
        (
            default_patient(drop=("frankel",), extra=(
                finding("before", "frankel-grade", "frankel-c", when="2024-03"),
                finding("frankel", "frankel-grade", "frankel-c"),
                procedure("surgery", "63003", "T12", when="2024-04-15T09:00:00Z"),
            )),
            "no worse than Frankel C in Mar 2024, before decompression at T12 on 15 Apr 2024",
            ("cards",),
        ),
        # the order's context: an old Frankel E of March alone, to re-examine
        (
            default_patient(drop=("frankel",), extra=(
                finding("frankel", "frankel-grade", "frankel-e", when="2024-03"),
            )),
            "Frankel/AIS E in Mar 2024: re-examine before the procedure.",
            ("cards",),
        ),
        # the SINS card: an unstable total on findings of March alone
        # (the text report and the page name the level's total and its dated inputs, not this
        # headline)
        (_sins_14_of_march(), "SINS 14 at T12 in Mar 2024 (dated) — re-assess", ("cards",)),
    ],
)  # fmt: skip
def test_a_finding_dated_by_a_month_alone_is_said_in_it_on_every_surface(resources, said, where):
    from tests.support.records import cement_code, order

    texts = _every_surface(resources, order("o", cement_code("T12"), "T12"))
    for name in where:
        assert said in texts[name], name
    for name, text in texts.items():
        assert not _ON_A_MONTH_OR_A_YEAR.search(text), (name, _ON_A_MONTH_OR_A_YEAR.findall(text))


def _treated_in_april(code, *levels, grade="bilsky-0", deficit=False):
    """The default patient with a treatment dated April 2024 alone; a Bilsky grade at T12 of
    March alone before it, or a Frankel C before it and now (an established deficit)."""
    extra = [
        finding("b-old", BILSKY, grade, level="T12", when="2024-03"),
        procedure("done", code, *levels, when="2024-04"),
    ]
    drop = ["bilsky-t12"]
    if deficit:
        drop.append("frankel")
        extra += [
            finding("before", "frankel-grade", "frankel-c", when="2024-03"),
            finding("frankel", "frankel-grade", "frankel-c"),
        ]
    return default_patient(drop=tuple(drop), extra=tuple(extra))


def _deceased(when):
    resources = default_patient()
    resources[0]["deceasedDateTime"] = when
    return resources


_SCREWS = ("22842", "T11", "T12", "L1")
_ALL = ("cards", "report", "page")


@pytest.mark.parametrize(
    ("resources", "ordered", "said"),
    [
        # a decompression of April alone after a Bilsky 3
        (_treated_in_april("63003", "T12", grade="bilsky-3"), _SCREWS,
         {"Bilsky 3 at T12 before decompression in Apr 2024 — re-image due": _ALL}),
        # radiotherapy of April alone after a Bilsky 3, and before a fixation
        (_treated_in_april("77373", "T12", grade="bilsky-3"), _SCREWS,
         {"Bilsky 3 at T12 irradiated in Apr 2024, not decompressed": _ALL,
          "T12 was irradiated in Apr 2024: radiotherapy there after surgery": ("cards",)}),
        # radiotherapy of April alone before cement
        (_treated_in_april("77373", "T12"), ("cement",),
         {"T12 in Apr 2024 — wound and fracture risk.": ("cards",)}),
        # screws of April alone, then cement ordered at the level
        (_treated_in_april("22842", "T12"), ("cement",),
         {"T12 already fixed in Apr 2024": _ALL,
          # the findings of 30 May follow it: never "as recorded before" it
          "from findings after the fixation in Apr 2024": _ALL,
          "T12 was fixed with screws in Apr 2024: SINS is not applicable": _ALL}),
        # cement of April alone, then cement ordered again
        (_treated_in_april("22511", "T12"), ("cement",),
         {"vertebroplasty at T12 in Apr 2024 already recorded": _ALL,
          "Scored from the findings after the vertebroplasty in Apr 2024": _ALL}),
        # screws of April alone recorded without a level
        (_treated_in_april("22842"), ("cement",),
         {"fixation in Apr 2024 recorded without a level": _ALL}),
        # an established deficit, the decompression dated April alone
        (_treated_in_april("63003", "T12", deficit=True), ("cement",),
         {"Frankel C since Mar 2024, decompression at T12 in Apr 2024": ("cards", "report")}),
        # the patient recorded as deceased in a month, or in a year, alone
        (_deceased("2024-05"), ("cement",), {"recorded as deceased in May 2024": _ALL}),
        (_deceased("2024"), ("cement",), {"recorded as deceased in 2024": _ALL}),
    ],
)  # fmt: skip
def test_a_treatment_or_a_death_dated_by_a_month_alone_is_said_in_it(resources, ordered, said):
    from tests.support.records import cement_code, order

    code, *levels = (cement_code("T12"), "T12") if ordered == ("cement",) else ordered
    texts = _every_surface(resources, order("o", code, *levels))
    for words, where in said.items():
        for name in where:
            assert words in texts[name], (name, words)
    for name, text in texts.items():
        assert not _ON_A_MONTH_OR_A_YEAR.search(text), (name, _ON_A_MONTH_OR_A_YEAR.findall(text))
