"""A whole GA: four actors under a supervisor, and its request socket.

Start order: Oplog, Storage, Replicator, Heartbeat (each depends only on
those before it), then the request bridge. Stop order is the reverse, so
Storage can still flush through the Oplog while it takes its last snapshot.
"""

from __future__ import annotations

import threading

import pykka

from bridges.server import ServerBridge
from common.actors import Slot
from common.clock import Clock, SystemClock
from common.logs import EventLog
from common.settings import Settings
from ga.heartbeat import Heartbeat
from ga.oplog import Oplog
from ga.replicator import Replicator, ShipEntries
from ga.service import ga_handler
from ga.snapshot import DataDir
from ga.storage import Storage
from runtime.supervisor import Child, Started, Supervisor

log = EventLog("GA")


class GaNode:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.failed = threading.Event()  # set when the supervisor gives up
        self.oplog, self.storage = Slot("Oplog"), Slot("Storage")
        self.replicator, self.heartbeat = Slot("Replicator"), Slot("Heartbeat")
        self._supervisor: pykka.ActorRef | None = None
        self._server = None

    def start(self) -> GaNode:
        DataDir(self.settings).check()
        self._supervisor = Supervisor.start(
            self._children(), on_give_up=self.failed.set
        )
        self._supervisor.ask(Started())
        self._server = ServerBridge.launch(
            log,
            self.settings.ga_rep_bind,
            ga_handler(self.storage),
            max_bytes=self.settings.max_message_bytes,
            deadline_ms=self.settings.ap_reply_deadline_ms,
        )
        log.state(f"GA {self.settings.site_id} serving on {self.settings.ga_rep_bind}")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._supervisor is not None and self._supervisor.is_alive():
            self._supervisor.stop(timeout=30)
        log.state(f"GA {self.settings.site_id} stopped")

    def _children(self) -> list[Child]:
        s, clock = self.settings, self.clock
        replicator = self.replicator

        def ship(entries) -> None:
            replicator.tell(ShipEntries(tuple(entries)))

        path = s.data_file("oplog_file")
        return [
            Child(self.oplog, lambda: Oplog.start(path, s.site_id, ship)),
            Child(self.storage, lambda: Storage.start(s, self.oplog, clock)),
            Child(self.replicator, lambda: Replicator.start(s, self.storage)),
            Child(
                self.heartbeat,
                lambda: Heartbeat.start(s, self.storage, self.replicator),
            ),
        ]
