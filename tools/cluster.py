"""Both sites as real processes on this host, for the demo, the failover
demo, the chaos harness, the load experiments and the benchmark.

Each site gets its own env file under the cluster's folder, written from
.env.siteX with our overrides (data folders, heartbeat, and with
`free_ports` every socket on a free loopback port), so that runs never
touch ./data/siteX nor collide with each other. Processes log JSON lines
to <root>/logs/<name>.log.

Process kinds: "node" (python -m runtime.node: GA and actors in one
process), "ga" (python -m ga.server), "workers" (runtime.node
--bridge-only: AR, AD, AP against the GA sockets) and "gc" (the
reference load manager).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import zmq

from common.settings import Settings, connect_to, load_settings
from tools.seed_data import generate, write_site

ROOT = Path(__file__).resolve().parents[1]
SITES = ("A", "B")
PORT_SETTINGS = (
    "gc_bind",
    "gc_pub_bind",
    "ap_rep_bind",
    "ga_rep_bind",
    "ga_health_rep_bind",
    "ga_heartbeat_pub_bind",
    "ga_repl_pub_bind",
)
COMMANDS = {
    "node": ["-m", "runtime.node"],
    "ga": ["-m", "ga.server"],
    "workers": ["-m", "runtime.node", "--bridge-only"],
    "gc": ["-m", "tools.reference_gc"],
}


class ClusterError(RuntimeError):
    """A process did not start or answer in time; the message says which."""


_GIVEN: set[int] = set()


def free_port() -> int:
    """A loopback port nobody holds, never handed out twice by this process.

    Taken below the kernel's ephemeral range: a port from that range (what
    binding to port 0 gives) can be taken by any outgoing connection before
    our process binds it, which made runs fail with EADDRINUSE now and then.
    """
    first_ephemeral = _first_ephemeral_port()
    for _ in range(200):
        port = random.randrange(first_ephemeral - 12_000, first_ephemeral)
        if port in _GIVEN:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _GIVEN.add(port)
        return port
    raise ClusterError("no free loopback port below the ephemeral range")


def _first_ephemeral_port() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        return max(int(text.split()[0]), 13_024)
    except (OSError, ValueError, IndexError):
        return 32_768  # the Linux default


class Cluster:
    def __init__(
        self,
        root: Path,
        *,
        free_ports: bool = True,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self.root = root.resolve()
        self.logs = self.root / "logs"
        self.processes: dict[str, subprocess.Popen] = {}
        self.settings = self._site_settings(free_ports, overrides or {})

    # --- set up

    def seed(self, seed: int = 7) -> None:
        books, loans = generate(seed)
        for site in SITES:
            write_site(self.settings[site].ga_data_dir, books, loans, force=True)

    def _site_settings(self, free_ports: bool, overrides: dict) -> dict:
        ports = {site: self._ports(free_ports) for site in SITES}
        result = {}
        for site in SITES:
            peer = "B" if site == "A" else "A"
            values = {
                "ga_data_dir": self.root / f"site{site}",
                "actor_state_dir": self.root / f"actors-site{site}",
                **ports[site],
                **_peer_links(ports[peer]),
                **overrides,
            }
            result[site] = load_settings(ROOT / f".env.site{site}", **values)
        return result

    def _ports(self, free_ports: bool) -> dict[str, str]:
        if not free_ports:
            return {}
        ports = {name: f"tcp://127.0.0.1:{free_port()}" for name in PORT_SETTINGS}
        ports["gc_pub_connect"] = ports["gc_pub_bind"]
        ports["ap_req_connect"] = ports["ap_rep_bind"]
        return ports

    def env_file(self, site: str) -> Path:
        path = self.root / f"site{site}.env"
        if not path.is_file():
            self.root.mkdir(parents=True, exist_ok=True)
            path.write_text(env_text(self.settings[site]))
        return path

    # --- processes

    def start(self, kind: str, site: str, *extra: str) -> subprocess.Popen:
        name = f"{kind}-{site}"
        self.logs.mkdir(parents=True, exist_ok=True)
        env_file = str(self.env_file(site))
        args = [*COMMANDS[kind], "--site", site, "--env-file", env_file, *extra]
        with open(self.logs / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, *args],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process
        return process

    def signal(self, name: str, sig: int) -> None:
        process = self.processes[name]
        if process.poll() is None:
            process.send_signal(sig)

    def stop(self, name: str, timeout_s: float = 20) -> int:
        """SIGTERM, then SIGKILL if the process does not exit in time."""
        process = self.processes.pop(name)
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.terminate()
        try:
            return process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return -signal.SIGKILL

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def stop_all(self) -> dict[str, int]:
        """Stop everything, GCs first and GAs last; the exit codes by name."""
        kinds = list(COMMANDS)[::-1]  # gc, workers, ga, node
        order = sorted(self.processes, key=lambda n: kinds.index(n.split("-")[0]))
        return {name: self.stop(name) for name in order}

    # --- asking

    def endpoint(self, site: str, name: str) -> str:
        return connect_to(self.settings[site].endpoint(name))

    def status(self, site: str, timeout_ms: int = 500) -> dict | None:
        """The GA's status from its health socket, None if it is silent."""
        raw = request(self.endpoint(site, "ga_health_rep_bind"), b"status", timeout_ms)
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def wait_ready(self, sites=SITES, timeout_s: float = 30) -> None:
        """Until every GA of `sites` answers and accepts operations."""
        for site in sites:
            wait_for(
                lambda s=site: (self.status(s) or {}).get("accepting"),
                timeout_s,
                f"GA {site} did not become ready (see {self.logs})",
            )

    def settled(self) -> bool:
        a, b = self.status("A"), self.status("B")
        return bool(a and b) and in_step(a, b)

    def files_identical(self) -> bool:
        a, b = self.settings["A"], self.settings["B"]
        return all(
            a.data_file(name).read_bytes() == b.data_file(name).read_bytes()
            for name in ("books_file", "loans_file")
        )


def in_step(a: dict, b: dict) -> bool:
    """Two GA statuses holding the same operations and state, nothing pending."""
    same = a["digest"] == b["digest"] and a["applied"] == b["applied"]
    return same and a["pending"] == 0 and b["pending"] == 0


def request(endpoint: str, body: bytes, timeout_ms: int) -> bytes | None:
    """One REQ round trip on a fresh socket; None on timeout."""
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(endpoint)
        sock.send(body)
        return sock.recv() if sock.poll(timeout_ms) else None
    finally:
        sock.close()


def wait_for(predicate, timeout_s: float, failure: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise ClusterError(failure)


def _peer_links(peer_ports: dict[str, str]) -> dict[str, str]:
    if not peer_ports:
        return {}
    return {
        "ga_repl_sub_connect": peer_ports["ga_repl_pub_bind"],
        "ga_peer_rep_connect": peer_ports["ga_rep_bind"],
    }


def env_text(settings: Settings) -> str:
    lines = ["# Written by tools/cluster.py for one run; not for editing."]
    for name, value in settings.model_dump().items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        lines.append(f"{name.upper()}={text}")
    return "\n".join(lines) + "\n"
