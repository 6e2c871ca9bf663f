"""FHIR in → extract → score → build: one patient's resources to every result and output."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adapter import __version__
from adapter.fhir.read.evidence import Basis, Evidence, on_day
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import PatientData, patients_from_resources, read_input
from adapter.fhir.read.timing import ClinicalTime, follows
from adapter.fhir.write.build import (
    LevelSite,
    build_provenance,
    build_risk_assessment,
    build_score_observation,
    evidence_of,
)
from adapter.fhir.write.built import Built
from adapter.fhir.write.trajectory import build_outcome_observation
from adapter.mapping.extract import (
    LevelAssessment,
    PatientAssessment,
    extract_patient,
    read_observation,
)
from adapter.mapping.followup import extract_follow_up
from adapter.mapping.more import more_results
from adapter.mapping.noms import own_stability
from adapter.mapping.placement import fractured_since
from adapter.mapping.terminology import Terminology
from adapter.mapping.treatments import Treatment, fixation_at, latest_stabilising
from adapter.pipeline.results import (
    DEFAULT_SCORING,
    RECORDED_UNSTABLE,
    LevelResult,
    PatientResult,
    ScoreOutput,
    Scoring,
    Verdict,
    before_screws,
    cement_settles,
    firm_total,
    mechanical_now,
    pending_inputs,
    possibly_unsafe_after,
    possibly_unsafe_unordered,
    recorded_unstable,
    to_settle,
    unstable_before_earlier,
    unstable_reason,
    unstable_unless_before,
    worst_levels,
)
from adapter.scoring import (
    Possible,
    ScoreResult,
    Stability,
    level_order,
    score_sins,
    score_tokuhashi_original,
    score_tokuhashi_revised,
    score_tomita,
)
from adapter.vocabulary import SINS, SINS_CONSULT, SINS_CONSULT_FROM
from adapter.vocabulary.scores.sins import (
    NO_FIXATION,
    CementOrder,
    after_screws,
    before_cement,
    mechanical_pain,
    not_applicable,
    possibly_with_cement,
    stable_words,
    unstable_with_cement,
)
from adapter.vocabulary.systems import SNOMED, VERTEBRA
from adapter.vocabulary.text import and_list, deceased_note

__all__ = ["now_time", "patient_records", "primary_sites", "read_patients", "score_patient"]


def now_time() -> ClinicalTime:
    moment = datetime.now(UTC).replace(microsecond=0)
    return ClinicalTime(moment, moment.isoformat().replace("+00:00", "Z"))


@functools.cache
def _level_sites(term: Terminology) -> dict[str, LevelSite]:
    """Each level's output bodySite: the vertebra code and display, SNOMED CT where one code
    names exactly that level."""
    snomed: dict[str, str] = {}
    for code, levels in term.maps.get((SNOMED, VERTEBRA), {}).items():
        if len(levels) == 1:
            snomed.setdefault(next(iter(levels)), code)
    return {
        level: LevelSite(level, term.display(VERTEBRA, level), snomed.get(level))
        for level in term.code_systems.get(VERTEBRA, ())
    }


def read_patients(path: str, loose: list[Issue]) -> Iterator[PatientData]:
    """Each patient's records from a Bundle or NDJSON file (``-``: standard input)."""
    return read_input(path, loose, read_observation)


def patient_records(resources: Iterable[Any], patient: str) -> PatientData | None:
    """One patient's records from resources in memory (a CDS prefetch, a FHIR server read);
    None when nothing in them is about that patient. What names no patient at all (a subject
    given only as an identifier, a malformed one) was sent or read for this one: its issues are
    this patient's, never dropped (contract §2: an invalid resource is reported)."""
    loose: list[Issue] = []
    for data in patients_from_resources(resources, loose, read_observation):
        if data.patient == patient:
            data.issues.extend(loose)
            return data
    return None


def _level_result(
    patient: str,
    level: LevelAssessment,
    sites: dict[str, LevelSite],
    now: ClinicalTime,
    deceased: str | None,
    verdict: Verdict | None = None,
) -> LevelResult:
    """SINS at one level; after a stabilising treatment, also as it was before it."""
    result = score_sins(level.inputs)
    obs = Built.later(
        functools.partial(
            build_score_observation,
            patient=patient,
            result=result,
            bases=level.basis,
            level=sites[level.level],
            now=now,
            deceased=deceased,
        )
    )
    before = _level_result(patient, level.before, sites, now, deceased) if level.before else None
    earlier = tuple(
        (t, _level_result(patient, was, sites, now, deceased)) for t, was in level.earlier
    )
    return LevelResult(level, result, obs, before, verdict, earlier)


