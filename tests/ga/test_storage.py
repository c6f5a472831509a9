"""A lone GA in process: rules through Storage, exactly once, restarts."""

from __future__ import annotations

import json

from common.reasons import Reason
from ga.inprocess import InProcessGa
from ga.messages import Status
from ga.node import GaNode
from tests.conftest import wait_until


def loan(op_id: str, code: str = "ISBN-0001", user: str = "u-1") -> dict:
    return {"id": op_id, "libroCodigo": code, "userId": user}


def restart(node: GaNode) -> GaNode:
    node.stop()
    return GaNode(node.settings, node.clock).start()


def loans_on_disk(node: GaNode) -> list[dict]:
    return json.loads(node.settings.data_file("loans_file").read_text())


def test_the_same_id_twice_is_applied_once_with_the_first_reply(lone_ga):
    ga = InProcessGa(lone_ga.storage)

    first = ga.call("checkAndLoan", loan("op-1"))
    again = ga.call("checkAndLoan", loan("op-1"))
    other = ga.call("checkAndLoan", loan("op-2", user="u-2"))

    assert first["ok"] is True
    assert again == first
    assert other["reason"] == "NO_COPY_AVAILABLE"


def test_a_repeated_id_keeps_its_first_reply_across_a_restart(lone_ga):
    first = InProcessGa(lone_ga.storage).call("checkAndLoan", loan("op-1"))
    node = restart(lone_ga)
    try:
        ga = InProcessGa(node.storage)

        again = ga.call("checkAndLoan", loan("op-1"))
        renewed = ga.call("renovar", loan("op-2"))

        assert again == first
        assert renewed["metadata"]["renovaciones"] == 1
    finally:
        node.stop()


def test_a_clean_stop_writes_the_state_in_the_contract_shape(lone_ga):
    InProcessGa(lone_ga.storage).call("checkAndLoan", loan("op-1", "ISBN-0004"))

    lone_ga.stop()

    assert loans_on_disk(lone_ga) == [
        {
            "codigo": "ISBN-0004",
            "dueDate": "2026-06-11",
            "renovaciones": 0,
            "sede": "A",
            "userId": "u-1",
        }
    ]


def test_a_torn_last_log_line_is_cut_and_recovery_goes_on(lone_ga):
    InProcessGa(lone_ga.storage).call("checkAndLoan", loan("op-1"))
    lone_ga.stop()
    oplog = lone_ga.settings.data_file("oplog_file")
    whole = oplog.read_bytes()
    oplog.write_bytes(whole + b'{"site": "A", "seq": 2, "hlc": [17')

    node = GaNode(lone_ga.settings, lone_ga.clock).start()
    try:
        answer = InProcessGa(node.storage).call("devolver", loan("op-3"))

        assert answer["ok"] is True
        assert oplog.read_bytes().startswith(whole)
        assert b"[17\n" not in oplog.read_bytes()
    finally:
        node.stop()


def test_snapshots_truncate_the_log_but_not_the_memory_of_ids(lone_ga):
    ga = InProcessGa(lone_ga.storage)
    replies = {}
    for n in range(60):  # the fixture snapshots every 50 operations
        method = "checkAndLoan" if n % 2 == 0 else "devolver"
        replies[f"op-{n}"] = ga.call(method, loan(f"op-{n}", "ISBN-0002"))
    oplog = lone_ga.settings.data_file("oplog_file")
    wait_until(lambda: len(oplog.read_bytes().splitlines()) < 60)
    node = restart(lone_ga)
    try:
        ga = InProcessGa(node.storage)

        again = {op_id: ga.call("devolver", loan(op_id)) for op_id in replies}

        assert again == replies
        assert all(answer["ok"] for answer in replies.values())
    finally:
        node.stop()


def test_a_request_reached_after_its_deadline_is_refused_and_changes_nothing(
    lone_ga,
):
    ga = InProcessGa(lone_ga.storage)
    now_ms = lone_ga.clock.now_ms()

    # Too late also when too close: the reply needs REPLY_MARGIN_MS to leave.
    late = ga.call("checkAndLoan", loan("d-1"), deadline_ms=now_ms + 99)
    in_time = ga.call("checkAndLoan", loan("d-2", user="u-2"), deadline_ms=now_ms + 100)
    repeated = ga.call("checkAndLoan", loan("d-2", user="u-2"), deadline_ms=0)

    assert late["ok"] is False and late["reason"] == Reason.TIMEOUT
    assert in_time["ok"] is True
    assert repeated == in_time  # a known id gets its first answer, late or not
    assert lone_ga.storage.ask(Status())["head"] == 1
