"""The process's TLS context for outgoing requests, one for each CA setting.

httpx builds a context for every client it makes, loading the CA bundle (certifi's, or the one
``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` names) each time: ~25 ms of CPU. A SMART page opens a client
for each record it reads, and a CDS worker, sync, and these connections each opened their own. A
context is safe to share between clients and threads once built; a changed CA setting gets a
context of its own, so the environment is read as httpx reads it, at each client; so does a
bundle rewritten in place (a CA rotated by replacing the mounted file): its size and modification
time are part of the key, one ``stat`` a client.

The context is shared: nothing may change it after it is built. A client that needs another TLS
setting (a client certificate, HTTP/2's protocol list) builds a context of its own.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx

__all__ = ["default_tls", "reset"]


@functools.lru_cache(maxsize=8)
def _built(cafile: str | None, capath: str | None, stamp: tuple[int, int] | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # reads the same two variables: certifi otherwise


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None  # missing: httpx's own error, as before, when the context is built
    return found.st_mtime_ns, found.st_size


def default_tls() -> ssl.SSLContext:
    """httpx's default context (certificates and host names verified) for the CA setting now."""
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = None if cafile else os.environ.get("SSL_CERT_DIR") or None
    where = cafile or capath  # certifi's own bundle changes with the package: at a restart
    return _built(cafile, capath, _stamp(where) if where else None)


def reset() -> None:
    """Forget the built contexts (tests that count how often one is built)."""
    _built.cache_clear()
