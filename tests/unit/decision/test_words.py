from adapter.decision.words import shorten


def test_a_summary_that_fits_is_unchanged():
    assert shorten("SINS 10 at T12", 20) == "SINS 10 at T12"


def test_a_long_summary_is_cut_at_a_word_boundary():
    # 20 characters at most: "SINS 3–15 at T12: co" would cut "could"; the cut keeps whole words.
    assert shorten("SINS 3–15 at T12: could be up to 15", 20) == "SINS 3–15 at T12…"
    assert len(shorten("x " * 100)) <= 139
