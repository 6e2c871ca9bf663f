"""The terminology files in mappings/ are exactly what the score vocabulary builds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from adapter.vocabulary import SCORES
from adapter.vocabulary.publish import published

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
BUILT = published()


@pytest.mark.parametrize("name", sorted(BUILT))
def test_file_in_mappings_equals_the_vocabulary(name):
    on_disk = json.loads((MAPPINGS / name).read_text())
    assert on_disk == BUILT[name], f"mappings/{name} drifted: run scripts/generate-terminology"


def test_bands_cover_each_total_range_without_gaps_or_overlaps():
    for spec in SCORES.values():
        for lower, upper in zip(spec.bands, spec.bands[1:], strict=False):
            assert upper.low == lower.high + 1, (spec.code, lower.code, upper.code)


def test_band_lookup_is_by_whole_range():
    sins = SCORES["sins"]
    assert sins.band_of(7, 12) is sins.band("sins-potentially-unstable")
    assert sins.band_of(6, 7) is None
    assert [b.code for b in sins.bands_within(6, 13)] == [b.code for b in sins.bands]
    with pytest.raises(KeyError):
        sins.band("tomita-terminal-care")
    with pytest.raises(KeyError):
        sins.component("tokuhashi-palsy")


@pytest.mark.parametrize("score", sorted(SCORES))
def test_each_band_text_names_the_cut_offs_it_is_built_on(score):
    # A cut-off lives in low/high; the texts that restate it must follow, so changing a cut-off
    # without its wording fails here instead of reaching a card.
    for band in SCORES[score].bands:
        span = str(band.low) if band.low == band.high else f"{band.low}-{band.high}"
        assert span in band.display and span in band.definition, band.code
        stated = re.findall(r"\b(\d+)[–-](\d+)\b", band.wording)
        assert all((int(a), int(b)) == (band.low, band.high) for a, b in stated), band.code
