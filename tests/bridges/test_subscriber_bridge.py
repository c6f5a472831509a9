"""SubscriberBridge: both frame forms, exact topics, bad messages dropped."""

import json
import queue

import pytest
import zmq

from bridges.subscriber import Route, SubscriberBridge
from common.logs import EventLog
from common.models import ActorMessage
from tests.conftest import wait_until

TOPICS = ("RENOVACION", "DEVOLUCION")


def published(op_id: str, op: str = "RENOVAR", **changes) -> dict:
    message = {
        "id": op_id,
        "sedeId": "A",
        "userId": "u-1",
        "libroCodigo": "ISBN-0001",
        "op": op,
        "dueDateNew": "2026-06-04" if op == "RENOVAR" else None,
    }
    return {**message, **changes}


def dump(message: dict) -> bytes:
    return json.dumps(message).encode()


class Feed:
    """A GC-like publisher and what the bridge delivered, per topic."""

    def __init__(self, pub: zmq.Socket) -> None:
        self.pub = pub
        self.got = {topic: queue.Queue() for topic in TOPICS}

    def routes(self) -> dict[str, Route]:
        return {topic: Route(self.got[topic].put, ActorMessage) for topic in TOPICS}

    def send(self, *frames: bytes) -> None:
        self.pub.send_multipart(list(frames))

    def delivered_until(self, marker: str, topic: str = "RENOVACION") -> list:
        """Everything delivered on `topic` up to the message with id `marker`."""
        seen = []
        while not seen or seen[-1].id != marker:
            message = self.got[topic].get(timeout=5)
            if not message.id.startswith("probe"):
                seen.append(message)
        return seen

    def connected(self) -> bool:
        """Publish a probe; true once the subscription is in place."""
        self.send(b"RENOVACION " + dump(published("probe")))
        try:
            return self.got["RENOVACION"].get(timeout=0.05) is not None
        except queue.Empty:
            return False


@pytest.fixture
def feed(endpoint, zsocket, bridges) -> Feed:
    feed = Feed(zsocket(zmq.PUB, bind=endpoint))
    bridges.append(SubscriberBridge.launch(EventLog("AR"), endpoint, feed.routes()))
    wait_until(feed.connected, timeout_s=5)  # ZeroMQ's slow joiner
    return feed


def warnings(log_lines: list[dict]) -> list[str]:
    return [line["detail"] for line in log_lines if line["level"] == "WARNING"]


def test_a_single_frame_topic_space_json_message_is_delivered(feed):
    feed.send(b"RENOVACION " + dump(published("r-1")))

    delivered = feed.delivered_until("r-1")

    assert delivered == [ActorMessage.model_validate(published("r-1"))]


def test_a_two_frame_topic_and_json_message_is_delivered(feed):
    feed.send(b"RENOVACION", dump(published("r-1")))

    delivered = feed.delivered_until("r-1")

    assert delivered == [ActorMessage.model_validate(published("r-1"))]


def test_each_topic_reaches_only_its_own_route(feed):
    feed.send(b"DEVOLUCION " + dump(published("d-1", op="DEVOLVER")))
    feed.send(b"RENOVACION", dump(published("r-1")))

    returns = feed.delivered_until("d-1", topic="DEVOLUCION")
    renewals = feed.delivered_until("r-1")

    assert [m.id for m in returns] == ["d-1"]
    assert [m.id for m in renewals] == ["r-1"]
    assert returns[0].dueDateNew is None


def test_a_topic_that_merely_starts_like_a_subscribed_one_is_dropped(feed, log_lines):
    lookalikes = [
        [b"RENOVACIONES " + dump(published("x-1"))],
        [b"RENOVACIONES", dump(published("x-2"))],
        [b"RENOVACION_B " + dump(published("x-3"))],
        [b"RENOVACION\t" + dump(published("x-4"))],
        [b"DEVOLUCIONX", dump(published("x-5", op="DEVOLVER"))],
    ]
    for frames in lookalikes:
        feed.send(*frames)
    feed.send(b"RENOVACION " + dump(published("r-1")))

    delivered = feed.delivered_until("r-1")

    assert [m.id for m in delivered] == ["r-1"]
    assert feed.got["DEVOLUCION"].empty()
    dropped = [w for w in warnings(log_lines) if "unexpected topic" in w]
    assert len(dropped) == len(lookalikes)


INVALID = {
    "not json": b"RENOVACION not json",
    "no body": b"RENOVACION",
    "empty body": b"RENOVACION ",
    "a json list": b"RENOVACION []",
    "invalid utf-8": b'RENOVACION {"id": "\xff"}',
    "missing fields": b'RENOVACION {"id": "x-1"}',
    "unknown site": b"RENOVACION " + dump(published("x-2", sedeId="C")),
    "unknown op": b"RENOVACION " + dump(published("x-3", op="PRESTAR")),
    "number as id": b"RENOVACION " + dump(published(7)),
    "empty user": b"RENOVACION " + dump(published("x-4", userId="")),
    "impossible date": b"RENOVACION " + dump(published("x-5", dueDateNew="2026-13-45")),
    "date not a string": b"RENOVACION " + dump(published("x-6", dueDateNew=20260604)),
}


def test_invalid_messages_are_dropped_with_a_warning_and_delivery_goes_on(
    feed, log_lines
):
    for body in INVALID.values():
        feed.send(body)
    feed.send(b"RENOVACION", b"{broken")
    feed.send(b"RENOVACION " + dump(published("r-1")))

    delivered = feed.delivered_until("r-1")

    assert [m.id for m in delivered] == ["r-1"]
    dropped = [w for w in warnings(log_lines) if "dropped an invalid" in w]
    assert len(dropped) == len(INVALID) + 1


def test_a_deeply_nested_message_is_dropped_with_a_warning_and_delivery_goes_on(
    feed, log_lines
):
    feed.send(b"RENOVACION " + b"[" * 100_000)
    feed.send(b"RENOVACION " + dump(published("r-1")))

    delivered = feed.delivered_until("r-1")

    assert [m.id for m in delivered] == ["r-1"]
    assert [w for w in warnings(log_lines) if "dropped an invalid" in w]
    assert not [line for line in log_lines if line["level"] == "ERROR"]
