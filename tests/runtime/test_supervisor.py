"""The supervisor restarts what died, and what depends on it, within a budget."""

import json
import threading

import pykka
import pytest
import zmq

from common.actors import Slot
from ga.heartbeat import _Tick
from ga.messages import PeerHeard
from runtime.supervisor import Child, Started, Supervisor
from tests.conftest import wait_until
from tests.processes import ga_call, request


class Worker(pykka.ThreadingActor):
    """A child with nothing to do but be alive."""


@pytest.fixture
def supervise():
    started: list[pykka.ActorRef] = []

    def start(names: str, **options) -> list[Slot]:
        slots = [Slot(name) for name in names]
        children = [Child(slot, Worker.start) for slot in slots]
        supervisor = Supervisor.start(children, backoff_s=0.01, **options)
        supervisor.ask(Started(), timeout=5)
        started.append(supervisor)
        return slots

    try:
        yield start
    finally:
        for supervisor in started:
            if supervisor.is_alive():
                supervisor.stop(timeout=10)


def restarted(slot: Slot, old: pykka.ActorRef) -> bool:
    ref = slot.ref
    return ref is not None and ref is not old and ref.is_alive()


def test_a_dead_child_is_restarted_with_those_started_after_it(supervise):
    a, b, c = supervise("abc")
    before = [slot.ref for slot in (a, b, c)]

    before[1].stop()

    wait_until(lambda: restarted(c, before[2]), timeout_s=5)
    assert a.ref is before[0]
    assert restarted(b, before[1])
    assert not before[2].is_alive()


def test_the_supervisor_gives_up_past_its_restart_budget(supervise):
    gave_up = threading.Event()
    a, b = supervise("ab", max_restarts=2, on_give_up=gave_up.set)

    for _ in range(3):
        old = a.ref
        old.stop()
        wait_until(lambda old=old: restarted(a, old) or gave_up.is_set(), 5)

    assert gave_up.wait(5)
    assert (a.ref, b.ref) == (None, None)


def loan(op_id: str, user: str) -> dict:
    return {"id": op_id, "libroCodigo": "ISBN-0001", "userId": user}


def restart_logged(log_lines: list[dict], name: str) -> bool:
    return any(
        line["proc"] == "GA" and line["detail"] == f"{name} restarted (restart 1)"
        for line in log_lines
    )


def heartbeat_heard(endpoint: str) -> dict | None:
    """A heartbeat from whoever publishes on `endpoint` now, within 3 s."""
    sock = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.setsockopt(zmq.SUBSCRIBE, b"HB")
        sock.connect(endpoint)
        if not sock.poll(3000, zmq.POLLIN):
            return None
        return json.loads(sock.recv_multipart()[-1])
    finally:
        sock.close(linger=0)


def assert_serving(node) -> None:
    s = node.settings
    answer = ga_call(s.ga_rep_bind, "checkAndLoan", loan("p-1", "u-1"))
    assert answer["ok"] is True
    assert request(s.ga_health_rep_bind, b"ping") == "ok"
    beat = heartbeat_heard(s.ga_heartbeat_pub_bind)
    assert beat is not None and beat["node"] == "A"


@pytest.mark.parametrize("child", ["oplog", "storage", "replicator", "heartbeat"])
def test_the_ga_keeps_serving_after_any_of_its_actors_is_stopped(
    lone_ga, log_lines, child
):
    slot = getattr(lone_ga, child)

    slot.ref.stop(timeout=10)

    wait_until(lambda: restart_logged(log_lines, slot.name), timeout_s=5)
    assert_serving(lone_ga)


def test_a_crashed_storage_comes_back_with_every_acknowledged_operation(
    lone_ga, log_lines
):
    endpoint = lone_ga.settings.ga_rep_bind
    first = ga_call(endpoint, "checkAndLoan", loan("p-1", "u-1"))
    crashed = lone_ga.storage.ref

    lone_ga.storage.tell(PeerHeard({}))  # a malformed status: on_receive raises

    wait_until(lambda: restarted(lone_ga.storage, crashed), timeout_s=5)
    assert first["ok"] is True
    assert ga_call(endpoint, "checkAndLoan", loan("p-1", "u-1")) == first
    taken = ga_call(endpoint, "checkAndLoan", loan("p-2", "u-2"))
    assert taken["reason"] == "NO_COPY_AVAILABLE"
    assert restart_logged(log_lines, "Storage")
    died = [line for line in log_lines if "Storage died" in str(line["detail"])]
    assert [line["level"] for line in died] == ["ERROR"]


def test_a_heartbeat_due_while_storage_is_down_does_not_silence_the_ga(
    lone_ga, log_lines
):
    lone_ga.storage.ref.stop(timeout=10)

    lone_ga.heartbeat.tell(_Tick())  # the beat its timer sends, due right now

    wait_until(lambda: restart_logged(log_lines, "Storage"), timeout_s=5)
    assert_serving(lone_ga)
    lone_ga.stop()
    assert pykka.ActorRegistry.get_all() == []
