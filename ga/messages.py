"""Messages to the Storage actor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common.models import GaRequest
from ga.entry import Entry

Respond = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Execute:
    """A client's operation; `respond` gets the reply once it is durable."""

    request: GaRequest
    respond: Respond


@dataclass(frozen=True)
class ApplyRemote:
    """Operations from the peer, in its sequence order. Answers AppliedUpTo."""

    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class AppliedUpTo:
    position: int  # highest peer seq applied, gap-free
    gap: bool  # entries were skipped because earlier ones are missing


@dataclass(frozen=True)
class PeerHeard:
    """The peer's heartbeat. Answers True when we miss some of its operations."""

    status: dict[str, Any]


@dataclass(frozen=True)
class PeerUnreachable:
    """The replicator could not reach the peer: nothing to catch up from."""


@dataclass(frozen=True)
class ServeSync:
    """The peer asks for our operations after seq `after`."""

    after: int
    limit: int
    respond: Respond


@dataclass(frozen=True)
class Status:
    """The heartbeat's content; also ticks the clock so it bounds later keys.

    Answers the status, and passes it to `respond` too when one is given.
    """

    respond: Respond | None = None


@dataclass(frozen=True)
class Consolidate:
    """Snapshot now if the frontier moved past anything pending."""
