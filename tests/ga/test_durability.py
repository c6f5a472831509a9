"""A real GA process killed with SIGKILL loses no acknowledged operation."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from common.reasons import Reason
from tests.conftest import BOOKS, site_settings, wait_until, write_data
from tests.processes import ga_call, request, spawn, stop, write_env


@pytest.fixture
def ga_process(tmp_path, ports):
    write_data(tmp_path / "siteA", BOOKS)
    settings = site_settings(tmp_path, ports, "A", ga_repl_sub_connect="")
    env_file = write_env(tmp_path / "siteA.env", settings)
    endpoint = settings.ga_rep_bind
    started = []

    def start():
        process = spawn(
            "ga.server", "--env-file", str(env_file), log_path=tmp_path / "ga.log"
        )
        started.append(process)
        wait_until(lambda: ga_call(endpoint, "status", {}, 300), timeout_s=20)
        return process

    yield start, endpoint
    for process in started:
        stop(process, signal.SIGKILL)


def test_sigkill_right_after_an_ack_loses_nothing(ga_process):
    start, endpoint = ga_process
    process = start()
    lent = ga_call(endpoint, "checkAndLoan", loan("op-1", "ISBN-0001"))
    renewed = ga_call(endpoint, "renovar", loan("op-2", "ISBN-0001"))

    process.kill()
    process.wait(timeout=10)
    start()

    assert lent["ok"] and renewed["ok"]
    assert ga_call(endpoint, "checkAndLoan", loan("op-1", "ISBN-0001")) == lent
    again = ga_call(endpoint, "renovar", loan("op-3", "ISBN-0001"))
    assert again["metadata"]["renovaciones"] == 2


def test_sigterm_ends_the_ga_cleanly_with_status_zero(ga_process):
    start, endpoint = ga_process
    process = start()
    ga_call(endpoint, "checkAndLoan", loan("op-1", "ISBN-0002"))

    code = stop(process, signal.SIGTERM)

    assert code == 0


def test_a_request_left_in_a_stopped_ga_past_its_deadline_changes_nothing(
    ga_process,
):
    start, endpoint = ga_process
    process = start()
    deadline_ms = int(time.time() * 1000) + 300
    order = {
        "method": "checkAndLoan",
        "payload": loan("op-1", "ISBN-0001"),
        "deadline": deadline_ms,
    }
    answers = []
    process.send_signal(signal.SIGSTOP)  # as if its machine froze
    try:
        waiting = threading.Thread(
            target=lambda: answers.append(request(endpoint, order, 15_000))
        )
        waiting.start()
        wait_until(lambda: time.time() * 1000 > deadline_ms + 100)
    finally:
        process.send_signal(signal.SIGCONT)
    waiting.join()

    assert answers[0]["reason"] == Reason.TIMEOUT
    assert ga_call(endpoint, "status", {})["metadata"]["head"] == 0
    # The id is not used up: sent again without a deadline it is lent.
    assert ga_call(endpoint, "checkAndLoan", loan("op-1", "ISBN-0001"))["ok"] is True


def loan(op_id: str, code: str, user: str = "u-1") -> dict:
    return {"id": op_id, "libroCodigo": code, "userId": user}
