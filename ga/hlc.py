"""Hybrid logical clock: a total order of operations across both sites.

A stamp is (wall_ms, counter). Operations are ordered by the key
(wall_ms, counter, site), so two sites never produce equal keys.
"""

from __future__ import annotations

from typing import NamedTuple

from common.clock import Clock


class Key(NamedTuple):
    wall_ms: int
    counter: int
    site: str

    @classmethod
    def of(cls, raw: list | tuple) -> Key:
        return cls(int(raw[0]), int(raw[1]), str(raw[2]))


ZERO = Key(0, 0, "")


class Hlc:
    def __init__(self, clock: Clock, site: str) -> None:
        self._clock = clock
        self.site = site
        self.wall_ms = 0
        self.counter = 0

    def tick(self) -> Key:
        """A key later than every key this clock has issued or seen."""
        now = self._clock.now_ms()
        if now > self.wall_ms:
            self.wall_ms, self.counter = now, 0
        else:
            self.counter += 1
        return Key(self.wall_ms, self.counter, self.site)

    def observe(self, key: Key) -> None:
        """Move past a key seen from elsewhere, so later ticks order after it."""
        self.wall_ms, self.counter = max(
            (self.wall_ms, self.counter), (key.wall_ms, key.counter)
        )
