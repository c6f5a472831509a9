"""One load run: both sites, N real PS processes per site, one window.

The run seeds a fresh cluster (free loopback ports) with the GC in the
run's mode, starts a reference GC and a whole site per site, gives each PS
its own request file (tools/load_requests.py) and starts them all. The
measurement window opens once every PS has had an answer, so the time the
PS take to start does not count, and lasts `window_s`; then the PS get
SIGTERM, then the cluster is stopped, GCs first. Every process must exit
with status 0.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tools.cluster import ROOT, SITES, Cluster, ClusterError, wait_for
from tools.load_requests import write_files
from tools.load_stats import answered_in, read_results

START_TIMEOUT_S = 60.0  # until every PS has had its first answer
PS_SAFETY_S = 120.0  # PS stop by themselves this long after the window
STOP_TIMEOUT_S = 15.0
TICK_S = 0.25  # progress refresh

Show = Callable[[str, float, int], None]  # (phase, elapsed_s, answered)


@dataclass(frozen=True)
class RunSpec:
    gc_mode: str
    ps_per_site: int
    window_s: float
    pause_ms: int
    folder: Path  # wiped first; holds the cluster, request files, PS files


@dataclass
class Outcome:
    rows: list[dict] = field(default_factory=list)  # answered in the window
    measured: bool = False  # the window ran to its end
    problems: list[str] = field(default_factory=list)


class LineCounter:
    """Lines written so far to growing files, reading only what is new."""

    def __init__(self, paths: list[Path]) -> None:
        self.offsets = dict.fromkeys(paths, 0)
        self.lines = dict.fromkeys(paths, 0)

    def count(self) -> dict[Path, int]:
        for path, offset in self.offsets.items():
            if path.is_file():
                with open(path, "rb") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
                self.offsets[path] += len(chunk)
                self.lines[path] += chunk.count(b"\n")
        return self.lines


class PsFleet:
    """The run's PS processes, started, watched and stopped together."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.processes: dict[str, subprocess.Popen] = {}
        self.results: list[Path] = []

    def spawn(self, name: str, requests: Path, gc: str, spec: RunSpec) -> None:
        results = self.folder / f"{name}.jsonl"
        seed = str(len(self.processes) + 1)  # for the pauses: differ per PS
        args = ["--file", str(requests), "--gc", gc, "--loop", "--results"]
        args += [str(results), "--pause-ms", str(spec.pause_ms), "--seed", seed]
        args += ["--duration-s", str(spec.window_s + START_TIMEOUT_S + PS_SAFETY_S)]
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "tools.reference_ps", *args],
                cwd=ROOT,
                # Per-request log lines would be measured along with the GC.
                env={**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.results.append(results)

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise ClusterError(
                    f"{name} exited early with status {process.returncode} "
                    f"(see {self.folder / name}.log)"
                )

    def stop(self) -> dict[str, int]:
        """SIGTERM to all at once, then reap each; SIGKILL if one lingers."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        return {name: _reap(process) for name, process in self.processes.items()}


def _reap(process: subprocess.Popen) -> int:
    try:
        return process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -signal.SIGKILL


def run_once(spec: RunSpec, show: Show) -> Outcome:
    """Measure one (GC mode, PS per site) point; every process stopped after."""
    shutil.rmtree(spec.folder, ignore_errors=True)
    cluster = Cluster(spec.folder / "cluster", overrides={"gc_mode": spec.gc_mode})
    fleet = PsFleet(spec.folder / "ps")
    outcome = Outcome()
    window: tuple[float, float] | None = None
    try:
        _start_sites(cluster, show)
        _start_fleet(cluster, fleet, spec, show)
        window = _watch_window(fleet, spec, show)
    except (ClusterError, ValueError) as exc:
        outcome.problems.append(str(exc))
    finally:
        codes = {**fleet.stop(), **cluster.stop_all()}
    outcome.problems += [f"{n} exited with status {c}" for n, c in codes.items() if c]
    if window is not None:
        outcome.measured = True
        outcome.rows = answered_in(read_results(fleet.results), *window)
    return outcome


def _start_sites(cluster: Cluster, show: Show) -> None:
    show("seeding, starting both sites", 0.0, 0)
    cluster.seed()
    # GCs first, as in tools/demo.py: AR and AD then subscribe to a
    # publisher that is already there.
    for site in SITES:
        cluster.start("gc", site)
    for site in SITES:
        cluster.start("node", site)
    cluster.wait_ready()


def _start_fleet(cluster: Cluster, fleet: PsFleet, spec: RunSpec, show: Show) -> None:
    show(f"starting {2 * spec.ps_per_site} PS", 0.0, 0)
    for site in SITES:
        files = write_files(spec.folder / "requests", site, spec.ps_per_site)
        gc = cluster.endpoint(site, "gc_bind")
        for n, path in enumerate(files, start=1):
            fleet.spawn(f"ps-{site}{n}", path, gc, spec)
    counter = LineCounter(fleet.results)

    def all_answering() -> bool:
        fleet.check_alive()
        return all(counter.count().values())

    wait_for(all_answering, START_TIMEOUT_S, "not every PS got an answer in time")


def _watch_window(fleet: PsFleet, spec: RunSpec, show: Show) -> tuple[float, float]:
    """Epoch ms at which the window opened and closed."""
    counter = LineCounter(fleet.results)
    base = sum(counter.count().values())
    start_ms = time.time() * 1000
    end_ms = start_ms + spec.window_s * 1000
    while (now_ms := time.time() * 1000) < end_ms:
        fleet.check_alive()
        answered = sum(counter.count().values()) - base
        show("measuring", (now_ms - start_ms) / 1000, answered)
        time.sleep(min(TICK_S, max(0.0, (end_ms - now_ms) / 1000)))
    show("stopping", spec.window_s, sum(counter.count().values()) - base)
    return start_ms, end_ms
