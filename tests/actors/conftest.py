"""Actors in-process: a real Storage and Oplog on tmp data, no sockets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pykka
import pytest

from common.actors import Slot
from common.clock import ManualClock
from common.settings import Settings
from ga.oplog import Oplog
from ga.storage import Storage
from tests.conftest import BOOKS, site_settings, write_data

# Active loans at start: ISBN-0001 has its only copy out, ISBN-0002 one of two.
LOANS = [
    {
        "codigo": "ISBN-0001",
        "userId": "u-7",
        "dueDate": "2026-06-01",
        "renovaciones": 0,
        "sede": "A",
    },
    {
        "codigo": "ISBN-0002",
        "userId": "u-9",
        "dueDate": "2026-06-01",
        "renovaciones": 0,
        "sede": "A",
    },
]


class LocalGa:
    """Oplog and Storage actors of one site; `slot` is empty until started."""

    def __init__(self, settings: Settings, clock: ManualClock) -> None:
        self.settings = settings
        self.clock = clock
        self.oplog, self.slot = Slot("Oplog"), Slot("Storage")

    @property
    def oplog_file(self) -> Path:
        return self.settings.data_file("oplog_file")

    def start(self) -> None:
        path = self.oplog_file
        self.oplog.fill(Oplog.start(path, "A", lambda entries: None))
        self.slot.fill(Storage.start(self.settings, self.oplog, self.clock))

    def stop(self) -> None:
        for slot in (self.slot, self.oplog):
            ref, _ = slot.ref, slot.fill(None)
            if ref is not None and ref.is_alive():
                ref.stop(timeout=10)

    def logged_ids(self) -> list[str]:
        """Ids of the operations in oplog.json, in log order."""
        lines = self.oplog_file.read_text().splitlines()
        return [json.loads(line)["id"] for line in lines]


@pytest.fixture
def ga_settings(tmp_path, ports) -> Settings:
    write_data(tmp_path / "siteA", BOOKS, LOANS)
    return site_settings(tmp_path, ports, "A", ga_repl_sub_connect="")


@pytest.fixture
def absent_ga(ga_settings) -> Iterator[LocalGa]:
    """A GA that is not running until the test calls `start()`."""
    ga = LocalGa(ga_settings, ManualClock())
    try:
        yield ga
    finally:
        ga.stop()


@pytest.fixture
def local_ga(absent_ga) -> LocalGa:
    absent_ga.start()
    return absent_ga


@pytest.fixture
def actors() -> Iterator[list[pykka.ActorRef]]:
    """Refs appended here are stopped at the end of the test."""
    refs: list[pykka.ActorRef] = []
    try:
        yield refs
    finally:
        for ref in reversed(refs):
            if ref.is_alive():
                ref.stop(timeout=10)
