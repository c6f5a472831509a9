"""Request files for the PS: `OP CODE USER` lines that exercise every outcome.

File format: one request a line, `PRESTAR|RENOVAR|DEVOLVER <libroCodigo>
<userId>`; lines starting with `#` are comments and blank lines are ignored.

The lines are chosen against the seed data so that, at each site, every
kind of operation both succeeds and is refused for a real reason (a free or
fully lent book, an unknown book, a loan at its renewal limit, a user without
that loan). Every line touches a different book, and site A touches only
odd-numbered books while site B touches even ones, so neither the order of
the lines nor the interleaving of the two sites changes any outcome.

    python -m tools.make_requests --site A --out tools/requests/siteA.txt
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import typer

from common.jsonfile import read_json
from tools.seed_data import generate

OPS = ("PRESTAR", "RENOVAR", "DEVOLVER")
UNKNOWN_BOOK = {"A": "ISBN-9999", "B": "ISBN-9998"}  # odd for A, even for B
SITE_PARITY = {"A": 1, "B": 0}
STRANGERS = 300  # newcomers are drawn from u-1 .. u-300
MAX_RENEWALS = 2

Line = tuple[str, str, str]


def parse_requests(text: str) -> list[Line]:
    """(op, code, user) of every request line; ValueError names a bad line."""
    requests = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 3:
            raise ValueError(f"line {number}: expected OP CODE USER, got {raw!r}")
        requests.append((fields[0], fields[1], fields[2]))
    return requests


def read_requests(path: Path) -> list[Line]:
    return parse_requests(path.read_text(encoding="utf-8"))


class _Picker:
    """Draws requests of each kind, one book per request, from one site's half."""

    def __init__(self, books: list[dict], loans: list[dict], site: str, seed: int):
        self.rng = random.Random(seed)
        parity = SITE_PARITY[site]
        self.site = site
        self.books = {
            b["codigo"]: b for b in books if _number(b["codigo"]) % 2 == parity
        }
        self.loans = [row for row in loans if row["codigo"] in self.books]
        self.holders: dict[str, set[str]] = {}
        for row in self.loans:
            self.holders.setdefault(row["codigo"], set()).add(row["userId"])
        self.used: set[str] = set()

    def _pick_book(self, keep: Callable[[dict], bool]) -> dict | None:
        free = [b for c, b in sorted(self.books.items()) if c not in self.used]
        pool = [book for book in free if keep(book)]
        return self._take(pool, "codigo")

    def _pick_loan(self, keep: Callable[[dict], bool]) -> dict | None:
        pool = [r for r in self.loans if r["codigo"] not in self.used and keep(r)]
        return self._take(pool, "codigo")

    def _take(self, pool: list[dict], key: str) -> dict | None:
        if not pool:
            return None
        row = self.rng.choice(pool)
        self.used.add(row[key])
        return row

    def _stranger(self, code: str) -> str:
        while True:
            user = f"u-{self.rng.randint(1, STRANGERS)}"
            if user not in self.holders.get(code, ()):
                return user

    def _held(self, code: str) -> int:
        return len(self.holders.get(code, ()))

    def lend_free(self) -> Line | None:
        book = self._pick_book(lambda b: self._held(b["codigo"]) < b["ejemplares"])
        return book and ("PRESTAR", book["codigo"], self._stranger(book["codigo"]))

    def lend_full(self) -> Line | None:
        book = self._pick_book(lambda b: self._held(b["codigo"]) >= b["ejemplares"])
        return book and ("PRESTAR", book["codigo"], self._stranger(book["codigo"]))

    def lend_unknown(self) -> Line | None:
        return ("PRESTAR", UNKNOWN_BOOK[self.site], self._stranger(""))

    def lend_held(self) -> Line | None:
        row = self._pick_loan(
            lambda r: self._held(r["codigo"]) < self.books[r["codigo"]]["ejemplares"]
        )
        return row and ("PRESTAR", row["codigo"], row["userId"])

    def renew(self) -> Line | None:
        row = self._pick_loan(lambda r: r["renovaciones"] < MAX_RENEWALS)
        return row and ("RENOVAR", row["codigo"], row["userId"])

    def renew_limit(self) -> Line | None:
        row = self._pick_loan(lambda r: r["renovaciones"] >= MAX_RENEWALS)
        return row and ("RENOVAR", row["codigo"], row["userId"])

    def renew_stranger(self) -> Line | None:
        book = self._pick_book(lambda b: True)
        return book and ("RENOVAR", book["codigo"], self._stranger(book["codigo"]))

    def give_back(self) -> Line | None:
        row = self._pick_loan(lambda r: True)
        return row and ("DEVOLVER", row["codigo"], row["userId"])

    def give_back_stranger(self) -> Line | None:
        book = self._pick_book(lambda b: True)
        return book and ("DEVOLVER", book["codigo"], self._stranger(book["codigo"]))


# Kinds of request and their share of a 40-line file. Expected outcomes, in
# order: ok, NO_COPY_AVAILABLE, UNKNOWN_BOOK, ALREADY_BORROWED, ok,
# RENEWAL_LIMIT, NOT_BORROWED, ok, NOT_BORROWED.
MIX = (
    ("lend_free", 10),
    ("lend_full", 3),
    ("lend_unknown", 1),
    ("lend_held", 1),
    ("renew", 8),
    ("renew_limit", 3),
    ("renew_stranger", 3),
    ("give_back", 8),
    ("give_back_stranger", 3),
)


def _number(code: str) -> int:
    digits = code.rpartition("-")[2]
    return int(digits) if digits.isdigit() else 0


def generate_requests(
    books: list[dict], loans: list[dict], site: str, seed: int = 7, count: int = 40
) -> list[str]:
    """About `count` request lines for `site`, in a seeded random order."""
    picker = _Picker(books, loans, site, seed)
    total = sum(share for _, share in MIX)
    lines = []
    for kind, share in MIX:
        for _ in range(max(1, round(share * count / total))):
            line = getattr(picker, kind)()
            if line:
                lines.append(" ".join(line))
    picker.rng.shuffle(lines)
    return lines


def render(lines: list[str], site: str, seed: int, count: int) -> str:
    parity = "odd" if SITE_PARITY[site] else "even"
    header = [
        f"# Site {site} requests: python -m tools.make_requests --site {site} "
        f"--seed {seed} --count {count}",
        f"# Generated against the default seed data; {parity}-numbered books only,",
        "# one book per line, so line order and the other site change no outcome.",
    ]
    return "\n".join(header + lines) + "\n"


def main(
    site: str = typer.Option(..., help="A or B"),
    out: Path = typer.Option(..., help="request file to write"),
    seed: int = typer.Option(7, help="seed for choosing the requests"),
    count: int = typer.Option(40, min=9, help="about this many lines"),
    data_dir: Path | None = typer.Option(None, help="read books/loans from here"),
    data_seed: int = typer.Option(7, help="seed data to use without --data-dir"),
) -> None:
    """Write a request file for the PS of one site."""
    if site not in SITE_PARITY:
        typer.echo("error: --site must be A or B", err=True)
        raise typer.Exit(2)
    if data_dir is not None:
        books = read_json(data_dir / "books.json", [])
        loans = read_json(data_dir / "loans.json", [])
    else:
        books, loans = generate(data_seed)
    lines = generate_requests(books, loans, site, seed, count)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(lines, site, seed, count), encoding="utf-8")
    typer.echo(f"{out}: {len(lines)} requests for site {site}")


if __name__ == "__main__":
    typer.run(main)
