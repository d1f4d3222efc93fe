"""The body guard at the ASGI level: what it cuts, what it must leave alone (issue 8 item 7)."""

import asyncio
import json
import threading

from noxus_local.api.body_guard import BodyRules, body_guard


async def reading_app(scope, receive, send):
    while (await receive()).get("more_body", False):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def scope(length: int) -> dict:
    return {"type": "http", "method": "POST", "headers": [(b"content-length", str(length).encode())],
            "state": {"request_id": "req_unit"}}


def call(app, scope_, messages, delays):
    """Run one request; message i arrives after delays[i] seconds. Returns (status, body, headers)."""
    sent = []

    async def receive():
        if not messages:
            await asyncio.sleep(3600)
        await asyncio.sleep(delays.pop(0))
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(scope_, receive, send), 10))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body) if body else None, dict(start["headers"])


def test_a_stalled_read_is_answered_408_even_when_the_app_lets_the_error_escape():
    app = body_guard(reading_app, BodyRules(0.3, 4, "en"), threading.Event())
    msgs = [{"type": "http.request", "body": b"x" * 10, "more_body": True}]
    status, body, headers = call(app, scope(100_000), msgs, [0.0])
    assert (status, body["error_code"], body["request_id"]) == (408, "request_timeout", "req_unit")
    assert headers[b"connection"] == b"close"


def test_a_slow_but_steady_body_is_not_cut_and_waiting_for_disconnect_after_it_never_times_out():
    async def app_that_waits_for_disconnect(scope_, receive, send):
        while (await receive()).get("more_body", False):
            pass
        assert (await receive())["type"] == "http.disconnect"  # arrives 0.8 s later: not a stall
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = body_guard(app_that_waits_for_disconnect, BodyRules(0.5, 4, "en"), threading.Event())
    msgs = [{"type": "http.request", "body": b"x", "more_body": True} for _ in range(4)]
    msgs += [{"type": "http.request", "body": b"x", "more_body": False}, {"type": "http.disconnect"}]
    # 5 reads 0.3 s apart: 1.5 s in all, three times the timeout, never 0.5 s without a byte
    assert call(app, scope(5), msgs, [0.3] * 5 + [0.8])[0] == 204


def test_the_upload_slot_is_free_again_once_the_body_is_read():
    rules = BodyRules(5, 1, "en")
    app = body_guard(reading_app, rules, threading.Event())
    for _ in range(3):  # one at a time: each finds the slot free
        msgs = [{"type": "http.request", "body": b"x" * 70_000, "more_body": False}]
        assert call(app, scope(70_000), msgs, [0.0])[0] == 204
    assert rules.active_uploads == 0


def test_the_stop_signal_cuts_a_pending_read_with_shutting_down():
    stopping = threading.Event()
    app = body_guard(reading_app, BodyRules(30, 4, "en"), stopping)
    threading.Timer(0.3, stopping.set).start()
    status, body, headers = call(app, scope(100_000), [], [])
    assert (status, body["error_code"]) == (503, "shutting_down") and int(headers[b"retry-after"]) > 0
