"""The text of a snapshot, built from pieces kept per book.

A snapshot rewrites the whole state, but between two snapshots only the
books that saw an operation change. Books are immutable, so each book's
encoded rows are kept next to the object they were made from and reused
while the library still holds that very object: the cost of a snapshot
follows the books that changed, not the size of the library. The bytes are
exactly those `common.jsonfile.canonical` gives for the same rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ga.rules import Book

# The indenting encoder is pure Python; for a flat row the C encoder gives
# the same text when its item separator carries the line break.
_ROW = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",\n  ", ": "))


@dataclass(frozen=True)
class _Pieces:
    book: Book  # what these pieces were made from
    row: str
    loans: tuple[str, ...]


class SnapshotText:
    def __init__(self) -> None:
        self._pieces: dict[str, _Pieces] = {}

    def render(self, books: dict[str, Book]) -> tuple[str, str]:
        """books.json and loans.json as JSON arrays (no final newline)."""
        kept: dict[str, _Pieces] = {}
        for code in sorted(books):
            book = books[code]
            pieces = self._pieces.get(code)
            kept[code] = pieces if pieces and pieces.book is book else _encode(book)
        self._pieces = kept  # books gone from the library are forgotten
        rows = [pieces.row for pieces in kept.values()]
        loans = [loan for pieces in kept.values() for loan in pieces.loans]
        return _array(rows), _array(loans)


def book_row(book: Book) -> dict[str, Any]:
    return {
        "codigo": book.codigo,
        "titulo": book.titulo,
        "ejemplares": book.ejemplares,
        "disponible": book.disponible,
    }


def loan_rows(book: Book) -> list[dict[str, Any]]:
    return [
        {"codigo": book.codigo, "userId": user, **vars(loan)}
        for user, loan in sorted(book.loans.items())
    ]


def _encode(book: Book) -> _Pieces:
    loans = tuple(_element(row) for row in loan_rows(book))
    return _Pieces(book, _element(book_row(book)), loans)


def _element(row: dict[str, Any]) -> str:
    """One flat row as the indenting encoder writes it inside an array."""
    text = _ROW.encode(row)
    return " {\n  " + text[1:-1] + "\n }"


def _array(elements: list[str]) -> str:
    return "[\n" + ",\n".join(elements) + "\n]" if elements else "[]"
