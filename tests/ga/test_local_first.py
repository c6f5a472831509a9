"""Actors sharing a process with their GA: local Storage first, peer after."""

from __future__ import annotations

from bridges.ga_client import GaClient
from common.actors import Slot
from common.logs import EventLog
from ga.inprocess import InProcessGa
from ga.local_first import LocalFirstGa


def loan(op_id: str, user: str) -> dict:
    return {"id": op_id, "libroCodigo": "ISBN-0004", "userId": user}


def peer_client(node) -> GaClient:
    return GaClient(
        EventLog("AP"), node.settings.ga_rep_bind, timeout_ms=500, retries=2
    )


def test_operations_go_to_the_local_storage_while_it_takes_them(ga_pair):
    a, b = ga_pair.start("A"), ga_pair.start("B")
    ga = LocalFirstGa(EventLog("AP"), InProcessGa(a.storage), peer_client(b))
    try:
        answer = ga.call("checkAndLoan", loan("lf-1", "u-1"))
    finally:
        ga.close()

    assert answer["ok"] is True
    assert ga_pair.status("A")["head"] == 1
    assert ga_pair.status("B")["head"] == 0


def test_the_same_operation_goes_to_the_peer_when_the_local_ga_is_down(ga_pair):
    b = ga_pair.start("B")
    restarting = InProcessGa(Slot("Storage"))  # empty: a Storage being restarted
    ga = LocalFirstGa(EventLog("AP"), restarting, peer_client(b))
    try:
        answer = ga.call("checkAndLoan", loan("lf-2", "u-2"))
        again = ga.call("checkAndLoan", loan("lf-2", "u-2"))
    finally:
        ga.close()

    assert answer["ok"] is True
    assert again == answer
    assert ga_pair.status("B")["head"] == 1
