"""What the pipeline hands every surface: one patient's results, the worst level(s), the firm
total, and the deployment's scoring choices. Each of these rules is stated here once."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from adapter.fhir.read.evidence import Basis, on_day
from adapter.fhir.read.followup import ProcedureRecord
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.timing import ClinicalTime, follows
from adapter.fhir.write.build import provenance_narrative
from adapter.fhir.write.built import Built
from adapter.mapping.context import AFTER_NOW
from adapter.mapping.extract import LevelAssessment, PatientAssessment
from adapter.mapping.inputs import conflicting
from adapter.mapping.placement import (
    fracture_after,
    fracture_unplaced,
    fractured_since,
    preliminary,
    unplaced,
)
from adapter.mapping.rules import DEFAULT_RULES, Rules, rules_of
from adapter.mapping.treatments import Treatment
from adapter.outcomes import PatientOutcome
from adapter.scoring import (
    Alignment,
    Pain,
    Posterolateral,
    ScoreResult,
    Span,
    level_order,
    worst_first,
)
from adapter.settings.clinical import RuleFields
from adapter.vocabulary import (
    SINS_ALIGNMENT,
    SINS_CONSULT_FROM,
    SINS_LOCATION,
    SINS_PAIN,
    SINS_POSTEROLATERAL,
    SINS_UNSTABLE_FROM,
)
from adapter.vocabulary.outcomes import OUTCOME
from adapter.vocabulary.scores import SCORES, SINS

# Why a patient is scored for nothing (sync's skip, a file's issue, the report and the page):
# every score is about one.
NOT_METASTATIC = "no bone-metastasis Condition"
NO_SCORE_BECAUSE = "each is about a spinal metastasis"

__all__ = [
    "DEFAULT_SCORING",
    "NOT_METASTATIC",
    "NO_SCORE_BECAUSE",
    "RECORDED_UNSTABLE",
    "SETTLE_CONFLICTING",
    "LevelResult",
    "PatientResult",
    "ScoreOutput",
    "Scoring",
    "Settling",
    "Verdict",
    "before_screws",
    "firm_total",
    "mechanical_now",
    "pending_inputs",
    "recorded_unstable",
    "settling_of",
    "to_settle",
    "unstable_reason",
    "worst_levels",
]


@dataclass(frozen=True, slots=True)
class Verdict:
    """A recorded stability verdict (finding `spinal-stability`) that says, or may say,
    "unstable" at a level, and what keeps it from being certain there."""

    basis: Basis
    conflicting: bool = False  # "stable" and "unstable" recorded at the same time
    unplaced: bool = False  # recorded with no level: at this level, or another
    fixed: bool = False  # recorded at a level fixed with screws before it
    # Against the latest cement at a level without screws: "after the vertebroplasty", "before
    # the kyphoplasty", "not known to be before or after the vertebroplasty"; "" without.
    order: str = ""
    cement_day: str = ""  # that cement's day, as every surface dates it: " on 20 May 2024"
    # With no level: the day of a later "stable" with no level, passed over as it may be another
    # level's, said beside it (" on 30 May 2024"); "" without.
    later_stable: str = ""
    # With ``fixed``: every screw at the level certainly came before its latest reading.
    after_fixed: bool = False

    @property
    def certain(self) -> bool:
        """Certainly "unstable" and at this level (it may still be dated)."""
        return not (self.conflicting or self.unplaced)

    @property
    def against_cement(self) -> bool:
        """Certain, and said against the latest cement alone at the level (:attr:`order`)."""
        return self.certain and bool(self.order)

    @property
    def after_screws(self) -> bool:
        """Certain, and certainly recorded after the level's screws: the construct may not hold
        (adapter.vocabulary.scores.sins.AFTER_SCREWS). One of an unknown order against them
        may be the verdict that led to them: only named."""
        return self.certain and self.after_fixed

    @property
    def freshness(self) -> str:
        """How its age is said after "recorded unstable" and its day: ", no date recorded" when
        no reading is timed (said once, never also "dated"), " (dated)" when a timed one may no
        longer hold, ", one with no date recorded" beside timed ones, "" when current."""
        if self.basis.latest is None:
            return ", no date recorded"
        timed = [ev for ev in self.basis.evidence if ev.time is not None]
        dated = " (dated)" if any(ev.dated for ev in timed) else ""
        untimed = self.untimed
        return dated + (
            f", {'one' if untimed == 1 else untimed} with no date recorded" if untimed else ""
        )

    @property
    def untimed(self) -> int:
        """How many of its readings have no time, beside timed ones (0 when all or none do):
        its latest day is not theirs."""
        count = sum(ev.time is None for ev in self.basis.evidence)
        return 0 if count == len(self.basis.evidence) else count

    @property
    def settle(self) -> str | None:
        if self.unplaced:
            if self.conflicting:
                return "settle them and record their level"
            return "record their level" if self.later_stable else "record its level"
        if self.conflicting:
            return "settle them"
        return "re-assess it" if self.basis.any_dated else None


@dataclass(frozen=True, slots=True)
class LevelResult:
    assessment: LevelAssessment
    result: ScoreResult
    observation: Built
    # A level re-scored after a stabilising treatment: as it was scored before it; a level
    # shown from findings of an unknown order against it: as the findings certainly before it
    # score (its Observation is never written; contract §6 v3 asks what cement alone meant).
    before: LevelResult | None = None
    # The recorded stability verdict (finding `spinal-stability`) when it says, or may say,
    # "unstable", unless cement or screws came after it: see :func:`recorded_unstable`.
    verdict: Verdict | None = None
    # Cement alone given before the treatment the level is read against, the latest first, each
    # with the level as scored from the findings certainly before it (mapping/sins.py).
    earlier: tuple[tuple[Treatment, LevelResult], ...] = ()

    @property
    def level(self) -> str:
        return self.assessment.level

    @property
    def bases(self) -> Mapping[str, Basis]:
        return self.assessment.basis


@dataclass(frozen=True, slots=True)
class ScoreOutput:
    result: ScoreResult
    bases: Mapping[str, Basis]
    observation: Built
    risk: Built


@dataclass(frozen=True, slots=True)
class PatientResult:
    """Everything computed for one patient, in output order."""

    assessment: PatientAssessment
    levels: tuple[LevelResult, ...]
    worst: tuple[LevelResult, ...]
    sins_risk: Built | None
    scores: tuple[ScoreOutput, ...]
    provenance: Built
    now: ClinicalTime
    # After an index procedure (contract §6): the outcome record and its summary Observation.
    outcome: PatientOutcome | None = None
    outcome_observation: Built | None = None
    outcome_issues: tuple[Issue, ...] = ()
    # Without an index procedure: those dated by a month or a year alone that leave none placed.
    outcome_blocked: tuple[ProcedureRecord, ...] = ()

    @property
    def patient(self) -> str:
        return self.assessment.patient

    @property
    def issues(self) -> tuple[Issue, ...]:
        # The scores and the follow-up read some of the same inputs: each problem once. A
        # measurement after the computation time is named by the follow-up ("Pain score"), by
        # the scores only generically ("Observation"): the follow-up's words are kept.
        later = {i.resource for i in self.outcome_issues if AFTER_NOW in i.diagnostics}
        own = (
            i
            for i in self.assessment.issues
            if not (i.resource in later and i.resource and AFTER_NOW in i.diagnostics)
        )
        return tuple(dict.fromkeys((*own, *self.outcome_issues)))

    @property
    def metastatic(self) -> bool:
        """Whether the record holds a bone metastasis that counts (contract §2): what every
        score here is about. Without one, no score has a basis; the outcome record of an index
        procedure still may."""
        return self.assessment.bone_lesions

    @property
    def answers_for(self) -> frozenset[str]:
        """The score codes this computation speaks for: every score it wrote, and SINS and the
        outcome record even when it wrote none (no level scored, no index procedure). A stored
        output of one of them that it did not write has lost its basis; one of another score
        (the 1990 Tokuhashi, when not asked for) was simply not computed — unless the patient
        has no metastasis: then every score has lost its basis, asked for this time or not."""
        if not self.metastatic:
            return frozenset({*SCORES, OUTCOME.code})
        return frozenset({SINS.code, OUTCOME.code, *(s.result.code for s in self.scores)})

    def score(self, code: str) -> ScoreOutput | None:
        return next((s for s in self.scores if s.result.code == code), None)

    def level(self, level: str) -> LevelResult | None:
        return next((lv for lv in self.levels if lv.level == level), None)

    def written(self) -> list[Built]:
        """The outputs a FHIR server is brought to hold (sync): every output, but none of the
        scores for a patient with no metastasis (:attr:`metastatic`) — a prognosis for a spinal
        metastasis the record no longer holds misleads; :attr:`answers_for` withdraws the ones
        stored — only the outcome record, whose basis is the index procedure, and the
        Provenance."""
        if self.metastatic:
            return self.resources()
        return [b for b in (self.outcome_observation, self.provenance) if b is not None]

    @property
    def file_issues(self) -> tuple[Issue, ...]:
        """:attr:`issues`, and why a file holds no score of a patient with no metastasis."""
        if self.metastatic:
            return self.issues
        said = f"{NOT_METASTATIC}: no score written ({NO_SCORE_BECAUSE})"
        return (*self.issues, Issue("information", "informational", said))

    def on_file(self) -> list[Built]:
        """The outputs a file holds (``score``, ``batch``): what a server is brought to hold
        (:meth:`written`), the Provenance naming only those, none when nothing else is."""
        outputs = self.written()
        if self.metastatic:
            return outputs
        kept = {b.full_url for b in outputs if b is not self.provenance}
        if not kept:
            return []
        provenance = dict(self.provenance.resource)
        provenance["target"] = [t for t in provenance["target"] if t["reference"] in kept]
        return [b for b in outputs if b is not self.provenance] + [
            Built(provenance_narrative(provenance), self.provenance.full_url)
        ]

    def resources(self) -> list[Built]:
        out = [lv.observation for lv in self.levels]
        if self.sins_risk is not None:
            out.append(self.sins_risk)
        for score in self.scores:
            out += [score.observation, score.risk]
        if self.outcome_observation is not None:
            out.append(self.outcome_observation)
        out.append(self.provenance)
        return out


def firm_total(result: ScoreResult, bases: Mapping[str, Basis]) -> Span:
    """The total if every component fed by a dated input were unknown: what holds without the
    inputs that may have changed since. Equal to the total when no input is dated."""
    low, high, changed = result.total.low, result.total.high, False
    for component in result.components:
        basis = bases.get(component.code)
        if basis is not None and basis.any_dated:
            low += component.full.low - component.points.low
            high += component.full.high - component.points.high
            changed = True
    return Span(low, high) if changed else result.total


def mechanical_now(lv: LevelResult) -> bool:
    """Whether the level's pain is certainly mechanical and not dated: the clinical sign of
    instability, whatever the total (contract §4 v3)."""
    pain = lv.assessment.inputs.pain
    basis = lv.bases.get(SINS_PAIN.code)
    return pain.certain and Pain.MECHANICAL in pain.values and not (basis and basis.any_dated)


def before_screws(basis: Basis, treatments: Sequence[Treatment], level: str) -> bool:
    """Whether screws at the level certainly came after every reading of a verdict: it is
    their history on every surface."""
    last = basis.latest
    return last is not None and any(
        follows(t.time, last) for t in treatments if "fixation" in t.kinds and t.at(level)
    )


def recorded_unstable(
    lv: LevelResult,
    *,
    at: bool = False,
    settle: bool = False,
    day: bool = True,
    cement_day: bool = True,
    verdict_day: bool = True,
    order: bool = True,
) -> str | None:
    """A recorded verdict of instability that SINS does not already say: "recorded unstable on
    30 May 2024" ("… at T12 …" with ``at``; "…, stable on 30 May 2024, level not recorded"
    beside a later "stable" with no level, with ``settle``; "stable and unstable both recorded on
    …" when they conflict; "…, level not recorded" when it may be at another level; " (dated)"
    when it may no longer hold, which may raise an alarm, never settle one; " — settle them" /
    " — record its level" with ``settle``; without its day, or "(dated)", when not ``day``; the
    cement named without its day when not ``cement_day``; the verdict without its day, its age and
    order kept, when not ``verdict_day``; without its order against the cement, its age kept,
    when not ``order``); None otherwise.
    SINS is the referral tool for the surgeon who gives such a verdict: it never overrides one.
    Beside a total certainly 13 or more without dated findings it adds nothing, unless screws
    make SINS not applicable there."""
    v = lv.verdict
    if v is None or (not v.fixed and firm_total(lv.result, lv.bases).low >= SINS_UNSTABLE_FROM):
        return None
    latest = v.basis.latest
    said = "stable and unstable both recorded" if v.conflicting else "recorded unstable"
    where = f" at {lv.level}" if at and not v.unplaced else ""
    unplaced = ", level not recorded" if v.unplaced else ""
    if not day:
        return f"{said}{where}{unplaced}"
    when = "" if latest is None or not verdict_day else on_day(latest.day)
    # "both recorded on 1 Jun" would date the undated one
    if latest is not None and v.untimed and verdict_day:
        timed = len(v.basis.evidence) - v.untimed
        # A summary leaves the day to the detail: "level not recorded" must fit whole.
        when = "" if not settle else f", {'one' if timed == 1 else 'the latest'}{when}"
    fresh = v.freshness
    if not v.untimed and v.conflicting and verdict_day and len(days := _days(v.basis)) > 1:
        # Not known to be in order (a month alone beside a day), or the later would be read:
        # "both recorded on 30 May" would give the month's reading a day it may not have, and
        # "(dated)" after both days the later one's age; each reading keeps its own.
        if settle:
            when = ", " + " and ".join(f"{on_day(d).strip()}{dated}" for d, dated in days)
            fresh = ""
        else:
            when = ""
    against = f", {v.order}{v.cement_day if cement_day else ''}" if v.order and order else ""
    then = f" — {v.settle}" if settle and v.settle else ""
    # A later "stable" with no level, where the words say what to do: a summary keeps "level
    # not recorded" whole, and the detail says the rest.
    later = f", stable{v.later_stable}" if v.later_stable and settle else ""
    return f"{said}{where}{when}{fresh}{later}{unplaced}{against}{then}"


RECORDED_UNSTABLE = "recorded unstable"


def unstable_reason(at: LevelResult) -> str | None:
    """What makes a level certainly too unstable for cement alone, in a few words: "SINS 14",
    "subluxation", "bilateral posterolateral involvement" (contract §6 v3), "recorded unstable";
    None when nothing certain does."""
    inputs = at.assessment.inputs
    if at.result.total.low >= SINS_UNSTABLE_FROM:
        return f"SINS {at.result.total}"
    if inputs.alignment.known and inputs.alignment.values == {Alignment.SUBLUXATION}:
        return "subluxation"
    if inputs.posterolateral.known and inputs.posterolateral.values == {Posterolateral.BILATERAL}:
        return "bilateral posterolateral involvement"
    # A surgeon's verdict: SINS never overrides it. One against a cement is said with its own
    # order (adapter.procedure.concerns), never as the picture before or after that cement.
    v = at.verdict
    if v is not None and v.certain and not v.order and recorded_unstable(at) is not None:
        return f"{RECORDED_UNSTABLE}{v.freshness}"
    return None


def unstable_before_earlier(at: LevelResult) -> tuple[str, Treatment, LevelResult] | None:
    """Cement alone given at the level before the treatment it is read against, at a level
    certainly unstable by the findings before it ("SINS 14", "subluxation"), with that cement and
    the level as it was; the latest such cement. A later cement does not undo what the earlier
    one was given at (contract §6 v3). None where none was, or where the level's own picture
    already says it is unstable with cement alone: certainly unstable as shown, before the
    cement it is read against, or by a verdict said against that cement."""
    if not at.earlier or unstable_reason(at) is not None:
        return None
    v, a = at.verdict, at.assessment
    if v is not None and v.against_cement:
        return None
    if a.after is not None and at.before is not None and unstable_reason(at.before) is not None:
        return None
    for treatment, was in at.earlier:
        reason = unstable_reason(was)
        if reason is not None:
            return reason, treatment, was
    return None


def in_conflict(at: LevelResult, code: str) -> bool:
    """Whether the findings of a component that may hold what cement cannot treat (alignment:
    a subluxation; posterolateral involvement: bilateral) disagree with one another on it, as
    recorded (a fracture coded since may widen the value, which is not a conflict)."""
    inputs = at.assessment.inputs
    value, unsafe = (
        (inputs.alignment, Alignment.SUBLUXATION)
        if code == SINS_ALIGNMENT.code
        else (inputs.posterolateral, Posterolateral.BILATERAL)
    )
    values: frozenset[object] = frozenset(value.values)
    if unsafe not in values or values == {unsafe} or not value.known:
        return False
    widened = at.assessment.widened
    recorded = widened.recorded.get(code) if widened is not None else None
    return recorded is None or (unsafe in recorded and len(recorded) > 1)


def conflict_values(at: LevelResult, code: str) -> str:
    """The values of a component :func:`in_conflict`, as recorded, the one cement alone cannot
    treat first: "subluxation/normal", "bilateral/none"."""
    inputs = at.assessment.inputs
    value, unsafe = (
        (inputs.alignment, Alignment.SUBLUXATION)
        if code == SINS_ALIGNMENT.code
        else (inputs.posterolateral, Posterolateral.BILATERAL)
    )
    widened = at.assessment.widened
    recorded = widened.recorded.get(code) if widened is not None else None
    return listed_first(unsafe, recorded or frozenset(value.values))


def listed_first(first: Enum, values: Collection[object]) -> str:
    """``values`` of ``first``'s kind in their order of definition, ``first`` before the rest."""
    rest = [v.value for v in type(first) if v in values and v is not first]
    return "/".join([str(first.value), *map(str, rest)])


