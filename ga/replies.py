"""The first reply to every operation id this GA knows: exactly once.

Hundreds of thousands of ids share a handful of distinct replies (a loan's
reply differs only by its due date), so identical replies are stored once.
Callers must treat the replies they get as read-only.
"""

from __future__ import annotations

import json
from typing import Any

Reply = dict[str, Any]


class Replies:
    def __init__(self) -> None:
        self._by_id: dict[str, Reply] = {}
        self._shared: dict[str, Reply] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, op_id: str) -> Reply | None:
        return self._by_id.get(op_id)

    def remember(self, op_id: str, reply: Reply) -> None:
        """Keep `reply` for `op_id` unless the id already has one."""
        if op_id in self._by_id:
            return
        text = json.dumps(reply, sort_keys=True)
        self._by_id[op_id] = self._shared.setdefault(text, reply)
