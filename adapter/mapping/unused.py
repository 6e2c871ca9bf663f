"""Conditions read but not used: each named in the OperationOutcome with the reason (contract §2
v3, "nothing is dropped silently").

What must be named: a Condition coded in one of the staging ValueSets, or a neoplasm (ICD-10-CM
C00–D49, or an mCODE cancer profile; SNOMED CT neoplasms through the ValueSets, which hold the
SNOMED CT codes the project maps, and, without the SNOMED CT hierarchy, by the record's own words
for any code outside ICD-10-CM: "Secondary malignant neoplastic disease", "Carcinoma of …"), that
is left out — resolved, refuted, entered in error, not current for a Condition that counts only
while current, or a neoplasm code the maps do not place.
"""

from __future__ import annotations

import re
import unicodedata

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import ConditionRecord
from adapter.mapping.context import Context, condition_named
from adapter.mapping.sites import resolve_site
from adapter.vocabulary.systems import ICD10_EDITIONS, ICD10CM

__all__ = [
    "STAGING_VALUE_SETS",
    "abated_before",
    "abated_yet_current",
    "current_then",
    "in_words",
    "named",
    "neoplasm",
    "not_current",
    "possibly_major",
    "possibly_visceral",
    "relevant",
    "unread_at_spine",
    "unused",
]

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
    "spinal-cord-compression",
    "paraplegia-quadriplegia",
)

# Words that name a cancer, and a neoplasm of any kind, in a diagnosis as people write it, in
# English, French and German (read with their accents folded: "Métastase osseuse",
# "Knochenmetastase"). Only for codes outside ICD-10-CM: there the code says it ("Personal
# history of malignant neoplasm", Z85, is no neoplasm).
_MALIGNANT = (
    r"malign\w*|\w*[ck]ar[cz]inom\w*|cancer\w*|\w*krebs\w*|\w*sar[ck]om(?:as?|ata|e[sn]?)?|"
    r"\w*lymphom\w*|leu[ck]a?e?mi\w*|\w*myelom(?:as?|e[sn]?)?|melanom\w*|\w*metasta\w*|mets"
)
_CANCER_WORDS = re.compile(rf"\b(?:{_MALIGNANT})\b", re.IGNORECASE)
_NEOPLASM_WORDS = re.compile(rf"\b(?:{_MALIGNANT}|neoplas\w*)\b", re.IGNORECASE)
# Words that make the diagnosis something else: "Suspected lung cancer (situation)", which
# Synthea writes before every lung cancer, a history, a screening, a risk, and a cancer denied
# ("No evidence of metastatic disease", "Metastasis excluded", "Rule out metastasis", "R/O").
# Not "negative" or "without" alone: "Triple negative breast cancer", "Malignant neoplasm
# without specification of site" are cancers.
_NOT_A_TUMOUR = re.compile(
    r"^\s*no\b|\b(?:suspected|history|screening|risk|fear|family|benign|non[\s-]*malign\w*|"
    r"no\s+(?:evidence|signs?)|excluded|exclusion\s+of|ruled?\s+out|rules\s+out|r/o|"
    r"negati\w*\s+(?:for|pour|fur)|free\s+of|"
    r"suspicion|suspecte?s?|antecedents?|depistage|pas\s+de|exclue?s?|"  # French, accents folded
    r"verdacht|v\.\s?a|ausschluss|ausgeschlossen|kein\w*|anamnese|familienanamnese|"  # German
    r"\w*vorsorge\w*)\b",
    re.IGNORECASE,
)
# Carcinoma in situ is a neoplasm (ICD-10-CM D00–D09) but not invasive: no cancer, and no cause
# of a lesion in bone.
_IN_SITU = re.compile(r"\bin\s+situ\b", re.IGNORECASE)

