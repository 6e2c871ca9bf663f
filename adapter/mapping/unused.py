"""Conditions read but not used: each named in the OperationOutcome with the reason (contract §2
v3, "nothing is dropped silently").

What must be named: a Condition coded in one of the staging ValueSets, or a neoplasm (ICD-10-CM
C00–D49, or an mCODE cancer profile; SNOMED CT neoplasms are recognised through the ValueSets,
which hold the SNOMED CT codes the project maps), that is left out — resolved, refuted,
entered in error, not current for a Condition that counts only while current, or a neoplasm
code the maps do not place.
"""

from __future__ import annotations

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import ConditionRecord
from adapter.mapping.context import Context
from adapter.vocabulary.systems import ICD10CM

__all__ = ["STAGING_VALUE_SETS", "neoplasm", "not_current", "relevant", "unused"]

# The ValueSets a Condition is staged by: one coded in them is either used or reported.
STAGING_VALUE_SETS = (
    "bone-metastasis",
    "bone-marrow-primary",
    "primary-malignancy",
    "visceral-metastasis",
    "major-organ-metastasis",
    "neoplastic-vertebral-fracture",
    "other-cause-vertebral-fracture",
    "coagulation-defect",
)

_CANCER_PROFILES = frozenset(
    f"http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-{kind}-cancer-condition"
    for kind in ("primary", "secondary")
)


def _cancer(cond: ConditionRecord) -> bool:
    """A Condition that says it is a cancer: an mCODE cancer profile, or ICD-10-CM chapter C."""
    return bool(_CANCER_PROFILES & set(cond.profiles)) or any(
        c.system == ICD10CM and c.code.upper().startswith("C") for c in cond.codes
    )


def neoplasm(cond: ConditionRecord) -> bool:
    """A Condition that says it is a neoplasm: an mCODE cancer profile, or ICD-10-CM C00–D49."""
    return bool(_CANCER_PROFILES & set(cond.profiles)) or any(
        c.system == ICD10CM and _neoplasm_code(c.code.upper()) for c in cond.codes
    )


def _neoplasm_code(code: str) -> bool:
    return code.startswith("C") or (
        code.startswith("D") and code[1:3].isdigit() and code[1:3] < "50"
    )


def _coded_in(ctx: Context, value_set: str, cond: ConditionRecord) -> bool:
    return any(ctx.term.in_value_set(value_set, c.system, c.code) for c in cond.codes)


def relevant(ctx: Context, cond: ConditionRecord) -> bool:
    """Coded in a staging ValueSet (SNOMED CT neoplasms included), or a neoplasm."""
    return neoplasm(cond) or any(_coded_in(ctx, vs, cond) for vs in STAGING_VALUE_SETS)


def _codes_of(cond: ConditionRecord) -> str:
    return ", ".join(c.code for c in cond.codes)


def not_current(ctx: Context, cond: ConditionRecord) -> None:
    """Say why a Condition that would feed the staging is left out (never silently)."""
    if not relevant(ctx, cond):
        return
    ref = cond.ref.reference
    if cond.verification_status in ("entered-in-error", "refuted"):
        why = f"verificationStatus {cond.verification_status}"
    else:
        why = f"clinicalStatus {cond.clinical_status or 'absent'}"
    message = f"{ref} ({_codes_of(cond)}): {why}, so it is not used."
    ctx.issues.append(Issue("information", "informational", message, ref))


def unused(ctx: Context, cond: ConditionRecord) -> None:
    """Said, so that a neoplasm the maps do not know, or a Condition that counts only while
    current, is never silently left out."""
    ref, codes = cond.ref.reference, _codes_of(cond)
    if neoplasm(cond):
        kind = "cancer" if _cancer(cond) else "neoplasm"
        message = f"{ref}: {kind} code {codes} names no primary site or metastasis spinemets maps"
        ctx.warn(ref, f"{message}: not used.")
    else:  # a coagulation defect or a fracture in remission or inactive
        message = (
            f"{ref} ({codes}): clinicalStatus {cond.clinical_status}; only a current one is used."
        )
        ctx.issues.append(Issue("information", "informational", message, ref))
