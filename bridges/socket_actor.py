"""The base of every bridge: an actor that owns ZeroMQ sockets.

A bridge's sockets are created, used and closed only in the bridge's own
actor thread. The thread alternates between polling its sockets and
handling its mailbox: a poll step ends either after `poll_ms` or as soon
as another thread rings the doorbell (a pipe the poller also watches)
after telling the bridge something, so replies leave without delay.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from dataclasses import dataclass
from typing import Any

import pykka
import zmq

from common.actors import Actor
from common.logs import EventLog

LINGER_MS = 0
MAX_FRAME_BYTES = 64 * 1024 * 1024  # past this ZeroMQ drops the connection
READ_BATCH = 64  # messages read per poll step
BIND_PATIENCE_S = 3.0  # how long a bind waits for a port still being released


@dataclass(frozen=True)
class _Poll:
    pass


@dataclass(frozen=True)
class _Opened:
    """Answered once on_start opened the sockets (messages wait for it)."""


class Doorbell:
    """A pipe whose read end wakes the bridge's poller."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)

    def ring(self) -> None:
        # A full pipe is already ringing; a closed one means shutdown.
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self.write_fd, b"!")

    def drain(self) -> None:
        try:
            while os.read(self.read_fd, 4096):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            os.close(fd)


class BridgeHandle:
    """What other threads hold: tell the bridge something, and wake it."""

    def __init__(self, ref: pykka.ActorRef, bell: Doorbell) -> None:
        self.ref = ref
        self.bell = bell

    def tell(self, message: Any) -> None:
        try:
            self.ref.tell(message)
        except pykka.ActorDeadError:
            return
        self.bell.ring()

    def ask(self, message: Any, timeout_s: float = 5.0) -> Any:
        future = self.ref.ask(message, block=False)
        self.bell.ring()
        return future.get(timeout=timeout_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        self.bell.ring()
        with contextlib.suppress(pykka.ActorDeadError):
            self.ref.stop(timeout=timeout_s)


class SocketActor(Actor):
    poll_ms = 200

    def __init__(self, bell: Doorbell, log: EventLog) -> None:
        super().__init__()
        self.context = zmq.Context.instance()
        self.log = log
        self.bell = bell
        self._poller = zmq.Poller()
        self._sockets: list[zmq.Socket] = []

    @classmethod
    def launch(cls, *args: Any, **kwargs: Any) -> BridgeHandle:
        """Start the bridge; raises if it could not open its sockets."""
        bell = Doorbell()
        handle = BridgeHandle(cls.start(bell, *args, **kwargs), bell)
        handle.ask(_Opened(), timeout_s=BIND_PATIENCE_S + 5)
        return handle

    def bind(self, sock: zmq.Socket, endpoint: str) -> None:
        """Bind, waiting a little while the port is still held: a restarted
        bridge can come up before ZeroMQ has released its predecessor's."""
        deadline = time.monotonic() + BIND_PATIENCE_S
        while True:
            try:
                sock.bind(endpoint)
                return
            except zmq.ZMQError as exc:
                if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def socket(self, kind: int) -> zmq.Socket:
        sock = self.context.socket(kind)
        sock.setsockopt(zmq.LINGER, LINGER_MS)
        sock.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_BYTES)
        self._sockets.append(sock)
        self._poller.register(sock, zmq.POLLIN)
        return sock

    def on_start(self) -> None:
        self._poller.register(self.bell.read_fd, zmq.POLLIN)
        self.open()
        self.actor_ref.tell(_Poll())

    def on_stop(self) -> None:
        for sock in self._sockets:
            sock.close(linger=LINGER_MS)
        self.bell.close()
        self.log.debug(f"{type(self).__name__} stopped")

    def on_failure(self, exception_type, exception_value, traceback) -> None:
        self.log.error(f"{type(self).__name__} failed: {exception_value!r}")
        for sock in self._sockets:
            sock.close(linger=LINGER_MS)

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, _Poll):
            self._poll_once()
            self.actor_ref.tell(_Poll())
            return None
        if isinstance(message, _Opened):
            return True
        return self.handle(message)

    def _poll_once(self) -> None:
        ready = dict(self._poller.poll(self.next_poll_ms()))
        if ready.pop(self.bell.read_fd, None):
            self.bell.drain()
        for sock in ready:
            self._read(sock)
        self.on_idle()

    def _read(self, sock: zmq.Socket) -> None:
        # Bounded, so that queued replies in the mailbox are not starved.
        for _ in range(READ_BATCH):
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                self.received(sock, frames)
            except pykka.ActorDeadError:
                self.log.debug(f"{type(self).__name__}: the receiver has stopped")
            except Exception as exc:  # one bad message must not kill the bridge
                self.log.error(f"{type(self).__name__} could not handle input: {exc!r}")

    # Hooks for subclasses.
    def open(self) -> None:
        raise NotImplementedError

    def received(self, sock: zmq.Socket, frames: list[bytes]) -> None:
        raise NotImplementedError

    def handle(self, message: Any) -> Any:
        return None

    def on_idle(self) -> None:
        return None

    def next_poll_ms(self) -> int:
        return self.poll_ms
