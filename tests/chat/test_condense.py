"""The offline condenser: a first turn and a question that stands alone are left exactly as they
are; pronouns are resolved against the history's names and noun phrases; an elliptical follow-up
gets the conversation's topic; the question's own content words always survive."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragkit.chat.condense import HistoryTurn, OfflineCondenser, keeps_content_words

pytestmark = pytest.mark.unit
C = OfflineCondenser()
ZAPPA = [HistoryTurn("What group disbanded?", "Zappa and the Mothers of Invention"),
         HistoryTurn("When did they disband?", "In late 1969, Zappa broke up the band.")]


def test_first_turn_and_stand_alone_questions_are_unchanged():
    assert C.condense("When did they disband?", []).standalone == "When did they disband?"
    q = "What are the pros and cons between a gas furnace and a heat pump?"
    c = C.condense(q, ZAPPA)
    assert c.standalone == q and c.method == "unchanged" and not c.changed


def test_a_pronoun_is_resolved_against_the_history():
    c = C.condense("Why did they break up?", ZAPPA)
    assert c.changed and "Zappa" in c.standalone and c.standalone.startswith("Why did ")
    h = [HistoryTurn("Who is Johnny Bench?", "Johnny Bench is a former catcher of the Cincinnati Reds.")]
    assert "Bench" in C.condense("Was he married?", h).standalone


def test_an_elliptical_follow_up_gets_the_topic():
    h = [HistoryTurn("How do I build a cheap driveway?", "Gravel is the cheapest driveway material.")]
    c = C.condense("And most low-maintenance?", h)
    assert c.changed and "driveway" in c.standalone.lower() and "low-maintenance" in c.standalone


def test_keeps_content_words_names_what_a_rewrite_drops():
    ok, missing = keeps_content_words("How deadly is lobular carcinoma?", "How deadly is it?")
    assert not ok and set(missing) == {"lobular", "carcinoma"}
    assert keeps_content_words("How deadly is it?", "How deadly is lobular carcinoma?")[0]


words = st.sampled_from("he she it they his their this that what about other the cat band Zappa reactor "
                        "temperature runs when why did how is are of in and".split())
questions = st.lists(words, min_size=1, max_size=9).map(lambda ws: " ".join(ws) + "?")
turns = st.lists(st.tuples(questions, st.lists(words, max_size=12).map(" ".join)), max_size=4)


@settings(max_examples=150, deadline=None)
@given(questions, turns)
def test_the_question_keeps_its_content_words_and_a_stand_alone_one_is_untouched(q, hist):
    history = [HistoryTurn(a, b) for a, b in hist]
    c = C.condense(q, history)
    assert keeps_content_words(q, c.standalone)[0]
    if C.stands_alone(q) or not history:
        assert c.standalone == q
    assert C.condense(q, history) == c  # deterministic
