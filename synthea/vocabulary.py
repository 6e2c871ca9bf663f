"""Codes and weights the spinal-metastasis module draws from.

Every code here was checked against a public source: the project's own mappings/ (primary
tumours, bone and visceral metastases, spinal levels), LOINC (Karnofsky 89243-0, ECOG 89247-1
and its answers LA9622-7…LA9626-8, pain 72514-3 and 38214-3, Barthel 96761-2, INR 6301-6,
platelets 777-3), CPT (22510–22514 augmentation, 22842 segmental instrumentation), SNOMED CT
(encounter types; radiotherapy 33195004; the DICOM CID 4 anatomic-region codes for extraspinal
bones) and ICD-10-CM (T81.49XA, T84.296A, T84.81XA complications).
"""

from __future__ import annotations

from synthea.gmf import ICD10CM, LOINC, SNOMED

FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
CPT = "http://www.ama-assn.org/go/cpt"

# The levels the module puts metastases at, with the weight of each as a first lesion
# (thoracic about 60 %, lumbar 28 %, cervical 10 %, sacral 2 %).
LEVEL_WEIGHTS: dict[str, float] = {
    **{f"C{n}": 0.02 for n in range(3, 8)},
    **{f"T{n}": 0.05 for n in range(1, 13)},
    **{f"L{n}": 0.055 for n in range(1, 6)},
    "S1": 0.025,
}
LEVELS = tuple(LEVEL_WEIGHTS)
THORACOLUMBAR = tuple(lv for lv in LEVELS if lv[0] in "TL")
# Neighbours for a three-vertebra fixation construct around a treated level.
NEIGHBOURS = {"T1": ("C7", "T2"), "L5": ("L4", "S1")}

# site key -> (weight for women, weight for men, lesion group, diagnosis codes with weights)
PRIMARIES: dict[str, tuple[float, float, str, list[tuple[dict[str, str], float]]]] = {
    "breast": (0.38, 0.0, "breast", [
        ({"system": ICD10CM, "code": "C50.911", "display": "Malignant neoplasm of unspecified site of right female breast"}, 0.35),
        ({"system": ICD10CM, "code": "C50.912", "display": "Malignant neoplasm of unspecified site of left female breast"}, 0.25),
        ({"system": SNOMED, "code": "408643008", "display": "Infiltrating duct carcinoma of breast"}, 0.25),
        ({"system": SNOMED, "code": "353431000119107", "display": "Primary malignant neoplasm of female left breast"}, 0.15),
    ]),
    "prostate": (0.0, 0.35, "prostate", [
        ({"system": ICD10CM, "code": "C61", "display": "Malignant neoplasm of prostate"}, 0.6),
        ({"system": SNOMED, "code": "399068003", "display": "Malignant tumor of prostate"}, 0.4),
    ]),
    "lung": (0.25, 0.30, "other", [
        ({"system": ICD10CM, "code": "C34.90", "display": "Malignant neoplasm of unspecified part of unspecified bronchus or lung"}, 0.4),
        ({"system": ICD10CM, "code": "C34.11", "display": "Malignant neoplasm of upper lobe, right bronchus or lung"}, 0.2),
        ({"system": SNOMED, "code": "254637007", "display": "Non-small cell lung cancer"}, 0.25),
        ({"system": SNOMED, "code": "254632001", "display": "Small cell carcinoma of lung"}, 0.15),
    ]),
    "kidney": (0.07, 0.09, "other", [
        ({"system": ICD10CM, "code": "C64.1", "display": "Malignant neoplasm of right kidney, except renal pelvis"}, 0.5),
        ({"system": SNOMED, "code": "702391001", "display": "Renal cell carcinoma"}, 0.5),
    ]),
    "colorectal": (0.08, 0.08, "other", [
        ({"system": ICD10CM, "code": "C18.7", "display": "Malignant neoplasm of sigmoid colon"}, 0.4),
        ({"system": ICD10CM, "code": "C20", "display": "Malignant neoplasm of rectum"}, 0.3),
        ({"system": SNOMED, "code": "93761005", "display": "Primary malignant neoplasm of colon"}, 0.3),
    ]),
    "thyroid": (0.04, 0.02, "other", [
        ({"system": ICD10CM, "code": "C73", "display": "Malignant neoplasm of thyroid gland"}, 0.5),
        ({"system": SNOMED, "code": "255028004", "display": "Follicular thyroid carcinoma"}, 0.5),
    ]),
    "esophagus": (0.03, 0.03, "other", [
        ({"system": ICD10CM, "code": "C15.9", "display": "Malignant neoplasm of esophagus, unspecified"}, 0.6),
        ({"system": SNOMED, "code": "276803003", "display": "Adenocarcinoma of esophagus"}, 0.4),
    ]),
    "uterus": (0.03, 0.0, "other", [
        ({"system": ICD10CM, "code": "C54.1", "display": "Malignant neoplasm of endometrium"}, 1.0),
    ]),
    # Diagnosed at the spinal presentation itself (no earlier oncology visit):
    "myeloma": (0.08, 0.09, "other", [
        ({"system": ICD10CM, "code": "C90.00", "display": "Multiple myeloma not having achieved remission"}, 0.6),
        ({"system": SNOMED, "code": "109989006", "display": "Multiple myeloma"}, 0.4),
    ]),
    "unknown": (0.04, 0.04, "other", [
        ({"system": ICD10CM, "code": "C80.1", "display": "Malignant (primary) neoplasm, unspecified"}, 1.0),
    ]),
}  # fmt: skip
SYNCHRONOUS = ("myeloma", "unknown")

