"""Notification settings (docs/sync.md): half a configuration, unusable storage or an unreachable
Redis queue is refused at start-up in one line; where the queue lives by default."""

from __future__ import annotations

import pytest

from adapter import cli
from adapter.errors import ConfigurationError
from adapter.sync.notify import NotifySettings
from adapter.sync.notify.settings import load_notify_settings
from tests.unit.sync.fakefhir import BASE
from tests.unit.sync.test_notify import SECRET


@pytest.mark.parametrize(
    "env",
    [{"SPINEMETS_FHIR_SERVER": BASE}, {"SPINEMETS_NOTIFY_SECRET": SECRET},
     {"SPINEMETS_FHIR_SERVER": BASE, "SPINEMETS_NOTIFY_SECRET": "short"}],
)  # fmt: skip
def test_half_configured_notifications_are_refused(monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError):
        load_notify_settings()


def test_serve_refuses_unusable_notification_storage_with_exit_2(monkeypatch, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("SPINEMETS_FHIR_SERVER", BASE)
    monkeypatch.setenv("SPINEMETS_NOTIFY_SECRET", SECRET)
    monkeypatch.setenv("SPINEMETS_NOTIFY_DB", str(tmp_path / "file" / "n.sqlite3"))
    assert cli.main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "notification queue" in err


@pytest.mark.parametrize(
    ("extra", "says"),
    [({"notify_redis_url": "http://redis.example.org"}, "redis://"),
     ({"notify_redis_url": "redis://127.0.0.1/0", "notify_db": "/tmp/n.sqlite3"}, "not both")],
)  # fmt: skip
def test_unusable_redis_settings_are_refused(extra, says):
    with pytest.raises(ConfigurationError, match=says):
        load_notify_settings(fhir_server=BASE, notify_secret=SECRET, **extra)


def test_serve_refuses_an_unreachable_redis_queue_with_exit_2(monkeypatch, capsys):
    monkeypatch.delenv("SPINEMETS_NOTIFY_DB", raising=False)
    monkeypatch.setenv("SPINEMETS_FHIR_SERVER", BASE)
    monkeypatch.setenv("SPINEMETS_NOTIFY_SECRET", SECRET)
    monkeypatch.setenv("SPINEMETS_NOTIFY_REDIS_URL", "redis://:hunter2@127.0.0.1:9/0")
    assert cli.main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "spinemets: notification queue (Redis): ConnectionError\n"


def test_the_queue_lives_in_the_state_directory_or_beside_the_feedback_database(
    monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    for name in ("SPINEMETS_NOTIFY_DB", "SPINEMETS_STATE_DIR", "SPINEMETS_FEEDBACK_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    settings = NotifySettings(fhir_server=BASE, notify_secret=SECRET)
    assert settings.database == tmp_path / "state" / "spinemets" / "notifications.sqlite3"
    assert (
        NotifySettings(fhir_server=BASE, notify_secret=SECRET, state_dir=tmp_path / "s").database
        == tmp_path / "s" / "notifications.sqlite3"
    )
    beside = NotifySettings(
        fhir_server=BASE, notify_secret=SECRET, feedback_db=tmp_path / "d" / "f.sqlite3"
    )
    assert beside.database == tmp_path / "d" / "notifications.sqlite3"
