"""AR and AD keep what no GA could take on disk, and apply it in order later."""

import pytest

from actors.devolucion import ReturnActor
from actors.renovacion import RenewalActor
from actors.spool import Spool
from common.logs import EventLog
from common.models import ActorMessage
from common.reasons import Reason
from ga.inprocess import InProcessGa
from tests.conftest import wait_until

# Operations of each kind; their order matters to the GA's answers.
OPERATIONS = {
    RenewalActor: [
        ("r-1", "u-9", "ISBN-0002", "RENOVAR"),
        ("r-2", "u-9", "ISBN-0002", "RENOVAR"),
        ("r-3", "u-9", "ISBN-0002", "RENOVAR"),
        ("r-4", "u-7", "ISBN-0001", "RENOVAR"),
    ],
    ReturnActor: [
        ("d-1", "u-9", "ISBN-0002", "DEVOLVER"),
        ("d-2", "u-9", "ISBN-0002", "DEVOLVER"),
        ("d-3", "u-7", "ISBN-0001", "DEVOLVER"),
        ("d-4", "u-1", "ISBN-0004", "DEVOLVER"),
    ],
}
# What the GA answers when they are applied in the order received.
CASES = [
    (RenewalActor, [True, True, False, True]),
    (ReturnActor, [True, False, True, False]),
]


def message(op_id: str, user: str, book: str, op: str) -> ActorMessage:
    due = "2026-06-04" if op == "RENOVAR" else None
    return ActorMessage(
        id=op_id, sedeId="A", userId=user, libroCodigo=book, op=op, dueDateNew=due
    )


def start(actor_class, absent_ga, actors):
    path = absent_ga.settings.actor_state_dir / f"spool-{actor_class.proc}.jsonl"
    spool = Spool(path, EventLog(actor_class.proc))
    ref = actor_class.start(lambda: InProcessGa(absent_ga.slot), spool)
    actors.append(ref)
    return ref, path


def replies(absent_ga, actor_class) -> list[bool]:
    """The GA's first answer to each operation, asked again by id."""
    ga = InProcessGa(absent_ga.slot)
    answers = []
    for op_id, user, book, _ in OPERATIONS[actor_class]:
        payload = {"id": op_id, "libroCodigo": book, "userId": user}
        answers.append(ga.call(actor_class.method, payload)["ok"])
    return answers


@pytest.mark.parametrize(("actor_class", "expected"), CASES)
def test_operations_without_a_ga_are_spooled_and_applied_in_order_once_one_appears(
    absent_ga, actors, actor_class, expected
):
    actor, path = start(actor_class, absent_ga, actors)
    ids = [op[0] for op in OPERATIONS[actor_class]]
    answers = [actor.ask(message(*op), timeout=5) for op in OPERATIONS[actor_class]]
    spooled = len(path.read_text().splitlines())

    absent_ga.start()

    wait_until(lambda: path.read_text() == "", timeout_s=10)
    assert {a["reason"] for a in answers} == {Reason.GA_UNAVAILABLE}
    assert spooled == len(ids)
    assert absent_ga.logged_ids() == ids
    assert replies(absent_ga, actor_class) == expected


@pytest.mark.parametrize(("actor_class", "expected"), CASES)
def test_a_restarted_actor_applies_what_its_predecessor_spooled(
    absent_ga, actors, actor_class, expected
):
    *earlier, last = OPERATIONS[actor_class]
    first, path = start(actor_class, absent_ga, actors)
    for op in earlier:
        first.ask(message(*op), timeout=5)
    first.stop(timeout=5)
    second, _ = start(actor_class, absent_ga, actors)
    queued_behind = second.ask(message(*last), timeout=5)

    absent_ga.start()

    wait_until(lambda: path.read_text() == "", timeout_s=10)
    assert queued_behind["reason"] == Reason.GA_UNAVAILABLE
    assert absent_ga.logged_ids() == [op[0] for op in OPERATIONS[actor_class]]
    assert replies(absent_ga, actor_class) == expected
