"""A reference load manager (GC) that follows the teammate's contract.

It stands in for the real GC in tests and demos, so it behaves the same way:
renewals and returns are answered at once and then published; loans wait for
AP. With GC_AP_TIMEOUT_MS=0 (the default) it waits for AP forever, as the
real GC does; above 0 a silent AP costs the PS an ERROR "AP_TIMEOUT" and the
GC a fresh socket towards AP (Lazy Pirate).

PS -> GC, one frame on GC_BIND (REQ clients):
    {"op": "PRESTAR"|"RENOVAR"|"DEVOLVER", "libroCodigo", "userId", "id"?}
    A missing "id" becomes "<site>-<12 hex digits>".
GC -> PS, one frame:
    {"status": "OK"|"ERROR", "id", "op", "dueDate": str|null, "reason": str|null}
    Non-JSON, an unknown op or a missing field get reason "BAD_REQUEST".
GC -> AR/AD, one frame on GC_PUB_BIND, topic, one space, JSON:
    RENOVACION {"id", "sedeId", "userId", "libroCodigo", "op": "RENOVAR",
                "dueDateNew": today + 7 days}
    DEVOLUCION {... "op": "DEVOLVER", "dueDateNew": null}
GC -> AP, one frame over REQ to AP_REQ_CONNECT:
    {"id", "libroCodigo", "userId"}
AP -> GC: {"ok", "reason", "metadata": {"dueDate"}}; ok gives status OK with
    metadata.dueDate, a refusal gives status ERROR with AP's reason.

    python -m tools.reference_gc --site A [--mode threaded] [--pretty]
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer
import zmq

from common.cli import settings_or_exit, wait_for_signal
from common.clock import Clock, SystemClock, add_days
from common.logs import EventLog
from common.settings import Settings
from tools.gc_workers import serve_serial, serve_threaded
from tools.lazy_pirate import LazyPirate

log = EventLog("GC")
OPS = ("PRESTAR", "RENOVAR", "DEVOLVER")
RENEWAL_DAYS = 7  # the GC proposes today + 7 days as dueDateNew
DEFAULT_WORKERS = 8
AP_TIMEOUT, AP_BAD_REPLY = "AP_TIMEOUT", "AP_BAD_REPLY"  # ours, not AP's reasons


class BadRequest(ValueError):
    def __init__(self, detail: str, echo: dict[str, Any]) -> None:
        super().__init__(detail)
        self.echo = echo  # the id and op we could read, for the reply


def ps_reply(
    request: dict[str, Any],
    status: str,
    due_date: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "id": request.get("id"),
        "op": request.get("op"),
        "dueDate": due_date,
        "reason": reason,
    }


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode()


def parse_request(raw: bytes, site: str) -> dict[str, str]:
    """The PS request with its id filled in; BadRequest says what is wrong."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("not JSON", {}) from None
    if not isinstance(body, dict):
        raise BadRequest("not a JSON object", {})
    echo = {key: body[key] for key in ("id", "op") if _is_text(body.get(key))}
    if body.get("op") not in OPS:
        raise BadRequest(f"unknown op {body.get('op')!r}", echo)
    for name in ("libroCodigo", "userId"):
        if not _is_text(body.get(name)):
            raise BadRequest(f"{name} missing or not a string", echo)
    if "id" in body and not _is_text(body["id"]):
        raise BadRequest("id must be a non-empty string", echo)
    return {
        "id": body.get("id") or f"{site}-{uuid.uuid4().hex[:12]}",
        "op": body["op"],
        "libroCodigo": body["libroCodigo"],
        "userId": body["userId"],
    }


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def loan_reply(request: dict[str, str], raw: bytes | None) -> dict[str, Any]:
    """AP's answer (or its silence) as the PS reply."""
    if raw is None:
        return ps_reply(request, "ERROR", reason=AP_TIMEOUT)
    answer = _ap_answer(raw)
    if answer is None:
        return ps_reply(request, "ERROR", reason=AP_BAD_REPLY)
    if answer["ok"]:
        due_date = (answer.get("metadata") or {}).get("dueDate")
        return ps_reply(request, "OK", due_date=due_date)
    return ps_reply(request, "ERROR", reason=answer.get("reason") or "REFUSED")


def _ap_answer(raw: bytes) -> dict[str, Any] | None:
    """AP's reply if it has the contract's shape, else None."""
    try:
        answer = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        return None
    if not isinstance(answer.get("metadata") or {}, dict):
        return None
    return answer


