"""The period a FHIR date or dateTime names (adapter/fhir/read/timing.py): what follows its end
certainly came after it, so that a diagnosis dated "2024-05-31" is not put before a grade timed
that morning (adapter/mapping/coded.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapter.fhir.read.timing import parse_time


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2024", datetime(2025, 1, 1, tzinfo=UTC)),
        ("2024-12", datetime(2025, 1, 1, tzinfo=UTC)),
        ("2024-02", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-05-31", datetime(2024, 6, 1, tzinfo=UTC)),
        ("2024-05-31T08:00:00Z", datetime(2024, 5, 31, 8, tzinfo=UTC)),
        ("2024-05-31T08:00:00+02:00", datetime(2024, 5, 31, 6, tzinfo=UTC)),
        ("9999-12-31", datetime.max.replace(tzinfo=UTC)),
        ("9999", datetime.max.replace(tzinfo=UTC)),
    ],
)
def test_a_time_ends_where_its_precision_does(text, end):
    time = parse_time(text)
    assert time is not None and time.end == end
