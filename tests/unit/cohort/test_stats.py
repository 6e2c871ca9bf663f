"""The statistics libraries, held to the contract's definitions on small hand-worked cases."""

from __future__ import annotations

import math

import pytest

from adapter.cohort.stats import describe, kaplan_meier, repeated_measures


def test_a_patient_censored_at_a_death_time_is_still_at_risk_then():
    # Death at 9 and a censoring at 9: 4 at risk at 9 (not 3), so S(9) = 3/4; then S(12) = 3/4 * 1/2.
    km = kaplan_meier([9.0, 9.0, 12.0, 15.0], [True, False, True, False])
    assert [(p.months, p.at_risk, p.events) for p in km.curve] == [(9.0, 4, 1), (12.0, 2, 1)]
    assert km.curve[0].survival == pytest.approx(0.75)
    assert km.curve[1].survival == pytest.approx(0.375)
    assert km.median_months == 12.0 and km.median_reached


def test_tied_deaths_make_one_point():
    km = kaplan_meier([5.0, 5.0, 7.0, 8.0], [True, True, False, False])
    assert [(p.months, p.at_risk, p.events, p.survival) for p in km.curve] == [(5.0, 4, 2, 0.5)]
    assert km.median_months == 5.0  # the first time the curve is <= 0.5, equality included


def test_median_not_reached_and_no_deaths():
    assert kaplan_meier([3.0, 4.0, 5.0], [True, False, False]).median_months is None
    none = kaplan_meier([3.0, 4.0], [False, False])
    assert none.curve == () and not none.median_reached and none.patients == 2
    with pytest.raises(ValueError):
        kaplan_meier([1.0], [])


def test_describe_uses_the_sample_sd():
    d = describe([2, 4, 4, 4, 5, 5, 7, 9])
    assert d.mean == 5 and d.sd == pytest.approx(math.sqrt(32 / 7)) and d.median == 4.5
    assert describe([3]).sd is None and describe([]).mean is None


def test_repeated_measures_anova_matches_the_sums_of_squares():
    rows = [[7, 3, 1, 0], [8, 4, 0, 0], [6, 3, 1, 1], [9, 5, 2, 0]]
    n, k = len(rows), len(rows[0])
    grand = sum(map(sum, rows)) / (n * k)
    ss_time = n * sum((sum(r[j] for r in rows) / n - grand) ** 2 for j in range(k))
    ss_subj = k * sum((sum(r) / k - grand) ** 2 for r in rows)
    ss_err = sum((x - grand) ** 2 for r in rows for x in r) - ss_time - ss_subj
    f = (ss_time / (k - 1)) / (ss_err / ((n - 1) * (k - 1)))
    test = repeated_measures(rows)
    assert test is not None and test.test == "repeated-measures ANOVA" and test.n == 4
    assert test.statistic == pytest.approx(f) and test.p < 0.001
    assert (test.df_num, test.df_den) == (3, 9)


@pytest.mark.parametrize("rows", [[], [[1, 2, 3]], [[1], [2]], [[2, 2], [3, 3]]])
def test_repeated_measures_needs_patients_time_points_and_variation(rows):
    assert repeated_measures(rows) is None
