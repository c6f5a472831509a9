"""Request files for the load runs: one per PS, with a mix that holds in a loop.

A file from tools/make_requests.py is meant to be replayed once: looped, its
loans fail on the second pass (the user already holds the book) and its
returns fail (the loan is gone). Here every file is built from the seed data
so that each pass has the same outcomes as the first:

- CYCLES borrow cycles: `PRESTAR b u`, later `RENOVAR b u`, later `DEVOLVER
  b u`, on a book nobody holds in the seed data. Each succeeds on every pass,
  because the return gives the copy back before the loan comes round again.
  Every PS of a site gets its own cycle books, so PS never compete for a
  copy and the mix does not change with the number of PS.
- one stable refusal of each kind, on books the cycles never touch:
  NO_COPY_AVAILABLE (a fully lent book), ALREADY_BORROWED (a seed holder asks
  again), UNKNOWN_BOOK, RENEWAL_LIMIT (a seed loan renewed twice already) and
  NOT_BORROWED for a renewal and for a return by a user without the loan.

The lines come in three phases, loans, then renewals, then returns, with the
cycles in the same order in each, so a cycle's next step is always one
phase away; the refusals are scattered over the phases. Per pass: 11 loans
(8 succeed), 9 renewals (8 succeed), 9 returns (8 succeed). Site A uses
odd-numbered books and site B even ones, as tools/make_requests.py does.
"""

from __future__ import annotations

import random
from pathlib import Path

from tools.make_requests import MAX_RENEWALS, SITE_PARITY, STRANGERS, UNKNOWN_BOOK
from tools.seed_data import generate

CYCLES = 8  # borrow cycles per PS; books they use are the PS's own


class SiteBooks:
    """One site's half of the seed data, sorted into the pools the files use."""

    def __init__(self, books: list[dict], loans: list[dict], site: str) -> None:
        parity = SITE_PARITY[site]
        mine = [b for b in books if int(b["codigo"].split("-")[1]) % 2 == parity]
        self.site = site
        self.loans = [row for row in loans if row["codigo"] in _codes(mine)]
        held = _codes(self.loans)
        self.free = sorted(b["codigo"] for b in mine if b["codigo"] not in held)
        self.full = sorted(b["codigo"] for b in mine if not b["disponible"])
        self.holders: dict[str, set[str]] = {}
        for row in self.loans:
            self.holders.setdefault(row["codigo"], set()).add(row["userId"])

    def cycle_books(self, count: int, seed: int) -> list[list[str]]:
        """`count` disjoint lists of CYCLES books, one list per PS."""
        needed = count * CYCLES
        if needed > len(self.free):
            raise ValueError(
                f"site {self.site}: {count} PS need {needed} free books, "
                f"the seed data has {len(self.free)}"
            )
        chosen = random.Random(seed).sample(self.free, needed)
        return [chosen[n * CYCLES : (n + 1) * CYCLES] for n in range(count)]


def _codes(rows: list[dict]) -> set[str]:
    return {row["codigo"] for row in rows}


def stranger(rng: random.Random, holders: set[str]) -> str:
    """A user from the pool who does not hold the book."""
    while True:
        user = f"u-{rng.randint(1, STRANGERS)}"
        if user not in holders:
            return user


def refusals(pools: SiteBooks, rng: random.Random) -> list[str]:
    """One request of each refused kind; each is refused on every pass."""
    full = rng.choice(pools.full)
    held = rng.choice(pools.loans)
    spent = rng.choice([r for r in pools.loans if r["renovaciones"] >= MAX_RENEWALS])
    other = rng.choice(pools.full)
    strangers = [stranger(rng, pools.holders.get(c, set())) for c in (full, other)]
    return [
        f"PRESTAR {full} {strangers[0]}",
        f"PRESTAR {held['codigo']} {held['userId']}",
        f"PRESTAR {UNKNOWN_BOOK[pools.site]} {stranger(rng, set())}",
        f"RENOVAR {spent['codigo']} {spent['userId']}",
        f"RENOVAR {other} {strangers[1]}",
        f"DEVOLVER {other} {strangers[1]}",
    ]


def file_lines(books: list[str], pools: SiteBooks, rng: random.Random) -> list[str]:
    """The three phases of one file, refusals scattered over them."""
    cycles = [(code, stranger(rng, set())) for code in books]
    phases = [
        [f"{op} {code} {user}" for code, user in cycles]
        for op in ("PRESTAR", "RENOVAR", "DEVOLVER")
    ]
    for n, line in enumerate(refusals(pools, rng)):
        phase = phases[n % len(phases)]
        phase.insert(rng.randint(0, len(phase)), line)
    return [line for phase in phases for line in phase]


def write_files(folder: Path, site: str, count: int, seed: int = 7) -> list[Path]:
    """`count` request files for `site`'s PS, from the default seed data."""
    pools = SiteBooks(*generate(), site)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, books in enumerate(pools.cycle_books(count, seed), start=1):
        rng = random.Random(f"{seed}-{site}-{n}")
        path = folder / f"site{site}-ps{n}.txt"
        header = f"# Load run, site {site}, PS {n} of {count}; see tools/load_requests"
        path.write_text("\n".join([header, *file_lines(books, pools, rng)]) + "\n")
        paths.append(path)
    return paths
