"""How actors sharing a process with their GA reach it: straight into its
Storage actor, and over ZeroMQ to the peer GA only when the local one
cannot take the operation (restarting, catching up, or too slow).

`call` waits for the answer. `submit` and `call_peer` are the same two
steps taken apart, for an actor that must not wait on its own GA: it
submits, and calls the peer itself if the answer says so or is late."""

from __future__ import annotations

from typing import Any

from bridges.ga_client import GaClient
from common.logs import EventLog
from common.reasons import Reason
from ga.inprocess import InProcessGa


class LocalFirstGa:
    """Same `call`/`close` as GaClient; the same id goes to the peer."""

    def __init__(self, log: EventLog, local: InProcessGa, peer: GaClient) -> None:
        self.log = log
        self._local = local
        self._peer = peer
        self._on_peer = False
        self.submit = local.submit  # without waiting: straight to Storage
        self.call_peer = peer.call
        self.timeout_s = local.timeout_s

    def call(
        self, method: str, payload: dict[str, Any], deadline_ms: int | None = None
    ) -> dict[str, Any]:
        answer = self._local.call(method, payload, deadline_ms)
        if answer.get("reason") != Reason.GA_UNAVAILABLE:
            if self._on_peer:
                self.log.state("local GA is back; returning to it")
                self._on_peer = False
            return answer
        if not self._on_peer:
            self.log.state("local GA cannot take operations; using the peer GA")
            self._on_peer = True
        return self._peer.call(method, payload, deadline_ms)

    def close(self) -> None:
        self._local.close()
        self._peer.close()