class GcCore:
    """What the GC does with one PS request; the caller owns every socket."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.site = settings.site_id
        self.topics = {
            "RENOVAR": settings.topic_renovacion,
            "DEVOLVER": settings.topic_devolucion,
        }
        self.clock = clock or SystemClock()

    def accept(self, raw: bytes) -> tuple[dict[str, str] | None, dict[str, Any]]:
        """(request, {}) when it is good, else (None, the BAD_REQUEST reply)."""
        try:
            request = parse_request(raw, self.site)
        except BadRequest as exc:
            log.warning(f"bad PS request ({exc}): {raw[:200]!r}", exc.echo.get("id"))
            return None, ps_reply(exc.echo, "ERROR", reason="BAD_REQUEST")
        detail = {k: request[k] for k in ("libroCodigo", "userId")}
        log.event("recibido", request["id"], request["op"], detail)
        return request, {}

    def at_once(self, request: dict[str, str]) -> tuple[dict[str, Any], str]:
        """The OK reply to a renewal or return, and the frame to publish after."""
        op = request["op"]
        due_new = (
            add_days(self.clock.today(), RENEWAL_DAYS) if op == "RENOVAR" else None
        )
        message = {
            "id": request["id"],
            "sedeId": self.site,
            "userId": request["userId"],
            "libroCodigo": request["libroCodigo"],
            "op": op,
            "dueDateNew": due_new,
        }
        topic = self.topics[op]
        log.event("enviado", request["id"], op, {"topic": topic, "dueDateNew": due_new})
        return ps_reply(request, "OK"), f"{topic} {json.dumps(message)}"

    def lend(self, request: dict[str, str], ap: LazyPirate) -> dict[str, Any]:
        """Ask AP and wait (forever when GC_AP_TIMEOUT_MS is 0)."""
        body = {k: request[k] for k in ("id", "libroCodigo", "userId")}
        log.event("enviado", request["id"], "PRESTAR", {"to": "AP"})
        reply = loan_reply(request, ap.request(encode(body)))
        stage = "error" if reply["reason"] in (AP_TIMEOUT, AP_BAD_REPLY) else "recibido"
        log.event(stage, request["id"], "PRESTAR", {"from": "AP", **reply})
        return reply


class ReferenceGc:
    """A running GC: its serving threads, started and stopped together."""

    def __init__(
        self,
        settings: Settings,
        workers: int = DEFAULT_WORKERS,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.workers = workers
        self.core = GcCore(settings, clock)
        self.context = zmq.Context()
        self.stop_event = threading.Event()
        self.failure: BaseException | None = None
        self._thread: threading.Thread | None = None

    @property
    def ap_endpoint(self) -> str:
        return self.settings.endpoint("ap_req_connect")

    def start(self) -> ReferenceGc:
        """Bind and serve in the background; raise if binding failed."""
        threaded = self.settings.gc_mode == "threaded"
        serve = serve_threaded if threaded else serve_serial
        bound = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(serve, bound), name=f"gc-{self.settings.gc_mode}"
        )
        self._thread.start()
        bound.wait()
        if self.failure is not None:
            self.stop()
            raise self.failure
        return self

    def stop(self) -> None:
        """Stop serving and close every socket; safe to call twice."""
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join()
        if not self.context.closed:
            self.context.term()

    def _run(self, serve, bound: threading.Event) -> None:
        try:
            serve(self, bound)
        except Exception as exc:
            self.failure = exc
            log.error(f"GC stopped: {exc}")
        finally:
            bound.set()
            self.stop_event.set()


app = typer.Typer(add_completion=False)


@app.command()
def main(
    site: str | None = typer.Option(None, help="A or B; picks .env.siteX"),
    env_file: Path | None = typer.Option(None, help="settings file"),
    mode: str | None = typer.Option(None, help="serial or threaded (GC_MODE)"),
    workers: int = typer.Option(DEFAULT_WORKERS, min=1, help="threaded mode"),
    ap_timeout_ms: int | None = typer.Option(None, min=0, help="0: forever"),
    pretty: bool = typer.Option(False, help="human-readable logs"),
) -> None:
    """Run a reference GC for one site until SIGINT or SIGTERM."""
    settings = settings_or_exit(
        env_file,
        site,
        gc_mode=mode,
        gc_ap_timeout_ms=ap_timeout_ms,
        log_pretty=True if pretty else None,
    )
    gc = ReferenceGc(settings, workers)
    try:
        gc.start()
    except zmq.ZMQError as exc:
        typer.echo(f"error: cannot bind: {exc}", err=True)
        raise typer.Exit(1) from None
    log.state(_banner(gc))
    log.state(f"stopping on {wait_for_signal(gc.stop_event)}")
    gc.stop()
    raise typer.Exit(1 if gc.failure else 0)


def _banner(gc: ReferenceGc) -> dict[str, Any]:
    s = gc.settings
    return {
        "site": s.site_id,
        "mode": s.gc_mode,
        "bind": s.endpoint("gc_bind"),
        "pub": s.endpoint("gc_pub_bind"),
        "ap": gc.ap_endpoint,
        "apTimeoutMs": s.gc_ap_timeout_ms,
    }


if __name__ == "__main__":
    app()
