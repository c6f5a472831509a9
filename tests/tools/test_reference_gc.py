"""The reference GC in serial mode: loans through AP, renewals and returns
answered at once and published as one frame, bad input refused."""

from __future__ import annotations

import json
import re
import signal

import pytest
import zmq

from common.clock import add_days
from tests.conftest import wait_until
from tests.processes import spawn, stop, write_env
from tests.tools.conftest import DUE, UNKNOWN, ask, gc_settings


def loan(op_id: str | None = "t-1", code: str = "ISBN-0001", op="PRESTAR"):
    body = {"op": op, "libroCodigo": code, "userId": "u-1"}
    return body if op_id is None else {**body, "id": op_id}


def subscribed(zsocket, gc, topic: str) -> zmq.Socket:
    """A SUB socket that has provably joined: it has seen a probe renewal."""
    sub = zsocket(zmq.SUB, gc.settings.gc_pub_bind)
    sub.setsockopt_string(zmq.SUBSCRIBE, topic)
    client = zsocket(zmq.REQ, gc.settings.gc_bind)
    op = "RENOVAR" if topic == "RENOVACION" else "DEVOLVER"

    def probe_arrived() -> bool:
        ask(client, loan("probe", op=op))
        return sub.poll(50) and bool(sub.recv_multipart())

    wait_until(probe_arrived)
    return sub


def frames_until(sub: zmq.Socket, op_id: str) -> list[list[bytes]]:
    """Every message up to and including the one carrying `op_id`."""
    seen = []
    while not seen or op_id.encode() not in seen[-1][-1]:
        assert sub.poll(5000), f"{op_id} was never published"
        seen.append(sub.recv_multipart())
    return seen


def test_a_loan_is_forwarded_to_ap_and_its_due_date_comes_back(
    start_gc, fake_ap, zsocket
):
    gc = start_gc()
    client = zsocket(zmq.REQ, gc.settings.gc_bind)

    reply = ask(client, loan("t-1"))

    assert reply == {
        "status": "OK",
        "id": "t-1",
        "op": "PRESTAR",
        "dueDate": DUE,
        "reason": None,
    }
    assert fake_ap.requests == [
        {"id": "t-1", "libroCodigo": "ISBN-0001", "userId": "u-1"}
    ]


def test_a_loan_refused_by_ap_carries_ap_s_reason(start_gc, zsocket):
    client = zsocket(zmq.REQ, start_gc().settings.gc_bind)

    reply = ask(client, loan("t-2", UNKNOWN))

    assert (reply["status"], reply["reason"], reply["dueDate"]) == (
        "ERROR",
        "UNKNOWN_BOOK",
        None,
    )


def test_a_request_without_an_id_gets_one_named_after_the_site(
    start_gc, fake_ap, zsocket
):
    client = zsocket(zmq.REQ, start_gc().settings.gc_bind)

    reply = ask(client, loan(None))

    assert re.fullmatch(r"A-[0-9a-f]{12}", reply["id"])
    assert fake_ap.requests[0]["id"] == reply["id"]


def test_a_renewal_is_answered_at_once_and_published_as_one_frame(
    start_gc, fake_ap, zsocket, clock
):
    gc = start_gc()
    sub = subscribed(zsocket, gc, "RENOVACION")
    client = zsocket(zmq.REQ, gc.settings.gc_bind)

    reply = ask(client, loan("t-renew", op="RENOVAR"))
    ask(client, loan("t-after", op="RENOVAR"))
    published = frames_until(sub, "t-after")

    assert reply == {
        "status": "OK",
        "id": "t-renew",
        "op": "RENOVAR",
        "dueDate": None,
        "reason": None,
    }
    ours = [m for m in published if b'"t-renew"' in m[0]]
    assert len(ours) == 1 and len(ours[0]) == 1
    text = ours[0][0].decode()
    assert text.startswith("RENOVACION {")
    assert json.loads(text.removeprefix("RENOVACION ")) == {
        "id": "t-renew",
        "sedeId": "A",
        "userId": "u-1",
        "libroCodigo": "ISBN-0001",
        "op": "RENOVAR",
        "dueDateNew": add_days(clock.today(), 7),
    }
    assert fake_ap.requests == []


