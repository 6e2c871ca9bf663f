"""The one exception hierarchy of spinemets.

::

    SpinemetsError
    ├── InputError            unusable input as a whole (CLI exit 2, HTTP 400)
    │   ├── HookMismatchError     a CDS request whose hook the called service does not serve (400)
    │   └── MediaTypeError        a body that is not sent as JSON (HTTP 415)
    ├── NotFoundError         no such CDS service (HTTP 404)
    ├── AuthenticationError   the CDS client's JWT is missing or fails a check (HTTP 401, no detail)
    ├── DataUnavailableError  the data a CDS service needs cannot be obtained (HTTP 412)
    ├── ConfigurationError    the service's settings are unusable (``spinemets serve`` exit 2)
    │   └── StorageError          a database that cannot be opened or written (exit 2; HTTP 503)
    ├── MappingError          a file in mappings/ is missing or not valid FHIR terminology
    ├── FhirServerError       a FHIR server answered with an error or could not be reached
    │   └── DuplicatesError       the server holds several resources where there must be one
    └── OverloadedError       the service cannot take more work now (HTTP 503, retry later)

An invalid resource *inside* usable input is not an exception: it is reported as an issue in an
OperationOutcome and ignored, so the rest of the input is still scored. HTTP statuses are assigned
in exactly one place, the exception handler of :mod:`adapter.cds.app`.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "DataUnavailableError",
    "DuplicatesError",
    "FhirServerError",
    "HookMismatchError",
    "InputError",
    "MappingError",
    "MediaTypeError",
    "NotFoundError",
    "OverloadedError",
    "SpinemetsError",
    "StorageError",
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
    """A FHIR server could not be reached or answered with an error status.

    ``diagnostics`` is the server's own error text: for the log, never for a caller (it may hold
    anything, an internal URL or a password), so it is not part of the message.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        diagnostics: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.diagnostics = diagnostics


class DuplicatesError(FhirServerError):
    """Several resources on the FHIR server where spinemets keeps one (overlapping writes made
    them). Not transient: a repeat meets the same duplicates; ``sync --repair-duplicates`` fixes
    it."""


class OverloadedError(SpinemetsError):
    """The service cannot take more work now (a full queue); the caller should retry later."""


class MediaTypeError(InputError):
    """A request body is not sent with the media type the endpoint reads."""


class StorageError(ConfigurationError):
    """A database file cannot be created, opened or written."""
