"""What AR and AD share: apply one published operation at the GA.

The actor acts only on its own operation kind; anything else is refused
and logged, which is what makes it obvious in the logs that AR handles only
renewals and AD only returns. When no GA can be reached the operation goes
to the spool and is retried, in order, until a GA takes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from actors.spool import Spool
from common.actors import Actor, tell_later
from common.logs import EventLog
from common.models import ActorMessage, refusal
from common.reasons import Reason

RETRY_S = 1.0


class Ga(Protocol):
    def call(
        self, method: str, payload: dict[str, Any], deadline_ms: int | None = None
    ) -> dict[str, Any]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class _RetrySpool:
    pass


class PublishedOperationActor(Actor):
    proc: str  # AR or AD
    op: str  # RENOVAR or DEVOLVER
    method: str  # the GA method

    def __init__(self, connect_ga: Callable[[], Ga], spool: Spool | None = None):
        super().__init__()
        self.log = EventLog(self.proc)
        self._connect_ga = connect_ga
        self._spool = spool
        self._timer: threading.Timer | None = None

    def on_start(self) -> None:
        self.ga = self._connect_ga()  # created here: the socket is this thread's
        if self._spool:
            self._schedule_retry()

    def on_stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.ga.close()

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, _RetrySpool):
            return self._drain_spool()
        if not isinstance(message, ActorMessage):
            return None
        return self._handle(message)

    def _handle(self, message: ActorMessage) -> dict[str, Any]:
        if message.op != self.op:
            self.log.warning(
                f"{self.proc} handles only {self.op}; ignored {message.op}", message.id
            )
            return refusal(Reason.BAD_REQUEST, f"{self.proc} does not do {message.op}")
        self.log.event("recibido", message.id, self.op, _summary(message))
        if self._spool:  # keep order behind what is already waiting
            return self._defer(message)
        answer = self._apply(message)
        if answer["reason"] == Reason.GA_UNAVAILABLE and self._spool is not None:
            return self._defer(message)
        return answer

    def _apply(self, message: ActorMessage) -> dict[str, Any]:
        payload = {
            "id": message.id,
            "libroCodigo": message.libroCodigo,
            "userId": message.userId,
        }
        if message.dueDateNew is not None:
            payload["dueDateNew"] = message.dueDateNew
        self.log.event("enviado", message.id, self.op, "to GA")
        answer = self.ga.call(self.method, payload)
        stage = "aplicado" if answer.get("ok") else "error"
        self.log.event(stage, message.id, self.op, answer)
        return answer

    def _defer(self, message: ActorMessage) -> dict[str, Any]:
        self._spool.append(message)
        self.log.warning(
            f"no GA reachable; spooled ({len(self._spool)} waiting)", message.id
        )
        self._schedule_retry()
        return refusal(Reason.GA_UNAVAILABLE, "spooled; applied when a GA returns")

    def _drain_spool(self) -> None:
        self._timer = None
        while self._spool:
            message = self._spool.items[0]
            if self._apply(message)["reason"] == Reason.GA_UNAVAILABLE:
                self._schedule_retry()
                return
            self._spool.pop_first()

    def _schedule_retry(self) -> None:
        if self._timer is not None:
            return
        self._timer = tell_later(self.actor_ref, RETRY_S, _RetrySpool())


def _summary(message: ActorMessage) -> dict[str, Any]:
    return {
        "libroCodigo": message.libroCodigo,
        "userId": message.userId,
        "sedeId": message.sedeId,
        "dueDateNew": message.dueDateNew,
    }
