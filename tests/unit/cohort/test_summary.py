"""The cohort object against the oracle written from Table 4 (fixtures/expected/cohort/)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from adapter.cohort.summary import at_risk_table, cohort_summary
from adapter.cohort.text import cohort_text
from adapter.outcomes import Complication, Moment

CONTRACT_KEYS = {
    "n", "sex", "age_years", "primary_sites", "levels_treated", "cement_ml", "follow_up_months",
    "deaths", "survival", "scores", "outcomes", "complications", "issues",
}  # fmt: skip


def close(got, want, path=""):
    """Every number of the oracle equals spinemets' to two decimals; keys of `_…` explain."""
    if isinstance(want, dict):
        for key, value in want.items():
            if key.startswith("_") or key == "p_below":
                continue
            assert key in got, f"{path}.{key} missing"
            close(got[key], value, f"{path}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            close(g, w, f"{path}[{i}]")
    elif isinstance(want, float | int) and not isinstance(want, bool):
        assert round(got, 2) == round(want, 2), f"{path}: {got} != {want}"
    else:
        assert got == want, f"{path}: {got} != {want}"


def test_seed_cohort_equals_the_oracle(seed_records, oracle):
    got = cohort_summary(seed_records)
    assert set(got) >= CONTRACT_KEYS
    close(got, oracle)
    for measure in ("pain", "barthel"):
        assert (
            got["outcomes"][f"{measure}_test"]["p"]
            < oracle["outcomes"][f"{measure}_test"]["p_below"]
        )


def test_deceased_without_a_date_counts_as_a_death_only(seed_records):
    records = [dataclasses.replace(seed_records[0], died=True, death=None), *seed_records[1:]]
    got = cohort_summary(records)
    assert got["deaths"] == 5 and got["survival"]["patients"] == 19
    assert got["follow_up_months"]["patients"] == 19
    assert any("deceased without a date" in i for i in got["issues"])


def test_several_or_no_primaries_and_complications(seed_records):
    records = [
        dataclasses.replace(seed_records[0], primary_sites=("lung", "breast")),
        dataclasses.replace(seed_records[1], primary_sites=(), sex=None,
                            complications=(Complication("cement-leakage", "Condition/c", None),) * 2),
        *seed_records[2:],
    ]  # fmt: skip
    got = cohort_summary(records, ["Patient/x: no index procedure; left out."])
    assert got["primary_sites"]["unknown"] == 1 and got["primary_sites"]["lung"] == 12
    # Each patient once: one whose primary may be lung or breast is "not settled", never
    # counted under both (an ill-defined code such as C76.8 may be seventeen groups).
    assert got["primary_sites"]["not settled"] == 1
    assert sum(got["primary_sites"].values()) == len(records) == 20
    assert got["sex"]["unknown"] == 1
    assert got["complications"] == {"cement-leakage": 1}
    assert (
        got["issues"][0].startswith("Patient/x")
        and "several possible primary sites (breast, lung); counted once" in got["issues"][1]
    )


def test_a_death_reaching_half_gives_the_median(seed_records):
    start = seed_records[0].index_start
    records = [
        dataclasses.replace(
            r, died=True, death=Moment.at(start + timedelta(days=30.4375 * 4)), last_follow_up=None
        )
        for r in seed_records[:10]
    ] + list(seed_records[10:])
    got = cohort_summary(records)["survival"]
    assert got["median_reached"] and got["median_months"] == pytest.approx(4.0)


def test_empty_cohort_and_at_risk_table():
    got = cohort_summary([])
    assert got["n"] == 0 and got["survival"]["curve"] == [] and got["outcomes"]["pain_test"] is None
    assert at_risk_table([0.5, 6.0, 13.0]) == [
        {"months": 0, "at_risk": 3}, {"months": 6, "at_risk": 2}, {"months": 12, "at_risk": 1},
    ]  # fmt: skip


def test_a_patient_whose_treated_level_is_not_recorded_is_counted_as_such(seed_records):
    """Never under the procedure's own (instrumented) levels: counted apart, and said."""
    unrecorded = dataclasses.replace(
        seed_records[0], treated_levels=(), procedure_levels=("T11", "T12", "L1")
    )
    before = cohort_summary(seed_records)["levels_treated"]
    got = cohort_summary([unrecorded, *seed_records[1:]])
    assert got["levels_treated_not_recorded"] == 1
    # the patient leaves their levels' counts and adds to none of the procedure's levels
    want = {lv: n - (lv in seed_records[0].treated_levels) for lv, n in before.items()}
    assert got["levels_treated"] == {lv: n for lv, n in want.items() if n}
    assert "treated level not recorded 1" in cohort_text(got)
    assert cohort_summary(seed_records)["levels_treated_not_recorded"] == 0


def test_a_median_not_reached_is_never_said_while_deaths_without_a_date_are_left_out(seed_records):
    # The seed's four deaths and four more recorded without a date: 8 of 20 died, and the 12
    # left on the curve were all alive at their last follow-up, so the curve stays at 1.
    alive = [r for r in seed_records if not r.died]
    undated = {r.patient for r in seed_records if r.died} | {r.patient for r in alive[:4]}
    records = [
        dataclasses.replace(r, died=True, death=None) if r.patient in undated else r
        for r in seed_records
    ]
    got = cohort_summary(records)
    assert got["survival"]["undated_deaths"] == 8 and got["survival"]["patients"] == 12
    assert not got["survival"]["median_reached"]
    text = cohort_text(got)
    assert "not reached" not in text
    assert "Kaplan–Meier median survival: cannot be estimated: 8 of 8 deaths have no date" in text
    assert "curve of 12 of 20 patients" in text and "(12 of 20 patients)" in text


def test_a_median_reached_with_deaths_left_out_is_said_to_be_a_bound(seed_records):
    start = seed_records[0].index_start
    records = [
        dataclasses.replace(
            r, died=True, death=Moment.at(start + timedelta(days=30.4375 * 4)), last_follow_up=None
        )
        for r in seed_records[:10]
    ] + [dataclasses.replace(seed_records[10], died=True, death=None), *seed_records[11:]]
    text = cohort_text(cohort_summary(records))
    assert "Kaplan–Meier median survival: 4.00 months or earlier" in text


def test_every_surface_says_whom_the_age_and_follow_up_figures_cover(seed_records):
    # The text said "(1 of 2 patients)" of the follow-up only, the HTML Table 4 of neither: a
    # mean over fewer patients than the cohort read as the cohort's.
    from adapter.render.cohort import cohort_page

    records = [
        dataclasses.replace(r, age_years=None, last_follow_up=None) if n < 3 else r
        for n, r in enumerate(r for r in seed_records if not r.died)
    ]
    got = cohort_summary(records)
    n = got["n"]
    covered = f"({n - 3} of {n} patients)"
    text = cohort_text(got)
    assert [ln for ln in text.splitlines() if ln.strip().startswith(("Age:", "Follow-up:"))]
    assert all(
        covered in ln for ln in text.splitlines() if ln.strip().startswith(("Age:", "Follow-up:"))
    )
    page = cohort_page(got, [], computed="2026-11-26")
    for row in ("Age, years (mean ± SD)", "Follow-up, months (mean)"):
        assert covered in page.split(row, 1)[1].split("</tr>", 1)[0], row
