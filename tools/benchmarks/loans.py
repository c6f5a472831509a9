"""Our loan path: client -> AP -> GA (durable) -> AP -> client.

One site alone (no peer, so nothing waits for replication), its node kept
on one core with PIN_CPU as docs/performance.md recommends, measured the
same way as the physical reference. The serial round trips of both are
taken in turns, in the same minutes, since this machine's speed drifts.
"""

from __future__ import annotations

from pathlib import Path

from tools.benchmarks.reference import EchoChain
from tools.benchmarks.sites import bench_cluster, loan, one_core
from tools.benchmarks.timing import PAYLOAD, interleaved, round_trips, throughput


def measure(folder: Path, count: int, seconds: float) -> dict:
    cluster = bench_cluster(folder, ga_repl_sub_connect="", pin_cpu=one_core())
    try:
        cluster.start("node", "A")
        cluster.wait_ready(sites=["A"])
        ap = cluster.endpoint("A", "ap_rep_bind")
        round_trips(ap, lambda n: loan("warm", n), 200)
        with EchoChain(folder) as chain:
            serial = interleaved(
                {
                    "ours": (ap, lambda n: loan("serial", n)),
                    "reference": (chain.front, lambda n: PAYLOAD),
                },
                count,
            )
        rates = {
            clients: throughput(
                ap, lambda i, n, c=clients: loan(f"c{c}-{i}", n), clients, seconds
            )
            for clients in (1, 4, 16)
        }
    finally:
        cluster.stop_all()
    ours, reference = serial["ours"], serial["reference"]
    return {
        "p50_ms": ours.p50,
        "p99_ms": ours.p99,
        "reference_p50_ms": reference.p50,
        "reference_p99_ms": reference.p99,
        "rates": rates,
    }
