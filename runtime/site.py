"""The workers of one site: AR, AD, a pool of AP loan actors, and the
bridges that connect them to the GC.

    GC PUB --SubscriberBridge(RENOVACION)--> RenewalActor (AR) --+
    GC PUB --SubscriberBridge(DEVOLUCION)--> ReturnActor  (AD) --+--> GaClient
    GC REQ --ServerBridge(AP_REP_BIND)--> LoanActor pool (AP) ----+
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import pykka
from pydantic import ValidationError

from actors.devolucion import ReturnActor
from actors.prestamo import LendBook, LoanActor, to_gc
from actors.published import Ga
from actors.renovacion import RenewalActor
from actors.spool import Spool
from bridges.ga_client import GaClient
from bridges.server import Drain, Responder, ServerBridge
from bridges.socket_actor import BridgeHandle
from bridges.subscriber import Route, SubscriberBridge
from common.actors import Slot
from common.logs import EventLog
from common.models import ActorMessage, LoanRequest, refusal
from common.reasons import Reason
from common.settings import Settings
from runtime.supervisor import Child, Started, Supervisor, stop_or_say

KINDS = ("AR", "AD", "AP")


class Workers:
    def __init__(
        self,
        settings: Settings,
        kinds: Iterable[str] = KINDS,
        connect_ga: Callable[[str], Ga] | None = None,
        *,
        ga_in_process: bool = False,
    ) -> None:
        """`connect_ga` makes an actor's GA client (default: over ZeroMQ);
        `ga_in_process` says it reaches a GA sharing this process."""
        self.settings = settings
        self.kinds = tuple(kinds)
        self._connect_ga = connect_ga or self._ga_client
        self.ga_in_process = ga_in_process
        self._actors: list[pykka.ActorRef] = []
        self.loan_actors: list[Slot] = []
        self.published_actors: dict[str, Slot] = {}  # AR and AD
        self._bridges: list[Any] = []
        self._loans_bridge: BridgeHandle | None = None

    def start(self) -> Workers:
        if "AR" in self.kinds:
            self._published("AR", RenewalActor, self.settings.topic_renovacion)
        if "AD" in self.kinds:
            self._published("AD", ReturnActor, self.settings.topic_devolucion)
        if "AP" in self.kinds:
            self._loans()
        return self

    def stop(self) -> None:
        loans, self._loans_bridge = self._loans_bridge, None
        if loans is not None:
            self._drain(loans)
        for bridge in reversed(self._bridges):
            bridge.stop()
        for actor in reversed(self._actors):
            stop_or_say(actor, actor.actor_class.__name__, EventLog("AP"))
        self._bridges, self._actors = [], []  # a second stop has nothing to do

    def _published(self, proc: str, actor_class, topic: str) -> None:
        s = self.settings
        log = EventLog(proc)
        spool = Spool(s.actor_state_dir / f"spool-{proc}.jsonl", log)
        slot = Slot(proc)
        start = partial(actor_class.start, partial(self._connect_ga, proc), spool)
        supervisor = Supervisor.start([Child(slot, start)], log=log)
        supervisor.ask(Started())
        self._actors.append(supervisor)
        self.published_actors[proc] = slot

        def deliver(message: ActorMessage) -> None:
            if not slot.tell(message):  # as lost as on PUB/SUB while it is away
                log.warning(f"{proc} is restarting; dropped {message.op}", message.id)

        routes = {topic: Route(deliver, ActorMessage)}
        endpoint = s.endpoint("gc_pub_connect")
        self._bridges.append(SubscriberBridge.launch(log, endpoint, routes))
        log.state(f"{proc} listening to {topic} at {endpoint}")

    def _loans(self) -> None:
        s = self.settings
        connect = partial(self._connect_ga, "AP")
        # Beside a GA in this process one front actor lends without waiting;
        # the others only wait on the peer GA when the local one cannot lend.
        count = max(1, s.ap_workers - self.ga_in_process)
        callers = [Slot(f"LoanActor-{n}") for n in range(count)]
        children = [Child(slot, partial(LoanActor.start, connect)) for slot in callers]
        entry = callers
        if self.ga_in_process:
            front = Slot("LoanActor-front")
            children.insert(0, Child(front, partial(LoanActor.start, connect, callers)))
            entry = [front]
        self.loan_actors = [child.slot for child in children]  # front first
        supervisor = Supervisor.start(children, log=EventLog("AP"))
        supervisor.ask(Started())
        self._actors.append(supervisor)
        server = ServerBridge.launch(
            EventLog("AP"),
            s.ap_rep_bind,
            loan_handler(entry),
            max_bytes=s.max_message_bytes,
            deadline_ms=s.ap_reply_deadline_ms,
            shape=to_gc,
        )
        self._bridges.append(server)
        self._loans_bridge = server
        EventLog("AP").state(f"AP serving loans on {s.ap_rep_bind}")

    def _drain(self, server: BridgeHandle) -> None:
        """Let loans in flight get their answer, up to AP's reply deadline:
        one decided by a GA must not be dropped on the way to the GC."""
        deadline = time.monotonic() + self.settings.ap_reply_deadline_ms / 1000
        while server.ask(Drain()) and time.monotonic() < deadline:
            time.sleep(0.02)

    def _ga_client(self, proc: str) -> GaClient:
        s = self.settings
        return GaClient(
            EventLog(proc),
            s.local_ga,
            s.endpoint("ga_peer_rep_connect"),
            timeout_ms=s.ga_timeout_ms,
            retries=s.ga_retries,
            heartbeat=s.local_heartbeat,
            heartbeat_interval_ms=s.ga_heartbeat_interval_ms,
        )


def loan_handler(pool: list[Slot]):
    """Validate a GC loan request and hand it to the next loan actor."""
    turns = itertools.cycle(pool)
    log = EventLog("AP")

    def handle(data: Any, respond: Responder) -> None:
        try:
            request = LoanRequest.model_validate(data)
        except ValidationError as exc:
            log.warning(f"refused a malformed loan request: {exc.errors()[0]['msg']}")
            respond(to_gc(refusal(Reason.BAD_REQUEST)))
            return
        if not next(turns).tell(LendBook(request, respond, respond.deadline)):
            log.warning("a loan actor is restarting; refused a loan", request.id)
            respond(to_gc(refusal(Reason.INTERNAL_ERROR, "loan actor restarting")))

    return handle
