"""Canonical JSON bytes and crash-safe file writes.

Both sites must produce byte-identical books.json and loans.json, so every
writer goes through `canonical` (sorted keys, fixed indentation, trailing
newline) and `write_atomic` (temp file, fsync, rename, fsync of the folder).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def canonical(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
    return (text + "\n").encode()


def compact(value: Any) -> bytes:
    """Deterministic too, without indentation: for files only programs read."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text + "\n").encode()


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_json(path: Path, default: Any = None) -> Any:
    """The file's JSON value, `default` when the file is missing or empty."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return default
    return json.loads(data) if data.strip() else default
