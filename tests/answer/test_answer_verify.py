"""Support scores and answer verification on hand-built chunks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ragkit.answer.refusal import ABSTAIN_TEXT
from ragkit.answer.citations import split_answer
from ragkit.answer.verify import support_score, verify_answer
from ragkit.types import Document, ScoredChunk
from tests.answer.helpers import make_chunk

pytestmark = pytest.mark.unit

DOC_TEXT = (
    "Front matter that is not part of the chunk. "
    "The Eiffel Tower is 330 metres tall. It was designed by the company of Gustave Eiffel. "
    "It was completed in March 1889 for the World's Fair."
)
CHUNK_START = DOC_TEXT.index("The Eiffel")
TOWER = make_chunk(DOC_TEXT[CHUNK_START:], "eiffel.pdf", page=2, start=CHUNK_START, chunk_id="t", title="Eiffel Tower")
COFFEE = make_chunk("Robusta beans contain roughly 2.7% caffeine. Brazil is the largest producer.", "coffee.txt",
                    chunk_id="c")


def test_support_hard_failures_and_score_bounds():
    ok = support_score("The tower was completed in March 1889.", TOWER.text)
    assert ok.score == 1.0 and ok.hard_failure is None
    assert ok.quote == "It was completed in March 1889 for the World's Fair."
    assert TOWER.text[ok.quote_start:ok.quote_end] == ok.quote
    wrong_year = support_score("The tower was completed in March 1890.", TOWER.text)
    assert wrong_year.missing_numbers == ("1890",) and "1890" in wrong_year.hard_failure
    wrong_name = support_score("The tower was designed by Maurice Koechlin.", TOWER.text)
    assert wrong_name.missing_names == ("maurice", "koechlin")
    off_topic = support_score("The tower is repainted to protect it from rust.", TOWER.text)
    assert 0.0 <= off_topic.score < 0.5
    assert support_score("anything at all", "").score == 0.0


def test_support_uses_title_and_a_window_of_sentences():
    # "Eiffel Tower" only in the title; 330 and "designed" in two adjacent sentences
    res = support_score("It is 330 metres tall and was designed by Gustave Eiffel.", TOWER.text, title=TOWER.title)
    assert res.score == 1.0 and res.hard_failure is None


def test_verified_citation_carries_span_quote_and_chunk():
    doc = Document(source="eiffel.pdf", text=DOC_TEXT, content_hash="h")
    v = verify_answer("The tower is 330 metres tall [Source: eiffel.pdf, page 2].", [ScoredChunk(TOWER, 1.0)])
    (c,) = v.citations
    assert (c.source, c.page, c.chunk_id, c.verified, c.reason) == ("eiffel.pdf", 2, "t", True, None)
    assert doc.text[c.start:c.end] == c.quote == "The Eiffel Tower is 330 metres tall."
    assert c.support >= 0.5 and v.all_verified and v.supported_share == 1.0


@pytest.mark.parametrize(
    "answer, reason_part",
    [
        ("The tower is 330 metres tall [Source: paris.pdf, page 2].", "not in the context"),
        ("The tower is 330 metres tall [Source: eiffel.pdf, page 9].", "page 9"),
        ("The tower is 350 metres tall [Source: eiffel.pdf, page 2].", "350"),
        ("The tower is repainted to protect it from rust [Source: eiffel.pdf, page 2].", "below min_support"),
        ("Robusta beans contain 2.7% caffeine [Source: eiffel.pdf, page 2].", "2.7"),
    ],
)
def test_flagged_citations_say_why(answer, reason_part):
    v = verify_answer(answer, [TOWER, COFFEE])
    assert not v.all_verified
    (c,) = v.citations
    assert not c.verified and reason_part in c.reason
    assert v.flagged and reason_part in v.flagged[0].reason


def test_uncited_claims_are_flagged_but_lead_ins_are_not():
    v = verify_answer("Here is what I found:\nThe tower is 330 metres tall [Source: eiffel.pdf, page 2]. "
                      "It is lit by 20,000 bulbs.", [TOWER])
    assert [(s.is_claim, s.supported, s.reason) for s in v.sentences] == [
        (False, True, None), (True, True, None), (True, False, "no citation")]
    assert v.supported_share == 0.5


def test_several_citations_can_support_a_sentence_together():
    v = verify_answer("The tower is 330 metres tall and Robusta contains 2.7% caffeine "
                      "[Source: eiffel.pdf, page 2; Source: coffee.txt].", [TOWER, COFFEE])
    assert v.all_verified and [c.chunk_id for c in v.citations] == ["t", "c"]


def test_strict_drops_unsupported_sentences_and_bad_markers_and_says_so():
    answer = ("The tower is 330 metres tall [Source: eiffel.pdf, page 2; Source: nowhere.pdf]. "
              "It was completed in 1889 [Source: eiffel.pdf, page 2] [Source: ghost.pdf]. "
              "It is painted gold every year [Source: eiffel.pdf, page 2].")
    lenient = verify_answer(answer, [TOWER])
    assert lenient.text == answer and not lenient.dropped
    v = verify_answer(answer, [TOWER], strict=True)
    assert v.dropped == (2,) and v.sentences[2].dropped
    assert v.text == ("The tower is 330 metres tall [Source: eiffel.pdf, page 2; Source: nowhere.pdf]. "
                      "It was completed in 1889 [Source: eiffel.pdf, page 2].")
    assert any("dropped 1 sentence" in n for n in v.notes) and any("removed 1 citation" in n for n in v.notes)


def test_strict_with_nothing_supported_abstains():
    v = verify_answer("The tower is painted gold [Source: eiffel.pdf, page 2].", [TOWER], strict=True)
    assert v.abstained and v.text == ABSTAIN_TEXT and v.dropped == (0,)


def test_an_abstaining_answer_is_not_flagged():
    v = verify_answer("I don't have enough information.", [TOWER])
    assert v.abstained and not v.flagged and v.citations == ()
    assert not v.all_verified  # nothing was verified: see test_answer_verified_meaning.py


def test_verification_is_deterministic():
    answer = "The tower is 330 metres tall [Source: eiffel.pdf, page 2]. It opened in 1890 [Source: eiffel.pdf]."
    assert verify_answer(answer, [TOWER, COFFEE]) == verify_answer(answer, [TOWER, COFFEE])


_PIECES = ["The tower is 330 metres tall", "It opened in 1890", "Robusta contains 2.7% caffeine", "Gold paint",
           "[Source: eiffel.pdf, page 2]", "[Source: eiffel.pdf]", "(source: coffee.txt)", "[Source: nowhere.md, p. 4]",
           "[Source: eiffel.pdf, page 2; coffee.txt]", ".", ". ", "\n- ", "\n\n", " ", "I don't know", ":"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14), st.booleans())
def test_verification_invariants_on_arbitrary_answers(pieces, strict):
    answer = "".join(pieces)
    v = verify_answer(answer, [TOWER, COFFEE], strict=strict)
    ids = {TOWER.chunk_id: TOWER, COFFEE.chunk_id: COFFEE}
    if v.abstained and not v.sentences:
        return
    assert len(v.citations) == sum(len(s.refs) for s in split_answer(answer))
    for c in v.citations:
        assert 0.0 <= c.support <= 1.0
        if c.verified:
            chunk = ids[c.chunk_id]
            assert chunk.start <= c.start < c.end <= chunk.end
            assert chunk.text[c.start - chunk.start:c.end - chunk.start] == c.quote
        else:
            assert c.reason
    for s in v.sentences:
        assert s.supported or s.reason
    if strict:
        assert all(s.supported or s.dropped for s in v.sentences if s.is_claim)
