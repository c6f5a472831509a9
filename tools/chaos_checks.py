"""The checks of `make chaos`, on what a stopped cluster left on disk: PS
results (ps-*.jsonl), workers' logs, and per site oplog.json, applied_ids.jsonl
(ids of truncated entries), conflicts.jsonl, books.json and loans.json.

Acknowledged: a loan the PS got OK for (AP answers after the GA's durable
reply), a renewal or return AR/AD logged at stage "aplicado". The replay
folds every operation that succeeded at its origin, once per id (its
earliest HLC key, as the GAs do), in HLC order over the seed data with the
business rules; an operation lost or applied twice changes its result.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ga.rules import LOAN_DAYS, MAX_RENEWALS, Operation, decide
from ga.snapshot import books_from_json, books_to_json
from tools.report import json_lines
from tools.seed_data import generate

METHODS = {"PRESTAR": "checkAndLoan", "RENOVAR": "renovar", "DEVOLVER": "devolver"}
BUSINESS = {  # refusals a GA decided, and made durable before it answered
    "UNKNOWN_BOOK",
    "NO_COPY_AVAILABLE",
    "ALREADY_BORROWED",
    "NOT_BORROWED",
    "RENEWAL_LIMIT",
}
DATA_SEED = 7  # the seed data both sites start from
STATE_FILES = ("books.json", "loans.json")
SHOWN = 5  # examples printed per failed check


@dataclass
class Check:
    name: str
    count: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        verdict = "OK" if self.ok else f"FAILED ({len(self.problems)})"
        lines = [f"  {self.name:<41} {self.count:>6} checked  {verdict}"]
        return "\n".join(lines + [f"      {p}" for p in self.problems[:SHOWN]])


@dataclass
class Site:
    entries: dict[tuple, dict]  # HLC key -> oplog row, or archive row
    books: list[dict]
    loans: list[dict]
    conflicts: set[str]  # ids of operations recorded as conflicts
    files: dict[str, bytes]  # books.json and loans.json, as written
    ids: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.ids = {row["id"] for row in self.entries.values()}


@dataclass
class Evidence:
    requests: dict[str, dict]  # id -> PS result row
    acked: dict[str, str]  # id -> op
    refused: set[str]  # ids a GA answered with a business refusal
    sites: dict[str, Site]
    errors: Counter[str]  # ERROR lines by process log: a crash says why there

    def known(self, op_id: str, site: str) -> bool:
        return op_id in self.sites[site].ids


def read_site(folder: Path) -> Site:
    # The HLC key [wall_ms, counter, site] names an entry at both sites.
    entries = {tuple(r["hlc"]): r for r in json_lines(folder / "applied_ids.jsonl")}
    entries.update({tuple(r["hlc"]): r for r in json_lines(folder / "oplog.json")})
    rows = json_lines(folder / "conflicts.jsonl")
    conflicts = {row["operation"]["id"] for row in rows}
    files = {name: (folder / name).read_bytes() for name in STATE_FILES}
    books, loans = (json.loads(files[name]) for name in STATE_FILES)
    return Site(entries, books, loans, conflicts, files)


def gather(root: Path) -> Evidence:
    paths = sorted(root.glob("ps-*.jsonl"))
    requests = {row["id"]: row for path in paths for row in json_lines(path)}
    loans = [(i, r) for i, r in requests.items() if r.get("op") == "PRESTAR"]
    acked = {i: "PRESTAR" for i, r in loans if r.get("status") == "OK"}
    refused = {i for i, r in loans if r.get("reason") in BUSINESS}
    for site in "AB":
        for row in json_lines(root / "logs" / f"workers-{site}.log"):
            detail = row.get("detail")
            if row.get("proc") not in ("AR", "AD") or not row.get("id"):
                continue
            if row.get("stage") == "aplicado":
                acked[row["id"]] = row.get("op")
            elif isinstance(detail, dict) and detail.get("reason") in BUSINESS:
                refused.add(row["id"])
    sites = {site: read_site(root / f"site{site}") for site in "AB"}
    errors: Counter[str] = Counter()
    for path in sorted((root / "logs").glob("*.log")):
        errors[path.stem] = sum(r.get("level") == "ERROR" for r in json_lines(path))
    return Evidence(requests, acked, refused, sites, errors)


@dataclass
class Replay:
    books: dict
    effective: dict[str, tuple]  # id -> the key that takes effect
    lost: set[str]  # succeeded at the origin, refused in the merged order
    returns: dict[tuple[str, str], list[tuple]]  # (code, user) -> keys


def replay(ev: Evidence) -> Replay:
    """Every operation that succeeded at its origin, once, in key order."""
    entries = {**ev.sites["A"].entries, **ev.sites["B"].entries}
    effective: dict[str, tuple] = {}
    for key, row in sorted(entries.items()):
        if row["reply"].get("ok"):
            effective.setdefault(row["id"], key)
    books = books_from_json(*generate(DATA_SEED))
    result = Replay(books, effective, set(), defaultdict(list))
    for op_id, key in sorted(effective.items(), key=lambda item: item[1]):
        _step(result, op_id, key, _operation(ev, entries[key], key))
    return result


def _step(result: Replay, op_id: str, key: tuple, op: Operation) -> None:
    reply, after = decide(result.books.get(op.libroCodigo), op)
    if not reply["ok"]:
        result.lost.add(op_id)
        return
    result.books[op.libroCodigo] = after
    if op.method == "devolver":
        result.returns[(op.libroCodigo, op.userId)].append(key)


def _operation(ev: Evidence, row: dict, key: tuple) -> Operation:
    """What the entry did; an archived one says it through its PS request
    (a KeyError means an id no client sent: the files are corrupt)."""
    if "method" in row:  # an oplog line says it all
        fields = ("method", "libroCodigo", "userId", "date")
        return Operation(*(row[name] for name in fields), key[2])
    request = ev.requests[row["id"]]
    code, user = request["libroCodigo"], request["userId"]
    date = _loan_date(row["reply"])
    return Operation(METHODS[request["op"]], code, user, date, key[2])


def _loan_date(reply: dict) -> str:
    """An archived loan's "today", from its due date (others do not use it)."""
    due = reply["metadata"].get("dueDate") or dt.date.today().isoformat()
    return (dt.date.fromisoformat(due) - dt.timedelta(days=LOAN_DAYS)).isoformat()


