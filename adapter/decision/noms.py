"""The NOMS framework's paths at each scored level (contract §1 v3, scores-more.md), decided once
for the page, the text report and the procedure-check card.

N is the level's current Bilsky grade (1c contested: both; a grade superseded by a
decompression, or only preliminary, does not settle it; a Bilsky 2–3 with no recorded time that
a timed 0–1c outranks is named beside it, to be confirmed, but does not change it). A cord
compression or cauda equina syndrome recorded as a diagnosis at the level, or without a level,
that no later grade answers (adapter/mapping/coded.py) makes high grade possible: it says the
cord may be compressed, never the grade, so it never settles N on its own (N is the ESCC grade,
scores-more.md) and stays beside a Bilsky 2–3; O the
recorded radiosensitivity or the primary's; M the surgeon's recorded stability verdict, else
stable at a level fixed with screws, else SINS (13–18 unstable, 0–6 stable, 7–12 either); S the
recorded surgery tolerance, never derived. What is missing lists every path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from adapter.decision.sins import (
    SinsDecision,
    SinsLevel,
    cement_alone_warned,
    conflicting_now,
    fracture_since,
    possibly_unstable_after,
)
from adapter.fhir.read.evidence import Basis, on_day
from adapter.fhir.read.timing import follows, same_time
from adapter.mapping.coded import Coded, coded_compressions
from adapter.mapping.compression import UNTIMED, Grade, compression_grades, grade_at
from adapter.mapping.findings import Bilsky
from adapter.mapping.noms import own_stability
from adapter.mapping.placement import fracture_unplaced, fractured_since
from adapter.mapping.treatments import Treatment, fixation_at
from adapter.pipeline import (
    LevelResult,
    PatientResult,
    before_screws,
    possibly_unsafe_unordered,
    recorded_unstable,
    unstable_reason,
    unstable_unless_before,
)
from adapter.procedure.concerns import unstable_after_cement
from adapter.scoring import (
    Compression,
    NomsInput,
    NomsResult,
    Possible,
    Stability,
    noms_paths,
)
from adapter.vocabulary import (
    SINS_CONSULT_FROM,
    SINS_LOCATION,
    SINS_STABLE_UNTIL,
    SINS_UNSTABLE_FROM,
)
from adapter.vocabulary.noms import NOMS_SOURCES, NOMS_TITLE, NOMS_WORDING
from adapter.vocabulary.scores.sins import (
    CEMENT_POSSIBLE,
    POSSIBLE_AFTER,
    POSSIBLE_WITH,
    before_cement,
)

__all__ = ["NomsLevel", "NomsView", "noms_view", "stable_verdicts"]

_LOW = frozenset({Bilsky.G0, Bilsky.G1A, Bilsky.G1B})
_HIGH = frozenset({Bilsky.G2, Bilsky.G3})


@dataclass(frozen=True, slots=True)
class NomsLevel:
    """The framework's paths at one level and how each of the four inputs was read."""

    result: NomsResult
    readings: tuple[str, ...]  # N, O, M, S in words, with their sources

    @property
    def level(self) -> str:
        return self.result.level


@dataclass(frozen=True, slots=True)
class NomsView:
    title: str
    wording: str
    levels: tuple[NomsLevel, ...]
    sources: tuple[str, ...]  # "KEY: citation" for every source a listed path cites

    def at(self, level: str) -> NomsLevel | None:
        return next((lv for lv in self.levels if lv.level == level), None)


def _compression(grade: Grade | None) -> tuple[Possible[Compression], str]:
    if grade is None:
        return Possible.unknown(Compression), "N: Bilsky grade not recorded — either"
    if grade.preliminary or grade.decompressed is not None:
        why = "preliminary" if grade.preliminary else "before a decompression"
        return Possible.unknown(Compression), f"N: {grade.named} ({grade.day}), {why} — either"
    values: set[Compression] = set()
    for g in grade.chosen.values:
        if g in _LOW or g is Bilsky.G1C:
            values.add(Compression.LOW)
        if g in _HIGH or g is Bilsky.G1C:
            values.add(Compression.HIGH)
    contested = (
        " (1c is contested: low and high grade)" if Bilsky.G1C in grade.chosen.values else ""
    )
    # "Bilsky 3, level not recorded, with …": a name ending in its place takes a comma (the card).
    named = grade.untimed_named
    untimed = f"; {named}{',' if ',' in named else ''} with {UNTIMED}" if named else ""
    return Possible(frozenset(values)), f"N: {grade.named} ({grade.day}){contested}{untimed}"


