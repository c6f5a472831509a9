"""Run one GA alone: `python -m ga.server --data-dir ./data/siteA --pretty`."""

from __future__ import annotations

from pathlib import Path

import typer

from common.cli import pin_to_core, settings_or_exit, wait_for_signal
from common.logs import EventLog
from ga.node import GaNode

app = typer.Typer(add_completion=False)
log = EventLog("GA")


@app.command()
def main(
    data_dir: Path = typer.Option(None, help="GA_DATA_DIR: this GA's files."),
    site: str = typer.Option(None, help="SITE_ID (A or B); picks .env.siteX."),
    env_file: Path = typer.Option(None, help="Env file (default .env.siteX)."),
    pretty: bool = typer.Option(None, "--pretty", help="Human-readable logs."),
    log_level: str = typer.Option(None, help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    """Serve the storage manager (GA) of one site until SIGINT or SIGTERM."""
    settings = settings_or_exit(
        env_file, site, ga_data_dir=data_dir, log_pretty=pretty, log_level=log_level
    )
    pin_to_core(settings)
    try:
        node = GaNode(settings).start()
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    reason = wait_for_signal(node.failed)
    log.state(f"stopping on {reason}")
    node.stop()
    raise typer.Exit(1 if node.failed.is_set() else 0)


if __name__ == "__main__":
    app()
