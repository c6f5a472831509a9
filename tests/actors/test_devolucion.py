from actors.devolucion import ReturnActor
from common.models import ActorMessage
from common.reasons import Reason
from ga.inprocess import InProcessGa
from ga.messages import Status


def giving_back(op_id: str, user: str = "u-7", book: str = "ISBN-0001"):
    return ActorMessage(
        id=op_id, sedeId="A", userId=user, libroCodigo=book, op="DEVOLVER"
    )


def renewal(op_id: str, user: str = "u-7", book: str = "ISBN-0001"):
    return ActorMessage(
        id=op_id,
        sedeId="A",
        userId=user,
        libroCodigo=book,
        op="RENOVAR",
        dueDateNew="2026-06-04",
    )


def loan(op_id: str, user: str, book: str = "ISBN-0001") -> dict:
    return {"id": op_id, "libroCodigo": book, "userId": user}


def start_ad(local_ga, actors):
    ref = ReturnActor.start(lambda: InProcessGa(local_ga.slot))
    actors.append(ref)
    return ref


def test_a_return_frees_the_only_copy_for_the_next_reader(local_ga, actors):
    ad = start_ad(local_ga, actors)
    ga = InProcessGa(local_ga.slot)
    refused = ga.call("checkAndLoan", loan("p-1", "u-1"))

    answer = ad.ask(giving_back("d-1"), timeout=5)

    assert refused["reason"] == Reason.NO_COPY_AVAILABLE
    assert answer["ok"] is True
    assert ga.call("checkAndLoan", loan("p-2", "u-1"))["ok"] is True


def test_returning_a_book_twice_is_refused_the_second_time(local_ga, actors):
    ad = start_ad(local_ga, actors)

    first = ad.ask(giving_back("d-1"), timeout=5)
    second = ad.ask(giving_back("d-2"), timeout=5)

    assert first["ok"] is True
    assert second["ok"] is False
    assert second["reason"] == Reason.NOT_BORROWED


def test_the_return_actor_refuses_a_renewal_without_reaching_the_ga(local_ga, actors):
    ad = start_ad(local_ga, actors)
    head_before = local_ga.slot.ask(Status())["head"]

    answer = ad.ask(renewal("r-1"), timeout=5)

    assert answer["ok"] is False
    assert answer["reason"] == Reason.BAD_REQUEST
    assert local_ga.slot.ask(Status())["head"] == head_before


def test_every_line_the_return_actor_logs_names_ad(local_ga, actors, log_lines):
    ad = start_ad(local_ga, actors)

    ad.ask(giving_back("d-1"), timeout=5)
    ad.ask(renewal("r-1"), timeout=5)

    own = [line for line in log_lines if line["thread"].startswith("ReturnActor")]
    assert {line["proc"] for line in own} == {"AD"}
    stages = [line["stage"] for line in own if line["id"] == "d-1"]
    assert stages == ["recibido", "enviado", "aplicado"]
    assert [line["level"] for line in own if line["id"] == "r-1"] == ["WARNING"]
