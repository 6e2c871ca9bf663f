"""Feedback: validated, stored durably in SQLite, countable per card."""

from __future__ import annotations

import sqlite3

import pytest

from adapter.cds.feedback import FeedbackStore

pytestmark = pytest.mark.anyio
URL = "/cds-services/spinemets-scores/feedback"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def accepted(card="card-1"):
    return {"card": card, "outcome": "accepted", "acceptedSuggestions": [{"id": "sugg-1"}],
            "outcomeTimestamp": "2026-11-24T10:00:00Z"}  # fmt: skip


def overridden(card="card-1", code="not-applicable"):
    return {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-24T10:01:00Z",
            "overrideReason": {"reason": {"system": "http://example.org/reasons", "code": code,
                                          "display": "Not applicable"},
                               "userComment": "already discussed"}}  # fmt: skip


async def test_feedback_is_stored_and_counted(client, settings):
    batch = [accepted(), overridden(), overridden(code="disagree"), overridden("card-2")]
    response = await client.post(URL, json={"feedback": batch})
    assert response.status_code == 200
    assert response.json() == {"stored": 4}
    counts = {c.card: c for c in FeedbackStore(settings.feedback_path).counts()}
    assert (counts["card-1"].accepted, counts["card-1"].overridden) == (1, 2)
    assert counts["card-1"].reasons == {"not-applicable": 1, "disagree": 1}
    assert counts["card-2"].service == "spinemets-scores"
    with sqlite3.connect(settings.feedback_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    "item",
    [
        {**accepted(), "acceptedSuggestions": None},
        {k: v for k, v in accepted().items() if k != "acceptedSuggestions"},
        {k: v for k, v in accepted().items() if k != "outcomeTimestamp"},
        {**accepted(), "outcomeTimestamp": "yesterday"},
        {**accepted(), "outcomeTimestamp": "2026-11-24T10:00:00"},  # no zone
        {**accepted(), "outcome": "ignored"},
        {**overridden(), "acceptedSuggestions": [{"id": "x"}]},
        {k: v for k, v in accepted().items() if k != "card"},
    ],
    ids=["accepted-null", "accepted-no-suggestions", "no-timestamp", "bad-timestamp",
         "no-zone", "bad-outcome", "overridden-with-suggestions", "no-card"],
)  # fmt: skip
async def test_invalid_feedback_is_400(client, item):
    response = await client.post(URL, json={"feedback": [item]})
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_feedback_needs_a_list_and_a_known_service(client):
    assert (await client.post(URL, json={"feedback": []})).status_code == 400
    assert (await client.post(URL, json={})).status_code == 400
    unknown = await client.post("/cds-services/nope/feedback", json={"feedback": [accepted()]})
    assert unknown.status_code == 404
