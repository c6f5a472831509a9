"""ServerBridge answers every request exactly once, bad ones included."""

import json
import threading
import time

import pytest
import zmq

from actors.prestamo import to_gc
from bridges.server import ServerBridge
from common.logs import EventLog
from common.models import reply
from common.reasons import Reason
from tools.cluster import wait_for

LIMIT_BYTES = 1_048_576
DEADLINE_MS = 800


def receive(sock: zmq.Socket, timeout_ms: int = 5000) -> list[bytes]:
    if not sock.poll(timeout_ms, zmq.POLLIN):
        raise AssertionError(f"no reply within {timeout_ms} ms")
    return sock.recv_multipart()


def ask(sock: zmq.Socket, *frames: bytes) -> dict:
    sock.send_multipart(list(frames))
    return json.loads(receive(sock)[-1])


def echo(data, respond) -> None:
    respond(reply(True, None, {"echo": data}))


@pytest.fixture
def serve(endpoint, bridges):
    def launch(handler=echo, **options) -> None:
        bridges.append(
            ServerBridge.launch(
                EventLog("GA"),
                endpoint,
                handler,
                max_bytes=LIMIT_BYTES,
                deadline_ms=DEADLINE_MS,
                **options,
            )
        )

    return launch


@pytest.fixture
def client(endpoint, zsocket) -> zmq.Socket:
    return zsocket(zmq.REQ, connect=endpoint)


BAD_INPUT = {
    "binary garbage": ([b"\x00\xff\xfe garbage"], Reason.BAD_JSON),
    "plain text": ([b"PRESTAR ISBN-0001 u-1"], Reason.BAD_JSON),
    "an empty frame": ([b""], Reason.BAD_JSON),
    "invalid utf-8 in a string": ([b'{"id": "\xff"}'], Reason.BAD_JSON),
    "truncated json": ([b'{"id": "p-1", '], Reason.BAD_JSON),
    "two frames": ([b"{}", b"{}"], Reason.BAD_REQUEST),
    "three frames": ([b"{}", b"", b"{}"], Reason.BAD_REQUEST),
    "a 4 MB frame": ([b"[" + b"1," * 2_000_000 + b"1]"], Reason.TOO_LARGE),
}


@pytest.mark.parametrize("frames, reason", BAD_INPUT.values(), ids=list(BAD_INPUT))
def test_bad_input_is_refused_with_its_reason_and_the_next_request_is_served(
    serve, client, frames, reason
):
    serve()

    refused = ask(client, *frames)
    served = ask(client, b'{"n": 1}')

    assert refused["ok"] is False
    assert refused["reason"] == reason
    assert served == {"ok": True, "reason": None, "metadata": {"echo": {"n": 1}}}


def test_a_request_of_exactly_the_size_limit_is_accepted(serve, client):
    serve()
    body = json.dumps("x" * (LIMIT_BYTES - 2)).encode()

    answer = ask(client, body)

    assert len(body) == LIMIT_BYTES
    assert answer["ok"] is True


def test_refusals_take_the_shape_the_server_was_given(serve, client):
    serve(shape=to_gc)

    answer = ask(client, b"not json")

    assert answer == {"ok": False, "reason": "BAD_JSON", "metadata": {"dueDate": None}}


def test_a_dealer_without_the_empty_delimiter_is_answered_too(serve, endpoint, zsocket):
    serve()
    dealer = zsocket(zmq.DEALER, connect=endpoint)

    dealer.send(b'{"n": 2}')

    assert json.loads(receive(dealer)[-1])["metadata"] == {"echo": {"n": 2}}


def test_a_slow_request_does_not_hold_up_an_independent_one(serve, endpoint, zsocket):
    release = threading.Event()

    def handler(data, respond) -> None:
        if data == "slow":
            later = threading.Thread(
                target=lambda: release.wait(10) and echo(data, respond), daemon=True
            )
            later.start()
        else:
            echo(data, respond)

    serve(handler)
    slow, fast = zsocket(zmq.REQ, connect=endpoint), zsocket(zmq.REQ, connect=endpoint)
    try:
        slow.send(b'"slow"')
        fast_answer = ask(fast, b'"fast"')
        slow_pending = slow.poll(0) == 0
    finally:
        release.set()

    assert fast_answer["metadata"] == {"echo": "fast"}
    assert slow_pending
    assert json.loads(receive(slow)[0])["metadata"] == {"echo": "slow"}


def test_a_request_nobody_answers_gets_timeout_and_a_late_answer_is_dropped(
    serve, client
):
    forgotten = []

    def handler(data, respond) -> None:
        if data == "forget":
            forgotten.append(respond)
        else:
            echo(data, respond)

    serve(handler)
    started = time.monotonic()

    timed_out = ask(client, b'"forget"')
    elapsed_s = time.monotonic() - started
    forgotten[0](reply(True, None, {"late": True}))
    served = ask(client, b'"next"')

    assert timed_out["reason"] == Reason.TIMEOUT
    assert DEADLINE_MS / 1000 - 0.05 <= elapsed_s < DEADLINE_MS / 1000 + 1.0
    assert served["metadata"] == {"echo": "next"}


def test_only_the_first_answer_to_a_request_is_sent(serve, client):
    def handler(data, respond) -> None:
        respond(reply(True, None, {"answer": 1}))
        respond(reply(True, None, {"answer": 2}))

    serve(handler)

    first = ask(client, b"{}")
    second = ask(client, b"{}")

    assert first["metadata"] == second["metadata"] == {"answer": 1}


def test_a_handler_that_raises_gets_internal_error_and_the_server_goes_on(
    serve, client
):
    def handler(data, respond) -> None:
        if data == "boom":
            raise RuntimeError("boom")
        echo(data, respond)

    serve(handler)

    failed = ask(client, b'"boom"')
    served = ask(client, b'"fine"')

    assert failed["reason"] == Reason.INTERNAL_ERROR
    assert served["metadata"] == {"echo": "fine"}


def test_a_raw_server_hands_over_bytes_and_sends_text_as_is(serve, client):
    seen = []

    def handler(data, respond) -> None:
        seen.append(data)
        respond("ok")

    serve(handler, raw=True)

    client.send(b"\xffping")

    assert receive(client) == [b"ok"]
    assert seen == [b"\xffping"]


def test_deeply_nested_json_is_refused_as_bad_json_at_once(serve, client):
    serve()
    started = time.monotonic()

    answer = ask(client, b"[" * 100_000)

    elapsed_s = time.monotonic() - started
    served = ask(client, b'"next"')
    assert answer["reason"] == Reason.BAD_JSON
    assert elapsed_s < DEADLINE_MS / 1000
    assert served["metadata"] == {"echo": "next"}


def test_a_reply_made_in_time_leaves_even_if_the_bridge_runs_late(
    serve, endpoint, zsocket
):
    waiting: list = []

    def handler(data, respond) -> None:
        if data == "first":
            waiting.append(respond)  # answered while the second is handled
            return
        waiting[0](reply(True, None, {"made": "in time"}))
        time.sleep(DEADLINE_MS / 1000 + 0.2)  # the bridge's thread starved
        respond(reply(True, None, {}))

    serve(handler)
    first = zsocket(zmq.REQ, connect=endpoint)
    second = zsocket(zmq.REQ, connect=endpoint)
    first.send(b'"first"')
    wait_for(lambda: waiting, 5, "the first request never reached the handler")
    second.send(b'"second"')

    assert json.loads(receive(first)[-1])["metadata"] == {"made": "in time"}
    assert json.loads(receive(second)[-1])["ok"] is True
