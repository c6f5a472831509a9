"""How the reference GC serves: one thread (serial) or a broker and workers.

serial: one thread owns a REP socket for the PS, the PUB socket and one REQ
to AP, and handles one request at a time, as the real GC does.

threaded: the broker thread owns the PS-facing ROUTER, the PUB socket and
an inproc ROUTER towards N worker threads (the ZeroMQ guide's load-balancing
broker). It answers renewals, returns and bad input itself, at once, and
hands each loan to an idle worker, queueing loans while all are busy. Each
worker owns an inproc REQ to the broker and its own REQ to AP, so a slow
loan holds up only its own worker. A REQ client has one request in flight,
so each PS client's replies keep their order.

Frames (a REQ client's envelope is [client identity, b""]):
    PS -> broker       [*envelope, request json]
    broker -> PS       [*envelope, reply json]
    broker -> worker   [worker, b"", *envelope, request json with its id]
    worker -> broker   [worker, b"", b"READY"] once, then
                       [worker, b"", *envelope, reply json]
    The inproc ROUTER adds and strips the [worker, b""] part.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

import zmq

from tools.lazy_pirate import POLL_MS, LazyPirate

if TYPE_CHECKING:
    from tools.reference_gc import ReferenceGc

WORKERS_ENDPOINT = "inproc://gc-workers"
READY = b"READY"


def _encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode()


def _bind(gc: ReferenceGc, kind: int, endpoint: str, owned: list) -> zmq.Socket:
    socket = gc.context.socket(kind)
    owned.append(socket)  # closed by the caller even if bind fails
    socket.setsockopt(zmq.LINGER, 0)
    socket.bind(endpoint)
    return socket


def _close(sockets: list[zmq.Socket]) -> None:
    for socket in reversed(sockets):
        socket.close(linger=0)


def _ap_link(gc: ReferenceGc) -> LazyPirate:
    timeout_ms = gc.settings.gc_ap_timeout_ms
    return LazyPirate(gc.context, gc.ap_endpoint, timeout_ms, gc.stop_event)


def serve_serial(gc: ReferenceGc, bound: threading.Event) -> None:
    """One request at a time, start to finish, on one thread."""
    owned: list[zmq.Socket] = []
    ap = _ap_link(gc)
    try:
        front = _bind(gc, zmq.REP, gc.settings.endpoint("gc_bind"), owned)
        pub = _bind(gc, zmq.PUB, gc.settings.endpoint("gc_pub_bind"), owned)
        bound.set()
        while not gc.stop_event.is_set():
            if front.poll(POLL_MS):
                _serve_one(gc, front, pub, ap)
    finally:
        ap.close()
        _close(owned)


def _serve_one(gc: ReferenceGc, front, pub, ap: LazyPirate) -> None:
    request, reply = gc.core.accept(front.recv())
    frame = None
    if request and request["op"] == "PRESTAR":
        reply = gc.core.lend(request, ap)
    elif request:
        reply, frame = gc.core.at_once(request)
    front.send(_encode(reply))
    if frame:
        pub.send_string(frame)


def serve_threaded(gc: ReferenceGc, bound: threading.Event) -> None:
    _Broker(gc).run(bound)


class _Broker:
    def __init__(self, gc: ReferenceGc) -> None:
        self.gc = gc
        self.owned: list[zmq.Socket] = []
        self.idle: deque[bytes] = deque()  # identities of workers free for a loan
        self.loans: deque[tuple[list[bytes], dict]] = deque()  # waiting for one
        self.threads: list[threading.Thread] = []

    def run(self, bound: threading.Event) -> None:
        try:
            self._open()
            self._start_workers()
            bound.set()
            self._loop()
        finally:
            self.gc.stop_event.set()
            for thread in self.threads:
                thread.join()
            _close(self.owned)

    def _open(self) -> None:
        endpoint = self.gc.settings.endpoint
        self.front = _bind(self.gc, zmq.ROUTER, endpoint("gc_bind"), self.owned)
        self.pub = _bind(self.gc, zmq.PUB, endpoint("gc_pub_bind"), self.owned)
        self.back = _bind(self.gc, zmq.ROUTER, WORKERS_ENDPOINT, self.owned)

    def _start_workers(self) -> None:
        for n in range(1, self.gc.workers + 1):
            thread = threading.Thread(target=_work, args=(self.gc,), name=f"gc-w{n}")
            thread.start()
            self.threads.append(thread)

    def _loop(self) -> None:
        poller = zmq.Poller()
        poller.register(self.front, zmq.POLLIN)
        poller.register(self.back, zmq.POLLIN)
        while not self.gc.stop_event.is_set():
            ready = dict(poller.poll(POLL_MS))
            if self.back in ready:
                self._from_worker()
            if self.front in ready:
                self._from_client()

    def _from_client(self) -> None:
        *envelope, raw = self.front.recv_multipart()
        request, reply = self.gc.core.accept(raw)
        if request and request["op"] == "PRESTAR":
            self.loans.append((envelope, request))
            self._dispatch()
            return
        frame = None
        if request:
            reply, frame = self.gc.core.at_once(request)
        self.front.send_multipart([*envelope, _encode(reply)])
        if frame:
            self.pub.send_string(frame)

    def _from_worker(self) -> None:
        worker, _, *rest = self.back.recv_multipart()
        if rest != [READY]:
            self.front.send_multipart(rest)
        self.idle.append(worker)
        self._dispatch()

    def _dispatch(self) -> None:
        while self.idle and self.loans:
            envelope, request = self.loans.popleft()
            frames = [self.idle.popleft(), b"", *envelope, _encode(request)]
            self.back.send_multipart(frames)


def _work(gc: ReferenceGc) -> None:
    """One worker: takes a loan from the broker, asks AP, hands the reply back."""
    socket = gc.context.socket(zmq.REQ)
    socket.setsockopt(zmq.LINGER, 0)
    ap = _ap_link(gc)
    try:
        socket.connect(WORKERS_ENDPOINT)
        socket.send(READY)
        while not gc.stop_event.is_set():
            if socket.poll(POLL_MS):
                *envelope, body = socket.recv_multipart()
                reply = gc.core.lend(json.loads(body), ap)
                socket.send_multipart([*envelope, _encode(reply)])
    finally:
        ap.close()
        socket.close(linger=0)
