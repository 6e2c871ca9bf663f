"""The one exception hierarchy of spinemets.

::

    SpinemetsError
    ├── InputError            unusable input as a whole (CLI exit 2, HTTP 400)
    │   ├── HookMismatchError     a CDS request whose hook the called service does not serve (400)
    │   ├── TooLargeError         a request body or list over a configured limit (HTTP 413)
    │   ├── MediaTypeError        a body that is not sent as JSON (HTTP 415)
    │   └── RequestTimeoutError   a request body that did not arrive in time (HTTP 408)
    ├── NotFoundError         no such CDS service (HTTP 404)
    ├── AuthenticationError   the CDS client's JWT is missing or fails a check (HTTP 401, no detail)
    ├── DataUnavailableError  the data a CDS service needs cannot be obtained (HTTP 412)
    ├── ConfigurationError    the settings are unusable (exit 2)
    │   └── StorageError          a database that cannot be opened or written (exit 2; HTTP 503)
    ├── MappingError          a file in mappings/ is missing or not valid FHIR terminology (exit 2)
    ├── FhirServerError       a FHIR server answered with an error or could not be reached (exit 1)
    │   └── DuplicatesError       the server holds several resources where there must be one
    ├── OverloadedError       the service cannot take more work now (HTTP 503, retry later)
    ├── ClusterError          the Dask cluster or a worker process could not do the work (exit 1)
    └── OutputError           an output could not be written (disk full, closed pipe) (exit 1)

An invalid resource *inside* usable input is not an exception: it is reported as an issue in an
OperationOutcome and ignored, so the rest of the input is still scored. Exit statuses and HTTP
statuses are assigned here and nowhere else: :func:`exit_status` for every command (0 done; 1 the
work failed part-way; 2 unusable input, arguments or configuration), :func:`http_status` for the
CDS service.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ClusterError",
    "ConfigurationError",
    "DataUnavailableError",
    "DuplicatesError",
    "FhirServerError",
    "HookMismatchError",
    "InputError",
    "MappingError",
    "MediaTypeError",
    "NotFoundError",
    "OutputError",
    "OutputPathError",
    "OverloadedError",
    "RequestTimeoutError",
    "SpinemetsError",
    "StorageError",
    "TooLargeError",
    "exit_status",
    "http_status",
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

    ``diagnostics`` is the server's own error text, kept for a debugger and for tests: it is never
    printed, logged or returned (it may hold anything, an internal URL or a password), so it is
    not part of the message.
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


class ClusterError(SpinemetsError):
    """The engine running a batch failed: the Dask scheduler cannot be reached, a task was lost
    on too many workers, or a worker process died."""


class TooLargeError(InputError):
    """A request body, or a list in it, is over a configured limit."""


class MediaTypeError(InputError):
    """A request body is not sent with the media type the endpoint reads."""


class RequestTimeoutError(InputError):
    """A request body did not arrive within the configured time."""


class StorageError(ConfigurationError):
    """A database file cannot be created, opened or written."""


class OutputError(SpinemetsError):
    """An output could not be written (a full disk, an unwritable file)."""


class OutputPathError(ConfigurationError):
    """An output file named on the command line that cannot be written (its directory missing,
    read-only, a directory itself): an unusable argument, exit 2 "cannot write PATH: …", on
    every command alike."""


# Most specific class first: the first match decides. (class, exit status, message prefix)
_EXIT: tuple[tuple[type[SpinemetsError], int, str], ...] = (
    (InputError, 2, "unusable input: "),
    (ConfigurationError, 2, ""),
    (MappingError, 2, "mappings: "),
    (FhirServerError, 1, "FHIR server: "),
    (OutputError, 1, "output: "),
    (ClusterError, 1, "cluster: "),
)
# (class, HTTP status, OperationOutcome issue code)
_HTTP: tuple[tuple[type[SpinemetsError], int, str], ...] = (
    (AuthenticationError, 401, "login"),
    (TooLargeError, 413, "too-costly"),
    (MediaTypeError, 415, "not-supported"),
    (RequestTimeoutError, 408, "timeout"),
    (InputError, 400, "invalid"),
    (NotFoundError, 404, "not-found"),
    (DataUnavailableError, 412, "incomplete"),
    (FhirServerError, 412, "transient"),
    (StorageError, 503, "transient"),
    (OverloadedError, 503, "transient"),
)


def exit_status(exc: SpinemetsError) -> tuple[int, str]:
    """The exit status of a command that stopped on ``exc``, and the one line to print."""
    for cls, status, prefix in _EXIT:
        if isinstance(exc, cls):
            return status, f"{prefix}{exc}"
    return 1, str(exc)


def http_status(exc: SpinemetsError) -> tuple[int, str] | None:
    """The HTTP status and OperationOutcome issue code of ``exc``; None for an internal error."""
    for cls, status, code in _HTTP:
        if isinstance(exc, cls):
            return status, code
    return None
