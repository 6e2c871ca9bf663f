"""The commands that talk to servers or run one: ``conformance``, ``subscriptions``, ``serve``.

Their heavy imports (httpx, fastapi, uvicorn) happen inside each command so that ``score``
starts fast.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["conformance", "serve", "subscriptions", "worker_app"]


def conformance(args: argparse.Namespace) -> int:
    """Create or update every conformance resource on the server."""
    import asyncio

    from adapter.fhir.client import (
        FhirClient,
        conformance_files,
        default_profiles_dir,
        server_settings,
        upload_conformance,
    )
    from adapter.mapping.terminology import default_mappings_dir

    resources = conformance_files([default_mappings_dir(), default_profiles_dir()])
    settings = server_settings(args, timeout=60.0)

    async def run() -> None:
        async with FhirClient.connect(settings) as client:
            for done in await upload_conformance(client, resources):
                version = f" (version {done.version_id})" if done.version_id else ""
                print(f"{done.resource_type}/{done.server_id} {done.url}{version}")

    asyncio.run(run())
    return 0


def subscriptions(args: argparse.Namespace) -> int:
    """Create the rest-hook Subscriptions (idempotent)."""
    import asyncio

    from adapter.fhir.client import FhirClient, server_settings
    from adapter.sync.subscriptions import create_subscriptions

    settings = server_settings(args, timeout=60.0)
    secret = os.environ.get(args.secret_env) or None

    async def run() -> None:
        async with FhirClient.connect(settings) as client:
            for stored in await create_subscriptions(client, args.endpoint, secret):
                print(f"Subscription/{stored.get('id')} {stored.get('criteria')}")

    asyncio.run(run())
    return 0


def serve(args: argparse.Namespace) -> int:
    """Run the CDS Hooks service with the notification endpoint mounted."""
    from adapter.cds.serve import run  # imported on demand: fastapi and uvicorn are slow to load
    from adapter.sync.notify import Notifications

    notifications = Notifications.from_env()  # unusable settings or storage: exit 2 before binding
    return run(
        host=args.host,
        port=args.port,
        insecure=args.insecure,
        workers=args.workers,
        extensions=[notifications],
        factory="adapter.cli.server:worker_app",
    )


def worker_app() -> FastAPI:
    """The app each ``serve --workers N`` process builds: the CDS service and the notifications.

    It lives here because the command line is the one layer above both cds and sync.
    """
    from adapter.cds.app import create_app
    from adapter.cds.settings import load_settings
    from adapter.sync.notify import Notifications

    return create_app(load_settings(), extensions=[Notifications.from_env()])
