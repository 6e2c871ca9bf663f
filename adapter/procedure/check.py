"""One draft order checked at each of its levels and for the whole patient: the criteria, their
worst status, the warnings that are not criteria, the context (SINS at the level, Tomita and
revised Tokuhashi as prognosis — information, not criteria).

Level criteria (1, 2, 3, 5, 6) are judged at each treated level; patient-wide ones (4, 7, 9, and
later 8) once per order, and shown beside each level. A spine order the mappings do not recognise
is judged by the patient-wide criteria only. A deceased patient's order is not judged at all, nor
is an order not to do the procedure (``doNotPerform``): the criteria are about doing it, and
"meets" would read as an endorsement of what the order forbids; it is info, named as such.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from adapter.fhir.read.evidence import on_day
from adapter.mapping.coded import coded_compressions, coded_deficits
from adapter.mapping.compression import compression_grades, grade_at
from adapter.mapping.deficit import established_deficit, latest_deficit
from adapter.mapping.rules import Rules
from adapter.pipeline import PatientResult
from adapter.procedure.ask import Ask
from adapter.procedure.bleeding import bleeding_criterion
from adapter.procedure.coded import coded_compression_at
from adapter.procedure.concerns import Concern, order_concerns
from adapter.procedure.context import order_context
from adapter.procedure.criteria import (
    COMPRESSION_JUDGE,
    Criterion,
    compression_criterion,
    level_criterion,
    other_cause_criterion,
    tumour_criterion,
)
from adapter.procedure.elsewhere import elsewhere_criterion
from adapter.procedure.fracture import fracture_criterion
from adapter.procedure.infection import infection_criterion
from adapter.procedure.orders import Order, by_reason, treated_levels, untreated_reach
from adapter.procedure.palsy import neurology_criterion
from adapter.procedure.treated import prior_treatment
from adapter.vocabulary.cards import Indicator

__all__ = [
    "COMPRESSION",
    "PATIENT_WIDE",
    "LevelCheck",
    "OrderCheck",
    "PatientCriterion",
    "check_order",
    "check_orders",
    "level_criteria",
    "pressing",
]

PatientCriterion = Callable[[Ask], Criterion]
# Unmet, these mean suspected spinal cord compression: the card is critical (criterion 4 for an
# established deficit excepted: a warning, "new or worse?", as the neurology card says).
COMPRESSION = frozenset({4, 5, 8})


def pressing(criterion: Criterion) -> bool:
    """Whether a criterion means suspected spinal cord compression: 4, 5 or 8 unmet, but not
    criterion 4 for an established deficit."""
    unmet = criterion.status == "unmet" and criterion.number in COMPRESSION
    return unmet and not criterion.established


def _palsy(ask: Ask) -> Criterion:
    safety = ask.result.assessment.safety
    deficit = latest_deficit(safety)
    treatments = ask.result.assessment.treatments
    known = established_deficit(deficit, safety.palsy_history, treatments) if deficit else None
    return neurology_criterion(
        safety.palsy,
        safety.preliminary_palsy,
        safety.untimed_palsy,
        established=known,
        coded=coded_deficits(safety, treatments),
    )


def _elsewhere(ask: Ask) -> Criterion:
    treated, _ = treated_levels(ask.order, ask.result, ask.cemented)
    reach = untreated_reach(ask.order, treated)
    return elsewhere_criterion(ask.result, treated, ask.rules, ask.decompressed, reach)


def _bleeding(ask: Ask) -> Criterion:
    return bleeding_criterion(ask.result.assessment.safety, ask.order.kind, ask.rules)


# The patient-wide criteria, each judged once per order (a callable of the Ask). Criterion 8
# (cord compression elsewhere) is judged at the whole patient too; cards list by number.
PATIENT_WIDE: tuple[PatientCriterion, ...] = (_palsy, _bleeding, _elsewhere, infection_criterion)


def level_criteria(
    level: str, result: PatientResult, *, instrumented: bool, cement: bool = False
) -> list[Criterion]:
    """Criteria 1, 2, 3, 5 and 6 at a level; an instrumented level is not judged by 2, 3 and 5.
    A level stabilised before is judged by what is known since the treatment (criterion 3)."""
    safety = result.assessment.safety
    at = result.level(level)
    out = [level_criterion(level, instrumented=instrumented)]
    if not instrumented:
        out.append(tumour_criterion(level, result))
        prior = prior_treatment(level, result)
        out.append(fracture_criterion(level, at, safety.neoplastic_fractures, prior))
        grades = compression_grades(safety, result.assessment.treatments)
        standing = grade_at(grades, level, len(result.levels) if at is not None else 0)
        # A cord compression recorded as a diagnosis at the level speaks unless a Bilsky 2–3 does.
        coded = coded_compressions(safety, result.assessment.treatments)
        from_diagnosis = None
        if standing is None or not standing.high_grade:
            from_diagnosis = coded_compression_at(COMPRESSION_JUDGE, level, coded)
        out.append(from_diagnosis or compression_criterion(level, standing, cement=cement))
    out.append(other_cause_criterion(level, safety.other_fractures, instrumented=instrumented))
    return out


@dataclass(frozen=True, slots=True)
class LevelCheck:
    level: str
    instrumented: bool
    criteria: tuple[Criterion, ...]  # the level's own and the patient-wide ones, by number

    def status(self, number: int) -> str | None:
        return next((c.status for c in self.criteria if c.number == number), None)


@dataclass(frozen=True, slots=True)
class OrderCheck:
    order: Order
    levels: tuple[LevelCheck, ...]
    level_named: bool  # False: the order names no level; every scored level is a candidate
    patient: tuple[Criterion, ...] = ()  # the patient-wide criteria
    concerns: tuple[Concern, ...] = ()  # warnings that are not criteria
    context: tuple[str, ...] = ()  # information for the surgeon, no verdict
    deceased: str | None = None  # "recorded as deceased on 3 Dec 2026": nothing else is judged
    # A fixation that names no level: the levels of each reasonReference that names one,
    # checked instead of every scored level (empty: none, or the order names its levels).
    by_reason: tuple[tuple[str, ...], ...] = ()

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """Every criterion judged, level by level and then patient-wide, each once."""
        per_level = tuple(c for lv in self.levels for c in lv.criteria if c not in self.patient)
        return (*per_level, *self.patient)

    @property
    def compression(self) -> bool:
        """Criterion 4, 5 or 8 unmet: suspected spinal cord compression (an established deficit
        is not: contract §4 v3)."""
        return any(pressing(c) for c in self.criteria)

    @property
    def judged(self) -> bool:
        """Whether the order was judged against the criteria (not for a deceased patient, nor
        for an order not to do the procedure)."""
        return self.deceased is None and not self.order.do_not_perform

    @property
    def indicator(self) -> Indicator:
        if self.deceased is not None:
            return "warning"
        if self.order.do_not_perform:
            return "info"
        if self.compression:
            return "critical"
        doubtful = any(c.status != "met" for c in self.criteria) or bool(self.concerns)
        # An ordered site not judged (no level read, or one not read beside a level that is) is
        # never "meets": part of the order was never checked.
        unjudged = not self.level_named or not self.levels or bool(self.order.unplaced)
        return "warning" if doubtful or (self.order.recognised and unjudged) else "info"


def _deceased(result: PatientResult) -> str | None:
    if result.assessment.deceased is None:
        return None
    record = result.assessment.record
    when = record.deceased_time if record is not None else None
    return f"recorded as deceased{on_day(when.day) if when else ''}"


def _disputed(order: Order) -> list[Concern]:
    """The bodySites whose codes and words disagree, and the codes whose region holds no ordered
    level, as warnings; an unrecognised order is judged at no level, so they change nothing
    there."""
    if not order.recognised:
        return []
    sites = [Concern(d.finding, d.detail, d.short) for d in order.disputed]
    return sites + [Concern(o.finding, o.detail) for o in order.off_region]


def check_order(
    order: Order,
    result: PatientResult,
    rules: Rules,
    request: Sequence[Order] = (),
    decompressed: frozenset[str] = frozenset(),
) -> OrderCheck:
    """Check one order; ``request`` is every order of the same call (for "cement alone"),
    ``decompressed`` the levels the call's decompression orders decompress."""
    if (deceased := _deceased(result)) is not None:
        return OrderCheck(order, (), bool(order.levels), deceased=deceased)
    if order.do_not_perform:
        return OrderCheck(order, (), bool(order.levels))
    ask = Ask(order, request or (order,), result, rules, decompressed)
    treated, instrumented = treated_levels(order, result, ask.cemented)
    patient = tuple(sorted((judge(ask) for judge in PATIENT_WIDE), key=lambda c: c.number))
    checks = []
    for level, is_instrumented in [
        *((lv, False) for lv in treated),
        *((lv, True) for lv in instrumented),
    ]:
        own = level_criteria(level, result, instrumented=is_instrumented, cement=order.cement)
        criteria = sorted((*own, *patient), key=lambda c: c.number)
        checks.append(LevelCheck(level, is_instrumented, tuple(criteria)))
    return OrderCheck(
        order,
        tuple(checks),
        bool(order.levels),
        patient=patient,
        concerns=(*_disputed(order), *order_concerns(ask, treated, instrumented)),
        context=order_context(ask, [*treated, *instrumented] or list(order.levels)),
        by_reason=tuple(tuple(levels) for levels in by_reason(order, result)),
    )


def check_orders(
    orders: Sequence[Order],
    result: PatientResult,
    rules: Rules,
    decompressed: frozenset[str] = frozenset(),
    request: Sequence[Order] = (),
) -> list[OrderCheck]:
    """Every order asked about, each knowing the others of its request: ``request`` is the
    whole basket (order-select asks about the selected orders of it), ``orders`` by default."""
    basket = request or orders
    return [check_order(order, result, rules, basket, decompressed) for order in orders]
