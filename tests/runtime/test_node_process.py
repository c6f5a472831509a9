"""A whole site as a real process: bad input on every socket, clean signals."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

from common.clock import add_days
from common.reasons import Reason
from common.settings import Settings
from tests.conftest import BOOKS, site_settings, wait_until, write_data
from tests.processes import request, spawn, write_env

EXIT_DEADLINE_S = 10
FILES = ("books.json", "loans.json", "oplog.json", "applied_index.json")
# Every socket the site binds, and a socket type it must refuse to talk to.
BOUND = {
    "ap_rep_bind": zmq.PUB,
    "ga_rep_bind": zmq.SUB,
    "ga_health_rep_bind": zmq.PUSH,
    "ga_heartbeat_pub_bind": zmq.DEALER,
    "ga_repl_pub_bind": zmq.PUSH,
}
ZMTP_SIGNATURE = b"\xff" + b"\x00" * 8 + b"\x7f\x03\x00"  # then noise, not a greeting
FOUR_MB = b"[" + b"1," * 2_000_000 + b"1]"


@dataclass
class Site:
    settings: Settings
    process: subprocess.Popen
    log: Path

    @property
    def ap(self) -> str:
        return self.settings.ap_rep_bind

    @property
    def ga(self) -> str:
        return self.settings.ga_rep_bind

    @property
    def health(self) -> str:
        return self.settings.ga_health_rep_bind

    def files(self) -> dict[str, bytes]:
        folder = self.settings.ga_data_dir
        return {name: (folder / name).read_bytes() for name in FILES}

    def ready(self) -> bool:
        assert self.process.poll() is None, self.tail()
        return request(self.health, b"ping", 300) == "ok" and bool(
            request(self.ap, {}, 300)
        )

    def tail(self) -> str:
        return "\n".join(self.log.read_text().splitlines()[-20:])


@pytest.fixture
def site(tmp_path, ports) -> Iterator[Site]:
    write_data(tmp_path / "siteA", BOOKS)
    settings = site_settings(
        tmp_path,
        ports,
        "A",
        ga_repl_sub_connect="",  # no peer: this site stands alone
        ga_timeout_ms=300,
        ga_retries=2,
        ap_reply_deadline_ms=3000,
        ap_workers=2,
    )
    env_file = write_env(tmp_path / "siteA.env", settings)
    log = tmp_path / "node.log"
    process = spawn(
        "runtime.node", "--site", "A", "--env-file", str(env_file), log_path=log
    )
    try:
        node = Site(settings, process, log)
        wait_until(node.ready, timeout_s=20)
        yield node
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def exchange(endpoint: str, frames: list[bytes], timeout_ms: int = 5000) -> bytes:
    """Send `frames` as one message from a fresh REQ socket; the reply's body."""
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(endpoint)
        sock.send_multipart(frames)
        assert sock.poll(timeout_ms, zmq.POLLIN), f"{endpoint} did not answer"
        return sock.recv()
    finally:
        sock.close(linger=0)


def dump(value) -> bytes:
    return json.dumps(value).encode()


LOAN = {"id": "p-1", "libroCodigo": "ISBN-0001", "userId": "u-1"}
COMMON_BAD = [
    ([b"\x00\xff\xfe garbage"], Reason.BAD_JSON),
    ([b""], Reason.BAD_JSON),
    ([b'{"id": "p-1",'], Reason.BAD_JSON),
    ([b'{"id": ' + b"9" * 5000 + b"}"], Reason.BAD_JSON),  # past int's digit limit
    ([dump(LOAN), b"second frame"], Reason.BAD_REQUEST),
    ([FOUR_MB], Reason.TOO_LARGE),
]
AP_BAD = [
    *COMMON_BAD,
    ([b"[]"], Reason.BAD_REQUEST),
    ([b'"PRESTAR ISBN-0001 u-1"'], Reason.BAD_REQUEST),
    ([dump({**LOAN, "id": 1})], Reason.BAD_REQUEST),
    ([dump({**LOAN, "userId": ""})], Reason.BAD_REQUEST),
    ([dump({"id": "p-1", "libroCodigo": "ISBN-0001"})], Reason.BAD_REQUEST),
    ([dump({"method": "checkAndLoan", "payload": LOAN})], Reason.BAD_REQUEST),
]
GA_BAD = [
    *COMMON_BAD,
    ([b'"renovar"'], Reason.BAD_REQUEST),
    ([dump({"method": "borrar", "payload": LOAN})], Reason.UNKNOWN_METHOD),
    ([dump({"payload": LOAN})], Reason.UNKNOWN_METHOD),
    ([dump({"method": "checkAndLoan", "payload": "x"})], Reason.BAD_REQUEST),
    ([dump({"method": "renovar", "payload": {**LOAN, "id": 5}})], Reason.BAD_REQUEST),
    (
        [dump({"method": "renovar", "payload": {**LOAN, "dueDateNew": "2026-02-30"}})],
        Reason.BAD_REQUEST,
    ),
    ([dump({"method": "sync", "payload": {"after": "x"}})], Reason.BAD_REQUEST),
    ([dump({"method": "sync"})], Reason.BAD_REQUEST),
]


