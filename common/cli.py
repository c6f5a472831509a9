"""What every entry point shares: settings from flags, logs, signals."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import typer

from common.logs import setup_logging
from common.settings import Settings, SettingsError, load_settings


def default_env_file(site: str | None) -> Path | None:
    """`.env.siteX` for an explicit site, else `.env`, when the file exists."""
    candidate = Path(f".env.site{site}") if site else Path(".env")
    return candidate if candidate.is_file() else None


def settings_or_exit(env_file: Path | None, site: str | None, **flags: Any) -> Settings:
    """Settings with CLI flags on top; a readable error and exit 2 if invalid."""
    env_file = env_file or default_env_file(site)
    try:
        settings = load_settings(env_file, site_id=site, **flags)
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    setup_logging(settings.log_level, settings.log_pretty)
    return settings


def pin_to_core(settings: Settings) -> None:
    """Keep this process, and every thread it starts from now on, on the core
    PIN_CPU names. One interpreter lock lets only one of its threads run
    Python at a time anyway, and hand-offs between threads on one core skip
    the wake-up of another core (docs/performance.md)."""
    if settings.pin_cpu:
        os.sched_setaffinity(0, {int(settings.pin_cpu)})


def wait_for_signal(failed: threading.Event | None = None) -> str:
    """Block until SIGINT or SIGTERM, or until `failed` is set; say which."""
    woken = threading.Event()
    received: list[str] = []

    def handler(signum, _frame) -> None:
        received.append(signal.Signals(signum).name)
        woken.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)
    while not woken.wait(0.2):
        if failed is not None and failed.is_set():
            return "a failure"
    return received[0]


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    sys.exit(2)
