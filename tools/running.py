"""Run a tool's work on a thread that SIGINT or SIGTERM can stop cleanly."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from common.cli import wait_for_signal

T = TypeVar("T")


def run_until_signal(run: Callable[[threading.Event], T], name: str) -> T | None:
    """`run(stop)` on a thread named `name`; None if it raised.

    The main thread keeps the signal handlers (Python runs them only there)
    and sets `stop` on SIGINT or SIGTERM; `run` must return soon after.
    """
    stop = threading.Event()
    outcome: list[T] = []

    def work() -> None:
        try:
            outcome.append(run(stop))
        finally:
            stop.set()  # ends the wait below when the run is over or failed

    worker = threading.Thread(target=work, name=name)
    worker.start()
    wait_for_signal(stop)
    stop.set()  # on a signal; a finished run has set it already
    worker.join()
    return outcome[0] if outcome else None
