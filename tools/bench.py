"""`make bench`: how close our paths are to what this machine can do.

Measures, in one run: the physical reference (bare pyzmq with the hops of
the loan path and one fdatasync), our serial loan round trip (in turns with
the reference's, so both see the same moments of the machine), loans per
second with 1, 4 and 16 clients, renewals and returns per second through
the subscriber path, replication lag under a steady rate, failover time,
catch-up time, and a node's resident memory. Prints a table with each of
ours as a ratio to the reference where one applies, and writes it as JSON
(results/bench.json). Every measurement uses real processes on free
loopback ports under --workdir.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer

from common.logs import setup_logging
from tools.benchmarks import failover, loans, memory, published, reference, replication
from tools.benchmarks.table import Row, render

app = typer.Typer(add_completion=False)


@app.command()
def main(
    workdir: Path = typer.Option(Path("data/bench"), help="Wiped and reused."),
    out: Path = typer.Option(Path("results/bench.json"), help="The table as JSON."),
    serial_count: int = typer.Option(2000, help="Loans in the serial run."),
    seconds: float = typer.Option(3.0, help="Length of each throughput run."),
    lag_rate: int = typer.Option(500, help="Operations per second for the lag."),
    missed: int = typer.Option(10_000, help="Operations a GA catches up on."),
    memory_ops: int = typer.Option(100_000, help="Operations before memory."),
) -> None:
    """Measure everything once and print the table."""
    setup_logging("WARNING")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    started = time.monotonic()
    rows = measure_all(workdir, serial_count, seconds, lag_rate, missed, memory_ops)
    typer.echo(render(rows))
    typer.echo(f"\nmeasured in {time.monotonic() - started:.0f} s")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([row.to_json() for row in rows], indent=1) + "\n")
    typer.echo(f"written to {out}")


def measure_all(
    workdir: Path,
    serial_count: int,
    seconds: float,
    lag_rate: int,
    missed: int,
    memory_ops: int,
) -> list[Row]:
    say = typer.echo
    say("physical reference, loans/s ...")
    ref_rates = reference.rates(workdir, seconds)
    say("loan path, serial in turns with the reference, then loans/s ...")
    ours = loans.measure(workdir / "loans", serial_count, seconds)
    say("subscriber path ...")
    pub_rate = published.measure(workdir / "published", 2000)
    say("replication lag ...")
    lag = replication.lag(workdir / "lag", lag_rate, 6.0)
    say("failover ...")
    failovers = failover.measure(workdir / "failover")
    say("catch-up ...")
    caught = replication.catch_up(workdir / "catch-up", missed)
    say(f"memory after {memory_ops} operations ...")
    rss = memory.measure(workdir / "memory", memory_ops)
    rows = [
        Row(
            "loan round trip p50",
            ours["p50_ms"],
            "ms",
            ours["reference_p50_ms"],
            "<= 2x",
        ),
        Row("loan round trip p99", ours["p99_ms"], "ms", ours["reference_p99_ms"]),
    ]
    for clients, rate in ours["rates"].items():
        target = ">= 2000/s" if clients == 16 else ""
        rows.append(
            Row(f"loans/s, {clients} clients", rate, "/s", ref_rates[clients], target)
        )
    rows += [
        Row("renewals+returns/s (subscriber path)", pub_rate, "/s"),
        Row(f"replication lag p50 at {lag_rate}/s", lag.p50, "ms"),
        Row(f"replication lag p99 at {lag_rate}/s", lag.p99, "ms", None, "< 50 ms"),
        Row(
            "failover (kill to next loan), worst of 3",
            max(failovers),
            "ms",
            None,
            "< 1000 ms",
        ),
        Row(
            f"catch-up of {caught['operations']} ops (from process start)",
            caught["seconds"] * 1000,
            "ms",
            None,
            "< 3000 ms",
        ),
        Row("node memory at rest", rss["at_rest_mb"], "MB"),
        Row(
            f"node memory after {rss['operations']} ops",
            rss["after_mb"],
            "MB",
            None,
            "< 100 MB",
        ),
    ]
    return rows


if __name__ == "__main__":
    app()
