"""Rebuilding a Storage's state from its files after any stop or crash.

The snapshot gives the state at its frontier; log entries above the
frontier are applied again on top. Entries at or below it are still in the
log only because the peer may need them, so they only restore positions
and ids. The ids archive remembers the replies of truncated entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.clock import Clock
from ga.entry import Entry
from ga.hlc import Hlc, Key
from ga.library import SETTLED, Library
from ga.replies import Replies
from ga.snapshot import DataDir, Snapshot


@dataclass
class Recovered:
    library: Library
    hlc: Hlc
    replies: Replies
    positions: dict[str, int]
    peer_frontier: Key
    peer_acked: int


def recover(files: DataDir, entries: list[Entry], site: str, clock: Clock) -> Recovered:
    """The state saved in `files`, with the log's `entries` on top."""
    ids = files.read_lines(files.applied_ids)
    state = rebuild(files.load(), ids, entries, site, clock)
    state.hlc.observe(Key(files.hlc_bound_ms(), 0, site))
    return state


def rebuild(
    snapshot: Snapshot,
    id_rows: list[dict[str, Any]],
    entries: list[Entry],
    site: str,
    clock: Clock,
) -> Recovered:
    """A snapshot, an archive of ids and the log entries above it, combined."""
    library = Library(snapshot.books, snapshot.frontier)
    hlc = Hlc(clock, site)
    hlc.observe(snapshot.frontier)
    replies = Replies()
    settled = [(row["id"], Key.of(row["hlc"]), row["reply"]) for row in id_rows]
    settled += [(e.id, e.key, e.reply) for e in entries if e.key <= snapshot.frontier]
    for op_id, key, reply in settled:
        # Ids above the frontier (archived here before a state transfer from
        # a peer whose frontier lags ours) come back with the entries below.
        if key <= snapshot.frontier:
            _remember(library, replies, op_id, reply)
    # Settled ids first: a later entry with the same id must count as a repeat.
    positions = dict(snapshot.positions)
    for entry in entries:
        positions[entry.site] = max(positions.get(entry.site, 0), entry.seq)
        hlc.observe(entry.key)
        if entry.key > snapshot.frontier:
            replies.remember(entry.id, entry.reply)
            library.add(entry)
    return Recovered(
        library, hlc, replies, positions, snapshot.peer_frontier, snapshot.peer_acked
    )


def _remember(library: Library, replies: Replies, op_id: str, reply) -> None:
    replies.remember(op_id, reply)
    if reply.get("ok"):  # at or below the snapshot's frontier: settled
        library.effective[op_id] = SETTLED
