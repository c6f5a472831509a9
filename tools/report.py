"""The demo's summary, read from what the processes wrote.

Outcomes come from the GA's JSON log lines (stage aplicado or error), each
counted once, at the site where the operation was decided; loan latency
comes from the PS results files; the actor roles from the AR, AD and AP
log lines.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

KINDS = ("PRESTAR", "RENOVAR", "DEVOLVER")
PROBE_PREFIX = "probe-"  # the demo's readiness probes, left out of the counts
ROLES = {"AR": "renewals", "AD": "returns", "AP": "loans"}


def json_lines(path: Path) -> Iterator[dict[str, Any]]:
    """Every JSON object line of `path`; other lines (tracebacks) skipped."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            yield row


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Report:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.problems: list[str] = []
        self.identical = False

    def add_exit_codes(self, codes: dict[str, int]) -> None:
        for name, code in sorted(codes.items()):
            if code != 0:
                self.problems.append(f"{name} exited with status {code}")

    def add_identical(self, identical: bool) -> None:
        self.identical = identical
        if not identical:
            self.problems.append("books.json / loans.json differ between sites")

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        outcomes = self._outcomes()
        lines = ["", "Operations, as the GA decided them (both sites):"]
        for kind in KINDS:
            accepted, refused = outcomes[kind]["ok"], outcomes[kind]["refused"]
            reasons = ", ".join(f"{r} {n}" for r, n in sorted(refused.items()))
            lines.append(
                f"  {kind:<9} accepted {accepted:>3}   refused "
                f"{sum(refused.values()):>3}  ({reasons or 'none'})"
            )
            if not accepted or not refused:
                self.problems.append(f"{kind} was not both accepted and refused")
        lines += self._latency() + self._roles()
        verdict = "identical" if self.identical else "DIFFERENT"
        lines.append(f"books.json and loans.json at A and B: {verdict}")
        lines += [f"PROBLEM: {problem}" for problem in self.problems]
        lines.append("demo OK" if self.ok else f"demo FAILED (logs: {self.workdir})")
        return "\n".join(lines)

    def _outcomes(self) -> dict[str, dict[str, Any]]:
        outcomes = {kind: {"ok": 0, "refused": Counter()} for kind in KINDS}
        for site in "AB":
            for row in json_lines(self.workdir / "logs" / f"node-{site}.log"):
                detail = row.get("detail")
                if row.get("proc") != "GA" or not isinstance(detail, dict):
                    continue
                if row.get("op") not in KINDS or detail.get("origin") != site:
                    continue
                if str(row.get("id")).startswith(PROBE_PREFIX):
                    continue
                if detail.get("ok"):
                    outcomes[row["op"]]["ok"] += 1
                else:
                    outcomes[row["op"]]["refused"][detail.get("reason")] += 1
        return outcomes

    def _latency(self) -> list[str]:
        rows = [
            row
            for site in "AB"
            for row in json_lines(self.workdir / f"ps-{site}.jsonl")
        ]
        timeouts = sum(row.get("status") == "TIMEOUT" for row in rows)
        if timeouts:
            self.problems.append(f"{timeouts} PS requests got no answer")
        loans = [row["latency_ms"] for row in rows if row.get("op") == "PRESTAR"]
        if not loans:
            return ["Loan latency: no loans answered"]
        return [
            f"Loan latency over {len(loans)} loans: p50 "
            f"{percentile(loans, 0.5):.1f} ms, p99 {percentile(loans, 0.99):.1f} ms,"
            f" mean {statistics.fmean(loans):.1f} ms"
        ]

    def _roles(self) -> list[str]:
        handled: dict[str, Counter] = defaultdict(Counter)
        for site in "AB":
            for row in json_lines(self.workdir / "logs" / f"node-{site}.log"):
                probe = str(row.get("id")).startswith(PROBE_PREFIX)
                if (
                    row.get("proc") in ROLES
                    and row.get("stage") == "recibido"
                    and not probe
                ):
                    handled[row["proc"]][row.get("op")] += 1
        lines = ["Who handled what (log lines at stage 'recibido'):"]
        for proc, role in ROLES.items():
            ops = ", ".join(f"{op} x{n}" for op, n in sorted(handled[proc].items()))
            lines.append(f"  {proc} ({role}): {ops or 'nothing'}")
        return lines
