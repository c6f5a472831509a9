"""Wire models with the contract's exact field names (see CONTRACT.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

REPLY_MARGIN_MS = 100  # for a GA's decision to be flushed and reach its caller
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
GaMethod = Literal["renovar", "devolver", "checkAndLoan"]


class WireModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)


def _check_date(value: str | None) -> str | None:
    if value is not None:
        dt.date.fromisoformat(value)
    return value


class ActorMessage(WireModel):
    """GC -> AR/AD, published on RENOVACION or DEVOLUCION."""

    id: Text
    sedeId: Literal["A", "B"]
    userId: Text
    libroCodigo: Text
    op: Literal["RENOVAR", "DEVOLVER"]
    dueDateNew: str | None = None

    _date = field_validator("dueDateNew")(_check_date)


class LoanRequest(WireModel):
    """GC -> AP."""

    id: Text
    libroCodigo: Text
    userId: Text


class GaPayload(WireModel):
    id: Text
    libroCodigo: Text
    userId: Text
    dueDateNew: str | None = None

    _date = field_validator("dueDateNew")(_check_date)


class GaRequest(WireModel):
    """Actor -> GA: {"method": ..., "payload": {...}[, "deadline": epoch ms]}.

    `deadline`, optional, is when the caller stops waiting (and tells its own
    client no): a GA that gets to the request later refuses it with TIMEOUT
    rather than apply what nobody will be told about."""

    method: GaMethod
    payload: GaPayload
    deadline: Annotated[int, Field(ge=0)] | None = None

    def too_late(self, now_ms: int) -> bool:
        """Whether a GA reaching this request at `now_ms` must refuse it: a
        decision needs REPLY_MARGIN_MS to be flushed and to reach the caller."""
        return self.deadline is not None and now_ms > self.deadline - REPLY_MARGIN_MS


def reply(
    ok: bool, reason: str | None = None, metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The contract's uniform answer, shared by AP and GA."""
    return {"ok": ok, "reason": reason, "metadata": metadata or {}}


def refusal(reason: str, detail: str | None = None) -> dict[str, Any]:
    return reply(False, reason, {"detail": detail} if detail else {})
