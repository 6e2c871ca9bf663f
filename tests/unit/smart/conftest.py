"""The SMART app's tests run their async tests on asyncio (the app's event loop)."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
