"""Properties every score must have, over random sets of possible inputs."""

from __future__ import annotations

import itertools
from enum import Enum
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapter.scoring import (
    COUNT_CAP,
    KPS_VALUES,
    LEVELS,
    Alignment,
    BoneExtent,
    BoneLesion,
    Collapse,
    Frankel,
    Growth,
    MajorOrgan,
    Pain,
    Possible,
    Posterolateral,
    PrimarySite,
    ScoreResult,
    SinsInput,
    TokuhashiInput,
    TomitaInput,
    Visceral,
    location_of,
    score_sins,
    score_tokuhashi_original,
    score_tokuhashi_revised,
    score_tomita,
)

SCORED_LEVELS = [lv for lv in LEVELS if location_of(lv) is not None]


def possible(domain):
    domain = list(domain)
    subset = st.sets(st.sampled_from(domain), min_size=1).map(lambda s: Possible(frozenset(s)))
    return st.one_of(subset, st.just(Possible.unknown(domain)))


sins_inputs = st.builds(
    SinsInput,
    level=st.sampled_from(SCORED_LEVELS),
    pain=possible(Pain),
    bone_lesion=possible(BoneLesion),
    alignment=possible(Alignment),
    collapse=possible(Collapse),
    posterolateral=possible(Posterolateral),
)
tomita_inputs = st.builds(
    TomitaInput, growth=possible(Growth), visceral=possible(Visceral), bone=possible(BoneExtent)
)
tokuhashi_inputs = st.builds(
    TokuhashiInput,
    kps=possible(KPS_VALUES),
    extraspinal_count=possible(range(COUNT_CAP + 1)),
    vertebral_count=possible(range(1, COUNT_CAP + 1)),
    major_organ=possible(MajorOrgan),
    primary_site=possible(PrimarySite),
    palsy=possible(Frankel),
)


def completions(inp):
    """Every fully known input consistent with a partially known one."""
    fields = [f for f in inp.__dataclass_fields__ if isinstance(getattr(inp, f), Possible)]
    choices = [sorted(getattr(inp, f).values, key=repr) for f in fields]
    for combo in itertools.product(*choices):
        yield type(inp)(
            **{f: getattr(inp, f) for f in inp.__dataclass_fields__ if f not in fields},
            **{f: Possible.of(v) for f, v in zip(fields, combo, strict=True)},
        )


def check_exact(result: ScoreResult, totals: set[int]) -> None:
    assert min(totals) == result.total.low
    assert max(totals) == result.total.high
    assert all(t in result.total for t in totals)


def check_band(result: ScoreResult, totals: set[int]) -> None:
    """The band is settled exactly when one holds the whole range, and the bands offered when it
    is not are those some possible total falls in: never one no combination of inputs reaches."""
    matching = [
        b for b in result.spec.bands if b.low <= result.total.low and result.total.high <= b.high
    ]
    assert result.band == (matching[0] if matching else None)
    if result.band is None:
        assert len(result.possible_bands) >= 2
    reached = [b for b in result.spec.bands if any(b.low <= t <= b.high for t in totals)]
    assert list(result.possible_bands) == reached


def sums(*sets: set[int]) -> set[int]:
    """Every total of one member of each set."""
    out = {0}
    for values in sets:
        out = {t + v for t in out for v in values}
    return out


def tokuhashi_totals(inp, score) -> set[int]:
    """Every total of the completions of ``inp``, without listing them all (tens of thousands):
    each field's own points, from completions that vary that field alone, summed; the two
    counts together when they are possible only in pairs."""
    fields = [f for f in inp.__dataclass_fields__ if isinstance(getattr(inp, f), Possible)]
    base = {f: Possible.of(min(getattr(inp, f).values, key=repr)) for f in fields}
    if inp.count_pairs is not None:
        v, e = min(inp.count_pairs)
        base |= {"vertebral_count": Possible.of(v), "extraspinal_count": Possible.of(e)}
    origin = score(type(inp)(**base)).total.low
    own = {
        f: {
            score(type(inp)(**{**base, f: Possible.of(v)})).total.low - origin
            for v in getattr(inp, f).values
        }
        for f in fields
    }
    if inp.count_pairs is None:
        return {origin + t for t in sums(*own.values())}
    rest = [pts for f, pts in own.items() if f not in ("extraspinal_count", "vertebral_count")]
    pairs = {
        score(type(inp)(**{**base, "extraspinal_count": Possible.of(e),
                           "vertebral_count": Possible.of(v)})).total.low - origin
        for v, e in inp.count_pairs
    }  # fmt: skip
    return {origin + t for t in sums(pairs, *rest)}


