"""The parts of uvicorn's private HTTP protocols that adapter/cds/protocol.py overrides or reads.

uvicorn offers no public hook for a request-head timeout, a head size cap under httptools or the
connection limit's answer, so the service subclasses ``H11Protocol`` and ``HttpToolsProtocol``;
pyproject.toml pins uvicorn to the minor version checked here. A new uvicorn that renames or
reshapes any of these fails this test before it can silently drop a limit.
"""

import inspect
import re
from importlib.metadata import version

import pytest
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from adapter.cds.protocol import H11HeadTimeout, HttpToolsHeadTimeout

PROTOCOLS = (H11Protocol, HttpToolsProtocol)
# Method → its parameters (beyond self), as the mixin calls them through super().
OVERRIDDEN = {
    "connection_made": ["transport"],
    "data_received": ["data"],
    "connection_lost": ["exc"],
    "send_400_response": ["msg"],
}
# Attributes the mixin reads, set by the protocol's __init__ or connection_made.
READ = ("self.transport", "self.loop", "self.cycle", "self.server_state")


def _assigns(source: str, attribute: str) -> bool:
    """Whether ``source`` assigns ``attribute`` (annotated or not)."""
    return re.search(rf"{re.escape(attribute)}\b(: [^=\n]+)? = ", source) is not None


def test_the_pinned_minor_version_is_installed():
    major, minor, *_ = version("uvicorn").split(".")
    assert (int(major), int(minor)) == (0, 54), "re-check adapter/cds/protocol.py, then the pin"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_overridden_methods_keep_their_signatures(protocol):
    for name, parameters in OVERRIDDEN.items():
        method = getattr(protocol, name)
        assert list(inspect.signature(method).parameters)[1:] == parameters, name


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_attributes_read_are_still_set(protocol):
    source = inspect.getsource(protocol.__init__) + inspect.getsource(protocol.connection_made)
    for attribute in READ:
        assert _assigns(source, attribute), attribute
    assert "response_complete" in inspect.getsource(protocol)  # what a finished cycle sets


def test_httptools_still_decides_the_connection_limit_inside_on_headers_complete():
    # HttpToolsHeadTimeout hands it a decision already taken by swapping these two attributes.
    decides = inspect.getsource(HttpToolsProtocol.on_headers_complete)
    for used in ("self.limit_concurrency", "self.connections", "self.tasks", "self.app"):
        assert used in decides, used
    init = inspect.getsource(HttpToolsProtocol.__init__)
    for attribute in ("self.limit_concurrency", "self.app", "self.connections", "self.tasks"):
        assert _assigns(init, attribute), attribute
    assert "self.url" in inspect.getsource(HttpToolsProtocol)


def test_the_subclasses_put_the_mixin_before_uvicorn():
    for ours, theirs in ((H11HeadTimeout, H11Protocol), (HttpToolsHeadTimeout, HttpToolsProtocol)):
        order = ours.__mro__
        assert order.index(theirs) > 1 and order[1].__name__ == "_HeadTimeout"


def test_what_tells_a_request_read_whole_is_still_there():
    # HttpToolsHeadTimeout follows httptools' message end; H11HeadTimeout reads h11's state.
    assert list(inspect.signature(HttpToolsProtocol.on_message_complete).parameters)[1:] == []
    assert _assigns(inspect.getsource(H11Protocol.__init__), "self.conn")
