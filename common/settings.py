"""One typed settings model for every process of a site.

Precedence, highest first: CLI flags (passed as keyword overrides), the process
environment, the env file, the defaults below. Field names are the contract's
environment variable names in lower case; pydantic-settings matches them
case-insensitively.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.models import REPLY_MARGIN_MS

WILDCARD_HOSTS = ("0.0.0.0", "*", "[::]")


class SettingsError(ValueError):
    """The configuration cannot work; the message says which setting and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", validate_default=True)

    site_id: Literal["A", "B"] = "A"
    ip_gc: str = "127.0.0.1"
    ip_ga_peer: str = "127.0.0.1"

    # Contract: the GC's publisher and the topics AR and AD subscribe to.
    gc_pub_connect: str = "tcp://{IP_GC}:5556"
    topic_renovacion: str = "RENOVACION"
    topic_devolucion: str = "DEVOLUCION"

    # Contract: AP's reply side and this site's GA sockets.
    ap_rep_bind: str = "tcp://0.0.0.0:5557"
    ga_rep_bind: str = "tcp://0.0.0.0:5560"
    ga_health_rep_bind: str = "tcp://0.0.0.0:5564"
    ga_heartbeat_pub_bind: str = "tcp://0.0.0.0:5565"
    ga_heartbeat_interval_ms: int = 2000
    ga_repl_pub_bind: str = "tcp://0.0.0.0:5562"
    ga_repl_sub_connect: str = "tcp://{IP_GA_PEER}:5563"

    # Contract: the GA's files.
    ga_data_dir: Path = Path("./data/siteA")
    books_file: str = "books.json"
    loans_file: str = "loans.json"
    oplog_file: str = "oplog.json"
    applied_index_file: str = "applied_index.json"
    snapshot_interval_ops: int = 500

    # Fixed names for what the seed left open.
    ga_rep_connect: str = ""  # empty: derived from ga_rep_bind
    ga_peer_rep_connect: str = "tcp://{IP_GA_PEER}:5580"  # site B on one host
    ga_timeout_ms: int = 500  # one GA request, one attempt
    ga_retries: int = 4  # attempts in all, alternating local and peer

    # Ours.
    ga_heartbeat_connect: str = ""  # empty: derived from ga_heartbeat_pub_bind
    ap_reply_deadline_ms: int = 4000  # AP answers the GC within this, always
    ap_workers: int = 8  # loan actors; beside a GA, one of them is the front
    max_message_bytes: int = 1_048_576  # larger requests are refused
    actor_state_dir: Path = Path("./data/actors-siteA")  # AR/AD spool files
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_pretty: bool = False
    pin_cpu: str = ""  # a CPU core number for the whole site process; empty: any

    # The reference GC (tools/reference_gc.py), with the teammate's names.
    gc_bind: str = "tcp://0.0.0.0:5555"  # where PS clients connect
    gc_pub_bind: str = "tcp://0.0.0.0:5556"  # renewals and returns go out here
    ap_req_connect: str = "tcp://127.0.0.1:5557"  # the GC's way to AP
    gc_mode: Literal["serial", "threaded"] = "serial"
    gc_ap_timeout_ms: int = 0  # 0: wait for AP forever, as the real GC does

    @model_validator(mode="after")
    def _check_relations(self) -> Settings:
        positive = (
            "ga_timeout_ms",
            "ga_retries",
            "snapshot_interval_ops",
            "ap_workers",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name.upper()} must be positive")
        if self.ga_timeout_ms < 2 * REPLY_MARGIN_MS:
            raise ValueError(
                f"GA_TIMEOUT_MS must be at least {2 * REPLY_MARGIN_MS} ms: a GA "
                f"refuses what it reaches in the last {REPLY_MARGIN_MS} ms"
            )
        # Beside a GA, AP tries the local GA once and the peer at least once.
        worst_ms = self.ga_timeout_ms * max(2, self.ga_retries)
        if worst_ms >= self.ap_reply_deadline_ms:
            raise ValueError(
                f"GA_TIMEOUT_MS x GA_RETRIES (at least 2: {worst_ms} ms) must be below "
                f"AP_REPLY_DEADLINE_MS ({self.ap_reply_deadline_ms} ms), or AP "
                "would answer the GC before its GA calls give up"
            )
        if self.ap_reply_deadline_ms >= 5000:
            raise ValueError("AP_REPLY_DEADLINE_MS must stay below the PS's 5 s")
        if self.ga_heartbeat_interval_ms < 50:
            raise ValueError("GA_HEARTBEAT_INTERVAL_MS below 50 ms floods the peer")
        if self.pin_cpu and not _usable_core(self.pin_cpu):
            allowed = sorted(os.sched_getaffinity(0))
            raise ValueError(f"PIN_CPU must be one of this machine's cores {allowed}")
        if self.endpoint("ga_peer_rep_connect") == self.local_ga:
            raise ValueError(
                f"GA_PEER_REP_CONNECT ({self.local_ga}) is this site's own GA; "
                "point it at the other site's GA_REP_BIND"
            )
        if self.endpoint("ga_repl_sub_connect") == connect_to(self.ga_repl_pub_bind):
            raise ValueError(
                "GA_REPL_SUB_CONNECT is this GA's own GA_REPL_PUB_BIND; point it "
                "at the other site's"
            )
        return self

    def endpoint(self, name: str) -> str:
        """The setting `name` with host placeholders filled in."""
        value = getattr(self, name)
        return value.replace("{IP_GC}", self.ip_gc).replace(
            "{IP_GA_PEER}", self.ip_ga_peer
        )

    @property
    def local_ga(self) -> str:
        return self.endpoint("ga_rep_connect") or connect_to(self.ga_rep_bind)

    @property
    def local_heartbeat(self) -> str:
        explicit = self.endpoint("ga_heartbeat_connect")
        return explicit or connect_to(self.ga_heartbeat_pub_bind)

    def data_file(self, name: str) -> Path:
        return self.ga_data_dir / getattr(self, name)


def _usable_core(text: str) -> bool:
    return text.isdigit() and int(text) in os.sched_getaffinity(0)


def connect_to(bind: str) -> str:
    """Where a local client reaches a socket bound at `bind`."""
    for host in WILDCARD_HOSTS:
        bind = bind.replace(f"//{host}:", "//127.0.0.1:")
    return bind


def load_settings(env_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings, raising SettingsError with a readable message."""
    if env_file is not None and not env_file.is_file():
        raise SettingsError(f"env file not found: {env_file}")
    cli = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(_env_file=env_file, **cli)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]).upper()
        lines.append(f"{where or 'settings'}: {error['msg']}")
    return "invalid configuration: " + "; ".join(lines)
