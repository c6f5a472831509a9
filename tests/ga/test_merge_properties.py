"""The merge, as a property: same operations, any order, any duplicates,
same state and the same conflicts at both replicas."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ga.entry import Entry
from ga.hlc import Key
from ga.library import Library
from ga.rules import Book, Loan
from ga.snapshot import books_to_json

BASE = {
    "ISBN-1": Book("ISBN-1", "Uno", 1),
    "ISBN-2": Book("ISBN-2", "Dos", 2, {"u-3": Loan("2026-06-01", 1, "B")}),
}
METHODS = ("checkAndLoan", "renovar", "devolver")


@st.composite
def histories(draw) -> list[Entry]:
    """Operations stamped at one site, some retried at the other too."""
    stamps = draw(
        st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3)), unique=True)
    )
    entries = []
    for n, (wall_ms, counter) in enumerate(stamps):
        sites = draw(st.sampled_from(["A", "B", "AB"]))
        method = draw(st.sampled_from(METHODS))
        book = draw(st.sampled_from(sorted(BASE) + ["ISBN-9"]))
        user = draw(st.sampled_from(["u-1", "u-2", "u-3"]))
        ok = draw(st.booleans())
        for shift, site in enumerate(sites):
            key = Key(wall_ms + 40 * shift, counter, site)
            reply = {"ok": ok, "reason": None, "metadata": {}}
            entries.append(
                Entry(
                    site,
                    0,
                    key,
                    f"op-{n}",
                    method,
                    book,
                    user,
                    None,
                    "2026-05-28",
                    reply,
                )
            )
    return entries


def merged(entries: list[Entry], consolidate_at: int | None) -> tuple:
    library = Library(dict(BASE), Key(0, 0, ""))
    conflicts = []
    for position, entry in enumerate(entries):
        library.add(entry)
        if position == consolidate_at:
            conflicts += library.consolidate(Key(5, 0, "~"))
    conflicts += library.consolidate(Key(10**6, 0, "~"))
    late = sorted((c.entry.id, c.entry.key) for c in conflicts)
    return (
        books_to_json(library.base_books()),
        books_to_json(library.books.values()),
        late,
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data(), history=histories())
def test_any_delivery_order_with_duplicates_gives_the_same_state(data, history):
    one = data.draw(st.permutations(history))
    twice = data.draw(st.lists(st.sampled_from(history or [None]), max_size=5))
    other = data.draw(st.permutations(history + [e for e in twice if e]))

    assert merged(one, None) == merged(other, None)


@settings(max_examples=200, deadline=None)
@given(history=histories())
def test_in_order_delivery_matches_late_arrivals_above_the_frontier(history):
    in_order = sorted(history, key=lambda entry: entry.key)
    early = [e for e in in_order if e.key.wall_ms <= 5]
    late = [e for e in history if e.key.wall_ms > 5]

    assert merged(in_order, None) == merged(early + late, len(early) - 1)