BONE_METASTASIS = {"system": ICD10CM, "code": "C79.51", "display": "Secondary malignant neoplasm of bone"}  # fmt: skip
BONE_METASTASIS_SNOMED = {"system": SNOMED, "code": "94222008", "display": "Secondary malignant neoplasm of bone"}  # fmt: skip
# Extraspinal bones (SNOMED CT codes of DICOM CID 4), weight each.
EXTRASPINAL = {"ilium": 0.10, "femur": 0.08, "rib": 0.08, "humerus": 0.04, "skull": 0.03}

# key -> (coding, probability, major organ?)
VISCERAL = {
    "lung": ({"system": ICD10CM, "code": "C78.00", "display": "Secondary malignant neoplasm of unspecified lung"}, 0.15, True),
    "liver": ({"system": SNOMED, "code": "94381002", "display": "Secondary malignant neoplasm of liver"}, 0.15, True),
    "brain": ({"system": ICD10CM, "code": "C79.31", "display": "Secondary malignant neoplasm of brain"}, 0.06, True),
    "adrenal": ({"system": ICD10CM, "code": "C79.70", "display": "Secondary malignant neoplasm of unspecified adrenal gland"}, 0.06, False),
    "pleura": ({"system": ICD10CM, "code": "C78.2", "display": "Secondary malignant neoplasm of pleura"}, 0.05, False),
}  # fmt: skip

# SINS findings: answers with weights; bone-lesion-quality depends on the primary.
SINS_ANSWERS: dict[str, dict[str, list[tuple[str, float]]]] = {
    "spinal-pain": {"*": [("mechanical", 0.55), ("non-mechanical", 0.30), ("pain-free", 0.15)]},
    "bone-lesion-quality": {
        "prostate": [("blastic", 0.7), ("mixed", 0.2), ("lytic", 0.1)],
        "breast": [("lytic", 0.4), ("mixed", 0.4), ("blastic", 0.2)],
        "*": [("lytic", 0.75), ("mixed", 0.2), ("blastic", 0.05)],
    },
    "spinal-alignment": {"*": [("normal", 0.7), ("de-novo-deformity", 0.2), ("subluxation", 0.1)]},
    "vertebral-body-collapse": {
        "*": [("none", 0.3), ("lt-50", 0.3), ("gt-50", 0.2), ("none-gt-50-involved", 0.2)]
    },
    "posterolateral-involvement": {"*": [("none", 0.5), ("unilateral", 0.35), ("bilateral", 0.15)]},
}
SINS_MISSING = 0.08  # each finding at each level is not recorded with this probability
BILSKY = [("bilsky-0", 0.35), ("bilsky-1a", 0.2), ("bilsky-1b", 0.15), ("bilsky-1c", 0.1),
          ("bilsky-2", 0.12), ("bilsky-3", 0.08)]  # fmt: skip
