"""The offline condenser's rules, each on a case it could get wrong: pronouns by gender and number
against the names of the history (with their full form and possessive), places and ragkit's own
citation labels never taken for the referent, "what else" completed from the previous answer,
questions that stand alone (CAsT 2021's) returned unchanged, and on CANARD dev's held-out half the
measured added-word F1 kept."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragkit.chat.condense import HistoryTurn, OfflineCondenser
from ragkit.chat.words import PERSON_PRONOUNS, THING_PRONOUNS, words

pytestmark = pytest.mark.unit
C = OfflineCondenser()


def test_he_after_a_turn_about_a_named_person_gets_the_full_name():
    h = [HistoryTurn("Who founded the Mothers of Invention?", "Frank Zappa founded the band in 1964."),
         HistoryTurn("What did they play?", "Zappa wrote most of the songs; he also played guitar.")]
    c = C.condense("When was he born?", h)
    assert c.standalone == "When was Frank Zappa born?" and c.method == "offline"


def test_gender_picks_the_person_and_his_becomes_a_possessive():
    h = [HistoryTurn("Who did Johnny Bench marry?",
                     "Johnny Bench married Vickie Chesser in 1975; she was a model and he was a catcher.")]
    she = C.condense("Where was she born?", h).standalone
    he = C.condense("What was his best season?", h).standalone
    assert "Vickie Chesser" in she and "Bench" not in she
    assert he == "What was Johnny Bench's best season?"


def test_a_place_is_not_taken_for_he():
    h = [HistoryTurn("What was his early life like?",
                     "He was born in 1806 in Virginia; Maury later moved to Tennessee with his parents.")]
    out = C.condense("Where did he go to school?", h).standalone
    assert "Maury" in out and "Virginia" not in out and "Tennessee" not in out


def test_they_is_the_group():
    h = [HistoryTurn("What group disbanded?", "Zappa and the Mothers of Invention"),
         HistoryTurn("When did they disband?", "In late 1969, Zappa broke up the band.")]
    assert C.condense("What kind of music did they play?", h).standalone == \
        "What kind of music did Zappa and the Mothers of Invention play?"


def test_what_else_gets_the_previous_answer():
    h = [HistoryTurn("What did Jan van Eyck paint?", "the Madonna of Chancellor Rolin,")]
    c = C.condense("What was another success?", h)
    assert "besides Madonna of Chancellor Rolin" in c.standalone and "van Eyck" in c.standalone


def test_the_answers_citation_labels_are_not_names():
    h = [HistoryTurn("How do I get my cat to stop eating plastic?",
                     "Cats chew plastic when bored. [Source: MARCO_D1898529-1] Give it toys. [Source: WAPO_77-2]")]
    out = C.condense("What are his desires?", h).standalone
    assert "MARCO" not in out and "WAPO" not in out and "Source" not in out


@pytest.mark.parametrize("q", [
    "What are the pros and cons between a gas furnace and a heat pump?",
    "A heat pump seems very suitable for my house. How much does it cost to install one?",
    "But I've heard that pregnant women in France drink wine with dinner. Is that true?",
    "Okay. I would eventually like to spend time with my baby while working out too. Do you have any ideas for that?",
    "What? No, I want to know about the deadliness of lobular carcinoma in situ.",
    "Tell me about AC systems.",
    "No, I meant mania and depression.",
])
def test_cast_questions_that_stand_alone_come_back_unchanged(q):
    h = [HistoryTurn("What is a heat pump?", "A heat pump moves heat. [Source: MARCO_D1-1]"),
         HistoryTurn("How does it work?", "It uses a refrigerant cycle.")]
    c = C.condense(q, h)
    assert c.standalone == q and c.method == "unchanged"


@pytest.mark.parametrize("q", [
    "How fast can the unmodified base car go?", "Which is cheaper?", "Which one would be the best to use?",
    "What about cardio?", "What are the other steps?", "Why?",
])
def test_follow_ups_that_lean_on_the_history_are_not_taken_for_stand_alone(q):
    assert not C.stands_alone(q)


_VOCAB = ("he she it they his her their this that what about other else the cat band Zappa Frank reactor Alpha "
          "temperature runs when why did how is are of in and Virginia born married next").split()
_q = st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=9).map(lambda ws: " ".join(ws) + "?")
_a = st.lists(st.sampled_from(_VOCAB + [".", ","]), max_size=14).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(_q, st.lists(st.tuples(_q, _a), min_size=1, max_size=4))
def test_only_pronouns_are_replaced_the_rest_of_the_question_stays_in_order(q, hist):
    """The rewrite is the question with some pronouns replaced and, at its end, an addition in
    parentheses: every other word of the question is still there, in order."""
    out = C.condense(q, [HistoryTurn(a, b) for a, b in hist]).standalone
    pronouns = set(PERSON_PRONOUNS) | set(THING_PRONOUNS)
    keep = [w for w in words(q) if w.lower() not in pronouns]
    it = iter(words(out))
    assert all(any(x == w for x in it) for w in keep), (q, out)


def test_canard_held_out_half_keeps_its_measured_f1(shared):
    """The figure of bench/results/conversation-2026-12-03-d.json (held-out 0.381, names 0.219), within 0.011."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import conversation as bench

    path = shared / "data" / "multiturn" / "canard_dev.jsonl"
    if not path.is_file():
        pytest.skip("CANARD dev is not in the shared data folder")
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    held = [r for r in rows if bench.half(r["conv"]) == "heldout"]
    out = bench.canard(C, held)
    assert out["follow_ups"] == 1553
    assert out["added_word_f1"]["offline"] >= 0.37
    assert out["added_word_f1"]["offline"] > out["added_word_f1"]["frequent-name"] + 0.1
    assert out["added_names_all_present"]["offline"] >= 0.21