def test_a_return_is_published_on_devolucion_without_a_due_date(start_gc, zsocket):
    gc = start_gc()
    sub = subscribed(zsocket, gc, "DEVOLUCION")
    client = zsocket(zmq.REQ, gc.settings.gc_bind)

    reply = ask(client, loan("t-back", op="DEVOLVER"))
    published = frames_until(sub, "t-back")

    assert reply["status"] == "OK"
    topic, _, body = published[-1][0].decode().partition(" ")
    assert topic == "DEVOLUCION"
    assert json.loads(body)["op"] == "DEVOLVER"
    assert json.loads(body)["dueDateNew"] is None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"op": "ROBAR", "libroCodigo": "ISBN-0001", "userId": "u-1"}',
        b'{"op": "PRESTAR", "libroCodigo": "ISBN-0001"}',
        b'{"op": "RENOVAR", "libroCodigo": 7, "userId": "u-1"}',
        b'{"op": "PRESTAR", "libroCodigo": "ISBN-0001", "userId": "u-1", "id": 5}',
    ],
)
def test_bad_input_gets_bad_request_and_the_gc_keeps_serving(
    start_gc, fake_ap, zsocket, body
):
    client = zsocket(zmq.REQ, start_gc().settings.gc_bind)

    refused = ask(client, body)
    served = ask(client, loan("t-good"))

    assert (refused["status"], refused["reason"]) == ("ERROR", "BAD_REQUEST")
    assert served["status"] == "OK"
    assert [r["id"] for r in fake_ap.requests] == ["t-good"]


def test_a_bad_request_echoes_the_id_it_could_read(start_gc, zsocket):
    client = zsocket(zmq.REQ, start_gc().settings.gc_bind)

    reply = ask(client, {"op": "ROBAR", "id": "t-odd"})

    assert (reply["id"], reply["op"], reply["reason"]) == (
        "t-odd",
        "ROBAR",
        "BAD_REQUEST",
    )


def test_a_silent_ap_costs_ap_timeout_and_the_next_loan_gets_a_fresh_socket(
    start_gc, fake_ap, zsocket
):
    fake_ap.held.add("ISBN-SLOW")
    client = zsocket(zmq.REQ, start_gc(gc_ap_timeout_ms=200).settings.gc_bind)

    silent = ask(client, loan("t-slow", "ISBN-SLOW"))
    fast = ask(client, loan("t-fast"))

    assert (silent["status"], silent["reason"]) == ("ERROR", "AP_TIMEOUT")
    assert (fast["status"], fast["dueDate"]) == ("OK", DUE)


@pytest.mark.parametrize(
    "garbled",
    [
        b"{oops",
        b"[]",
        b'{"reason": null}',
        b'{"ok": "yes"}',
        b'{"ok": true, "metadata": [1]}',
    ],
)
def test_a_garbled_ap_reply_is_an_error_not_a_hang(start_gc, fake_ap, zsocket, garbled):
    fake_ap.answer = lambda request: garbled
    client = zsocket(zmq.REQ, start_gc().settings.gc_bind)

    reply = ask(client, loan("t-garbled"))

    assert (reply["status"], reply["reason"]) == ("ERROR", "AP_BAD_REPLY")


@pytest.mark.parametrize(
    ("sig", "mode"), [(signal.SIGTERM, "serial"), (signal.SIGINT, "threaded")]
)
def test_the_gc_process_exits_zero_on_a_signal(tmp_path, fake_ap, zsocket, sig, mode):
    settings = gc_settings(fake_ap.endpoint, gc_mode=mode)
    env = write_env(tmp_path / "gc.env", settings)
    process = spawn(
        "tools.reference_gc", "--env-file", str(env), log_path=tmp_path / "gc.log"
    )
    try:
        client = zsocket(zmq.REQ, settings.gc_bind)
        reply = ask(client, loan("t-up"), timeout_ms=10_000)
    finally:
        code = stop(process, sig)

    assert reply["status"] == "OK"
    assert code == 0
