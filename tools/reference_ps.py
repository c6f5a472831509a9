"""A reference requesting client (PS): replays a request file against a GC.

Frames, over one REQ socket to the GC (see tools/reference_gc.py):
    request [{"op", "libroCodigo", "userId", "id"}]
    reply   [{"status", "id", "op", "dueDate", "reason"}]
Ids are "ps-<pid>-<n>". When no reply comes within --timeout-ms the socket
is replaced (Lazy Pirate) and the same id is sent again, so a resend is the
same operation; after --retries attempts in all the request is a TIMEOUT.

Results, one JSON line per request: {"id", "op", "libroCodigo", "userId",
"status": "OK"|"ERROR"|"TIMEOUT", "reason", "dueDate", "latency_ms",
"sent_ts" (epoch ms), "attempts"}.

    python -m tools.reference_ps --file tools/requests/siteA.txt \
        --gc tcp://127.0.0.1:5555 --results out.jsonl
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer
import zmq

from common.logs import EventLog, setup_logging
from tools.lazy_pirate import LazyPirate
from tools.make_requests import Line, read_requests
from tools.running import run_until_signal

log = EventLog("PS")
TIMEOUT = "TIMEOUT"
_numbers = itertools.count(1)  # ids stay unique across run_file calls


class _Client:
    """One REQ link to the GC and the request ids; used by one thread."""

    def __init__(
        self, gc: str, timeout_ms: int, retries: int, stop: threading.Event
    ) -> None:
        self.context = zmq.Context()
        self.pirate = LazyPirate(self.context, gc, timeout_ms, stop)
        self.retries = retries
        self.stop = stop

    def send(self, line: Line) -> dict[str, Any] | None:
        """The result row of one request; None if stopped while waiting."""
        op_id = f"ps-{os.getpid()}-{next(_numbers)}"
        op, code, user = line
        body = json.dumps({"op": op, "libroCodigo": code, "userId": user, "id": op_id})
        sent_ts, started = time.time_ns() // 1_000_000, time.perf_counter()
        log.event("enviado", op_id, op, {"libroCodigo": code, "userId": user})
        raw, attempts = self._attempts(body.encode(), op_id)
        if raw is None and self.stop.is_set():
            return None
        row = {"id": op_id, "op": op, "libroCodigo": code, "userId": user}
        row.update(_reply_fields(raw))
        row["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        row.update(sent_ts=sent_ts, attempts=attempts)
        log.event("recibido", op_id, op, {k: row[k] for k in ("status", "reason")})
        return row

    def _attempts(self, body: bytes, op_id: str) -> tuple[bytes | None, int]:
        for attempt in range(1, self.retries + 1):
            raw = self.pirate.request(body)
            if raw is not None or self.stop.is_set():
                return raw, attempt
            log.warning(f"no reply, attempt {attempt} of {self.retries}", op_id)
        return None, self.retries

    def close(self) -> None:
        self.pirate.close()
        self.context.term()


def _reply_fields(raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        return {"status": TIMEOUT, "reason": TIMEOUT, "dueDate": None}
    try:
        reply = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        reply = None
    if not isinstance(reply, dict) or not isinstance(reply.get("status"), str):
        return {"status": "ERROR", "reason": "BAD_REPLY", "dueDate": None}
    return {k: reply.get(k) for k in ("status", "reason", "dueDate")}


def _schedule(
    requests: list[Line], loop: bool, deadline: float, stop: threading.Event
) -> Iterator[Line]:
    """The requests in order, again and again with `loop`, until the deadline."""
    while requests:
        for line in requests:
            if stop.is_set() or time.monotonic() >= deadline:
                return
            yield line
        if not loop:
            return


def run_file(
    requests: list[Line] | Path,
    gc: str,
    results: Path | None = None,
    *,
    loop: bool = False,
    duration_s: float | None = None,
    pause_ms: int = 0,
    timeout_ms: int = 5000,
    retries: int = 3,
    seed: int | None = None,
    stop: threading.Event | None = None,
) -> Counter[str]:
    """Send every request (one at a time) and count the replies by status."""
    if isinstance(requests, Path):
        requests = read_requests(requests)
    stop = stop or threading.Event()
    deadline = time.monotonic() + duration_s if duration_s else float("inf")
    rng = random.Random(seed)
    client = _Client(gc, timeout_ms, retries, stop)
    counts: Counter[str] = Counter()
    with _results_file(results) as out:
        try:
            for line in _schedule(requests, loop, deadline, stop):
                row = client.send(line)
                if row is None:
                    break
                counts[row["status"]] += 1
                out.write(json.dumps(row) + "\n")
                out.flush()
                stop.wait(rng.uniform(0, pause_ms) / 1000 if pause_ms else 0)
        finally:
            client.close()
    return counts


@contextlib.contextmanager
def _results_file(path: Path | None):
    if path is None:
        with open(os.devnull, "w", encoding="utf-8") as sink:
            yield sink
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        yield handle


def summary(counts: Counter[str], elapsed_s: float) -> str:
    by_status = " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    total = sum(counts.values())
    return f"PS: {total} requests in {elapsed_s:.1f} s: {by_status or 'none'}"


def main(
    file: Path = typer.Option(..., exists=True, dir_okay=False, help="OP CODE USER"),
    gc: str = typer.Option("tcp://127.0.0.1:5555", help="the GC's endpoint"),
    results: Path | None = typer.Option(None, help="JSON lines, one per request"),
    loop: bool = typer.Option(False, help="replay the file until --duration-s"),
    duration_s: float | None = typer.Option(None, min=0, help="stop after this"),
    pause_ms: int = typer.Option(0, min=0, help="random pause 0..this between"),
    timeout_ms: int = typer.Option(5000, min=1, help="wait for one reply"),
    retries: int = typer.Option(3, min=1, help="attempts in all per request"),
    seed: int | None = typer.Option(None, help="seed for the pauses"),
    pretty: bool = typer.Option(False, help="human-readable logs"),
    log_level: str = typer.Option("INFO", envvar="LOG_LEVEL", help="log floor"),
) -> None:
    """Send a request file to a GC and write one result line per request."""
    setup_logging(log_level.upper(), pretty)
    try:
        requests = read_requests(file)
    except ValueError as exc:
        typer.echo(f"error: {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    options = dict(
        loop=loop,
        duration_s=duration_s,
        pause_ms=pause_ms,
        timeout_ms=timeout_ms,
        retries=retries,
        seed=seed,
    )
    started = time.monotonic()
    counts = run_until_signal(
        lambda stop: run_file(requests, gc, results, stop=stop, **options), "ps"
    )
    if counts is None:
        raise typer.Exit(1)
    typer.echo(summary(counts, time.monotonic() - started))


if __name__ == "__main__":
    typer.run(main)