def _recorded_verdict(
    assessment: PatientAssessment, level: str
) -> tuple[tuple[Possible[Stability], Basis], bool] | None:
    """The verdict that may say "unstable" at the level, and whether it was recorded with no
    level: the level's own when it may say so; else one with no level that may say so and is
    not older than the level's own (the one read there when a single level is scored is that
    one). A verdict with no level never silences the level's own."""
    more = assessment.more
    if more is None:
        return None
    loose = more.stability_unplaced
    own = own_stability(more.stability.get(level), loose)
    if own is not None and before_screws(own[1], assessment.treatments, level):
        own = None  # their history: a later one with no level may still hold
    if own is not None and Stability.UNSTABLE in own[0].values:
        return own, False
    if loose is None or Stability.UNSTABLE not in loose[0].values:
        return None
    mine, theirs = (own[1].latest, loose[1].latest) if own is not None else (None, None)
    if mine is not None and theirs is not None and follows(mine, theirs):
        return None  # the level's own "stable" is later
    return loose, True


def _unstable_verdict(assessment: PatientAssessment, level: LevelAssessment) -> Verdict | None:
    """The recorded stability verdict at the level (or with no level) when it says, or may say,
    "unstable" — not a "stable" one a fracture since only makes uncertain (SINS says that
    fracture) — unless screws there certainly came after it: then it is their history. Cement
    alone does not fix instability: the verdict stays, said against the latest cement."""
    found = _recorded_verdict(assessment, level.level)
    if found is None:
        return None
    (values, basis), unplaced = found
    if Stability.UNSTABLE not in values.values:
        return None
    conflicting = len(values.values) > 1
    more = assessment.more
    recorded = more is not None and level.level in more.stability_conflicts
    if conflicting and fractured_since(basis) and not recorded:
        return None  # a "stable" a fracture since made either: SINS says that fracture
    if before_screws(basis, assessment.treatments, level.level):
        return None
    last = basis.latest
    done = [t for t in assessment.treatments if t.stabilises and t.at(level.level)]
    screws = [t for t in done if "fixation" in t.kinds]
    cement = [t for t in done if "fixation" not in t.kinds]
    order = day = ""
    if cement and not screws and not unplaced:  # one with no level is no level's history
        t = cement[-1]
        named = f"the {t.name}"
        if last is None or not (follows(last, t.time) or follows(t.time, last)):
            order = f"not known to be before or after {named}"
        else:
            order = f"before {named}" if follows(t.time, last) else f"after {named}"
        day = on_day(t.time.day)
    later = assessment.more.stability_later_stable if assessment.more and unplaced else None
    said = on_day(later.time.day) if later is not None and later.time is not None else ""
    after = last is not None and bool(screws) and all(follows(last, t.time) for t in screws)
    return Verdict(
        basis,
        conflicting=conflicting,
        unplaced=unplaced,
        fixed=bool(screws),
        order=order,
        cement_day=day,
        later_stable=said,
        after_fixed=after,
    )


def _deceased(assessment: PatientAssessment) -> str | None:
    """What a RiskAssessment says in place of a recommendation when the record says the patient
    had died by the computation time; None otherwise."""
    if assessment.deceased is None:
        return None
    record = assessment.record
    time = record.deceased_time if record is not None else None
    return deceased_note(time.day if time is not None else None)


def _sins(
    assessment: PatientAssessment, term: Terminology, now: ClinicalTime
) -> tuple[list[LevelResult], tuple[LevelResult, ...], Built | None]:
    """SINS at every scored level, the worst level(s), and their RiskAssessment."""
    sites = _level_sites(term)
    deceased = _deceased(assessment)
    levels = [
        _level_result(
            assessment.patient, level, sites, now, deceased, _unstable_verdict(assessment, level)
        )
        for level in assessment.levels
    ]
    worst = worst_levels(levels)
    if not worst:
        return levels, worst, None

    def risk_assessment() -> Built:
        # Worked out when the RiskAssessment is first read (a CDS call may never read it).
        return _sins_risk(assessment, levels, deceased)

    return levels, worst, Built.later(risk_assessment)


