"""Bauer, modified Bauer, NESMS, van der Linden and the NOMS table: every confirmed row of
scores-more.md, with totals worked out by hand from its tables (not by running the code)."""

from __future__ import annotations

import pytest

from adapter.scoring import (
    Ambulation,
    BauerInput,
    BoneExtent,
    Compression,
    Fracture,
    LindenInput,
    NesmsInput,
    NomsInput,
    Possible,
    PrimarySite,
    Radiosensitivity,
    Stability,
    Tolerance,
    Visceral,
    noms_paths,
    score_bauer_modified,
    score_bauer_original,
    score_linden,
    score_nesms,
)

P = Possible.of
U = Possible.unknown
S = PrimarySite
NONE, TREAT, UNTREAT = Visceral.NONE, Visceral.TREATABLE, Visceral.UNTREATABLE
SOL, MULT = BoneExtent.SOLITARY, BoneExtent.MULTIPLE


def bauer(fracture, visceral, site, bone) -> BauerInput:
    def wrap(v):
        return v if isinstance(v, Possible) else P(v)

    return BauerInput(wrap(fracture), wrap(visceral), wrap(site), wrap(bone))


def span(result) -> tuple[int, int]:
    return result.total.low, result.total.high


def points(result) -> dict[str, tuple[int, int]]:
    return {c.code: (c.points.low, c.points.high) for c in result.components}


# (fracture, visceral, primary, bone) → original total, its band; modified total, its band.
# One point each: no fracture, no visceral, not lung, breast/kidney/lymphoma/myeloma, solitary.
BAUER_ROWS = [
    (Fracture.ABSENT, NONE, S.BREAST, SOL, 5, "bauer-original-4-5", 4, "bauer-modified-3-4"),
    (Fracture.PRESENT, NONE, S.KIDNEY, SOL, 4, "bauer-original-4-5", 4, "bauer-modified-3-4"),
    (Fracture.ABSENT, TREAT, S.MYELOMA, SOL, 4, "bauer-original-4-5", 3, "bauer-modified-3-4"),
    (Fracture.ABSENT, NONE, S.PROSTATE, MULT, 3, "bauer-original-2-3", 2, "bauer-modified-2"),
    (Fracture.PRESENT, UNTREAT, S.LYMPHOMA, MULT, 2, "bauer-original-2-3", 2, "bauer-modified-2"),
    (Fracture.PRESENT, NONE, S.COLON, MULT, 2, "bauer-original-2-3", 2, "bauer-modified-2"),
    (Fracture.ABSENT, TREAT, S.LUNG, MULT, 1, "bauer-original-0-1", 0, "bauer-modified-0-1"),
    (Fracture.PRESENT, UNTREAT, S.LUNG, MULT, 0, "bauer-original-0-1", 0, "bauer-modified-0-1"),
    (Fracture.PRESENT, TREAT, S.STOMACH, MULT, 1, "bauer-original-0-1", 1, "bauer-modified-0-1"),
    (Fracture.PRESENT, TREAT, S.LUNG, SOL, 1, "bauer-original-0-1", 1, "bauer-modified-0-1"),
]


@pytest.mark.parametrize(
    ("fracture", "visceral", "site", "bone", "orig", "orig_band", "mod", "mod_band"), BAUER_ROWS
)
def test_bauer_rows(fracture, visceral, site, bone, orig, orig_band, mod, mod_band):
    inp = bauer(fracture, visceral, site, bone)
    original, modified = score_bauer_original(inp), score_bauer_modified(inp)
    assert span(original) == (orig, orig) and original.band.code == orig_band
    assert span(modified) == (mod, mod) and modified.band.code == mod_band


def test_bauer_components_are_one_point_each():
    result = score_bauer_original(bauer(Fracture.ABSENT, NONE, S.BREAST, SOL))
    assert points(result) == {
        "bauer-no-pathological-fracture": (1, 1),
        "bauer-no-visceral-metastases": (1, 1),
        "bauer-primary-not-lung": (1, 1),
        "bauer-primary-favourable": (1, 1),
        "bauer-solitary-skeletal-metastasis": (1, 1),
    }
    assert [c.code for c in score_bauer_modified(bauer(Fracture.ABSENT, NONE, S.BREAST, SOL)).components] == [
        "bauer-no-visceral-metastases", "bauer-primary-not-lung", "bauer-primary-favourable",
        "bauer-solitary-skeletal-metastasis",
    ]  # fmt: skip


def test_unidentified_primary_is_not_lung_0_1_and_favourable_0():
    # scores-more.md: C80 "not lung" 0–1, "favourable" 0 (how Bauer scored it is UNCONFIRMED).
    result = score_bauer_original(bauer(Fracture.ABSENT, NONE, S.UNIDENTIFIED, SOL))
    assert points(result)["bauer-primary-not-lung"] == (0, 1)
    assert points(result)["bauer-primary-favourable"] == (0, 0)
    assert span(result) == (3, 4) and result.band is None  # 2–3 or 4–5: no group