FRANKEL = [("e", 0.65), ("d", 0.18), ("c", 0.09), ("b", 0.04), ("a", 0.04)]
ECOG = [
    ("LA9622-7", "Fully active, able to carry on all pre-disease performance without restriction", 0.10),
    ("LA9623-5", "Restricted in physically strenuous activity but ambulatory and able to carry out work of a light or sedentary nature", 0.35),
    ("LA9624-3", "Ambulatory and capable of all selfcare but unable to carry out any work activities", 0.30),
    ("LA9625-0", "Capable of only limited selfcare, confined to bed or chair more than 50% of waking hours", 0.20),
    ("LA9626-8", "Completely disabled. Cannot carry on any selfcare. Totally confined to bed or chair", 0.05),
]  # fmt: skip
KPS_T0 = [(40, 0.08), (50, 0.15), (60, 0.22), (70, 0.25), (80, 0.2), (90, 0.1)]

KARNOFSKY = {"system": LOINC, "code": "89243-0", "display": "Karnofsky Performance Status score"}  # fmt: skip
ECOG_CODE = {"system": LOINC, "code": "89247-1", "display": "ECOG Performance Status score"}
PAIN_NRS = {"system": LOINC, "code": "72514-3", "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}  # fmt: skip
PAIN_VAS = {"system": LOINC, "code": "38214-3", "display": "Pain severity [Score] Visual analog score"}  # fmt: skip
BARTHEL = {"system": LOINC, "code": "96761-2", "display": "Total score Barthel Index"}
INR = {"system": LOINC, "code": "6301-6", "display": "INR in Platelet poor plasma by Coagulation assay"}  # fmt: skip
PLATELETS = {"system": LOINC, "code": "777-3", "display": "Platelets [#/volume] in Blood by Automated count"}  # fmt: skip

ENCOUNTER_PROBLEM = {"system": SNOMED, "code": "185347001", "display": "Encounter for problem"}
ENCOUNTER_ED = {"system": SNOMED, "code": "50849002", "display": "Emergency room admission"}
ENCOUNTER_ADMISSION = {"system": SNOMED, "code": "32485007", "display": "Hospital admission"}
ENCOUNTER_FOLLOW_UP = {"system": SNOMED, "code": "185389009", "display": "Follow-up visit"}
RADIOTHERAPY = {"system": SNOMED, "code": "33195004", "display": "External beam radiation therapy procedure"}  # fmt: skip

KYPHOPLASTY = {"T": ("22513", "Percutaneous vertebral augmentation (kyphoplasty), thoracic"),
               "L": ("22514", "Percutaneous vertebral augmentation (kyphoplasty), lumbar")}  # fmt: skip
VERTEBROPLASTY = {"T": ("22510", "Percutaneous vertebroplasty, cervicothoracic"),
                  "L": ("22511", "Percutaneous vertebroplasty, lumbosacral")}  # fmt: skip
FIXATION = ("22842", "Posterior segmental instrumentation, 3 to 6 vertebral segments")

CEMENT_LEAKAGE = {"system": FINDING, "code": "cement-leakage", "display": "Cement leakage"}
CEMENT_EMBOLISM = {"system": ICD10CM, "code": "T84.81XA", "display": "Embolism due to internal orthopedic prosthetic devices, implants and grafts, initial encounter"}  # fmt: skip
SURGICAL_SITE_INFECTION = {"system": ICD10CM, "code": "T81.49XA", "display": "Infection following a procedure, other surgical site, initial encounter"}  # fmt: skip
SCREW_LOOSENING = {"system": ICD10CM, "code": "T84.296A", "display": "Other mechanical complication of internal fixation device of vertebrae, initial encounter"}  # fmt: skip
