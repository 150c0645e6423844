"""Sentences too long for one chunk: pieces that fit, few token counts, no title alone, no tail
of a few words."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ragkit.ingest.chunking import FixedSizeStrategy, RecursiveStrategy, SemanticStrategy, SentenceChunker, TokenBudget

pytestmark = pytest.mark.unit


def test_huge_word_is_cut_with_few_counts():
    calls = []

    def counting(texts: list[str]) -> list[int]:
        calls.append(len(texts))
        return [len(t) for t in texts]  # characters

    text = "Start here. " + "z" * 20_000 + " end."
    c = SentenceChunker(FixedSizeStrategy(), [TokenBudget("chars", counting, 100)])
    pieces = c.split(text)
    assert "".join(p.text for p in pieces).replace(" ", "") == text.replace(" ", "")
    assert pieces[0].text.startswith("Start here. z")  # the short sentence shares the first piece
    assert all(len(p.text) <= 100 for p in pieces)
    assert len(calls) <= 12 * len(pieces)  # a handful of counts per piece, never one per character



def chars(texts: list[str]) -> list[int]:
    return [len(t) for t in texts]


@pytest.mark.parametrize("strategy", [FixedSizeStrategy(), RecursiveStrategy(min_tokens=30),
                                      SemanticStrategy(min_tokens=30)])
def test_a_title_before_an_overlong_sentence_is_packed_with_its_first_piece(strategy):
    # Found on SQuAD: "Harvard University" + a 1,200-character list came out as the title alone,
    # one full piece and a tail of five words.
    body = "; ".join(f"Minister number {i} of the land" for i in range(9)) + "."
    text = "Harvard University\n\n" + body
    pieces = SentenceChunker(strategy, [TokenBudget("chars", chars, 120)]).split(text)
    assert len(pieces) > 2 and pieces[0].text.startswith("Harvard University\n\nMinister number 0")
    assert all(len(p.text) <= 120 for p in pieces)
    assert min(len(p.text) for p in pieces) >= 40, [p.text for p in pieces]


def test_the_last_two_pieces_of_a_long_sentence_share_its_words_and_prefer_a_clause_cut():
    body = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda, mu nu xi omicron pi rho sigma tau"
    text = (body + " ") * 2 + "upsilon phi."
    pieces = SentenceChunker(FixedSizeStrategy(), [TokenBudget("chars", chars, 150)]).split(text)
    assert [len(p.text) for p in pieces[-2:]] != [150, len(text) - 151]  # not greedy: no short tail
    assert min(len(p.text) for p in pieces) >= 150 // 3
    assert any(p.text.endswith(",") for p in pieces[:-1])  # the cut comes after a comma near the middle
    assert text[pieces[-1].start:pieces[-1].end] == pieces[-1].text


@settings(max_examples=60, deadline=None)
@given(n_words=st.integers(30, 300), lengths=st.lists(st.integers(1, 12), min_size=30, max_size=300),
       room=st.integers(60, 200))
def test_no_piece_of_an_overlong_sentence_is_a_fragment(n_words, lengths, room):
    words_ = ["w" * lengths[i % len(lengths)] for i in range(n_words)]
    body = " ".join(words_) + "."
    assume(len(body) > room)  # a sentence that fits a chunk alone is never cut (the title may then be alone)
    text = "Short title\n\n" + body
    pieces = SentenceChunker(FixedSizeStrategy(), [TokenBudget("chars", chars, room)]).split(text)
    assert all(len(p.text) <= room for p in pieces)
    assert all(text[p.start:p.end] == p.text for p in pieces)
    assert pieces[0].text != "Short title"
    if len(pieces) > 1:
        assert min(len(p.text) for p in pieces) >= room // 4, [len(p.text) for p in pieces]


@pytest.mark.parametrize("strategy", [FixedSizeStrategy(), RecursiveStrategy(min_tokens=30),
                                      SemanticStrategy(min_tokens=30)])
def test_room_left_for_a_title_never_cuts_a_first_word_that_fits(strategy):
    # Found by the property test in CI: the room kept for the unit before the sentence made a
    # first word that fits the chunk alone (but not beside the title) be cut mid-word.
    text = "Short title.\n\n" + "x" * 110 + "yz and then more words. End."
    pieces = SentenceChunker(strategy, [TokenBudget("chars", chars, 120)]).split(text)
    assert all(len(p.text) <= 120 for p in pieces)
    word = "x" * 110 + "yz"
    assert any(word in p.text for p in pieces), [p.text for p in pieces]
    assert all(text[p.start:p.end] == p.text for p in pieces)
