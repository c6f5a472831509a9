"""The load experiment: its statistics on known rows, request files whose mix
holds in a loop, and one short real run that writes the CSV and both charts."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ga.rules import Operation, decide
from ga.snapshot import books_from_json
from tools.load import app
from tools.load_requests import CYCLES, write_files
from tools.load_stats import (
    FIELDS,
    answered_in,
    append_row,
    latency_columns,
    latest_run_set,
    read_rows,
    summarize,
)
from tools.make_requests import read_requests
from tools.seed_data import generate

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"PRESTAR": "checkAndLoan", "RENOVAR": "renovar", "DEVOLVER": "devolver"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def ps_row(op: str, status: str, latency_ms: float, sent_ts: int = 1000) -> dict:
    return {"op": op, "status": status, "latency_ms": latency_ms, "sent_ts": sent_ts}


def csv_row(run_set: str, mode: str = "serial", count: int = 4) -> dict:
    row = dict.fromkeys(FIELDS, 0)
    row.update(run_set=run_set, gc_mode=mode, ps_per_site=count, clean=True)
    return row


def test_latency_columns_give_mean_sample_stdev_and_percentiles():
    columns = latency_columns([float(n) for n in range(1, 101)])

    assert columns["avg_ms"] == 50.5
    assert columns["stdev_ms"] == pytest.approx(math.sqrt(100 * 101 / 12), abs=1e-3)
    assert columns["p50_ms"] == 51.0
    assert columns["p99_ms"] == 100.0


def test_one_loan_has_no_spread_and_no_loans_give_nan():
    assert latency_columns([7.0])["stdev_ms"] == 0.0
    assert all(math.isnan(value) for value in latency_columns([]).values())


def test_summarize_counts_answered_loans_and_leaves_timeouts_out_of_latency():
    rows = [
        ps_row("PRESTAR", "OK", 10.0),
        ps_row("PRESTAR", "ERROR", 30.0),
        ps_row("PRESTAR", "TIMEOUT", 15000.0),
        ps_row("DEVOLVER", "OK", 1.0),
    ]

    summary = summarize(rows)

    assert (summary["loans"], summary["loans_ok"]) == (2, 1)
    assert (summary["answered"], summary["timeouts"]) == (3, 1)
    assert summary["avg_ms"] == 20.0
    assert summary["p50_ms"] == 30.0


def test_only_rows_answered_inside_the_window_count():
    rows = [
        ps_row("PRESTAR", "OK", 5.0, sent_ts=990),  # answered at 995: before
        ps_row("PRESTAR", "OK", 5.0, sent_ts=995),  # at 1000: the first instant
        ps_row("PRESTAR", "OK", 5.0, sent_ts=1995),  # at 2000: the last instant
        ps_row("PRESTAR", "OK", 5.0, sent_ts=1996),  # at 2001: after
    ]

    inside = answered_in(rows, 1000, 2000)

    assert [row["sent_ts"] for row in inside] == [995, 1995]


def test_the_csv_gets_its_header_once_and_charts_use_the_latest_run_set(tmp_path):
    path = tmp_path / "load.csv"
    for row in (
        csv_row("2026-01-01T10:00:00"),
        csv_row("2026-01-02T10:00:00", count=6),
    ):
        append_row(path, row)

    rows = read_rows(path)

    assert path.read_text().count("timestamp") == 1
    assert [row["ps_per_site"] for row in latest_run_set(rows)] == [6]
    assert rows[0]["clean"] is True


def outcomes_per_pass(path: Path, site: str, passes: int) -> list[Counter]:
    """(op, OK or reason) of each line, replayed `passes` times by ga.rules."""
    books = books_from_json(*generate())
    seen = []
    for _ in range(passes):
        counts: Counter = Counter()
        for op, code, user in read_requests(path):
            operation = Operation(METHODS[op], code, user, "2026-11-01", site)
            answer, after = decide(books.get(code), operation)
            if after is not None:
                books[code] = after
            counts[(op, str(answer["reason"] or "OK"))] += 1
        seen.append(counts)
    return seen


@pytest.mark.parametrize("site", "AB")
def test_a_request_file_has_the_same_outcomes_on_every_pass(tmp_path, site):
    path = write_files(tmp_path, site, count=1)[0]

    first, *later = outcomes_per_pass(path, site, passes=3)

    assert all(counts == first for counts in later)
    assert first[("PRESTAR", "OK")] == CYCLES
    assert first[("RENOVAR", "OK")] == first[("DEVOLVER", "OK")] == CYCLES
    refused = {reason for (_, reason), _ in first.items() if reason != "OK"}
    assert refused == {
        "NO_COPY_AVAILABLE",
        "ALREADY_BORROWED",
        "UNKNOWN_BOOK",
        "RENEWAL_LIMIT",
        "NOT_BORROWED",
    }


def cycle_books(path: Path) -> set[str]:
    """Books that one user borrows, renews and returns in the file."""
    ops: dict[tuple[str, str], set[str]] = {}
    for op, code, user in read_requests(path):
        ops.setdefault((code, user), set()).add(op)
    return {code for (code, _), seen in ops.items() if seen == set(METHODS)}


def test_the_ps_of_a_site_never_borrow_the_same_book(tmp_path):
    paths = write_files(tmp_path, "A", count=10)

    lent = [cycle_books(path) for path in paths]

    assert all(len(books) == CYCLES for books in lent)
    assert len(set().union(*lent)) == 10 * CYCLES


def test_more_ps_than_free_books_is_refused_with_a_reason(tmp_path):
    with pytest.raises(ValueError, match="free books"):
        write_files(tmp_path, "A", count=1000)


def test_a_ps_count_of_zero_is_a_usage_error():
    result = CliRunner().invoke(app, ["--ps-per-site", "0"])

    assert result.exit_code == 2


def test_a_short_real_run_appends_rows_and_draws_both_charts(tmp_path):
    out = tmp_path / "out"
    args = ["--ps-per-site", "1", "--modes", "serial,threaded", "--window-s", "3"]
    args += ["--out", str(out), "--workdir", str(tmp_path / "work")]

    done = subprocess.run(
        [sys.executable, "tools/load.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    rows = read_rows(out / "load.csv")
    assert [row["gc_mode"] for row in rows] == ["serial", "threaded"]
    assert all(row["clean"] and row["loans_ok"] > 0 for row in rows)
    assert all(0 < row["loans_ok"] < row["loans"] <= row["answered"] for row in rows)
    for name in ("latency.png", "answered.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 10_000
