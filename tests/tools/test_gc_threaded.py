"""The reference GC in threaded mode: a slow loan holds up nobody else."""

from __future__ import annotations

import zmq

from tests.conftest import wait_until
from tests.tools.conftest import DUE, ask


def loan(op_id: str, code: str = "ISBN-0001", op: str = "PRESTAR") -> dict:
    return {"id": op_id, "op": op, "libroCodigo": code, "userId": "u-1"}


def reached_ap(fake_ap, op_id: str) -> bool:
    return any(request["id"] == op_id for request in fake_ap.requests)


def reply_of(socket: zmq.Socket, timeout_ms: int = 5000) -> dict:
    assert socket.poll(timeout_ms), f"no reply within {timeout_ms} ms"
    return socket.recv_json()


def test_a_fast_loan_is_served_while_ap_holds_a_slow_one(start_gc, fake_ap, zsocket):
    fake_ap.held.add("ISBN-SLOW")
    gc = start_gc("threaded", workers=2)
    slow = zsocket(zmq.REQ, gc.settings.gc_bind)
    fast = zsocket(zmq.REQ, gc.settings.gc_bind)
    slow.send_json(loan("t-slow", "ISBN-SLOW"))
    wait_until(lambda: reached_ap(fake_ap, "t-slow"))

    served = ask(fast, loan("t-fast"))
    slow_still_waiting = not slow.poll(0)
    fake_ap.release.set()
    released = reply_of(slow)

    assert (served["id"], served["status"], served["dueDate"]) == ("t-fast", "OK", DUE)
    assert slow_still_waiting
    assert (released["id"], released["status"]) == ("t-slow", "OK")


def test_renewals_are_answered_while_every_worker_waits_for_ap(
    start_gc, fake_ap, zsocket
):
    fake_ap.held.add("ISBN-SLOW")
    gc = start_gc("threaded", workers=1)
    slow = zsocket(zmq.REQ, gc.settings.gc_bind)
    other = zsocket(zmq.REQ, gc.settings.gc_bind)
    slow.send_json(loan("t-slow", "ISBN-SLOW"))
    wait_until(lambda: reached_ap(fake_ap, "t-slow"))

    renewed = ask(other, loan("t-renew", op="RENOVAR"))
    returned = ask(other, loan("t-return", op="DEVOLVER"))
    fake_ap.release.set()

    assert (renewed["id"], renewed["status"]) == ("t-renew", "OK")
    assert (returned["id"], returned["status"]) == ("t-return", "OK")
    assert reply_of(slow)["id"] == "t-slow"


def test_loans_queued_behind_busy_workers_are_served_in_turn(
    start_gc, fake_ap, zsocket
):
    fake_ap.held.add("ISBN-SLOW")
    gc = start_gc("threaded", workers=1)
    slow = zsocket(zmq.REQ, gc.settings.gc_bind)
    queued = zsocket(zmq.REQ, gc.settings.gc_bind)
    slow.send_json(loan("t-slow", "ISBN-SLOW"))
    wait_until(lambda: reached_ap(fake_ap, "t-slow"))
    queued.send_json(loan("t-queued"))

    queued_before_release = not queued.poll(100)
    fake_ap.release.set()

    assert queued_before_release
    assert reply_of(slow)["id"] == "t-slow"
    assert reply_of(queued)["id"] == "t-queued"


def test_every_client_gets_its_own_replies_in_order(start_gc, zsocket):
    gc = start_gc("threaded", workers=3)
    clients = [zsocket(zmq.REQ, gc.settings.gc_bind) for _ in range(4)]
    sent: dict[int, list[str]] = {n: [] for n in range(len(clients))}
    got: dict[int, list[str]] = {n: [] for n in range(len(clients))}

    for round_ in range(5):
        for n, client in enumerate(clients):
            op = ("PRESTAR", "RENOVAR", "DEVOLVER")[(n + round_) % 3]
            sent[n].append(f"c{n}-{round_}")
            client.send_json(loan(sent[n][-1], op=op))
        for n, client in enumerate(clients):
            got[n].append(reply_of(client)["id"])

    assert got == sent


def test_a_threaded_gc_stops_while_a_loan_waits_for_ap(start_gc, fake_ap, zsocket):
    fake_ap.held.add("ISBN-SLOW")
    gc = start_gc("threaded", workers=2)
    zsocket(zmq.REQ, gc.settings.gc_bind).send_json(loan("t-slow", "ISBN-SLOW"))
    wait_until(lambda: reached_ap(fake_ap, "t-slow"))

    gc.stop()

    assert gc.failure is None
    assert gc.stop_event.is_set()
