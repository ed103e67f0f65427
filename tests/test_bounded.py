"""The bounded dict that what a worker keeps between requests lives in."""

from __future__ import annotations

from app.bounded import BoundedDict


def test_it_keeps_the_newest_entries_up_to_its_limit():
    kept: BoundedDict[str, int] = BoundedDict(3)
    assert [kept.keep(k, i) for i, k in enumerate("abcde")] == [0, 1, 2, 3, 4]
    assert dict(kept) == {"c": 2, "d": 3, "e": 4}


def test_writing_a_kept_key_again_makes_it_the_newest():
    kept: BoundedDict[str, int] = BoundedDict(3)
    for i, k in enumerate("abc"):
        kept.keep(k, i)
    kept.keep("a", 10)  # rewritten: now the newest, so "b" is the oldest
    kept.keep("d", 3)
    assert list(kept.items()) == [("c", 2), ("a", 10), ("d", 3)]