def _sins_risk(
    assessment: PatientAssessment,
    levels: Sequence[LevelResult],
    deceased: str | None,
    *,
    named: bool = False,
) -> Built:
    """The patient's SINS RiskAssessment, of the worst of ``levels`` (contract §3, §6 v3).
    ``named``: the words of the levels not fixed beside one that is (:func:`_fixed_risk`): they
    name the level ("At L3: …") and leave the recorded verdicts to the words around them."""
    worst = worst_levels(list(levels))
    # A deceased patient's RiskAssessment shows no recommendation: nothing to reword.
    if not named and deceased is None:
        fixation = fixation_at(assessment.treatments, worst[0].level)
        if fixation is not None:
            return _fixed_risk(assessment, levels, worst, fixation)
    # A level fixed with screws is not re-scored (contract §6 v3): never one that may be worse.
    fixed = {lv.level for lv in levels if fixation_at(assessment.treatments, lv.level)}
    beside = _possibly_worse(
        worst[0], [lv for lv in levels if lv not in worst and lv.level not in fixed]
    )
    # A level shown from findings before its treatment with a fracture coded since: its
    # band is history. Described, it settles no category for the patient now; elsewhere, it
    # may be worse than the level described, unless that one is certainly unstable.
    top = worst[0].result.possible_bands[-1]
    firm = worst[0].result.band is not None and top is SINS.bands[-1]
    beside += tuple(
        f"{lv.level}: {fracture}"
        for lv in levels
        if (fracture := lv.assessment.fractured_since("its treatment")) is not None
        and (lv in worst or not firm)
    )
    identifier = _identifier(worst[0].observation)
    # Another result when what it says for the patient is not the first level's alone: the
    # levels that may be worse, the levels tied with it (its basis and words name them).
    unfixed = [lv for lv in levels if lv.level not in fixed]
    settled = _consult_settled(unfixed, assessment.treatments)
    before = _before(worst[0], assessment.treatments)
    described = f"{worst[0].level}{before}"
    # A recorded verdict of instability at any level: the patient's SINS words never say
    # "no surgical consultation needed" beside it.
    verdicts = "" if named else _verdicts(levels)
    said = [*beside, *(_identifier(lv.observation) for lv in worst[1:])]
    if verdicts and deceased is None:  # a deceased patient's words do not show it
        said.append(verdicts)
    cited = [lv.verdict.basis for lv in levels if lv.verdict and recorded_unstable(lv)]
    # Signs of instability a total does not show, as the card warns of them: "no surgical
    # consultation needed" is never said beside them.
    signs = _signs(unfixed, worst[0], assessment.treatments)
    if signs and deceased is None:  # a deceased patient's words do not show them
        said += signs
    if beside or before:
        # Its words then say what holds and of what: another result when they change (sync
        # writes nothing for a result it has stored).
        said += [settled or "" if beside else "", described]
    if said:
        key = hashlib.sha256("|".join(said).encode()).hexdigest()[:8]
        identifier = f"{identifier}-{key}"
    return build_risk_assessment(
        patient=assessment.patient,
        result=worst[0].result,
        observations=[lv.observation for lv in worst],
        evidence=evidence_of([*(b for lv in worst for b in lv.assessment.basis.values()), *cited]),
        identifier=identifier,
        deceased=deceased,
        unsettled=beside,
        settled=settled,
        described=described if beside or before or named else None,
        verdicts=verdicts or None,
        signs=signs,
        pending=pending_inputs(*((lv.result, lv.bases) for lv in worst)),
    )


