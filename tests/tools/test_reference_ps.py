"""The reference PS: replays a file against the reference GC, resends a lost
request with the same id, and records what happened in its results file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import zmq

from tests.conftest import free_port
from tools.make_requests import read_requests
from tools.reference_ps import run_file

ROOT = Path(__file__).resolve().parents[2]
SITE_A = ROOT / "tools" / "requests" / "siteA.txt"
REQUEST_FIELDS = {"id", "op", "libroCodigo", "userId"}
FIELDS = REQUEST_FIELDS | {
    "status",
    "reason",
    "dueDate",
    "latency_ms",
    "sent_ts",
    "attempts",
}


def results(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_ps_replays_a_site_file_and_writes_one_result_per_request(
    tmp_path, start_gc, fake_ap
):
    gc = start_gc("threaded")
    out = tmp_path / "out.jsonl"

    counts = run_file(SITE_A, gc.settings.gc_bind, out, timeout_ms=2000)

    rows = results(out)
    sent = read_requests(SITE_A)
    assert [(r["op"], r["libroCodigo"], r["userId"]) for r in rows] == sent
    assert all(set(row) == FIELDS for row in rows)
    assert len({row["id"] for row in rows}) == len(rows)
    assert all(row["id"].startswith(f"ps-{os.getpid()}-") for row in rows)
    assert counts == Counter(row["status"] for row in rows)
    assert counts == {"OK": len(sent) - 1, "ERROR": 1}  # the unknown book
    loans = [r["id"] for r in rows if r["op"] == "PRESTAR"]
    assert [request["id"] for request in fake_ap.requests] == loans


class LossyGc(threading.Thread):
    """A GC that ignores the first request it gets, then answers OK."""

    def __init__(self) -> None:
        super().__init__(name="lossy-gc")
        self.endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.seen: list[bytes] = []
        self.bound = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        socket = zmq.Context.instance().socket(zmq.ROUTER)
        socket.setsockopt(zmq.LINGER, 0)
        try:
            socket.bind(self.endpoint)
            self.bound.set()
            self._serve(socket)
        finally:
            socket.close(linger=0)

    def _serve(self, socket: zmq.Socket) -> None:
        while not self.stop.is_set():
            if not socket.poll(20):
                continue
            *envelope, body = socket.recv_multipart()
            self.seen.append(body)
            if len(self.seen) > 1:
                reply = {"status": "OK", "id": json.loads(body)["id"], "op": "RENOVAR"}
                socket.send_multipart([*envelope, json.dumps(reply).encode()])


def test_a_lost_reply_is_resent_with_the_same_id(tmp_path):
    gc = LossyGc()
    gc.start()
    try:
        assert gc.bound.wait(5)
        counts = run_file(
            [("RENOVAR", "ISBN-0001", "u-1")],
            gc.endpoint,
            tmp_path / "out.jsonl",
            timeout_ms=300,
        )
    finally:
        gc.stop.set()
        gc.join(5)

    [row] = results(tmp_path / "out.jsonl")
    assert counts == {"OK": 1}
    assert row["attempts"] == 2
    assert len(gc.seen) == 2 and gc.seen[0] == gc.seen[1]


def test_a_gc_that_never_answers_is_recorded_as_a_timeout(tmp_path):
    silent = f"tcp://127.0.0.1:{free_port()}"

    counts = run_file(
        [("PRESTAR", "ISBN-0001", "u-1")],
        silent,
        tmp_path / "out.jsonl",
        timeout_ms=100,
        retries=2,
    )

    [row] = results(tmp_path / "out.jsonl")
    assert counts == {"TIMEOUT": 1}
    assert (row["status"], row["reason"], row["attempts"]) == ("TIMEOUT", "TIMEOUT", 2)


def test_loop_replays_the_file_until_the_duration_is_over(tmp_path, start_gc):
    gc = start_gc()
    lines = [("RENOVAR", "ISBN-0001", "u-1"), ("DEVOLVER", "ISBN-0003", "u-2")]

    counts = run_file(
        lines, gc.settings.gc_bind, tmp_path / "out.jsonl", loop=True, duration_s=0.5
    )

    assert counts["OK"] > len(lines)
    assert len(results(tmp_path / "out.jsonl")) == counts["OK"]


def test_the_ps_script_runs_end_to_end_and_prints_a_summary(tmp_path, start_gc):
    gc = start_gc()
    out = tmp_path / "out.jsonl"
    script = ROOT / "tools" / "reference_ps.py"
    args = ["--file", str(SITE_A), "--gc", gc.settings.gc_bind, "--results", str(out)]

    done = subprocess.run(
        [sys.executable, str(script), *args, "--pause-ms", "2", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "ERROR=1" in done.stdout and "OK=39" in done.stdout
    assert len(results(out)) == len(read_requests(SITE_A))
