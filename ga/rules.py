"""The library's business rules, as pure functions over one book.

A book's state is a deterministic function of the operations applied to it,
so both sites reach the same state from the same operations in the same
order. `decide` never mutates; `apply` returns the new book.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from common.clock import add_days
from common.models import reply
from common.reasons import Reason

LOAN_DAYS = 14
RENEWAL_DAYS = 7
MAX_RENEWALS = 2


@dataclass(frozen=True)
class Loan:
    dueDate: str
    renovaciones: int
    sede: str


@dataclass(frozen=True)
class Book:
    codigo: str
    titulo: str
    ejemplares: int
    loans: dict[str, Loan] = field(default_factory=dict)

    @property
    def disponible(self) -> bool:
        return len(self.loans) < self.ejemplares


@dataclass(frozen=True)
class Operation:
    """What the rules need of a logged operation."""

    method: str
    libroCodigo: str
    userId: str
    date: str  # the origin's "today", so every replica computes the same dates
    site: str


def decide(book: Book | None, op: Operation) -> tuple[dict[str, Any], Book | None]:
    """The reply to `op` and the book after it (unchanged on refusal)."""
    if book is None:
        return reply(False, Reason.UNKNOWN_BOOK), None
    handler = _HANDLERS[op.method]
    return handler(book, op)


def _lend(book: Book, op: Operation):
    if op.userId in book.loans:
        return reply(False, Reason.ALREADY_BORROWED), book
    if not book.disponible:
        return reply(False, Reason.NO_COPY_AVAILABLE), book
    due = add_days(op.date, LOAN_DAYS)
    loans = {**book.loans, op.userId: Loan(due, 0, op.site)}
    return reply(True, None, {"dueDate": due}), replace(book, loans=loans)


def _renew(book: Book, op: Operation):
    loan = book.loans.get(op.userId)
    if loan is None:
        return reply(False, Reason.NOT_BORROWED), book
    if loan.renovaciones >= MAX_RENEWALS:
        return reply(False, Reason.RENEWAL_LIMIT, {"dueDate": loan.dueDate}), book
    renewed = Loan(
        add_days(loan.dueDate, RENEWAL_DAYS), loan.renovaciones + 1, loan.sede
    )
    loans = {**book.loans, op.userId: renewed}
    metadata = {"dueDate": renewed.dueDate, "renovaciones": renewed.renovaciones}
    return reply(True, None, metadata), replace(book, loans=loans)


def _return(book: Book, op: Operation):
    if op.userId not in book.loans:
        return reply(False, Reason.NOT_BORROWED), book
    loans = {user: loan for user, loan in book.loans.items() if user != op.userId}
    return reply(True, None, {}), replace(book, loans=loans)


_HANDLERS = {"checkAndLoan": _lend, "renovar": _renew, "devolver": _return}