def _fixed_risk(
    assessment: PatientAssessment,
    levels: Sequence[LevelResult],
    worst: Sequence[LevelResult],
    fixation: Treatment,
) -> Built:
    """The SINS RiskAssessment of a level fixed with screws: its total and category as recorded
    (contract §3), but never its band's recommendation, as it is never re-scored (§6 v3). Its
    words say first what the levels not fixed need, as their own RiskAssessment would ("At L3:
    …", judged among themselves, not against a band that no longer applies), then the fixed
    level's sentence and a fracture coded since its picture."""
    level = worst[0]
    # Every level tied for the worst and fixed is named, those fixed the same way that day
    # together ("T12 and L1 were fixed …"), as the basis cites them all.
    groups: dict[tuple[str, bool], list[str]] = {}
    for lv in worst:
        done = fixation if lv is level else fixation_at(assessment.treatments, lv.level)
        if done is not None:
            way = (on_day(done.time.day), done.bridges(lv.level))
            groups.setdefault(way, []).append(lv.level)
    fixed = "; ".join(
        not_applicable(named[0], day, bridged=bridged, more=named[1:])
        for (day, bridged), named in groups.items()
    )
    a = level.assessment
    fracture = a.fractured_since("its treatment") or a.fixed_fractured()
    if fracture is not None:
        fixed += f"; {fracture}"
    treatments = assessment.treatments
    rest = [
        lv for lv in levels if fixation_at(treatments, lv.level) is None and _speaks(lv, treatments)
    ]
    others = _sins_risk(assessment, rest, None, named=True) if rest else None
    others_said = (others.resource.get("mitigation") or "") if others is not None else ""
    verdicts = _verdicts(levels)
    # The verdicts' clause belongs to the words of a level one is at: those describe the worst
    # of the levels not fixed (``others``), never the levels a verdict is at elsewhere.
    elsewhere = not any(recorded_unstable(lv) for lv in worst_levels(rest)) if rest else True
    said = [fixed, others_said, *(_identifier(lv.observation) for lv in worst[1:])]
    if verdicts:
        said.append(verdicts)
        if elsewhere and stable_words(others_said):
            said.append("the verdicts are not the levels' not fixed")  # their words differ
    key = hashlib.sha256("|".join(said).encode()).hexdigest()[:8]
    cited = [lv.verdict.basis for lv in levels if lv.verdict and recorded_unstable(lv)]
    return build_risk_assessment(
        patient=assessment.patient,
        result=level.result,
        observations=[lv.observation for lv in worst],
        evidence=evidence_of([*(b for lv in worst for b in lv.assessment.basis.values()), *cited]),
        identifier=f"{_identifier(level.observation)}-{key}",
        described=f"{level.level}{_before(level, treatments)}",
        verdicts=verdicts or None,
        fixed=fixed,
        others=others_said or None,
        verdicts_elsewhere=elsewhere,
        pending=pending_inputs((level.result, level.bases)),
    )


def _speaks(lv: LevelResult, treatments: Sequence[Treatment]) -> bool:
    """Whether a level not fixed is one the words beside a fixed level speak for: one shown as
    it stands; one shown from findings before its treatment only where the card warns of it —
    certainly unstable before cement alone (contract §6 v3), or so by its findings certainly
    before the cement beside others of an unknown order against it, findings of an unknown
    order against it in conflict on what it cannot treat (the RiskAssessment says "possibly
    unstable with cement alone" as it does when no level is fixed), or a fracture coded since.
    A level only possibly unstable otherwise (a range) is an info line of the card, and left
    out."""
    if not _before(lv, treatments):
        return True
    return (
        unstable_reason(lv) is not None
        or unstable_unless_before(lv) is not None
        or unstable_before_earlier(lv) is not None
        or bool(possibly_unsafe_unordered(lv))
        or lv.assessment.fractured_since("its treatment") is not None
    )


def _signs(
    levels: Sequence[LevelResult], described: LevelResult, treatments: Sequence[Treatment]
) -> list[str]:
    """Signs of instability the SINS words of ``described`` do not show, at ``levels`` (those
    not fixed): current mechanical pain below SINS 7 (contract §4 v3), where the words may say
    "stable" or describe a level as it was before its treatment (a total certainly 7 or more,
    as it stands, already recommends the consultation); then cement alone (:func:`_cement`)."""
    pained = [
        lv.level
        for lv in levels
        if mechanical_now(lv)
        and lv.result.total.low < SINS_CONSULT_FROM
        and not _before(lv, treatments)
    ]
    stable = SINS.bands[0] in described.result.possible_bands
    pain = (
        [mechanical_pain(and_list(pained))]
        if pained and (stable or _before(described, treatments))
        else []
    )
    return pain + _cement(levels, treatments)


