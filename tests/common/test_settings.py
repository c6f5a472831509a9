"""Settings: precedence of flags, environment, env file and defaults, and
refusal of impossible combinations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.settings import SettingsError, load_settings


def test_a_flag_beats_the_environment_which_beats_the_env_file(tmp_path, monkeypatch):
    env_file = tmp_path / "site.env"
    env_file.write_text("GA_TIMEOUT_MS=300\nGA_RETRIES=3\nSNAPSHOT_INTERVAL_OPS=7\n")
    monkeypatch.setenv("GA_RETRIES", "2")

    settings = load_settings(env_file, ga_timeout_ms=250)

    assert settings.ga_timeout_ms == 250
    assert settings.ga_retries == 2
    assert settings.snapshot_interval_ops == 7
    assert settings.ga_heartbeat_interval_ms == 2000


def test_the_defaults_alone_make_a_working_site_a():
    settings = load_settings()

    assert settings.site_id == "A"
    assert settings.local_ga == "tcp://127.0.0.1:5560"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"ga_timeout_ms": 5000}, "GA_TIMEOUT_MS x GA_RETRIES"),
        ({"ga_timeout_ms": 2100, "ga_retries": 1}, "at least 2"),
        ({"ga_timeout_ms": 150}, "GA_TIMEOUT_MS must be at least 200"),
        ({"ap_workers": 0}, "AP_WORKERS must be positive"),
        ({"ap_reply_deadline_ms": 6000}, "AP_REPLY_DEADLINE_MS"),
        ({"ga_heartbeat_interval_ms": 10}, "GA_HEARTBEAT_INTERVAL_MS"),
        ({"ga_peer_rep_connect": "tcp://{IP_GA_PEER}:5560"}, "GA_PEER_REP_CONNECT"),
        ({"ga_repl_sub_connect": "tcp://127.0.0.1:5562"}, "GA_REPL_SUB_CONNECT"),
        ({"site_id": "C"}, "SITE_ID"),
        ({"pin_cpu": "4096"}, "PIN_CPU"),
        ({"pin_cpu": "first"}, "PIN_CPU"),
    ],
)
def test_impossible_settings_are_refused_naming_the_variable(overrides, named):
    with pytest.raises(SettingsError, match=named):
        load_settings(None, **overrides)


def test_a_missing_env_file_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="env file not found"):
        load_settings(tmp_path / "nowhere.env")


def test_a_site_pinned_to_a_core_runs_every_thread_there():
    core = max(os.sched_getaffinity(0))
    script = (
        "import os, threading\n"
        "from common.cli import pin_to_core\n"
        "from common.settings import load_settings\n"
        f"pin_to_core(load_settings(None, pin_cpu='{core}'))\n"
        "seen = []\n"
        "def look(): seen.append(os.sched_getaffinity(0))\n"
        "thread = threading.Thread(target=look)\n"
        "thread.start(); thread.join()\n"
        "print(sorted(os.sched_getaffinity(0)), sorted(seen[0]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert result.stdout.split("\n")[0] == f"[{core}] [{core}]"
