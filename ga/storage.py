"""The Storage actor, the source of truth of one site: it decides every
operation with the business rules, gives it a sequence number and an HLC
key, hands it to the Oplog, and replies only once the Oplog says it is on
disk. It also applies the peer's operations, answers the peer's catch-up
requests and takes snapshots.
"""

from __future__ import annotations

from dataclasses import replace

from common.actors import Actor, Slot
from common.clock import Clock
from common.logs import EventLog
from common.models import GaRequest, refusal, reply
from common.reasons import Reason
from common.settings import Settings
from ga.entry import OPS, Entry, log_applied
from ga.hlc import Key
from ga.messages import (
    AppliedUpTo,
    ApplyRemote,
    Consolidate,
    Execute,
    InstallState,
    PeerHeard,
    PeerUnreachable,
    ServeState,
    ServeSync,
    Status,
    Verdict,
)
from ga.oplog import (
    AllEntries,
    Append,
    Barrier,
    Compact,
    EntriesSince,
    FlushNow,
    Replace,
    read_log,
)
from ga.recovery import Recovered, rebuild, recover
from ga.snapshot import DataDir, Snapshot, books_to_json
from ga.transfer import export_state, import_state, merged_log

log = EventLog("GA")
UNBOUNDED = 2**62  # standalone: no peer ever needs our entries


