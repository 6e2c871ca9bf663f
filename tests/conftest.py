import pytest
from hypothesis import settings

# Timing is measured in bench/, never in tests: no per-example deadline on a shared machine.
settings.register_profile("spinemets", deadline=None, max_examples=150)
settings.load_profile("spinemets")


@pytest.fixture(autouse=True)
def _private_state(tmp_path_factory, monkeypatch):
    """Every test's state (audit trail, databases) in a directory of its own, never in the
    home directory of whoever runs the tests."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
