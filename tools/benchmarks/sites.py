"""Sites prepared for measuring: plenty of copies, so every loan succeeds."""

from __future__ import annotations

import json
import os
from pathlib import Path

from common.jsonfile import canonical
from tools.cluster import SITES, Cluster

BOOKS = 20_000  # many books, so that each holds few loans, as in a library
COPIES = 10_000


def bench_cluster(root: Path, **overrides) -> Cluster:
    settings = {
        "log_level": "WARNING",
        "ga_heartbeat_interval_ms": 500,
        "snapshot_interval_ops": 5000,
        **overrides,
    }
    cluster = Cluster(root, overrides=settings)
    books = [
        {
            "codigo": code(n),
            "titulo": f"Bench {n}",
            "ejemplares": COPIES,
            "disponible": True,
        }
        for n in range(BOOKS)
    ]
    for site in SITES:
        folder = cluster.settings[site].ga_data_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "books.json").write_bytes(canonical(books))
        (folder / "loans.json").write_bytes(canonical([]))
        (folder / "oplog.json").write_bytes(b"")
        (folder / "applied_index.json").write_bytes(b"{}\n")
    return cluster


def one_core() -> str:
    """PIN_CPU for a node measured alone: the last core, when there are two
    or more (the clients keep the others); empty on a one-core machine."""
    cores = sorted(os.sched_getaffinity(0))
    return str(cores[-1]) if len(cores) > 1 else ""


def code(n: int) -> str:
    return f"ISBN-{n % BOOKS + 1:04d}"


def loan(tag: str, n: int) -> bytes:
    """A loan request for AP that always finds a copy (a new user each time)."""
    return json.dumps(
        {"id": f"{tag}-{n}", "libroCodigo": code(n), "userId": f"{tag}-u{n}"}
    ).encode()


def ga_loan(tag: str, n: int) -> bytes:
    """The same loan as a GA request."""
    payload = json.loads(loan(tag, n))
    return json.dumps({"method": "checkAndLoan", "payload": payload}).encode()