def _coded_at(level: str, grade: Grade | None, coded: Sequence[Coded]) -> list[Coded]:
    """The coded compressions that count at a level: its own, and those without a level unless
    the level's own final grade answers them (contract §2: a grade without a level counts at
    every level until the level's own grade says otherwise)."""
    own = grade if grade is not None and grade.level == level and not grade.preliminary else None
    return [
        c
        for c in coded
        if level in c.levels or (not c.levels and not (own is not None and c.answered_by(own.time)))
    ]


def _with_coded(
    read: tuple[Possible[Compression], str], grade: Grade | None, coded: Sequence[Coded]
) -> tuple[Possible[Compression], str]:
    """N with the coded compressions at the level: high grade possible, the grade still open."""
    n, text = read
    if not coded:
        return read
    said = "; ".join(f"{c.short}{c.treated}" for c in coded)
    values = n.values | {Compression.HIGH}
    if values == {Compression.HIGH}:
        return n, f"{text}; {said}"
    possible = f"N: {said}: high grade possible"
    if grade is None:
        return Possible(values), f"{possible}, Bilsky grade not recorded — either"
    latest = text.removeprefix("N: ").removesuffix(" — either")
    return Possible(values), f"{possible} — either; latest grade: {latest}"


def _stability(
    lv: LevelResult,
    recorded: tuple[Possible[Stability], Basis] | None,
    fixed: Treatment | None,
    loose: tuple[Possible[Stability], Basis] | None = None,
    cemented: bool = False,
) -> tuple[Possible[Stability], str]:
    """M: the level's own reading, and beside it a verdict recorded with no level, which settles
    no level: either unless both say the same, named by what it says (as SINS says it when SINS
    says it); one that screws at the level followed is their history."""
    v, recorded = lv.verdict, own_stability(recorded, loose)
    history = ""
    if recorded is not None and fixed is not None and before_screws(recorded[1], [fixed], lv.level):
        # the level's own verdict before its screws: their history, as the SINS card reads it
        history = (
            f"; {_named(recorded[0].values)} recorded before its fixation ({_cited(recorded[1])})"
        )
        recorded = None
    own, text = _own_stability(lv, recorded, fixed, cemented)
    text += history
    if v is not None and v.unplaced:  # one that may say "unstable" (the pipeline's choice)
        values, basis = frozenset({Stability.UNSTABLE}), v.basis
        if v.conflicting:
            values = frozenset(Stability)
        said = recorded_unstable(lv, settle=True)
    elif recorded is None and loose is not None:
        values, basis, said = loose[0].values, loose[1], None
    else:
        return own, text
    if fixed is not None and before_screws(basis, [fixed], lv.level):
        named = _named(values)
        return (
            own,
            f"{text}; {named} recorded before its fixation, level not recorded ({_cited(basis)})",
        )
    if said is None:
        said = f"{_named(values)} recorded, level not recorded ({_cited(basis)})"
    widened = Possible(own.values | values)
    text = text.removesuffix(" — either")  # said once, at the end
    return widened, f"{text}; {said}{'; either' if len(widened.values) > 1 else ''}"


def _named(values: frozenset[Stability]) -> str:
    return " and ".join(sorted(x.value for x in values))


