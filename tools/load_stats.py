"""What one load run measured, from the PS results files, and the CSV of runs.

A PS results row (tools/reference_ps.py) says when the request was sent
(`sent_ts`, epoch ms) and how long the answer took (`latency_ms`), so the
answer came at sent_ts + latency_ms. A run counts only the rows answered
inside its measurement window, so the PS's start and stop do not count.
"""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path
from typing import Any

from tools.reference_ps import TIMEOUT
from tools.report import json_lines, percentile

FIELDS = (
    "timestamp",  # when the run ended, ISO 8601, local time
    "run_set",  # when the invocation started; one chart set per run_set
    "gc_mode",
    "ps_per_site",
    "window_s",
    "loans",  # loans answered in the window, lent or refused
    "loans_ok",
    "avg_ms",  # loan latency over `loans`
    "stdev_ms",
    "p50_ms",
    "p99_ms",
    "answered",  # requests of every kind answered in the window, both sites
    "timeouts",  # requests the PS gave up on after all its retries
    "clean",  # every process exited with status 0
)


def answered_in(rows: list[dict], start_ms: float, end_ms: float) -> list[dict]:
    """The rows whose answer came within [start_ms, end_ms]."""
    return [row for row in rows if start_ms <= _answered_at(row) <= end_ms]


def _answered_at(row: dict[str, Any]) -> float:
    return row.get("sent_ts", 0) + row.get("latency_ms", 0)


def summarize(rows: list[dict]) -> dict[str, Any]:
    """The measured columns of one run, from its rows in the window."""
    answered = [row for row in rows if row.get("status") != TIMEOUT]
    loans = [row for row in answered if row.get("op") == "PRESTAR"]
    latencies = [float(row["latency_ms"]) for row in loans]
    return {
        "loans": len(loans),
        "loans_ok": sum(row.get("status") == "OK" for row in loans),
        **latency_columns(latencies),
        "answered": len(answered),
        "timeouts": len(rows) - len(answered),
    }


def latency_columns(latencies: list[float]) -> dict[str, float]:
    """Mean, sample standard deviation and percentiles, in ms (nan if none)."""
    if not latencies:
        return dict.fromkeys(("avg_ms", "stdev_ms", "p50_ms", "p99_ms"), math.nan)
    spread = statistics.stdev(latencies) if len(latencies) > 1 else 0.0
    return {
        "avg_ms": round(statistics.fmean(latencies), 3),
        "stdev_ms": round(spread, 3),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
    }


def read_results(paths: list[Path]) -> list[dict]:
    """Every row of the PS results files (a torn last line is skipped)."""
    return [row for path in paths for row in json_lines(path)]


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Add one run to the CSV, writing the header when the file is new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.is_file() or path.stat().st_size == 0
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({name: row[name] for name in FIELDS})


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The CSV's runs, numbers as numbers."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return [_typed(row) for row in csv.DictReader(handle)]


def _typed(row: dict[str, str]) -> dict[str, Any]:
    typed: dict[str, Any] = dict(row)
    for name in ("ps_per_site", "loans", "loans_ok", "answered", "timeouts"):
        typed[name] = int(row[name])
    for name in ("window_s", "avg_ms", "stdev_ms", "p50_ms", "p99_ms"):
        typed[name] = float(row[name])
    typed["clean"] = row["clean"] == "True"
    return typed


def latest_run_set(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the most recent invocation, the ones the charts show."""
    if not rows:
        return []
    latest = max(row["run_set"] for row in rows)
    return [row for row in rows if row["run_set"] == latest]