def conflicts_with_cement(at: LevelResult) -> tuple[str, ...]:
    """The components whose findings disagree on what cement alone cannot treat, at a level
    with cement alone (its findings after it, or of an unknown order against it) that SINS, as
    it stands, reads stable (at most 6) and nothing shown makes certainly unstable: NOMS reads
    the level as it stands, so these make M either. Empty otherwise."""
    cement = at.assessment.after or at.assessment.unordered
    v = at.verdict
    if cement is None or "fixation" in cement.kinds or (v is not None and v.against_cement):
        return ()
    if at.result.total.high >= SINS_CONSULT_FROM or unstable_reason(at) is not None:
        return ()
    return tuple(
        code for code in (SINS_ALIGNMENT.code, SINS_POSTEROLATERAL.code) if in_conflict(at, code)
    )


def cement_settles(at: LevelResult) -> str:
    """What settles a possible instability with cement alone: findings in conflict on what it
    cannot treat (a subluxation, bilateral involvement) first, then what else the range lacks,
    then other conflicts (collapse, pain: cement treats those): "settle the conflicting
    posterolateral involvement; record lesion quality". Recording a missing finding cannot settle
    a subluxation the findings disagree on; settling a collapse cannot say cement is enough."""
    settling = settling_of(at.result, at.bases)
    unsafe = [
        spec.short for spec in (SINS_ALIGNMENT, SINS_POSTEROLATERAL) if in_conflict(at, spec.code)
    ]
    others = [n for n in settling.conflicting if n not in unsafe]
    first = [SETTLE_CONFLICTING + ", ".join(unsafe)] if unsafe else []
    last = [SETTLE_CONFLICTING + ", ".join(others)] if others else []
    return "; ".join([*first, *settling.asked, *last])


