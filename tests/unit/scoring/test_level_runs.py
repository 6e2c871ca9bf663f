"""Levels as runs, for a summary with little room: three or more in a row are one run."""

from __future__ import annotations

import pytest

from adapter.scoring import level_runs


@pytest.mark.parametrize(
    ("levels", "said"),
    [
        (["T10", "T11", "T12", "L1", "L2", "L3"], "T10–L3"),  # across the thoracolumbar border
        (["T12", "T11"], "T11, T12"),  # two stay two
        (["L1", "T8", "T9", "T10"], "T8–T10, L1"),
        (["C7", "T1", "T1"], "C7, T1"),
        ([], ""),
    ],
)
def test_levels_in_a_row_are_one_run(levels, said):
    assert level_runs(levels) == said
