"""``spinemets subscriptions create`` against an in-memory FHIR server: the current Subscriptions
(one per type of the record list) are written, and the ones an earlier version of spinemets made
for the same endpoint with criteria no longer in the set are turned off — never anyone else's."""

from __future__ import annotations

import asyncio
import copy
import logging

import respx

from adapter import cli
from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.sync.subscriptions import CRITERIA, create_subscriptions, subscription
from tests.unit.sync.fakefhir import BASE, FakeFhir

ENDPOINT = "https://spinemets.example/fhir-notify"
SECRET = "notify-secret"
# Criteria earlier versions subscribed with: performance status only, completed forms only.
OLD = (
    "Observation?code=http%3A%2F%2Floinc.org%7C89243-0,http%3A%2F%2Floinc.org%7C89247-1",
    "QuestionnaireResponse?status=completed,amended",
)


def _stored(resource: dict, status: str = "active") -> dict:
    return {**resource, "status": status, "meta": {"versionId": "1"}}


def _server() -> tuple[FakeFhir, dict[str, dict]]:
    """A server holding spinemets' Subscriptions of an earlier version and others'."""
    edited = _stored(subscription(ENDPOINT, "Observation?code=http%3A%2F%2Floinc.org%7C", SECRET))
    edited["criteria"] = "Observation?code=http%3A%2F%2Floinc.org%7C8310-5"  # changed by someone
    held = {
        "current": _stored(subscription(ENDPOINT, CRITERIA[0], SECRET)),
        "stale-1": _stored(subscription(ENDPOINT, OLD[0], "old-secret")),
        "stale-2": _stored(subscription(ENDPOINT, OLD[1], None), status="requested"),
        "already-off": _stored(subscription(ENDPOINT, "Condition?clinical-status=active", None), "off"),
        "other-endpoint": _stored(subscription("https://old.example/fhir-notify", OLD[0], None)),
        "edited": edited,
        "theirs": _stored({"resourceType": "Subscription", "id": "ehr-feed", "criteria": "Condition?",
                           "reason": "the EHR's own", "channel": {"type": "rest-hook", "endpoint": ENDPOINT}}),
        "lookalike": _stored({**subscription(ENDPOINT, OLD[1], None), "id": "spinemets-feed"}),
    }  # fmt: skip
    assert len({r["id"] for r in held.values()}) == len(held)
    fhir = FakeFhir(respx.mock, list(copy.deepcopy(held).values()))
    return fhir, held


def _create(fhir: FakeFhir):
    async def go():
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            return await create_subscriptions(client, ENDPOINT, SECRET)

    return asyncio.run(go())


def _now(fhir: FakeFhir, resource: dict) -> dict:
    return fhir.store[f"Subscription/{resource['id']}"]


@respx.mock
def test_spinemets_own_subscriptions_no_longer_in_the_set_are_turned_off(caplog):
    # The bug this closes: a Subscription an earlier version made (a type no longer read, an
    # older criteria string) stayed active, and the server kept notifying for it.
    fhir, held = _server()
    with caplog.at_level(logging.INFO, logger="spinemets.subscriptions"):
        made = _create(fhir)
    assert sorted(s["criteria"] for s in made.current) == sorted(CRITERIA)
    assert sorted(s["id"] for s in made.off) == sorted(
        [held["stale-1"]["id"], held["stale-2"]["id"]]
    )
    for name in ("stale-1", "stale-2"):
        old, now = held[name], _now(fhir, held[name])
        assert now["status"] == "off" and now["meta"]["versionId"] == "2"
        # The same Subscription, kept for the audit: only its status, and the secret it no
        # longer needs, differ.
        assert "header" not in now["channel"]
        assert {k: v for k, v in now.items() if k not in ("status", "meta", "channel")} == {
            k: v for k, v in old.items() if k not in ("status", "meta", "channel")
        }
        assert {**now["channel"], "header": None} == {**old["channel"], "header": None}
    # Never anyone else's, nor one that is not provably spinemets' own for this endpoint.
    for name in ("already-off", "other-endpoint", "edited", "theirs", "lookalike"):
        assert _now(fhir, held[name]) == held[name], name
    # How many, in words; no criteria, no endpoint.
    said = [r.getMessage() for r in caplog.records if r.name == "spinemets.subscriptions"]
    assert any("2" in m and "off" in m for m in said), said
    assert not any(ENDPOINT in m or "Observation?" in m for m in said)


@respx.mock
def test_turning_off_is_done_once():
    fhir, held = _server()
    _create(fhir)
    puts = len(fhir.puts)
    again = _create(fhir)
    assert again.off == []
    assert len(fhir.puts) - puts == len(CRITERIA)  # the current set only, as before
    assert _now(fhir, held["stale-1"])["meta"]["versionId"] == "2"


@respx.mock
def test_the_command_lists_what_it_turned_off(capsys, monkeypatch):
    monkeypatch.setenv("SPINEMETS_NOTIFY_SECRET", SECRET)
    _, held = _server()
    argv = ["subscriptions", "create", "--fhir-server", BASE, "--endpoint", ENDPOINT]
    assert cli.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CRITERIA) + 2
    off = [line for line in lines if " off " in line]
    assert sorted(line.split()[0] for line in off) == sorted(
        f"Subscription/{held[n]['id']}" for n in ("stale-1", "stale-2")
    )
