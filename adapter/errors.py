"""The one exception hierarchy of spinemets.

::

    SpinemetsError
    ├── InputError            unusable input as a whole (CLI exit 2, HTTP 400)
    ├── MappingError          a file in mappings/ is missing or not valid FHIR terminology
    └── FhirServerError       a FHIR server answered with an error or could not be reached

An invalid resource *inside* usable input is not an exception: it is reported as an issue in an
OperationOutcome and ignored, so the rest of the input is still scored.
"""

from __future__ import annotations

__all__ = ["FhirServerError", "InputError", "MappingError", "SpinemetsError"]


class SpinemetsError(Exception):
    """Base of every error spinemets raises on purpose."""


class InputError(SpinemetsError):
    """The input cannot be used at all (not JSON, not a FHIR Bundle or NDJSON of resources)."""


class MappingError(SpinemetsError):
    """A terminology file under mappings/ is missing or malformed."""


class FhirServerError(SpinemetsError):
    """A FHIR server could not be reached or answered with an error status."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
