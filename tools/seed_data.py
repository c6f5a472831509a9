"""Seed a site's data folder: the same books and loans from the same seed.

Both sites must start from byte-identical files, so everything comes from
one `random.Random(seed)` and a fixed base date, never from today. The
folder gets books.json and loans.json in the contract's shape (ordered as
the GA writes them), an empty oplog.json and an empty applied_index.json.

    python tools/seed_data.py --data-dir ./data/siteA --data-dir ./data/siteB
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tools.venv import ensure_venv

    ensure_venv()

import typer

from common.jsonfile import canonical, write_atomic

BASE_DATE = dt.date(2026, 12, 1)  # due dates are this plus 1..20 days
COPY_WEIGHTS = {1: 6, 2: 3, 3: 1}  # 60% one copy, 30% two, 10% three
FULL_BOOKS = 30  # books lent out completely, so NO_COPY_AVAILABLE is real
USERS = 150  # user pool: u-1 .. u-150, most users hold several books
SEDE_A_SHARE = 4  # one loan in four was taken at site A (50 of 200)

BOOKS_FILE, LOANS_FILE = "books.json", "loans.json"
OPLOG_FILE, INDEX_FILE = "oplog.json", "applied_index.json"
# Files the GA adds beside the four above; --force removes them too. Path.glob
# matches dotfiles, so "*.tmp" also catches write_atomic's ".books.json.tmp".
GA_EXTRA_PATTERNS = (
    "conflicts.jsonl",
    "applied_ids.jsonl",
    "hlc_bound.json",
    "*.tmp",
    "oplog*",
)

SUBJECTS = ("Historia", "Cuentos", "Tratado", "Manual", "Poemas", "Memorias")
TOPICS = ("del mar", "de la ciudad", "de los números", "del tiempo", "del sur")


class SiteNotEmptyError(RuntimeError):
    """The folder already holds a seeded site and --force was not given."""


def generate(
    seed: int = 7, books: int = 1000, loans: int = 200
) -> tuple[list[dict], list[dict]]:
    """Books and loans rows, in the order and shape the GA writes them."""
    rng = random.Random(seed)
    copies = {_code(n): _copies(rng) for n in range(1, books + 1)}
    holders = _lend(rng, copies, loans)
    loan_rows = _loan_rows(rng, holders)
    book_rows = [
        {
            "codigo": code,
            "titulo": _title(rng, n),
            "ejemplares": copies[code],
            "disponible": len(holders.get(code, ())) < copies[code],
        }
        for n, code in enumerate(sorted(copies), start=1)
    ]
    return book_rows, loan_rows


def _code(n: int) -> str:
    return f"ISBN-{n:04d}"


def _copies(rng: random.Random) -> int:
    return rng.choices(list(COPY_WEIGHTS), weights=list(COPY_WEIGHTS.values()))[0]


def _title(rng: random.Random, n: int) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(TOPICS)} {n}"


def _lend(
    rng: random.Random, copies: dict[str, int], loans: int
) -> dict[str, list[str]]:
    """codigo -> users holding it: some books full, the rest spread at random."""
    if loans > sum(copies.values()):
        raise ValueError(f"{loans} loans do not fit in {sum(copies.values())} copies")
    codes = sorted(copies)
    holders: dict[str, list[str]] = {}
    for code in rng.sample(codes, min(FULL_BOOKS, len(codes))):
        if _count(holders) + copies[code] <= loans:
            holders[code] = _users(rng, copies[code], [])
    while _count(holders) < loans:
        code = rng.choice(codes)
        taken = holders.setdefault(code, [])
        if len(taken) < copies[code]:
            taken.extend(_users(rng, 1, taken))
    return {code: users for code, users in holders.items() if users}


def _count(holders: dict[str, list[str]]) -> int:
    return sum(len(users) for users in holders.values())


def _users(rng: random.Random, count: int, taken: list[str]) -> list[str]:
    """`count` users, none of them already in `taken` (one copy per user)."""
    chosen: list[str] = []
    while len(chosen) < count:
        user = f"u-{rng.randint(1, USERS)}"
        if user not in taken and user not in chosen:
            chosen.append(user)
    return chosen


def _loan_rows(rng: random.Random, holders: dict[str, list[str]]) -> list[dict]:
    pairs = sorted((code, user) for code, users in holders.items() for user in users)
    site_a = round(len(pairs) / SEDE_A_SHARE)
    sedes = ["A"] * site_a + ["B"] * (len(pairs) - site_a)
    rng.shuffle(sedes)
    return [
        {
            "codigo": code,
            "userId": user,
            "dueDate": (BASE_DATE + dt.timedelta(days=rng.randint(1, 20))).isoformat(),
            "renovaciones": rng.randint(0, 2),
            "sede": sede,
        }
        for (code, user), sede in zip(pairs, sedes, strict=True)
    ]


def site_files(books: list[dict], loans: list[dict]) -> dict[str, bytes]:
    """The four files of a fresh site, by name."""
    return {
        BOOKS_FILE: canonical(books),
        LOANS_FILE: canonical(loans),
        OPLOG_FILE: b"",
        INDEX_FILE: canonical({}),
    }


def check_writable(folder: Path, force: bool) -> None:
    books = folder / BOOKS_FILE
    if not force and books.is_file() and books.stat().st_size > 0:
        raise SiteNotEmptyError(
            f"{books} already exists; pass --force to replace the whole site"
        )


def write_site(
    folder: Path, books: list[dict], loans: list[dict], force: bool = False
) -> None:
    """Write a fresh site into `folder`; with `force`, wipe the GA's files first."""
    check_writable(folder, force)
    folder.mkdir(parents=True, exist_ok=True)
    if force:
        _clear(folder)
    for name, data in site_files(books, loans).items():
        write_atomic(folder / name, data)


def _clear(folder: Path) -> None:
    keep = set(site_files([], []))
    for pattern in GA_EXTRA_PATTERNS:
        for path in folder.glob(pattern):
            if path.is_file() and path.name not in keep:
                path.unlink()


def main(
    data_dir: list[Path] = typer.Option(..., help="site folder; repeat for both"),
    seed: int = typer.Option(7, help="same seed, same bytes"),
    books: int = typer.Option(1000, min=1),
    loans: int = typer.Option(200, min=0),
    force: bool = typer.Option(False, help="replace an existing site"),
) -> None:
    """Seed one or more GA data folders with identical books and loans."""
    try:
        for folder in data_dir:
            check_writable(folder, force)
        book_rows, loan_rows = generate(seed, books, loans)
    except (SiteNotEmptyError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for folder in data_dir:
        write_site(folder, book_rows, loan_rows, force)
        full = sum(not row["disponible"] for row in book_rows)
        typer.echo(
            f"{folder}: {len(book_rows)} books ({full} fully lent), "
            f"{len(loan_rows)} loans"
        )


if __name__ == "__main__":
    typer.run(main)