def test_missing_fracture_is_a_range_in_the_original_only():
    inp = bauer(U(Fracture), NONE, S.BREAST, SOL)
    original = score_bauer_original(inp)
    assert span(original) == (4, 5) and original.band.code == "bauer-original-4-5"
    assert not original.components[0].known
    assert span(score_bauer_modified(inp)) == (4, 4)


def test_everything_unknown_spans_the_whole_scale():
    inp = bauer(U(Fracture), U(Visceral), U(PrimarySite), U(BoneExtent))
    assert span(score_bauer_original(inp)) == (0, 5)
    assert span(score_bauer_modified(inp)) == (0, 4)


def nesms(site, visceral, bone, ambulation, albumin) -> NesmsInput:
    walk = ambulation if isinstance(ambulation, Possible) else P(ambulation)
    alb = albumin if isinstance(albumin, Possible) else P(albumin)
    return NesmsInput(bauer(Fracture.ABSENT, visceral, site, bone), walk, alb)


IND, AID, NON = Ambulation.INDEPENDENT, Ambulation.WITH_AID, Ambulation.NON_AMBULATORY

# modified Bauer (by hand) → NESMS points 2/0; ambulatory 1/0; albumin ≥ 35 g/L 1/0; min(sum, 3).
NESMS_ROWS = [
    (S.BREAST, NONE, SOL, IND, 40.0, (2, 1, 1), 3),  # mBauer 4; sum 4 → ceiling 3
    (S.BREAST, NONE, SOL, NON, 20.0, (2, 0, 0), 2),  # mBauer 4
    (S.KIDNEY, NONE, MULT, NON, 35.0, (2, 0, 1), 3),  # mBauer 3 (cut-off), albumin = 3.5 g/dL
    (S.PROSTATE, NONE, SOL, IND, 34.9, (2, 1, 0), 3),  # mBauer 3
    (S.PROSTATE, NONE, MULT, IND, 35.0, (0, 1, 1), 2),  # mBauer 2
    (S.PROSTATE, NONE, MULT, NON, 40.0, (0, 0, 1), 1),
    (S.LUNG, TREAT, MULT, IND, 10.0, (0, 1, 0), 1),  # mBauer 0
    (S.LUNG, TREAT, MULT, NON, 34.0, (0, 0, 0), 0),
]


@pytest.mark.parametrize(
    ("site", "visceral", "bone", "walk", "albumin", "parts", "total"), NESMS_ROWS
)
def test_nesms_rows(site, visceral, bone, walk, albumin, parts, total):
    result = score_nesms(nesms(site, visceral, bone, walk, albumin))
    assert [c.points.low for c in result.components] == list(parts)
    assert all(c.points.certain for c in result.components)
    assert span(result) == (total, total)
    assert result.band is None and result.unlabelled  # no survival label per value


def test_nesms_modified_bauer_spanning_3_gives_component_0_2():
    # Unidentified primary, no visceral, solitary: modified Bauer 1 + (0–1) + 0 + 1 = 2–3.
    result = score_nesms(nesms(S.UNIDENTIFIED, NONE, SOL, IND, 40.0))
    assert points(result)["nesms-modified-bauer"] == (0, 2)
    assert span(result) == (2, 3)  # 0+1+1 … min(2+1+1, 3)


def test_walking_with_an_aid_and_missing_albumin_are_0_1():
    result = score_nesms(nesms(S.PROSTATE, NONE, MULT, AID, U((0.0, 35.0))))
    assert points(result)["nesms-ambulatory"] == (0, 1)
    assert points(result)["nesms-albumin"] == (0, 1)
    assert not result.components[2].known
    assert span(result) == (0, 2)


def test_nesms_everything_unknown_is_0_3():
    inp = NesmsInput(
        bauer(U(Fracture), U(Visceral), U(PrimarySite), U(BoneExtent)),
        U(Ambulation),
        U((0.0, 35.0)),
    )
    assert span(score_nesms(inp)) == (0, 3)


# KPS 80–100 2, 50–70 1, 10–40 0; breast 3, prostate 2, lung 1, other 0; no visceral 1.
LINDEN_ROWS = [
    (80, S.BREAST, NONE, 6, "van-der-linden-c"),
    (100, S.BREAST, NONE, 6, "van-der-linden-c"),
    (90, S.BREAST, TREAT, 5, "van-der-linden-b"),
    (70, S.BREAST, NONE, 5, "van-der-linden-b"),
    (100, S.PROSTATE, NONE, 5, "van-der-linden-b"),
    (90, S.LUNG, NONE, 4, "van-der-linden-b"),
    (50, S.PROSTATE, NONE, 4, "van-der-linden-b"),
    (70, S.PROSTATE, UNTREAT, 3, "van-der-linden-a"),
    (50, S.LUNG, NONE, 3, "van-der-linden-a"),
    (80, S.KIDNEY, NONE, 3, "van-der-linden-a"),
    (40, S.BREAST, UNTREAT, 3, "van-der-linden-a"),
    (20, S.COLON, TREAT, 0, "van-der-linden-a"),
]


