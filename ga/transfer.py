"""State transfer: how a GA gets whole when its peer truncated what it needs.

This is the snapshot request of the ZeroMQ guide's Clone pattern. The
sender's state at its frontier, every entry still in its log, its archive
of applied ids and its conflicts travel in one reply to the "state"
method. The receiver keeps its own operations that the sender has not
seen, so nothing it acknowledged is dropped.
"""

from __future__ import annotations

from typing import Any

from ga.entry import Entry
from ga.hlc import Key
from ga.snapshot import Snapshot, books_from_json


def export_state(
    snapshot: Snapshot,
    entries: list[Entry],
    id_rows: list[dict[str, Any]],
    conflict_rows: list[dict[str, Any]],
    status: dict[str, Any],
    book_rows: tuple[list[dict], list[dict]],
) -> dict[str, Any]:
    books, loans = book_rows
    return {
        "books": books,
        "loans": loans,
        "frontier": list(snapshot.frontier),
        "positions": snapshot.positions,
        "entries": [entry.to_json() for entry in entries],
        "ids": id_rows,
        "conflicts": conflict_rows,
        "status": status,
    }


def import_state(
    state: dict[str, Any], me: str, peer: str
) -> tuple[Snapshot, list[Entry]]:
    """The sender's snapshot, as seen from `me`, and its log entries.

    Raises KeyError, TypeError or ValueError when `state` is malformed.
    """
    status = state["status"]
    snapshot = Snapshot(
        books=books_from_json(state["books"], state["loans"]),
        frontier=Key.of(state["frontier"]),
        positions={site: int(state["positions"][site]) for site in (me, peer)},
        peer_frontier=Key(int(status["hlc"][0]), int(status["hlc"][1]), "~"),
        peer_acked=int(status["applied"][me]),
    )
    return snapshot, [Entry.from_json(row) for row in state["entries"]]


def merged_log(received: list[Entry], own: list[Entry]) -> list[Entry]:
    """Both lists once each, by origin position, in key order."""
    unique = {(entry.site, entry.seq): entry for entry in own}
    unique.update({(entry.site, entry.seq): entry for entry in received})
    return sorted(unique.values(), key=lambda entry: entry.key)