# Findings in conflict: what every surface asks of them.
SETTLE_CONFLICTING = "settle the conflicting "


def possibly_unsafe_after(at: LevelResult) -> tuple[str, ...]:
    """:func:`conflicts_with_cement` at a level re-scored after its cement alone, where nothing
    makes cement alone there certainly unsafe (before it, or an earlier cement): "possibly
    unstable after cement alone" on the card's line, beside a recorded "stable" and in the SINS
    RiskAssessment. Empty otherwise: a certain instability is said as such, and a band or a
    range that may read otherwise says it (the detail and the drawing still name the conflict
    beside those, from :func:`adapter.decision.sins.unsettled_after`)."""
    if at.assessment.after is None or unstable_before_earlier(at) is not None:
        return ()
    if at.before is not None and unstable_reason(at.before) is not None:
        return ()
    return conflicts_with_cement(at)


def possibly_unsafe_unordered(at: LevelResult) -> tuple[str, ...]:
    """The same for a level shown from findings of an unknown order against its cement alone
    ("possibly unstable with cement alone": before it, cement alone was given at a level that
    may have been subluxed; after it, what it cannot treat may be there), unless the findings
    certainly before it, or an earlier cement, say so already."""
    if at.assessment.unordered is None or unstable_unless_before(at) is not None:
        return ()
    if unstable_before_earlier(at) is not None:
        return ()
    return conflicts_with_cement(at)


