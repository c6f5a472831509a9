"""`make chaos`: randomized load at both sites while processes fail at random.

Per seed: a fresh cluster in <workdir>/seed-N on free loopback ports, with
a reference GC, a GA and a workers process (AR, AD, AP) per site, so GAs
and actors fail independently. PS clients at both sites send loans,
renewals and returns over a few shared books (the sites compete for the
same copies), each with its own id, while GAs and workers are SIGKILLed
and restarted, or SIGSTOPped and SIGCONTed, at random instants. All of it
comes from the seed, printed, so a failing seed can be run again alone.
Then every process is back, the clients finish, the GAs settle, all stop
on SIGTERM and tools/chaos_checks.py checks the files.

    python -m tools.chaos --seeds 20 [--first-seed 1] [--duration-s 20]
"""

from __future__ import annotations

import random
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer

from common.logs import setup_logging
from tools.chaos_checks import DATA_SEED, Check, check_all, gather, information
from tools.cluster import SITES, Cluster, ClusterError, wait_for
from tools.make_requests import Line
from tools.reference_ps import run_file
from tools.seed_data import generate

OVERRIDES = {
    "ga_heartbeat_interval_ms": 300,
    "snapshot_interval_ops": 50,  # snapshots and truncation happen under faults
    "gc_ap_timeout_ms": 4500,  # a GC whose AP was killed answers, below the PS's 5 s
}
HOT_BOOKS = 12  # books both sites fight over
USERS_PER_CLIENT = 4
SEED_LOAN_SHARE = 0.1  # requests that renew or return a loan of the seed data
SEED_LOAN_OPS = ("RENOVAR", "DEVOLVER")
WARMUP_S = 1.0  # load runs this long before the first fault
FAULT_GAP_S = (0.3, 2.0)  # between the starts of two faults
DOWN_S = (0.2, 2.0)  # how long a process stays killed or stopped
GRACE_S = 0.3  # a process back from a fault runs this long before the next
FAULTS = {"kill ga": 3, "stop ga": 3, "kill workers": 2, "stop workers": 1}


@dataclass(frozen=True)
class Fault:
    at_s: float
    action: str  # "kill" (then restart) or "stop" (then SIGCONT)
    name: str  # the process, e.g. "ga-A"
    down_s: float


@dataclass
class SeedResult:
    seed: int
    sent: int = 0
    acked: int = 0
    faults: int = 0
    conflicts: int = 0
    elapsed_s: float = 0.0
    checks: list[Check] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(check.ok for check in self.checks)


def plan_requests(seed: int, site: str, client: int, count: int) -> list[Line]:
    """Sessions of one client's users (borrow, renew 0-3 times, mostly return)
    over books both sites share, mixed with renewals and returns of seed loans."""
    books, loans = generate(DATA_SEED)
    hot = random.Random(seed).sample([book["codigo"] for book in books], HOT_BOOKS)
    rng = random.Random(f"{seed}-{site}-{client}")
    users = [f"u-{site}{client}-{n}" for n in range(1, USERS_PER_CLIENT + 1)]
    sessions: dict[str, list[Line]] = {user: [] for user in users}
    lines: list[Line] = []
    while len(lines) < count:
        user, row = rng.choice(users), rng.choice(loans)
        if rng.random() < SEED_LOAN_SHARE:
            lines.append((rng.choice(SEED_LOAN_OPS), row["codigo"], row["userId"]))
        else:
            sessions[user] = sessions[user] or _session(rng, rng.choice(hot), user)
            lines.append(sessions[user].pop(0))
    return lines


def _session(rng: random.Random, code: str, user: str) -> list[Line]:
    steps = [("PRESTAR", code, user)] + [("RENOVAR", code, user)] * rng.randint(0, 3)
    return steps + [("DEVOLVER", code, user)] * (rng.random() < 0.8)


