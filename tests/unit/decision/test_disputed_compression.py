"""A Bilsky grade whose bodySite settles none of its levels (coded T12, worded "T11") counts at
each level it may be at, each copy judged at its own level (contract §2, §5 v3): a
decompression at one level never settles the compression at the other, on any surface."""

from __future__ import annotations

from tests.support.records import VERTEBRA, condition, default_patient, finding, order, procedure
from tests.unit.decision.test_wording import decisions_for, surfaces

BILSKY = "epidural-spinal-cord-compression"


def _disputed(grade: str = "bilsky-3", status: str | None = None) -> dict:
    found = finding("bilsky-d", BILSKY, grade, when="2024-05-31T09:00:00Z")
    found["bodySite"] = {"coding": [{"system": VERTEBRA, "code": "T12"}], "text": "T11"}
    if status:
        found["status"] = status
    return found


def _metastasis(level: str) -> dict:
    return condition(f"met-{level.lower()}", "C79.51", level=level)


def _row(cards, number: int) -> str:
    lines = "\n".join(c.detail or "" for c in cards).splitlines()
    return next(line for line in lines if line.startswith(f"| {number} "))


def test_a_decompression_at_one_of_two_levels_never_hides_the_compression_at_the_other():
    decompression = procedure("dec", "63003", "T11", when="2024-05-31T12:00:00Z")
    record = default_patient(
        drop=("bilsky-t12",),
        extra=(_metastasis("T11"), _metastasis("L2"), _disputed(), decompression),
    )
    cards, _, text, page = surfaces(decisions_for(record, [order("vp", "22511", "L2")]))
    assert any(c.indicator == "critical" and "compression" in c.summary for c in cards)
    assert "ALERT [critical]" in text and "Bilsky 2–3 at T12" in page
    row = _row(cards, 8)
    assert "**unmet**" in row and "no Bilsky grade at T12" not in row


def test_an_order_at_the_first_of_two_levels_still_counts_the_compression_at_the_other():
    record = default_patient(extra=(_metastasis("T11"), _disputed(status="preliminary")))
    cards, *_ = surfaces(decisions_for(record, [order("vp", "22510", "T11")]))
    row = _row(cards, 8)
    assert "**unmet**" in row and "no Bilsky grade at T12" not in row


def test_a_disputed_low_grade_is_a_grade_at_both_levels():
    record = default_patient(
        drop=("bilsky-t12",),
        extra=(
            _metastasis("T11"),
            _metastasis("L2"),
            _disputed("bilsky-1c"),
            finding("b-l2", BILSKY, "bilsky-0", level="L2", when="2024-05-31T09:00:00Z"),
        ),
    )
    cards, *_ = surfaces(decisions_for(record, [order("vp", "22511", "L2")]))
    assert "no Bilsky grade at T12" not in _row(cards, 8)


def test_a_compression_grade_where_no_metastasis_is_recorded_is_named_never_said_unused():
    """The procedure check reads every level's grade (criterion 8): a grade next to the ordered
    level is named to check its level, with no claim that it was not used."""
    grades = {
        "bilsky-3": (finding("b11", BILSKY, "bilsky-3", level="T11", when="2024-05-31T09:00:00Z"),),
        "bilsky-0": (finding("b11", BILSKY, "bilsky-0", level="T11", when="2024-05-31T09:00:00Z"),),
    }
    for grade, extra in grades.items():
        cards, *_ = surfaces(
            decisions_for(default_patient(extra=extra), [order("vp", "22510", "T12")])
        )
        lines = "\n".join(c.detail or "" for c in cards).splitlines()
        (line,) = [ln for ln in lines if ln.startswith("- Recorded at T11")]
        assert "check the level" in line and "not used" not in line, grade
