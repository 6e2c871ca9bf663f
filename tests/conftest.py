import pytest
from hypothesis import settings

# Timing is measured in bench/, never in tests: no per-example deadline on a shared machine.
# ./scripts/test runs the full profile; a bare pytest (the unit tier's quick feedback) fewer
# examples. Tests that set max_examples themselves keep their own count in both.
settings.register_profile("full", deadline=None, max_examples=150)
settings.register_profile("quick", deadline=None, max_examples=40)
settings.load_profile("quick")  # pytest --hypothesis-profile=full overrides this


@pytest.fixture(autouse=True)
def _private_state(tmp_path_factory, monkeypatch):
    """Every test's state (audit trail, databases) in a directory of its own, never in the
    home directory of whoever runs the tests."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
