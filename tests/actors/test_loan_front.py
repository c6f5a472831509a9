"""The front loan actor of a whole-site node: loans go to the GA in the same
process without waiting, and to the peer GA, with the same id, when the
local one cannot take them or leaves them unanswered."""

from __future__ import annotations

import threading
import time

import pytest

from actors.prestamo import LendBook, LoanActor
from bridges.ga_client import GaClient
from common.actors import Actor, Slot
from common.logs import EventLog
from common.models import LoanRequest
from common.reasons import Reason
from ga.inprocess import InProcessGa
from ga.local_first import LocalFirstGa
from ga.messages import Execute
from tests.conftest import free_port, wait_until


class SilentStorage(Actor):
    """Takes operations and keeps them unanswered, as a GA whose disk hangs."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[Execute] = []

    def on_receive(self, message):
        if isinstance(message, Execute):
            self.held.append(message)
        return len(self.held)


class Replies:
    """What the GC would receive, per operation id, from any thread."""

    def __init__(self) -> None:
        self.by_id: dict[str, list[dict]] = {}
        self._lock = threading.Lock()

    def to(self, op_id: str):
        def respond(reply: dict) -> None:
            with self._lock:
                self.by_id.setdefault(op_id, []).append(reply)

        return respond

    def count(self) -> int:
        with self._lock:
            return sum(len(replies) for replies in self.by_id.values())


@pytest.fixture
def silent(actors) -> Slot:
    """A local GA that takes every operation and answers none."""
    slot = Slot("Storage")
    slot.fill(SilentStorage.start())
    actors.append(slot.ref)
    return slot


@pytest.fixture
def front(ga_pair, actors):
    """Start a front whose local GA sits in `slot`; the peer GA is B, or
    `peer` when given."""

    def start(slot: Slot, timeout_s: float = 5.0, peer: str | None = None):
        peer = peer or ga_pair.start("B").settings.ga_rep_bind

        def connect() -> LocalFirstGa:
            client = GaClient(EventLog("AP"), peer, timeout_ms=1000, retries=2)
            return LocalFirstGa(EventLog("AP"), InProcessGa(slot, timeout_s), client)

        callers = [Slot(f"caller-{n}") for n in range(2)]
        for caller in callers:
            caller.fill(LoanActor.start(connect))
            actors.append(caller.ref)
        ref = LoanActor.start(connect, callers)
        actors.append(ref)
        return ref

    return start


def send(front, replies: Replies, op_id: str, user: str, book: str = "ISBN-0004"):
    request = LoanRequest(id=op_id, libroCodigo=book, userId=user)
    gc_deadline = time.monotonic() + 30  # as the AP bridge sets it, but roomy
    front.tell(LendBook(request, replies.to(op_id), gc_deadline))


def test_loans_told_together_are_each_answered_once_by_the_local_ga(ga_pair, front):
    local = ga_pair.start("A")
    ap, replies = front(local.storage), Replies()

    for n in range(20):
        send(ap, replies, f"f-{n}", f"u-{n}")

    wait_until(lambda: replies.count() == 20)
    answers = [replies.by_id[f"f-{n}"] for n in range(20)]
    assert all(len(one) == 1 for one in answers)
    granted = [one[0] for one in answers if one[0]["ok"]]
    assert len(granted) == 3  # the copies of ISBN-0004
    assert {one[0]["reason"] for one in answers if not one[0]["ok"]} == {
        Reason.NO_COPY_AVAILABLE
    }
    assert ga_pair.status("A")["head"] == 20
    assert ga_pair.status("B")["head"] == 0


def test_a_loan_the_local_ga_cannot_take_goes_to_the_peer_ga(ga_pair, front):
    ap, replies = front(Slot("Storage")), Replies()  # empty: being restarted

    send(ap, replies, "f-1", "u-1")

    wait_until(lambda: replies.count() == 1)
    assert replies.by_id["f-1"][0]["ok"] is True
    assert ga_pair.status("B")["head"] == 1


def test_a_loan_left_unanswered_goes_to_the_peer_and_is_answered_once(
    ga_pair, front, silent
):
    ap, replies = front(silent, timeout_s=0.3), Replies()

    send(ap, replies, "f-1", "u-1")

    wait_until(lambda: replies.count() == 1, timeout_s=5)
    assert replies.by_id["f-1"][0]["ok"] is True
    assert ga_pair.status("B")["head"] == 1
    # The local GA answering after all changes nothing for the GC.
    held = silent.ref.proxy().held.get()
    held[0].respond({"ok": False, "reason": Reason.NO_COPY_AVAILABLE})
    assert replies.count() == 1


def test_a_loan_the_gc_was_already_told_timeout_for_is_not_lent(ga_pair, front):
    local = ga_pair.start("A")
    ap, replies = front(local.storage), Replies()
    late = LoanRequest(id="late-1", libroCodigo="ISBN-0004", userId="u-1")

    ap.tell(LendBook(late, replies.to("late-1"), deadline=time.monotonic() - 1))
    send(ap, replies, "f-1", "u-2")  # told after it: handled after it

    wait_until(lambda: replies.count() == 1)
    assert list(replies.by_id) == ["f-1"]
    assert ga_pair.status("A")["head"] == 1


def test_a_late_local_answer_settles_a_loan_the_unreachable_peer_did_not_take(
    front, silent, log_lines
):
    nobody = f"tcp://127.0.0.1:{free_port()}"  # the peer GA: unreachable
    ap, replies = front(silent, timeout_s=0.3, peer=nobody), Replies()

    send(ap, replies, "f-1", "u-1")
    wait_until(lambda: any("peer GA out" in str(line) for line in log_lines))
    assert replies.count() == 0  # the peer's "not taken" is no answer yet
    held = silent.ref.proxy().held.get()
    held[0].respond({"ok": True, "reason": None, "metadata": {"dueDate": "x"}})

    assert replies.by_id["f-1"] == [
        {"ok": True, "reason": None, "metadata": {"dueDate": "x"}}
    ]