def survived_noise(port: int) -> bool:
    """Random bytes onto a bound port: ZeroMQ drops us, or, when the bytes
    happen to parse as the old ZMTP 1.0 framing (no signature), the socket
    answers them as messages. Either is fine; silence fails the test."""
    noise = random.Random(port).randbytes(65536)
    for prefix in ZMTP_SIGNATURE, b"":
        with socket.create_connection(("127.0.0.1", port), timeout=15) as raw:
            answered = False
            try:
                raw.sendall(prefix + noise)
                while raw.recv(65536):  # until ZeroMQ closes
                    answered = True
                    raw.settimeout(2)  # the rest of the answers come quickly
            except ConnectionError:
                pass  # reset by ZeroMQ: dropped as well
            except TimeoutError:
                if not answered:
                    raise
    return True


def rejected_as_wrong_type(kind: int, endpoint: str) -> str:
    """Well-formed ZMTP from a socket type that may not talk to `endpoint`:
    "disconnected", or else the connection events seen before giving up."""
    sock = zmq.Context.instance().socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    monitor = sock.get_monitor_socket()
    seen = []
    try:
        sock.connect(endpoint)
        while monitor.poll(15_000, zmq.POLLIN):  # generous: CI machines are busy
            event = recv_monitor_message(monitor)["event"]
            if event == zmq.EVENT_DISCONNECTED:
                return "disconnected"
            seen.append(zmq.Event(event).name)
        return f"no disconnect within 15 s after {seen}"
    finally:
        sock.disable_monitor()
        monitor.close(linger=0)
        sock.close(linger=0)


def port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def heartbeat(endpoint: str) -> dict:
    sock = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.setsockopt(zmq.SUBSCRIBE, b"HB")
        sock.connect(endpoint)
        assert sock.poll(5000, zmq.POLLIN), "no heartbeat within 5 s"
        return json.loads(sock.recv_multipart()[-1])
    finally:
        sock.close(linger=0)


def assert_still_serving(site: Site) -> None:
    due_dates = {add_days(dt.date.today(), 14)}
    lent = json.loads(exchange(site.ap, [dump(LOAN)]))
    due_dates.add(add_days(dt.date.today(), 14))
    status = json.loads(exchange(site.ga, [dump({"method": "status"})]))
    assert lent["ok"] is True and lent["reason"] is None
    assert lent["metadata"]["dueDate"] in due_dates
    assert status["ok"] is True and status["metadata"]["head"] == 1
    assert exchange(site.health, [b"ping"]) == b"ok"
    assert json.loads(exchange(site.health, [b"status"]))["node"] == "A"
    assert heartbeat(site.settings.ga_heartbeat_pub_bind)["node"] == "A"
    assert site.process.poll() is None


def test_bad_input_on_every_socket_is_refused_and_leaves_the_files_untouched(site):
    s = site.settings
    before = site.files()

    ap_replies = [json.loads(exchange(site.ap, frames)) for frames, _ in AP_BAD]
    ga_replies = [json.loads(exchange(site.ga, frames)) for frames, _ in GA_BAD]
    health_replies = [
        exchange(site.health, frames) for frames in ([b"\xffgarbage"], [b""])
    ]
    odd_health = [exchange(site.health, [b"a", b"b"]), exchange(site.health, [FOUR_MB])]
    bound = {getattr(s, name): kind for name, kind in BOUND.items()}
    dropped = {at: survived_noise(port(at)) for at in bound}
    rejected = {at: rejected_as_wrong_type(kind, at) for at, kind in bound.items()}

    assert ap_replies == [
        {"ok": False, "reason": reason, "metadata": {"dueDate": None}}
        for _, reason in AP_BAD
    ]
    assert [(r["ok"], r["reason"]) for r in ga_replies] == [
        (False, reason) for _, reason in GA_BAD
    ]
    assert dropped == dict.fromkeys(bound, True)
    assert rejected == dict.fromkeys(bound, "disconnected")
    assert health_replies == [b"ok", b"ok"]
    assert all(r == b"ok" or json.loads(r)["ok"] is False for r in odd_health)
    assert site.files() == before
    assert_still_serving(site)


@pytest.mark.parametrize(
    "method", [["renovar"], {"name": "renovar"}], ids=["a list", "an object"]
)
def test_the_ga_refuses_a_method_that_is_not_a_string_as_a_bad_request(site, method):
    answer = json.loads(exchange(site.ga, [dump({"method": method, "payload": LOAN})]))

    assert answer["ok"] is False
    assert answer["reason"] in (Reason.BAD_REQUEST, Reason.UNKNOWN_METHOD)


def test_the_ga_refuses_a_sync_from_an_infinite_position_as_a_bad_request(site):
    body = b'{"method": "sync", "payload": {"after": Infinity, "limit": 10}}'

    answer = json.loads(exchange(site.ga, [body]))

    assert answer["ok"] is False
    assert answer["reason"] == Reason.BAD_REQUEST


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_the_site_exits_with_status_zero_on_a_signal_keeping_what_it_acknowledged(
    site, sig
):
    lent = json.loads(exchange(site.ap, [dump(LOAN)]))

    os.kill(site.process.pid, sig)

    code = site.process.wait(timeout=EXIT_DEADLINE_S)
    assert lent["ok"] is True
    assert code == 0, site.tail()
    assert f"stopping on {sig.name}" in site.log.read_text()
    folder = site.settings.ga_data_dir
    on_disk = (folder / "loans.json").read_text() + (folder / "oplog.json").read_text()
    assert '"u-1"' in on_disk
