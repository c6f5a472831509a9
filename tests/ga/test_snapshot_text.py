"""Snapshot text built from kept pieces: byte for byte the canonical files,
however the books changed between two snapshots."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from common.jsonfile import canonical, read_json
from ga.hlc import Key
from ga.rules import Book, Loan
from ga.snapshot import DataDir, Snapshot, books_from_json, books_to_json
from ga.snapshot_text import SnapshotText
from tests.conftest import site_settings, write_data

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
LOANS = st.dictionaries(
    TEXT,
    st.builds(Loan, st.dates().map(str), st.integers(0, 2), st.sampled_from("AB")),
    max_size=3,
)
LIBRARIES = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.tuples(TEXT, st.integers(1, 3), LOANS),
    max_size=6,
).map(
    lambda rows: {
        code: Book(code, title, copies, loans)
        for code, (title, copies, loans) in rows.items()
    }
)


def expected(books: dict[str, Book]) -> tuple[bytes, bytes]:
    rows, loans = books_to_json(books.values())
    return canonical(rows), canonical(loans)


def rendered(text: SnapshotText, books: dict[str, Book]) -> tuple[bytes, bytes]:
    rows, loans = text.render(books)
    return (rows + "\n").encode(), (loans + "\n").encode()


@settings(max_examples=200, deadline=None)
@given(first=LIBRARIES, second=LIBRARIES, keep=st.sets(st.text(max_size=8)))
def test_the_text_is_canonical_before_and_after_any_change(first, second, keep):
    text = SnapshotText()
    assert rendered(text, first) == expected(first)
    # Some books stay the very same objects, others change, appear or go.
    later = {**second, **{code: first[code] for code in keep if code in first}}
    assert rendered(text, later) == expected(later)


def test_a_changed_book_is_encoded_again_and_an_unchanged_one_reused():
    text = SnapshotText()
    one, two = Book("ISBN-1", "Uno", 2), Book("ISBN-2", "Dos", 1)
    text.render({"ISBN-1": one, "ISBN-2": two})
    lent = replace(one, loans={"u-1": Loan("2026-12-18", 0, "A")})
    books, loans = text.render({"ISBN-1": lent, "ISBN-2": two})

    assert json.loads(loans) == [
        {
            "codigo": "ISBN-1",
            "userId": "u-1",
            "dueDate": "2026-12-18",
            "renovaciones": 0,
            "sede": "A",
        }
    ]
    assert json.loads(books)[0]["disponible"] is True


def test_the_saved_index_reads_back_as_the_same_snapshot(tmp_path, ports):
    settings = site_settings(tmp_path, ports, "A")
    write_data(settings.ga_data_dir, {"ISBN-0001": 1})
    files = DataDir(settings)
    books = {
        "ISBN-1": Book("ISBN-1", 'Tí"tulo\n', 2, {"u-1": Loan("2026-12-18", 1, "B")}),
        "ISBN-2": Book("ISBN-2", "Dos", 1),
    }
    snapshot = Snapshot(books, Key(5, 1, "A"), {"A": 3, "B": 4}, Key(4, 0, "~"), 2)
    files.save(snapshot)

    assert files.load() == snapshot
    index = read_json(files.index)
    assert books_from_json(index["books"], index["loans"]) == books
    assert files.books.read_bytes() == expected(books)[0]
    assert files.loans.read_bytes() == expected(books)[1]
