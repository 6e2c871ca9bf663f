"""Start-up checks and settings from the environment."""

from __future__ import annotations

import pytest

from adapter.cds.serve import check_binding, is_loopback, run
from adapter.cds.settings import Issuer, Settings, load_settings
from adapter.errors import ConfigurationError


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.0.0.2", True),
     ("0.0.0.0", False), ("10.0.0.1", False), ("example.org", False)],
)  # fmt: skip
def test_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_unauthenticated_only_on_loopback_or_insecure():
    assert "loopback" in check_binding(Settings(host="127.0.0.1"))
    with pytest.raises(ConfigurationError, match="non-loopback"):
        check_binding(Settings(host="0.0.0.0"))
    assert "insecure" in check_binding(Settings(host="0.0.0.0", insecure=True))
    issuer = Issuer(iss="https://ehr.example.org", jwks_url="https://ehr.example.org/jwks")
    public = "https://cds.example.org"
    assert (
        check_binding(Settings(host="0.0.0.0", issuers=(issuer,), public_base_url=public)) is None
    )


def test_serve_refuses_a_public_binding_with_exit_2(capsys):
    assert run(host="0.0.0.0", port=0) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refusing" in err


def test_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEMETS_CORS_ORIGINS", "https://a.example.org, https://b.example.org")
    monkeypatch.setenv("SPINEMETS_SYSTEM_ACTIONS", "true")
    monkeypatch.setenv("SPINEMETS_FEEDBACK_DB", str(tmp_path / "f.sqlite3"))
    monkeypatch.setenv("SPINEMETS_PUBLIC_BASE_URL", "https://cds.example.org/")
    monkeypatch.setenv(
        "SPINEMETS_ISSUERS",
        '[{"iss": "https://ehr.example.org", "jwks_url": "https://ehr.example.org/jwks"}]',
    )
    settings = load_settings(port=9000)
    assert settings.cors_origins == ("https://a.example.org", "https://b.example.org")
    assert settings.system_actions and settings.port == 9000
    assert settings.issuers[0].iss == "https://ehr.example.org"
    assert settings.public_base_url == "https://cds.example.org"
    assert settings.feedback_path == tmp_path / "f.sqlite3"


@pytest.mark.parametrize(
    ("name", "value"),
    [("SPINEMETS_ISSUERS", "[{not json"), ("SPINEMETS_ISSUERS", '[{"iss": "x"}]'),
     ("SPINEMETS_PORT", "seventy"), ("SPINEMETS_PUBLIC_BASE_URL", "ftp://x")],
)  # fmt: skip
def test_bad_settings_are_a_configuration_error(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError):
        load_settings()


def test_storage_defaults_to_the_platform_state_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    settings = Settings()
    assert settings.feedback_path == tmp_path / "xdg" / "spinemets" / "feedback.sqlite3"
    assert settings.replay_path == tmp_path / "xdg" / "spinemets" / "replay.sqlite3"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = tmp_path / "home" / ".local" / "state" / "spinemets"
    assert Settings().feedback_path.parent == expected
    assert Settings(state_dir=tmp_path / "s").feedback_path == tmp_path / "s" / "feedback.sqlite3"


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("where", ["/dev/null/spinemets", "/proc/spinemets-state"])
def test_unusable_storage_stops_start_up_with_exit_2(monkeypatch, capsys, where):
    monkeypatch.setenv("SPINEMETS_STATE_DIR", where)
    assert run(port=0) == 2
    assert "feedback database" in _one_line(capsys)


