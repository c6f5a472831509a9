"""Request files: they parse, the sites touch disjoint books, and replayed
through the GA's own rules every kind both succeeds and is refused."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ga.rules import Operation, decide
from ga.snapshot import books_from_json
from tools.make_requests import generate_requests, parse_requests, read_requests, render
from tools.seed_data import generate

REQUESTS = Path(__file__).resolve().parents[2] / "tools" / "requests"
METHODS = {"PRESTAR": "checkAndLoan", "RENOVAR": "renovar", "DEVOLVER": "devolver"}
EXPECTED = {
    ("PRESTAR", "OK"),
    ("PRESTAR", "NO_COPY_AVAILABLE"),
    ("PRESTAR", "UNKNOWN_BOOK"),
    ("RENOVAR", "OK"),
    ("RENOVAR", "RENEWAL_LIMIT"),
    ("RENOVAR", "NOT_BORROWED"),
    ("DEVOLVER", "OK"),
    ("DEVOLVER", "NOT_BORROWED"),
}


def site_file(site: str) -> list[tuple[str, str, str]]:
    return read_requests(REQUESTS / f"site{site}.txt")


def outcomes(site: str) -> Counter:
    """(op, OK or reason) of each line, applied in order by ga.rules."""
    books = books_from_json(*generate())
    seen: Counter = Counter()
    for op, code, user in site_file(site):
        operation = Operation(METHODS[op], code, user, "2026-11-01", site)
        answer, after = decide(books.get(code), operation)
        if after is not None:
            books[code] = after
        seen[(op, str(answer["reason"] or "OK"))] += 1
    return seen


@pytest.mark.parametrize("site", "AB")
def test_a_shipped_file_parses_into_about_forty_requests(site):
    requests = site_file(site)

    assert 30 <= len(requests) <= 50
    assert {op for op, _, _ in requests} == set(METHODS)


def test_the_two_sites_touch_disjoint_books_odd_for_a_and_even_for_b():
    books_a = {code for _, code, _ in site_file("A")}
    books_b = {code for _, code, _ in site_file("B")}

    assert not books_a & books_b
    assert all(int(code[-4:]) % 2 == 1 for code in books_a)
    assert all(int(code[-4:]) % 2 == 0 for code in books_b)


@pytest.mark.parametrize("site", "AB")
def test_a_file_touches_each_known_book_once(site):
    codes = Counter(code for _, code, _ in site_file(site))

    assert max(codes.values()) == 1


@pytest.mark.parametrize("site", "AB")
def test_every_kind_both_succeeds_and_is_refused_for_a_real_reason(site):
    seen = outcomes(site)

    assert set(seen) >= EXPECTED
    assert seen[("PRESTAR", "OK")] >= 5
    assert seen[("RENOVAR", "OK")] >= 5
    assert seen[("DEVOLVER", "OK")] >= 5


@pytest.mark.parametrize("site", "AB")
def test_the_shipped_files_are_what_the_generator_makes_from_the_seed(site):
    lines = generate_requests(*generate(), site=site, seed=7, count=40)

    text = render(lines, site, 7, 40)

    assert (REQUESTS / f"site{site}.txt").read_text(encoding="utf-8") == text


def test_comments_and_blank_lines_are_skipped_and_a_bad_line_is_named():
    good = parse_requests("# header\n\nPRESTAR ISBN-0001 u-1\n  \n")

    with pytest.raises(ValueError, match="line 2"):
        parse_requests("# header\nPRESTAR ISBN-0001\n")
    assert good == [("PRESTAR", "ISBN-0001", "u-1")]
