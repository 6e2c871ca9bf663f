"""Bounded retries with exponential backoff for FHIR server calls.

Retried: timeouts and dropped connections (no status), 5xx, 429 (honouring Retry-After, capped),
and 409/412 from concurrent writers (a conditional create or a version check that lost a race).
Never retried: other 4xx and duplicates on the server (:class:`~adapter.errors.DuplicatesError`),
which a repeat cannot fix. A retried write is safe because every write spinemets makes is
conditional.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from adapter.errors import DuplicatesError, FhirServerError

__all__ = ["RetryPolicy", "delay", "is_transient", "with_retries"]

T = TypeVar("T")
_TRANSIENT_4XX = frozenset({408, 409, 412, 429})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0


def is_transient(error: FhirServerError) -> bool:
    if isinstance(error, DuplicatesError):
        return False
    status = error.status
    return status is None or status >= 500 or status in _TRANSIENT_4XX


async def with_retries(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_retry: Callable[[FhirServerError], None] | None = None,
) -> T:
    """Run ``operation``; on a transient failure wait (full jitter, Retry-After wins) and retry."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return await operation()
        except FhirServerError as exc:
            if attempt == policy.attempts or not is_transient(exc):
                raise
            if on_retry is not None:
                on_retry(exc)
            await sleep(delay(policy, attempt, exc))
    raise AssertionError("unreachable: the last attempt returns or raises")


def delay(policy: RetryPolicy, attempt: int, error: FhirServerError) -> float:
    """How long to wait after failed attempt ``attempt`` (from 1): full jitter, Retry-After wins."""
    backoff = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    # Jitter spreads retries of many clients; nothing about it is secret.
    jitter = random.uniform(0, backoff)  # noqa: S311  # nosec B311
    wait = error.retry_after if error.retry_after is not None else jitter
    return min(wait, policy.max_delay)
