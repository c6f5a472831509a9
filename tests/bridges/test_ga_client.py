"""GaClient: bounded retries, a fresh socket after a timeout, failover."""

import time

import pytest

from bridges.ga_client import PEER, GaClient
from bridges.server import ServerBridge
from common.logs import EventLog
from common.models import reply
from common.reasons import Reason
from tests.conftest import free_port

TIMEOUT_MS, RETRIES = 300, 2
PAYLOAD = {"id": "r-1", "libroCodigo": "ISBN-0001", "userId": "u-1"}


@pytest.fixture
def clients():
    made: list[GaClient] = []

    def make(local: str, peer: str = "") -> GaClient:
        client = GaClient(
            EventLog("AR"), local, peer, timeout_ms=TIMEOUT_MS, retries=RETRIES
        )
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            client.close()


@pytest.fixture
def ga(bridges):
    """Start a GA stand-in on an endpoint; it records what it was asked."""
    seen: list[dict] = []

    def start(endpoint: str, answer=None, raw: bool = False) -> list[dict]:
        def handler(data, respond) -> None:
            seen.append(data)
            respond(
                answer if answer is not None else reply(True, None, {"by": endpoint})
            )

        bridges.append(
            ServerBridge.launch(
                EventLog("GA"),
                endpoint,
                handler,
                max_bytes=4096,
                deadline_ms=2000,
                raw=raw,
            )
        )
        return seen

    return start


def timed_call(client: GaClient, payload: dict = PAYLOAD) -> tuple[dict, float]:
    started = time.monotonic()
    answer = client.call("renovar", payload)
    return answer, time.monotonic() - started


def test_a_dead_ga_gives_ga_unavailable_after_all_retries(clients, endpoint):
    client = clients(endpoint)

    answer, elapsed_s = timed_call(client)

    assert answer["ok"] is False
    assert answer["reason"] == Reason.GA_UNAVAILABLE
    worst_s = TIMEOUT_MS * RETRIES / 1000
    assert worst_s - 0.05 <= elapsed_s < worst_s + 1.0


def test_the_client_works_once_the_ga_comes_up_and_never_sends_what_it_gave_up(
    clients, endpoint, ga
):
    client = clients(endpoint)
    given_up, _ = timed_call(client, {**PAYLOAD, "id": "given-up"})
    seen = ga(endpoint)

    answer, _ = timed_call(client)

    assert given_up["reason"] == Reason.GA_UNAVAILABLE
    assert answer == {"ok": True, "reason": None, "metadata": {"by": endpoint}}
    assert [request["payload"]["id"] for request in seen] == ["r-1"]


def test_a_dead_local_ga_hands_the_same_operation_to_the_peer(clients, endpoint, ga):
    peer = f"tcp://127.0.0.1:{free_port()}"
    seen = ga(peer)
    client = clients(endpoint, peer)

    answer, elapsed_s = timed_call(client)

    assert answer["metadata"] == {"by": peer}
    assert seen == [{"method": "renovar", "payload": PAYLOAD}]
    assert client.target == PEER
    assert TIMEOUT_MS / 1000 - 0.05 <= elapsed_s < TIMEOUT_MS / 1000 + 1.0


def test_after_failing_over_the_client_stays_with_the_peer(clients, endpoint, ga):
    peer = f"tcp://127.0.0.1:{free_port()}"
    seen = ga(peer)
    client = clients(endpoint, peer)
    timed_call(client)

    answer, elapsed_s = timed_call(client, {**PAYLOAD, "id": "r-2"})

    assert answer["metadata"] == {"by": peer}
    assert elapsed_s < TIMEOUT_MS / 1000
    assert [request["payload"]["id"] for request in seen] == ["r-1", "r-2"]


def test_a_reply_that_is_not_json_is_an_internal_error(clients, endpoint, ga):
    ga(endpoint, answer="ok", raw=True)
    client = clients(endpoint)

    answer, _ = timed_call(client)

    assert answer["ok"] is False
    assert answer["reason"] == Reason.INTERNAL_ERROR


def test_each_attempt_tells_the_ga_when_it_stops_waiting(clients, ga):
    local = f"tcp://127.0.0.1:{free_port()}"
    seen = ga(local)
    client = clients(local)
    soon_ms = int(time.time() * 1000) + 100  # sooner than one attempt's wait

    before_ms = int(time.time() * 1000)
    answer = client.call("checkAndLoan", PAYLOAD, before_ms + 60_000)
    after_ms = int(time.time() * 1000)
    in_time = client.call("checkAndLoan", PAYLOAD, soon_ms)
    late = client.call("checkAndLoan", PAYLOAD, int(time.time() * 1000) - 1)

    assert answer["ok"] is True and in_time["ok"] is True
    first, second = (request["deadline"] for request in seen)
    assert before_ms + TIMEOUT_MS <= first <= after_ms + TIMEOUT_MS
    assert second == soon_ms
    assert late["ok"] is False and late["reason"] == Reason.TIMEOUT
    assert len(seen) == 2  # the late call sent nothing
