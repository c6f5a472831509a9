"""Small measuring helpers shared by the benchmarks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import zmq

from tools.report import percentile

PAYLOAD = json.dumps(
    {"id": "bench-000000-000000", "libroCodigo": "ISBN-0001", "userId": "u-000001"}
).encode()  # the size of a loan request


@dataclass
class Latencies:
    samples_ms: list[float] = field(default_factory=list)

    def percentile(self, fraction: float) -> float:
        return percentile(self.samples_ms, fraction)

    @property
    def p50(self) -> float:
        return self.percentile(0.5)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


def req_socket(context: zmq.Context, endpoint: str) -> zmq.Socket:
    sock = context.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    return sock


def round_trips(endpoint: str, body: Callable[[int], bytes], count: int) -> Latencies:
    """`count` sequential requests on one REQ socket; the latency of each.
    One more request goes first, unmeasured: it pays for the connection."""
    context = zmq.Context.instance()
    sock = req_socket(context, endpoint)
    result = Latencies()
    try:
        for n in range(-1, count):
            start = time.perf_counter()
            sock.send(body(n))
            if not sock.poll(5000):
                raise TimeoutError(f"no reply from {endpoint}")
            sock.recv()
            if n >= 0:
                result.samples_ms.append((time.perf_counter() - start) * 1000)
    finally:
        sock.close()
    return result


def interleaved(
    endpoints: dict[str, tuple[str, Callable[[int], bytes]]],
    count: int,
    rounds: int = 5,
) -> dict[str, Latencies]:
    """Serial round trips to several endpoints, taken in turns of
    `count / rounds` requests each, so that every endpoint sees the same
    moments of a busy machine; returns each endpoint's pooled latencies."""
    pooled = {name: Latencies() for name in endpoints}
    for turn in range(rounds):
        for name, (endpoint, body) in endpoints.items():

            def numbered(n: int, body=body, offset=turn * count) -> bytes:
                return body(offset + n)  # distinct request numbers in every turn

            taken = round_trips(endpoint, numbered, count // rounds)
            pooled[name].samples_ms += taken.samples_ms
    return pooled


def throughput(
    endpoint: str, body: Callable[[int, int], bytes], clients: int, seconds: float
) -> float:
    """Requests per second answered to `clients` concurrent REQ clients."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        sock = req_socket(zmq.Context.instance(), endpoint)
        try:
            n = 0
            while time.monotonic() < stop:
                sock.send(body(index, n))
                if not sock.poll(5000):
                    raise TimeoutError(f"no reply from {endpoint}")
                sock.recv()
                n += 1
            done[index] = n
        finally:
            sock.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def load(
    endpoint: str, body: Callable[[int, int], bytes], count: int, clients: int = 16
) -> int:
    """Send `count` requests with `clients` concurrent clients; how many went."""
    per_client = count // clients

    def client(index: int) -> None:
        sock = req_socket(zmq.Context.instance(), endpoint)
        try:
            for n in range(per_client):
                sock.send(body(index, n))
                if not sock.poll(5000):
                    raise TimeoutError(f"no reply from {endpoint}")
                sock.recv()
        finally:
            sock.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_client * clients
