"""Reach a GA's Storage actor directly, without sockets.

Same `call` interface as bridges.ga_client.GaClient, so actors can be
tested in-process with a real Storage.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from common.actors import Slot
from common.models import GaRequest, refusal
from common.reasons import Reason
from ga.messages import Execute

Done = Callable[[dict[str, Any]], None]


class InProcessGa:
    def __init__(self, storage: Slot, timeout_s: float = 5.0) -> None:
        self._storage = storage
        self.timeout_s = timeout_s

    def submit(
        self,
        method: str,
        payload: dict[str, Any],
        done: Done,
        deadline_ms: int | None = None,
    ) -> None:
        """Hand the operation to Storage without waiting: `done` gets the
        answer in the GA's own thread once the operation is durable, or at
        once if Storage is not running or the request is malformed."""
        order = {"method": method, "payload": payload, "deadline": deadline_ms}
        try:
            request = GaRequest.model_validate(order)
        except ValidationError:
            done(refusal(Reason.BAD_REQUEST))
            return
        if not self._storage.tell(Execute(request, done)):
            done(refusal(Reason.GA_UNAVAILABLE, "storage is not running"))

    def call(
        self, method: str, payload: dict[str, Any], deadline_ms: int | None = None
    ) -> dict[str, Any]:
        done = threading.Event()
        answer: list[dict[str, Any]] = []

        def respond(reply: dict[str, Any]) -> None:
            answer.append(reply)
            done.set()

        self.submit(method, payload, respond, deadline_ms)
        if not done.wait(self.timeout_s):
            return refusal(Reason.GA_UNAVAILABLE, "storage did not answer")
        return answer[0]

    def close(self) -> None:
        return None
