"""R4 rest-hook Subscriptions for the resources that feed the scores.

Each Subscription gets an id derived from its endpoint and criteria and is written with PUT, so
creating them again changes nothing. The notification secret travels in ``channel.header``, the
R4 way for a rest-hook to authenticate itself to its endpoint.
"""

from __future__ import annotations

import hashlib
from typing import Any

from adapter.fhir.client import FhirClient
from adapter.sync.reader import record_changes

__all__ = ["CRITERIA", "create_subscriptions", "subscription"]

# One per type of the record list, as an incremental sync searches it (Observations only those
# spinemets reads, which its own score Observations are not): every input of a written output.
CRITERIA = tuple(record_changes())


def subscription(endpoint: str, criteria: str, secret: str | None) -> dict[str, Any]:
    digest = hashlib.sha256(f"{endpoint}|{criteria}".encode()).hexdigest()[:32]
    channel: dict[str, Any] = {
        "type": "rest-hook",
        "endpoint": endpoint,
        "payload": "application/fhir+json",
    }
    if secret:
        channel["header"] = [f"Authorization: Bearer {secret}"]
    return {
        "resourceType": "Subscription",
        "id": f"spinemets-{digest}",
        "status": "requested",
        "reason": "spinemets: re-score spinal metastasis patients when their inputs change",
        "criteria": criteria,
        "channel": channel,
    }


async def create_subscriptions(
    client: FhirClient, endpoint: str, secret: str | None
) -> list[dict[str, Any]]:
    """Create or refresh one Subscription per criteria; the stored resources."""
    stored = []
    for criteria in CRITERIA:
        resource = subscription(endpoint, criteria, secret)
        stored.append(await client.put(f"Subscription/{resource['id']}", resource))
    return stored
