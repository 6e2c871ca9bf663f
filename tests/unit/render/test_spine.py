"""The spine drawing covers the whole spine, C1 to S5."""

from __future__ import annotations

import re

from adapter.render.spine import spine_svg


def test_every_level_from_c1_to_s5_is_drawn_once_in_order():
    svg = spine_svg({"S3": ("4", "sins-stable")})
    labels = re.findall(r'text-anchor="end" fill="#1b1f24">([^<]+)<', svg)
    expected = [f"C{n}" for n in range(1, 8)] + [f"T{n}" for n in range(1, 13)]
    expected += [f"L{n}" for n in range(1, 6)] + [f"S{n}" for n in range(1, 6)]
    assert labels == expected
    assert svg.count("<rect") == 29 and "SINS 4 · stable" in svg
    assert "Spine from C1 to S5" in svg