class Storage(Actor):
    def __init__(self, settings: Settings, oplog: Slot, clock: Clock) -> None:
        super().__init__()
        self.site = settings.site_id
        self.peer = "B" if self.site == "A" else "A"
        self.standalone = not settings.ga_repl_sub_connect
        self._interval = settings.snapshot_interval_ops
        self._files = DataDir(settings)
        self._oplog = oplog
        self._clock = clock
        self._since_snapshot = 0
        self._ops_seen = self._ops_at_last_beat = 0

    def on_start(self) -> None:
        entries = read_log(self._files.oplog)
        self._adopt(recover(self._files, entries, self.site, self._clock))
        # Until the peer confirms we hold all our own operations, new ones
        # could reuse sequence numbers it has already seen: refuse writes.
        self.peer_head, self.peer_checked = 0, self.standalone
        log.state(f"storage ready: {self._summary()}")

    def _adopt(self, state: Recovered) -> None:
        self.library, self.hlc, self.replies = state.library, state.hlc, state.replies
        self.positions = state.positions
        self.peer_frontier, self.peer_acked = state.peer_frontier, state.peer_acked
        self._recorded = self._files.recorded_conflicts()

    def on_stop(self) -> None:
        self._consolidate()

    def on_receive(self, message):
        match message:
            case Execute(request, respond):
                self._execute(request, respond)
            case ApplyRemote(entries):
                return self._apply_remote(entries)
            case PeerHeard(status):
                return self._peer_heard(status)
            case PeerUnreachable():
                self.peer_checked = True
            case ServeSync(after, limit, respond):
                respond(reply(True, None, self._serve_sync(after, limit)))
            case ServeState(respond):
                respond(reply(True, None, self._export()))
            case InstallState(state):
                return self._install(state)
            case Status(respond):
                status = self._status()
                if respond is not None:
                    respond(status)
                return status
            case Consolidate():
                self._consolidate_if_quiet()
        return None

    def _execute(self, request: GaRequest, respond) -> None:
        payload = request.payload
        if not self.peer_checked:
            respond(refusal(Reason.GA_UNAVAILABLE, "catching up with the peer GA"))
            return
        first = self.replies.get(payload.id)
        if first is not None:
            log.event("aplicado", payload.id, OPS[request.method], "repeated id")
            self._oplog.tell(Barrier(lambda: respond(first)))
            return
        if request.too_late(self._clock.now_ms()):
            respond(refusal(Reason.TIMEOUT, "the caller gave up before we got to it"))
            return
        seq, key = self.positions[self.site] + 1, self.hlc.tick()
        entry = Entry.new(request, self.site, seq, key, self._clock.today())
        entry = replace(entry, reply=self.library.evaluate(entry))
        self._record(entry)
        self._oplog.tell(Append((entry,), lambda: respond(entry.reply)))
        log_applied(log, entry)
        self._count_towards_snapshot(1)

    def _record(self, entry: Entry) -> None:
        self.positions[entry.site] = entry.seq
        self.replies.remember(entry.id, entry.reply)
        self.library.add(entry)

    def _apply_remote(self, entries: tuple[Entry, ...]) -> AppliedUpTo:
        fresh: list[Entry] = []
        gap = False
        for entry in entries:
            expected = self.positions[self.peer] + 1
            if entry.site != self.peer or entry.seq < expected:
                continue
            if entry.seq > expected:
                gap = True
                break
            self.hlc.observe(entry.key)
            self._record(entry)
            self.peer_frontier = max(self.peer_frontier, _bound(entry.key))
            fresh.append(entry)
        if fresh:
            self._oplog.tell(Append(tuple(fresh)))
            self._count_towards_snapshot(len(fresh))
        self.peer_head = max(self.peer_head, self.positions[self.peer])
        return AppliedUpTo(self.positions[self.peer], gap)

    def _peer_heard(self, status: dict) -> str:
        ours_there = int(status["applied"][self.site])
        if ours_there > self.positions[self.site]:
            log.error(
                f"the peer holds our operations up to {ours_there}, we only up "
                f"to {self.positions[self.site]}: our files lost some"
            )
            return Verdict.LOST
        self.peer_checked = True
        self.peer_head = max(self.peer_head, int(status["head"]))
        self.peer_acked = max(self.peer_acked, ours_there)
        if self.positions[self.peer] >= int(status["head"]):
            key = Key.of([*status["hlc"], self.peer])
            self.hlc.observe(key)
            self.peer_frontier = max(self.peer_frontier, _bound(key))
            return Verdict.IN_STEP
        return Verdict.BEHIND

    def _serve_sync(self, after: int, limit: int) -> dict:
        head = self.positions[self.site]
        entries = self._oplog.ask(EntriesSince(self.site, after, limit))
        if entries is None or (not entries and head > after):
            return {"head": head, "truncated": True, "entries": []}
        rows = [entry.to_json() for entry in entries]
        return {
            "head": head,
            "truncated": False,
            "entries": rows,
            "status": self._status(),
        }

    def _export(self) -> dict:
        self._oplog.ask(FlushNow())
        entries = self._oplog.ask(AllEntries())
        files = self._files
        return export_state(
            self._snapshot(),
            entries,
            files.read_lines(files.applied_ids),
            files.read_lines(files.conflicts),
            self._status(),
            books_to_json(self.library.base_books()),
        )

    def _install(self, state: dict) -> bool:
        try:
            snapshot, received = import_state(state, self.site, self.peer)
        except (KeyError, TypeError, ValueError) as exc:
            log.error(f"refused a malformed state transfer: {exc!r}")
            return False
        own = [e for e in self._oplog.ask(AllEntries()) if e.site == self.site]
        mine = max(snapshot.positions[self.site], self.positions[self.site])
        snapshot.positions[self.site] = mine
        entries = merged_log(received, own)
        self._files.adopt(state["ids"], state["conflicts"])
        # Saved with our old peer position first: a crash before the log is
        # replaced then leads to another transfer, never to a silent gap.
        old = {**snapshot.positions, self.peer: self.positions[self.peer]}
        self._files.save(replace(snapshot, positions=old))
        self._oplog.ask(Replace(tuple(entries)))
        self._files.save(snapshot)
        ids = self._files.read_lines(self._files.applied_ids)
        self._adopt(rebuild(snapshot, ids, entries, self.site, self._clock))
        self.peer_checked = True
        log.state(f"installed the peer's state: {self._summary()}")
        return True

    def _status(self) -> dict:
        key = self._files.promise(self.hlc.tick())  # the peer orders by it
        return {
            "node": self.site,
            "ts": self._clock.now_ms(),
            "hlc": [key.wall_ms, key.counter],
            "head": self.positions[self.site],
            "applied": dict(self.positions),
            "frontier": list(self.library.frontier),
            "digest": self.library.digest(),
            "caught_up": self.peer_checked
            and self.positions[self.peer] >= self.peer_head,
            "pending": self.library.pending_count(),
            "conflicts": len(self._recorded),
            "accepting": self.peer_checked,
            "duplicates": self.library.duplicates,
        }

    def _count_towards_snapshot(self, count: int) -> None:
        self._since_snapshot += count
        self._ops_seen += count
        if self._since_snapshot >= self._interval:
            self._since_snapshot = 0
            self._consolidate()

    def _consolidate_if_quiet(self) -> None:
        # Under load, snapshots wait for SNAPSHOT_INTERVAL_OPS: each rewrites
        # the whole state. Once quiet, the files catch up with the frontier.
        quiet = self._ops_seen == self._ops_at_last_beat
        self._ops_at_last_beat = self._ops_seen
        if quiet:
            self._consolidate()

    def _frontier(self) -> Key:
        local = _bound(Key(self.hlc.wall_ms, self.hlc.counter, self.site))
        return local if self.standalone else min(local, self.peer_frontier)

    def _consolidate(self) -> None:
        frontier = self._frontier()
        if not self.library.settles_any(frontier):
            return
        self._oplog.ask(FlushNow())
        # A crash before the snapshot below finds these conflicts again.
        conflicts = [
            c
            for c in self.library.consolidate(frontier)
            if (c.entry.site, c.entry.seq) not in self._recorded
        ]
        self._files.append_lines(
            self._files.conflicts, [c.to_json() for c in conflicts]
        )
        self._recorded.update((c.entry.site, c.entry.seq) for c in conflicts)
        self._files.save(self._snapshot())
        acked = UNBOUNDED if self.standalone else self.peer_acked
        order = Compact(frontier, self.site, acked, self._files.applied_ids)
        dropped = self._oplog.ask(order)
        log.debug(
            f"snapshot at {list(frontier)}: {dropped} log entries truncated, "
            f"{len(conflicts)} conflicts, {self.library.pending_count()} pending"
        )

    def _snapshot(self) -> Snapshot:
        books = {book.codigo: book for book in self.library.base_books()}
        return Snapshot(
            books,
            self.library.frontier,
            dict(self.positions),
            self.peer_frontier,
            self.peer_acked,
        )

    def _summary(self) -> str:
        return (
            f"site {self.site}, positions {self.positions}, "
            f"{len(self.library.books)} books, {self.library.pending_count()} "
            f"pending, frontier {list(self.library.frontier)}"
        )


def _bound(key: Key) -> Key:
    """The largest key sharing `key`'s clock reading: later ticks exceed it."""
    return Key(key.wall_ms, key.counter, "~")
