"""The primary site of a malignancy coded without one, from the Condition's bodySite.

mCODE's PrimaryCancerCondition may code a cancer as "Malignant neoplastic disease" (SNOMED CT
363346000) and give its location in ``bodySite`` (Must Support; the IG's own breast example).
For such codes only (ValueSet ``malignancy-site-unspecified``) the bodySite is mapped to the
Tokuhashi site group (ConceptMap ``snomed-body-site-to-tokuhashi-primary-site``): a code that
names its site keeps it, whatever the bodySite says, and a bodySite alone never makes a
Condition a primary tumour.
"""

from __future__ import annotations

from adapter.fhir.read.records import ConditionRecord
from adapter.mapping.context import Context
from adapter.scoring import PrimarySite
from adapter.vocabulary.systems import PRIMARY_SITE

__all__ = ["UNSPECIFIED_SITE", "sited_primary"]

UNSPECIFIED_SITE = "malignancy-site-unspecified"


def sited_primary(ctx: Context, cond: ConditionRecord) -> frozenset[PrimarySite] | None:
    """The site groups of the Condition's bodySites when its code is a malignancy that names no
    site; several sites are a range. None when the code is another, or no bodySite maps."""
    if not any(ctx.term.in_value_set(UNSPECIFIED_SITE, c.system, c.code) for c in cond.codes):
        return None
    groups: set[str] = set()
    for concept in cond.body_sites:
        for coding in concept:
            groups |= ctx.term.translate(coding.system, coding.code, PRIMARY_SITE) or frozenset()
    known = frozenset(PrimarySite(g) for g in groups if g in PrimarySite._value2member_map_)
    return known or None
