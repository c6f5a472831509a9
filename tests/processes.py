"""Real processes for integration tests: env files, start, signal, REQ calls."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from common.settings import Settings
from tools.cluster import env_text
from tools.cluster import request as cluster_request

ROOT = Path(__file__).resolve().parents[1]


def write_env(path: Path, settings: Settings) -> Path:
    """An env file holding every value of `settings`, for a child process."""
    path.write_text(env_text(settings))
    return path


def spawn(module: str, *args: str, log_path: Path) -> subprocess.Popen:
    """`python -m module args`, from the project root, logging to a file."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    """Signal `process` and reap it; SIGKILL if it does not exit in time."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
        raise


def request(endpoint: str, body: Any, timeout_ms: int = 5000) -> dict | str | None:
    """One REQ round trip; None on timeout. `body` may be raw bytes."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    raw = cluster_request(endpoint, data, timeout_ms)
    if raw is None:
        return None
    return raw.decode() if raw == b"ok" else json.loads(raw)


def ga_call(endpoint: str, method: str, payload: dict, timeout_ms: int = 5000):
    return request(endpoint, {"method": method, "payload": payload}, timeout_ms)
