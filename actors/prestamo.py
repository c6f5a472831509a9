"""AP, the loan actor: answers the GC's loan requests after the GA decided.

Reply to the GC, always this shape:
  {"ok": bool, "reason": str | null, "metadata": {"dueDate": "YYYY-MM-DD" | null}}

A loan actor asks its GA and waits for the answer, so a pool of them serves
the GC concurrently. In a whole-site node, where the GA shares the process,
one loan actor of the pool (the front) instead hands every loan to the
local GA without waiting: loans that arrive together then reach the GA
together and share one disk flush, and no thread sleeps per loan. A loan
the local GA cannot take, or does not answer within GA_TIMEOUT_MS, goes to
the other loan actors, which wait on the peer GA with the same id. The
first sure answer settles it: a decision by either GA, or "not taken" once
neither can still take it. The GC is never told no about a loan a GA may
still lend; if nothing is sure by AP's deadline, the GC hears TIMEOUT.

Run alone: `python -m actors.prestamo --pretty`.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from actors.published import Ga
from common.actors import Actor, Slot, tell_later
from common.logs import EventLog
from common.models import LoanRequest, refusal
from common.reasons import Reason

log = EventLog("AP")
CHECK_S = 0.1  # how often the front looks for loans the local GA left unanswered
GC_HOP_MS = 100  # time for AP's reply to reach the GC


class LocalGa(Ga, Protocol):
    """A GA in the same process, which can be asked without waiting."""

    timeout_s: float

    def submit(
        self, method: str, payload: dict, done: Callable, deadline_ms: int | None
    ) -> None: ...

    def call_peer(
        self, method: str, payload: dict[str, Any], deadline_ms: int | None
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class LendBook:
    request: LoanRequest
    respond: Callable[[dict[str, Any]], None] | None = None
    deadline: float = math.inf  # time.monotonic() past which the GC got TIMEOUT

    def expired(self) -> bool:
        """True, and logged, when the GC was already told TIMEOUT: a loan
        started now could be lent to a client that was told it was not."""
        if time.monotonic() < self.deadline:
            return False
        log.warning(f"loan {self.request.id} not tried: the GC was told TIMEOUT")
        return True

    def ga_deadline_ms(self) -> int | None:
        """The deadline for the GA, in epoch ms: early enough that the
        reply can still reach the GC before it is told TIMEOUT."""
        if self.deadline == math.inf:
            return None
        left_s = self.deadline - time.monotonic()
        return int((time.time() + left_s) * 1000) - GC_HOP_MS


@dataclass(frozen=True)
class _AskPeer:
    lend: LendBook
    # The front's way to hear the answer, callable from any thread: it must
    # reach the front that asked even after that front was restarted.
    report: Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class _CheckDeadlines:
    pass


@dataclass
class _Waiting:
    """A loan the front handed to its local GA, until one answer settles it."""

    lend: LendBook
    local_deadline: float  # when the peer GA gets asked too
    asked_peer: bool = False
    local_out: bool = False  # the local GA refused it: it will never take it
    peer_failure: dict[str, Any] | None = None  # held while the local may answer


class LoanActor(Actor):
    def __init__(
        self,
        connect_ga: Callable[[], Ga | LocalGa],
        peer_callers: Sequence[Slot] = (),
    ) -> None:
        """With `peer_callers` this actor is the front of a whole-site node."""
        super().__init__()
        self._connect_ga = connect_ga
        self._peer_callers = itertools.cycle(peer_callers) if peer_callers else None
        self._caller_count = len(peer_callers)
        # Local answers come back in the GA's threads, the peer's through the
        # mailbox: whichever settles a loan first takes it out of `_waiting`.
        self._waiting: dict[int, _Waiting] = {}
        self._lock = threading.Lock()
        self._tokens = itertools.count()
        self._timer: threading.Timer | None = None
        self._on_peer = False

    def on_start(self) -> None:
        self.ga = self._connect_ga()  # created here: the socket is this thread's

    def on_stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.ga.close()

    def on_failure(self, exception_type, exception_value, traceback) -> None:
        self.on_stop()  # close the GA client's sockets all the same

    def on_receive(self, message: Any) -> Any:
        match message:
            case LendBook() if message.expired():
                pass
            case LendBook(_, respond, deadline) if (
                respond and self._peer_callers and deadline < math.inf
            ):
                self._submit(message)
            case LendBook(request, respond):
                self._received(request)
                answer = self.ga.call(*_loan(request), message.ga_deadline_ms())
                return self._finish(message, answer)
            case _AskPeer(lend, report) if not lend.expired():
                report(self.ga.call_peer(*_loan(lend.request), lend.ga_deadline_ms()))
            case _CheckDeadlines():
                self._expire()
        return None

    def _received(self, request: LoanRequest) -> None:
        detail = {"libroCodigo": request.libroCodigo, "userId": request.userId}
        log.event("recibido", request.id, "PRESTAR", detail)

    def _finish(self, lend: LendBook, answer: dict[str, Any]) -> dict[str, Any]:
        reply = to_gc(answer)
        stage = "aplicado" if reply["ok"] else "error"
        log.event(stage, lend.request.id, "PRESTAR", reply)
        if lend.respond is not None:
            lend.respond(reply)
        return reply

    def _submit(self, lend: LendBook) -> None:
        self._received(lend.request)
        token = next(self._tokens)
        deadline = time.monotonic() + self.ga.timeout_s
        with self._lock:
            self._waiting[token] = _Waiting(lend, deadline)
        # The local GA may decide until the GC's deadline: past our own wait
        # the peer is asked too, and whichever answers for sure first wins.
        self.ga.submit(
            *_loan(lend.request),
            lambda answer: self._decided(token, answer),
            lend.ga_deadline_ms(),
        )
        if self._timer is None:
            self._timer = tell_later(self.actor_ref, CHECK_S, _CheckDeadlines())

    def _decided(self, token: int, answer: dict[str, Any]) -> None:
        """The local GA's answer, in the GA's thread."""
        out = _not_taken(answer)
        with self._lock:
            waiting = self._waiting.get(token)
            if waiting is None:
                return  # settled already, by the peer GA
            switched = out != self._on_peer
            self._on_peer ^= switched
            failure, ask = waiting.peer_failure, not waiting.asked_peer
            waiting.local_out = waiting.asked_peer = True
            if not out or failure is not None:
                del self._waiting[token]
        if switched:
            log.state(
                "local GA cannot take loans; asking the peer GA"
                if out
                else "local GA is back; lending through it again"
            )
        if not out:
            self._finish(waiting.lend, answer)
        elif failure is not None:
            self._finish(waiting.lend, failure)
        elif ask:
            self._to_peer(token, waiting.lend)

    def _peer_answered(self, token: int, answer: dict[str, Any]) -> None:
        """The peer GA's answer, in a peer caller's thread. Not taken there
        settles nothing while the local GA still may take it."""
        with self._lock:
            waiting = self._waiting.get(token)
            if waiting is None:
                return  # settled already, by the local GA
            hold = _not_taken(answer) and not waiting.local_out
            if hold:
                waiting.peer_failure = answer
            else:
                del self._waiting[token]
        if hold:
            log.state(
                f"loan {waiting.lend.request.id}: peer GA out, local GA may answer"
            )
        else:
            self._finish(waiting.lend, answer)

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            gone = [t for t, w in self._waiting.items() if w.lend.deadline <= now]
            lends = [self._waiting.pop(token).lend for token in gone]
            ask = [
                (t, w.lend)
                for t, w in self._waiting.items()
                if w.local_deadline <= now and not w.asked_peer
            ]
            for token, _ in ask:
                self._waiting[token].asked_peer = True
            pending = bool(self._waiting)
        for lend in lends:
            log.warning(f"loan {lend.request.id}: no GA answered before AP's deadline")
        for token, lend in ask:
            log.warning(
                f"local GA silent on loan {lend.request.id}; asking the peer GA"
            )
            self._to_peer(token, lend)
        self._timer = None
        if pending:
            self._timer = tell_later(self.actor_ref, CHECK_S, _CheckDeadlines())

    def _to_peer(self, token: int, lend: LendBook) -> None:
        ask = _AskPeer(lend, lambda answer: self._peer_answered(token, answer))
        for _ in range(self._caller_count):  # skip any that is restarting
            if next(self._peer_callers).tell(ask):
                return
        self._peer_answered(token, refusal(Reason.GA_UNAVAILABLE, "no peer caller"))


def _not_taken(answer: dict[str, Any]) -> bool:
    """The GA did not decide: unreachable, or reached after the deadline."""
    return answer.get("reason") in (Reason.GA_UNAVAILABLE, Reason.TIMEOUT)


def _loan(request: LoanRequest) -> tuple[str, dict[str, Any]]:
    return "checkAndLoan", request.model_dump()


def to_gc(answer: dict[str, Any]) -> dict[str, Any]:
    """The GA's answer in the exact shape the GC expects."""
    metadata = answer.get("metadata") or {}
    return {
        "ok": bool(answer.get("ok")),
        "reason": answer.get("reason"),
        "metadata": {"dueDate": metadata.get("dueDate")},
    }


if __name__ == "__main__":
    from runtime.alone import run_alone

    run_alone("AP")
