"""Run one worker kind alone (`python -m actors.renovacion` and the like)."""

from __future__ import annotations

from pathlib import Path

import typer

from common.cli import settings_or_exit, wait_for_signal
from common.logs import EventLog
from runtime.site import Workers


def run_alone(proc: str) -> None:
    app = typer.Typer(add_completion=False)

    @app.command()
    def main(
        site: str = typer.Option(None, help="SITE_ID (A or B); picks .env.siteX."),
        env_file: Path = typer.Option(None, help="Env file (default .env.siteX)."),
        pretty: bool = typer.Option(None, "--pretty", help="Human-readable logs."),
        log_level: str = typer.Option(None, help="DEBUG, INFO, WARNING or ERROR."),
    ) -> None:
        settings = settings_or_exit(
            env_file, site, log_pretty=pretty, log_level=log_level
        )
        workers = Workers(settings, kinds=[proc]).start()
        EventLog(proc).state(f"stopping on {wait_for_signal()}")
        workers.stop()

    main.__doc__ = f"Run {proc} of one site until SIGINT or SIGTERM."
    app()
