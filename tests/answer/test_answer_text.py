"""Sentences, content words, numbers and names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ragkit.answer.text import (
    QUESTION_WORDS,
    claim_numbers,
    content_stems,
    names,
    number_forms,
    split_sentences,
    stems_match,
)

pytestmark = pytest.mark.unit


def test_sentences_respect_abbreviations_initials_and_decimals():
    text = "Dr. Smith paid $3.50 on Jan. 5. J. R. R. Tolkien wrote it, e.g. in 1937. The U.S. Army agreed! Why? Yes."
    got = [s.text for s in split_sentences(text)]
    assert got == [
        "Dr. Smith paid $3.50 on Jan. 5.",
        "J. R. R. Tolkien wrote it, e.g. in 1937.",
        "The U.S. Army agreed!",
        "Why?",
        "Yes.",
    ]


def test_sentences_split_at_blank_lines_and_list_items_not_at_wrapped_lines():
    text = "A heading\n\nFirst line wraps\nonto the next. Second.\n- item one\n- item two"
    assert [s.text for s in split_sentences(text)] == [
        "A heading", "First line wraps\nonto the next.", "Second.", "- item one", "- item two",
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .?!\n-1A,")), max_size=120))
def test_sentence_offsets_are_exact_ordered_and_disjoint(text):
    prev_end = 0
    for s in split_sentences(text):
        assert text[s.start:s.end] == s.text
        assert s.text == s.text.strip() and s.text
        assert s.start >= prev_end
        prev_end = s.end
    # nothing but whitespace is lost
    covered = "".join(s.text for s in split_sentences(text))
    assert covered.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_content_stems_drop_stopwords_question_words_and_stem():
    assert content_stems("What is the height of the Eiffel Tower's antennas?", drop=QUESTION_WORDS) == [
        "height", "eiffel", "tower", "antenna"]
    assert content_stems("Running runners ran") == ["run", "runner", "ran"]


def test_numbers_are_normalized_across_spellings():
    assert number_forms("It cost 1,500 dollars") == {"1500"}
    assert {"2.5", "2500000"} <= number_forms("2.5 million people")
    assert "3" in number_forms("the third quarter") and "3" in number_forms("three levels")
    assert "1990" in number_forms("in the 1990s")
    assert "3.5" in number_forms("3.50 metres")


def test_claim_numbers_skip_pronoun_like_words():
    raws = [r for r, _ in claim_numbers("One of the two towers opened in 1889, half a century later")]
    assert raws == ["1889", "two"]


def test_names_skip_sentence_initial_words():
    assert names("In 1889, Gustave Eiffel built it in Paris. The NASA team met Marie Curie's son.") == [
        "gustave", "eiffel", "paris", "nasa", "marie", "curie"]


def test_stems_match_grades_exact_and_prefix():
    assert stems_match("employ", "employ") == 1.0
    assert stems_match("employe", "employ") == 0.8
    assert stems_match("intern", "interest") == 0.0
    assert stems_match("199012", "199013") == 0.0  # numbers never match by prefix


def test_initials_after_a_name_and_spaced_ellipses_do_not_end_a_sentence():
    text = ("Leaders: John Adams, Rutherford B. Hayes, Franklin D. Roosevelt and others. Take vitamin A. "
            "It helps . . . a little. Done.")
    got = [s.text for s in split_sentences(text)]
    assert got == ["Leaders: John Adams, Rutherford B. Hayes, Franklin D. Roosevelt and others.", "Take vitamin A.",
                   "It helps . . . a little.", "Done."]
