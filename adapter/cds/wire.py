"""A CDS response as the bytes that go out: what ``model_dump_json(exclude_none=True)`` writes.

pydantic serialises a card's ``resource`` (``dict[str, Any]``) by inspecting every value; the
models' own fields, already validated, are read here and orjson writes the whole answer in one
call, a third of the time. Field order, omitted ``None`` fields and the bytes are the same
(``tests/unit/cds/test_wire.py``); what orjson cannot write (an integer beyond 64 bits), or would
write otherwise (a datetime, date or time: orjson writes UTC as "+00:00", pydantic as "Z"), goes
to pydantic as before.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel

__all__ = ["response_json"]


_MODEL = type(BaseModel)  # pydantic's metaclass: a plain type check, not BaseModel's ABC one


def _plain(model: BaseModel) -> dict[str, Any]:
    # A validated model's __dict__ holds every field, in declaration order: the order pydantic
    # writes them in. A None field is left out, as exclude_none does; a None inside a dict field
    # (a resource) is kept, as exclude_none keeps it too.
    out = {key: value for key, value in model.__dict__.items() if value is not None}
    for key, value in out.items():
        kind = type(value)
        if kind is list:
            out[key] = [_plain(v) if isinstance(type(v), _MODEL) else v for v in value]
        elif isinstance(kind, _MODEL):
            out[key] = _plain(value)
    return out


def response_json(response: BaseModel) -> bytes:
    """``response.model_dump_json(exclude_none=True)``, encoded, written by orjson."""
    try:
        # with no default, a passed-through datetime, date or time raises: pydantic writes it
        return orjson.dumps(_plain(response), option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:  # a value orjson does not write alike: pydantic's way
        return response.model_dump_json(exclude_none=True).encode()
