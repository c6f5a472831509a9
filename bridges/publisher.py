"""PublisherBridge: a PUB socket any actor can publish through.

Frames out: [topic, json] (two frames).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import zmq

from bridges.socket_actor import Doorbell, SocketActor
from common.logs import EventLog


@dataclass(frozen=True)
class Publish:
    topic: str
    payload: Any


class PublisherBridge(SocketActor):
    def __init__(self, bell: Doorbell, log: EventLog, endpoint: str) -> None:
        super().__init__(bell, log)
        self.endpoint = endpoint

    def open(self) -> None:
        self._pub = self.socket(zmq.PUB)
        self.bind(self._pub, self.endpoint)
        self.log.debug(f"publishing on {self.endpoint}")

    def received(self, sock: zmq.Socket, frames: list[bytes]) -> None:
        return None  # a PUB socket never receives

    def handle(self, message: Any) -> Any:
        if isinstance(message, Publish):
            data = json.dumps(message.payload, separators=(",", ":")).encode()
            self._pub.send_multipart([message.topic.encode(), data])
        return None
