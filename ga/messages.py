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
    """The peer's heartbeat or sync status. Answers a Verdict."""

    status: dict[str, Any]


class Verdict:
    """What a peer's status says about us."""

    IN_STEP = "in step"
    BEHIND = "behind"  # the peer has operations we have not applied
    LOST = "lost"  # the peer holds more of our own operations than we do


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
class ServeState:
    """The peer lost part of what it needs from our truncated log: send it
    our snapshot, our whole log and our archive of ids."""

    respond: Respond


@dataclass(frozen=True)
class InstallState:
    """Replace our state with the peer's, keeping our own operations."""

    state: dict[str, Any]


@dataclass(frozen=True)
class Status:
    """The heartbeat's content; also ticks the clock so it bounds later keys.

    Answers the status, and passes it to `respond` too when one is given.
    """

    respond: Respond | None = None


@dataclass(frozen=True)
class Consolidate:
    """Snapshot now if the frontier moved past anything pending."""