def check_all(ev: Evidence) -> list[Check]:
    result = replay(ev)
    return [
        _known_at_both(ev, "acknowledged known at both sites", ev.acked),
        _known_at_both(ev, "GA refusals known at both sites", ev.refused),
        check_loans_kept(ev, result),
        check_conflicts(ev, result),
        check_same_entries(ev),
        check_once_per_origin(ev),
        check_replay(ev, result),
        check_renewals(ev),
        check_copies(ev),
        check_identical(ev),
    ]


def _known_at_both(ev: Evidence, name: str, ids) -> Check:
    check = Check(name, len(ids))
    for op_id in sorted(ids):
        missing = [site for site in "AB" if not ev.known(op_id, site)]
        if missing:
            check.problems.append(f"{op_id} missing at {','.join(missing)}")
    return check


def check_loans_kept(ev: Evidence, result: Replay) -> Check:
    loans = sorted(i for i, op in ev.acked.items() if op == "PRESTAR")
    check = Check("acknowledged loans held/returned/conflict", len(loans))
    held = {(row["codigo"], row["userId"]) for row in ev.sites["A"].loans}
    for op_id in loans:
        pair = (ev.requests[op_id]["libroCodigo"], ev.requests[op_id]["userId"])
        key = result.effective.get(op_id)
        later = key is not None and any(k > key for k in result.returns[pair])
        recorded = all(op_id in ev.sites[site].conflicts for site in "AB")
        if key is None or not (pair in held or later or recorded):
            check.problems.append(f"{op_id} {pair} not held, returned nor conflict")
    return check


def check_conflicts(ev: Evidence, result: Replay) -> Check:
    check = Check("lost in merge = conflicts.jsonl", len(result.lost))
    for site in "AB":
        recorded = ev.sites[site].conflicts
        for op_id in sorted(result.lost - recorded):
            check.problems.append(f"{op_id} lost in the merge, no conflict at {site}")
        for op_id in sorted(recorded - result.lost):
            check.problems.append(f"{op_id} a conflict at {site}, but not lost")
    return check


