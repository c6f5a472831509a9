"""Send one request to any of our REQ/REP sockets and print the reply.

    python -m tools.ask tcp://127.0.0.1:5560 \
        '{"method": "checkAndLoan", "payload": {"id": "try-1", \
          "libroCodigo": "ISBN-0001", "userId": "u-1"}}'
    python -m tools.ask tcp://127.0.0.1:5564 status

The body is sent as given (one frame). Exits 1 when no reply comes within
--timeout-ms.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer

from tools.cluster import request

app = typer.Typer(add_completion=False)


@app.command()
def main(
    endpoint: str = typer.Argument(..., help="e.g. tcp://127.0.0.1:5557"),
    body: str = typer.Argument(..., help="The request, usually JSON."),
    timeout_ms: int = typer.Option(5000, help="How long to wait for the reply."),
) -> None:
    """Print the reply to one request, pretty-printed when it is JSON."""
    raw = request(endpoint, body.encode(), timeout_ms)
    if raw is None:
        typer.echo(f"no reply from {endpoint} within {timeout_ms} ms", err=True)
        raise typer.Exit(1)
    try:
        typer.echo(json.dumps(json.loads(raw), indent=2, ensure_ascii=False))
    except ValueError:
        typer.echo(raw.decode(errors="replace"))


if __name__ == "__main__":
    app()
