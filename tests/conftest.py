"""Shared test fixtures: free ports, small seeded data folders, GA nodes."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pykka
import pytest
from loguru import logger

from common.clock import ManualClock
from common.jsonfile import canonical
from common.logs import setup_logging
from common.settings import Settings, load_settings
from ga.messages import Status
from ga.node import GaNode
from tools.cluster import free_port, in_step, wait_for

setup_logging("WARNING")


def wait_until(predicate: Callable[[], object], timeout_s: float = 10.0) -> object:
    """Poll `predicate` until it returns something truthy, or fail."""
    return wait_for(predicate, timeout_s, f"condition not met within {timeout_s} s")


def write_data(
    folder: Path,
    copies: dict[str, int],
    loans: list[dict] | None = None,
    fresh: bool = False,
) -> Path:
    """A GA data folder with the given books (code -> copies) and loans;
    `fresh` first empties the folder, as a lost disk would."""
    if fresh:
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    loans = loans or []
    held: dict[str, int] = {}
    for loan in loans:
        held[loan["codigo"]] = held.get(loan["codigo"], 0) + 1
    books = [
        {
            "codigo": code,
            "titulo": f"Libro {code}",
            "ejemplares": n,
            "disponible": held.get(code, 0) < n,
        }
        for code, n in sorted(copies.items())
    ]
    (folder / "books.json").write_bytes(canonical(books))
    (folder / "loans.json").write_bytes(canonical(loans))
    (folder / "oplog.json").write_bytes(b"")
    (folder / "applied_index.json").write_bytes(b"{}\n")
    return folder


BOOKS = {"ISBN-0001": 1, "ISBN-0002": 2, "ISBN-0003": 1, "ISBN-0004": 3}


def site_settings(root: Path, ports: dict[str, int], site: str, **extra) -> Settings:
    """Settings for one site of a two-site pair on loopback ports."""
    me, peer = (site, "B" if site == "A" else "A")
    values = {
        "site_id": site,
        "gc_pub_connect": f"tcp://127.0.0.1:{ports[f'gc_pub_{me}']}",
        "ap_rep_bind": f"tcp://127.0.0.1:{ports[f'ap_{me}']}",
        "ga_rep_bind": f"tcp://127.0.0.1:{ports[f'ga_{me}']}",
        "ga_health_rep_bind": f"tcp://127.0.0.1:{ports[f'health_{me}']}",
        "ga_heartbeat_pub_bind": f"tcp://127.0.0.1:{ports[f'hb_{me}']}",
        "ga_repl_pub_bind": f"tcp://127.0.0.1:{ports[f'repl_{me}']}",
        "ga_repl_sub_connect": f"tcp://127.0.0.1:{ports[f'repl_{peer}']}",
        "ga_peer_rep_connect": f"tcp://127.0.0.1:{ports[f'ga_{peer}']}",
        "ga_data_dir": root / f"site{me}",
        "actor_state_dir": root / f"actors{me}",
        "ga_heartbeat_interval_ms": 200,
        "snapshot_interval_ops": 50,
    }
    values.update(extra)
    return load_settings(None, **values)


PORT_NAMES = ("gc_pub", "ap", "ga", "health", "hb", "repl")


@pytest.fixture
def ports() -> dict[str, int]:
    return {f"{name}_{site}": free_port() for name in PORT_NAMES for site in "AB"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def lone_ga(tmp_path, ports, clock) -> Iterator[GaNode]:
    """One GA with no peer, on small data."""
    write_data(tmp_path / "siteA", BOOKS)
    settings = site_settings(tmp_path, ports, "A", ga_repl_sub_connect="")
    node = GaNode(settings, clock).start()
    yield node
    node.stop()


class GaPair:
    """Two GAs replicating to each other in this process."""

    def __init__(self, root: Path, ports: dict[str, int], clock: ManualClock) -> None:
        self.root, self.ports, self.clock = root, ports, clock
        self.nodes: dict[str, GaNode] = {}
        for site in "AB":
            write_data(root / f"site{site}", BOOKS)

    def settings(self, site: str, **extra) -> Settings:
        return site_settings(self.root, self.ports, site, **extra)

    def start(self, site: str, **extra) -> GaNode:
        self.nodes[site] = GaNode(self.settings(site, **extra), self.clock).start()
        wait_until(lambda: self.status(site)["accepting"])
        return self.nodes[site]

    def stop(self, site: str) -> None:
        self.nodes.pop(site).stop()

    def status(self, site: str) -> dict:
        return self.nodes[site].storage.ask(Status())

    def settled(self) -> bool:
        """Both up, holding the same state, nothing pending, files written."""
        return in_step(self.status("A"), self.status("B"))

    def files(self, site: str, name: str) -> bytes:
        return (self.root / f"site{site}" / name).read_bytes()


@pytest.fixture
def ga_pair(tmp_path, ports, clock) -> Iterator[GaPair]:
    pair = GaPair(tmp_path, ports, clock)
    yield pair
    for site in list(pair.nodes):
        pair.stop(site)


@pytest.fixture
def log_lines() -> Iterator[list[dict]]:
    """Every log record written during the test, as the contract's fields."""
    lines: list[dict] = []

    def sink(message) -> None:
        record = message.record
        lines.append(
            {
                **record["extra"],
                "level": record["level"].name,
                "thread": record["thread"].name,
            }
        )

    sink_id = logger.add(sink, level="DEBUG")
    try:
        yield lines
    finally:
        logger.remove(sink_id)


@pytest.fixture(autouse=True)
def _no_actor_left_behind() -> Iterator[None]:
    """Fail a test that leaves an actor running, and stop what it left."""
    yield
    left = pykka.ActorRegistry.get_all()
    if left:
        names = sorted(ref.actor_class.__name__ for ref in left)
        pykka.ActorRegistry.stop_all(timeout=10)
        pytest.fail(f"actors still running after the test: {names}")
