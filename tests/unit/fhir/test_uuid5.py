"""The UUIDv5 text of output fullUrls and card uuids is the standard library's, byte for byte."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from adapter.cds.cards import card_uuid
from adapter.fhir.write.built import full_url, uuid5_text

NAMESPACE = uuid.UUID("5b0e7e0c-3f7a-4c52-9d0b-8f3c2a1d6e41")


@given(st.text(max_size=40), st.uuids())
def test_uuid5_text_is_uuid5(name, namespace):
    assert uuid5_text(namespace.bytes, name) == str(uuid.uuid5(namespace, name))


def test_full_url_and_card_uuid_keep_their_values():
    # Fixed values: a change here changes every written fullUrl and every card uuid.
    assert full_url("Observation", "SINS-T12-abc") == "urn:uuid:" + str(
        uuid.uuid5(NAMESPACE, "Observation|SINS-T12-abc")
    )
    card = uuid.UUID("0f5d7c1e-6a0b-5b7e-9c35-2d4c6e8a1b93")
    assert card_uuid("hook-1", "SINS") == str(uuid.uuid5(card, "hook-1|SINS"))
