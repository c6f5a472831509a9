"""The physical reference: bare pyzmq with the hops of our loan path.

client REQ -> hop 1 (ROUTER, forwards on a REQ) -> hop 2 (REP: appends
the request to a file and fdatasyncs it) -> back the same way. Our loan
path has the same shape: client -> AP -> GA (durable) -> AP -> client.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import zmq

from tools.benchmarks.timing import PAYLOAD, throughput
from tools.cluster import free_port


class EchoChain:
    def __init__(self, folder: Path) -> None:
        self.front = f"tcp://127.0.0.1:{free_port()}"
        self.back = f"tcp://127.0.0.1:{free_port()}"
        self._file = folder / "reference.log"
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._durable_echo, daemon=True),
            threading.Thread(target=self._forwarder, daemon=True),
        ]

    def __enter__(self) -> EchoChain:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _durable_echo(self) -> None:
        sock = zmq.Context.instance().socket(zmq.REP)
        sock.setsockopt(zmq.LINGER, 0)
        sock.bind(self.back)
        with open(self._file, "ab") as log:
            while not self._stop.is_set():
                if not sock.poll(100):
                    continue
                data = sock.recv()
                log.write(data + b"\n")
                log.flush()
                os.fdatasync(log.fileno())
                sock.send(data)
        sock.close()

    def _forwarder(self) -> None:
        context = zmq.Context.instance()
        front = context.socket(zmq.ROUTER)
        front.setsockopt(zmq.LINGER, 0)
        front.bind(self.front)
        back = context.socket(zmq.DEALER)
        back.setsockopt(zmq.LINGER, 0)
        back.connect(self.back)
        poller = zmq.Poller()
        poller.register(front, zmq.POLLIN)
        poller.register(back, zmq.POLLIN)
        while not self._stop.is_set():
            ready = dict(poller.poll(100))
            if front in ready:
                back.send_multipart(front.recv_multipart())
            if back in ready:
                front.send_multipart(back.recv_multipart())
        front.close()
        back.close()


def rates(folder: Path, seconds: float) -> dict[int, float]:
    """Requests per second with 1, 4 and 16 concurrent clients. (The serial
    round trip is measured in turns with ours: tools/benchmarks/loans.py.)"""
    with EchoChain(folder) as chain:
        return {
            clients: throughput(chain.front, lambda i, n: PAYLOAD, clients, seconds)
            for clients in (1, 4, 16)
        }
