"""The session store (SQLite under the home folder): turns in order, per tenant, list, delete,
retention; the history given to the generator fits its token budget, newest turns kept."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragkit.chat.history import history_within
from ragkit.chat.sessions import SessionStore, Turn

pytestmark = pytest.mark.unit


def turn(q: str, a: str = "an answer", ts: float | None = None) -> Turn:
    return Turn(0, ts if ts is not None else time.time(), q, q, "unchanged", a, False, [{"source": "a.md"}], "qid",
                0.0, {"total": 0.1})


def test_turns_are_numbered_kept_in_order_and_per_tenant(tmp_path):
    s = SessionStore(tmp_path / "chat" / "s.sqlite")
    assert s.add("s1", turn("one"), "acme").turn == 1
    assert s.add("s1", turn("two"), "acme").turn == 2
    s.add("s1", turn("other tenant"), "globex")
    assert [t.question for t in s.turns("s1", "acme")] == ["one", "two"]
    assert [t.question for t in s.turns("s1", "globex")] == ["other tenant"]
    assert s.turns("s1") == [] and s.turns("s1", "acme")[0].citations == [{"source": "a.md"}]
    assert [x.session_id for x in s.sessions("acme")] == ["s1"] and s.sessions("acme")[0].turns == 2
    assert s.delete("s1", "globex") == 1 and s.turns("s1", "acme") and s.delete("nope", "acme") == 0
    s.close()
    again = SessionStore(tmp_path / "chat" / "s.sqlite")  # persisted
    assert [t.question for t in again.turns("s1", "acme")] == ["one", "two"]
    again.close()


def test_retention_drops_idle_sessions(tmp_path):
    s = SessionStore(tmp_path / "s.sqlite", retention_days=1)
    s.add("old", turn("q", ts=time.time() - 3 * 86400))
    s.add("new", turn("q"))
    assert s.prune() == 1 and [x.session_id for x in s.sessions()] == ["new"]
    s.close()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=12), st.integers(0, 200),
       st.integers(0, 6))
def test_history_fits_its_budget_and_keeps_the_newest_turns(sizes, budget, max_turns):
    turns = [turn("q" * a, "a" * b) for a, b in sizes]
    count = len
    kept, dropped = history_within(turns, budget, count, max_turns or None)
    assert sum(len(t.question) + len(t.answer) + 8 for t in kept) <= budget
    assert kept == turns[len(turns) - len(kept):] and dropped == len(turns) - len(kept)
    if max_turns:
        assert len(kept) <= max_turns
