"""markdown_text returns most card lines as they are without running its escapes: the shortcut
must never let through a text the escapes would have changed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adapter.vocabulary import cards
from adapter.vocabulary.cards import markdown_text

# Card lines, and every character the escapes or one_line act on, often enough to be met.
_ACTED_ON = "\\`*_~[]<>|&@#+=-0123456789.): wW\t\n\r\x00\x1b\x85\u00a0\u2028\u202e\u2066"
_TEXT = st.text(alphabet=st.sampled_from(_ACTED_ON) | st.characters(), max_size=40)


@settings(max_examples=3000, deadline=None)
@given(_TEXT)
def test_the_shortcut_agrees_with_the_escapes(text: str) -> None:
    assert markdown_text(text) == cards._escaped(text)


def test_plain_card_lines_come_back_as_they_are() -> None:
    line = "Spinal pain character: Mechanical pain (30 May 2024), at T12"
    assert markdown_text(line) is line
    for special in ("a  b", " a", "a ", "a\u00a0b", "1. a", "- a", "see http://x", "a@b", "a_b"):
        assert markdown_text(special) == cards._escaped(special) != special
