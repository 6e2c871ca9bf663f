"""Properties of Bauer, NESMS and van der Linden over random sets of possible inputs: the totals
are exact ranges, and the two Bauer versions differ only through the fracture item."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from adapter.scoring import (
    ALBUMIN_DOMAIN,
    KPS_VALUES,
    Ambulation,
    BauerInput,
    BoneExtent,
    Fracture,
    LindenInput,
    NesmsInput,
    Possible,
    PrimarySite,
    Visceral,
    score_bauer_modified,
    score_bauer_original,
    score_linden,
    score_nesms,
)


def possible(domain):
    domain = list(domain)
    subset = st.sets(st.sampled_from(domain), min_size=1).map(lambda s: Possible(frozenset(s)))
    return st.one_of(subset, st.just(Possible.unknown(domain)))


bauer_inputs = st.builds(
    BauerInput,
    fracture=possible(Fracture),
    visceral=possible(Visceral),
    primary=possible(PrimarySite),
    bone=possible(BoneExtent),
)
nesms_inputs = st.builds(
    NesmsInput,
    bauer=bauer_inputs,
    ambulation=possible(Ambulation),
    albumin=possible([20.0, 34.9, 35.0, 41.0]),
)
linden_inputs = st.builds(
    LindenInput,
    kps=possible(KPS_VALUES),
    primary=possible(PrimarySite),
    visceral=possible(Visceral),
)


def completions(inp, fields):
    """Every input with one value per field, consistent with the possible values."""
    choices = [sorted(getattr(inp, f).values, key=repr) for f in fields]
    for combo in itertools.product(*choices):
        yield {f: Possible.of(v) for f, v in zip(fields, combo, strict=True)}


def bounds(results):
    return min(r.total.low for r in results), max(r.total.high for r in results)


@given(bauer_inputs)
def test_original_and_modified_bauer_differ_only_through_the_fracture_item(inp):
    original, modified = score_bauer_original(inp), score_bauer_modified(inp)
    fracture, *shared = original.components
    assert fracture.code == "bauer-no-pathological-fracture"
    assert [(c.code, c.points) for c in shared] == [(c.code, c.points) for c in modified.components]
    assert original.total.low == modified.total.low + fracture.points.low
    assert original.total.high == modified.total.high + fracture.points.high
    # With the fracture item settled, the totals differ by exactly its point.
    for value in Fracture:
        settled = BauerInput(Possible.of(value), inp.visceral, inp.primary, inp.bone)
        gap = 1 if value is Fracture.ABSENT else 0
        assert (
            score_bauer_original(settled).total.low == score_bauer_modified(settled).total.low + gap
        )
        assert (
            score_bauer_original(settled).total.high
            == score_bauer_modified(settled).total.high + gap
        )


@given(bauer_inputs)
def test_bauer_ranges_are_exact(inp):
    fields = ("fracture", "visceral", "primary", "bone")
    done = [BauerInput(**c) for c in completions(inp, fields)]
    for score, top in ((score_bauer_original, 5), (score_bauer_modified, 4)):
        result = score(inp)
        assert 0 <= result.total.low <= result.total.high <= top
        assert (result.total.low, result.total.high) == bounds([score(c) for c in done])


@given(nesms_inputs)
def test_nesms_range_is_exact_and_capped_at_3(inp):
    result = score_nesms(inp)
    assert 0 <= result.total.low <= result.total.high <= 3
    done = [
        NesmsInput(BauerInput(**b), **rest)
        for b in completions(inp.bauer, ("fracture", "visceral", "primary", "bone"))
        for rest in completions(inp, ("ambulation", "albumin"))
    ]
    assert (result.total.low, result.total.high) == bounds([score_nesms(c) for c in done])
    assert result.band is None


@given(linden_inputs)
def test_van_der_linden_range_is_exact_and_its_group_never_rests_on_a_recorded_kps_10(inp):
    result = score_linden(inp)
    assert 0 <= result.total.low <= result.total.high <= 6
    done = [LindenInput(**c) for c in completions(inp, ("kps", "primary", "visceral"))]
    assert (result.total.low, result.total.high) == bounds([score_linden(c) for c in done])
    if inp.kps.known and 10 in inp.kps.values:
        assert result.band is None
    elif result.band is not None:
        assert result.band.low <= result.total.low and result.total.high <= result.band.high


def test_albumin_domain_straddles_the_cut_off():
    assert min(ALBUMIN_DOMAIN) < 35.0 <= max(ALBUMIN_DOMAIN)