def unstable_unless_before(at: LevelResult) -> str | None:
    """What makes a level shown from findings of an unknown order against its cement alone
    certainly unstable by the findings certainly before that cement ("SINS 14", "SINS 14 (dated)",
    "subluxation"): had the others come after it, cement alone went to an unstable level
    (contract §6 v3). None when they do not, or when the level is certainly unstable whatever
    the order (by the findings shown, or by a verdict said against the cement)."""
    treatment, v = at.assessment.unordered, at.verdict
    if treatment is None or at.before is None or "fixation" in treatment.kinds:
        return None
    if unstable_reason(at) is not None or (v is not None and v.against_cement):
        return None  # certain already: by the findings shown, or a verdict against the cement
    if unstable_before_earlier(at) is not None:
        return None  # certain already: cement alone given earlier at an unstable level
    reason = unstable_reason(at.before)
    if reason is not None and reason.startswith("SINS"):
        dated = firm_total(at.before.result, at.before.bases).low < SINS_UNSTABLE_FROM
        return f"{reason} (dated)" if dated else reason
    return reason


def _days(basis: Basis) -> list[tuple[str, str]]:
    """The days of a basis's timed readings, each once, the earliest first, each with " (dated)"
    when a reading of that day may no longer hold."""
    timed = sorted(
        ((ev.time, ev.dated) for ev in basis.evidence if ev.time is not None),
        key=lambda pair: pair[0].instant,
    )
    days: dict[str, str] = {}
    for time, dated in timed:
        days[time.day] = days.get(time.day) or (" (dated)" if dated else "")
    return list(days.items())


