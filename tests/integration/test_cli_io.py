"""The command line when the machine is unkind: full disks, unreadable files, closed pipes.

Each case runs the real console entry point in its own process: a failed write to standard
output surfaces when the interpreter flushes, which only a real process shows.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # each case starts a process of its own
ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "seed" / "seed-07.json"
COMMAND = [sys.executable, "-m", "adapter.cli", "score"]


def _one_line(run: subprocess.CompletedProcess[bytes]) -> str:
    err = run.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err and "Exception" not in err, err
    return err


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_writing_to_a_full_device_exits_1_with_one_line(fmt):
    with open("/dev/full", "wb") as full:
        run = subprocess.run(
            [*COMMAND, str(SEED), "--format", fmt], stdout=full, stderr=subprocess.PIPE,
            check=False,
        )  # fmt: skip
    assert run.returncode == 1
    assert "cannot write standard output (No space left on device)" in _one_line(run)


def _small_files() -> None:
    # Files may not grow past 4 KiB: as a full TMPDIR would, the spool of stdin fails to grow.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_stdin_that_cannot_be_spooled_exits_2_with_one_line(tmp_path):
    run = subprocess.run(
        [*COMMAND, "-"], input=SEED.read_bytes(), capture_output=True, check=False,
        preexec_fn=_small_files,
        # No bytecode writes: under the limit they would leave truncated .pyc files behind.
        env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    assert run.returncode == 2
    assert "cannot read the input (File too large" in _one_line(run)


@pytest.mark.parametrize("kind", ["directory", "missing", "no-permission"])
def test_unreadable_input_exits_2_with_one_line(tmp_path, kind):
    import os

    path = tmp_path / "input"
    if kind == "directory":
        path.mkdir()
    elif kind == "no-permission":
        path.write_bytes(b"")  # root may read it anyway: then it is empty, unusable input
        os.chmod(path, 0)
    run = subprocess.run([*COMMAND, str(path)], capture_output=True, check=False)
    assert run.returncode == 2
    assert "unusable input" in _one_line(run)


def test_a_closed_pipe_is_not_a_failure():
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    run = subprocess.run(
        [*COMMAND, str(SEED)], stdout=reader.stdin, stderr=subprocess.PIPE, check=False
    )
    reader.stdin.close()
    assert len(reader.stdout.read()) == 10
    reader.stdout.close()
    reader.wait(10)
    assert run.returncode == 0 and run.stderr == b""


def test_the_wrapper_reads_and_writes_relative_to_the_callers_directory(tmp_path):
    # scripts/spinemets is the README's way in; a path the caller types is the caller's, not the
    # repository's: an input next to the caller is found and nothing lands in the repository.
    (tmp_path / "mine.json").write_bytes(SEED.read_bytes())
    run = subprocess.run(
        [str(ROOT / "scripts" / "spinemets"), "score", "mine.json", "--format", "html", "--output", "out.html"],
        cwd=tmp_path, capture_output=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr.decode()
    assert (tmp_path / "out.html").stat().st_size > 0
    assert not (ROOT / "out.html").exists()


def test_stdin_and_console_script_never_show_a_traceback():
    run = subprocess.run(
        [sys.executable, "-m", "adapter.cli", "score", "-", "--now", "2025-01-01T00:00:00Z"],
        input=SEED.read_bytes(), capture_output=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0 and json.loads(run.stdout)["type"] == "collection"
    bad = subprocess.run(
        [sys.executable, "-m", "adapter.cli", "score", "-"],
        input=b"\x00\x01",
        capture_output=True,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.count(b"\n") == 1 and b"Traceback" not in bad.stderr


def test_score_does_not_load_the_plotting_and_statistics_libraries():
    code = (
        "import sys; from adapter import cli; "
        f"cli.main(['score', {str(SEED.parent / 'seed-03.json')!r}, '--no-validate']); "
        "heavy = [m for m in ('matplotlib', 'scipy', 'statsmodels', 'pandas', 'numpy') if m in sys.modules]; "
        "sys.stderr.write(repr(heavy))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stderr.strip() == "[]"