@given(sins_inputs)
def test_sins_range_is_exact_and_bounded(inp):
    result = score_sins(inp)
    assert 0 <= result.total.low <= result.total.high <= 18
    totals = {score_sins(c).total.low for c in completions(inp)}
    check_exact(result, totals)
    check_band(result, totals)


@given(tomita_inputs)
def test_tomita_range_is_exact_and_bounded(inp):
    result = score_tomita(inp)
    assert 2 <= result.total.low <= result.total.high <= 10
    totals = {score_tomita(c).total.low for c in completions(inp)}
    check_exact(result, totals)
    check_band(result, totals)


def extreme_completion(inp, score, pick):
    """A completion reaching the least (pick=min) or greatest total, found field by field."""
    fields = [f for f in inp.__dataclass_fields__ if isinstance(getattr(inp, f), Possible)]
    chosen = {f: Possible.of(next(iter(getattr(inp, f).values))) for f in fields}
    for _ in range(2):
        for f in fields:
            best = pick(
                getattr(inp, f).values,
                key=lambda v, f=f: score(type(inp)(**{**chosen, f: Possible.of(v)})).total.low,
            )
            chosen[f] = Possible.of(best)
    return type(inp)(**chosen)


@given(tokuhashi_inputs, st.randoms(use_true_random=False))
def test_tokuhashi_ranges_are_exact_and_bounded(inp, rnd):
    for score, top in ((score_tokuhashi_revised, 15), (score_tokuhashi_original, 12)):
        result = score(inp)
        assert 0 <= result.total.low <= result.total.high <= top
        # Both ends are reached by real completions ...
        assert score(extreme_completion(inp, score, min)).total.low == result.total.low
        assert score(extreme_completion(inp, score, max)).total.low == result.total.high
        # ... and no completion falls outside (a sample: there can be tens of thousands).
        fields = [f for f in inp.__dataclass_fields__ if isinstance(getattr(inp, f), Possible)]
        for _ in range(50):
            one = type(inp)(
                **{
                    f: Possible.of(rnd.choice(sorted(getattr(inp, f).values, key=repr)))
                    for f in fields
                }
            )
            assert score(one).total.low in result.total
        check_band(result, tokuhashi_totals(inp, score))


@given(sins_inputs)
def test_component_unknown_only_when_nothing_recorded(inp):
    result = score_sins(inp)
    by_code = {c.code: c for c in result.components}
    assert by_code["sins-pain"].known == inp.pain.known
    assert by_code["sins-location"].known and by_code["sins-location"].points.certain


# Monotonicity: options listed from least to most points for each component.
SINS_ORDER: dict[str, list[Enum]] = {
    "pain": [Pain.PAIN_FREE, Pain.NON_MECHANICAL, Pain.MECHANICAL],
    "bone_lesion": [BoneLesion.BLASTIC, BoneLesion.MIXED, BoneLesion.LYTIC],
    "alignment": [Alignment.NORMAL, Alignment.DE_NOVO_DEFORMITY, Alignment.SUBLUXATION],
    "collapse": [Collapse.NONE, Collapse.NONE_GT_50_INVOLVED, Collapse.LT_50, Collapse.GT_50],
    "posterolateral": [Posterolateral.NONE, Posterolateral.UNILATERAL, Posterolateral.BILATERAL],
}


