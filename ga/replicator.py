"""The Replicator actor: ships our operations to the peer GA and back.

Out: every durable local entry is published on GA_REPL_PUB_BIND as
[b"OP", entry json]; our heartbeat goes the same way as [b"HB", status],
so it arrives after the operations it counts.
In: the peer's OP and HB messages from GA_REPL_SUB_CONNECT. PUB/SUB drops
whatever is sent while we are away, so a jump in sequence numbers, or a
heartbeat whose head is ahead of what we applied, triggers a catch-up:
"sync" requests to the peer GA's REP socket until we hold its head.
When the peer has already truncated what we miss, or holds more of our
own operations than we do (our files were lost), a "state" request
fetches its whole state instead (see ga/transfer.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridges.ga_client import GaClient
from bridges.publisher import Publish, PublisherBridge
from bridges.subscriber import Route, SubscriberBridge
from common.actors import Actor, Slot
from common.logs import EventLog
from common.settings import Settings
from ga.entry import Entry
from ga.messages import (
    AppliedUpTo,
    ApplyRemote,
    InstallState,
    PeerHeard,
    PeerUnreachable,
    Verdict,
)

log = EventLog("GA")
SYNC_BATCH = 2000
STATE_TIMEOUT_MS = 15_000  # a whole state can take a while to build and send


@dataclass(frozen=True)
class ShipEntries:
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class ShipBeat:
    status: dict[str, Any]


@dataclass(frozen=True)
class _PeerEntry:
    raw: dict[str, Any]


@dataclass(frozen=True)
class _PeerBeat:
    status: dict[str, Any]


@dataclass(frozen=True)
class CatchUp:
    pass


class Replicator(Actor):
    def __init__(self, settings: Settings, storage: Slot) -> None:
        super().__init__()
        self._settings = settings
        self._storage = storage
        self._catching_up = False

    def on_start(self) -> None:
        s = self._settings
        self._pub = PublisherBridge.launch(log, s.ga_repl_pub_bind)
        self._sub = None
        self._peer = None
        if s.ga_repl_sub_connect:
            me = self.actor_ref
            routes = {
                "OP": Route(lambda raw: me.tell(_PeerEntry(raw))),
                "HB": Route(lambda status: me.tell(_PeerBeat(status))),
            }
            self._sub = SubscriberBridge.launch(
                log, s.endpoint("ga_repl_sub_connect"), routes
            )
            self._peer = GaClient(
                log,
                s.endpoint("ga_peer_rep_connect"),
                timeout_ms=s.ga_timeout_ms * 2,
                retries=1,
            )
            self._state_source = GaClient(
                log,
                s.endpoint("ga_peer_rep_connect"),
                timeout_ms=STATE_TIMEOUT_MS,
                retries=1,
            )
            me.tell(CatchUp())

    def on_stop(self) -> None:
        for bridge in (getattr(self, "_sub", None), getattr(self, "_pub", None)):
            if bridge is not None:
                bridge.stop()
        if getattr(self, "_peer", None) is not None:
            self._peer.close()
            self._state_source.close()

    def on_failure(self, *exc_info) -> None:
        self.on_stop()  # a crashed actor skips on_stop; free the ports anyway

    def on_receive(self, message):
        match message:
            case ShipEntries(entries):
                for entry in entries:
                    self._pub.tell(Publish("OP", entry.to_json()))
            case ShipBeat(status):
                self._pub.tell(Publish("HB", status))
            case _PeerEntry(raw):
                self._receive_entries([raw])
            case _PeerBeat(status):
                self._receive_beat(status)
            case CatchUp():
                self._catch_up()
        return None

    def _receive_entries(self, rows: list[dict[str, Any]]) -> AppliedUpTo | None:
        try:
            entries = tuple(Entry.from_json(row) for row in rows)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning(f"dropped a malformed replicated entry: {exc!r}")
            return None
        applied = self._storage.ask(ApplyRemote(entries))
        if applied.gap and not self._catching_up:
            log.state(f"gap after peer seq {applied.position}; catching up")
            self.actor_ref.tell(CatchUp())
        return applied

    def _receive_beat(self, status: dict[str, Any]) -> None:
        try:
            verdict = self._storage.ask(PeerHeard(status))
        except (KeyError, TypeError, ValueError) as exc:
            log.warning(f"dropped a malformed peer heartbeat: {exc!r}")
            return
        if verdict != Verdict.IN_STEP and not self._catching_up:
            log.state(f"peer status says we are {verdict}; catching up")
            self.actor_ref.tell(CatchUp())

    def _catch_up(self) -> None:
        self._catching_up = True
        try:
            self._catch_up_batches()
        finally:
            self._catching_up = False

    def _catch_up_batches(self) -> None:
        start = self._storage.ask(ApplyRemote(())).position
        log.state(f"catching up with the peer GA after its seq {start}")
        while True:
            position = self._storage.ask(ApplyRemote(())).position
            answer = self._peer.call("sync", {"after": position, "limit": SYNC_BATCH})
            if not answer.get("ok"):
                log.state(f"peer GA unreachable for catch-up ({answer.get('reason')})")
                self._storage.tell(PeerUnreachable())
                return
            batch = answer["metadata"]
            if batch.get("truncated"):
                log.state("the peer truncated what we miss; asking for its state")
                self._transfer_state()
                return
            applied = self._receive_entries(batch["entries"])
            if applied is None or applied.position >= int(batch["head"]):
                if self._storage.ask(PeerHeard(batch["status"])) == Verdict.LOST:
                    self._transfer_state()
                return

    def _transfer_state(self) -> None:
        answer = self._state_source.call("state", {})
        if not answer.get("ok"):
            log.state(f"peer GA could not send its state ({answer.get('reason')})")
            self._storage.tell(PeerUnreachable())
            return
        self._storage.ask(InstallState(answer["metadata"]))
