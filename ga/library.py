"""The replicated library state: books and loans as a fold of operations.

Each book's state is a deterministic function of the operations that took
effect on it, in key order. Operations at or below the `frontier` can never
be preceded by a newcomer, so they are consolidated into the base state;
those above it stay pending and are folded again whenever an operation with
an earlier key arrives late from the peer. Both replicas holding the same
operations therefore hold the same books, whatever the arrival order.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from typing import Any

from ga.entry import Entry
from ga.hlc import ZERO, Key
from ga.rules import Book, decide

SETTLED = ZERO  # the key of an id folded into the base: earlier than any


@dataclass(frozen=True)
class Conflict:
    """An operation that succeeded at its origin but loses in the merged order."""

    entry: Entry
    merged: dict[str, Any]
    holders: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.entry.to_json(),
            "mergedReply": self.merged,
            "holdersAtThatPoint": list(self.holders),
        }


class Library:
    def __init__(self, books: dict[str, Book], frontier: Key) -> None:
        self.books = books  # every known operation applied
        self._fingerprints = {code: fingerprint(b) for code, b in books.items()}
        self._digest = 0  # XOR of the books' fingerprints, kept up to date
        for value in self._fingerprints.values():
            self._digest ^= value
        self.frontier = frontier
        self._base: dict[str, Book | None] = {}  # state at frontier
        self._pending: dict[str, list[Entry]] = {}  # above frontier, by key
        self._outcome: dict[Key, dict[str, Any]] = {}
        self._holders: dict[Key, tuple[str, ...]] = {}
        self.effective: dict[str, Key] = {}  # op id -> key that takes effect
        self.duplicates = 0

    def evaluate(self, entry: Entry) -> dict[str, Any]:
        """The reply `entry` gets if it is ordered after everything known."""
        reply, _ = decide(self.books.get(entry.libroCodigo), entry.operation)
        return reply

    def add(self, entry: Entry) -> None:
        """Make `entry` part of the state. Refused operations change nothing."""
        if not entry.ok:
            return
        prior = self.effective.get(entry.id)
        if prior is not None and prior <= entry.key:
            self.duplicates += 1
            return
        if prior is not None:
            self.duplicates += 1
            self._withdraw(entry.id, prior)
        self.effective[entry.id] = entry.key
        self._insert(entry)

    def consolidate(self, upto: Key) -> list[Conflict]:
        """Fold everything at or below `upto` into the base state."""
        conflicts: list[Conflict] = []
        for code in list(self._pending):
            conflicts += self._consolidate_book(code, upto)
        self.frontier = max(self.frontier, upto)
        return sorted(conflicts, key=lambda conflict: conflict.entry.key)

    def base_books(self) -> list[Book]:
        """The state at the frontier, which is what snapshots persist."""
        merged = {**self.books, **self._base}
        return [book for _, book in sorted(merged.items()) if book is not None]

    def settles_any(self, upto: Key) -> bool:
        """Whether consolidating at `upto` would settle any pending entry."""
        return any(entries[0].key <= upto for entries in self._pending.values())

    def digest(self) -> str:
        """A short hash of every book and loan; equal state, equal digest."""
        return f"{self._digest:016x}"

    def pending_count(self) -> int:
        return sum(len(entries) for entries in self._pending.values())

    def _insert(self, entry: Entry) -> None:
        code = entry.libroCodigo
        if code not in self._pending:
            self._base[code] = self.books.get(code)
            self._pending[code] = []
        entries = self._pending[code]
        keys = [pending.key for pending in entries]
        position = bisect.bisect(keys, entry.key)
        entries.insert(position, entry)
        if position == len(entries) - 1:
            self._step(code, entry)
        else:
            self._refold(code)

    def _withdraw(self, op_id: str, key: Key) -> None:
        for code, entries in self._pending.items():
            kept = [e for e in entries if not (e.id == op_id and e.key == key)]
            if len(kept) != len(entries):
                self._pending[code] = kept
                self._outcome.pop(key, None)
                self._refold(code)
                return

    def _refold(self, code: str) -> None:
        book = self._base[code]
        self._set(code, book)
        for entry in self._pending[code]:
            self._step(code, entry)

    def _step(self, code: str, entry: Entry) -> None:
        before = self.books.get(code)
        reply, after = decide(before, entry.operation)
        self._outcome[entry.key] = reply
        self._holders[entry.key] = tuple(sorted(before.loans)) if before else ()
        self._set(code, after)

    def _set(self, code: str, book: Book | None) -> None:
        self._digest ^= self._fingerprints.pop(code, 0)
        if book is None:
            self.books.pop(code, None)
            return
        self.books[code] = book
        self._fingerprints[code] = fingerprint(book)
        self._digest ^= self._fingerprints[code]

    def _consolidate_book(self, code: str, upto: Key) -> list[Conflict]:
        entries = self._pending[code]
        split = bisect.bisect([entry.key for entry in entries], upto)
        stable, rest = entries[:split], entries[split:]
        if not stable:
            return []
        conflicts = [self._settle(entry) for entry in stable]
        for entry in stable:  # settled: no later arrival can precede it
            if self.effective.get(entry.id) == entry.key:
                self.effective[entry.id] = SETTLED
        self._base[code] = self._fold(self._base[code], stable)
        if rest:
            self._pending[code] = rest
        else:
            del self._pending[code], self._base[code]
        return [conflict for conflict in conflicts if conflict is not None]

    def _settle(self, entry: Entry) -> Conflict | None:
        merged = self._outcome.pop(entry.key)
        holders = self._holders.pop(entry.key)
        return None if merged["ok"] else Conflict(entry, merged, holders)

    @staticmethod
    def _fold(book: Book | None, entries: list[Entry]) -> Book | None:
        for entry in entries:
            _, after = decide(book, entry.operation)
            book = after if after is not None else book
        return book


def fingerprint(book: Book) -> int:
    """64 bits of a hash of one book with its loans, in a fixed order."""
    loans = sorted(
        (user, loan.dueDate, loan.renovaciones, loan.sede)
        for user, loan in book.loans.items()
    )
    text = repr((book.codigo, book.titulo, book.ejemplares, loans))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())
