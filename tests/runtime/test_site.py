"""A site's loan actors beside a GA in the same process: real AP socket,
real GA, and a supervisor that brings a stopped loan actor back."""

from __future__ import annotations

import json
import threading
import time

import pytest
import zmq

from common.reasons import Reason
from ga.messages import Status
from runtime.node import in_process_ga
from runtime.site import Workers
from tests.conftest import wait_until
from tools.cluster import request


def beside(ga, kinds: list[str]) -> Workers:
    """Workers of `kinds` reaching `ga` in this process, as in a node."""
    connect = in_process_ga(ga.settings, ga)
    return Workers(ga.settings, kinds, connect, ga_in_process=True).start()


@pytest.fixture
def loan_workers(lone_ga):
    workers = beside(lone_ga, ["AP"])
    yield workers
    workers.stop()


def lend(workers: Workers, op_id: str, user: str) -> dict:
    body = json.dumps({"id": op_id, "libroCodigo": "ISBN-0004", "userId": user})
    answer = request(workers.settings.ap_rep_bind, body.encode(), timeout_ms=5000)
    assert answer is not None, "AP did not answer"
    return json.loads(answer)


@pytest.mark.parametrize("which", ["front", "peer caller"])
def test_a_stopped_loan_actor_comes_back_and_loans_go_on(loan_workers, which):
    slot = loan_workers.loan_actors[0 if which == "front" else 1]
    assert lend(loan_workers, "s-1", "u-1")["ok"] is True
    stopped = slot.ref

    stopped.stop()

    wait_until(lambda: slot.ref is not None and slot.ref is not stopped)
    wait_until(lambda: slot.ref.is_alive())
    assert lend(loan_workers, "s-2", "u-2")["ok"] is True
    assert lend(loan_workers, "s-1", "u-1")["ok"] is True  # the first answer again


def test_a_loan_waiting_on_the_peer_does_not_hold_up_local_loans(
    loan_workers, lone_ga, log_lines
):
    # The peer GA of this lone site is an endpoint nobody binds: every call
    # to it waits out GA_TIMEOUT_MS attempts.
    answers: dict[str, tuple[float, dict]] = {}

    def lend_and_time(op_id: str, user: str) -> None:
        answer = lend(loan_workers, op_id, user)
        answers[op_id] = (time.monotonic(), answer)

    storage = lone_ga.storage.ref
    lone_ga.storage.fill(None)  # the local GA cannot take operations
    to_peer = threading.Thread(target=lend_and_time, args=("p-1", "u-1"))
    to_peer.start()
    wait_until(lambda: any("asking the peer" in str(line) for line in log_lines))
    lone_ga.storage.fill(storage)

    lend_and_time("l-1", "u-2")
    to_peer.join()

    assert answers["l-1"][1]["ok"] is True
    assert answers["p-1"][1]["reason"] == Reason.GA_UNAVAILABLE
    assert answers["l-1"][0] < answers["p-1"][0]


def test_stopping_lets_a_loan_in_flight_get_its_answer(
    loan_workers, lone_ga, log_lines
):
    storage = lone_ga.storage.ref
    lone_ga.storage.fill(None)  # the loan waits on the unreachable peer GA
    answers: list = []
    in_flight = threading.Thread(
        target=lambda: answers.append(lend(loan_workers, "p-1", "u-1"))
    )
    in_flight.start()
    wait_until(lambda: any("asking the peer" in str(line) for line in log_lines))

    loan_workers.stop()
    in_flight.join()
    lone_ga.storage.fill(storage)

    assert answers[0]["reason"] == Reason.GA_UNAVAILABLE


def test_a_stopped_renewal_actor_comes_back_and_renewals_go_on(lone_ga):
    settings = lone_ga.settings
    gc = zmq.Context.instance().socket(zmq.PUB)
    gc.setsockopt(zmq.LINGER, 0)
    gc.bind(settings.endpoint("gc_pub_connect"))
    workers = beside(lone_ga, ["AR"])
    try:
        slot = workers.published_actors["AR"]
        stopped = slot.ref
        stopped.stop()
        wait_until(lambda: (ref := slot.ref) not in (None, stopped) and ref.is_alive())
        renewal = {
            "id": "r-1",
            "sedeId": "A",
            "userId": "u-1",
            "libroCodigo": "ISBN-0001",
            "op": "RENOVAR",
            "dueDateNew": "2026-12-11",
        }

        def renewed() -> bool:  # the GA decided it (refused: nobody holds it)
            gc.send(b"RENOVACION " + json.dumps(renewal).encode())
            return lone_ga.storage.ask(Status())["head"] == 1

        wait_until(renewed)
    finally:
        workers.stop()
        gc.close()
