"""What the failover demonstration concludes, from the files it left."""

from __future__ import annotations

from pathlib import Path

from tools.chaos_checks import check_all, gather
from tools.cluster import Cluster
from tools.report import json_lines

WORKERS = ("AP", "AR", "AD")


def served_after(log: Path, killed_ms: float | None) -> float | None:
    """Milliseconds from the kill to the first operation a GA decided for
    these workers (any answer but "no GA reachable"), None if none came."""
    if killed_ms is None:
        return None
    for row in json_lines(log):
        if row.get("proc") not in WORKERS or row.get("ts", 0) <= killed_ms:
            continue
        detail = row.get("detail")
        if row.get("stage") not in ("aplicado", "error") or not isinstance(
            detail, dict
        ):
            continue
        if detail.get("reason") != "GA_UNAVAILABLE":
            return row["ts"] - killed_ms
    return None


def returned_home(log: Path) -> int:
    """How many of site A's workers went back to GA_A once it caught up."""
    return sum("local GA is back" in str(row.get("detail")) for row in json_lines(log))


class Verdict:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.problems: list[str] = []
        self.lines: list[str] = []

    @property
    def ok(self) -> bool:
        return not self.problems

    def add_exit_codes(self, codes: dict[str, int]) -> None:
        for name, code in sorted(codes.items()):
            if code != 0:
                self.problems.append(f"{name} exited with status {code}")

    def add_failover(self, failover_ms: float | None, limit_ms: float) -> None:
        if failover_ms is None:
            self.problems.append("site A's actors were never served after the kill")
            return
        log = self.workdir / "logs" / "workers-A.log"
        self.lines += [
            f"site A's actors served by GA_B {failover_ms:.0f} ms after the kill",
            f"site A's actors that returned to GA_A once caught up: "
            f"{returned_home(log)}",
        ]
        if failover_ms > limit_ms:
            self.problems.append(f"failover took more than {limit_ms:.0f} ms")

    def check(self, cluster: Cluster) -> None:
        evidence = gather(self.workdir)
        lost = [
            i
            for i in evidence.acked
            if not evidence.known(i, "A") or not evidence.known(i, "B")
        ]
        conflicts = len(evidence.sites["A"].conflicts)
        self.lines += [
            f"operations sent {len(evidence.requests)}, acknowledged "
            f"{len(evidence.acked)}, lost {len(lost)}, conflicts {conflicts}",
        ]
        for result in check_all(evidence):
            self.lines.append(result.render())
            if not result.ok:
                self.problems.append(f"check failed: {result.name}")
        identical = cluster.files_identical()
        self.lines.append(
            "books.json and loans.json at A and B: "
            + ("identical" if identical else "DIFFERENT")
        )

    def render(self) -> str:
        tail = (
            ["failover demo OK"]
            if self.ok
            else [f"PROBLEM: {problem}" for problem in self.problems]
            + [f"failover demo FAILED (logs: {self.workdir})"]
        )
        return "\n".join(["", "Verdict:", *self.lines, *tail])
