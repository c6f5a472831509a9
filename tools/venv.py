"""Let `python tools/x.py` work with any Python 3.11: when the project's
packages are missing, build .venv (make) and run the same command in it.

Uses the standard library only, since it runs before anything is installed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def ensure_venv() -> None:
    if importlib.util.find_spec("typer") and importlib.util.find_spec("zmq"):
        return
    if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():
        raise SystemExit("error: .venv lacks the project's packages; run make clean")
    if not VENV_PYTHON.exists() or not (ROOT / ".venv" / ".installed").exists():
        subprocess.run(["make", "-C", str(ROOT), ".venv/.installed"], check=True)
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])