def test_an_unwritable_audit_trail_stops_start_up_with_exit_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("SPINEMETS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("SPINEMETS_AUDIT_FILE", str(tmp_path))  # a directory
    assert run(port=0) == 2
    assert "audit trail" in _one_line(capsys)


def test_an_unreachable_redis_stops_start_up_with_exit_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("SPINEMETS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("SPINEMETS_PUBLIC_BASE_URL", "https://cds.example.org")
    monkeypatch.setenv(
        "SPINEMETS_ISSUERS", '[{"iss": "https://ehr.example.org", "jwks_url": "https://e/jwks"}]'
    )
    monkeypatch.setenv("SPINEMETS_REPLAY_REDIS_URL", "redis://127.0.0.1:9/0")
    assert run(port=0) == 2
    assert "replay cache (Redis)" in _one_line(capsys)


def test_broken_mappings_exit_2_in_every_command(monkeypatch, capsys, tmp_path):
    from adapter import cli
    from adapter.mapping.terminology import default_terminology

    monkeypatch.setenv("SPINEMETS_MAPPINGS", str(tmp_path / "missing"))
    monkeypatch.setenv("SPINEMETS_STATE_DIR", str(tmp_path))
    default_terminology.cache_clear()
    try:
        assert run(port=0) == 2
        assert "mappings" in _one_line(capsys)
        seed = "fixtures/seed/seed-07.json"
        assert cli.main(["score", seed]) == 2
        assert "mappings" in _one_line(capsys)
    finally:
        default_terminology.cache_clear()


def test_shutdown_is_bounded(monkeypatch, tmp_path):
    # Without a graceful-shutdown timeout a stop signal waited on open connections without end
    # (over two minutes seen with a worker still computing): an orchestrator's stop is bounded,
    # under Kubernetes' 30 s before it kills.
    import uvicorn

    import adapter.cds.serve as serve

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: seen.update(kw))
    serve._serve(Settings(host="127.0.0.1", state_dir=tmp_path), (), "adapter.cds.app:factory")
    assert 0 < seen["timeout_graceful_shutdown"] < 30


@pytest.mark.parametrize(
    "name",
    ["SPINEMETS_FHIR_TIMEOUT", "SPINEMETS_FHIR_DEADLINE", "SPINEMETS_JWKS_TIMEOUT",
     "SPINEMETS_BODY_TIMEOUT", "SPINEMETS_HEADER_TIMEOUT", "SPINEMETS_SMART_TIMEOUT",
     "SPINEMETS_NOTIFY_TIMEOUT"],
)  # fmt: skip
@pytest.mark.parametrize("value", ["inf", "1e300", "nan"])
def test_a_timeout_without_end_is_a_configuration_error(monkeypatch, name, value):
    # "inf" turned the deadlines of contract §8 off, and the service started.
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError):
        load_settings()


def test_a_misspelled_variable_is_named_at_start_never_its_value(monkeypatch, capsys, tmp_path):
    # SPINEMETS_MAX_INFLIGHT (for SPINEMETS_MAX_IN_FLIGHT) was ignored without a word: the service
    # ran with the default limit. Now one warning line names it (a value may be a secret).
    import adapter.cds.serve as serve

    monkeypatch.setenv("SPINEMETS_MAX_INFLIGHT", "s3cret-3")
    monkeypatch.setenv("SPINEMETS_CACHE", str(tmp_path))  # the scripts' own: not a typo
    monkeypatch.setenv("SPINEMETS_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(serve, "_serve", lambda *a, **k: None)
    assert serve.run(host="127.0.0.1", port=0) == 0
    err = capsys.readouterr().err
    (line,) = [ln for ln in err.splitlines() if "SPINEMETS_MAX_INFLIGHT" in ln]
    assert "not a setting" in line and "s3cret" not in err and "SPINEMETS_CACHE" not in err


def test_a_setting_written_in_lower_case_is_a_setting():
    # pydantic-settings reads SPINEMETS_fhir_timeout as SPINEMETS_FHIR_TIMEOUT: never "misspelled".
    from adapter.settings import unknown_variables

    env = {"SPINEMETS_fhir_timeout": "5", "spinemets_max_in_flight": "3", "SPINEMETS_NOPE": "1"}
    assert unknown_variables(env) == ["SPINEMETS_NOPE"]
