"""Seed data: deterministic bytes and the shape DESIGN.md section 3 asks for."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from common.jsonfile import canonical
from ga.snapshot import books_from_json, books_to_json
from tools.seed_data import generate, site_files, write_site

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def seeded() -> tuple[list[dict], list[dict]]:
    return generate()


def seed_cli(*args: str) -> subprocess.CompletedProcess:
    """`python tools/seed_data.py ...`, run as a plain script."""
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "seed_data.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_same_seed_gives_the_same_bytes(seeded):
    again = generate()

    assert site_files(*again) == site_files(*seeded)


def test_another_seed_gives_other_data(seeded):
    other = generate(seed=8)

    assert site_files(*other)["loans.json"] != site_files(*seeded)["loans.json"]


def test_there_are_a_thousand_books_and_two_hundred_loans(seeded):
    books, loans = seeded

    assert [b["codigo"] for b in books] == [f"ISBN-{n:04d}" for n in range(1, 1001)]
    assert len(loans) == 200


def test_fifty_loans_were_taken_at_site_a_and_a_hundred_fifty_at_b(seeded):
    _, loans = seeded

    assert Counter(loan["sede"] for loan in loans) == {"A": 50, "B": 150}


def test_most_books_have_one_copy_some_two_and_a_few_three(seeded):
    books, _ = seeded

    copies = Counter(book["ejemplares"] for book in books)

    assert set(copies) == {1, 2, 3}
    assert copies[1] > copies[2] > copies[3] > 50


def test_no_user_holds_two_copies_and_no_book_is_lent_beyond_its_copies(seeded):
    books, loans = seeded
    copies = {book["codigo"]: book["ejemplares"] for book in books}

    pairs = Counter((loan["codigo"], loan["userId"]) for loan in loans)
    per_book = Counter(loan["codigo"] for loan in loans)

    assert max(pairs.values()) == 1
    assert all(per_book[code] <= copies[code] for code in per_book)


def test_disponible_says_whether_a_copy_is_free_and_some_books_are_full(seeded):
    books, loans = seeded
    per_book = Counter(loan["codigo"] for loan in loans)

    full = [b for b in books if per_book[b["codigo"]] == b["ejemplares"]]

    assert len(full) >= 20
    assert all(
        b["disponible"] == (per_book[b["codigo"]] < b["ejemplares"]) for b in books
    )


def test_loans_have_contract_fields_and_dates_after_the_fixed_base(seeded):
    _, loans = seeded

    assert all(
        set(loan) == {"codigo", "userId", "dueDate", "renovaciones", "sede"}
        for loan in loans
    )
    assert all("2026-12-02" <= loan["dueDate"] <= "2026-12-21" for loan in loans)
    assert {loan["renovaciones"] for loan in loans} == {0, 1, 2}


def test_the_files_are_ordered_exactly_as_the_ga_writes_them(seeded):
    books, loans = seeded

    rewritten = books_to_json(books_from_json(books, loans).values())

    assert canonical(list(rewritten)) == canonical([books, loans])


def test_the_script_seeds_two_sites_with_identical_files(tmp_path, seeded):
    site_a, site_b = tmp_path / "siteA", tmp_path / "siteB"

    result = seed_cli("--data-dir", str(site_a), "--data-dir", str(site_b))

    assert result.returncode == 0, result.stderr
    for folder in (site_a, site_b):
        written = {p.name: p.read_bytes() for p in folder.iterdir()}
        assert written == site_files(*seeded)
    assert (site_a / "oplog.json").read_bytes() == b""
    assert (site_a / "applied_index.json").read_bytes() == b"{}\n"


def test_the_script_refuses_to_overwrite_a_seeded_site(tmp_path):
    write_site(tmp_path, [{"codigo": "ISBN-0001"}], [])

    result = seed_cli("--data-dir", str(tmp_path), "--books", "5", "--loans", "2")

    assert result.returncode == 2
    assert "--force" in result.stderr
    assert b"ISBN-0002" not in (tmp_path / "books.json").read_bytes()


def test_force_leaves_a_fresh_site_without_the_ga_s_other_files(tmp_path):
    write_site(tmp_path, [{"codigo": "ISBN-0001"}], [])
    leftovers = [
        "conflicts.jsonl",
        "applied_ids.jsonl",
        ".books.json.tmp",
        "oplog.json.1",
    ]
    for name in leftovers:
        (tmp_path / name).write_text("old\n")
    (tmp_path / "oplog.json").write_text("old\n")

    result = seed_cli(
        "--data-dir", str(tmp_path), "--books", "5", "--loans", "2", "--force"
    )

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(site_files([], []))
    assert (tmp_path / "oplog.json").read_bytes() == b""
