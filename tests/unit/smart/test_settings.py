"""The app's settings and what its access log keeps."""

from __future__ import annotations

import logging

import pytest

from adapter.errors import ConfigurationError
from adapter.smart.settings import smart_settings
from adapter.smart.state import _QueryRedaction


def test_the_app_is_off_without_a_public_base_url(monkeypatch):
    monkeypatch.delenv("SPINEMETS_PUBLIC_BASE_URL", raising=False)
    assert not smart_settings().enabled


def test_a_prefix_in_the_public_base_url_is_the_apps_path(monkeypatch):
    monkeypatch.setenv("SPINEMETS_PUBLIC_BASE_URL", "https://ehr.example.org/spinemets/")
    monkeypatch.setenv(
        "SPINEMETS_SMART_FHIR_SERVERS", "https://fhir.example.org/r4/, http://127.0.0.1:8090/fhir"
    )
    settings = smart_settings()
    assert settings.root == "/spinemets/smart" and settings.secure_cookies
    assert settings.redirect_uri == "https://ehr.example.org/spinemets/smart/callback"
    assert settings.smart_fhir_servers == (
        "https://fhir.example.org/r4",
        "http://127.0.0.1:8090/fhir",
    )


def test_a_plain_http_fhir_server_elsewhere_is_refused_in_one_line(monkeypatch):
    monkeypatch.setenv("SPINEMETS_SMART_FHIR_SERVERS", "http://fhir.example.org/r4")
    with pytest.raises(ConfigurationError, match="must be https") as caught:
        smart_settings()
    assert "\n" not in str(caught.value)


def test_the_access_log_keeps_the_path_without_the_query():
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", "/smart/callback?code=secret&state=s", "1.1", 303),
                               None)  # fmt: skip
    assert _QueryRedaction().filter(record)
    assert "secret" not in record.getMessage() and "/smart/callback HTTP" in record.getMessage()
