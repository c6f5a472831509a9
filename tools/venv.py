"""Let `python tools/x.py` work with any Python 3.11: outside the project's
.venv, bring .venv up to date (make) and run the same command in it.

Uses the standard library only, since it runs before anything is installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def ensure_venv() -> None:
    # Any other Python may have some of the packages but not all of them.
    if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():
        return
    subprocess.run(["make", "-s", "-C", str(ROOT), ".venv/.installed"], check=True)
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])
