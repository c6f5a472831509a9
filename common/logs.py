"""The contract's JSON-lines log, and a --pretty mode for people.

Every line carries ts (epoch ms), proc (GC|PS|AR|AD|AP|GA), id, op, stage and
detail, plus the level and the actor (thread) that wrote it. Operation events
use the contract's stages (recibido, enviado, aplicado, error); lifecycle and
status lines use the stage "estado" with id and op null.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from typing import Any

from loguru import logger

STATE = "estado"
_COLORS = {"DEBUG": "2", "INFO": "0", "WARNING": "33", "ERROR": "31"}


def setup_logging(level: str = "INFO", pretty: bool = False, stream=None) -> None:
    """Route every log line to `stream` (stderr) in one of the two formats."""
    logger.remove()
    sink = _pretty_sink if pretty else _json_sink
    out = stream or sys.stderr
    logger.add(lambda message: sink(message, out), level=level, enqueue=False)
    pykka_log = logging.getLogger("pykka")
    pykka_log.handlers[:] = [_PykkaToLoguru()]
    pykka_log.propagate = False


class _PykkaToLoguru(logging.Handler):
    """Pykka reports a crashed actor, with its traceback, on the standard
    logging module; without this the supervisor's restarts have no cause."""

    def emit(self, record: logging.LogRecord) -> None:
        detail = record.getMessage()
        if record.exc_info:
            detail += "\n" + "".join(traceback.format_exception(*record.exc_info))
        actor = threading.current_thread().name.split("-")[0]
        level = "ERROR" if record.levelno >= logging.ERROR else "DEBUG"
        EventLog(_ACTOR_PROCS.get(actor, "-")).event(STATE, detail=detail, level=level)


_ACTOR_PROCS = {
    "Storage": "GA",
    "Oplog": "GA",
    "Replicator": "GA",
    "Heartbeat": "GA",
    "Supervisor": "GA",
    "RenewalActor": "AR",
    "ReturnActor": "AD",
    "LoanActor": "AP",
}


class EventLog:
    """Log lines of one process kind (AR, AD, AP, GA, ...)."""

    def __init__(self, proc: str) -> None:
        self.proc = proc

    def event(
        self,
        stage: str,
        op_id: str | None = None,
        op: str | None = None,
        detail: Any = None,
        level: str = "INFO",
    ) -> None:
        # Passed as keywords (loguru files them under "extra"), not with bind():
        # loguru then drops a line below every sink's level before any work.
        logger.log(
            level, "", proc=self.proc, id=op_id, op=op, stage=stage, detail=detail
        )

    def state(self, detail: Any, level: str = "INFO") -> None:
        self.event(STATE, detail=detail, level=level)

    def debug(self, detail: Any) -> None:
        self.state(detail, "DEBUG")

    def warning(self, detail: Any, op_id: str | None = None) -> None:
        self.event("error" if op_id else STATE, op_id, None, detail, "WARNING")

    def error(self, detail: Any, op_id: str | None = None) -> None:
        self.event("error" if op_id else STATE, op_id, None, detail, "ERROR")


def _record_fields(message) -> dict[str, Any]:
    record = message.record
    extra = record["extra"]
    return {
        "ts": int(record["time"].timestamp() * 1000),
        "level": record["level"].name,
        "proc": extra.get("proc", "-"),
        "actor": threading.current_thread().name,
        "id": extra.get("id"),
        "op": extra.get("op"),
        "stage": extra.get("stage", STATE),
        "detail": _text(extra.get("detail", record["message"])),
    }


def _text(detail: Any) -> Any:
    return (
        detail
        if isinstance(detail, (str, dict, list)) or detail is None
        else str(detail)
    )


def _json_sink(message, out) -> None:
    out.write(json.dumps(_record_fields(message), ensure_ascii=False) + "\n")
    out.flush()


def _pretty_sink(message, out) -> None:
    f = _record_fields(message)
    clock = message.record["time"].strftime("%H:%M:%S.%f")[:-3]
    detail = f["detail"]
    if not isinstance(detail, str):
        detail = json.dumps(detail, ensure_ascii=False)
    ident = f" id={f['id']}" if f["id"] else ""
    line = f"{clock} {f['proc']:<2} {f['stage']:<9} {f['op'] or '':<12}{ident} {detail}"
    color = _COLORS.get(f["level"], "0")
    out.write(f"\x1b[{color}m{line}\x1b[0m\n" if out.isatty() else line + "\n")
    out.flush()
