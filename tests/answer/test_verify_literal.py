"""Verification's literal checks: negation, numbers where the claim's words are, code spans, and
a citation that closes its sentence (issue 15's planted-error set: bench/verification.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ragkit.answer.citations import split_answer
from ragkit.answer.text import negation_count
from ragkit.answer.verify import support_score, verify_answer
from tests.answer.helpers import make_chunk

pytestmark = pytest.mark.unit

STRICT = ("Strict mode is off by default, so an unverified sentence is kept but flagged. "
          "Turn it on with answer.strict. It does not change retrieval. Nothing else is needed.")
PORTS = ("Port 6333 is Qdrant's HTTP port; 6334 is its gRPC port. The server needs no GPU. "
         "Qdrant keeps its data under /qdrant/storage. Back it up with snapshots. "
         "vLLM serves models at 8000 by default.")
CONFIG = "The constant k is `retrieval.rrf_k`, 60 by default. Set `retrieval.mode` to `dense` to turn BM25 off."


def test_negation_counts_cues_and_contractions():
    assert negation_count("It is not here, it isn't there, and no one can’t say") == 4
    assert negation_count("Notable knots are nothing new") == 1
    assert negation_count("A positive sentence.") == 0


@pytest.mark.parametrize("claim", [
    "Strict mode is not off by default.",
    "Strict mode isn't off by default, so an unverified sentence is kept but flagged.",
    "An unverified sentence is never kept.",
])
def test_a_negation_the_source_does_not_state_is_a_hard_failure(claim):
    res = support_score(claim, STRICT)
    assert res.negation and "negation not in the source" in res.hard_failure


@pytest.mark.parametrize("claim", [
    "Strict mode is off by default, so an unverified sentence is kept but flagged.",
    "It does not change retrieval.",  # the source's own negation
    "Nothing else is needed.",
])
def test_the_source_own_polarity_verifies(claim):
    res = support_score(claim, STRICT)
    assert res.negation is None and res.hard_failure is None and res.score >= 0.5


def test_a_negation_elsewhere_in_the_chunk_does_not_excuse_one_in_the_claim():
    """STRICT has 'not' and 'Nothing' in later sentences; the claim's window is the first."""
    assert support_score("Strict mode is off by default, so an unverified sentence is not kept.", STRICT).negation


def test_a_number_must_be_where_the_claim_words_are():
    swapped = support_score("vLLM serves models at 6333 by default.", PORTS)
    assert swapped.missing_numbers == ("6333",)
    assert support_score("vLLM serves models at 8000 by default.", PORTS).hard_failure is None


def test_code_spans_are_literal():
    ok = support_score("The constant k is `retrieval.rrf_k`, 60 by default.", CONFIG)
    assert ok.hard_failure is None
    bad = support_score("The constant k is `retrieval.rrf_c`, 60 by default.", CONFIG)
    assert bad.missing_names == ("`retrieval.rrf_c`",)
    assert support_score("Set `retrieval.mode` to `sparse` to turn BM25 off.", CONFIG).missing_names == ("`sparse`",)


def test_a_mixed_case_name_counts_even_first_in_a_sentence():
    assert support_score("vLLM serves models at 8000 by default.", PORTS).missing_names == ()
    assert "ollama" in support_score("OLLama serves models at 8000 by default.", PORTS).missing_names


def test_a_citation_closes_its_sentence_before_a_new_one():
    text = ("Point an openai route at it with base_url: [Source: deploy.pdf, page 2] "
            "Port 6333 is Qdrant's HTTP port. [Source: deploy.pdf, page 1]")
    sents = split_answer(text)
    assert [s.claim for s in sents] == ["Point an openai route at it with base_url:", "Port 6333 is Qdrant's HTTP port."]
    assert [[r.page for r in s.refs] for s in sents] == [[2], [1]]
    row = "| `rrf_k` | `60` | the RRF constant | [Source: conf.md] The constant k is 60. [Source: retrieval.md]"
    assert len(split_answer(row)) == 2
    inside = "BM25 [Source: a.md] and dense vectors [Source: b.md], fused, give the best results."
    assert len(split_answer(inside)) == 1


def test_a_number_from_another_window_of_the_chunk_is_flagged():
    chunk = make_chunk(PORTS, "deploy.pdf", page=1, chunk_id="p")
    ok = verify_answer("Qdrant keeps its data under /qdrant/storage. [Source: deploy.pdf, page 1]", [chunk])
    assert ok.all_verified
    far = verify_answer("Port 8000 is Qdrant's HTTP port. [Source: deploy.pdf, page 1]", [chunk])
    assert not far.all_verified and "8000" in far.reason


_WORDS = st.sampled_from("index chunk vector query model server answer source filter cache".split())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_WORDS, min_size=4, max_size=9), min_size=1, max_size=6), st.data())
def test_any_sentence_of_a_passage_cited_verbatim_verifies(sentences, data):
    """The planted-error bench's 'correct' kind as a property: a sentence the chunk states, cited
    to it, verifies (whatever negations or numbers the other sentences have)."""
    texts = [" ".join(ws).capitalize() + (" not" if i % 2 else "") + f" {i * 7}." for i, ws in enumerate(sentences)]
    chunk = make_chunk(" ".join(texts), "p.md", chunk_id="x")
    pick = data.draw(st.sampled_from(texts))
    v = verify_answer(f"{pick} [Source: p.md]", [chunk])
    assert v.all_verified, v.reason


def test_a_slide_is_cited_as_a_slide_and_the_citation_resolves():
    from ragkit.answer.context import citation_label

    deck = make_chunk("Revenue grew 12 percent in the third quarter.", "decks/q3.pptx", page=4, chunk_id="s",
                      page_label="slide")
    label = citation_label(deck)
    assert label == "[Source: decks/q3.pptx, slide 4]"
    v = verify_answer(f"Revenue grew 12 percent in the third quarter. {label}", [deck])
    assert v.all_verified and v.citations[0].page == 4
    wrong = verify_answer("Revenue grew 12 percent in the third quarter. [Source: decks/q3.pptx, slide 5]", [deck])
    assert not wrong.all_verified
