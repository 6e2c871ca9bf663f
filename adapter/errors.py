"""The one exception hierarchy of spinemets.

::

    SpinemetsError
    ├── InputError            unusable input as a whole (CLI exit 2, HTTP 400)
    │   └── HookMismatchError     a CDS request whose hook the called service does not serve (400)
    ├── NotFoundError         no such CDS service (HTTP 404)
    ├── AuthenticationError   the CDS client's JWT is missing or fails a check (HTTP 401, no detail)
    ├── DataUnavailableError  the data a CDS service needs cannot be obtained (HTTP 412)
    ├── ConfigurationError    the service's settings are unusable (``spinemets serve`` exit 2)
    ├── MappingError          a file in mappings/ is missing or not valid FHIR terminology
    └── FhirServerError       a FHIR server answered with an error or could not be reached

An invalid resource *inside* usable input is not an exception: it is reported as an issue in an
OperationOutcome and ignored, so the rest of the input is still scored. HTTP statuses are assigned
in exactly one place, the exception handler of :mod:`adapter.cds.app`.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "DataUnavailableError",
    "FhirServerError",
    "HookMismatchError",
    "InputError",
    "MappingError",
    "NotFoundError",
    "SpinemetsError",
]


class SpinemetsError(Exception):
    """Base of every error spinemets raises on purpose."""


class InputError(SpinemetsError):
    """The input cannot be used at all (not JSON, not a FHIR Bundle or NDJSON of resources)."""


class HookMismatchError(InputError):
    """A CDS Hooks request names a hook the called service does not serve."""


class NotFoundError(SpinemetsError):
    """The requested CDS service (or other named thing) does not exist."""


class AuthenticationError(SpinemetsError):
    """The caller could not be authenticated. The message is for tests, never sent to clients."""


class DataUnavailableError(SpinemetsError):
    """Data a CDS service needs is neither in the prefetch nor obtainable from ``fhirServer``."""


class ConfigurationError(SpinemetsError):
    """The service's configuration cannot be used (bad issuer list, unsafe binding)."""


class MappingError(SpinemetsError):
    """A terminology file under mappings/ is missing or malformed."""


class FhirServerError(SpinemetsError):
    """A FHIR server could not be reached or answered with an error status."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
