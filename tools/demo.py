"""`make demo`: both sites, a reference GC each, the sample requests, a summary.

Seeds both sites into ./data/demo, starts site A and site B (GA and
actors in one process each) and one reference GC per site, replays
tools/requests/siteA.txt and siteB.txt through PS clients, waits until
replication settles, stops everything with SIGTERM, and prints per
operation what was accepted and refused (by reason, as the GA decided),
the loan latency, which actor handled which operations, and whether both
sites' books.json and loans.json are identical. Exits 1 if anything went
wrong.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer

from common.logs import setup_logging
from tools.cluster import ROOT, SITES, Cluster, ClusterError, request, wait_for
from tools.reference_ps import run_file
from tools.report import PROBE_PREFIX, Report

app = typer.Typer(add_completion=False)
REQUESTS = ROOT / "tools" / "requests"
PROBED = ("RENOVAR", "DEVOLVER")  # the operations that travel over PUB/SUB
PROBE_ATTEMPTS = 20


@app.command()
def main(
    workdir: Path = typer.Option(Path("data/demo"), help="Wiped and reused."),
    gc_mode: str = typer.Option("serial", help="serial or threaded."),
    fixed_ports: bool = typer.Option(
        False, help="Use the ports of .env.siteA/B instead of free ones."
    ),
    settle_s: float = typer.Option(30.0, help="How long replication may take."),
) -> None:
    """Run the whole system once on sample requests and report."""
    setup_logging("WARNING")
    shutil.rmtree(workdir, ignore_errors=True)
    cluster = Cluster(
        workdir,
        free_ports=not fixed_ports,
        overrides={"ga_heartbeat_interval_ms": 300, "gc_mode": gc_mode},
    )
    report = Report(workdir)
    try:
        run(cluster, workdir, settle_s)
    except ClusterError as exc:
        report.problems.append(str(exc))
    finally:
        codes = cluster.stop_all()
    report.add_exit_codes(codes)
    report.add_identical(cluster.files_identical())
    typer.echo(report.render())
    raise typer.Exit(0 if report.ok else 1)


def run(cluster: Cluster, workdir: Path, settle_s: float) -> None:
    typer.echo(f"Seeding both sites into {workdir} ...")
    cluster.seed()
    typer.echo("Starting a reference GC and a whole site (GA, AR, AD, AP) per site")
    # GCs first: AR and AD then subscribe to a publisher that is already
    # there, instead of missing what it sends while they reconnect.
    for site in SITES:
        cluster.start("gc", site)
    for site in SITES:
        cluster.start("node", site)
    cluster.wait_ready()
    probes = sum(_probe(cluster, site, op) for site in SITES for op in PROBED)
    typer.echo("Replaying tools/requests/siteA.txt and siteB.txt through PS clients")
    threads = [
        threading.Thread(target=_replay, args=(cluster, site, workdir))
        for site in SITES
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = probes + sum(len(_lines(site)) for site in SITES)

    def all_applied() -> bool:
        statuses = [cluster.status(site) for site in SITES]
        if not all(statuses):
            return False
        heads = sum(status["head"] for status in statuses)
        return heads >= expected and cluster.settled()

    wait_for(all_applied, settle_s, "replication did not settle in time")
    typer.echo("Both GAs hold every operation; stopping everything with SIGTERM")


def _probe(cluster: Cluster, site: str, op: str) -> int:
    """Send `op` for an unknown book through the GC until the GA decides one,
    so that AR and AD are known to be subscribed before the real requests
    (PUB/SUB drops what is published before a subscription arrives).
    Returns how many probes reached the GA."""
    gc = cluster.endpoint(site, "gc_bind")
    for attempt in range(PROBE_ATTEMPTS):
        head = cluster.status(site)["head"]
        body = {"op": op, "libroCodigo": "ISBN-0000", "userId": "probe"}
        body["id"] = f"{PROBE_PREFIX}{site}-{op}-{attempt}"
        request(gc, json.dumps(body).encode(), 5000)
        try:
            wait_for(lambda h=head: cluster.status(site)["head"] > h, 1.0, "")
            return 1
        except ClusterError:
            continue
    raise ClusterError(f"site {site}: no {op} reached the GA through the GC")


def _replay(cluster: Cluster, site: str, workdir: Path) -> None:
    gc = cluster.endpoint(site, "gc_bind")
    run_file(REQUESTS / f"site{site}.txt", gc, workdir / f"ps-{site}.jsonl")


def _lines(site: str) -> list[str]:
    text = (REQUESTS / f"site{site}.txt").read_text().splitlines()
    return [line for line in text if line.strip() and not line.startswith("#")]


if __name__ == "__main__":
    app()
