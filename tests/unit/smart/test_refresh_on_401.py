"""A FHIR server that refuses the access token (401) before the token's known expiry — revoked,
or its lifetime shortened by the server — gets one more try: while the session holds a refresh
token the app refreshes it once and sends the read or the save again, once. A refused refresh,
or a second 401, is the 401 page as before; a save refused with 401 was not stored, so sending it
again stores it once; two requests refused at once spend the refresh token once."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.support.smart_app import launch_server, launched, save_sins, token_requests

pytestmark = pytest.mark.anyio


def _revoke(smart, token) -> None:
    del smart.tokens[token]  # the server no longer takes it, the app still thinks it valid


def _refresh_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "spinemets.smart"]


def _no_token_in(text: str, *tokens: str | None) -> None:
    for token in tokens:
        assert token is not None and token not in text


async def test_a_read_refused_401_is_read_again_after_one_refresh(monkeypatch, caplog):
    smart = launch_server()
    signed = await launched(smart, monkeypatch)
    session = signed.session
    old, old_refresh = session.access_token, session.refresh_token
    _revoke(smart, old)
    exchanged = token_requests(signed.app)
    caplog.clear()  # the launch's own lines
    with caplog.at_level(logging.INFO, "spinemets"):
        page = await signed.client.get("/smart/")
    await signed.client.aclose()
    assert page.status_code == 200, page.text
    new = session.access_token
    assert new != old and new in smart.tokens
    assert signed.fhir.reads == [old, new]  # refused once, then read with the new token
    assert token_requests(signed.app) == exchanged + 1
    [line] = _refresh_lines(caplog)
    assert "Patient/p1" in line and "401" in line
    _no_token_in(caplog.text, old, new, old_refresh, session.refresh_token)


async def test_a_save_refused_401_is_sent_again_once_and_stored_once(monkeypatch):
    smart = launch_server()
    signed = await launched(smart, monkeypatch)
    session, old = signed.session, signed.session.access_token

    async def revoke_at_the_write(call: str, token: str | None) -> None:
        if call == "write" and token == old:  # revoked while the form was being filled in
            _revoke(smart, old)

    signed.fhir.before = revoke_at_the_write
    exchanged = token_requests(signed.app)
    saved = await save_sins(signed.client, session)
    await signed.client.aclose()
    assert saved.status_code == 200, saved.text
    assert "Saved to the record" in saved.text
    assert signed.fhir.refused == [("write", old)]  # refused, so not stored
    [(used, bundle)] = signed.written  # stored once, with the new token
    assert used == session.access_token != old
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("QuestionnaireResponse") == 1
    assert token_requests(signed.app) == exchanged + 1


async def test_a_refused_refresh_after_a_401_gives_the_401_page(monkeypatch, caplog):
    smart = launch_server()
    signed = await launched(smart, monkeypatch)
    session = signed.session
    old, old_refresh = session.access_token, session.refresh_token
    _revoke(smart, old)
    smart.refresh_tokens.clear()  # the user signed out of the EHR
    exchanged = token_requests(signed.app)
    caplog.clear()  # the launch's own lines
    with caplog.at_level(logging.INFO, "spinemets"):
        page = await signed.client.get("/smart/")
    again = await signed.client.get("/smart/")
    await signed.client.aclose()
    assert page.status_code == 401 and "launch again" in page.text
    assert again.status_code == 401
    assert session.refresh_token is None  # dropped: not tried on every request
    assert token_requests(signed.app) == exchanged + 1
    assert smart.refusals == ["unknown or spent refresh_token"]
    [line] = _refresh_lines(caplog)
    assert "Patient/p1" in line
    _no_token_in(caplog.text, old, old_refresh)


async def test_a_save_whose_refresh_is_refused_comes_back_with_the_entries(monkeypatch):
    smart = launch_server()
    signed = await launched(smart, monkeypatch)
    session, old = signed.session, signed.session.access_token

    async def revoke_at_the_write(call: str, token: str | None) -> None:
        if call == "write":
            _revoke(smart, old)
            smart.refresh_tokens.clear()

    signed.fhir.before = revoke_at_the_write
    refused = await save_sins(signed.client, session)
    await signed.client.aclose()
    assert refused.status_code == 401
    text = refused.text
    assert "Not saved" in text and "launch again" in text and "kept below" in text
    assert 'value="mechanical" checked' in text and 'value="lytic" checked' in text
    assert signed.written == [] and signed.fhir.refused == [("write", old)]


@pytest.mark.parametrize("call", ["read", "write"])
async def test_a_retry_refused_401_again_gives_the_401_page_after_one_refresh(monkeypatch, call):
    smart = launch_server()
    signed = await launched(smart, monkeypatch)
    session = signed.session

    async def revoke_every_token(kind: str, token: str | None) -> None:
        if kind == call:  # the server takes no token for this call, not even a new one
            smart.tokens.clear()

    signed.fhir.before = revoke_every_token
    exchanged = token_requests(signed.app)
    answer = (
        await signed.client.get("/smart/")
        if call == "read"
        else await save_sins(signed.client, session)
    )
    await signed.client.aclose()
    assert answer.status_code == 401 and "launch again" in answer.text
    assert [c for c, _ in signed.fhir.refused] == [call, call]  # tried twice, not more
    assert signed.written == []
    assert token_requests(signed.app) == exchanged + 1


async def test_two_requests_refused_at_once_spend_the_refresh_token_once(monkeypatch):
    smart = launch_server()  # refresh tokens are rotated: spending one twice is refused
    signed = await launched(smart, monkeypatch)
    session, old = signed.session, signed.session.access_token
    _revoke(smart, old)
    both_sent = asyncio.Barrier(2)

    async def hold_the_old_token(call: str, token: str | None) -> None:
        if token == old:  # both requests reach the server with the old token
            await asyncio.wait_for(both_sent.wait(), 5)

    signed.fhir.before = hold_the_old_token
    exchanged = token_requests(signed.app)
    pages = await asyncio.gather(signed.client.get("/smart/"), signed.client.get("/smart/"))
    await signed.client.aclose()
    assert [p.status_code for p in pages] == [200, 200], [p.text for p in pages]
    assert token_requests(signed.app) == exchanged + 1
    assert smart.refusals == []  # the rotated refresh token was not spent a second time
    new = session.access_token
    assert sorted(signed.fhir.reads, key=str) == sorted([old, old, new, new], key=str)