@dataclass(frozen=True, slots=True)
class Settling:
    """What would narrow a SINS range, in parts, for each surface to word and order: re-imaging
    for a fracture coded since the findings, what to confirm, record or place (``asked``, in
    that order), and the components whose findings are in conflict."""

    imaging: str | None  # "fracture coded since: re-image, re-assess pain, or record its level"
    asked: tuple[str, ...]  # re-imaging first: a cut summary keeps it
    conflicting: tuple[str, ...]  # short names, in the components' order

    def text(self, *, conflicts: bool = True) -> str:
        """As :func:`to_settle` says it."""
        if self.asked[1 if self.imaging else 0 :]:
            # Findings in conflict too: recording what is missing cannot settle them
            # (``conflicts`` False leaves them to the detail, for a summary with no room).
            shown = self.conflicting if conflicts else ()
            clause = [SETTLE_CONFLICTING + ", ".join(shown)] if shown else []
            return "; ".join([*self.asked, *clause])
        if self.imaging is not None and not self.conflicting:
            return self.imaging
        return "; ".join([*self.asked, SETTLE_CONFLICTING + ", ".join(self.conflicting)])


def settling_of(result: ScoreResult, bases: Mapping[str, Basis] | None = None) -> Settling:
    """What would narrow a SINS range, in parts (:class:`Settling`). A finding recorded without
    a level (``bases`` say so) is not missing: its level is ("record the level (bodySite) of
    pain, collapse", contract §4 v3); nor is one that only a preliminary report records: the
    report is ("confirm the preliminary alignment", §2)."""
    parts = [c for c in result.components if c.code != SINS_LOCATION.code]
    levelless = {code for code, basis in (bases or {}).items() if unplaced(basis)}
    early = {code for code, basis in (bases or {}).items() if preliminary(basis)}
    missing = [c.spec.short for c in parts if not c.known and c.code not in levelless | early]
    placing = [c.spec.short for c in parts if not c.known and c.code in levelless]
    confirming = [c.spec.short for c in parts if not c.known and c.code in early]
    since = [
        c.spec.short
        for c in parts
        if c.known
        and not c.points.certain
        and (b := (bases or {}).get(c.code)) is not None
        and fractured_since(b)
    ]
    widened = [b for b in (bases or {}).values() if fractured_since(b)]
    where = ", or record its level" if any(fracture_unplaced(b) for b in widened) else ""
    coded = "coded since" if all(fracture_after(b) for b in widened) else "coded, perhaps since"
    imaging = f"fracture {coded}: re-image, re-assess {', '.join(since)}{where}" if since else None
    asked = [imaging] if imaging else []
    asked += [f"confirm the preliminary {', '.join(confirming)}"] if confirming else []
    if missing:
        asked.append("record " + ", ".join(missing))
    if placing:
        level = f"the level (bodySite) of {', '.join(placing)}"
        asked.append(level if missing else f"record {level}")
    conflicting = tuple(
        c.spec.short
        for c in parts
        if c.known and not c.points.certain and c.spec.short not in since
    )
    return Settling(imaging, tuple(asked), conflicting)


