"""The Heartbeat actor: tells the world, and the peer, how this GA is doing.

Every GA_HEARTBEAT_INTERVAL_MS it publishes the Storage's status on
GA_HEARTBEAT_PUB_BIND as [b"HB", json] (node, ts, hlc, head, applied
positions, frontier, state digest, caught_up, counters), hands the same to
the Replicator for the peer, and lets the Storage snapshot if it can. The
health socket (GA_HEALTH_REP_BIND) answers any single-frame request up to
4 KiB with `ok`, and the request `status` with the status as JSON; larger or
multi-frame requests get the usual JSON refusal.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pykka

from bridges.publisher import Publish, PublisherBridge
from bridges.server import Responder, ServerBridge
from common.actors import Actor, Slot, tell_later
from common.logs import EventLog
from common.settings import Settings
from ga.messages import Consolidate, Status
from ga.replicator import ShipBeat

log = EventLog("GA")
HEALTH_DEADLINE_MS = 1000


@dataclass(frozen=True)
class _Tick:
    pass


class Heartbeat(Actor):
    def __init__(self, settings: Settings, storage: Slot, replicator: Slot) -> None:
        super().__init__()
        self._settings = settings
        self._storage = storage
        self._replicator = replicator
        self._interval_s = settings.ga_heartbeat_interval_ms / 1000
        self._timer: threading.Timer | None = None

    def on_start(self) -> None:
        s = self._settings
        self._pub = PublisherBridge.launch(log, s.ga_heartbeat_pub_bind)
        self._health = ServerBridge.launch(
            log,
            s.ga_health_rep_bind,
            self._health_request,
            max_bytes=4096,
            deadline_ms=HEALTH_DEADLINE_MS,
            raw=True,
        )
        self.actor_ref.tell(_Tick())

    def on_stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for bridge in (getattr(self, "_health", None), getattr(self, "_pub", None)):
            if bridge is not None:
                bridge.stop()

    def on_receive(self, message):
        if isinstance(message, _Tick):
            self._beat()
            self._schedule()
        return None

    def on_failure(self, *exc_info) -> None:
        self.on_stop()  # a crashed actor skips on_stop; free the ports anyway

    def _beat(self) -> None:
        try:
            status = self._storage.ask(Status(), timeout_s=self._interval_s * 2)
        except (pykka.ActorDeadError, pykka.Timeout):
            return  # Storage is restarting; the next beat will tell
        self._pub.tell(Publish("HB", status))
        self._replicator.tell(ShipBeat(status))
        self._storage.tell(Consolidate())

    def _schedule(self) -> None:
        self._timer = tell_later(self.actor_ref, self._interval_s, _Tick())

    def _health_request(self, body: bytes, respond: Responder) -> None:
        # Runs in the health bridge's thread: it must not wait on Storage.
        if body.strip() == b"status" and self._storage.tell(Status(respond)):
            return
        respond("ok")
