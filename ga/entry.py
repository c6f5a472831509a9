"""One operation as logged, replicated and replayed: a line of oplog.json."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from common.logs import EventLog
from common.models import GaRequest
from ga.hlc import Key
from ga.rules import Operation

OPS = {"checkAndLoan": "PRESTAR", "renovar": "RENOVAR", "devolver": "DEVOLVER"}


@dataclass(frozen=True)
class Entry:
    site: str  # origin GA
    seq: int  # position in the origin's sequence, gap-free from 1
    key: Key  # total order across both sites
    id: str
    method: str
    libroCodigo: str
    userId: str
    dueDateNew: str | None  # the GC's proposal, kept for traceability
    date: str  # the origin's "today"
    reply: dict[str, Any]  # the answer the origin gave

    @property
    def ok(self) -> bool:
        return bool(self.reply.get("ok"))

    @property
    def operation(self) -> Operation:
        return Operation(
            self.method, self.libroCodigo, self.userId, self.date, self.site
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "seq": self.seq,
            "hlc": list(self.key),
            "id": self.id,
            "method": self.method,
            "libroCodigo": self.libroCodigo,
            "userId": self.userId,
            "dueDateNew": self.dueDateNew,
            "date": self.date,
            "reply": self.reply,
        }

    @classmethod
    def new(
        cls, request: GaRequest, site: str, seq: int, key: Key, today: dt.date
    ) -> Entry:
        """A client's request as this GA's next operation, not yet decided."""
        payload = request.payload
        return cls(
            site,
            seq,
            key,
            payload.id,
            request.method,
            payload.libroCodigo,
            payload.userId,
            payload.dueDateNew,
            today.isoformat(),
            reply={},
        )

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Entry:
        """Raises KeyError, TypeError or ValueError on a malformed line."""
        return cls(
            site=str(raw["site"]),
            seq=int(raw["seq"]),
            key=Key.of(raw["hlc"]),
            id=str(raw["id"]),
            method=str(raw["method"]),
            libroCodigo=str(raw["libroCodigo"]),
            userId=str(raw["userId"]),
            dueDateNew=raw.get("dueDateNew"),
            date=str(raw["date"]),
            reply=dict(raw["reply"]),
        )


def log_applied(log: EventLog, entry: Entry) -> None:
    """The contract's log line for an operation decided at this GA."""
    detail = {
        "ok": entry.ok,
        "reason": entry.reply.get("reason"),
        "libroCodigo": entry.libroCodigo,
        "userId": entry.userId,
        "seq": entry.seq,
        "origin": entry.site,
    }
    if entry.dueDateNew:
        detail["dueDateNewGC"] = entry.dueDateNew
    detail.update(entry.reply.get("metadata") or {})
    stage = "aplicado" if entry.ok else "error"
    log.event(stage, entry.id, OPS[entry.method], detail)
