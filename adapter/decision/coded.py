"""The neurology alert's items for cord compression, cauda equina syndrome, paraplegia and
quadriplegia recorded as diagnoses (contract §4 v3; adapter/mapping/coded.py): what EHRs hold
instead of a Bilsky or Frankel grade."""

from __future__ import annotations

from adapter.decision.item import NeurologyItem
from adapter.mapping.coded import Coded, coded_compressions, coded_deficits
from adapter.pipeline import PatientResult

__all__ = ["coded_items"]

_CODED_DEFICIT = "a neurological deficit, Frankel/AIS grade not recorded: examine and record it"
_DATED = "not known to be current: re-examine now and record the Frankel/AIS grade"
_RECORD_GRADES = "record the Frankel/AIS and Bilsky grades"
_DATED_COMPRESSION = f"not known to be current: re-examine and re-image now, and {_RECORD_GRADES}"


def _dated_named(coded: Coded, patient: PatientResult) -> str:
    """ "Unspecified cord compression at T8 (coded diagnosis, 1 Mar 1994, dated: 11050 days
    before)", its age from when it was last known present; a paralysis names no level."""
    last = coded.last_known
    days = (patient.now.instant - last.instant).days if last is not None else 0
    where = coded.where if coded.kind == "compression" else ""
    dated = f"{coded.day}, dated: {days} days before{coded.mark}"
    return f"{coded.name}{where} (coded diagnosis, {dated})"


def coded_items(patient: PatientResult) -> tuple[list[NeurologyItem], list[NeurologyItem]]:
    """(paralysis, compression) recorded as diagnoses: critical as a deficit or a Bilsky 2–3 would
    be; a warning when a decompression or radiotherapy came after, or when, with no recorded
    time, a timed grade of its kind stands beside it (adapter/mapping/coded.py)."""
    safety, treatments = patient.assessment.safety, patient.assessment.treatments
    deficits: list[NeurologyItem] = []
    for coded in coded_deficits(safety, treatments):
        sources = (coded.evidence.listed,)
        if coded.behind is not None:
            deficits.append(NeurologyItem("warning", coded.unsettled, sources))
            continue
        if coded.treatment is not None:
            deficits.append(NeurologyItem("warning", coded.established, sources))
            continue
        if coded.dated and coded.time is not None:
            # Said as a dated Frankel/AIS grade is (adapter/decision/neurology.py).
            text = f"{_dated_named(coded, patient)} — {_DATED}"
            item = NeurologyItem("critical", text, sources, coded.reason, deficit=True, dated=True)
            deficits.append(item)
            continue
        text = f"{coded.named} — {_CODED_DEFICIT}"
        deficits.append(NeurologyItem("critical", text, sources, coded.reason, deficit=True))
    compressions: list[NeurologyItem] = []
    for coded in coded_compressions(safety, treatments):
        sources = (coded.evidence.listed,)
        if coded.behind is not None:
            compressions.append(NeurologyItem("warning", coded.unsettled, sources))
            continue
        if coded.treatment is not None:
            text = f"{coded.named}{coded.treated} — re-examine and re-image"
            compressions.append(NeurologyItem("warning", text, sources))
            continue
        if coded.dated and coded.time is not None:
            # Said as a dated Bilsky grade is (adapter/decision/neurology.py).
            text = f"{_dated_named(coded, patient)} — {_DATED_COMPRESSION}"
            item = NeurologyItem("critical", text, sources, coded.reason, dated=True)
            compressions.append(item)
            continue
        text = f"{coded.named} — examine and {_RECORD_GRADES}"
        compressions.append(NeurologyItem("critical", text, sources, coded.reason))
    return deficits, compressions
