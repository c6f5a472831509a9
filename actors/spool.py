"""A durable queue of published operations that no GA could take yet.

One JSON line per ActorMessage, fsynced on append, so renewals and returns
survive a restart of the actor's process while both GAs are away.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from common.jsonfile import write_atomic
from common.logs import EventLog
from common.models import ActorMessage


class Spool:
    def __init__(self, path: Path, log: EventLog) -> None:
        self.path = path
        self._log = log
        self.items: list[ActorMessage] = self._load()

    def __len__(self) -> int:
        return len(self.items)

    def append(self, message: ActorMessage) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(message.model_dump_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.items.append(message)

    def pop_first(self) -> None:
        self.items.pop(0)
        lines = "".join(item.model_dump_json() + "\n" for item in self.items)
        write_atomic(self.path, lines.encode())

    def _load(self) -> list[ActorMessage]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        items = []
        for line in lines:
            try:
                items.append(ActorMessage.model_validate(json.loads(line)))
            except ValueError:
                self._log.warning(f"{self.path}: skipped an unreadable spool line")
        if items:
            self._log.state(f"{len(items)} spooled operations to apply")
        return items
