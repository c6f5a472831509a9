"""A REQ client that survives a lost reply (the ZeroMQ guide's Lazy Pirate).

Frames: request [body] -> reply [body]. A REQ socket that missed its reply
stays stuck waiting for it, so after a timeout the socket is closed with
linger 0 and a fresh one is opened; the caller decides whether to resend.
An instance is used by one thread only.
"""

from __future__ import annotations

import threading
import time

import zmq

POLL_MS = 100  # how often a wait looks at the stop flag


class LazyPirate:
    def __init__(
        self,
        context: zmq.Context,
        endpoint: str,
        timeout_ms: int = 0,
        stop: threading.Event | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms  # 0: wait for the reply forever
        self._context = context
        self._stop = stop or threading.Event()
        self._socket: zmq.Socket | None = None

    def request(self, body: bytes) -> bytes | None:
        """The reply; None after timeout_ms, or as soon as stop is set."""
        socket = self._socket or self._open()
        socket.send(body)
        deadline = time.monotonic() + self.timeout_ms / 1000
        while not self._stop.is_set():
            if socket.poll(self._wait_ms(deadline)):
                return socket.recv()
            if self.timeout_ms and time.monotonic() >= deadline:
                break
        self.close()
        return None

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def _open(self) -> zmq.Socket:
        self._socket = self._context.socket(zmq.REQ)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.connect(self.endpoint)
        return self._socket

    def _wait_ms(self, deadline: float) -> int:
        if not self.timeout_ms:
            return POLL_MS
        left_ms = int((deadline - time.monotonic()) * 1000)
        return max(0, min(POLL_MS, left_ms))