@given(st.sampled_from(SCORED_LEVELS), st.data())
def test_sins_each_component_is_monotone(level, data):
    base: dict[str, Any] = {
        f: Possible.of(data.draw(st.sampled_from(order))) for f, order in SINS_ORDER.items()
    }
    for field, order in SINS_ORDER.items():
        totals = [
            score_sins(SinsInput(level, **{**base, field: Possible.of(o)})).total.low for o in order
        ]
        assert totals == sorted(totals) and len(set(totals)) == len(totals)


@given(st.data())
def test_tokuhashi_monotone_in_kps_and_counts(data):
    fixed: dict[str, Any] = dict(
        major_organ=Possible.of(data.draw(st.sampled_from(list(MajorOrgan)))),
        primary_site=Possible.of(data.draw(st.sampled_from(list(PrimarySite)))),
        palsy=Possible.of(data.draw(st.sampled_from(list(Frankel)))),
    )
    ext = Possible.of(data.draw(st.integers(0, COUNT_CAP)))
    vert = Possible.of(data.draw(st.integers(1, COUNT_CAP)))
    kps = Possible.of(data.draw(st.sampled_from(KPS_VALUES)))
    by_kps = [
        score_tokuhashi_revised(TokuhashiInput(Possible.of(k), ext, vert, **fixed)).total.low
        for k in KPS_VALUES
    ]
    assert by_kps == sorted(by_kps)
    by_extra = [
        score_tokuhashi_revised(TokuhashiInput(kps, Possible.of(n), vert, **fixed)).total.low
        for n in range(COUNT_CAP + 1)
    ]
    assert by_extra == sorted(by_extra, reverse=True)
    by_vert = [
        score_tokuhashi_revised(TokuhashiInput(kps, ext, Possible.of(n), **fixed)).total.low
        for n in range(1, COUNT_CAP + 1)
    ]
    assert by_vert == sorted(by_vert, reverse=True)


@given(st.data())
def test_tomita_monotone(data):
    growth = [Growth.SLOW, Growth.MODERATE, Growth.RAPID]
    visceral = [Visceral.NONE, Visceral.TREATABLE, Visceral.UNTREATABLE]
    bone = [BoneExtent.SOLITARY, BoneExtent.MULTIPLE]
    g = Possible.of(data.draw(st.sampled_from(growth)))
    v = Possible.of(data.draw(st.sampled_from(visceral)))
    b = Possible.of(data.draw(st.sampled_from(bone)))
    for totals in (
        [score_tomita(TomitaInput(Possible.of(x), v, b)).total.low for x in growth],
        [score_tomita(TomitaInput(g, Possible.of(x), b)).total.low for x in visceral],
        [score_tomita(TomitaInput(g, v, Possible.of(x))).total.low for x in bone],
    ):
        assert totals == sorted(totals) and len(set(totals)) == len(totals)


count_pairs = st.frozensets(
    st.tuples(st.integers(1, COUNT_CAP), st.integers(0, COUNT_CAP)), min_size=1, max_size=6
)


@given(tokuhashi_inputs, count_pairs)
def test_tokuhashi_joint_counts_give_the_exact_joint_range(inp, pairs):
    """When the two counts are possible only in pairs, the total is exact over those pairs:
    the least and greatest total of every completion that respects them."""
    joint = TokuhashiInput(
        inp.kps,
        Possible.among(e for _, e in pairs),
        Possible.among(v for v, _ in pairs),
        inp.major_organ,
        inp.primary_site,
        inp.palsy,
        pairs,
    )
    for score in (score_tokuhashi_revised, score_tokuhashi_original):
        totals = set()
        for v, e in pairs:
            pinned = TokuhashiInput(inp.kps, Possible.of(e), Possible.of(v), inp.major_organ,
                                    inp.primary_site, inp.palsy)  # fmt: skip
            span = score(pinned).total
            totals |= {span.low, span.high}
        result = score(joint)
        assert (result.total.low, result.total.high) == (min(totals), max(totals))
        check_band(result, tokuhashi_totals(joint, score))