def _cement(levels: Sequence[LevelResult], treatments: Sequence[Treatment]) -> list[str]:
    """What makes each level cemented alone certainly unstable where its SINS words do not show
    it (contract §6 v3), as the card warns of it: a subluxation or a bilateral posterolateral
    involvement whatever the total, and a total of 13 or more before the cement (of a level
    scored from findings after it, or shown from findings before it or of an unknown order
    against it: its band's words do not say cement alone); each worded by the findings' order
    against the cement. A level shown from findings of an unknown order, unstable by those
    certainly before the cement, is possibly so: the others' order settles it. A level whose
    recorded verdict is said against the cement (:func:`_verdict_words`) carries the action in
    the verdict's words."""
    out: list[str] = []
    for lv in levels:
        v, a = lv.verdict, lv.assessment
        if (v is not None and v.against_cement) or fixation_at(treatments, lv.level):
            continue
        if (earlier := unstable_before_earlier(lv)) is not None:  # given at an unstable level
            reason, t, _ = earlier
            cement = f"{t.dated}"
            out.append(unstable_with_cement(reason, lv.level, cement, "before"))
            continue
        now = unstable_reason(lv)
        shown = now is None or now.startswith(("SINS", RECORDED_UNSTABLE))  # its band, its verdict
        if possibly_unsafe_after(lv) or possibly_unsafe_unordered(lv):  # findings in conflict
            with_cement = a.after or a.unordered
            assert with_cement is not None  # each rule asks for one
            out.append(
                possibly_with_cement(
                    lv.level,
                    str(lv.result.total),
                    f"{with_cement.dated}",
                    "after" if a.after is not None else "unordered",
                    cement_settles(lv),
                )
            )
            continue
        if a.after is not None:  # scored from findings after the cement
            cement = f"{a.after.dated}"
            was = unstable_reason(lv.before) if lv.before is not None else None
            if was is not None and was.startswith(RECORDED_UNSTABLE):
                was = None  # said by the verdict's own words
            if not shown and now is not None:  # unstable now, and perhaps before it too: once
                out.append(unstable_with_cement(now, lv.level, cement, "after", was))
            elif was is not None:
                out.append(unstable_with_cement(was, lv.level, cement, "before"))
            continue
        if a.unordered is not None and (was := unstable_unless_before(lv)) is not None:
            cement = f"{a.unordered.dated}"
            out.append(before_cement(was, lv.level, cement).sentence)
            continue
        # Before the cement or of an unknown order against it, even a total its band shows is
        # said as cement alone, as the card says it; a verdict says it in its own words.
        if now is None or now.startswith(RECORDED_UNSTABLE) or not _before(lv, treatments):
            continue
        latest = a.unordered or latest_stabilising(
            t for t in treatments if t.stabilises and t.at(lv.level)
        )
        if latest is not None:
            order: CementOrder = "unordered" if a.unordered is not None else "before"
            out.append(unstable_with_cement(now, lv.level, f"{latest.dated}", order))
    return out


def _verdicts(levels: Sequence[LevelResult]) -> str:
    return "; ".join(dict.fromkeys(v for lv in levels if (v := _verdict_words(lv))))


def _verdict_words(lv: LevelResult) -> str | None:
    """A level's verdict of instability as the RiskAssessment says it; with cement alone before
    or after it, or after its screws, what the SINS card says of that too."""
    words, v = recorded_unstable(lv, at=True, settle=True), lv.verdict
    if words is None or v is None or not v.certain:
        return words
    if v.after_screws:
        return after_screws(recorded_unstable(lv, at=True) or words, v.settle)
    if not v.order:
        return words
    # After an action ("— re-assess it") a colon would read as that action's reason.
    return f"{words}{'; ' if v.settle else ': '}{NO_FIXATION}"


def _before(lv: LevelResult, treatments: Sequence[Treatment]) -> str:
    """How a level's findings stand against its stabilising treatment, when they do not follow
    it: " (findings before its treatment)"; "" when they do, or there is none."""
    a = lv.assessment
    if a.after is not None or not any(t.stabilises and t.at(lv.level) for t in treatments):
        return ""
    if a.unordered is not None:
        return " (findings not known to be before or after its treatment)"
    return " (findings before its treatment)"


def _consult_settled(levels: Sequence[LevelResult], treatments: Sequence[Treatment]) -> str | None:
    """A level at SINS 7 or more: a surgical consultation is recommended whatever another level
    turns out to be (every band above says the same; a fracture since can only make a level
    worse), named by a level with current findings first, then the highest, and said as from
    findings before its treatment or from dated findings when it is. ``levels``: those not fixed
    with screws (SINS does not apply there)."""
    ranked = []
    for lv in levels:
        if lv.result.total.low < SINS_CONSULT_FROM:
            continue
        before = _before(lv, treatments).strip(" ()")
        dated = firm_total(lv.result, lv.assessment.basis).low < SINS_CONSULT_FROM
        why = f", from {before}" if before else ", from dated findings" if dated else ""
        ranked.append((bool(before), dated, -lv.result.total.low, level_order(lv.level), lv, why))
    if not ranked:
        return None
    *_, top, why = min(ranked, key=lambda r: r[:4])
    return (
        f"{SINS_CONSULT[:1].upper()}{SINS_CONSULT[1:]} ({top.level} SINS {top.result.total}{why})"
    )


