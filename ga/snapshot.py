"""Files of a GA's data folder, and how state is saved to and read from them.

applied_index.json is the commit point of a snapshot: it holds the state at
the frontier together with the positions it covers, written atomically in
one file. books.json and loans.json are the same state in the contract's
shape, rewritten right after; recovery reads them only before the first
snapshot, when applied_index.json is still empty.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.jsonfile import compact, read_json, write_atomic
from common.settings import Settings
from ga.hlc import ZERO, Key
from ga.rules import Book, Loan
from ga.snapshot_text import SnapshotText, book_row, loan_rows

CONFLICTS_FILE = "conflicts.jsonl"
APPLIED_IDS_FILE = "applied_ids.jsonl"
HLC_BOUND_FILE = "hlc_bound.json"
HLC_STEP_MS = 1000
_BOOKS_MARK, _LOANS_MARK = "@books", "@loans"


@dataclass
class Snapshot:
    books: dict[str, Book]
    frontier: Key = ZERO
    positions: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    peer_frontier: Key = ZERO
    peer_acked: int = 0


class DataDir:
    """Reads and writes one GA's files; owned by the Storage actor."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.ga_data_dir
        self.books = settings.data_file("books_file")
        self.loans = settings.data_file("loans_file")
        self.index = settings.data_file("applied_index_file")
        self.oplog = settings.data_file("oplog_file")
        self.conflicts = self.root / CONFLICTS_FILE
        self.applied_ids = self.root / APPLIED_IDS_FILE
        self.hlc_bound = self.root / HLC_BOUND_FILE
        self._bound_ms: int | None = None
        self._text = SnapshotText()

    def promise(self, key: Key) -> Key:
        """Make sure no key issued after a restart falls at or below `key`.

        A status hands our clock to the peer, which then settles its own
        operations up to it; our later operations must order after it, even
        if we restart with a clock behind it. The bound is saved ahead, in
        steps of HLC_STEP_MS, so this writes about once a second.
        """
        if self._bound_ms is None:
            self._bound_ms = self.hlc_bound_ms()
        if key.wall_ms >= self._bound_ms:
            self._bound_ms = key.wall_ms + HLC_STEP_MS
            write_atomic(self.hlc_bound, compact({"wallMs": self._bound_ms}))
        return key

    def hlc_bound_ms(self) -> int:
        return int((read_json(self.hlc_bound, {}) or {}).get("wallMs", 0))

    def check(self) -> None:
        if not self.books.is_file():
            raise FileNotFoundError(
                f"{self.books} is missing: seed the site first with "
                f"`python tools/seed_data.py --data-dir {self.root}`"
            )

    def load(self) -> Snapshot:
        self.check()
        index = read_json(self.index, {}) or {}
        if "books" in index:
            return _snapshot_from_index(index)
        books = books_from_json(read_json(self.books, []), read_json(self.loans, []))
        return Snapshot(books)

    def save(self, snapshot: Snapshot) -> None:
        books, loans = self._text.render(snapshot.books)
        header = {
            "frontier": list(snapshot.frontier),
            "positions": snapshot.positions,
            "peerFrontier": list(snapshot.peer_frontier),
            "peerAcked": snapshot.peer_acked,
            "books": _BOOKS_MARK,
            "loans": _LOANS_MARK,
        }
        # The index holds the same rows as the two contract files; the marks
        # are only placeholders for them, since no other value is a string.
        index = compact(header).decode()
        index = index.replace(f'"{_BOOKS_MARK}"', books, 1)
        index = index.replace(f'"{_LOANS_MARK}"', loans, 1)
        write_atomic(self.index, index.encode())
        write_atomic(self.books, (books + "\n").encode())
        write_atomic(self.loans, (loans + "\n").encode())

    def adopt(self, id_rows: list[dict], conflict_rows: list[dict]) -> None:
        """Take the peer's archive of ids and its conflicts (state transfer)."""
        self.append_lines(self.applied_ids, id_rows)
        data = "".join(json.dumps(row, sort_keys=True) + "\n" for row in conflict_rows)
        write_atomic(self.conflicts, data.encode())

    def recorded_conflicts(self) -> set[tuple[str, int]]:
        """The (origin site, seq) of every operation in conflicts.jsonl."""
        rows = self.read_lines(self.conflicts)
        return {(r["operation"]["site"], int(r["operation"]["seq"])) for r in rows}

    def append_lines(self, path: Path, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        data = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def read_lines(self, path: Path) -> list[dict[str, Any]]:
        """Every whole JSON line; a torn last line (a crash mid-write) is skipped."""
        rows = []
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return rows
        for line in text.splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
        return rows


def books_to_json(books) -> tuple[list[dict], list[dict]]:
    book_rows, loans = [], []
    for book in sorted(books, key=lambda b: b.codigo):
        book_rows.append(book_row(book))
        loans += loan_rows(book)
    return book_rows, loans


def books_from_json(book_rows: list[dict], loan_rows: list[dict]) -> dict[str, Book]:
    loans: dict[str, dict[str, Loan]] = {}
    for row in loan_rows:
        loan = Loan(row["dueDate"], int(row["renovaciones"]), row.get("sede", ""))
        loans.setdefault(row["codigo"], {})[row["userId"]] = loan
    return {
        row["codigo"]: Book(
            row["codigo"],
            row.get("titulo", ""),
            int(row.get("ejemplares", 1)),
            loans.get(row["codigo"], {}),
        )
        for row in book_rows
    }


def _snapshot_from_index(index: dict[str, Any]) -> Snapshot:
    return Snapshot(
        books=books_from_json(index["books"], index["loans"]),
        frontier=Key.of(index["frontier"]),
        positions={site: int(n) for site, n in index["positions"].items()},
        peer_frontier=Key.of(index["peerFrontier"]),
        peer_acked=int(index["peerAcked"]),
    )
