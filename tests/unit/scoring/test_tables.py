"""Point tables and bands exactly as the primary publications give them (docs/scores.md)."""

from __future__ import annotations

from typing import Any

import pytest

from adapter.scoring import (
    Alignment,
    BoneExtent,
    BoneLesion,
    Collapse,
    Frankel,
    Growth,
    Location,
    MajorOrgan,
    Pain,
    Possible,
    Posterolateral,
    PrimarySite,
    SinsInput,
    Span,
    TokuhashiInput,
    TomitaInput,
    Visceral,
    bone_extent_from_counts,
    location_of,
    score_sins,
    score_tokuhashi_original,
    score_tokuhashi_revised,
    score_tomita,
)

P = Possible.of


@pytest.mark.parametrize(
    ("levels", "location"),
    [
        (
            ["occiput", "C1", "C2", "C7", "T1", "T2", "T11", "T12", "L1", "L5", "S1"],
            Location.JUNCTIONAL,
        ),
        (["C3", "C4", "C5", "C6", "L2", "L3", "L4"], Location.MOBILE),
        ([f"T{n}" for n in range(3, 11)], Location.SEMI_RIGID),
        (["S2", "S3", "S4", "S5"], Location.RIGID),
    ],
)
def test_sins_location_by_level(levels, location):
    assert all(location_of(level) is location for level in levels)


def test_coccyx_is_not_scored_and_unknown_level_rejected():
    assert location_of("coccyx") is None
    with pytest.raises(ValueError, match="not a spinal level"):
        location_of("T13")
    with pytest.raises(ValueError, match="does not score"):
        score_sins(SinsInput("coccyx", P(Pain.MECHANICAL), P(BoneLesion.LYTIC),
                             P(Alignment.NORMAL), P(Collapse.NONE), P(Posterolateral.NONE)))  # fmt: skip


def sins(level, pain, lesion, align, collapse, postero):
    return score_sins(SinsInput(level, P(pain), P(lesion), P(align), P(collapse), P(postero)))


def test_sins_maximum_and_minimum():
    worst = sins("T12", Pain.MECHANICAL, BoneLesion.LYTIC, Alignment.SUBLUXATION, Collapse.GT_50,
                 Posterolateral.BILATERAL)  # fmt: skip
    assert worst.total == Span(18, 18) and worst.band.code == "sins-unstable"
    best = sins("S3", Pain.PAIN_FREE, BoneLesion.BLASTIC, Alignment.NORMAL, Collapse.NONE,
                Posterolateral.NONE)  # fmt: skip
    assert best.total == Span(0, 0) and best.band.code == "sins-stable"


@pytest.mark.parametrize(
    ("args", "total", "band"),
    [
        # 6/7 boundary: the seed's "< 6 stable, 6-12" is wrong at 6; Fisher: 0-6 stable.
        (("T5", Pain.MECHANICAL, BoneLesion.LYTIC, Alignment.NORMAL, Collapse.NONE, Posterolateral.NONE), 6, "sins-stable"),
        (("T5", Pain.MECHANICAL, BoneLesion.LYTIC, Alignment.NORMAL, Collapse.NONE_GT_50_INVOLVED, Posterolateral.NONE), 7, "sins-potentially-unstable"),
        (("L1", Pain.MECHANICAL, BoneLesion.LYTIC, Alignment.NORMAL, Collapse.GT_50, Posterolateral.UNILATERAL), 12, "sins-potentially-unstable"),
        (("L1", Pain.MECHANICAL, BoneLesion.LYTIC, Alignment.DE_NOVO_DEFORMITY, Collapse.GT_50, Posterolateral.NONE), 13, "sins-unstable"),
    ],
)  # fmt: skip
def test_sins_band_boundaries(args, total, band):
    result = sins(*args)
    assert result.total == Span(total, total)
    assert result.band.code == band


def test_sins_recommendation_never_says_surgery_indicated():
    for band in score_sins(
        SinsInput(
            "T5",
            Possible.unknown(Pain),
            Possible.unknown(BoneLesion),
            Possible.unknown(Alignment),
            Possible.unknown(Collapse),
            Possible.unknown(Posterolateral),
        )
    ).possible_bands:
        assert "indicated" not in band.wording
        if band.low >= 7:
            assert "surgical consultation recommended" in band.wording


