"""Crashes and clocks at the worst moment (DESIGN.md section 5): found by
attacking the GA, kept so that they stay fixed."""

from __future__ import annotations

import contextlib
import json
import shutil

from ga.inprocess import InProcessGa
from tests.conftest import free_port, wait_until


def op(op_id: str, code: str, user: str) -> dict:
    return {"id": op_id, "libroCodigo": code, "userId": user}


def test_a_crash_between_recording_a_conflict_and_the_snapshot_records_it_once(
    ga_pair,
):
    """conflicts.jsonl is appended before the snapshot is saved; after a crash
    in between, the next snapshot meets the same conflict again and must
    neither append nor count it twice."""

    cut_off = {
        "ga_repl_sub_connect": f"tcp://127.0.0.1:{free_port()}",
        "ga_peer_rep_connect": f"tcp://127.0.0.1:{free_port()}",
    }
    a, b = ga_pair.start("A", **cut_off), ga_pair.start("B", **cut_off)
    assert InProcessGa(a.storage).call("checkAndLoan", op("a-1", "ISBN-0001", "u-1"))[
        "ok"
    ]
    ga_pair.clock.advance(ms=5)
    assert InProcessGa(b.storage).call("checkAndLoan", op("b-1", "ISBN-0001", "u-2"))[
        "ok"
    ]
    ga_pair.stop("A"), ga_pair.stop("B")
    site_a = ga_pair.root / "siteA"
    before = ga_pair.root / "siteA-before"
    shutil.copytree(site_a, before)  # A's files before the merge

    ga_pair.start("A"), ga_pair.start("B")
    wait_until(ga_pair.settled, timeout_s=20)
    wait_until(lambda: (site_a / "conflicts.jsonl").exists())
    ga_pair.stop("A")
    conflicts = (site_a / "conflicts.jsonl").read_bytes()
    b1 = json.loads(conflicts.splitlines()[0])["operation"]
    # The crash state: conflicts.jsonl appended and fsynced, B's entry durable
    # in the log (FlushNow ran first), snapshot and log not yet rewritten.
    shutil.rmtree(site_a)
    shutil.copytree(before, site_a)
    with open(site_a / "oplog.json", "ab") as handle:
        handle.write(json.dumps(b1, separators=(",", ":")).encode() + b"\n")
    (site_a / "conflicts.jsonl").write_bytes(conflicts)

    ga_pair.start("A")
    wait_until(ga_pair.settled, timeout_s=20)
    ga_pair.stop("A")  # the final snapshot
    ga_pair.start("A")
    wait_until(ga_pair.settled, timeout_s=20)

    lines = (site_a / "conflicts.jsonl").read_text().splitlines()
    ids = [json.loads(line)["operation"]["id"] for line in lines]
    assert ids == ["b-1"]
    assert ga_pair.status("A")["conflicts"] == ga_pair.status("B")["conflicts"] == 1


def test_a_restart_keeps_the_clock_promised_to_the_peer_and_sites_agree(ga_pair):
    """B's heartbeats tell A "my later operations order after H", and A
    settles its own up to H. After a restart with its clock not past H
    (same millisecond, or a clock stepped back), B must still issue keys
    above H, or the sites would order B's next loan differently."""

    deaf = {  # B hears nothing from A; A hears B's heartbeats
        "ga_repl_sub_connect": f"tcp://127.0.0.1:{free_port()}",
        "ga_peer_rep_connect": f"tcp://127.0.0.1:{free_port()}",
    }
    a = ga_pair.start("A")
    ga_pair.start("B", **deaf)
    lent_a = InProcessGa(a.storage).call("checkAndLoan", op("a-1", "ISBN-0001", "u-1"))
    assert lent_a["ok"]
    for _ in range(3000):  # B's clock runs ahead (each status ticks its HLC)
        ga_pair.status("B")
    wait_until(lambda: ga_pair.status("A")["pending"] == 0)  # A settled a-1
    ga_pair.stop("B")

    b = ga_pair.start("B", **deaf)  # B's HLC restarts below what it promised
    lent_b = InProcessGa(b.storage).call("checkAndLoan", op("b-1", "ISBN-0001", "u-2"))
    assert lent_b["ok"]
    ga_pair.stop("B")
    ga_pair.start("B")
    with contextlib.suppress(Exception):  # a divergence would never settle
        wait_until(ga_pair.settled, timeout_s=10)
    for site in "AB":
        print(
            site,
            ga_pair.status(site)["applied"],
            ga_pair.status(site)["pending"],
            json.loads(ga_pair.files(site, "loans.json")),
        )
    assert ga_pair.status("A")["digest"] == ga_pair.status("B")["digest"]
    assert ga_pair.files("A", "loans.json") == ga_pair.files("B", "loans.json")
