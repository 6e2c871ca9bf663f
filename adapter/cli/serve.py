"""``spinemets serve``: the CDS Hooks 2.0 service with the FHIR notification endpoint.

fastapi and uvicorn are imported inside the command so that ``score`` starts fast.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["add_arguments", "run", "worker_app"]


def add_arguments(serve: argparse.ArgumentParser) -> None:
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


def run(args: argparse.Namespace) -> int:
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
        factory="adapter.cli.serve:worker_app",
    )


def worker_app() -> FastAPI:
    """The app each ``serve --workers N`` process builds: the CDS service and the notifications.

    It lives here because the command line is the one layer above both cds and sync.
    """
    from adapter.cds.app import create_app
    from adapter.cds.settings import load_settings
    from adapter.sync.notify import Notifications

    return create_app(load_settings(), extensions=[Notifications.from_env()])
