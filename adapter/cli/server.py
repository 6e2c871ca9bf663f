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

__all__ = [
    "add_conformance_arguments",
    "add_serve_arguments",
    "add_subscriptions_arguments",
    "conformance",
    "serve",
    "subscriptions",
    "worker_app",
]


def add_conformance_arguments(
    conformance: argparse.ArgumentParser, parser_class: type[argparse.ArgumentParser]
) -> None:
    """``spinemets conformance upload`` and its server options."""
    from adapter.fhir.client import add_server_arguments

    actions = conformance.add_subparsers(dest="action", required=True, parser_class=parser_class)
    upload = actions.add_parser(
        "upload", help="create or update every CodeSystem, ValueSet, ConceptMap and profile"
    )
    add_server_arguments(upload)
    package = actions.add_parser(
        "package", help="write them as a FHIR package (package.tgz, with narratives)"
    )
    package.add_argument(
        "--output", required=True, metavar="FILE", help="the package file to write (.tgz)"
    )


def add_subscriptions_arguments(
    subs: argparse.ArgumentParser, parser_class: type[argparse.ArgumentParser]
) -> None:
    """``spinemets subscriptions create``: the server, the endpoint and the secret's variable."""
    from adapter.fhir.client import add_server_arguments

    actions = subs.add_subparsers(dest="action", required=True, parser_class=parser_class)
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


def add_serve_arguments(serve: argparse.ArgumentParser) -> None:
    """``spinemets serve``: options that override the SPINEMETS_* settings."""
    serve.add_argument("--host", help="address to bind (default SPINEMETS_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default SPINEMETS_PORT or 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes (default SPINEMETS_WORKERS or 1); they share the replay cache",
    )
    serve.add_argument(
        "--ssl-certfile",
        metavar="PEM",
        help="serve HTTPS with this certificate (chain) (default SPINEMETS_SSL_CERTFILE)",
    )
    serve.add_argument(
        "--ssl-keyfile",
        metavar="PEM",
        help="the certificate's private key (default SPINEMETS_SSL_KEYFILE)",
    )
    serve.add_argument(
        "--insecure",
        action="store_true",
        help="serve without client JWT checks on a non-loopback address (development only)",
    )


def conformance(args: argparse.Namespace) -> int:
    """Create or update every conformance resource on the server, or write them as a package."""
    import asyncio

    from adapter.fhir.client import (
        FhirClient,
        conformance_files,
        default_profiles_dir,
        default_questionnaires_dir,
        server_settings,
        upload_conformance,
    )
    from adapter.fhir.write.package import build_package, conformance_narrative
    from adapter.mapping.terminology import default_mappings_dir

    directories = [default_mappings_dir(), default_profiles_dir(), default_questionnaires_dir()]
    resources = [conformance_narrative(r) for r in conformance_files(directories)]
    if args.action == "package":
        return _write_package(args.output, build_package(resources))
    settings = server_settings(args, timeout=60.0)

    async def run() -> None:
        async with FhirClient.connect(settings) as client:
            for done in await upload_conformance(client, resources):
                version = f" (version {done.version_id})" if done.version_id else ""
                print(f"{done.resource_type}/{done.server_id} {done.url}{version}")

    asyncio.run(run())
    return 0


def _write_package(output: str, data: bytes) -> int:
    from pathlib import Path

    from adapter.errors import OutputError

    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror}") from None
    print(f"{output}: {len(data)} bytes")
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
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
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