def test_sins_missing_component_gives_its_whole_range():
    result = score_sins(SinsInput("T5", Possible.unknown(Pain), P(BoneLesion.LYTIC), P(Alignment.NORMAL),
                                  P(Collapse.LT_50), P(Posterolateral.NONE)))  # fmt: skip
    pain = result.components[1]
    assert (pain.code, pain.points, pain.known) == ("sins-pain", Span(0, 3), False)
    assert result.total == Span(5, 8) and result.band is None


@pytest.mark.parametrize(
    ("growth", "visceral", "bone", "total", "band"),
    [
        (Growth.SLOW, Visceral.NONE, BoneExtent.SOLITARY, 2, "tomita-long-term-control"),
        (Growth.MODERATE, Visceral.NONE, BoneExtent.SOLITARY, 3, "tomita-long-term-control"),
        (Growth.SLOW, Visceral.TREATABLE, BoneExtent.SOLITARY, 4, "tomita-middle-term-control"),
        (Growth.RAPID, Visceral.NONE, BoneExtent.SOLITARY, 5, "tomita-middle-term-control"),
        (Growth.RAPID, Visceral.NONE, BoneExtent.MULTIPLE, 6, "tomita-short-term-palliation"),
        (Growth.SLOW, Visceral.UNTREATABLE, BoneExtent.MULTIPLE, 7, "tomita-short-term-palliation"),
        (Growth.MODERATE, Visceral.UNTREATABLE, BoneExtent.MULTIPLE, 8, "tomita-terminal-care"),
        (Growth.RAPID, Visceral.UNTREATABLE, BoneExtent.MULTIPLE, 10, "tomita-terminal-care"),
    ],
)
def test_tomita_points_and_bands(growth, visceral, bone, total, band):
    # Visceral "none" is 0 points (the seed's Table 2 wrongly gives it 1).
    result = score_tomita(TomitaInput(P(growth), P(visceral), P(bone)))
    assert result.total == Span(total, total) and result.band.code == band


def test_tomita_ambiguous_colorectal_is_a_range():
    result = score_tomita(
        TomitaInput(P(Growth.MODERATE, Growth.RAPID), P(Visceral.NONE), P(BoneExtent.SOLITARY))
    )
    assert result.total == Span(3, 5) and result.band is None


@pytest.mark.parametrize(
    ("vertebral", "extraspinal", "expected"),
    [((1,), (0,), {BoneExtent.SOLITARY}), ((2,), (0,), {BoneExtent.MULTIPLE}),
     ((1,), (1,), {BoneExtent.MULTIPLE}), ((1, 2), (0,), {BoneExtent.SOLITARY, BoneExtent.MULTIPLE})],
)  # fmt: skip
def test_bone_extent_from_counts(vertebral, extraspinal, expected):
    assert (
        bone_extent_from_counts(Possible.among(vertebral), Possible.among(extraspinal)).values
        == expected
    )


def tok(kps=80, extra=0, vert=1, major=MajorOrgan.NONE, site=PrimarySite.BREAST, palsy=Frankel.E):
    return TokuhashiInput(P(kps), P(extra), P(vert), P(major), P(site), P(palsy))


@pytest.mark.parametrize(("kps", "points"), [(10, 0), (40, 0), (50, 1), (70, 1), (80, 2), (100, 2)])
def test_tokuhashi_general_condition(kps, points):
    assert score_tokuhashi_revised(tok(kps=kps)).components[0].points == Span(points, points)


@pytest.mark.parametrize(
    ("site", "revised", "original"),
    [
        (PrimarySite.LUNG, 0, 0), (PrimarySite.OSTEOSARCOMA, 0, 1), (PrimarySite.STOMACH, 0, 0),
        (PrimarySite.BLADDER, 0, 1), (PrimarySite.ESOPHAGUS, 0, 1), (PrimarySite.PANCREAS, 0, 1),
        (PrimarySite.LIVER, 1, 1), (PrimarySite.GALLBLADDER, 1, 1), (PrimarySite.UNIDENTIFIED, 1, 1),
        (PrimarySite.COLON, 2, 1), (PrimarySite.MYELOMA, 2, 1), (PrimarySite.OTHER, 2, 1),
        (PrimarySite.KIDNEY, 3, 1), (PrimarySite.UTERUS, 3, 1), (PrimarySite.RECTUM, 4, 2),
        (PrimarySite.THYROID, 5, 2), (PrimarySite.BREAST, 5, 2), (PrimarySite.PROSTATE, 5, 2),
        (PrimarySite.CARCINOID, 5, 1),
    ],
)  # fmt: skip
def test_tokuhashi_primary_site_groups(site, revised, original):
    assert score_tokuhashi_revised(tok(site=site)).components[4].points == Span(revised, revised)
    assert score_tokuhashi_original(tok(site=site)).components[4].points == Span(original, original)


