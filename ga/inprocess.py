"""Reach a GA's Storage actor directly, without sockets.

Same `call` interface as bridges.ga_client.GaClient, so actors can be
tested in-process with a real Storage.
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import ValidationError

from common.actors import Slot
from common.models import GaRequest, refusal
from common.reasons import Reason
from ga.messages import Execute


class InProcessGa:
    def __init__(self, storage: Slot, timeout_s: float = 5.0) -> None:
        self._storage = storage
        self._timeout_s = timeout_s

    def call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            request = GaRequest.model_validate({"method": method, "payload": payload})
        except ValidationError:
            return refusal(Reason.BAD_REQUEST)
        done = threading.Event()
        answer: list[dict[str, Any]] = []

        def respond(reply: dict[str, Any]) -> None:
            answer.append(reply)
            done.set()

        if not self._storage.tell(Execute(request, respond)):
            return refusal(Reason.GA_UNAVAILABLE)
        if not done.wait(self._timeout_s):
            return refusal(Reason.GA_UNAVAILABLE, "storage did not answer")
        return answer[0]

    def close(self) -> None:
        return None