def check_same_entries(ev: Evidence) -> Check:
    a, b = ev.sites["A"].entries, ev.sites["B"].entries
    shared = a.keys() & b.keys()
    check = Check("same key, same operation at A and B", len(shared))
    for key in sorted(shared):
        if (a[key]["id"], a[key]["reply"]) != (b[key]["id"], b[key]["reply"]):
            check.problems.append(f"{key}: {a[key]['id']} at A, {b[key]['id']} at B")
    for site, mine, other in (("A", a, b), ("B", b, a)):
        for key in sorted(mine.keys() - other.keys()):
            check.problems.append(f"{key} {mine[key]['id']} only at {site}")
    return check


def _decisions(ev: Evidence) -> dict[tuple[str, str], set[tuple]]:
    """(id, origin GA) -> the keys of its entries, at either site."""
    keys: dict[tuple[str, str], set[tuple]] = defaultdict(set)
    for site in "AB":
        for key, row in ev.sites[site].entries.items():
            keys[(row["id"], key[2])].add(key)
    return keys


def check_once_per_origin(ev: Evidence) -> Check:
    keys = _decisions(ev)
    twice = [
        f"{i} decided {len(k)} times at {origin}"
        for (i, origin), k in keys.items()
        if len(k) > 1
    ]
    return Check("each id decided once per GA", len(keys), sorted(twice))


def check_replay(ev: Evidence, result: Replay) -> Check:
    check = Check("final state = each op once, HLC order", len(result.effective))
    books, loans = books_to_json(result.books.values())
    for site in "AB":
        if ev.sites[site].books != books:
            check.problems.append(f"books.json at {site} differs from the replay")
        wanted, found = _by_pair(loans), _by_pair(ev.sites[site].loans)
        for pair in sorted(wanted.keys() | found.keys()):
            if wanted.get(pair) != found.get(pair):
                got = f"replay {wanted.get(pair)}, file {found.get(pair)}"
                check.problems.append(f"{site} {pair}: {got}")
    return check


def _by_pair(loans: list[dict]) -> dict[tuple[str, str], dict]:
    return {(row["codigo"], row["userId"]): row for row in loans}


def check_renewals(ev: Evidence) -> Check:
    loans = [row for site in "AB" for row in ev.sites[site].loans]
    over = [str(row) for row in loans if row["renovaciones"] > MAX_RENEWALS]
    return Check("renovaciones <= 2", len(loans), over)


def check_copies(ev: Evidence) -> Check:
    check = Check("loans per book <= ejemplares", 2 * len(ev.sites["A"].books))
    for site in "AB":
        held = Counter(row["codigo"] for row in ev.sites[site].loans)
        for book in ev.sites[site].books:
            count, copies = held[book["codigo"]], book["ejemplares"]
            if count > copies or book["disponible"] != (count < copies):
                check.problems.append(f"{site} {book}: {count} loans")
    return check


def check_identical(ev: Evidence) -> Check:
    a, b = ev.sites["A"].files, ev.sites["B"].files
    differ = [f"{name} differs between A and B" for name in a if a[name] != b[name]]
    return Check("books.json, loans.json identical", len(a), differ)


def information(ev: Evidence) -> str:
    """Counts that are no check: renewals and returns the GC answered OK
    but no GA ever saw, and ids decided at both GAs (a retry after a lost
    reply, merged by id)."""
    rows = ev.requests.items()
    answered = [i for i, r in rows if r["op"] != "PRESTAR" and r["status"] == "OK"]
    lost = [i for i in answered if not (ev.known(i, "A") or ev.known(i, "B"))]
    keys = _decisions(ev)
    twice = len(keys) - len({op_id for op_id, _ in keys})
    conflicts = len(ev.sites["A"].conflicts)
    return (
        f"{len(lost)} of {len(answered)} renewals/returns the GC answered OK never"
        f" reached a GA; {twice} ids decided at both GAs; {conflicts} conflicts;"
        f" ERROR log lines {dict(sorted((+ev.errors).items()))}"
    )
