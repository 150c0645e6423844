"""The answer layer with the real MiniLM embedder (loaded once per session): embedding
similarity joins the citation support score and the extractive sentence score, and the planted
citation set still meets precision and recall >= 0.9 with it."""

from __future__ import annotations

import pytest

from ragkit.answer.extractive import extractive_answer
from ragkit.answer.verify import support_score, verify_answer
from tests.answer.helpers import flagging_confusion, make_chunk, scored

TOWER = make_chunk("The Eiffel Tower is 330 metres tall. It was designed by the company of Gustave Eiffel. "
                   "It was completed in March 1889 for the World's Fair.", "eiffel.pdf", page=2, chunk_id="t",
                   title="Eiffel Tower")

pytestmark = pytest.mark.integration


def test_embedding_support_is_used_when_given(embed):
    claim = "Its height is 330 metres."
    lexical = support_score(claim, TOWER.text, title=TOWER.title)
    both = support_score(claim, TOWER.text, title=TOWER.title, embed=embed)
    assert lexical.embedding is None and both.embedding is not None and 0.0 < both.embedding <= 1.0
    assert both.score != lexical.score and both.lexical == lexical.lexical
    v = verify_answer(f"{claim[:-1]} [Source: eiffel.pdf, page 2].", [TOWER], embed=embed)
    assert v.all_verified and v.citations[0].support == both.score


def test_embedding_similarity_joins_the_score(embed):
    q = "What is the height of the tower?"  # "height" is not in the chunk: lexical overlap is only "tower"
    plain = extractive_answer(q, scored([TOWER]))
    with_emb = extractive_answer(q, scored([TOWER]), embed=embed)
    assert "330 metres tall" in with_emb.sentences[0].text
    assert with_emb.sentences[0].score != plain.sentences[0].score


def test_planted_citations_with_embeddings(planted_cases, planted_chunks, embed):
    precision, recall, counts = flagging_confusion(planted_cases, planted_chunks, embed=embed)
    assert precision >= 0.9 and recall >= 0.9, counts