def pending_inputs(*scored: tuple[ScoreResult, Mapping[str, Basis]]) -> str:
    """What keeps a range from settling, in a word for its RiskAssessment, over each result it
    describes (the tied worst levels): inputs to record ("missing": not recorded, without a
    level, or recorded but not assessed, as a metastasis coded whose treatability is not),
    inputs recorded that cannot be relied on yet ("uncertain": findings in conflict, only in a
    preliminary report, or with a fracture coded since them; a primary tumour not confirmed, or
    several that the metastasis does not choose between), or both ("missing or uncertain")."""
    missing = uncertain = False
    for result, bases in scored:
        for c in result.components:
            if c.points.certain:
                continue
            b = bases.get(c.code)
            if b is not None and (
                b.uncertain or conflicting(b) or preliminary(b) or fractured_since(b)
            ):
                uncertain = True
            else:
                missing = True
    if not uncertain:
        return "missing"
    return "missing or uncertain" if missing else "uncertain"


def to_settle(
    result: ScoreResult, bases: Mapping[str, Basis] | None = None, *, conflicts: bool = True
) -> str:
    """What would narrow a SINS range, as every surface says it: "record pain, collapse" (the
    findings missing), else "settle the conflicting alignment" (the level itself is never
    either); :func:`settling_of` in words."""
    return settling_of(result, bases).text(conflicts=conflicts)


def worst_levels(levels: list[LevelResult]) -> tuple[LevelResult, ...]:
    """The worst level(s) by :func:`~adapter.scoring.worst_first` (what is certain first), ties
    all kept, from the skull down. Every level counts here, treated or not (contract §6 v3: only
    the cards, the text and the page present treated levels as before their treatment)."""
    ranked = sorted(levels, key=lambda lv: (worst_first(lv.result.total), level_order(lv.level)))
    if not ranked:
        return ()
    top = worst_first(ranked[0].result.total)
    return tuple(lv for lv in ranked if worst_first(lv.result.total) == top)


@dataclass(frozen=True, slots=True)
class Scoring:
    """What a deployment chooses about scoring, carried by every surface into the pipeline:
    whether the original 1990 Tokuhashi score is written too, and the rules."""

    original: bool = False
    rules: Rules = DEFAULT_RULES

    @classmethod
    def of(cls, settings: RuleFields, *, original: bool = False) -> Scoring:
        """The scoring of a deployment's settings (the one model of :mod:`adapter.settings`)."""
        return cls(original, rules_of(settings))


DEFAULT_SCORING = Scoring()
