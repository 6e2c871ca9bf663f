"""``spinemets serve``: start-up checks, then uvicorn (one process, or ``--workers N``).

Without a trusted issuer the service cannot tell a CDS client from anyone else, so it then
serves only on a loopback address (with a warning), unless explicitly told it is insecure.
Everything that can be checked before binding is: settings, the binding, mappings/, the storage
(feedback database, replay cache, audit trail), a TLS certificate and key, and every local JWK
Set. Any failure exits 2 with one line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import uvicorn

from adapter.cds.audit import CdsAudit
from adapter.cds.feedback import FeedbackStore
from adapter.cds.keys import read_local_keys
from adapter.cds.logs import JsonFormatter
from adapter.cds.protocol import HttpToolsHeadTimeout
from adapter.cds.settings import Settings, is_loopback, load_settings
from adapter.cds.state import open_replay_cache
from adapter.errors import ConfigurationError, SpinemetsError, exit_status
from adapter.fhir.read.shape import input_limits
from adapter.mapping.terminology import default_terminology
from adapter.settings import unknown_variables
from adapter.smart.settings import smart_settings

if TYPE_CHECKING:
    from adapter.cds.app import Extension

__all__ = ["check_binding", "check_port", "is_loopback", "preflight", "run"]

log = logging.getLogger("spinemets.cds")


def check_binding(settings: Settings) -> str | None:
    """A warning to log, or raise when the binding is unsafe; None when JWTs are checked."""
    if settings.issuers:
        return None
    if is_loopback(settings.host):
        return (
            "no trusted CDS client issuer configured (SPINEMETS_ISSUERS): accepting "
            f"unauthenticated calls, bound to loopback {settings.host} only"
        )
    if settings.insecure:
        return (
            "no trusted CDS client issuer configured and --insecure given: accepting "
            f"unauthenticated calls on {settings.host}"
        )
    raise ConfigurationError(
        f"refusing to serve unauthenticated on non-loopback {settings.host}: configure "
        "SPINEMETS_ISSUERS, bind to 127.0.0.1, or pass --insecure"
    )


def check_tls(settings: Settings) -> None:
    """The certificate and key load and belong together; ConfigurationError (one line) if not."""
    if settings.ssl_certfile is None or settings.ssl_keyfile is None:
        return
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile)
    except OSError as exc:  # ssl.SSLError is one too
        if isinstance(exc, ssl.SSLError):
            reason = f"not a usable certificate and key ({exc.reason or 'unreadable'})"
        else:
            reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(
            f"TLS certificate {settings.ssl_certfile} and key {settings.ssl_keyfile}: {reason}"
        ) from None


def check_port(host: str, port: int) -> None:
    """The address can be bound now (a busy port, an unknown host: one line, exit 2)."""
    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as exc:  # socket.gaierror included
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(f"cannot listen on {where}: {reason}") from None


def preflight(settings: Settings) -> None:
    """Everything the service will need, checked now: raises the first problem found."""
    check_tls(settings)
    input_limits()  # SPINEMETS_MAX_JSON_DEPTH, SPINEMETS_MAX_LINE_BYTES
    check_port(settings.host, settings.port)
    default_terminology()  # mappings/ broken → MappingError
    smart_settings()  # the SMART app's settings (SPINEMETS_SMART_*)
    for issuer in settings.issuers:
        read_local_keys(issuer)
    try:
        FeedbackStore(settings.feedback_path).initialise()
        CdsAudit(settings.audit_path, settings.public_base_url).check()
    except RuntimeError:  # Path.home(): no home directory to put the state in
        raise ConfigurationError("no state directory: set SPINEMETS_STATE_DIR") from None
    if settings.issuers:

        async def replay() -> None:
            cache = await open_replay_cache(settings)
            await cache.close()

        asyncio.run(replay())


def _log_config() -> dict[str, Any]:
    """Every line one JSON object (:mod:`adapter.cds.logs`): uvicorn's, spinemets', the rest.

    uvicorn's access lines are replaced by the service's own (method, path without query,
    status, time, request id); the HTTP client's request lines, which carry full URLs, stay
    below the default level.
    """
    formatter = {"()": "adapter.cds.logs.JsonFormatter"}
    handler = {"formatter": "json", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": formatter},
        "handlers": {"json": handler},
        "root": {"handlers": ["json"], "level": "INFO"},
        "loggers": {
            "spinemets": {"level": "INFO"},
            "uvicorn": {"level": "INFO"},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }


def run(
    host: str | None = None,
    port: int | None = None,
    insecure: bool = False,
    workers: int | None = None,
    *,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    extensions: Sequence[Extension] = (),
    factory: str = "adapter.cds.app:app_from_environment",
) -> int:
    """Check the configuration, then serve until stopped; the exit code.

    ``extensions`` are mounted beside the CDS services (the command line passes the FHIR
    notifications, which live in adapter.sync); with several workers each process calls
    ``factory`` (``module:function``), which must mount the same extensions.
    """
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if insecure:
        overrides["insecure"] = True
    if workers is not None:
        overrides["workers"] = workers
    if ssl_certfile is not None:
        overrides["ssl_certfile"] = ssl_certfile
    if ssl_keyfile is not None:
        overrides["ssl_keyfile"] = ssl_keyfile
    try:
        settings = load_settings(**overrides)
        warning = check_binding(settings)
        preflight(settings)
    except SpinemetsError as exc:
        status, line = exit_status(exc)
        print(f"spinemets: {line}", file=sys.stderr)
        return status
    warnings = [warning] if warning else []
    unknown = unknown_variables(os.environ)
    if unknown:  # named, never their values (a value may be a secret)
        warnings.append(f"{', '.join(unknown)}: not a setting of spinemets (misspelled?); ignored")
    for said in warnings:
        # As a JSON line like the rest; uvicorn installs the logging configuration itself.
        record = log.makeRecord(log.name, logging.WARNING, __file__, 0, said, (), None)
        print(JsonFormatter().format(record), file=sys.stderr)
    # Worker processes build their settings from the environment: give them the overrides.
    for name, value in overrides.items():
        os.environ[f"SPINEMETS_{name.upper()}"] = "true" if value is True else str(value)
    _serve(settings, extensions, factory)
    return 0


_GRACEFUL_SHUTDOWN = 20  # seconds


def _serve(settings: Settings, extensions: Sequence[Extension], factory: str) -> None:
    if settings.workers > 1:
        target: Any = factory
    else:
        from adapter.cds.app import create_app

        target = create_app(settings, extensions=extensions)
    uvicorn.run(
        target,
        factory=settings.workers > 1,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        http=HttpToolsHeadTimeout,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=settings.max_connections,
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
        access_log=False,  # the service writes its own access line (adapter.cds.admission)
        log_config=_log_config(),
        log_level="info",
        lifespan="on",
        # A stop signal waits this long for calls in flight, then closes: bounded, under the
        # 30 s an orchestrator (Kubernetes) gives before it kills.
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,
    )
