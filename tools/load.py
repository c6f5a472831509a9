"""The load experiment: loan latency and throughput against PS per site.

For each GC mode and each number N of PS per site, one run (tools/load_run.py):
a fresh seeded cluster, N real PS processes per site replaying their own
request file in a loop for a measurement window. Each run appends a row to
<out>/load.csv; at the end latency.png and answered.png are drawn from the
rows of this invocation (its run set). See docs/load.md.

    .venv/bin/python tools/load.py --ps-per-site 4,6 --window-s 20
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tools.venv import ensure_venv

    ensure_venv()

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tools.load_charts import draw_all
from tools.load_run import Outcome, RunSpec, run_once
from tools.load_stats import append_row, latest_run_set, read_rows, summarize

MODES = ("serial", "threaded")
# Piped output (a log, CI) gets room for the whole table; rich would use 80.
console = Console(width=None if sys.stdout.isatty() else 120)
app = typer.Typer(add_completion=False)


def parse_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"expected numbers like 4,6,10, got {text!r}"
        ) from None
    if not counts or min(counts) < 1:
        raise typer.BadParameter("every PS count must be 1 or more")
    return sorted(set(counts))


def parse_modes(text: str) -> list[str]:
    modes = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(modes) - set(MODES))
    if not modes or unknown:
        raise typer.BadParameter(f"modes are {', '.join(MODES)}; got {text!r}")
    return list(dict.fromkeys(modes))


@app.command()
def main(
    ps_per_site: str = typer.Option("4,6,10", help="PS counts per site, e.g. 4,6"),
    modes: str = typer.Option("serial,threaded", help="GC modes to compare"),
    window_s: float = typer.Option(120.0, min=1, help="measurement window per run"),
    pause_ms: int = typer.Option(20, min=0, help="PS pause, random 0..this"),
    out: Path = typer.Option(Path("results/load"), help="CSV and charts"),
    workdir: Path = typer.Option(Path("data/load"), help="runs' files; wiped"),
    charts_only: bool = typer.Option(False, help="redraw from the CSV, no runs"),
) -> None:
    """Run the load experiment, append to the CSV and draw the charts."""
    csv_path = out / "load.csv"
    problems: list[str] = []
    if not charts_only:
        counts, mode_list = parse_counts(ps_per_site), parse_modes(modes)
        specs = plan(counts, mode_list, window_s, pause_ms, workdir.resolve())
        problems = run_all(specs, csv_path)
    rows = latest_run_set(read_rows(csv_path))
    if not rows:
        console.print(f"[red]error:[/] no runs in {csv_path}")
        raise typer.Exit(1)
    for path in draw_all(rows, out):
        console.print(f"chart: {path}")
    console.print(table(rows))
    for problem in problems:
        console.print(f"[red]PROBLEM:[/] {problem}")
    raise typer.Exit(1 if problems else 0)


def plan(
    counts: list[int], modes: list[str], window_s: float, pause_ms: int, workdir: Path
) -> list[RunSpec]:
    """One run per GC mode and PS count, each in its own folder."""
    return [
        RunSpec(mode, count, window_s, pause_ms, workdir / f"{mode}-{count}")
        for mode in modes
        for count in counts
    ]


def run_all(specs: list[RunSpec], csv: Path) -> list[str]:
    """Every run, one progress bar each, one CSV row per measured run."""
    run_set = _now()
    problems = []
    with Progress(*_columns(), console=console) as progress:
        for spec in specs:
            label = f"{spec.gc_mode:<8} GC, {spec.ps_per_site:>2} PS/site"
            outcome = _run_with_bar(progress, label, spec)
            problems += [f"{label}: {problem}" for problem in outcome.problems]
            if outcome.measured:
                append_row(csv, _row(run_set, spec, outcome))
    return problems


def _columns() -> list:
    return [
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:>5.1f}/{task.total:g} s"),
        TextColumn("answered {task.fields[answered]:>6}"),
        TextColumn("{task.fields[phase]}"),
        TimeElapsedColumn(),
    ]


def _run_with_bar(progress: Progress, label: str, spec: RunSpec) -> Outcome:
    task = progress.add_task(label, total=spec.window_s, answered=0, phase="")

    def show(phase: str, elapsed_s: float, answered: int) -> None:
        progress.update(task, completed=elapsed_s, answered=answered, phase=phase)

    outcome = run_once(spec, show)
    progress.update(task, phase="done" if not outcome.problems else "FAILED")
    progress.stop_task(task)
    return outcome


def _row(run_set: str, spec: RunSpec, outcome: Outcome) -> dict:
    return {
        "timestamp": _now(),
        "run_set": run_set,
        "gc_mode": spec.gc_mode,
        "ps_per_site": spec.ps_per_site,
        "window_s": spec.window_s,
        **summarize(outcome.rows),
        "clean": not outcome.problems,
    }


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def table(rows: list[dict]) -> Table:
    """The run set, as printed at the end (and copied into docs/load.md)."""
    window = f"{rows[0]['window_s']:g} s"
    title = f"Run set {rows[0]['run_set']}, window {window}"
    view = Table(title=title, box=box.SIMPLE_HEAD)
    heads = ("GC mode", "PS/site", "loans", "loans ok", "avg ms", "stdev ms")
    heads += ("p50 ms", "p99 ms", "answered", "timeouts", "clean")
    for head in heads:
        view.add_column(head, justify="left" if head == "GC mode" else "right")
    for row in sorted(rows, key=lambda r: (r["gc_mode"], r["ps_per_site"])):
        view.add_row(*_cells(row))
    return view


def _cells(row: dict) -> list[str]:
    ms = [_ms(row[name]) for name in ("avg_ms", "stdev_ms", "p50_ms", "p99_ms")]
    counts = [str(row[name]) for name in ("loans", "loans_ok")]
    tail = [str(row["answered"]), str(row["timeouts"]), "yes" if row["clean"] else "NO"]
    return [row["gc_mode"], str(row["ps_per_site"]), *counts, *ms, *tail]


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


if __name__ == "__main__":
    app()
