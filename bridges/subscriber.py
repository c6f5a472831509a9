"""SubscriberBridge: a SUB socket that turns published messages into tells.

Frames in, either form:
  [b"TOPIC {json}"]      one frame, topic and JSON separated by one space
                         (what the teammate's real GC sends)
  [b"TOPIC", b"{json}"]  two frames
ZeroMQ filters subscriptions by prefix, so RENOVACIONES would reach a
RENOVACION subscriber; the bridge checks the topic exactly. A message that
is not JSON or does not validate against the route's model is dropped with
a WARNING.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zmq
from pydantic import BaseModel, ValidationError

from bridges.socket_actor import Doorbell, SocketActor
from common.logs import EventLog


@dataclass(frozen=True)
class Route:
    deliver: Callable[[Any], None]
    model: type[BaseModel] | None = None  # None: deliver the decoded dict


class SubscriberBridge(SocketActor):
    def __init__(
        self, bell: Doorbell, log: EventLog, endpoint: str, routes: dict[str, Route]
    ) -> None:
        super().__init__(bell, log)
        self.endpoint = endpoint
        self._routes = routes

    def open(self) -> None:
        self._sub = self.socket(zmq.SUB)
        self._sub.setsockopt(zmq.RCVHWM, 100_000)
        for topic in self._routes:
            self._sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
        self._sub.connect(self.endpoint)
        self.log.debug(f"subscribed to {sorted(self._routes)} at {self.endpoint}")

    def received(self, sock: zmq.Socket, frames: list[bytes]) -> None:
        topic, body = split_published(frames)
        route = self._routes.get(topic)
        if route is None:
            self.log.warning(f"dropped a message on unexpected topic {topic[:40]!r}")
            return
        try:
            data = json.loads(body)
            message = route.model.model_validate(data) if route.model else data
        except (ValueError, ValidationError, RecursionError) as exc:
            self.log.warning(f"dropped an invalid {topic} message: {_short(exc)}")
            return
        route.deliver(message)


def split_published(frames: list[bytes]) -> tuple[str, bytes]:
    """(topic, body) of a one-frame or two-frame published message."""
    if len(frames) >= 2:
        return frames[0].decode("utf-8", "replace"), frames[1]
    topic, _, body = frames[0].partition(b" ")
    return topic.decode("utf-8", "replace"), body


def _short(exc: Exception) -> str:
    return str(exc).replace("\n", " ")[:200]
