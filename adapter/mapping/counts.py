"""Lesion counts (contract §2, counts): vertebral levels and extraspinal sites, and from them
the Tomita bone-metastasis extent.

Each count spans confirmed … confirmed + unconfirmed lesions. A bone-metastasis Condition with
no bodySite is one more site in one of the two counts, not both: the counts are then possible
only in pairs, and the Tokuhashi total takes the joint minimum and maximum. Such Conditions that
share a code are one diagnosis recorded several times (an encounter diagnosis at each visit):
nothing tells their lesions apart, so they are one site at least and one per record at most.
A spinal lesion whose level is not named may be a level already counted, or another. Counts are
kept as 0, 1, 2 and 3 ("3 or more"). An explicit count finding is the clinician's word and wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from adapter.fhir.read.evidence import Basis, Evidence
from adapter.fhir.read.records import Coding
from adapter.mapping.context import condition_evidence, condition_named
from adapter.mapping.findings import choose_latest
from adapter.mapping.inputs import caveats_of, enum_input, only
from adapter.mapping.observations import Findings
from adapter.mapping.staging import Lesion, Staging
from adapter.scoring import COUNT_CAP, BoneExtent, Possible, bone_extent_from_counts
from adapter.vocabulary import TOKUHASHI_EXTRASPINAL, TOKUHASHI_VERTEBRAL, TOMITA_BONE
from adapter.vocabulary.findings import (
    BONE_METASTASIS_EXTENT,
    EXTRASPINAL_BONE_METASTASES_COUNT,
    VERTEBRAL_METASTASES_COUNT,
)

__all__ = ["Counts", "count_inputs"]

Pairs = frozenset[tuple[int, int]]
Placed = set[tuple[str, str]]  # extraspinal sites: (what the site is, its side or "")


@dataclass(frozen=True, slots=True)
class Counts:
    vertebral: Possible[int]
    vertebral_basis: Basis
    extraspinal: Possible[int]
    extraspinal_basis: Basis
    pairs: Pairs | None  # None: the two counts are independent
    bone: Possible[BoneExtent]
    bone_basis: Basis


@dataclass(slots=True)
class _Tally:
    levels: set[str]
    maybe_levels: set[str]
    unnamed: list[bool]  # spinal lesions without a level: confirmed?
    sites: Placed
    maybe_sites: Placed
    unsited: list[Lesion]  # bone metastases without a site
    vertebral_evidence: list[Evidence]
    extra_evidence: list[Evidence]
    maybe_spinal: list[str]  # unconfirmed lesions that may add to the vertebral count
    maybe_elsewhere: list[str]  # ... to the extraspinal count
    # Lesions in remission, still counted (contract §2 v3): in the vertebral, extraspinal count.
    remission: tuple[list[str], list[str]]


def _where(lesion: Lesion, reference: str | None) -> str:
    """ "the lesion at L2 (Condition/x)": where it is first, so a card that drops the id still
    says which lesion."""
    named = {"spinal": "in the spine, level not recorded", "other": "outside the spine"}
    parts = [
        f"at {s.level}" if s.level else named[s.kind]
        for s in lesion.sites
        if s.kind in ("level", *named)
    ]
    where = f"the lesion {', '.join(dict.fromkeys(parts))}" if parts else "a lesion"
    return f"{where} ({reference})"


def _tally(lesions: Iterable[Lesion]) -> _Tally:
    t = _Tally(set(), set(), [], set(), set(), [], [], [], [], [], ([], []))
    for lesion in lesions:
        cond, certain = lesion.condition, lesion.confirmed
        if lesion.remission:
            kinds = {s.kind for s in lesion.sites} or {"level", "other"}
            for i, counted in enumerate((bool(kinds & {"level", "spinal"}), "other" in kinds)):
                if counted:
                    t.remission[i].append(_where(lesion, cond.ref.reference))
        if not certain:
            kinds = {s.kind for s in lesion.sites} or {"level", "other"}
            if kinds & {"level", "spinal"}:
                t.maybe_spinal.append(lesion.status)
            if "other" in kinds:
                t.maybe_elsewhere.append(lesion.status)
        if not lesion.sites:
            t.unsited.append(lesion)
            ev = condition_evidence(cond, "bone metastasis, site not recorded")
            t.vertebral_evidence.append(ev)
            t.extra_evidence.append(ev)
        for site in lesion.sites:
            if site.kind == "level" and site.level is not None:
                (t.levels if certain else t.maybe_levels).add(site.level)
                t.vertebral_evidence.append(
                    condition_evidence(cond, f"vertebral lesion {site.level}")
                )
            elif site.kind == "spinal":
                t.unnamed.append(certain)
                t.vertebral_evidence.append(
                    condition_evidence(cond, "spinal lesion, level unknown")
                )
            else:
                (t.sites if certain else t.maybe_sites).add((site.what, site.side))
                t.extra_evidence.append(
                    condition_evidence(cond, f"extraspinal bone lesion {site.label}")
                )
    return t


def _distinct(sites: Placed) -> tuple[int, int]:
    """(fewest, most) distinct extraspinal sites. Sites that are different things (a femur, the
    neck of a femur, the fifth rib) are distinct; of one thing, the sides recorded are (a left and
    a right femur: two), and one with no side beside a sided one may be that one or the other
    side (a femur and a left femur: one or two)."""
    low = high = 0
    for what in {w for w, _ in sites}:
        sides = {s for w, side in sites if w == what and side for s in _SIDES[side]}
        unsided = (what, "") in sites
        low += max(len(sides), 1)
        high += len(sides) + (1 if unsided and len(sides) < 2 else 0) if sides else 1
    return low, high


_SIDES = {"left": ("left",), "right": ("right",), "both": ("left", "right")}


def _pairs(t: _Tally) -> Pairs:
    """Every (vertebral, extraspinal) count the lesions allow together, capped."""
    known, maybe = len(t.levels), len(t.maybe_levels - t.levels)
    unnamed_low = 1 if known == 0 and any(t.unnamed) else 0
    vertebral = range(known + unnamed_low, known + maybe + len(t.unnamed) + 1)
    sites = _distinct(t.sites)[0]
    extraspinal = range(sites, max(sites, _distinct(t.sites | t.maybe_sites)[1]) + 1)
    moves = {(0, 0)}
    for diagnosis in _diagnoses(t.unsited):
        moves = {_capped(m, d) for m in moves for d in _unsited_moves(diagnosis)}
    return frozenset(_capped((v, e), m) for v in vertebral for e in extraspinal for m in moves)


def _capped(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return min(a[0] + b[0], COUNT_CAP), min(a[1] + b[1], COUNT_CAP)


def _unsited_moves(records: list[Lesion]) -> set[tuple[int, int]]:
    """What one diagnosis without a site adds to the (vertebral, extraspinal) counts: k lesions,
    one at least when a record is confirmed and one per record at most, each in the spine or
    elsewhere. Beyond 2 × COUNT_CAP lesions nothing new is reachable."""
    fewest = 1 if any(r.confirmed for r in records) else 0
    most = min(len(records), 2 * COUNT_CAP)
    return {
        (min(a, COUNT_CAP), min(k - a, COUNT_CAP))
        for k in range(fewest, most + 1)
        for a in range(k + 1)
    }


def _diagnoses(lesions: list[Lesion]) -> list[list[Lesion]]:
    """The unsited lesions grouped by diagnosis: records that share a coding (directly or
    through another record) are one diagnosis, perhaps recorded at several visits."""
    groups: list[tuple[set[Coding], list[Lesion]]] = []
    for lesion in lesions:
        codes = set(lesion.condition.codes)
        joined = [g for g in groups if g[0] & codes]
        merged: tuple[set[Coding], list[Lesion]] = (codes, [lesion])
        for g in joined:
            merged[0].update(g[0])
            merged[1][:0] = g[1]
            groups.remove(g)
        groups.append(merged)
    return [records for _, records in groups]


def _derived(t: _Tally) -> tuple[Possible[int], Possible[int], Pairs | None]:
    pairs = _pairs(t)
    if all(v == 0 for v, _ in pairs):  # no vertebral lesion at all: the count is missing
        extra = Possible(frozenset(e for _, e in pairs))
        return Possible.unknown(range(1, COUNT_CAP + 1)), extra, None
    pairs = frozenset((max(v, 1), e) for v, e in pairs)  # the lesion being assessed counts
    vertebral = Possible(frozenset(v for v, _ in pairs))
    extra = Possible(frozenset(e for _, e in pairs))
    independent = len(pairs) == len(vertebral.values) * len(extra.values)
    return vertebral, extra, None if independent else pairs


def _caveats(t: _Tally) -> tuple[tuple[str, ...], tuple[str, ...]]:
    def maybe(statuses: list[str]) -> list[str]:
        return [f"{status} may or may not be present: the count spans both." for status in statuses]

    vertebral, extra = maybe(t.maybe_spinal), maybe(t.maybe_elsewhere)
    if t.unnamed:
        vertebral.append(f"{len(t.unnamed)} spinal lesion(s) without a level widen the count.")
    fewest, most = _distinct(t.sites | t.maybe_sites)
    if fewest != most:
        extra.append(
            "A bone lesion with no side recorded, beside one of the same bone with a side, may "
            "be that one or on the other side: the count spans both."
        )
    diagnoses = _diagnoses(t.unsited)
    single = sum(1 for records in diagnoses if len(records) == 1)
    notes = [_repeated(records) for records in diagnoses if len(records) > 1]
    if single:
        notes.insert(
            0,
            f"{single} bone metastasis(es) without a site: each adds one to the vertebral or the "
            "extraspinal count, not both.",
        )
    vertebral += notes
    extra += notes
    return tuple(dict.fromkeys(vertebral)), tuple(dict.fromkeys(extra))


def _repeated(records: list[Lesion]) -> str:
    """ "Secondary malignant neoplasm of bone recorded 4 times without a site (…)": said, as the
    count then spans one lesion to one per record."""
    refs = [str(r.condition.ref.reference) for r in records]
    shown = ", ".join(refs[:3]) + (f" and {len(refs) - 3} more" if len(refs) > 3 else "")
    fewest = 1 if any(r.confirmed for r in records) else 0
    return (
        f"{condition_named(records[0].condition)} recorded {len(records)} times without a site "
        f"({shown}): one lesion recorded at several visits, or several — {fewest} to "
        f"{len(records)} sites, each in the vertebral or the extraspinal count."
    )


def _explicit(found: Findings, code: str) -> tuple[Possible[int], Basis] | None:
    """A count finding, when one was recorded: it wins over the count derived from Conditions."""
    chosen = choose_latest(found.coded.get(code, []), code)
    if chosen is None:
        return None
    values = frozenset(min(v, COUNT_CAP) for v in chosen.values if isinstance(v, int))
    return Possible(values), Basis(chosen.evidence, caveats=caveats_of(chosen))


def _bone(
    found: Findings,
    *,
    vertebral: Possible[int],
    extra: Possible[int],
    pairs: Pairs | None,
    derived: Basis,
) -> tuple[Possible[BoneExtent], Basis]:
    """The explicit extent finding, else the extent the counts give (``derived`` their basis)."""
    extent = only(
        choose_latest(found.coded.get(BONE_METASTASIS_EXTENT, []), BONE_METASTASIS_EXTENT),
        BoneExtent,
    )
    bone = bone_extent_from_counts(vertebral, extra, pairs)
    if extent is not None:
        value, basis = enum_input(extent, BoneExtent, TOMITA_BONE.settle)
        return value, basis.plus(caveats=_extent_disagrees(value, bone, vertebral, extra))
    if not vertebral.known and not bone.certain:
        return Possible.unknown(BoneExtent), Basis(settle=TOMITA_BONE.settle)
    return bone, derived


def _shown(count: Possible[int]) -> str:
    low, high = min(count.values), max(count.values)
    return str(low) if low == high else f"{low}–{high}"


def _extent_disagrees(
    extent: Possible[BoneExtent], counted: Possible[BoneExtent], v: Possible[int], e: Possible[int]
) -> tuple[str, ...]:
    """An explicit extent the counts certainly contradict (solitary with several foci, multiple
    with one): the extent still scores (an explicit finding wins), and the output names it."""
    if not (extent.certain and counted.certain and v.known) or extent.values == counted.values:
        return ()
    [said], [counts] = extent.values, counted.values
    return (
        f"Answers disagree: bone-metastasis extent {said.value} but the counts give "
        f"{_shown(v)} vertebral + {_shown(e)} extraspinal sites ({counts.value}) — the recorded "
        "extent is used; check the record.",
    )


def _remission_note(listed: list[str]) -> tuple[str, ...]:
    if not listed:
        return ()
    shown = ", ".join(dict.fromkeys(listed))
    return (f"In remission and still counted (a treated lesion is still there): {shown}.",)


def count_inputs(found: Findings, staging: Staging) -> Counts:
    tally = _tally(staging.lesions)
    vertebral, extra, pairs = _derived(tally)
    v_caveats, e_caveats = _caveats(tally)
    v_remission = _remission_note(tally.remission[0])
    v_basis = Basis(tuple(tally.vertebral_evidence), v_remission, caveats=v_caveats)
    if not vertebral.known:
        v_basis = Basis(settle=TOKUHASHI_VERTEBRAL.settle)
    note = (
        "Derived from bone-metastasis Conditions (none coded = none).",
        *_remission_note(tally.remission[1]),
    )
    e_basis = Basis(tuple(tally.extra_evidence), note, caveats=e_caveats)
    explicit_v = _explicit(found, VERTEBRAL_METASTASES_COUNT)
    explicit_e = _explicit(found, EXTRASPINAL_BONE_METASTASES_COUNT)
    if explicit_v is not None:
        (vertebral, v_basis), pairs = explicit_v, None
    if explicit_e is not None:
        (extra, e_basis), pairs = explicit_e, None
    if not extra.certain and e_basis.settle is None:
        e_basis = Basis(
            e_basis.evidence, e_basis.notes, TOKUHASHI_EXTRASPINAL.settle, e_basis.caveats
        )
    derived = Basis(
        tuple(dict.fromkeys((*v_basis.evidence, *e_basis.evidence))),
        ("Derived from the vertebral and extraspinal counts.",),
        caveats=tuple(dict.fromkeys((*v_basis.caveats, *e_basis.caveats))),
    )
    bone, bone_basis = _bone(found, vertebral=vertebral, extra=extra, pairs=pairs, derived=derived)
    return Counts(vertebral, v_basis, extra, e_basis, pairs, bone, bone_basis)
