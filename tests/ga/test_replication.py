"""Two GAs in one process: replication, catch-up, convergence, conflicts."""

from __future__ import annotations

import json

from ga.inprocess import InProcessGa
from tests.conftest import BOOKS, free_port, wait_until, write_data


def op(op_id: str, code: str, user: str) -> dict:
    return {"id": op_id, "libroCodigo": code, "userId": user}


def test_operations_at_both_sites_end_identical_on_disk(ga_pair):
    a, b = ga_pair.start("A"), ga_pair.start("B")
    at_a, at_b = InProcessGa(a.storage), InProcessGa(b.storage)

    at_a.call("checkAndLoan", op("a-1", "ISBN-0004", "u-1"))
    at_b.call("checkAndLoan", op("b-1", "ISBN-0004", "u-2"))
    wait_until(lambda: ga_pair.status("B")["applied"]["A"] == 1)
    at_b.call("renovar", op("b-2", "ISBN-0004", "u-1"))
    wait_until(lambda: ga_pair.status("A")["applied"]["B"] == 2)
    returned = at_a.call("devolver", op("a-2", "ISBN-0004", "u-2"))
    wait_until(ga_pair.settled)

    for name in ("books.json", "loans.json"):
        assert ga_pair.files("A", name) == ga_pair.files("B", name)
    assert returned["ok"] is True
    loans = json.loads(ga_pair.files("A", "loans.json"))
    assert [(row["userId"], row["renovaciones"]) for row in loans] == [("u-1", 1)]


def test_a_ga_that_was_down_catches_up_on_everything_it_missed(ga_pair):
    a = ga_pair.start("A")
    ga_pair.start("B")
    wait_until(ga_pair.settled)
    ga_pair.stop("B")
    at_a = InProcessGa(a.storage)
    for n in range(5000):
        method = "checkAndLoan" if n % 2 == 0 else "devolver"
        at_a.call(method, op(f"a-{n}", "ISBN-0002", f"u-{n // 2}"))

    ga_pair.start("B")
    wait_until(ga_pair.settled, timeout_s=20)

    assert ga_pair.status("B")["applied"]["A"] == 5000
    assert ga_pair.files("A", "loans.json") == ga_pair.files("B", "loans.json")


def test_the_last_copy_lent_at_both_sites_is_one_loan_and_one_conflict(ga_pair):
    cut_off = {  # a partition: each GA listens to and asks a silent address
        "ga_repl_sub_connect": f"tcp://127.0.0.1:{free_port()}",
        "ga_peer_rep_connect": f"tcp://127.0.0.1:{free_port()}",
    }
    a, b = ga_pair.start("A", **cut_off), ga_pair.start("B", **cut_off)

    at_a = InProcessGa(a.storage).call("checkAndLoan", op("a-1", "ISBN-0001", "u-1"))
    ga_pair.clock.advance(ms=5)  # so A's loan comes first in the merged order
    at_b = InProcessGa(b.storage).call("checkAndLoan", op("b-1", "ISBN-0001", "u-2"))
    ga_pair.stop("A"), ga_pair.stop("B")
    ga_pair.start("A"), ga_pair.start("B")
    wait_until(ga_pair.settled, timeout_s=20)

    assert at_a["ok"] and at_b["ok"]
    loans = json.loads(ga_pair.files("A", "loans.json"))
    assert [(row["codigo"], row["userId"]) for row in loans] == [("ISBN-0001", "u-1")]
    for site in "AB":
        conflicts = ga_pair.files(site, "conflicts.jsonl").decode().splitlines()
        assert [json.loads(line)["operation"]["id"] for line in conflicts] == ["b-1"]
        assert ga_pair.status(site)["conflicts"] == 1


def test_a_retry_that_reached_both_sites_takes_effect_once(ga_pair):
    a, b = ga_pair.start("A"), ga_pair.start("B")

    InProcessGa(a.storage).call("checkAndLoan", op("same", "ISBN-0004", "u-1"))
    InProcessGa(b.storage).call("checkAndLoan", op("same", "ISBN-0004", "u-1"))
    wait_until(ga_pair.settled)

    loans = json.loads(ga_pair.files("B", "loans.json"))
    assert [row["userId"] for row in loans] == ["u-1"]
    assert ga_pair.files("A", "loans.json") == ga_pair.files("B", "loans.json")


def test_a_ga_that_lost_its_files_gets_the_peers_state_and_its_own_ops(ga_pair):
    a, b = ga_pair.start("A"), ga_pair.start("B")
    at_a, at_b = InProcessGa(a.storage), InProcessGa(b.storage)
    lent_at_b = at_b.call("checkAndLoan", op("b-1", "ISBN-0004", "u-9"))
    for n in range(240):  # enough for snapshots that truncate A's log
        method = "checkAndLoan" if n % 2 == 0 else "devolver"
        at_a.call(method, op(f"a-{n}", "ISBN-0002", f"u-{n // 2}"))
        if n % 60 == 0:  # let B acknowledge, so that A may truncate
            wait_until(ga_pair.settled)
    wait_until(ga_pair.settled)
    assert b'"site":"A","seq":1,' not in ga_pair.files("A", "oplog.json")
    ga_pair.stop("B")
    write_data(ga_pair.root / "siteB", BOOKS, fresh=True)
    at_a.call("checkAndLoan", op("a-late", "ISBN-0003", "u-7"))

    b = ga_pair.start("B")
    wait_until(ga_pair.settled, timeout_s=20)
    renewed = InProcessGa(b.storage).call("renovar", op("b-2", "ISBN-0004", "u-9"))

    assert lent_at_b["ok"] is True
    assert renewed["ok"] is True
    assert InProcessGa(b.storage).call("checkAndLoan", op("a-0", "X", "Y")) == {
        "ok": True,
        "reason": None,
        "metadata": {"dueDate": "2026-06-11"},
    }
    wait_until(lambda: ga_pair.status("A")["applied"]["B"] == 2)
    wait_until(ga_pair.settled)
    assert ga_pair.files("A", "loans.json") == ga_pair.files("B", "loans.json")
