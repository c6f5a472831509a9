import time

import pytest

from actors.prestamo import LendBook, LoanActor
from bridges.ga_client import GaClient
from common.logs import EventLog
from common.models import LoanRequest
from common.reasons import Reason
from ga.inprocess import InProcessGa
from ga.messages import Status
from tests.conftest import free_port


def lend(op_id: str, user: str, book: str) -> LendBook:
    return LendBook(LoanRequest(id=op_id, libroCodigo=book, userId=user))


@pytest.fixture
def ap(local_ga, actors):
    ref = LoanActor.start(lambda: InProcessGa(local_ga.slot))
    actors.append(ref)
    return ref


def test_a_free_book_is_lent_for_fourteen_days_in_the_gc_reply_shape(ap):
    answer = ap.ask(lend("p-1", "u-1", "ISBN-0004"), timeout=5)

    assert answer == {"ok": True, "reason": None, "metadata": {"dueDate": "2026-06-11"}}


@pytest.mark.parametrize(
    ("book", "user", "reason"),
    [
        ("ISBN-9999", "u-1", Reason.UNKNOWN_BOOK),
        ("ISBN-0001", "u-1", Reason.NO_COPY_AVAILABLE),
        ("ISBN-0002", "u-9", Reason.ALREADY_BORROWED),
    ],
)
def test_a_loan_that_cannot_be_granted_is_refused_with_its_reason(
    ap, book, user, reason
):
    answer = ap.ask(lend("p-1", user, book), timeout=5)

    assert answer == {"ok": False, "reason": reason, "metadata": {"dueDate": None}}


def test_the_reply_goes_to_the_responder_as_well(ap):
    replies = []

    returned = ap.ask(
        LendBook(
            LoanRequest(id="p-1", libroCodigo="ISBN-0004", userId="u-1"), replies.append
        ),
        timeout=5,
    )

    assert replies == [returned]


def test_a_repeated_id_gets_the_first_reply_and_changes_nothing(ap, local_ga):
    first = ap.ask(lend("p-1", "u-1", "ISBN-0003"), timeout=5)
    before = local_ga.slot.ask(Status())

    again = ap.ask(lend("p-1", "u-1", "ISBN-0003"), timeout=5)

    after = local_ga.slot.ask(Status())
    assert first["ok"] is True
    assert again == first
    assert (after["head"], after["digest"]) == (before["head"], before["digest"])
    assert local_ga.logged_ids() == ["p-1"]


def test_without_any_ga_the_loan_actor_answers_ga_unavailable_in_bounded_time(
    actors,
):
    timeout_ms, retries = 150, 3
    endpoint = f"tcp://127.0.0.1:{free_port()}"  # nobody binds it
    ap = LoanActor.start(
        lambda: GaClient(
            EventLog("AP"), endpoint, timeout_ms=timeout_ms, retries=retries
        )
    )
    actors.append(ap)
    started = time.monotonic()

    answer = ap.ask(lend("p-1", "u-1", "ISBN-0004"), timeout=10)

    elapsed_s = time.monotonic() - started
    assert answer == {
        "ok": False,
        "reason": Reason.GA_UNAVAILABLE,
        "metadata": {"dueDate": None},
    }
    assert elapsed_s < timeout_ms * retries / 1000 + 1.0
