from __future__ import annotations

import asyncio

import pytest

from adapter.errors import FhirServerError
from adapter.sync.retry import RetryPolicy, is_transient, with_retries

POLICY = RetryPolicy(attempts=4, base_delay=1, max_delay=8)


def run(failures: list[FhirServerError], policy=POLICY):
    calls, waits = [], []

    async def op():
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "done"

    async def sleep(seconds):
        waits.append(seconds)

    async def go():
        return await with_retries(op, policy, sleep=sleep)

    return asyncio.run(go()), calls, waits


@pytest.mark.parametrize(("status", "transient"), [(None, True), (500, True), (503, True), (429, True), (409, True),
                                                   (412, True), (400, False), (401, False), (404, False), (422, False)])  # fmt: skip
def test_what_is_retried(status, transient):
    assert is_transient(FhirServerError("x", status=status)) is transient


def test_transient_failures_are_retried_then_succeed():
    result, calls, waits = run([FhirServerError("down", status=503), FhirServerError("gone")])
    assert result == "done" and len(calls) == 3
    assert all(0 <= w <= 8 for w in waits) and len(waits) == 2


def test_retry_after_is_honoured_but_capped():
    _, _, waits = run(
        [
            FhirServerError("slow down", status=429, retry_after=2),
            FhirServerError("x", status=429, retry_after=600),
        ]
    )
    assert waits == [2, 8]


def test_permanent_failure_is_not_retried():
    with pytest.raises(FhirServerError, match="bad"):
        run([FhirServerError("bad", status=400)])


def test_gives_up_after_the_last_attempt():
    with pytest.raises(FhirServerError, match="4"):
        run([FhirServerError(str(i), status=500) for i in range(1, 6)])
