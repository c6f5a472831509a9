"""The business rules of DESIGN.md section 3, on one book at a time."""

from __future__ import annotations

from ga.rules import Book, Loan, Operation, decide

TODAY = "2026-05-28"


def op(method: str, user: str = "u-1", code: str = "ISBN-0001") -> Operation:
    return Operation(method, code, user, TODAY, "A")


def book(copies: int = 1, **loans: Loan) -> Book:
    return Book("ISBN-0001", "Libro", copies, dict(loans))


def test_a_loan_of_a_free_copy_is_due_in_fourteen_days():
    answer, after = decide(book(), op("checkAndLoan"))

    assert answer == {"ok": True, "reason": None, "metadata": {"dueDate": "2026-06-11"}}
    assert after.loans["u-1"] == Loan("2026-06-11", 0, "A")
    assert after.disponible is False


def test_a_loan_is_refused_when_every_copy_is_out():
    answer, after = decide(
        book(1, **{"u-2": Loan("2026-06-01", 0, "B")}), op("checkAndLoan")
    )

    assert answer["ok"] is False
    assert answer["reason"] == "NO_COPY_AVAILABLE"
    assert set(after.loans) == {"u-2"}


def test_a_book_with_several_copies_lends_each_of_them():
    shelf = book(2)

    _, shelf = decide(shelf, op("checkAndLoan", "u-1"))
    second, shelf = decide(shelf, op("checkAndLoan", "u-2"))
    third, _ = decide(shelf, op("checkAndLoan", "u-3"))

    assert second["ok"] is True
    assert third["reason"] == "NO_COPY_AVAILABLE"


def test_a_user_holds_at_most_one_copy_of_a_book():
    answer, _ = decide(
        book(3, **{"u-1": Loan("2026-06-01", 0, "A")}), op("checkAndLoan")
    )

    assert answer["reason"] == "ALREADY_BORROWED"


def test_an_unknown_book_is_refused_for_every_operation():
    for method in ("checkAndLoan", "renovar", "devolver"):
        answer, after = decide(None, op(method))

        assert answer["reason"] == "UNKNOWN_BOOK"
        assert after is None


def test_a_renewal_adds_seven_days_to_the_current_due_date():
    answer, after = decide(book(**{"u-1": Loan("2026-06-01", 0, "A")}), op("renovar"))

    assert answer["ok"] is True
    assert answer["metadata"] == {"dueDate": "2026-06-08", "renovaciones": 1}
    assert after.loans["u-1"] == Loan("2026-06-08", 1, "A")


def test_a_third_renewal_is_refused_and_changes_nothing():
    held = book(**{"u-1": Loan("2026-06-15", 2, "B")})

    answer, after = decide(held, op("renovar"))

    assert answer["reason"] == "RENEWAL_LIMIT"
    assert after == held


def test_renewing_or_returning_someone_elses_loan_is_refused():
    held = book(**{"u-2": Loan("2026-06-01", 0, "A")})

    for method in ("renovar", "devolver"):
        answer, after = decide(held, op(method, user="u-1"))

        assert answer["reason"] == "NOT_BORROWED"
        assert after == held


def test_a_return_frees_the_copy_for_the_next_reader():
    held = book(**{"u-1": Loan("2026-06-01", 1, "A")})

    returned, after = decide(held, op("devolver"))
    lent, _ = decide(after, op("checkAndLoan", "u-2"))

    assert returned["ok"] is True
    assert after.loans == {}
    assert after.disponible is True
    assert lent["ok"] is True
