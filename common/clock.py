"""Time, injectable so that tests can move it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...

    def today(self) -> dt.date: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def today(self) -> dt.date:
        return dt.date.today()


class ManualClock:
    """A clock that moves only when told to; safe to share between actors."""

    def __init__(self, start_ms: int = 1_780_000_000_000) -> None:
        self._ms = start_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._ms

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.now_ms() / 1000, dt.UTC).date()

    def advance(self, *, days: int = 0, ms: int = 0) -> None:
        with self._lock:
            self._ms += days * 86_400_000 + ms


def add_days(day: str | dt.date, days: int) -> str:
    """`day` (a date or YYYY-MM-DD) plus `days`, as YYYY-MM-DD."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return (day + dt.timedelta(days=days)).isoformat()
