"""Failover time: SIGKILL of the local GA to the first loan served by the peer.

Site A runs its GA and its actors as separate processes; a client sends
loans to AP_A back to back; the benchmark kills GA_A and notes when the
first successful reply arrives after the kill.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import zmq

from tools.benchmarks.sites import bench_cluster, loan
from tools.benchmarks.timing import req_socket


def measure(folder: Path, runs: int = 3) -> list[float]:
    """Milliseconds from each kill to the next successful loan."""
    return [_one(folder / f"run-{n}") for n in range(runs)]


def _one(folder: Path) -> float:
    cluster = bench_cluster(folder)
    try:
        for kind, site in (("ga", "A"), ("ga", "B"), ("workers", "A")):
            cluster.start(kind, site)
        cluster.wait_ready()
        replies: list[float] = []
        stop = threading.Event()
        client = threading.Thread(
            target=_client,
            args=(cluster.endpoint("A", "ap_rep_bind"), replies, stop),
        )
        client.start()
        time.sleep(1.0)
        killed = time.perf_counter()
        cluster.kill("ga-A")
        time.sleep(3.0)
        stop.set()
        client.join()
    finally:
        cluster.stop_all()
    after = [t for t in replies if t > killed]
    return (after[0] - killed) * 1000 if after else float("inf")


def _client(endpoint: str, replies: list[float], stop: threading.Event) -> None:
    """Loans back to back; the time of every successful reply."""
    sock = req_socket(zmq.Context.instance(), endpoint)
    n = 0
    try:
        while not stop.is_set():
            sock.send(loan("fo", n))
            n += 1
            if not sock.poll(5000):
                raise TimeoutError("AP did not answer")
            if json.loads(sock.recv())["ok"]:
                replies.append(time.perf_counter())
    finally:
        sock.close()
