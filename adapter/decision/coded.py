"""The neurology alert's items for cord compression, cauda equina syndrome, paraplegia and
quadriplegia recorded as diagnoses (contract §4 v3; adapter/mapping/coded.py): what EHRs hold
instead of a Bilsky or Frankel grade."""

from __future__ import annotations

from adapter.decision.item import NeurologyItem
from adapter.mapping.coded import coded_compressions, coded_deficits
from adapter.pipeline import PatientResult

__all__ = ["coded_items"]

_CODED_DEFICIT = "a neurological deficit, Frankel/AIS grade not recorded: examine and record it"
_DATED = "not known to be current: re-examine now and record the Frankel/AIS grade"


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
            days = (patient.now.instant - coded.time.instant).days
            dated = f"{coded.time.day}, dated: {days} days before{coded.mark}"
            said = f"{coded.name} (coded diagnosis, {dated})"
            text = f"{said} — {_DATED}"
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
        text = f"{coded.named} — examine and record the Frankel/AIS and Bilsky grades"
        compressions.append(NeurologyItem("critical", text, sources, coded.reason))
    return deficits, compressions
