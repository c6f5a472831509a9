"""Print everything a PUB socket sends: the GC's topics or a GA heartbeat.

Frames accepted: one frame "TOPIC {json}" (the GC's way) or several frames
[topic, json] (the GA heartbeat's [b"HB", json]). Each message becomes one
line on stdout: local time, then the frames separated by " | ".

    python -m tools.print_subscriber --connect tcp://127.0.0.1:5556 \
        --topic RENOVACION --topic DEVOLUCION
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer
import zmq

from tools.lazy_pirate import POLL_MS
from tools.running import run_until_signal


def render(frames: list[bytes], now: dt.datetime | None = None) -> str:
    """One printable line for one message."""
    stamp = (now or dt.datetime.now()).isoformat(timespec="milliseconds")
    text = " | ".join(frame.decode("utf-8", errors="replace") for frame in frames)
    return f"{stamp} {text}"


def subscribe(endpoint: str, topics: list[str], stop: threading.Event, out=None) -> int:
    """Print messages until `stop` is set; the number printed."""
    out = out or sys.stdout
    context = zmq.Context()
    socket = context.socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    printed = 0
    try:
        socket.connect(endpoint)
        for topic in topics or [""]:
            socket.setsockopt_string(zmq.SUBSCRIBE, topic)
        while not stop.is_set():
            if socket.poll(POLL_MS):
                out.write(render(socket.recv_multipart()) + "\n")
                out.flush()
                printed += 1
    finally:
        socket.close(linger=0)
        context.term()
    return printed


def main(
    connect: str = typer.Option(..., help="the PUB socket, e.g. tcp://127.0.0.1:5556"),
    topic: list[str] = typer.Option([], help="topic prefix; repeat; none: all"),
) -> None:
    """Print every message of a PUB socket with a timestamp, until SIGINT."""
    printed = run_until_signal(
        lambda stop: subscribe(connect, topic, stop), name="subscriber"
    )
    if printed is None:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
