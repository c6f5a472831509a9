"""The failover demonstration behind tools/failover_demo.sh.

Starts both sites with the GA and the actors as separate processes, a
reference GC per site and a steady workload of PS clients; SIGKILLs GA_A
mid-run and measures how long site A's actors take to be served by GA_B;
restarts GA_A and measures its catch-up; then stops everything and prints
a verdict: operations acknowledged, lost, applied twice, conflicts, and
whether both sites are identical. Exits 1 if anything was lost or
duplicated, the sites differ, or failover took longer than --max-failover-ms.
"""

from __future__ import annotations

import random
import shutil
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer

from common.logs import setup_logging
from tools.cluster import SITES, Cluster, ClusterError, wait_for
from tools.failover_verdict import Verdict, served_after
from tools.reference_ps import run_file

app = typer.Typer(add_completion=False)
CLIENTS_PER_SITE = 2


def churn(site: str, seed: int, count: int) -> list[tuple[str, str, str]]:
    """Loan, renew and return cycles on this site's books (odd for A)."""
    rng = random.Random(f"{seed}-{site}")
    first = 1 if site == "A" else 2
    lines = []
    while len(lines) < count:
        code = f"ISBN-{rng.randrange(first, 1001, 2):04d}"
        user = f"u-{rng.randrange(1, 400)}"
        cycle = [("PRESTAR", code, user)]
        cycle += [("RENOVAR", code, user)] * rng.randrange(0, 4)
        cycle += [("DEVOLVER", code, user)] * rng.randrange(0, 2)
        lines += cycle
    return lines[:count]


@app.command()
def main(
    workdir: Path = typer.Option(Path("data/failover"), help="Wiped and reused."),
    run_s: float = typer.Option(12.0, help="How long the workload runs."),
    kill_at_s: float = typer.Option(3.0, help="When GA_A is killed."),
    down_s: float = typer.Option(3.0, help="How long GA_A stays down."),
    max_failover_ms: float = typer.Option(1000.0, help="Slowest acceptable."),
    seed: int = typer.Option(1, help="Seed of the workload."),
) -> None:
    """Kill GA_A under load and show site A carrying on with GA_B."""
    setup_logging("WARNING")
    shutil.rmtree(workdir, ignore_errors=True)
    cluster = Cluster(workdir, overrides={"ga_heartbeat_interval_ms": 500})
    verdict = Verdict(workdir)
    try:
        timeline = run(cluster, workdir, run_s, kill_at_s, down_s, seed)
    except ClusterError as exc:
        verdict.problems.append(str(exc))
        timeline = {}
    finally:
        codes = cluster.stop_all()
    verdict.add_exit_codes(codes)
    killed_ms = timeline.get("killed_ms")
    failover_ms = served_after(workdir / "logs" / "workers-A.log", killed_ms)
    verdict.add_failover(failover_ms, max_failover_ms)
    verdict.check(cluster)
    typer.echo(verdict.render())
    raise typer.Exit(0 if verdict.ok else 1)


def run(
    cluster: Cluster,
    workdir: Path,
    run_s: float,
    kill_at_s: float,
    down_s: float,
    seed: int,
) -> dict[str, float]:
    say = typer.echo
    cluster.seed()
    for kind in ("gc", "ga", "workers"):
        for site in SITES:
            cluster.start(kind, site)
    cluster.wait_ready()
    say(f"Both sites up; {CLIENTS_PER_SITE} PS clients per site for {run_s:.0f} s")
    clients = _start_clients(cluster, workdir, run_s, seed)
    time.sleep(kill_at_s)
    timeline = {"killed_ms": time.time() * 1000}
    cluster.kill("ga-A")
    say("SIGKILL GA_A: site A's actors must now be served by GA_B")
    time.sleep(down_s)
    cluster.start("ga", "A")
    timeline["restarted_ms"] = time.time() * 1000
    say("GA_A restarted; it catches up from its log and from GA_B")
    wait_for(
        lambda: (cluster.status("A") or {}).get("caught_up"),
        30,
        "GA_A did not catch up",
    )
    caught_up_ms = time.time() * 1000 - timeline["restarted_ms"]
    say(f"GA_A caught up {caught_up_ms:.0f} ms after its restart")
    for client in clients:
        client.join()
    say("Workload over; waiting for both sites to settle")
    wait_for(cluster.settled, 60, "the sites did not settle")
    return timeline


def _start_clients(
    cluster: Cluster, workdir: Path, run_s: float, seed: int
) -> list[threading.Thread]:
    clients = []
    for site in SITES:
        gc = cluster.endpoint(site, "gc_bind")
        for n in range(CLIENTS_PER_SITE):
            lines = churn(site, seed * 100 + n, 400)
            results = workdir / f"ps-{site}-{n}.jsonl"
            client = threading.Thread(
                target=run_file,
                args=(lines, gc, results),
                kwargs={"loop": True, "duration_s": run_s, "pause_ms": 20},
            )
            client.start()
            clients.append(client)
    return clients


if __name__ == "__main__":
    app()
