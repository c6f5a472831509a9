"""Replication lag and catch-up between two GA processes.

Lag: operations are sent to GA_A at a steady rate; a watcher polls GA_B's
status and notes when its applied position for A first covers each one.
Catch-up: GA_B is stopped, GA_A takes a batch of operations, GA_B starts
again and is timed until it holds them all.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import zmq

from tools.benchmarks.sites import bench_cluster, ga_loan
from tools.benchmarks.timing import Latencies, load, req_socket
from tools.cluster import wait_for


def lag(folder: Path, rate_per_s: int, seconds: float) -> Latencies:
    cluster = bench_cluster(folder)
    try:
        for site in "AB":
            cluster.start("ga", site)
        cluster.wait_ready()
        acked_at: list[float] = []
        seen_at: dict[int, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(
            target=_watch, args=(cluster, seen_at, stop), daemon=True
        )
        watcher.start()
        _paced_loans(
            cluster.endpoint("A", "ga_rep_bind"), rate_per_s, seconds, acked_at
        )
        wait_for(lambda: len(acked_at) in seen_at, 30, "GA_B fell behind")
        stop.set()
        watcher.join()
    finally:
        cluster.stop_all()
    return _lags(acked_at, seen_at)


def _paced_loans(endpoint: str, rate: int, seconds: float, acked_at: list) -> None:
    sock = req_socket(zmq.Context.instance(), endpoint)
    start = time.perf_counter()
    try:
        for n in range(int(rate * seconds)):
            time.sleep(max(0.0, start + n / rate - time.perf_counter()))
            sock.send(ga_loan("lag", n))
            if not sock.poll(5000):
                raise TimeoutError("GA_A did not answer")
            sock.recv()
            acked_at.append(time.perf_counter())
    finally:
        sock.close()


def _watch(cluster, seen_at: dict[int, float], stop: threading.Event) -> None:
    """Note when GA_B's applied position for A first reaches each seq."""
    sock = req_socket(zmq.Context.instance(), cluster.endpoint("B", "ga_rep_bind"))
    body = json.dumps({"method": "status"}).encode()
    known = 0
    try:
        while not stop.is_set():
            sock.send(body)
            if not sock.poll(2000):
                raise TimeoutError("GA_B did not answer its status")
            applied = json.loads(sock.recv())["metadata"]["applied"]["A"]
            now = time.perf_counter()
            for seq in range(known + 1, applied + 1):
                seen_at[seq] = now
            known = max(known, applied)
    finally:
        sock.close()


def _lags(acked_at: list[float], seen_at: dict[int, float]) -> Latencies:
    result = Latencies()
    for seq, acked in enumerate(acked_at, start=1):
        result.samples_ms.append(max(0.0, seen_at[seq] - acked) * 1000)
    return result


def catch_up(folder: Path, missed: int) -> dict:
    cluster = bench_cluster(folder)
    try:
        for site in "AB":
            cluster.start("ga", site)
        cluster.wait_ready()
        cluster.stop("ga-B")
        endpoint = cluster.endpoint("A", "ga_rep_bind")
        sent = load(endpoint, lambda i, n: ga_loan(f"cu{i}", n), missed)
        head = cluster.status("A")["head"]
        started = time.perf_counter()
        cluster.start("ga", "B")
        wait_for(
            lambda: (
                (cluster.status("B", 200) or {}).get("applied", {}).get("A") == head
            ),
            60,
            "GA_B did not catch up",
        )
        elapsed_s = time.perf_counter() - started
    finally:
        cluster.stop_all()
    return {"operations": sent, "seconds": elapsed_s}