def _own_stability(
    lv: LevelResult,
    recorded: tuple[Possible[Stability], Basis] | None,
    fixed: Treatment | None,
    cemented: bool,
) -> tuple[Possible[Stability], str]:
    if recorded is not None:
        shown = _cited(recorded[1])
        basis = recorded[1]
        if fractured_since(basis):
            either = " — either:" if len(recorded[0].values) > 1 else ";"
            unplaced = fracture_unplaced(basis)
            level = " Or record the fracture's level." if unplaced else ""
            return recorded[0], f"M: {shown}{either} {basis.caveats[-1]}{level}"
        if fixed is not None:  # after its screws: SINS is not applicable there (§6 v3)
            return recorded[0], f"M: {shown}"
        read, beside = _sins_beside(lv, recorded, cemented)
        return read, f"M: {shown}{beside}"
    if fracture_since(lv) is not None:
        # The level's picture is from before its treatment, or is a fixed level's, and a
        # fracture is coded since: either.
        a = lv.assessment
        fracture, settle = a.fracture_beside
        if a.fractured_after:
            said = f"{fracture} coded after its treatment — either; {settle}"
        elif a.fractured_unsure:
            said = f"{fracture}, perhaps after its treatment — either; {settle}"
        else:
            said = f"fixed; either: {lv.assessment.fixed_fractured()}"
        return Possible(frozenset(Stability)), f"M: {lv.level}: {said}"
    if fixed is not None:  # a level fixed with screws is never re-scored (contract §6 v3)
        return Possible.of(
            Stability.STABLE
        ), f"M: {lv.level} fixed ({fixed.name}, {fixed.time.day})"
    by_sins = _by_sins(lv, cemented)
    return Possible(by_sins.values), f"M: {by_sins.said}"


class _SinsRead(NamedTuple):
    values: frozenset[Stability]
    said: str
    # Either only because findings with cement alone (after it, or of an unknown order against
    # it) conflict on what it cannot treat: a verdict is read over them, and the conflict is
    # still the record's to settle, so a verdict is never said to "settle" it.
    conflict: bool = False


def _by_sins(lv: LevelResult, cemented: bool, *, verdict: bool = False) -> _SinsRead:
    """What SINS reads at the level (13–18 unstable, 0–6 stable, 7–12 either), and in words;
    unstable where the SINS card says so of a level with cement alone (:func:`_cement_unsafe`);
    either where it is possibly so by the findings certainly before the cement, unless a recorded
    verdict is weighed beside it (``verdict``): the surgeon's word is read over those, as it is
    when every finding is before the cement. Either where findings after it, or of an unknown
    order against it, conflict on what it cannot treat (:func:`conflicting_now`: the level as it
    stands); beside a verdict, :func:`_sins_beside` says how the verdict stands against them, so
    " — either" is left to it."""
    total = lv.result.total
    values = set()
    if total.high >= SINS_UNSTABLE_FROM:
        values.add(Stability.UNSTABLE)
    if total.low <= SINS_STABLE_UNTIL:
        values.add(Stability.STABLE)
    if total.low < SINS_UNSTABLE_FROM and total.high > SINS_STABLE_UNTIL:
        values |= set(Stability)  # 7–12 (potentially unstable): either
    read = " or ".join(v.value for v in sorted(values, key=lambda v: v.value))
    said = f"SINS {total} at {lv.level} — {read}"
    now = _cement_unsafe(lv, cemented)
    if now is not None and values != {Stability.UNSTABLE}:
        return _SinsRead(frozenset({Stability.UNSTABLE}), f"{said}; {now} — unstable")
    t = lv.assessment.unordered
    was = unstable_unless_before(lv) if cemented and not verdict else None
    if was is not None and t is not None and Stability.UNSTABLE not in values:
        # Unstable by the findings certainly before the cement: had the others come after it,
        # cement alone went to an unstable level; their order settles it (adapter.decision.sins).
        maybe = before_cement(was, lv.level, f"{t.dated}").clause
        return _SinsRead(frozenset(Stability), f"{said}; {maybe}: {CEMENT_POSSIBLE} — either")
    cement = lv.assessment.after or t
    conflicts = conflicting_now(lv) if cemented and cement is not None else []
    if cement is not None and conflicts:
        # Findings with cement alone (since it, or of an unknown order against it) that
        # disagree on what it cannot treat: either, until they are settled, as the SINS card
        # says; a verdict is weighed against them as against any SINS reading (_sins_beside).
        what = "; ".join(c.what for c in conflicts if c.what)
        after = lv.assessment.after is not None
        order = "after the" if after else "not known to be before or after the"
        possible = POSSIBLE_AFTER if after else POSSIBLE_WITH
        either = "" if verdict else " — either"
        said = f"{said}; {what}, {order} {cement.dated}: {possible}{either}"
        return _SinsRead(frozenset(Stability), said, conflict=True)
    return _SinsRead(frozenset(values), said)


