"""Bridges on loopback: every socket a test opens is closed with linger 0."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import zmq

from bridges.socket_actor import BridgeHandle
from tests.conftest import free_port


@pytest.fixture
def endpoint() -> str:
    return f"tcp://127.0.0.1:{free_port()}"


@pytest.fixture
def zsocket() -> Iterator[Callable[..., zmq.Socket]]:
    """Make a socket of a kind, connected to an endpoint (or bound with bind=)."""
    opened: list[zmq.Socket] = []

    def make(kind: int, connect: str = "", bind: str = "") -> zmq.Socket:
        sock = zmq.Context.instance().socket(kind)
        sock.setsockopt(zmq.LINGER, 0)
        opened.append(sock)
        if bind:
            sock.bind(bind)
        if connect:
            sock.connect(connect)
        return sock

    try:
        yield make
    finally:
        for sock in opened:
            sock.close(linger=0)


@pytest.fixture
def bridges() -> Iterator[list[BridgeHandle]]:
    """Bridge handles appended here are stopped at the end of the test."""
    handles: list[BridgeHandle] = []
    try:
        yield handles
    finally:
        for handle in reversed(handles):
            handle.stop()
