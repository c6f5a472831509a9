"""Small helpers around Pykka actor references."""

from __future__ import annotations

import contextlib
import queue
import threading
from typing import Any

import pykka


class Slot:
    """A named place holding an actor's current reference.

    A supervisor swaps the reference when it restarts the actor, so holders
    of the slot keep reaching the live instance. Messages told while the
    slot is empty or the actor is dead are dropped, as with a dead actor.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._ref: pykka.ActorRef | None = None
        self._lock = threading.Lock()

    def fill(self, ref: pykka.ActorRef | None) -> None:
        with self._lock:
            self._ref = ref

    @property
    def ref(self) -> pykka.ActorRef | None:
        with self._lock:
            return self._ref

    def tell(self, message: Any) -> bool:
        ref = self.ref
        if ref is None:
            return False
        try:
            ref.tell(message)
        except pykka.ActorDeadError:
            return False
        return True

    def ask(self, message: Any, timeout_s: float = 5.0) -> Any:
        ref = self.ref
        if ref is None:
            raise pykka.ActorDeadError(f"{self.name} is not running")
        return ref.ask(message, timeout=timeout_s)


def tell_later(ref: pykka.ActorRef, delay_s: float, message: Any) -> threading.Timer:
    """Tell `ref` `message` after `delay_s`, unless it has stopped by then."""

    def deliver() -> None:
        with contextlib.suppress(pykka.ActorDeadError):
            ref.tell(message)

    timer = threading.Timer(delay_s, deliver)
    timer.daemon = True
    timer.start()
    return timer


class Actor(pykka.ThreadingActor):
    """A Pykka threading actor whose mailbox is `queue.SimpleQueue`.

    Pykka's own mailbox is a `queue.Queue`, written in Python around a
    condition variable; every message then costs several lock operations
    under the interpreter lock. SimpleQueue is the same FIFO in C. Mailboxes
    are only ever put to, got from and checked for emptiness, which is all
    SimpleQueue offers and all Pykka asks of an inbox.
    """

    @staticmethod
    def _create_actor_inbox() -> queue.SimpleQueue:
        return queue.SimpleQueue()
