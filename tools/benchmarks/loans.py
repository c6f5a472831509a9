"""Our loan path: client -> AP -> GA (durable) -> AP -> client.

One site alone (no peer, so nothing waits for replication), measured the
same way as the physical reference.
"""

from __future__ import annotations

from pathlib import Path

from tools.benchmarks.sites import bench_cluster, loan
from tools.benchmarks.timing import round_trips, throughput


def measure(folder: Path, count: int, seconds: float) -> dict:
    cluster = bench_cluster(folder, ga_repl_sub_connect="")
    try:
        cluster.start("node", "A")
        cluster.wait_ready(sites=["A"])
        ap = cluster.endpoint("A", "ap_rep_bind")
        round_trips(ap, lambda n: loan("warm", n), 200)
        serial = round_trips(ap, lambda n: loan("serial", n), count)
        rates = {
            clients: throughput(
                ap, lambda i, n, c=clients: loan(f"c{c}-{i}", n), clients, seconds
            )
            for clients in (1, 4, 16)
        }
    finally:
        cluster.stop_all()
    return {"p50_ms": serial.p50, "p99_ms": serial.p99, "rates": rates}
