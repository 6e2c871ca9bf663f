"""The computation time as the gate for inputs (contract §2): what is after it is reported and
not used — but a date with no time of day (or a time with no zone) is after it only once that day
has begun nowhere on Earth: at 23:30 UTC it is already the next day east of UTC+0:30."""

from __future__ import annotations

import pytest

from adapter.fhir.read.records import ResourceRef
from adapter.fhir.read.timing import parse_time
from adapter.mapping.context import Context
from adapter.mapping.rules import DEFAULT_RULES
from adapter.mapping.terminology import default_terminology

NOW = "2024-06-01T23:30:00Z"
REF = ResourceRef("Condition", "Condition/m")


@pytest.mark.parametrize(
    ("when", "future"),
    [
        ("2024-06-02", False),  # today in Tokyo (08:30 on 2 Jun)
        ("2024-06-02T08:15:00", False),  # a local time with no zone: may be Tokyo's
        ("2024-06-02T08:15:00+09:00", False),  # 23:15 UTC on 1 Jun
        ("2024-06-02T08:15:00Z", True),  # a time in UTC, hours ahead
        ("2024-06-03", True),  # that day has begun nowhere yet
        ("2024-06-01", False),
    ],
)
def test_a_day_is_after_the_computation_time_only_once_it_has_begun_nowhere(when, future):
    ctx = Context(default_terminology(), DEFAULT_RULES, parse_time(NOW))
    assert ctx.from_future(REF, parse_time(when), "the metastasis") is future
    assert bool(ctx.issues) is future
