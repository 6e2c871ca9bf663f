"""The one order of level totals, the worst first (scores.md v3): what is certain comes first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapter.scoring import Span, worst_first

spans = st.tuples(st.integers(0, 18), st.integers(0, 18)).map(lambda p: Span(min(p), max(p)))


def test_a_certain_14_stands_before_an_unassessed_3_to_18():
    ranked = sorted([Span(3, 18), Span(14, 14), Span(14, 16)], key=worst_first)
    assert ranked == [Span(14, 16), Span(14, 14), Span(3, 18)]


@given(spans, spans)
def test_the_higher_lower_bound_then_the_higher_upper_bound_comes_first(a, b):
    before = a.low > b.low or (a.low == b.low and a.high > b.high)
    assert (worst_first(a) < worst_first(b)) == before
    assert (worst_first(a) == worst_first(b)) == (a == b)