@pytest.mark.parametrize(
    ("palsy", "points"),
    [(Frankel.A, 0), (Frankel.B, 0), (Frankel.C, 1), (Frankel.D, 1), (Frankel.E, 2)],
)
def test_tokuhashi_palsy_frankel_b_is_complete(palsy, points):
    assert score_tokuhashi_revised(tok(palsy=palsy)).components[5].points == Span(points, points)


@pytest.mark.parametrize(
    ("inp", "total", "band"),
    [
        (tok(kps=80, extra=3, vert=3, major=MajorOrgan.UNREMOVABLE, site=PrimarySite.PROSTATE, palsy=Frankel.E), 9, "tokuhashi-ge-6-months"),
        (tok(kps=80, extra=3, vert=3, major=MajorOrgan.UNREMOVABLE, site=PrimarySite.RECTUM, palsy=Frankel.E), 8, "tokuhashi-lt-6-months"),
        (tok(kps=80, extra=3, vert=2, major=MajorOrgan.REMOVABLE, site=PrimarySite.PROSTATE, palsy=Frankel.E), 11, "tokuhashi-ge-6-months"),
        (tok(kps=80, extra=1, vert=2, major=MajorOrgan.REMOVABLE, site=PrimarySite.PROSTATE, palsy=Frankel.E), 12, "tokuhashi-ge-12-months"),
        (tok(), 15, "tokuhashi-ge-12-months"),
    ],
)  # fmt: skip
def test_tokuhashi_revised_band_boundaries(inp, total, band):
    result = score_tokuhashi_revised(inp)
    assert result.total == Span(total, total) and result.band.code == band


@pytest.mark.parametrize(
    ("inp", "total", "band"),
    [
        (tok(kps=50, extra=3, vert=3, major=MajorOrgan.UNREMOVABLE, site=PrimarySite.BREAST, palsy=Frankel.E), 5, "tokuhashi-original-le-3-months"),
        (tok(kps=80, extra=3, vert=3, major=MajorOrgan.UNREMOVABLE, site=PrimarySite.BREAST, palsy=Frankel.E), 6, "tokuhashi-original-variable"),
        (tok(kps=80, extra=1, vert=2, major=MajorOrgan.UNREMOVABLE, site=PrimarySite.BREAST, palsy=Frankel.E), 8, "tokuhashi-original-variable"),
        (tok(kps=80, extra=1, vert=1, major=MajorOrgan.UNREMOVABLE, site=PrimarySite.BREAST, palsy=Frankel.E), 9, "tokuhashi-original-ge-12-months"),
    ],
)  # fmt: skip
def test_tokuhashi_original_band_boundaries(inp, total, band):
    result = score_tokuhashi_original(inp)
    assert result.total == Span(total, total) and result.band.code == band


def test_a_band_no_total_can_reach_is_never_offered():
    """Two unlinked primaries, lung (0) or breast (5), Karnofsky 40: the totals are 8 or 13.
    The range 8–13 spans three bands, but 9–11 is reached by no combination of the inputs."""
    inp = TokuhashiInput(
        P(40), P(0), P(1), P(MajorOrgan.NONE),
        Possible.of(PrimarySite.LUNG, PrimarySite.BREAST), P(Frankel.E),
    )  # fmt: skip
    result = score_tokuhashi_revised(inp)
    assert result.total == Span(8, 13) and result.band is None
    assert [b.code for b in result.possible_bands] == [
        "tokuhashi-lt-6-months",
        "tokuhashi-ge-12-months",
    ]


def test_invalid_raw_values_are_rejected_not_scored():
    with pytest.raises(ValueError, match="Karnofsky"):
        score_tokuhashi_revised(tok(kps=45))
    with pytest.raises(ValueError, match="Karnofsky"):
        score_tokuhashi_revised(tok(kps=0))
    with pytest.raises(ValueError, match="index lesion"):
        score_tokuhashi_revised(tok(vert=0))
    with pytest.raises(ValueError, match="invalid count"):
        score_tokuhashi_revised(tok(extra=-1))
    with pytest.raises(ValueError, match="empty"):
        Span(3, 2)
    with pytest.raises(ValueError, match="at least one"):
        Possible(frozenset())


