"""A command that needs an optional part it lacks says which extra to install: exit 2, one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapter import cli, extras
from adapter.extras import MissingExtraError, require

ROOT = Path(__file__).resolve().parents[1].parent


@pytest.fixture
def without_cohort(monkeypatch):
    monkeypatch.setitem(extras.EXTRAS, "cohort", ("spinemets_no_such_module",))


def test_require_names_the_extra(without_cohort):
    with pytest.raises(MissingExtraError, match=r"pip install 'spinemets\[cohort\]'"):
        require("cohort", "spinemets cohort")
    require("redis", "a Redis queue")  # installed here: nothing happens


def test_cohort_without_its_extra_exits_2_with_one_line(without_cohort, capsys):
    seed = ROOT / "fixtures" / "seed" / "seed-01.json"
    assert cli.main(["cohort", str(seed)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "spinemets: spinemets cohort needs the 'cohort' extra: pip install 'spinemets[cohort]'\n"
    )


def test_a_dask_scheduler_without_the_batch_extra_is_refused(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(extras.EXTRAS, "batch", ("spinemets_no_such_module",))
    args = ["batch", str(tmp_path), "--output", str(tmp_path / "out"), "--scheduler", "tcp://x:1"]
    assert cli.main(args) == 2
    assert "needs the 'batch' extra" in capsys.readouterr().err
