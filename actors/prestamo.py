"""AP, the loan actor: answers the GC's loan requests after the GA decided.

Reply to the GC, always this shape:
  {"ok": bool, "reason": str | null, "metadata": {"dueDate": "YYYY-MM-DD" | null}}

Run alone: `python -m actors.prestamo --pretty`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pykka

from actors.published import Ga
from common.logs import EventLog
from common.models import LoanRequest

log = EventLog("AP")


@dataclass(frozen=True)
class LendBook:
    request: LoanRequest
    respond: Callable[[dict[str, Any]], None] | None = None


class LoanActor(pykka.ThreadingActor):
    def __init__(self, connect_ga: Callable[[], Ga]) -> None:
        super().__init__()
        self._connect_ga = connect_ga

    def on_start(self) -> None:
        self.ga = self._connect_ga()  # created here: the socket is this thread's

    def on_stop(self) -> None:
        self.ga.close()

    def on_receive(self, message: Any) -> Any:
        if not isinstance(message, LendBook):
            return None
        answer = self._lend(message.request)
        if message.respond is not None:
            message.respond(answer)
        return answer

    def _lend(self, request: LoanRequest) -> dict[str, Any]:
        detail = {"libroCodigo": request.libroCodigo, "userId": request.userId}
        log.event("recibido", request.id, "PRESTAR", detail)
        answer = self.ga.call("checkAndLoan", request.model_dump())
        reply = to_gc(answer)
        stage = "aplicado" if reply["ok"] else "error"
        log.event(stage, request.id, "PRESTAR", reply)
        return reply


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
