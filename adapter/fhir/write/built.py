"""An output resource with the fullUrl it is known by in Bundles, and how that fullUrl is made."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["Built", "full_url", "uuid5_text"]

_URN_NAMESPACE = uuid.UUID("5b0e7e0c-3f7a-4c52-9d0b-8f3c2a1d6e41")
_NAMESPACE_BYTES = _URN_NAMESPACE.bytes


class Built:
    """One output resource and the fullUrl it is known by in Bundles.

    :meth:`later` builds it when first read: a CDS call shows a few of the outputs the pipeline
    can give (the cards of hidden tools and the Provenance are never read there), while ``score``
    and ``sync`` write them all. The builders are pure, so when it is built changes nothing.
    """

    __slots__ = ("_made", "_make")

    def __init__(self, resource: dict[str, Any], full_url: str) -> None:
        self._made: tuple[dict[str, Any], str] | None = (resource, full_url)
        self._make: Callable[[], Built] | None = None

    @classmethod
    def later(cls, make: Callable[[], Built]) -> Built:
        built = cls.__new__(cls)
        built._made, built._make = None, make
        return built

    def _get(self) -> tuple[dict[str, Any], str]:
        made = self._made
        if made is None:
            assert self._make is not None  # one of the two is always set
            made = self._made = self._make()._get()
            self._make = None
        return made

    def build(self) -> Built:
        """Itself, built now: for a caller that must pay the cost where it stands (a thread)."""
        self._get()
        return self

    @property
    def resource(self) -> dict[str, Any]:
        return self._get()[0]

    @property
    def full_url(self) -> str:
        return self._get()[1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Built) and self._get() == other._get()

    __hash__ = None  # type: ignore[assignment]  # holds a dict: as unhashable as the dataclass was

    def __repr__(self) -> str:
        return f"Built({self.full_url!r})" if self._made else "Built(not yet built)"


def full_url(resource_type: str, identifier: str) -> str:
    """``urn:uuid:`` + the UUIDv5 of type and identifier (RFC 4122 §4.3, as ``uuid.uuid5``)."""
    return "urn:uuid:" + uuid5_text(_NAMESPACE_BYTES, f"{resource_type}|{identifier}")


def uuid5_text(namespace: bytes, name: str) -> str:
    """The text of ``uuid.uuid5(UUID(bytes=namespace), name)``, computed from the SHA-1 digest:
    ``uuid.UUID`` objects cost a tenth of a bulk run's build step, and only their text is used."""
    digest = bytearray(
        hashlib.sha1(  # UUIDv5 is defined on SHA-1: an id, not a security use
            namespace + name.encode(), usedforsecurity=False
        ).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
