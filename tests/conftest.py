import functools
import os
import ssl
from collections.abc import Iterator

import httpx
import httpx._transports.default as httpx_transports
import pytest
from hypothesis import settings

# Timing is measured in bench/, never in tests: no per-example deadline on a shared machine.
# ./scripts/test runs the full profile; a bare pytest (the unit tier's quick feedback) fewer
# examples. Tests that set max_examples themselves keep their own count in both.
settings.register_profile("full", deadline=None, max_examples=150)
settings.register_profile("quick", deadline=None, max_examples=40)
settings.load_profile("quick")  # pytest --hypothesis-profile=full overrides this

# An app in process shares its event loop with the test's own synchronous work (scoring,
# rendering, generating examples), which admission would read as a worker running behind; set
# before any fixture builds an app. tests/unit/cds/test_lag.py sets the bound it tests.
os.environ["SPINEMETS_MAX_QUEUE_MS"] = "60000"


@pytest.fixture(autouse=True)
def _private_state(tmp_path_factory, monkeypatch):
    """Every test's state (audit trail, databases) in a directory of its own, never in the
    home directory of whoever runs the tests."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@functools.cache
def _default_tls(trust_env: bool, cafile: str | None, capath: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=trust_env)  # reads the same two variables


def _shared_default_tls(
    verify: ssl.SSLContext | str | bool = True, cert: object = None, trust_env: bool = True
) -> ssl.SSLContext:
    """httpx's default TLS context, built once for each CA setting (SSL_CERT_FILE, SSL_CERT_DIR):
    loading the CA bundle costs ~20-50 ms a client, and every in-process app opens several. Any
    other TLS setting is built as httpx builds it."""
    if verify is True and cert is None:
        return _default_tls(
            trust_env, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
        )
    return httpx.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _one_default_tls_context() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx_transports, "create_ssl_context", _shared_default_tls)
        yield
