"""A site's loan actors beside a GA in the same process: real AP socket,
real GA, and a supervisor that brings a stopped loan actor back."""

from __future__ import annotations

import json

import pytest

from runtime.node import in_process_ga
from runtime.site import Workers
from tests.conftest import wait_until
from tools.cluster import request


@pytest.fixture
def loan_workers(lone_ga):
    settings = lone_ga.settings
    workers = Workers(
        settings,
        kinds=["AP"],
        connect_ga=in_process_ga(settings, lone_ga),
        ga_in_process=True,
    ).start()
    yield workers
    workers.stop()


def lend(workers: Workers, op_id: str, user: str) -> dict:
    body = json.dumps({"id": op_id, "libroCodigo": "ISBN-0004", "userId": user})
    answer = request(workers.settings.ap_rep_bind, body.encode(), timeout_ms=5000)
    assert answer is not None, "AP did not answer"
    return json.loads(answer)


@pytest.mark.parametrize("which", ["front", "peer caller"])
def test_a_stopped_loan_actor_comes_back_and_loans_go_on(loan_workers, which):
    slot = loan_workers.loan_actors[0 if which == "front" else 1]
    assert lend(loan_workers, "s-1", "u-1")["ok"] is True
    stopped = slot.ref

    stopped.stop()

    wait_until(lambda: slot.ref is not None and slot.ref is not stopped)
    wait_until(lambda: slot.ref.is_alive())
    assert lend(loan_workers, "s-2", "u-2")["ok"] is True
    assert lend(loan_workers, "s-1", "u-1")["ok"] is True  # the first answer again
