"""Resident memory of a whole site node, at rest and after many operations."""

from __future__ import annotations

import json
from pathlib import Path

from tools.benchmarks.sites import bench_cluster, ga_loan
from tools.benchmarks.timing import load


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def measure(folder: Path, operations: int) -> dict:
    cluster = bench_cluster(folder, ga_repl_sub_connect="")
    try:
        process = cluster.start("node", "A")
        cluster.wait_ready(sites=["A"])
        at_rest = rss_mb(process.pid)
        load(
            cluster.endpoint("A", "ga_rep_bind"),
            lambda i, n: cycle(f"m{i}", n),
            operations,
        )
        loaded = rss_mb(process.pid)
    finally:
        cluster.stop_all()
    return {"at_rest_mb": at_rest, "after_mb": loaded, "operations": operations}


def cycle(tag: str, n: int) -> bytes:
    """Loans and returns in turn, so the number of active loans stays bounded
    as in a library; every operation is still a new id to remember."""
    request = json.loads(ga_loan(tag, n // 2))
    request["payload"]["id"] = f"{tag}-{n}"
    if n % 2:
        request["method"] = "devolver"
    return json.dumps(request).encode()
