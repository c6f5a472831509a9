"""GaClient: how actors reach a GA, failing over between the two sites.

Frames: request [json] -> reply [json], over REQ (Lazy Pirate: after a
timeout the socket is closed and a fresh one is opened, since a REQ socket
that missed its reply is stuck). A client is used by one thread only.

The client prefers the local GA. A timeout switches it to the peer GA and
the same request (same operation id) is retried there; it goes back to the
local GA once that one's heartbeat says it is caught up. Heartbeat frames:
[b"HB", json status].
"""

from __future__ import annotations

import json
import time
from typing import Any

import zmq

from common.logs import EventLog
from common.models import refusal
from common.reasons import Reason

LOCAL, PEER = "local", "peer"


class GaClient:
    def __init__(
        self,
        log: EventLog,
        local: str,
        peer: str = "",
        *,
        timeout_ms: int,
        retries: int,
        heartbeat: str = "",
        heartbeat_interval_ms: int = 2000,
    ) -> None:
        self.log = log
        self._endpoints = {LOCAL: local, PEER: peer}
        self._timeout_ms = timeout_ms
        self._retries = retries
        self._silence_s = 2.5 * heartbeat_interval_ms / 1000
        self._context = zmq.Context.instance()
        self._sockets: dict[str, zmq.Socket] = {}
        self.target = LOCAL
        self._last_beat = 0.0  # monotonic time we last heard the local GA
        self._caught_up_ms = 0  # GA's clock at its last caught-up heartbeat
        self._left_local_ms = 0  # our clock when we left the local GA
        self._beats = self._watch(heartbeat) if heartbeat and peer else None

    def call(
        self, method: str, payload: dict[str, Any], deadline_ms: int | None = None
    ) -> dict[str, Any]:
        """`deadline_ms` (epoch ms): when the caller stops waiting. No attempt
        starts after it, and each attempt tells the GA when that attempt
        stops waiting (this deadline, or sooner): a GA that was stopped or
        slow and reaches it too late to answer in time refuses it rather
        than apply what nobody would hear of. A later attempt with the same
        id gets an earlier one's answer. What stays unknown is a decision
        taken in time by a GA that then stalls before its reply leaves."""
        order: dict[str, Any] = {"method": method, "payload": payload}
        self._choose_target()
        for _ in range(self._retries):
            if deadline_ms is not None:
                now_ms = int(time.time() * 1000)
                if now_ms > deadline_ms:
                    return refusal(Reason.TIMEOUT, "the caller stopped waiting")
                order["deadline"] = min(deadline_ms, now_ms + self._timeout_ms)
            answer = self._attempt(self.target, json.dumps(order).encode())
            if answer is not None:
                return answer
            self._fail_over()
        return refusal(Reason.GA_UNAVAILABLE, "no GA answered")

    def close(self) -> None:
        for name in list(self._sockets):
            self._drop(name)
        if self._beats is not None:
            self._beats.close(linger=0)

    def _attempt(self, target: str, body: bytes) -> dict[str, Any] | None:
        sock = self._socket(target)
        sock.send(body)
        if not sock.poll(self._timeout_ms, zmq.POLLIN):
            self.log.warning(f"GA {target} ({self._endpoints[target]}) timed out")
            self._drop(target)
            return None
        try:
            answer = json.loads(sock.recv())
        except (ValueError, RecursionError):
            answer = None
        if not isinstance(answer, dict):
            self.log.error(f"GA {target} sent a reply that is not a JSON object")
            return refusal(Reason.INTERNAL_ERROR, "unreadable GA reply")
        return answer

    def _fail_over(self) -> None:
        other = PEER if self.target == LOCAL else LOCAL
        if not self._endpoints[other]:
            return
        if other == PEER:
            self._left_local_ms = time.time_ns() // 1_000_000
        self.log.state(f"switching from the {self.target} GA to the {other} GA")
        self.target = other

    def _choose_target(self) -> None:
        self._read_heartbeats()
        if self.target == PEER and self._caught_up_ms > self._left_local_ms:
            self.log.state("local GA is back and caught up; returning to it")
            self.target = LOCAL
        elif self.target == LOCAL and self._local_went_silent():
            self.log.state("local GA stopped beating; using the peer GA")
            self._fail_over()

    def _local_went_silent(self) -> bool:
        if self._beats is None or not self._last_beat:
            return False
        return time.monotonic() - self._last_beat > self._silence_s

    def _read_heartbeats(self) -> None:
        if self._beats is None:
            return
        while True:
            try:
                frames = self._beats.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            status = _status(frames)
            if status is None:
                continue
            self._last_beat = time.monotonic()
            if status.get("caught_up"):
                self._caught_up_ms = int(status.get("ts", 0))

    def _watch(self, endpoint: str) -> zmq.Socket:
        sock = self._context.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SUBSCRIBE, b"HB")
        sock.connect(endpoint)
        return sock

    def _socket(self, target: str) -> zmq.Socket:
        if target not in self._sockets:
            sock = self._context.socket(zmq.REQ)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(self._endpoints[target])
            self._sockets[target] = sock
        return self._sockets[target]

    def _drop(self, target: str) -> None:
        self._sockets.pop(target).close(linger=0)


def _status(frames: list[bytes]) -> dict[str, Any] | None:
    try:
        status = json.loads(frames[-1])
    except ValueError:
        return None
    return status if isinstance(status, dict) else None
