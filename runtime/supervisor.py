"""A supervisor for Pykka actors, in the manner of OTP's rest_for_one.

Children start in order and stop in reverse. When a child dies without
being asked to (a crash, or a stop from elsewhere), the supervisor stops
the children started after it, waits a backoff, and starts the failed
child and those after it again, so that actors depending on the failed
one get fresh references. More than `max_restarts` within `window_s`
means something is deeply wrong: the supervisor gives up and calls
`on_give_up` so the process can exit with an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pykka

from common.actors import Actor, Slot, tell_later
from common.logs import EventLog

CHECK_INTERVAL_S = 0.1
STOP_TIMEOUT_S = 10


@dataclass(frozen=True)
class Child:
    slot: Slot
    start: Callable[[], pykka.ActorRef]


@dataclass(frozen=True)
class _Check:
    pass


@dataclass(frozen=True)
class Started:
    """Answered once every child is up: on_start runs before any message."""


class Supervisor(Actor):
    def __init__(
        self,
        children: list[Child],
        *,
        max_restarts: int = 5,
        window_s: float = 30.0,
        backoff_s: float = 0.1,
        on_give_up: Callable[[], None] = lambda: None,
        log: EventLog | None = None,
    ) -> None:
        super().__init__()
        self._log = log or EventLog("GA")
        self._children = children
        self._max_restarts = max_restarts
        self._window_s = window_s
        self._backoff_s = backoff_s
        self._on_give_up = on_give_up
        self._restarts: list[float] = []
        self._timer: threading.Timer | None = None
        self.restart_count = 0

    def on_start(self) -> None:
        for child in self._children:
            child.slot.fill(child.start())
        self._arm()

    def on_stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._stop_from(0)

    def on_receive(self, message):
        if isinstance(message, _Check):
            self._check()
            self._arm()
        return isinstance(message, Started)

    def _arm(self) -> None:
        self._timer = tell_later(self.actor_ref, CHECK_INTERVAL_S, _Check())

    def _check(self) -> None:
        for index, child in enumerate(self._children):
            ref = child.slot.ref
            if ref is not None and not ref.is_alive():
                self._restart_from(index)
                return

    def _restart_from(self, index: int) -> None:
        name = self._children[index].slot.name
        if not self._within_budget():
            self._log.error(
                f"{name} keeps failing; giving up after {self.restart_count}"
            )
            self._stop_from(0)
            self._on_give_up()
            return
        backoff = self._backoff_s * 2 ** min(len(self._restarts) - 1, 5)
        self._log.event(
            "error",
            detail=f"{name} died; restarting it and what follows in {backoff:.2f} s",
            level="ERROR",
        )
        self._stop_from(index)
        time.sleep(backoff)  # the supervisor has nothing else to do meanwhile
        for child in self._children[index:]:
            child.slot.fill(child.start())
        self.restart_count += 1
        self._log.state(f"{name} restarted (restart {self.restart_count})")

    def _within_budget(self) -> bool:
        now = time.monotonic()
        self._restarts = [t for t in self._restarts if now - t < self._window_s]
        self._restarts.append(now)
        return len(self._restarts) <= self._max_restarts

    def _stop_from(self, index: int) -> None:
        for child in reversed(self._children[index:]):
            ref, _ = child.slot.ref, child.slot.fill(None)
            if ref is not None and ref.is_alive():
                stop_or_say(ref, child.slot.name, self._log)


def stop_or_say(ref: pykka.ActorRef, name: str, log: EventLog) -> None:
    """Stop an actor; one still busy after STOP_TIMEOUT_S is logged and left
    to finish, so that the actors after it still get stopped."""
    try:
        ref.stop(timeout=STOP_TIMEOUT_S)
    except pykka.ActorDeadError:
        return
    except pykka.Timeout:
        log.error(f"{name} did not stop within {STOP_TIMEOUT_S} s; going on")
