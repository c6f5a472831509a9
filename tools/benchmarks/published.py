"""Renewals and returns through the subscriber path: GC PUB -> AR/AD -> GA.

The benchmark plays the GC: it binds an XPUB where the site's AR and AD
subscribe, waits until both topics are subscribed (no message is lost to a
slow joiner), lends books straight at the GA, publishes one renewal and one
return for each loan as single frames, and times until the GA has decided
them all.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import zmq

from tools.benchmarks.sites import bench_cluster, code
from tools.benchmarks.timing import req_socket
from tools.cluster import free_port, wait_for


def measure(folder: Path, loans: int) -> float:
    """Renewals plus returns applied per second."""
    pub_endpoint = f"tcp://127.0.0.1:{free_port()}"
    cluster = bench_cluster(folder, ga_repl_sub_connect="", gc_pub_connect=pub_endpoint)
    pub = zmq.Context.instance().socket(zmq.XPUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.bind(pub_endpoint)
    try:
        cluster.start("node", "A")
        cluster.wait_ready(sites=["A"])
        _await_subscribers(pub, {b"RENOVACION", b"DEVOLUCION"})
        _lend(cluster.endpoint("A", "ga_rep_bind"), loans)
        head = cluster.status("A")["head"]
        started = time.perf_counter()
        for n in range(loans):
            for topic, op in (("RENOVACION", "RENOVAR"), ("DEVOLUCION", "DEVOLVER")):
                pub.send(f"{topic} {json.dumps(_message(n, op))}".encode())
        wait_for(
            lambda: cluster.status("A", 1000)["head"] >= head + 2 * loans,
            120,
            "AR and AD did not apply every message",
        )
        return 2 * loans / (time.perf_counter() - started)
    finally:
        cluster.stop_all()
        pub.close()


def _await_subscribers(pub: zmq.Socket, topics: set[bytes]) -> None:
    waiting = set(topics)
    deadline = time.monotonic() + 30
    while waiting and time.monotonic() < deadline:
        if pub.poll(200):
            frame = pub.recv()
            if frame[:1] == b"\x01":
                waiting.discard(frame[1:])
    if waiting:
        raise TimeoutError(f"no subscriber for {sorted(waiting)}")


def _lend(endpoint: str, count: int) -> None:
    sock = req_socket(zmq.Context.instance(), endpoint)
    try:
        for n in range(count):
            payload = {"id": f"pl-{n}", "libroCodigo": code(n), "userId": f"pu-{n}"}
            sock.send(
                json.dumps({"method": "checkAndLoan", "payload": payload}).encode()
            )
            if not sock.poll(5000):
                raise TimeoutError("GA did not answer")
            sock.recv()
    finally:
        sock.close()


def _message(n: int, op: str) -> dict:
    return {
        "id": f"{op.lower()}-{n}",
        "sedeId": "A",
        "userId": f"pu-{n}",
        "libroCodigo": code(n),
        "op": op,
        "dueDateNew": "2026-12-31" if op == "RENOVAR" else None,
    }
