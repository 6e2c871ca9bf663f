"""The process's TLS context for outgoing requests, one for each CA setting.

httpx builds a context for every client it makes, loading the CA bundle (certifi's, or the one
``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` names) each time: ~25 ms of CPU. A SMART page opens a client
for each record it reads, and a CDS worker, sync, and these connections each opened their own. A
context is safe to share between clients and threads once built; a changed CA setting gets a
context of its own, so the environment is read as httpx reads it, at each client.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx

__all__ = ["default_tls", "reset"]


@functools.cache
def _built(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # reads the same two variables: certifi otherwise


def default_tls() -> ssl.SSLContext:
    """httpx's default context (certificates and host names verified) for the CA setting now."""
    return _built(os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None)


def reset() -> None:
    """Forget the built contexts (tests that count how often one is built)."""
    _built.cache_clear()
