"""AP, the loan actor: answers the GC's loan requests after the GA decided.

Reply to the GC, always this shape:
  {"ok": bool, "reason": str | null, "metadata": {"dueDate": "YYYY-MM-DD" | null}}

A loan actor asks its GA and waits for the answer, so a pool of them serves
the GC concurrently. In a whole-site node, where the GA shares the process,
one loan actor of the pool (the front) instead hands every loan to the
local GA without waiting: loans that arrive together then reach the GA
together and share one disk flush, and no thread sleeps per loan. A loan
the local GA cannot take, or does not answer in time, goes to the other
loan actors, which wait on the peer GA with the same id.

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


@dataclass(frozen=True)
class _CheckDeadlines:
    pass


@dataclass(frozen=True)
class _Waiting:
    lend: LendBook
    local_deadline: float  # when the peer GA gets asked instead


class LoanActor(Actor):
    def __init__(
        self,
        connect_ga: Callable[[], Ga],
        peer_callers: Sequence[Slot] = (),
    ) -> None:
        """With `peer_callers` this actor is the front of a whole-site node."""
        super().__init__()
        self._connect_ga = connect_ga
        self._peer_callers = itertools.cycle(peer_callers) if peer_callers else None
        self._caller_count = len(peer_callers)
        # Answers come back in the GA's threads: whichever of the answer and
        # the deadline takes a loan out of `_waiting` first decides its fate.
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

    def on_receive(self, message: Any) -> Any:
        match message:
            case LendBook() if message.expired():
                pass
            case LendBook(request, respond) if respond and self._peer_callers:
                self._submit(message)
            case LendBook(request, respond):
                self._received(request)
                answer = self.ga.call(*_loan(request), message.ga_deadline_ms())
                return self._finish(message, answer)
            case _AskPeer(lend) if not lend.expired():
                answer = self.ga.call_peer(*_loan(lend.request), lend.ga_deadline_ms())
                self._finish(lend, answer)
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
        # Past our own wait the loan goes to the peer: the local GA must not
        # take it after that either.
        wait_ms = int((time.time() + self.ga.timeout_s) * 1000)
        ga_deadline = lend.ga_deadline_ms()
        self.ga.submit(
            *_loan(lend.request),
            lambda answer: self._decided(token, answer),
            wait_ms if ga_deadline is None else min(wait_ms, ga_deadline),
        )
        if self._timer is None:
            self._timer = tell_later(self.actor_ref, CHECK_S, _CheckDeadlines())

    def _decided(self, token: int, answer: dict[str, Any]) -> None:
        """The local GA's answer, in the GA's thread."""
        # TIMEOUT here: the local GA got to it only after our wait was over.
        unavailable = answer.get("reason") in (Reason.GA_UNAVAILABLE, Reason.TIMEOUT)
        with self._lock:
            waiting = self._waiting.pop(token, None)
            switched = waiting is not None and unavailable != self._on_peer
            self._on_peer ^= switched
        if waiting is None:
            return  # too late: it went to the peer GA already
        if switched:
            log.state(
                "local GA cannot take loans; asking the peer GA"
                if unavailable
                else "local GA is back; lending through it again"
            )
        if unavailable:
            self._to_peer(waiting.lend)
        else:
            self._finish(waiting.lend, answer)

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            late = [t for t, w in self._waiting.items() if w.local_deadline <= now]
            lends = [self._waiting.pop(token).lend for token in late]
            pending = bool(self._waiting)
        for lend in lends:
            late_id = lend.request.id
            log.warning(f"local GA silent on loan {late_id}; asking the peer GA")
            self._to_peer(lend)
        self._timer = None
        if pending:
            self._timer = tell_later(self.actor_ref, CHECK_S, _CheckDeadlines())

    def _to_peer(self, lend: LendBook) -> None:
        for _ in range(self._caller_count):  # skip any that is restarting
            if next(self._peer_callers).tell(_AskPeer(lend)):
                return
        self._finish(lend, refusal(Reason.GA_UNAVAILABLE, "no loan actor for the peer"))


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