_CANCER_PROFILES = frozenset(
    f"http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-{kind}-cancer-condition"
    for kind in ("primary", "secondary")
)
_SECONDARY_PROFILE = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition"
)
# Words that say a neoplasm is a metastasis ("Metastatic malignant neoplasm", "Liver mets",
# "Secondary malignant neoplastic disease", "Lebermetastase", "métastase hépatique"); "secondary"
# only before a neoplasm (a "secondary leukaemia" is a second cancer, not a metastasis).
_METASTASIS_WORDS = re.compile(
    r"\b(?:\w*metasta\w*|mets)\b|"
    r"\b(?:secondar|sekund)\w*\s+(?:malign\w*\s+)?(?:neoplas|carcinom|cancer|tumou?r|deposit)",
    re.IGNORECASE,
)
# A second cancer of the blood called "secondary" (therapy-related AML, MDS): no metastasis.
_HAEMATOLOGICAL = re.compile(r"\b(?:\w*leu[ck]a?e?mi\w*|\w*lymphom\w*|myelo\w*|mds)\b", re.I)
# A metastasis's whole name that places it in bone, a lymph node or the skin and nowhere else:
# "Bone metastases", "Cutaneous metastasis, chest wall", "Metastatic carcinoma in mediastinal
# lymph nodes". Anything more ("bone and pancreas"), or words about the primary ("cutaneous
# melanoma", "osteosarcoma", "node positive"), places nothing.
_OUTSIDE = r"(?:bones?|bony|osseous|skeletal|lymph\s+nodes?|nodal|skin|cutaneous|subcutaneous)"
# Where on the body surface a skin or node metastasis is said to be ("…, chest wall").
_SURFACE = (
    r"(?:(?:left|right)\s+)?(?:chest\s+wall|scalp|back|trunk|abdominal\s+wall|arm|leg|neck|face)"
)
_PLACED_OUTSIDE = re.compile(
    rf"^(?:{_OUTSIDE}\s+(?:metasta\w*|mets|secondar\w*)(?:\s+deposits?)?(?:,\s*{_SURFACE})?"
    r"|(?:metastatic|secondary)\s+(?:malignant\s+)?(?:carcinoma|cancer|disease|neoplasm|"
    rf"deposits?|tumou?rs?)\s+(?:to|in|of)\s+(?:the\s+)?(?:\w+\s+)?{_OUTSIDE})$",
    re.IGNORECASE,
)
# A bodySite's own words that place it in a lymph node or the skin (bone: by the maps).
_SITE_OUTSIDE = re.compile(r"\b(?:lymph\s+nodes?|skin|cutaneous|subcutaneous)\b", re.I)
# Sites that place a lesion in bone: a spinal level or region, or a bone outside the spine.
_BONE_SITES = frozenset({"level", "spinal", "other"})


def _folded(name: str) -> str:
    """ "Métastase" read as "Metastase": records are written with and without accents."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _said(cond: ConditionRecord, words: re.Pattern[str]) -> bool:
    """The record's words say it, when no ICD-10-CM code does the saying."""
    coded = any(c.system == ICD10CM for c in cond.codes)
    if coded or cond.name is None:
        return False
    name = _folded(cond.name)
    return _NOT_A_TUMOUR.search(name) is None and words.search(name) is not None


def _in_situ(cond: ConditionRecord) -> bool:
    """A carcinoma in situ: ICD-10-CM D00–D09, or (another system's code) its words."""
    if any(c.system == ICD10CM for c in cond.codes):
        return any(c.system == ICD10CM and c.code.upper()[:2] == "D0" for c in cond.codes)
    return cond.name is not None and _IN_SITU.search(cond.name) is not None


def _cancer(cond: ConditionRecord) -> bool:
    """A Condition that says it is a cancer: an mCODE cancer profile, ICD-10-CM chapter C, or
    its words (not a carcinoma in situ)."""
    return (
        bool(_CANCER_PROFILES & set(cond.profiles))
        or any(c.system == ICD10CM and c.code.upper().startswith("C") for c in cond.codes)
        or (_said(cond, _CANCER_WORDS) and not _in_situ(cond))
    )


