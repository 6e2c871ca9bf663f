"""``spinemets serve`` as real processes on loopback: one unconfigured, workers and replicas
sharing the replay cache, slow clients, storage it cannot use."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

import httpx
import pytest

from tests.integration.serve_process import PUBLIC, clean_env, command, secured_env, serving
from tests.redis_server import redis_server
from tests.unit.cds.conftest import Keys, patient_view

pytestmark = pytest.mark.integration


def test_discovery_and_patient_view_keeping_state_out_of_the_working_directory(tmp_path):
    env = clean_env()
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    work = tmp_path / "work"
    work.mkdir()
    log = tmp_path / "serve.log"
    with (
        serving(env, work, log=log) as (base, _),
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        services = client.get("/cds-services").json()["services"]
        assert [s["id"] for s in services] == [
            "spinemets-scores",
            "spinemets-procedure-check",
            "spinemets-procedure-check-select",
        ]
        response = client.post("/cds-services/spinemets-scores", json=patient_view())
        assert response.status_code == 200
        assert response.json()["cards"][0]["summary"].startswith("T12 fixed on 22 May 2024")
    assert "no trusted CDS client issuer configured" in log.read_text()  # the start-up warning
    assert list(work.iterdir()) == []  # nothing written where the service was started
    assert (tmp_path / "state" / "spinemets" / "feedback.sqlite3").exists()


def _tokens(keys: Keys, n: int) -> list[str]:
    return [keys.token(f"{PUBLIC}/cds-services") for _ in range(n)]


def _status(base: str, token: str) -> int:
    # A fresh connection per request, so the kernel may hand each to any worker.
    with httpx.Client(base_url=base, timeout=20) as client:
        return client.get("/cds-services", headers={"Authorization": f"Bearer {token}"}).status_code


def test_workers_refuse_a_token_replayed_to_any_of_them(tmp_path):
    keys = Keys()
    env = secured_env(keys, tmp_path, state_dir=str(tmp_path / "state"))
    with serving(env, tmp_path, "--workers", "2") as (base, _):
        tokens = _tokens(keys, 20)
        assert [_status(base, t) for t in tokens] == [200] * 20
        assert [_status(base, t) for t in tokens] == [401] * 20


def test_replicas_on_one_host_share_the_replay_cache_through_sqlite(tmp_path):
    keys = Keys()
    env = secured_env(keys, tmp_path, state_dir=str(tmp_path / "state"))
    with serving(env, tmp_path) as (first, _), serving(env, tmp_path) as (second, _):
        for token in _tokens(keys, 3):
            assert (_status(first, token), _status(second, token)) == (200, 401)


def test_replicas_on_several_hosts_share_the_replay_cache_through_redis(tmp_path):
    keys = Keys()
    with redis_server(tmp_path) as url:
        envs = [
            secured_env(keys, tmp_path, state_dir=str(tmp_path / name), replay_redis_url=url)
            for name in ("host-a", "host-b")
        ]
        with serving(envs[0], tmp_path) as (first, _), serving(envs[1], tmp_path) as (second, _):
            for token in _tokens(keys, 3):
                assert (_status(first, token), _status(second, token)) == (200, 401)
    assert not (tmp_path / "host-a" / "replay.sqlite3").exists()  # Redis, not the file


def _read_until_closed(sock: socket.socket, limit: float) -> bytes:
    sock.settimeout(limit)
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_a_slow_request_head_is_cut_off_and_a_huge_one_refused(tmp_path):
    env = clean_env(state_dir=str(tmp_path / "state"), header_timeout="1", max_header_bytes="2048")
    with serving(env, tmp_path) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(b"GET /cds-services HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            assert _read_until_closed(slow, 30) == b""  # closed by the server, nothing sent
        with socket.create_connection(("127.0.0.1", port)) as huge:
            huge.sendall(b"GET /cds-services HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4096)
            assert _read_until_closed(huge, 30).startswith(b"HTTP/1.1 400")
        with httpx.Client(base_url=base) as client:  # and the server still serves
            assert client.get("/cds-services").status_code == 200


def _read_only_serve(state: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    serve = [*command(), "serve", "--port", "0"]
    if os.geteuid() == 0:
        # Root writes through file modes: make the directory a read-only mount instead.
        if shutil.which("unshare") is None:
            pytest.fail("unshare (util-linux) is needed to test read-only storage as root")
        script = f'mount --bind -o ro "{state}" "{state}" && exec "$@"'
        serve = ["unshare", "-m", "sh", "-c", script, "sh", *serve]
    else:
        os.chmod(state, 0o555)
    return subprocess.run(serve, env=env, capture_output=True, text=True, check=False, timeout=60)


def test_read_only_storage_stops_start_up_with_exit_2_and_one_line(tmp_path):
    state = tmp_path / "state"
    env = clean_env(state_dir=str(state))
    with serving(env, tmp_path):  # creates the database, then stops
        pass
    run = _read_only_serve(str(state), env)
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert "spinemets: feedback database" in run.stderr