def plan_faults(seed: int, duration_s: float) -> list[Fault]:
    """Faults until a second before the end; a process is faulted again only
    once it is back from its last fault."""
    rng = random.Random(f"faults-{seed}")
    kinds, weights = list(FAULTS), list(FAULTS.values())
    faults: list[Fault] = []
    busy_until: dict[str, float] = {}
    at_s = WARMUP_S
    while (at_s := at_s + rng.uniform(*FAULT_GAP_S)) < duration_s - 1:
        action, kind = rng.choices(kinds, weights)[0].split()
        name, down_s = f"{kind}-{rng.choice(SITES)}", rng.uniform(*DOWN_S)
        if busy_until.get(name, 0.0) < at_s:
            busy_until[name] = at_s + down_s + GRACE_S
            faults.append(Fault(round(at_s, 2), action, name, round(down_s, 2)))
    return faults


def start_sites(cluster: Cluster) -> None:
    # GCs first: AR and AD then subscribe to a publisher that is already up.
    for kind in ("gc", "ga", "workers"):
        for site in SITES:
            cluster.start(kind, site)
    # Workers are not awaited: a loan sent before AP is up waits at the GC, and
    # a renewal sent before AR subscribed counts among those never reaching a GA.
    cluster.wait_ready()


def start_clients(
    cluster: Cluster, seed: int, duration_s: float, clients: int, stop: threading.Event
) -> list[threading.Thread]:
    threads = []
    for site in SITES:
        gc = cluster.endpoint(site, "gc_bind")
        for n in range(1, clients + 1):
            lines = plan_requests(seed, site, n, int(duration_s * 80) + 50)
            results = cluster.root / f"ps-{site}{n}.jsonl"
            options = dict(duration_s=duration_s, pause_ms=20, seed=seed, stop=stop)
            thread = threading.Thread(
                target=run_file, args=(lines, gc, results), kwargs=options
            )
            thread.start()
            threads.append(thread)
    return threads


def inject(cluster: Cluster, faults: list[Fault]) -> None:
    """Each fault and its end at its time; returns with every process back."""
    steps = [(f.at_s, "begin", f) for f in faults]
    steps += [(f.at_s + f.down_s, "end", f) for f in faults]
    started = time.monotonic()
    for at_s, step, fault in sorted(steps, key=lambda item: item[0]):
        time.sleep(max(0.0, started + at_s - time.monotonic()))
        what = _begin(cluster, fault) if step == "begin" else _end(cluster, fault)
        typer.echo(f"  t={time.monotonic() - started:6.2f}s  {what}")


def _begin(cluster: Cluster, fault: Fault) -> str:
    if fault.action == "kill":
        cluster.kill(fault.name)
        return f"SIGKILL {fault.name}, restart in {fault.down_s} s"
    cluster.signal(fault.name, signal.SIGSTOP)
    return f"SIGSTOP {fault.name}, SIGCONT in {fault.down_s} s"


def _end(cluster: Cluster, fault: Fault) -> str:
    if fault.action == "kill":
        cluster.start(*fault.name.split("-"))
        return f"restart {fault.name}"
    cluster.signal(fault.name, signal.SIGCONT)
    return f"SIGCONT {fault.name}"


def settle(cluster: Cluster, timeout_s: float) -> dict[str, dict]:
    """The GAs' statuses once they agree, nothing is spooled, and a second
    later nothing has moved."""
    seen: list = []

    def quiet():
        statuses = {site: cluster.status(site) for site in SITES}
        if not cluster.settled() or _spooled(cluster):
            seen.clear()
            return None
        heads = [statuses[site] and statuses[site]["applied"] for site in SITES]
        if seen and seen[-1] == heads:
            return statuses
        seen.append(heads)
        time.sleep(1.0)
        return None

    return wait_for(quiet, timeout_s, f"the GAs did not settle in {timeout_s} s")


def _spooled(cluster: Cluster) -> bool:
    folders = [cluster.settings[site].actor_state_dir for site in SITES]
    return any(path.stat().st_size for f in folders for path in f.glob("spool-*"))


