"""The NOMS framework (Laufer et al., Oncologist 2013): the decision paths it gives, as data.

NOMS is a decision framework, not a score: per treated or candidate level it names the path its
table gives for the neurological (N), oncological (O), mechanical (M) and systemic (S) findings.
Each path is worded as "the framework's path", with its sources, never as an order. Row 6 (not fit
for surgery) is UNCONFIRMED in the sources read: it names no treatment (scores-more.md).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "NOMS_PATHS",
    "NOMS_SOURCE",
    "NOMS_SOURCES",
    "NOMS_TITLE",
    "NOMS_WORDING",
    "UNCLASSIFIED_PRIMARY",
    "NomsPath",
]

NOMS_TITLE = "NOMS framework (Laufer 2013)"
NOMS_SOURCE = "Laufer 2013"
NOMS_WORDING = "The framework's path — information for the spine and oncology team, not an order."
# A primary in neither radiosensitivity ValueSet: the sources leave it unclassified (lung, breast,
# prostate …, scores-more.md), or its code does not tell the histology they classify (C62 may be a
# seminoma or not). It is the classification that is UNCONFIRMED; a primary that is itself not
# confirmed says so beside it (NOT_CONFIRMED_PRIMARY).
UNCLASSIFIED_PRIMARY = "radiosensitivity not classified for this code (UNCONFIRMED)"
NOT_CONFIRMED_PRIMARY = "{status}: may be another tumour"

# Keys of the sources cited beside each path, and what they are.
NOMS_SOURCES: dict[str, str] = {
    "L13": "Laufer et al., Oncologist 2013 (doi 10.1634/theoncologist.2012-0293)",
    "BS06": "Bilsky, Smith, Hematol Oncol Clin N Am 2006;20:1307",
    "MSK10": "MSKCC NOMS review (2010)",
}


@dataclass(frozen=True, slots=True)
class NomsPath:
    """One row of the framework's table: the path it names, its sources, and whether the row
    itself is UNCONFIRMED."""

    row: int
    code: str
    text: str
    sources: tuple[str, ...]
    unconfirmed: bool = False

    @property
    def cited(self) -> str:
        keys = ", ".join(self.sources)
        mark = " (UNCONFIRMED)" if self.unconfirmed else ""
        return f"{self.text}{mark} [{keys}]"


NOMS_PATHS: dict[str, NomsPath] = {
    p.code: p
    for p in (
        NomsPath(
            1,
            "stabilise",
            "stabilisation (open surgery; cement augmentation for axial-load pain without gross "
            "instability), then radiation as for a stable spine",
            ("MSK10",),
        ),
        NomsPath(
            2, "cebrt-low", "conventional external-beam radiotherapy (cEBRT)", ("BS06", "MSK10")
        ),
        NomsPath(
            3,
            "cebrt-high",
            "conventional external-beam radiotherapy (cEBRT), whatever the compression or "
            "myelopathy",
            ("BS06", "MSK10"),
        ),
        NomsPath(
            4, "srs", "stereotactic radiosurgery (high-dose, image-guided)", ("BS06", "MSK10")
        ),
        NomsPath(
            5,
            "separation-srs",
            "separation surgery, then stereotactic radiosurgery",
            ("MSK10", "L13"),
        ),
        NomsPath(
            6,
            "no-surgical-path",
            "no surgical path; radiation per clinician",
            ("L13",),
            unconfirmed=True,
        ),
    )
}
