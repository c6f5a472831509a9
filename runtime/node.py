"""A whole site in one process: `python -m runtime.node --site A`.

Starts the GA (unless --bridge-only) and then the workers AR, AD and AP;
stops them in reverse order on SIGINT or SIGTERM. With --bridge-only only
the workers run, attached to an external GC and GA as the env file says.
"""

from __future__ import annotations

from pathlib import Path

import typer

from bridges.ga_client import GaClient
from common.cli import pin_to_core, settings_or_exit, wait_for_signal
from common.logs import EventLog
from common.settings import Settings
from ga.inprocess import InProcessGa
from ga.local_first import LocalFirstGa
from ga.node import GaNode
from runtime.site import Workers

app = typer.Typer(add_completion=False)


@app.command()
def main(
    site: str = typer.Option(None, help="SITE_ID (A or B); picks .env.siteX."),
    env_file: Path = typer.Option(None, help="Env file (default .env.siteX)."),
    bridge_only: bool = typer.Option(
        False, "--bridge-only", help="Only AR, AD and AP, against an external GA."
    ),
    data_dir: Path = typer.Option(None, help="GA_DATA_DIR override."),
    pretty: bool = typer.Option(None, "--pretty", help="Human-readable logs."),
    log_level: str = typer.Option(None, help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    """Run one library site until SIGINT or SIGTERM."""
    settings = settings_or_exit(
        env_file, site, ga_data_dir=data_dir, log_pretty=pretty, log_level=log_level
    )
    pin_to_core(settings)
    ga = None
    try:
        if not bridge_only:
            ga = GaNode(settings).start()
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    log = EventLog("GA" if ga else "AP")  # the site's lifecycle lines
    connect = in_process_ga(settings, ga) if ga else None
    workers = Workers(settings, connect_ga=connect, ga_in_process=bool(ga)).start()
    try:
        reason = wait_for_signal(ga.failed if ga else None)
        log.state(f"site {settings.site_id} stopping on {reason}")
    finally:
        try:
            workers.stop()
        finally:  # the GA's threads would keep the process alive
            if ga is not None:
                ga.stop()
        log.state(f"site {settings.site_id} stopped")
    raise typer.Exit(1 if ga is not None and ga.failed.is_set() else 0)


def in_process_ga(settings: Settings, ga: GaNode):
    """Actors call their own GA's Storage directly, the peer over ZeroMQ."""

    def connect(proc: str) -> LocalFirstGa:
        local = InProcessGa(ga.storage, timeout_s=settings.ga_timeout_ms / 1000)
        peer = GaClient(
            EventLog(proc),
            settings.endpoint("ga_peer_rep_connect"),
            timeout_ms=settings.ga_timeout_ms,
            retries=max(1, settings.ga_retries - 1),
        )
        return LocalFirstGa(EventLog(proc), local, peer)

    return connect


if __name__ == "__main__":
    app()