SINS_POINTS = [
    ("pain", Pain.MECHANICAL, 3), ("pain", Pain.NON_MECHANICAL, 1), ("pain", Pain.PAIN_FREE, 0),
    ("bone_lesion", BoneLesion.LYTIC, 2), ("bone_lesion", BoneLesion.MIXED, 1),
    ("bone_lesion", BoneLesion.BLASTIC, 0),
    ("alignment", Alignment.SUBLUXATION, 4), ("alignment", Alignment.DE_NOVO_DEFORMITY, 2),
    ("alignment", Alignment.NORMAL, 0),
    ("collapse", Collapse.GT_50, 3), ("collapse", Collapse.LT_50, 2),
    ("collapse", Collapse.NONE_GT_50_INVOLVED, 1), ("collapse", Collapse.NONE, 0),
    ("posterolateral", Posterolateral.BILATERAL, 3), ("posterolateral", Posterolateral.UNILATERAL, 1),
    ("posterolateral", Posterolateral.NONE, 0),
]  # fmt: skip


@pytest.mark.parametrize(("field", "option", "points"), SINS_POINTS)
def test_sins_every_option_scores_as_fisher_2010(field, option, points):
    zero: dict[str, Any] = dict(pain=P(Pain.PAIN_FREE), bone_lesion=P(BoneLesion.BLASTIC), alignment=P(Alignment.NORMAL),
                collapse=P(Collapse.NONE), posterolateral=P(Posterolateral.NONE))  # fmt: skip
    result = score_sins(SinsInput("S3", **{**zero, field: P(option)}))  # rigid: location 0
    assert result.total == Span(points, points)


@pytest.mark.parametrize(
    ("field", "option", "points"),
    [("growth", Growth.SLOW, 1), ("growth", Growth.MODERATE, 2), ("growth", Growth.RAPID, 4),
     ("visceral", Visceral.NONE, 0), ("visceral", Visceral.TREATABLE, 2), ("visceral", Visceral.UNTREATABLE, 4),
     ("bone", BoneExtent.SOLITARY, 1), ("bone", BoneExtent.MULTIPLE, 2)],
)  # fmt: skip
def test_tomita_every_option_scores_as_tomita_2001(field, option, points):
    base: dict[str, Any] = dict(
        growth=P(Growth.SLOW), visceral=P(Visceral.NONE), bone=P(BoneExtent.SOLITARY)
    )
    baseline = {"growth": 1, "visceral": 0, "bone": 1}
    result = score_tomita(TomitaInput(**{**base, field: P(option)}))
    assert result.total.low == 2 - baseline[field] + points


@pytest.mark.parametrize(
    ("extra", "vert", "major", "points"),
    [(0, 1, MajorOrgan.NONE, 6), (1, 1, MajorOrgan.NONE, 5), (2, 1, MajorOrgan.NONE, 5),
     (3, 1, MajorOrgan.NONE, 4), (0, 2, MajorOrgan.NONE, 5), (0, 3, MajorOrgan.NONE, 4),
     (0, 1, MajorOrgan.REMOVABLE, 5), (0, 1, MajorOrgan.UNREMOVABLE, 4)],
)  # fmt: skip
def test_tokuhashi_counts_and_organs(extra, vert, major, points):
    result = score_tokuhashi_revised(
        tok(kps=10, extra=extra, vert=vert, major=major, site=PrimarySite.LUNG, palsy=Frankel.A)
    )
    assert result.total == Span(points, points)


def test_a_components_full_span_is_the_same_over_any_kind_of_domain():
    """The span a component could take with nothing known, whatever the domain is given as: an
    enum or a tuple (computed once and reused) or a list (computed each time)."""
    from adapter.scoring.result import Part, result_of
    from adapter.vocabulary import TOMITA

    points = {Growth.SLOW: 1, Growth.MODERATE: 2, Growth.RAPID: 4}.__getitem__
    known = Possible.of(Growth.MODERATE)
    fulls = set()
    for domain in (Growth, tuple(Growth), list(Growth)):
        parts = [Part(known, points, domain)] * len(TOMITA.components)
        result = result_of(TOMITA, parts)
        fulls |= {c.full for c in result.components}
        assert {c.points for c in result.components} == {Span(2, 2)}
    assert fulls == {Span(1, 4)}
