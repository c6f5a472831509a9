"""Rebuilding state from a snapshot plus log, whatever the log's order."""

from __future__ import annotations

from common.clock import ManualClock
from ga.entry import Entry
from ga.hlc import Key
from ga.recovery import rebuild
from ga.rules import Book, Loan
from ga.snapshot import Snapshot

LENT = {"ok": True, "reason": None, "metadata": {"dueDate": "2026-06-11"}}


def loan_entry(site: str, key: Key) -> Entry:
    return Entry(
        site,
        1,
        key,
        "same-op",
        "checkAndLoan",
        "ISBN-1",
        "u-1",
        None,
        "2026-05-28",
        LENT,
    )


def test_a_retry_logged_before_its_settled_twin_is_not_applied_again():
    settled = loan_entry("B", Key(100, 0, "B"))  # folded into the snapshot
    retry = loan_entry("A", Key(200, 0, "A"))  # same id, later key, logged first
    book = Book("ISBN-1", "Uno", 2, {"u-1": Loan("2026-06-11", 0, "B")})
    snapshot = Snapshot({"ISBN-1": book}, frontier=Key(150, 0, "~"))

    state = rebuild(snapshot, [], [retry, settled], "A", ManualClock())

    assert state.library.books["ISBN-1"].loans == book.loans
    assert state.library.pending_count() == 0
    assert state.replies.get("same-op") == LENT
