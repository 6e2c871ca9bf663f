"""``spinemets subscriptions create``: the FHIR Subscriptions that re-score on new data, and
spinemets' earlier ones for the same endpoint, no longer in the set, turned off.

httpx is imported inside the command so that ``score`` starts fast.
"""

from __future__ import annotations

import argparse
import os

from adapter.cli import output

__all__ = ["add_arguments", "run"]


def add_arguments(subs: argparse.ArgumentParser) -> None:
    """``spinemets subscriptions create``: the server, the endpoint and the secret's variable."""
    from adapter.fhir.client import add_server_arguments

    # Subcommands are of the command's own parser class: its one-line errors.
    actions = subs.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create the rest-hook Subscriptions (idempotent)")
    add_server_arguments(create)
    create.add_argument(
        "--endpoint", required=True, help="notification URL of spinemets serve: {base}/fhir-notify"
    )
    create.add_argument(
        "--secret-env",
        default="SPINEMETS_NOTIFY_SECRET",
        help="environment variable holding the notification secret",
    )


def run(args: argparse.Namespace) -> int:
    """Create the rest-hook Subscriptions (idempotent); one line per Subscription, current or
    turned off."""
    import asyncio

    from adapter.fhir.client import FhirClient, server_settings
    from adapter.sync.subscriptions import create_subscriptions

    settings = server_settings(args, timeout=60.0)
    secret = os.environ.get(args.secret_env) or None

    async def create() -> None:
        async with FhirClient.connect(settings) as client:
            made = await create_subscriptions(client, args.endpoint, secret)
            for stored in made.current:
                output.line(f"Subscription/{stored.get('id')} {stored.get('criteria')}")
            # spinemets' own, made by an earlier version for this endpoint: no longer notified.
            for stored in made.off:
                output.line(f"Subscription/{stored.get('id')} off {stored.get('criteria')}")

    asyncio.run(create())
    return 0