def _cement_unsafe(lv: LevelResult, cemented: bool) -> str | None:
    """What the SINS card calls unstable at a level with cement alone (adapter.decision.sins): a
    subluxation or bilateral posterolateral involvement found after it, or before it (or of an
    order not known against it), which cement does not stabilise; None otherwise."""
    if (now := unstable_after_cement(lv)) is not None:
        return f"{now} after cement"
    if not cemented or lv.assessment.after is not None:
        return None
    reason = unstable_reason(lv)
    if reason is None or reason.startswith(("SINS", "recorded")):
        return None  # SINS itself, or a verdict: read as such
    order = ", not known to be before or after" if lv.assessment.unordered else " before"
    return f"{reason} at {lv.level}{order} cement alone"


def _sins_beside(
    lv: LevelResult, recorded: tuple[Possible[Stability], Basis], cemented: bool
) -> tuple[Possible[Stability], str]:
    """The level's own verdict, with SINS named beside it where SINS reads otherwise: the
    framework takes the surgeon's word, but a reader must see what it is taken over. Only a
    verdict of "stable" is ever left open by SINS: where SINS may read unstable from findings
    the verdict may not have seen (recorded since it, of an order not known against it, with
    no date, or beside a verdict with no date), M is either. SINS never loosens a verdict of
    "unstable" (it does not override one: adapter.decision.sins)."""
    verdict = recorded[0]
    values, read, conflict = _by_sins(lv, cemented, verdict=True)
    if values <= verdict.values:
        return verdict, ""
    if verdict.values == {Stability.STABLE}:
        unseen = _unseen(lv, recorded[1])
        if unseen is not None:
            return Possible(verdict.values | values), f"; {read}{unseen} — either"
    if conflict:  # read over, never settled: the findings still conflict (the SINS card)
        return verdict, f"; {read} — the recorded verdict is read over it"
    if len(values) > 1:
        return verdict, f"; {read}: the recorded verdict settles it"
    return verdict, f"; {read}: the recorded verdict is read over it"


def _unseen(lv: LevelResult, verdict: Basis) -> str | None:
    """Why the level's SINS findings may be ones the verdict did not see, in words; None when
    every one is certainly from its time or before it."""
    times = [ev.time for ev in verdict.evidence]
    if not times or any(t is None for t in times):
        return "; the verdict has no date recorded"
    # The metastasis's own Condition is the level's location, not a finding a verdict weighs:
    # a record updated after the verdict is no new picture of the level.
    bases = [basis for code, basis in lv.bases.items() if code != SINS_LOCATION.code]
    evidence = [ev for basis in bases for ev in basis.evidence]
    found = [ev.time for ev in evidence if ev.time is not None]
    if any(all(follows(f, t) for t in times if t is not None) for f in found):
        return ", from findings recorded since the verdict"
    if not all(
        all(same_time(f, t) or follows(t, f) for t in times if t is not None) for f in found
    ):
        return ", from findings not known to be before the verdict"
    # A finding with no date may be newer than the verdict.
    if any(ev.time is None and ev.ref.resource_type == "Observation" for ev in evidence):
        return ", from findings with no date recorded"
    return None


def _cited(basis: Basis) -> str:
    return "; ".join(ev.cited for ev in basis.evidence)


def _reading(letter: str, basis: Basis, absent: str) -> str:
    if not basis.evidence:
        return f"{letter}: {absent}"
    return f"{letter}: {_cited(basis)}"