@pytest.mark.parametrize(("kps", "site", "visceral", "total", "band"), LINDEN_ROWS)
def test_van_der_linden_rows(kps, site, visceral, total, band):
    result = score_linden(LindenInput(P(kps), P(site), P(visceral)))
    assert span(result) == (total, total)
    assert result.band.code == band


def test_kps_10_scores_0_but_gives_no_group():
    # The source's lowest band reads 20–40: KPS 10 → 0 is UNCONFIRMED, so no group label.
    result = score_linden(LindenInput(P(10), P(S.BREAST), P(NONE)))
    assert span(result) == (4, 4)
    assert result.band is None and "UNCONFIRMED" in result.unlabelled


def test_ecog_4_may_be_kps_10_so_no_group_but_a_missing_kps_is_its_whole_range():
    ecog4 = Possible.among((10, 20))  # ECOG 4 → KPS 10–20 (scores.md)
    result = score_linden(LindenInput(ecog4, P(S.COLON), P(TREAT)))
    assert span(result) == (0, 0) and result.band is None
    missing = score_linden(LindenInput(U(range(10, 101, 10)), P(S.COLON), P(TREAT)))
    assert span(missing) == (0, 2) and missing.band.code == "van-der-linden-a"


def test_ecog_as_a_kps_range_and_an_unidentified_primary_are_ranges():
    ecog1 = Possible.among((70, 80))  # ECOG 1 → KPS 70–80 (scores.md)
    result = score_linden(LindenInput(ecog1, P(S.BREAST), P(NONE)))
    assert span(result) == (5, 6) and result.band is None
    result = score_linden(LindenInput(P(80), P(S.UNIDENTIFIED), P(NONE)))
    assert points(result)["van-der-linden-primary"] == (0, 1)
    assert span(result) == (3, 4) and result.band is None


LOW, HIGH = Compression.LOW, Compression.HIGH
SENS, RES = Radiosensitivity.RADIOSENSITIVE, Radiosensitivity.RADIORESISTANT
STABLE, UNSTABLE = Stability.STABLE, Stability.UNSTABLE
ABLE, UNABLE = Tolerance.ABLE, Tolerance.UNABLE

# The NOMS table (scores-more.md), first match; row 6 UNCONFIRMED.
NOMS_ROWS = [
    (LOW, SENS, UNSTABLE, ABLE, "stabilise"),  # row 1: any N, any O
    (HIGH, RES, UNSTABLE, ABLE, "stabilise"),
    (LOW, SENS, STABLE, ABLE, "cebrt-low"),  # row 2
    (LOW, SENS, STABLE, UNABLE, "cebrt-low"),
    (HIGH, SENS, STABLE, UNABLE, "cebrt-high"),  # row 3
    (LOW, RES, STABLE, UNABLE, "srs"),  # row 4
    (HIGH, RES, STABLE, ABLE, "separation-srs"),  # row 5
    (HIGH, RES, STABLE, UNABLE, "no-surgical-path"),  # row 6 (as row 5, not fit)
    (LOW, SENS, UNSTABLE, UNABLE, "no-surgical-path"),  # row 6 (as row 1, not fit)
]


@pytest.mark.parametrize(("n", "o", "m", "s", "path"), NOMS_ROWS)
def test_noms_rows(n, o, m, s, path):
    result = noms_paths(NomsInput("T8", P(n), P(o), P(m), P(s)))
    assert [p.code for p in result.paths] == [path]
    assert result.settled and result.open == ()
    assert result.paths[0].unconfirmed is (path == "no-surgical-path")


def test_bilsky_1c_lists_both_low_and_high_rows():
    # Row 7: 1c is contested, so both the low-grade and the high-grade row.
    result = noms_paths(NomsInput("T8", Possible.among((LOW, HIGH)), P(RES), P(STABLE), P(ABLE)))
    assert [p.code for p in result.paths] == ["srs", "separation-srs"]


def test_a_missing_input_lists_every_row_it_could_match():
    result = noms_paths(NomsInput("T8", P(HIGH), P(RES), P(STABLE), U(Tolerance)))
    assert [p.code for p in result.paths] == ["separation-srs", "no-surgical-path"]
    assert result.open == ("systemic (tolerates surgery)",)
    everything = noms_paths(
        NomsInput("T8", U(Compression), U(Radiosensitivity), U(Stability), U(Tolerance))
    )
    assert [p.row for p in everything.paths] == [1, 2, 3, 4, 5, 6]
    # SINS 7–12 (either) with a radiosensitive low-grade tumour, fit: stabilise or cEBRT.
    either = noms_paths(NomsInput("T8", P(LOW), P(SENS), U(Stability), P(ABLE)))
    assert [p.code for p in either.paths] == ["stabilise", "cebrt-low"]


def test_an_invalid_karnofsky_value_is_rejected_not_scored():
    # KPS moves in steps of 10: 45 is no Karnofsky score (as for Tokuhashi).
    with pytest.raises(ValueError, match="Karnofsky"):
        score_linden(LindenInput(P(45), P(S.BREAST), P(NONE)))
