"""The answer layer with the real MiniLM embedder (loaded once per session): embedding
similarity joins the citation support score and the extractive sentence score, and the planted
citation set still meets precision and recall >= 0.9 with it."""

from __future__ import annotations

import pytest

from ragkit.answer.extractive import extractive_answer
from ragkit.answer.verify import embedding_can_change, support_score, verify_answer
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



class CountingEmbed:
    def __init__(self, embed):
        self.embed, self.texts = embed, []

    def __call__(self, texts):
        self.texts.extend(texts)
        return self.embed(texts)


CLAIMS = [
    "The Eiffel Tower is 330 metres tall.",  # quoted: lexical 1.0, verified whatever the embedding says
    "Its height is 330 metres.",  # a paraphrase: lexical alone cannot decide
    "Gustave Eiffel's company drew the plans for it.",
    "It was finished for the World's Fair.",
    "Tourists queue for hours at the top.",  # nothing of it in the chunk
    "The tower was completed in March 1889.",
]


def test_a_quoted_sentence_embeds_nothing(embed):
    counting = CountingEmbed(embed)
    v = verify_answer("The Eiffel Tower is 330 metres tall [Source: eiffel.pdf, page 2].", [TOWER], embed=counting)
    assert v.all_verified and counting.texts == []
    assert v.citations[0].support == support_score("The Eiffel Tower is 330 metres tall.", TOWER.text,
                                                   title=TOWER.title).score


@pytest.mark.parametrize("claim", CLAIMS)
@pytest.mark.parametrize("min_support", [0.3, 0.5, 0.7])
def test_embedding_only_where_it_can_change_the_verdict_and_the_verdict_is_the_full_scores(embed, claim,
                                                                                          min_support):
    full = support_score(claim, TOWER.text, title=TOWER.title, embed=embed)  # always embeds
    counting = CountingEmbed(embed)
    v = verify_answer(f"{claim[:-1]} [Source: eiffel.pdf, page 2].", [TOWER], embed=counting,
                      min_support=min_support)
    cit = v.citations[0]
    assert cit.verified == (full.hard_failure is None and full.score >= min_support), (claim, full, cit)
    decided = full.hard_failure is not None or not embedding_can_change(full.lexical, min_support)
    assert (counting.texts == []) == decided, (claim, full.lexical, counting.texts)
    assert cit.support == (full.lexical if decided else full.score)
