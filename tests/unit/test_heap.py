"""The collector set for long runs: start-up frozen, a larger young generation, cycles still freed."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from adapter import cli
from adapter.heap import YOUNG, settle

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed-07.json"


@pytest.fixture
def collector():
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_settle_freezes_start_up_and_grows_the_young_generation(collector):
    alive = [object() for _ in range(100)]  # what start-up made and the run keeps
    settle()
    assert gc.get_freeze_count() >= len(alive)
    assert gc.get_threshold()[0] == YOUNG
    assert gc.isenabled()


def test_after_settling_a_cycle_is_still_freed(collector):
    settle()
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    kept: list[list[int]] = []
    for _ in range(2 * YOUNG):  # objects a run keeps for a while, until a collection comes
        kept.append([])
        if gone() is None:
            break
    assert gone() is None
    # Not after 700 new objects as before, but once about YOUNG had come. Allocations of other
    # threads of the test process count towards the same threshold: the lower bound leaves room.
    assert YOUNG // 2 < len(kept) < YOUNG * 11 // 10


def test_score_settles_the_collector_once_its_start_up_is_done(collector, capsys):
    assert gc.get_threshold()[0] == 700
    assert cli.main(["score", str(SEED)]) == 0
    assert gc.get_threshold()[0] == YOUNG
    assert '"resourceType":"Bundle"' in capsys.readouterr().out
