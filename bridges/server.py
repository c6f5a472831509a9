"""ServerBridge: a ROUTER socket that serves plain REQ clients.

Frames in:  [routing id ..., b"", body]   (REQ adds the empty delimiter)
Frames out: [routing id ..., b"", reply]

Each request is handed to a handler together with a `Responder`; the
reply may come from any thread at any later time, so one slow request
never blocks the others. Every request is answered exactly once: bad
input at once, and a request nobody answered within `deadline_ms` with
TIMEOUT (a late answer is then dropped).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zmq

from bridges.socket_actor import BridgeHandle, Doorbell, SocketActor
from common.logs import EventLog
from common.models import refusal
from common.reasons import Reason

Handler = Callable[[Any, "Responder"], None]


@dataclass(frozen=True)
class _Reply:
    token: int
    payload: Any


class Responder:
    """Answers one request, from any thread; only the first call counts.
    Past `deadline` (time.monotonic) the server has answered TIMEOUT."""

    def __init__(self, handle: BridgeHandle, token: int, deadline: float) -> None:
        self._handle = handle
        self._token = token
        self.deadline = deadline

    def __call__(self, payload: Any) -> None:
        self._handle.tell(_Reply(self._token, payload))


@dataclass(frozen=True)
class _ExpireDue:
    pass


@dataclass(frozen=True)
class Drain:
    """From now on refuse new requests at once; answers how many requests
    still wait for their answer (ask again until it says 0)."""


@dataclass
class _Pending:
    envelope: list[bytes]
    deadline: float


class ServerBridge(SocketActor):
    def __init__(
        self,
        bell: Doorbell,
        log: EventLog,
        endpoint: str,
        handler: Handler,
        *,
        max_bytes: int,
        deadline_ms: int,
        raw: bool = False,
        shape: Callable[[dict[str, Any]], Any] = lambda refusal: refusal,
    ) -> None:
        super().__init__(bell, log)
        self.endpoint = endpoint
        self._handler = handler
        self._max_bytes = max_bytes
        self._deadline_s = deadline_ms / 1000
        self._raw = raw
        self._shape = shape  # the server's own refusals, in its protocol's shape
        self._tokens = itertools.count(1)
        self._pending: dict[int, _Pending] = {}  # in arrival, so deadline, order
        self._expiry_queued = False
        self._draining = False
        self._handle: BridgeHandle | None = None

    def open(self) -> None:
        self._handle = BridgeHandle(self.actor_ref, self.bell)
        self._router = self.socket(zmq.ROUTER)
        self.bind(self._router, self.endpoint)
        self.log.debug(f"serving on {self.endpoint}")

    def handle(self, message: Any) -> Any:
        if isinstance(message, _Reply):
            self._answer(message.token, message.payload)
        elif isinstance(message, _ExpireDue):
            self._expiry_queued = False
            self._expire()
        elif isinstance(message, Drain):
            self._draining = True
            return len(self._pending)
        return None

    def received(self, sock: zmq.Socket, frames: list[bytes]) -> None:
        envelope, body = _split(frames)
        token = next(self._tokens)
        deadline = time.monotonic() + self._deadline_s
        self._pending[token] = _Pending(envelope, deadline)
        request, problem = self._decode(body)
        if problem is None and self._draining:
            problem = refusal(Reason.GA_UNAVAILABLE, "stopping: try the other site")
        if problem is not None:
            self.log.warning(
                f"refused a request on {self.endpoint}: {problem['reason']}"
            )
            self._answer(token, self._shape(problem))
            return
        try:
            self._handler(request, Responder(self._handle, token, deadline))
        except Exception as exc:
            self.log.error(f"handler failed on {self.endpoint}: {exc!r}")
            self._answer(token, self._shape(refusal(Reason.INTERNAL_ERROR)))

    def _decode(self, body: list[bytes]) -> tuple[Any, dict | None]:
        if len(body) != 1:
            return None, refusal(Reason.BAD_REQUEST, "expected exactly one frame")
        data = body[0]
        if len(data) > self._max_bytes:
            detail = f"{len(data)} bytes, limit {self._max_bytes}"
            return None, refusal(Reason.TOO_LARGE, detail)
        if self._raw:
            return data, None
        try:
            return json.loads(data.decode("utf-8")), None
        except (ValueError, RecursionError) as exc:  # also too many digits
            return None, refusal(Reason.BAD_JSON, str(exc)[:200])

    def _answer(self, token: int, payload: Any) -> None:
        pending = self._pending.pop(token, None)
        if pending is None:
            self.log.debug(f"dropped a late answer on {self.endpoint}")
            return
        data = payload.encode() if isinstance(payload, str) else _dump(payload)
        self._router.send_multipart([*pending.envelope, data])

    def on_idle(self) -> None:
        # Expire through the mailbox, behind the replies already queued there:
        # a reply made in time still leaves, even if this thread ran late.
        if self._expiry_queued or not self._pending:
            return
        if next(iter(self._pending.values())).deadline <= time.monotonic():
            self._expiry_queued = True
            self.actor_ref.tell(_ExpireDue())

    def _expire(self) -> None:
        now = time.monotonic()
        expired = [t for t, p in self._pending.items() if p.deadline <= now]
        for token in expired:
            self.log.warning(f"no answer in time on {self.endpoint}; sent TIMEOUT")
            self._answer(token, self._shape(refusal(Reason.TIMEOUT)))

    def next_poll_ms(self) -> int:
        if not self._pending:
            return self.poll_ms
        first = next(iter(self._pending.values())).deadline
        wait_ms = int((first - time.monotonic()) * 1000) + 1
        return max(0, min(self.poll_ms, wait_ms))


def _split(frames: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    """Routing envelope (through the empty delimiter) and body frames."""
    for index, frame in enumerate(frames):
        if frame == b"":
            return frames[: index + 1], frames[index + 1 :]
    return frames[:1], frames[1:]


def _dump(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
