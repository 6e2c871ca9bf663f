"""``spinemets serve``: start-up checks, then uvicorn.

Without a trusted issuer the service cannot tell a CDS client from anyone else, so it then
serves only on a loopback address (with a warning), unless explicitly told it is insecure.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
from collections.abc import Sequence

import uvicorn

from adapter.cds.app import Extension, create_app
from adapter.cds.settings import Settings, load_settings
from adapter.errors import ConfigurationError, MappingError
from adapter.mapping.terminology import default_terminology

__all__ = ["check_binding", "is_loopback", "run"]

log = logging.getLogger("spinemets.cds")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


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


def run(
    host: str | None = None,
    port: int | None = None,
    insecure: bool = False,
    *,
    extensions: Sequence[Extension] = (),
) -> int:
    """Check the configuration, load the terminology and serve until stopped; the exit code.

    ``extensions`` are mounted beside the CDS services (the command line passes the FHIR
    notifications, which live in adapter.sync).
    """
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if insecure:
        overrides["insecure"] = True
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    try:
        settings = load_settings(**overrides)
        warning = check_binding(settings)
        default_terminology()  # fail before binding when mappings/ is broken
    except (ConfigurationError, MappingError) as exc:
        print(f"spinemets: {exc}", file=sys.stderr)
        return 2
    if warning:
        log.warning(warning)
    uvicorn.run(
        create_app(settings, extensions=extensions),
        host=settings.host,
        port=settings.port,
        access_log=settings.access_log,
        log_level="info",
        lifespan="on",
    )
    return 0
