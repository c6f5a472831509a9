from actors.renovacion import RenewalActor
from common.models import ActorMessage
from common.reasons import Reason
from ga.inprocess import InProcessGa
from ga.messages import Status


def renewal(op_id: str, user: str = "u-9", book: str = "ISBN-0002") -> ActorMessage:
    return ActorMessage(
        id=op_id,
        sedeId="A",
        userId=user,
        libroCodigo=book,
        op="RENOVAR",
        dueDateNew="2026-06-04",
    )


def giving_back(op_id: str, user: str = "u-9", book: str = "ISBN-0002"):
    return ActorMessage(
        id=op_id, sedeId="A", userId=user, libroCodigo=book, op="DEVOLVER"
    )


def start_ar(local_ga, actors):
    ref = RenewalActor.start(lambda: InProcessGa(local_ga.slot))
    actors.append(ref)
    return ref


def test_the_renewal_actor_adds_seven_days_to_an_active_loan(local_ga, actors):
    ar = start_ar(local_ga, actors)

    answer = ar.ask(renewal("r-1"), timeout=5)

    assert answer["ok"] is True
    assert answer["metadata"] == {"dueDate": "2026-06-08", "renovaciones": 1}
    assert local_ga.logged_ids() == ["r-1"]


def test_the_renewal_actor_refuses_a_renewal_of_a_book_the_user_does_not_hold(
    local_ga, actors
):
    ar = start_ar(local_ga, actors)

    answer = ar.ask(renewal("r-1", user="u-1"), timeout=5)

    assert answer["ok"] is False
    assert answer["reason"] == Reason.NOT_BORROWED


def test_the_renewal_actor_stops_at_the_renewal_limit(local_ga, actors):
    ar = start_ar(local_ga, actors)

    answers = [ar.ask(renewal(f"r-{n}"), timeout=5) for n in range(1, 4)]

    assert [a["ok"] for a in answers] == [True, True, False]
    assert answers[2]["reason"] == Reason.RENEWAL_LIMIT
    assert answers[2]["metadata"]["dueDate"] == "2026-06-15"


def test_the_renewal_actor_refuses_a_return_without_reaching_the_ga(local_ga, actors):
    ar = start_ar(local_ga, actors)
    head_before = local_ga.slot.ask(Status())["head"]

    answer = ar.ask(giving_back("d-1"), timeout=5)

    assert answer["ok"] is False
    assert answer["reason"] == Reason.BAD_REQUEST
    assert local_ga.slot.ask(Status())["head"] == head_before
    assert ar.ask(renewal("r-1"), timeout=5)["ok"] is True  # the loan is still out


def test_every_line_the_renewal_actor_logs_names_ar(local_ga, actors, log_lines):
    ar = start_ar(local_ga, actors)

    ar.ask(renewal("r-1"), timeout=5)
    ar.ask(giving_back("d-1"), timeout=5)

    own = [line for line in log_lines if line["thread"].startswith("RenewalActor")]
    assert {line["proc"] for line in own} == {"AR"}
    stages = [line["stage"] for line in own if line["id"] == "r-1"]
    assert stages == ["recibido", "enviado", "aplicado"]
    refused = [line for line in own if line["id"] == "d-1"]
    assert [(line["level"], line["stage"]) for line in refused] == [
        ("WARNING", "error")
    ]
