"""The extractive generator: the sentence that answers the question leads, each one cited."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ragkit.answer.refusal import ABSTAIN_TEXT
from ragkit.answer.citations import parse_citations
from ragkit.answer.extractive import extractive_answer, question_type
from ragkit.answer.text import content_words, split_sentences
from ragkit.answer.verify import verify_answer
from tests.answer.helpers import make_chunk, scored

pytestmark = pytest.mark.unit

TOWER = make_chunk(
    "The Eiffel Tower is a landmark of Paris. It attracts visitors from all over the world every year. "
    "Construction of the tower was completed in March 1889. The tower is 330 metres tall.",
    "eiffel.pdf", page=3, start=1000, chunk_id="tower", title="Eiffel Tower")
LEAVE = make_chunk(
    "Leave is an important part of employee wellbeing. Full-time employees receive 25 days of paid "
    "annual leave. Part-time employees receive leave in proportion to their hours.",
    "handbook.pdf", page=4, start=200, chunk_id="leave")
APOLLO = make_chunk(
    "Apollo 11 was a spaceflight. Neil Armstrong was the first person to walk on the Moon. "
    "Michael Collins stayed in orbit.", "apollo.html", chunk_id="apollo")


@pytest.mark.parametrize(
    "question, expected",
    [
        ("When was the Eiffel Tower completed?", "completed in March 1889"),
        ("How tall is the Eiffel Tower?", "330 metres tall"),
        ("How many days of annual leave do full-time employees get?", "25 days"),
        ("Who was the first person to walk on the Moon?", "Neil Armstrong"),
        ("Who stayed in orbit during Apollo 11?", "Michael Collins"),
    ],
)
def test_the_answering_sentence_leads(question, expected):
    res = extractive_answer(question, scored([LEAVE, TOWER, APOLLO]))
    assert expected in res.sentences[0].text
    assert not res.abstained and res.text.startswith(res.sentences[0].text)


def test_each_sentence_is_cited_and_located_in_its_source():
    res = extractive_answer("When was the tower completed and how tall is it?", scored([TOWER, LEAVE]))
    refs = parse_citations(res.text)
    assert len(refs) == len(res.sentences) >= 1
    for s, ref in zip(res.sentences, refs):
        chunk = {"tower": TOWER, "leave": LEAVE}[s.chunk_id]
        assert (ref.source, ref.page) == (chunk.source, chunk.page) == (s.source, s.page)
        assert " ".join(chunk.text[s.start - chunk.start:s.end - chunk.start].split()) == s.text
    assert "[Source: eiffel.pdf, page 3]" in res.text


def test_close_runners_up_follow_best_first_within_the_limit():
    museum = make_chunk("The museum has a cafe. The museum opens at nine in the morning. "
                        "The museum closes at six in the evening.", "museum.txt", chunk_id="m")
    q = "When does the museum open and when does the museum close?"
    res = extractive_answer(q, scored([museum]), max_sentences=3)
    assert len(res.sentences) == 2 and "cafe" not in res.text  # the cafe sentence is not close enough
    assert [s.score for s in res.sentences] == sorted((s.score for s in res.sentences), reverse=True)
    assert len(extractive_answer(q, scored([museum]), max_sentences=1).sentences) == 1


def test_rank_prior_breaks_ties_toward_the_better_ranked_chunk():
    a = make_chunk("The museum opens at nine in the morning.", "a.txt", chunk_id="a")
    b = make_chunk("The museum opens at nine in the morning.", "b.txt", chunk_id="b")
    assert extractive_answer("When does the museum open?", scored([b, a])).sentences[0].chunk_id == "b"
    assert extractive_answer("When does the museum open?", scored([a, b])).sentences[0].chunk_id == "a"


def test_abstains_when_nothing_overlaps_and_is_deterministic():
    res = extractive_answer("What is the airspeed of an unladen swallow?", scored([LEAVE, APOLLO]))
    assert res.abstained and res.text == ABSTAIN_TEXT and res.sentences == ()
    assert extractive_answer("Anything?", []).abstained
    q = "How tall is the Eiffel Tower?"
    assert extractive_answer(q, scored([TOWER, LEAVE])) == extractive_answer(q, scored([TOWER, LEAVE]))


def test_question_types():
    assert question_type("When did it open?") == "date"
    assert question_type("In what year was it built?") == "date"
    assert question_type("How many people live there?") == "number"
    assert question_type("Who designed it?") == "person"
    assert question_type("Where is it?") == "place"
    assert question_type("Why is it famous?") == "other"


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_its_own_answers_always_verify(planted_chunks, data):
    """Whatever the question, every citation the generator writes resolves and verifies."""
    chunk = data.draw(st.sampled_from(planted_chunks))
    sentence = data.draw(st.sampled_from(split_sentences(chunk.text)))
    words = content_words(sentence.text)
    picked = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=4)) if words else ["tower"]
    question = "What about " + " ".join(picked) + "?"
    ctx = scored(planted_chunks)
    res = extractive_answer(question, ctx)
    if res.abstained:
        return
    v = verify_answer(res.text, ctx)
    assert v.all_verified, [(c.source, c.reason) for c in v.citations]


def test_a_contracted_negation_is_a_content_word_and_counts_in_the_evidence_gate():
    # The shared stopword list holds the bare stems ("isn") for the chunker; a question's "isn't"
    # is content: SQuAD 2.0 makes unanswerable questions by adding one.
    assert content_words("What isn't the profession of Jake Rosenfield? He didn’t say.") == [
        "isn", "profession", "jake", "rosenfield", "didn", "say"]
    assert content_words("isn aren is not") == []  # bare stems and "not" stay stopwords
    from ragkit.answer.evidence_gate import evidence_features
    hits = scored([make_chunk("Sociologist Jake Rosenfield studies unions.", source="a.md")])
    plain = evidence_features("What is the profession of Jake Rosenfield?", hits, answerability=False)
    negated = evidence_features("What isn't the profession of Jake Rosenfield?", hits, answerability=False)
    assert negated["question_terms"] == plain["question_terms"] + 1
    assert negated["sentence_overlap"] < plain["sentence_overlap"]