def _possibly_worse(described: LevelResult, others: list[LevelResult]) -> tuple[str, ...]:
    """The other levels whose range reaches a band above every band of the level described: the
    patient's one SINS RiskAssessment settles no category while one of them may be worse ("T8
    could be up to 16 (unstable) — record pain, lesion, …", as the card says it)."""
    top = described.result.possible_bands[-1]
    out = []
    for lv in others:
        reach = lv.result.possible_bands[-1]
        if reach.low > top.low:
            total = lv.result.total
            out.append(
                f"{lv.level} could be up to {total.high} ({reach.short_label}) — "
                f"{to_settle(lv.result, lv.bases)}"
            )
    return tuple(out)


def _identifier(built: Built) -> str:
    value: str = built.resource["identifier"][0]["value"]
    return value


def _score_outputs(
    patient: str,
    result: ScoreResult,
    bases: Mapping[str, Basis],
    now: ClinicalTime,
    deceased: str | None,
) -> tuple[Built, Built]:
    """A prognosis score's Observation and RiskAssessment, each built when first read."""
    obs = Built.later(
        functools.partial(
            build_score_observation,
            patient=patient,
            result=result,
            bases=bases,
            level=None,
            now=now,
            deceased=deceased,
        )
    )
    risk = Built.later(
        lambda: build_risk_assessment(
            patient=patient,
            result=result,
            observations=[obs],
            evidence=evidence_of(bases.values()),
            identifier=_identifier(obs),
            deceased=deceased,
            pending=pending_inputs((result, bases)),
        )
    )
    return obs, risk


def _prognosis(
    assessment: PatientAssessment, now: ClinicalTime, *, original: bool
) -> list[ScoreOutput]:
    """Tomita, the revised (on request the original) Tokuhashi score and the v3 tools."""
    results = [score_tomita(assessment.tomita), score_tokuhashi_revised(assessment.tokuhashi)]
    if original:
        results.append(score_tokuhashi_original(assessment.tokuhashi))
    more, basis = more_results(assessment.more, assessment.basis)  # Bauer, NESMS, van der Linden
    scores = []
    for result in [*results, *more]:
        bases = {c.code: basis[c.code] for c in result.components}
        obs, risk = _score_outputs(assessment.patient, result, bases, now, _deceased(assessment))
        scores.append(ScoreOutput(result, bases, obs, risk))
    return scores


def score_patient(
    data: PatientData,
    term: Terminology,
    *,
    now: ClinicalTime,
    scoring: Scoring = DEFAULT_SCORING,
) -> PatientResult:
    """Extract, score and build every output of one patient at computation time ``now``."""
    assessment = extract_patient(data, term, now=now, rules=scoring.rules)
    levels, worst, sins_risk = _sins(assessment, term, now)
    scores = _prognosis(assessment, now, original=scoring.original)
    all_evidence: list[Evidence] = evidence_of(
        [b for lv in levels for b in lv.assessment.basis.values()] + list(assessment.basis.values())
    )
    targets = [lv.observation for lv in levels]
    targets += [sins_risk] if sins_risk else []
    for score in scores:
        targets += [score.observation, score.risk]
    follow = extract_follow_up(
        data, term, now=now, primary_sites=primary_sites(assessment), rules=scoring.rules
    )
    outcome_obs = None
    if follow.outcome is not None:
        outcome_obs = build_outcome_observation(follow.outcome, evidence=follow.evidence, now=now)
        targets.append(outcome_obs)
        all_evidence = evidence_of([Basis(tuple(all_evidence)), Basis(follow.evidence)])
    provenance = Built.later(
        functools.partial(
            build_provenance, targets=targets, evidence=all_evidence, now=now, version=__version__
        )
    )
    return PatientResult(
        assessment=assessment,
        levels=tuple(levels),
        worst=worst,
        sins_risk=sins_risk,
        scores=tuple(scores),
        provenance=provenance,
        now=now,
        outcome=follow.outcome,
        outcome_observation=outcome_obs,
        outcome_issues=follow.issues,
        outcome_blocked=follow.blocked,
    )


def primary_sites(assessment: PatientAssessment) -> tuple[str, ...]:
    """The Tokuhashi primary-site codes of the patient; () when no primary is coded."""
    site = assessment.tokuhashi.primary_site
    return tuple(sorted(s.value for s in site.values)) if site.known else ()
