"""What the GA's request socket (GA_REP_BIND) accepts, and where it goes.

Requests: {"method": "renovar"|"devolver"|"checkAndLoan", "payload":
{id, libroCodigo, userId[, dueDateNew]}} from actors; {"method": "sync",
"payload": {"after", "limit"}} and {"method": "state"} from the peer GA's
replicator;
{"method": "status"} from anyone. Replies: {"ok", "reason", "metadata"}.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bridges.server import Responder
from common.actors import Slot
from common.logs import EventLog
from common.models import GaRequest, refusal
from common.reasons import Reason
from ga.messages import Execute, ServeState, ServeSync, Status

log = EventLog("GA")
BUSINESS = {"renovar", "devolver", "checkAndLoan"}


def ga_handler(storage: Slot):
    def handle(data: Any, respond: Responder) -> None:
        order, problem = _order(data, respond)
        if problem is not None:
            log.warning(f"refused a GA request: {problem['reason']}")
            respond(problem)
        elif not storage.tell(order):
            respond(refusal(Reason.GA_UNAVAILABLE, "storage is restarting"))

    return handle


def _order(data: Any, respond: Responder) -> tuple[Any, dict | None]:
    if not isinstance(data, dict):
        return None, refusal(Reason.BAD_REQUEST, "expected a JSON object")
    method = data.get("method")
    if method == "status":
        return Status(
            lambda status: respond({"ok": True, "reason": None, "metadata": status})
        ), None
    if method == "sync":
        return _sync(data.get("payload"), respond)
    if method == "state":
        return ServeState(respond), None
    if not isinstance(method, str) or method not in BUSINESS:
        return None, refusal(Reason.UNKNOWN_METHOD, f"unknown method {method!r}")
    try:
        return Execute(GaRequest.model_validate(data), respond), None
    except ValidationError as exc:
        return None, refusal(Reason.BAD_REQUEST, _first_error(exc))


def _sync(payload: Any, respond: Responder) -> tuple[Any, dict | None]:
    try:
        after, limit = int(payload["after"]), int(payload["limit"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None, refusal(Reason.BAD_REQUEST, "sync needs integer after, limit")
    return ServeSync(max(after, 0), max(1, min(limit, 10_000)), respond), None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}"