def neoplasm(cond: ConditionRecord) -> bool:
    """A Condition that says it is a neoplasm: an mCODE cancer profile, ICD-10-CM C00–D49 (or
    chapter II of another ICD-10 edition), or (another system's code) its words."""
    return (
        bool(_CANCER_PROFILES & set(cond.profiles))
        or any(
            (c.system == ICD10CM or c.system in ICD10_EDITIONS) and _neoplasm_code(c.code.upper())
            for c in cond.codes
        )
        or _said(cond, _NEOPLASM_WORDS)
    )


def _other_edition_metastasis(cond: ConditionRecord) -> bool:
    """A secondary neoplasm coded in another ICD-10 edition (C77–C79, the categories every
    edition shares) that may be in an organ: not a lymph node (C77), the skin (C79.2) or bone
    (C79.5)."""
    return any(
        c.system in ICD10_EDITIONS
        and c.code.upper().startswith(("C78", "C79"))
        and not c.code.upper().startswith(("C79.2", "C79.5", "C792", "C795"))
        for c in cond.codes
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


def named(ctx: Context, cond: ConditionRecord) -> str:
    """ "Secondary malignant neoplasm of bone at T12": a Condition not staged, as notes name it."""
    sites = (resolve_site(concept, ctx.term) for concept in cond.body_sites)
    return condition_named(cond, (s.level for s in sites if s.level is not None))


def _cited(ctx: Context, cond: ConditionRecord) -> str:
    """ "Secondary malignant neoplasm of bone at T12 (Condition/x)": cards drop the reference."""
    ref = cond.ref.reference
    return f"{named(ctx, cond)} ({ref})" if ref else named(ctx, cond)


def not_current(ctx: Context, cond: ConditionRecord) -> None:
    """Say why a Condition that would feed the staging is left out (never silently)."""
    if not relevant(ctx, cond):
        return
    ref = cond.ref.reference
    if cond.verification_status in ("entered-in-error", "refuted"):
        why = f"verification status {cond.verification_status}"
    else:
        why = f"clinical status {cond.clinical_status or 'absent'}"
    message = f"{_cited(ctx, cond)}: {why}, so it is not used."
    ctx.issues.append(Issue("information", "informational", message, ref))


def abated_before(ctx: Context, cond: ConditionRecord) -> None:
    """A Condition with an abatement but no clinicalStatus (FHIR R4 con-4 requires one): read as
    resolved, said as a warning since the record is incomplete."""
    if cond.abatement is None or not relevant(ctx, cond):
        return
    said = f"no clinical status, abated {cond.abatement.text}: read as resolved"
    ctx.warn(cond.ref.reference, f"{_cited(ctx, cond)}: {said}, so it is not used.")


def abated_yet_current(ctx: Context, cond: ConditionRecord) -> None:
    """A current clinicalStatus beside an abatement on or before the computation time (FHIR R4
    con-4 forbids it): the status is kept (contract §2), and the contradiction said."""
    if cond.abatement is None or not relevant(ctx, cond):
        return
    ctx.warn(
        cond.ref.reference,
        f"{_cited(ctx, cond)}: clinical status {cond.clinical_status}, abated "
        f"{cond.abatement.text}: the record contradicts itself; read as current, as its status "
        "says — check the record.",
    )


def current_then(ctx: Context, cond: ConditionRecord) -> None:
    """A Condition that abated after the computation time was current at it: said, since the
    record's clinicalStatus says otherwise."""
    if cond.abatement is None or not relevant(ctx, cond):
        return
    message = (
        f"{_cited(ctx, cond)}: clinical status {cond.clinical_status}, abated "
        f"{cond.abatement.text}, after the computation time ({ctx.now.text}): current then, so "
        "it is used."
    )
    ctx.issues.append(Issue("information", "informational", message, cond.ref.reference))


def unused(ctx: Context, cond: ConditionRecord) -> None:
    """Said, so that a neoplasm the maps do not know, or a Condition that counts only while
    current, is never silently left out."""
    ref, codes = cond.ref.reference, _codes_of(cond)
    if neoplasm(cond):
        kind = "cancer" if _cancer(cond) else "neoplasm"
        # Unnamed, the Condition is its code: said once, not "D05.10: … code D05.10".
        what = _cited(ctx, cond) if cond.name else f"A Condition ({ref})"
        message = f"{what}: {kind} code {codes} names no primary site or metastasis spinemets maps"
        ctx.warn(ref, f"{message}: not used.")
    else:  # a coagulation defect or a fracture in remission or inactive
        message = (
            f"{_cited(ctx, cond)}: clinical status {cond.clinical_status}; only a current one is "
            "used."
        )
        ctx.issues.append(Issue("information", "informational", message, ref))


def possibly_visceral(ctx: Context, cond: ConditionRecord) -> bool:
    """A metastasis no map places that may be in an organ: one whose code names no site
    (ValueSet metastasis-site-unnamed: C79.9, C80.0 …), or (another system's code, or none) one
    that says it is a metastasis — the mCODE secondary cancer profile, its words — unless its
    bodySite or words place it in bone, a lymph node or the skin. Recorded, it is no "none
    coded": the visceral answers stay open."""
    if not neoplasm(cond):
        return False
    unnamed = _coded_in(ctx, "metastasis-site-unnamed", cond)
    if not unnamed and any(c.system == ICD10CM for c in cond.codes):
        return False  # every other ICD-10-CM metastasis names its site, which the maps read
    if not unnamed:
        said = (
            _SECONDARY_PROFILE in cond.profiles
            or _other_edition_metastasis(cond)
            or _said(cond, _METASTASIS_WORDS)
        )
        blood = cond.name is not None and _HAEMATOLOGICAL.search(_folded(cond.name))
        if not said or blood:
            return False
    return not _outside_organs(ctx, cond)


def _outside_organs(ctx: Context, cond: ConditionRecord) -> bool:
    """Whether the record places the metastasis in bone, a lymph node or the skin only: every
    bodySite there (the maps read it as bone, or its own words name a node or the skin), or,
    with no bodySite, its whole name says so (:data:`_PLACED_OUTSIDE`). Anything that may be an
    organ keeps the visceral answers open."""
    names = (*cond.site_names, *(None,) * (len(cond.body_sites) - len(cond.site_names)))
    if cond.body_sites:
        return (
            all(
                resolve_site(concept, ctx.term).kind in _BONE_SITES
                or (name is not None and _SITE_OUTSIDE.search(name) is not None)
                for concept, name in zip(cond.body_sites, names, strict=False)
            )
            and not cond.uncoded_sites
        )
    if cond.uncoded_sites:
        return all(_SITE_OUTSIDE.search(name) for name in cond.uncoded_sites)
    name = _folded(cond.name or "").strip()
    return _PLACED_OUTSIDE.match(name) is not None


def possibly_major(ctx: Context, cond: ConditionRecord) -> bool:
    """A visceral metastasis whose code may or may not name a major organ (ValueSet
    major-organ-metastasis-possible: C78, C79.3 sent alone): the major-organ answer stays open."""
    return _coded_in(ctx, "major-organ-metastasis-possible", cond)


def in_words(ctx: Context, cond: ConditionRecord) -> None:
    """A neoplasm written in words only, with no code: named, since it cannot be staged."""
    ref = cond.ref.reference
    what = _cited(ctx, cond)
    ctx.warn(ref, f"{what}: in words only, no code — not used; record its code.")


def unread_at_spine(ctx: Context, cond: ConditionRecord) -> str | None:
    """A neoplasm at a vertebra that the maps do not place, as the patient-view names it ("Secondary
    malignant neoplastic disease at L2"): perhaps a spinal metastasis spinemets cannot read, which
    the clinician is told of even when no score is computed (contract §2 v3)."""
    if not neoplasm(cond) or _in_situ(cond):
        return None  # a carcinoma in situ is no lesion in bone
    sites = (resolve_site(concept, ctx.term) for concept in cond.body_sites)
    if not any(s.level is not None for s in sites):
        return None
    return named(ctx, cond)
