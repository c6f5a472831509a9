"""The print subscriber shows one- and two-frame messages and stops on SIGINT."""

from __future__ import annotations

import datetime as dt
import signal
import threading

import zmq

from tests.conftest import free_port, wait_until
from tests.processes import spawn, stop
from tools.print_subscriber import render, subscribe


def publisher(endpoint: str):
    socket = zmq.Context.instance().socket(zmq.PUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.bind(endpoint)
    return socket


def test_a_message_is_rendered_as_time_then_frames():
    moment = dt.datetime(2026, 5, 28, 10, 0, 0, 123000)

    line = render([b"HB", b'{"head": 3}'], moment)

    assert line == '2026-05-28T10:00:00.123 HB | {"head": 3}'


def test_only_the_chosen_topics_are_printed(tmp_path):
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    pub, stop_event = publisher(endpoint), threading.Event()
    out = (tmp_path / "out.txt").open("w")
    reader = threading.Thread(
        target=subscribe, args=(endpoint, ["RENOVACION"], stop_event, out)
    )
    reader.start()
    try:

        def printed() -> str:
            pub.send_string('DEVOLUCION {"id": "no"}')
            pub.send_string('RENOVACION {"id": "yes"}')
            return (tmp_path / "out.txt").read_text()

        text = wait_until(printed)
    finally:
        stop_event.set()
        reader.join(5)
        out.close()
        pub.close(linger=0)

    assert 'RENOVACION {"id": "yes"}' in text
    assert "DEVOLUCION" not in text


def test_the_script_prints_both_framings_and_exits_zero_on_sigint(tmp_path):
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    pub, log = publisher(endpoint), tmp_path / "sub.log"
    process = spawn("tools.print_subscriber", "--connect", endpoint, log_path=log)
    try:

        def shown(frames: list[bytes], expected: str) -> bool:
            pub.send_multipart(frames)
            return expected in log.read_text()

        wait_until(lambda: shown([b'RENOVACION {"id": "r"}'], 'RENOVACION {"id": "r"}'))
        wait_until(lambda: shown([b"HB", b'{"head": 1}'], 'HB | {"head": 1}'))
    finally:
        code = stop(process, signal.SIGINT)
        pub.close(linger=0)

    assert code == 0