def run_seed(
    seed: int,
    workdir: Path,
    duration_s: float = 20,
    clients: int = 3,
    settle_s: float = 90,
) -> SeedResult:
    """One seed, start to finish; every process is stopped when it returns."""
    result, started = SeedResult(seed), time.monotonic()
    root = workdir / f"seed-{seed}"
    shutil.rmtree(root, ignore_errors=True)
    cluster = Cluster(root, overrides=OVERRIDES)
    cluster.seed(DATA_SEED)
    faults = plan_faults(seed, duration_s)
    typer.echo(f"seed {seed}: {2 * clients} clients for {duration_s} s, data in {root}")
    statuses, stop, threads = {}, threading.Event(), []
    try:
        start_sites(cluster)
        threads = start_clients(cluster, seed, duration_s, clients, stop)
        inject(cluster, faults)
        result.faults = len(faults)
        _join(threads)
        typer.echo("  clients done; waiting for the GAs to settle")
        statuses = settle(cluster, settle_s)
    except ClusterError as exc:
        result.problems.append(str(exc))
    finally:
        stop.set()  # only cuts clients short when something above failed
        _join(threads)
        codes = cluster.stop_all()
    result.problems += [f"{n} exited with {c}" for n, c in codes.items() if c != 0]
    _check(result, root, statuses)
    result.elapsed_s = time.monotonic() - started
    return result


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join()


def _check(result: SeedResult, root: Path, statuses: dict[str, dict]) -> None:
    evidence = gather(root)
    result.sent, result.acked = len(evidence.requests), len(evidence.acked)
    result.conflicts = len(evidence.sites["A"].conflicts)
    try:
        result.checks = check_all(evidence)
    except KeyError as exc:  # cut-short clients left requests without a row
        result.problems.append(f"an archived id no PS result names: {exc}")
    by_status = Counter(row.get("status") for row in evidence.requests.values())
    typer.echo(f"  requests by GC answer: {dict(sorted(by_status.items()))}")
    typer.echo("  checks:")
    for check in result.checks:
        typer.echo(check.render())
    duplicates = {site: (s or {}).get("duplicates") for site, s in statuses.items()}
    typer.echo(f"  info: {information(evidence)}; duplicates counter {duplicates}")
    for problem in result.problems:
        typer.echo(f"  PROBLEM: {problem}")
    verdict = "OK" if result.ok else f"FAILED (logs in {root})"
    typer.echo(f"seed {result.seed}: {verdict}\n")


def table(results: list[SeedResult]) -> str:
    lines = [" seed   sent  acked faults  confl  checks    time"]
    for r in results:
        row = (r.seed, r.sent, r.acked, r.faults, r.conflicts)
        verdict = "OK" if r.ok else "FAILED"
        lines.append(
            " ".join(f"{n:>6}" for n in row) + f" {verdict:>7} {r.elapsed_s:6.1f}s"
        )
    return "\n".join(lines)


app = typer.Typer(add_completion=False)


@app.command()
def main(
    seeds: int = typer.Option(20, min=1, help="how many seeds to run"),
    first_seed: int = typer.Option(1, help="the first seed; then +1 each"),
    duration_s: float = typer.Option(20.0, min=3, help="load and faults per seed"),
    clients: int = typer.Option(3, min=1, help="PS clients per site"),
    workdir: Path = typer.Option(Path("data/chaos"), help="one folder per seed"),
    settle_s: float = typer.Option(90.0, min=1, help="how long the GAs may take"),
) -> None:
    """Run the fault-injection harness; exit 1 if any seed failed a check."""
    setup_logging("ERROR")  # the PS clients' retries would drown the report
    results = [
        run_seed(seed, workdir, duration_s, clients, settle_s)
        for seed in range(first_seed, first_seed + seeds)
    ]
    typer.echo(table(results))
    failed = [r.seed for r in results if not r.ok]
    typer.echo(f"FAILED seeds: {failed}" if failed else "all checks held, every seed")
    raise typer.Exit(1 if failed else 0)


if __name__ == "__main__":
    app()
