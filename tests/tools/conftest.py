"""The reference GC and PS on loopback, against a fake AP run by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zmq

from common.clock import ManualClock
from common.settings import Settings, load_settings
from tests.conftest import free_port
from tools.reference_gc import ReferenceGc

DUE = "2026-12-20"
UNKNOWN = "ISBN-9999"


def ap_answer(request: dict[str, Any]) -> dict[str, Any]:
    """AP's contract reply: every book lends except UNKNOWN."""
    if request["libroCodigo"] == UNKNOWN:
        return {"ok": False, "reason": "UNKNOWN_BOOK", "metadata": None}
    return {"ok": True, "reason": None, "metadata": {"dueDate": DUE}}


class FakeAp:
    """AP on a loopback port, served by a thread of the test.

    Frames: [client, b"", request json] in, [client, b"", reply json] out; a
    ROUTER, which REQ clients see as a REP, so it can hold a loan of a book
    in `held` (until `release` is set) while it answers the others.
    """

    def __init__(self, answer: Callable[[dict], Any] = ap_answer) -> None:
        self.endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.answer = answer
        self.requests: list[dict] = []
        self.held: set[str] = set()
        self.release = threading.Event()
        self._stop = threading.Event()
        self._bound = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-ap")

    def start(self) -> FakeAp:
        self._thread.start()
        assert self._bound.wait(5), "fake AP did not bind"
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _serve(self) -> None:
        socket = zmq.Context.instance().socket(zmq.ROUTER)
        socket.setsockopt(zmq.LINGER, 0)
        waiting: list[tuple[list[bytes], dict]] = []
        try:
            socket.bind(self.endpoint)
            self._bound.set()
            while not self._stop.is_set():
                if socket.poll(20):
                    *envelope, body = socket.recv_multipart()
                    self.requests.append(json.loads(body))
                    waiting.append((envelope, self.requests[-1]))
                waiting = [w for w in waiting if not self._answer(socket, *w)]
        finally:
            socket.close(linger=0)

    def _answer(self, socket: zmq.Socket, envelope: list[bytes], request) -> bool:
        if request["libroCodigo"] in self.held and not self.release.is_set():
            return False
        reply = self.answer(request)
        data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        socket.send_multipart([*envelope, data])
        return True


@pytest.fixture
def fake_ap() -> Iterator[FakeAp]:
    ap = FakeAp().start()
    try:
        yield ap
    finally:
        ap.stop()


def gc_settings(ap_endpoint: str, **extra: Any) -> Settings:
    values = {
        "site_id": "A",
        "gc_bind": f"tcp://127.0.0.1:{free_port()}",
        "gc_pub_bind": f"tcp://127.0.0.1:{free_port()}",
        "ap_req_connect": ap_endpoint,
    }
    return load_settings(None, **{**values, **extra})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()  # 2026-05-28


@pytest.fixture
def start_gc(fake_ap, clock) -> Iterator[Callable[..., ReferenceGc]]:
    """Start reference GCs talking to `fake_ap`; all are stopped at the end."""
    started: list[ReferenceGc] = []

    def start(mode: str = "serial", workers: int = 2, **extra) -> ReferenceGc:
        settings = gc_settings(fake_ap.endpoint, gc_mode=mode, **extra)
        gc = ReferenceGc(settings, workers, clock).start()
        started.append(gc)
        return gc

    try:
        yield start
    finally:
        for gc in reversed(started):
            gc.stop()


@pytest.fixture
def zsocket() -> Iterator[Callable[..., zmq.Socket]]:
    """Make a socket connected to an endpoint; every one closed at the end."""
    opened: list[zmq.Socket] = []

    def make(kind: int, connect: str) -> zmq.Socket:
        socket = zmq.Context.instance().socket(kind)
        socket.setsockopt(zmq.LINGER, 0)
        opened.append(socket)
        socket.connect(connect)
        return socket

    try:
        yield make
    finally:
        for socket in opened:
            socket.close(linger=0)


def ask(socket: zmq.Socket, body: Any, timeout_ms: int = 5000) -> dict[str, Any]:
    """Send `body` (JSON, or raw bytes) and return the JSON reply."""
    socket.send(body if isinstance(body, bytes) else json.dumps(body).encode())
    assert socket.poll(timeout_ms), f"no reply within {timeout_ms} ms"
    return json.loads(socket.recv())
