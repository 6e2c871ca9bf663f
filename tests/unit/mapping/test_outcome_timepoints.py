"""Contract §6 time points: windows, the baseline before the procedure, nearest-wins, ties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from adapter.outcomes import (
    Measurement,
    Moment,
    PatientOutcome,
    ScoreAtIndex,
    age_at,
    months_between,
    select_time_points,
)

INDEX_DAY = date(2024, 5, 22)
START = datetime(2024, 5, 22, 8, 0, tzinfo=UTC)


def m(day: int, value: float, *, hour: int | None = 10, rank: int = 0) -> Measurement:
    when = datetime.combine(INDEX_DAY + timedelta(days=day), datetime.min.time(), UTC)
    when += timedelta(hours=hour or 0)
    return Measurement(
        value, when, INDEX_DAY + timedelta(days=day), hour is not None, rank, f"Observation/{day}",
        when.isoformat(),
    )  # fmt: skip


def pick(*items: Measurement):
    return select_time_points(items, index_day=INDEX_DAY, index_start=START)


@pytest.mark.parametrize(
    ("day", "inside"),
    [(-31, False), (-30, True), (-1, True), (2, False), (3, True), (14, True), (15, False)],
)
def test_windows_are_inclusive_calendar_days(day, inside):
    chosen = pick(m(day, 5))
    found = [p for p in chosen.points if p is not None]
    assert bool(found) is inside


def test_windows_far_out_are_inclusive():
    t = pick(m(59, 1), m(60, 2), m(120, 3), m(121, 4), m(149, 5), m(150, 6), m(240, 7), m(241, 8))
    assert t.value("3mo") in (2, 3) and t.value("6mo") in (6, 7)
    assert pick(m(59, 1), m(121, 4)).value("3mo") is None
    assert pick(m(149, 1), m(241, 4)).value("6mo") is None


def test_baseline_is_the_latest_before_the_procedure():
    t = pick(m(-20, 9), m(-2, 7), m(0, 6, hour=7), m(0, 2, hour=9))
    assert t.value("baseline") == 6  # 07:00 on day 0 is before the 08:00 start; 09:00 is after


def test_baseline_on_day_zero_needs_a_time_of_day():
    assert pick(m(0, 6, hour=None)).value("baseline") is None
    assert pick(m(-1, 8, hour=None), m(0, 6, hour=None)).value("baseline") == 8


def _at(instant: datetime, day: date, value: float) -> Measurement:
    return Measurement(value, instant, day, True, 0, f"Observation/{value:g}", instant.isoformat())


def test_a_measurement_after_the_start_is_never_baseline_whatever_its_offset():
    # Contract §6: baseline only before the procedure. Written 21 May 23:30 at UTC−09:00, this
    # pain score was taken at 08:30 UTC on 22 May, after the 08:00 start.
    after = _at(datetime(2024, 5, 22, 8, 30, tzinfo=UTC), date(2024, 5, 21), 2)
    before = _at(datetime(2024, 5, 21, 20, 0, tzinfo=UTC), date(2024, 5, 21), 8)
    assert pick(after, before).value("baseline") == 8
    assert pick(after).value("baseline") is None


def test_with_an_index_procedure_dated_without_a_time_day_zero_is_never_baseline():
    # 00:30 at UTC+02:00 on the index day is 22:30 UTC the day before: still the index day, and
    # a procedure recorded without a time of day may have been done before it.
    early = _at(datetime(2024, 5, 21, 22, 30, tzinfo=UTC), INDEX_DAY, 6)
    midnight = datetime(2024, 5, 22, tzinfo=UTC)
    untimed = select_time_points(
        [early], index_day=INDEX_DAY, index_start=midnight, index_timed=False
    )
    assert untimed.value("baseline") is None
    assert pick(m(-1, 8, hour=23), m(0, 6, hour=None)).value("baseline") == 8


def test_baseline_prefers_the_encoding_at_equal_times():
    assert pick(m(-2, 7, rank=2), m(-2, 5, rank=0)).value("baseline") == 5


def test_nearest_to_the_nominal_day_wins():
    t = pick(m(4, 1), m(8, 2), m(95, 3), m(80, 4), m(200, 5), m(181, 6))
    assert (t.value("7d"), t.value("3mo"), t.value("6mo")) == (2, 3, 6)


def test_equal_distance_prefers_the_encoding_then_the_later():
    assert pick(m(6, 1, rank=0), m(8, 2, rank=2)).value("7d") == 1
    assert pick(m(6, 1), m(8, 2)).value("7d") == 2
    assert pick(m(7, 1, hour=9), m(7, 2, hour=15)).value("7d") == 2


def test_disagreeing_equal_candidates_leave_the_time_point_empty():
    t = pick(m(7, 1), m(7, 3))
    assert t.value("7d") is None and t.conflicts == ("7d",)
    assert pick(m(7, 3), m(7, 3)).value("7d") == 3  # the same value twice is no conflict


def test_change_from_baseline_needs_both():
    t = pick(m(-2, 8), m(7, 3), m(91, 1))
    assert (t.change("7d"), t.change("3mo"), t.change("6mo")) == (-5, -7, None)
    assert not t.complete
    assert pick(m(7, 3)).change("7d") is None


def test_months_and_age():
    assert months_between(START, START + timedelta(days=13 * 30.4375)) == 13.0
    assert age_at(date(1960, 5, 22), INDEX_DAY) == 64
    assert age_at(date(1960, 5, 23), INDEX_DAY) == 63


def outcome(**kw) -> PatientOutcome:
    base: dict[str, Any] = dict(
        patient="p", index_day=INDEX_DAY, index_start=START, procedures=("Procedure/x",),
        treated_levels=("T12",), cement_ml=3.0, sex="female", age_years=60,
        primary_sites=("lung",), died=False, death=None,
        last_follow_up=Moment.at(START + timedelta(days=30.4375 * 6)),
    )  # fmt: skip
    base.update(kw)
    return PatientOutcome(**base)


def test_follow_up_ends_at_the_death_or_the_last_contact():
    assert outcome().follow_up_months == 6.0
    assert outcome().survival == (6.0, False)
    dead = outcome(died=True, death=Moment.at(START + timedelta(days=30.4375 * 2)))
    assert dead.survival == (2.0, True)
    unknown = outcome(died=True, death=None)
    assert unknown.follow_up_months is None and unknown.survival is None
    assert outcome(last_follow_up=None).survival is None


def test_scores_at_index():
    o = outcome(scores=(ScoreAtIndex("sins", 11, 11), ScoreAtIndex("tomita", 3, 4)))
    assert o.score("sins").certain and not o.score("tomita").certain
    assert o.score("tokuhashi-revised") is None
    assert o.trajectory("pain") is o.pain and o.trajectory("barthel") is o.barthel