def noms_view(result: PatientResult) -> NomsView | None:
    """The framework's paths at every scored level; None when no level is scored."""
    more = result.assessment.more
    if more is None or not result.levels:
        return None
    done = result.assessment.treatments
    grades = compression_grades(result.assessment.safety, done)
    coded = coded_compressions(result.assessment.safety, done)
    o_text = _reading("O", more.basis["noms-o"], "radiosensitivity not known — either")
    s_text = _reading("S", more.basis["noms-s"], "tolerance of surgery not recorded — either")
    levels = []
    for lv in result.levels:
        grade = grade_at(grades, lv.level, len(result.levels))
        n, n_text = _with_coded(_compression(grade), grade, _coded_at(lv.level, grade, coded))
        m, m_text = _m(lv, result)
        decided = noms_paths(NomsInput(lv.level, n, more.radiosensitivity, m, more.tolerance))
        levels.append(NomsLevel(decided, (n_text, o_text, m_text, s_text)))
    cited = sorted({key for lv in levels for path in lv.result.paths for key in path.sources})
    sources = tuple(f"{key}: {NOMS_SOURCES[key]}" for key in cited)
    return NomsView(NOMS_TITLE, NOMS_WORDING, tuple(levels), sources)


def _m(lv: LevelResult, result: PatientResult) -> tuple[Possible[Stability], str]:
    """M at a level: its verdicts, its screws or cement alone, and SINS (:func:`_stability`)."""
    more, done = result.assessment.more, result.assessment.treatments
    assert more is not None  # the caller has the v3 inputs
    fixed = fixation_at(done, lv.level)
    cemented = fixed is None and any(t.stabilises and t.at(lv.level) for t in done)
    return _stability(lv, more.stability.get(lv.level), fixed, more.stability_unplaced, cemented)


def stable_verdicts(view: SinsDecision, result: PatientResult) -> SinsDecision:
    """The SINS levels with a level's own recorded "stable" named where NOMS reads M as that
    verdict and the card asks for a surgeon: SINS, scored as the level stands, certainly
    recommends the consultation; the card warns of cement alone at an unstable level; or the
    findings with cement alone conflict on what it cannot treat (after it, or of an unknown
    order where nothing certainly before it says more). A reader of the SINS card must see why
    NOMS leaves surgery out (contract §4 v3)."""
    more = result.assessment.more
    if more is None:
        return view
    levels = tuple(_stable_said(shown, result) for shown in view.levels)
    return view if levels == view.levels else replace(view, levels=levels)


def _stable_said(shown: SinsLevel, result: PatientResult) -> SinsLevel:
    more, lv = result.assessment.more, shown.level
    # Findings with cement alone in conflict on what it cannot treat, after it or of an unknown
    # order against it: the card says "possibly unstable" whatever the total.
    after = shown.state == "after-treatment" and bool(possibly_unstable_after(lv))
    unordered = shown.state == "before-treatment" and bool(possibly_unsafe_unordered(lv))
    conflict = after or unordered
    # The card warns of cement alone at an unstable level: it asks for surgical review.
    warned = cement_alone_warned(shown)
    if more is None:
        return shown
    if shown.state not in ("assessed", "after-treatment") and not (unordered or warned):
        return shown  # a level shown from before its treatment asks for nothing on old findings
    if lv.result.total.low < SINS_CONSULT_FROM and not (conflict or warned):
        return shown
    own = own_stability(more.stability.get(lv.level), more.stability_unplaced)
    if own is None or own[0].values != {Stability.STABLE}:
        return shown
    if _m(lv, result)[0].values != {Stability.STABLE}:
        return shown  # NOMS reads it as either: nothing of the verdict's own to explain
    latest = own[1].latest
    when = on_day(latest.day) if latest is not None else ", no date recorded"
    if warned:
        still = "the warning of cement alone still stands"
    elif conflict:
        still = (
            f"the findings {'after' if after else 'with'} cement alone still conflict on what "
            "cement cannot treat — settle them"
        )
    else:
        still = "SINS still recommends the surgical consultation"
    said = (
        f"Recorded stable at {lv.level}{when}: NOMS reads it as the level's mechanical "
        f"stability; {still}."
    )
    return replace(shown, stable_said=said)
