"""``spinemets serve`` as an operator meets it: a busy port, unusable limits, JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import socket

import pytest

from adapter.cds.serve import _log_config, run


@pytest.fixture
def busy_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_a_busy_port_exits_2_with_one_line(busy_port, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPINEMETS_STATE_DIR", str(tmp_path))
    assert run(port=busy_port) == 2
    err = capsys.readouterr().err
    assert err == f"spinemets: cannot listen on 127.0.0.1:{busy_port}: Address already in use\n"


def test_unusable_input_limits_exit_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPINEMETS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("SPINEMETS_MAX_LINE_BYTES", "12")
    from adapter.fhir.read.shape import input_limits

    input_limits.cache_clear()
    try:
        assert run(port=0) == 2
    finally:
        input_limits.cache_clear()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SPINEMETS_MAX_LINE_BYTES: must be between" in err


def test_the_log_configuration_writes_json_and_keeps_full_urls_out(monkeypatch):
    stream = io.StringIO()
    config = _log_config()
    config["handlers"]["json"]["stream"] = stream
    del config["handlers"]["json"]["class"]
    config["handlers"]["json"]["()"] = lambda stream: logging.StreamHandler(stream)
    config["handlers"]["json"]["stream"] = stream
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logging.config.dictConfig(config)
        logging.getLogger("httpx").info("HTTP Request: GET https://u:p@h/Condition?patient=1")
        logging.getLogger("uvicorn.access").info("127.0.0.1 - GET /x?patient=1 200")
        logging.getLogger("spinemets.cds").warning("fhirServer https://u:pw@h/r4?patient=1")
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])
        for name in (
            "spinemets",
            "httpx",
            "httpcore",
            "uvicorn",
            "uvicorn.error",
            "uvicorn.access",
        ):
            logging.getLogger(name).setLevel(logging.NOTSET)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1  # the HTTP client's and uvicorn's access lines are below the level
    entry = json.loads(lines[0])
    assert entry["level"] == "warning" and entry["logger"] == "spinemets.cds"
    assert entry["message"] == "fhirServer https://***@h/r4?…"
