"""The Oplog actor: the append-only operation log, with group commit.

Every entry is one JSON line in oplog.json. Replies wait for the fsync of
the lines they depend on. Appends that pile up while a flush is running
are written together and share the next fsync: an append flushes at once
only when the mailbox is empty; otherwise it schedules a flush message
(when none is queued yet), which lands behind every append already there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.actors import Actor
from common.jsonfile import fsync_dir
from common.logs import EventLog
from ga.entry import Entry
from ga.hlc import Key

log = EventLog("GA")


@dataclass(frozen=True)
class Append:
    entries: tuple[Entry, ...]
    done: Callable[[], None] | None = None


@dataclass(frozen=True)
class Barrier:
    """Run `done` once everything appended so far is on disk."""

    done: Callable[[], None]


@dataclass(frozen=True)
class EntriesSince:
    """Entries of origin `site` with seq above `after`; None if truncated."""

    site: str
    after: int
    limit: int


@dataclass(frozen=True)
class Compact:
    """Drop what the snapshot at `frontier` covers and the peer has.

    The ids and replies of dropped entries go to `archive` first, so that
    exactly-once survives truncation.
    """

    frontier: Key
    site: str
    peer_acked: int
    archive: Path


@dataclass(frozen=True)
class AllEntries:
    """Every entry still in the log, durable ones and those being flushed."""


@dataclass(frozen=True)
class Replace:
    """Rewrite the log to hold exactly `entries` (after a state transfer)."""

    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class FlushNow:
    """Make every appended entry durable before answering."""


@dataclass(frozen=True)
class _Flush:
    pass


@dataclass
class _Batch:
    done: list[Callable[[], None]] = field(default_factory=list)
    local: list[Entry] = field(default_factory=list)


def read_log(path: Path) -> list[Entry]:
    """Every whole entry; cuts off a torn last line so appends stay clean."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    whole = data[: data.rfind(b"\n") + 1]
    if len(whole) != len(data):
        log.warning(f"{path}: cut a torn last line of {len(data) - len(whole)} bytes")
        with open(path, "r+b") as handle:
            handle.truncate(len(whole))
            os.fsync(handle.fileno())
    return [entry for line in whole.splitlines() if (entry := _parse(path, line))]


def _parse(path: Path, line: bytes) -> Entry | None:
    try:
        return Entry.from_json(json.loads(line))
    except (ValueError, KeyError, TypeError) as exc:
        log.error(f"{path}: skipped an unreadable log line ({exc})")
        return None


def _line(entry: Entry) -> bytes:
    return json.dumps(entry.to_json(), separators=(",", ":")).encode()


def archive_ids(path: Path, entries: list[Entry]) -> None:
    rows = (
        {"id": e.id, "hlc": list(e.key), "reply": e.reply, "site": e.site}
        for e in entries
    )
    data = "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class Oplog(Actor):
    def __init__(
        self, path: Path, site: str, on_durable: Callable[[list[Entry]], None]
    ) -> None:
        super().__init__()
        self._path = path
        self._site = site
        self._on_durable = on_durable
        self._entries: list[Entry] = []
        self._batch = _Batch()
        self._flush_queued = False
        self._file = None

    def on_start(self) -> None:
        self._entries = read_log(self._path)
        self._file = open(self._path, "ab")

    def on_stop(self) -> None:
        self._flush()
        self._file.close()

    def on_receive(self, message):
        match message:
            case Append(entries, done):
                self._append(entries, done)
            case Barrier(done):
                self._batch.done.append(done)
                self._schedule_flush()
            case _Flush():
                self._flush()
            case FlushNow():
                self._flush()
            case EntriesSince(site, after, limit):
                self._flush()  # serve the peer only what is on our disk
                return self._since(site, after, limit)
            case Compact():
                return self._compact(message)
            case AllEntries():
                return list(self._entries)
            case Replace(entries):
                self._flush()
                self._rewrite(list(entries))
        return None

    def _append(self, entries: tuple[Entry, ...], done) -> None:
        self._file.write(b"".join(_line(entry) + b"\n" for entry in entries))
        self._entries.extend(entries)
        self._batch.local.extend(e for e in entries if e.site == self._site)
        if done is not None:
            self._batch.done.append(done)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self.actor_inbox.empty():
            self._flush()  # nothing is waiting that could share this flush
        elif not self._flush_queued:
            self._flush_queued = True
            self.actor_ref.tell(_Flush())

    def _flush(self) -> None:
        self._flush_queued = False
        batch, self._batch = self._batch, _Batch()
        self._file.flush()
        os.fdatasync(self._file.fileno())
        for done in batch.done:  # clients first: shipping to the peer can wait
            done()
        if batch.local:
            self._on_durable(batch.local)

    def _since(self, site: str, after: int, limit: int) -> list[Entry] | None:
        own = [e for e in self._entries if e.site == site and e.seq > after]
        if own and own[0].seq != after + 1:
            return None
        return own[:limit]

    def _compact(self, order: Compact) -> int:
        def needed(entry: Entry) -> bool:
            unsent = entry.site == order.site and entry.seq > order.peer_acked
            return entry.key > order.frontier or unsent

        kept = [e for e in self._entries if needed(e)]
        dropped = [e for e in self._entries if not needed(e)]
        if dropped:
            self._flush()
            archive_ids(order.archive, dropped)
            self._rewrite(kept)
        return len(dropped)

    def _rewrite(self, kept: list[Entry]) -> None:
        tmp = self._path.with_name(f".{self._path.name}.tmp")
        with open(tmp, "wb") as handle:
            handle.writelines(_line(entry) + b"\n" for entry in kept)
            handle.flush()
            os.fsync(handle.fileno())
        self._file.close()
        os.replace(tmp, self._path)
        fsync_dir(self._path.parent)
        self._file = open(self._path, "ab")
        self._entries = kept
