"""R4 rest-hook Subscriptions for the resources that feed the scores.

Each Subscription gets an id derived from its endpoint and criteria and is written with PUT, so
creating them again changes nothing. The notification secret travels in ``channel.header``, the
R4 way for a rest-hook to authenticate itself to its endpoint.

Every version of spinemets has named its Subscriptions that way, so one it made earlier proves
itself: its id is the one derived from its own endpoint and criteria. Those made for this
endpoint whose criteria are no longer in the set (a type no longer read, an older criteria
string) are turned off (status ``off``, R4: "the client has requested the subscription be turned
off") rather than deleted: the server stops notifying for them, and the resource stays readable,
with its history, for whoever audits what was subscribed and when it stopped. Nobody else's
Subscription is touched, nor one whose criteria someone has since edited.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from adapter.fhir.client import FhirClient
from adapter.sync.reader import record_changes

__all__ = ["CRITERIA", "SubscriptionSet", "create_subscriptions", "subscription"]

log = logging.getLogger("spinemets.subscriptions")

# One per type of the record list, as an incremental sync searches it (Observations only those
# spinemets reads, which its own score Observations are not): every input of a written output.
CRITERIA = tuple(record_changes())
OFF = "off"


def _id(endpoint: str, criteria: str) -> str:
    digest = hashlib.sha256(f"{endpoint}|{criteria}".encode()).hexdigest()[:32]
    return f"spinemets-{digest}"


def subscription(endpoint: str, criteria: str, secret: str | None) -> dict[str, Any]:
    channel: dict[str, Any] = {
        "type": "rest-hook",
        "endpoint": endpoint,
        "payload": "application/fhir+json",
    }
    if secret:
        channel["header"] = [f"Authorization: Bearer {secret}"]
    return {
        "resourceType": "Subscription",
        "id": _id(endpoint, criteria),
        "status": "requested",
        "reason": "spinemets: re-score spinal metastasis patients when their inputs change",
        "criteria": criteria,
        "channel": channel,
    }


def _ours(resource: Any, endpoint: str) -> bool:
    """Whether a stored Subscription is provably one spinemets made for ``endpoint``: its id is
    the one derived from that endpoint and the criteria it holds."""
    if not isinstance(resource, Mapping) or resource.get("resourceType") != "Subscription":
        return False
    channel, criteria = resource.get("channel"), resource.get("criteria")
    return (
        isinstance(channel, Mapping)
        and channel.get("endpoint") == endpoint
        and isinstance(criteria, str)
        and resource.get("id") == _id(endpoint, criteria)
    )


def _turned_off(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The Subscription's next version: the same, off, without the secret it no longer needs."""
    out = {k: v for k, v in resource.items() if k != "meta"}  # the server sets meta again
    channel = {k: v for k, v in resource["channel"].items() if k != "header"}
    return out | {"status": OFF, "channel": channel}


@dataclass(frozen=True, slots=True)
class SubscriptionSet:
    """What setting up the Subscriptions left on the server: the current set, as stored, and
    the earlier ones this run turned off."""

    current: list[dict[str, Any]] = field(default_factory=list)
    off: list[dict[str, Any]] = field(default_factory=list)


async def _turn_off_earlier(
    client: FhirClient, endpoint: str, current: set[str]
) -> list[dict[str, Any]]:
    """Turn off spinemets' own Subscriptions for ``endpoint`` that are not in ``current``."""
    found = await client.search(
        f"Subscription?url={quote(endpoint, safe='')}&_count=200", fresh=True
    )
    stale = [
        r for r in found if _ours(r, endpoint) and r["id"] not in current and r.get("status") != OFF
    ]
    off = [await client.put(f"Subscription/{r['id']}", _turned_off(r)) for r in stale]
    # Counts only: criteria and endpoints are configuration, but a log line needs neither.
    log.info(
        "Subscriptions: %d current, %d of an earlier version turned off (status off)",
        len(current),
        len(off),
    )
    return off


async def create_subscriptions(
    client: FhirClient, endpoint: str, secret: str | None
) -> SubscriptionSet:
    """Create or refresh one Subscription per criteria, then turn off spinemets' earlier ones
    for the same endpoint that are no longer in the set (after: no change goes unwatched)."""
    made = SubscriptionSet()
    for criteria in CRITERIA:
        resource = subscription(endpoint, criteria, secret)
        made.current.append(await client.put(f"Subscription/{resource['id']}", resource))
    ids = {_id(endpoint, criteria) for criteria in CRITERIA}
    made.off.extend(await _turn_off_earlier(client, endpoint, ids))
    return made
