"""Abstention: evidence features, thresholds, and recognising a model's own refusal."""

from __future__ import annotations

import math

import pytest

from ragkit.answer.evidence_gate import AbstentionThresholds, evidence_features, should_abstain
from ragkit.answer.refusal import ABSTAIN_TEXT, is_abstention
from ragkit.config.app import AnswerConfig
from tests.answer.helpers import make_chunk, scored

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text",
    [
        ABSTAIN_TEXT,
        "I don't have enough information.",
        "I do not have enough information to answer that.",
        "i dont have enough information",
        "I don’t know.",
        "Sorry, I don't know the answer to that.",
        "The context does not contain information about the CEO's salary.",
        "The provided documents do not mention a refund policy.",
        "I cannot answer this question from the provided context.",
        "Unfortunately, I am unable to determine that from the documents.",
        "Based on the provided context, there is no information about 2024 revenue.",
        "This is not mentioned in the provided context.",
        "The answer is not in the documents.",
        "**I don't have enough information.**",
        "",
    ],
)
def test_refusals_are_abstentions(text):
    assert is_abstention(text)


@pytest.mark.parametrize(
    "text",
    [
        "The information desk is on the ground floor [Source: guide.pdf, page 2].",
        "Employees receive information about benefits in their first week.",
        "Information about the tower is available in three languages.",
        "The song \"I Don't Know\" was released in 1999.",
        "The context does not contain the 2023 figures, but the 2022 revenue was $40 million [Source: r.pdf, page 1].",
        "The tower is 330 metres tall [Source: eiffel.pdf, page 2].",
        "Revenue information: $48.2 million in Q3 [Source: q3.pdf, page 2].",
    ],
)
def test_answers_are_not_abstentions(text):
    assert not is_abstention(text)


QUESTION = "How tall is the Eiffel Tower in Paris?"
GOOD = make_chunk("The Eiffel Tower in Paris is 330 metres tall. It opened in 1889.", "eiffel.pdf", page=2,
                  chunk_id="g", title="Eiffel Tower")
WEAK = make_chunk("Coffee is grown in Brazil. Robusta is bitter.", "coffee.txt", chunk_id="w")
PARTIAL = make_chunk("The tower of Pisa is tall.", "pisa.txt", chunk_id="p")


def test_features_hand_computed():
    f = evidence_features(QUESTION, scored([GOOD, WEAK, PARTIAL], rerank=[4.0, -6.0, -2.0], fused=[0.03, 0.02, 0.01]))
    # question content terms: tall, eiffel, tower, paris ("how", "is", "the", "in" dropped)
    assert f["question_terms"] == 4.0 and f["n_candidates"] == 3.0
    assert f["rerank_top"] == 4.0 and f["rerank_margin"] == 6.0 and f["fused_top"] == 0.03
    assert f["score_top"] == 3.0 and f["score_margin"] == 1.0
    assert f["overlap_top1"] == 1.0 and f["sentence_overlap"] == 1.0 and f["window_overlap"] == 1.0
    assert f["name_overlap"] == 1.0
    assert "dense_top" not in f and "sparse_top" not in f  # absent stages give no key
    f2 = evidence_features(QUESTION, scored([WEAK, PARTIAL]))
    assert f2["overlap_top1"] == 0.0 and f2["overlap_top3"] == 0.5  # tower, tall from pisa.txt
    assert f2["name_overlap"] == pytest.approx(1 / 3)  # names Eiffel, Tower, Paris: only "tower" found
    assert evidence_features(QUESTION, []) == {"n_candidates": 0.0, "question_terms": 4.0}


def test_should_abstain_applies_configured_thresholds_and_explains():
    good = scored([GOOD, WEAK], rerank=[4.0, -6.0])
    weak = scored([WEAK, PARTIAL], rerank=[-5.0, -7.0])
    th = AbstentionThresholds(min_rerank=0.0, min_window_overlap=0.6)
    assert should_abstain(QUESTION, good, th) == (False, "")
    yes, reason = should_abstain(QUESTION, weak, th)
    assert yes and "top reranker score -5.000 is below the threshold 0.000 (answer.abstain_min_rerank)" == reason
    # without a reranker score the rerank check is skipped; the overlap check still catches it
    yes, reason = should_abstain(QUESTION, scored([WEAK, PARTIAL]), th)
    assert yes and "answer.abstain_min_window_overlap" in reason
    assert should_abstain(QUESTION, [], AbstentionThresholds()) == (True, "retrieval returned no candidates")
    assert should_abstain(QUESTION, weak, AbstentionThresholds()) == (False, "")  # nothing configured


def test_thresholds_from_config():
    cfg = AnswerConfig(abstain_min_rerank=-1.5, abstain_min_overlap=0.4, abstain_min_window_overlap=0.6)
    th = AbstentionThresholds.from_config(cfg)
    assert (th.min_rerank, th.min_fused, th.min_overlap, th.min_window_overlap) == (-1.5, None, 0.4, 0.6)
    f = evidence_features(QUESTION, scored([GOOD]))
    assert all(isinstance(v, float) and not math.isnan(v) for v in f.values())
