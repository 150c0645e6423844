"""Acceptance 2 of issue 5: a planted-citation set (data/planted_citations.jsonl over
data/planted_chunks.json). Verification must flag wrong sources, wrong pages, invented numbers,
unsupported and uncited claims, and must not flag correct citations or supported paraphrases:
precision and recall of flagging >= 0.9, with and without embedding support."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.answer.helpers import flagging_confusion

KINDS = {"correct", "paraphrase", "wrong_source", "wrong_page", "invented_number", "unsupported", "uncited"}


@pytest.mark.unit
def test_planted_set_is_big_and_varied(planted_cases, planted_chunks):
    assert len(planted_cases) >= 60
    kinds = Counter(c["kind"] for c in planted_cases)
    assert set(kinds) == KINDS and min(kinds.values()) >= 2
    assert all(c["flagged"] == (c["kind"] not in ("correct", "paraphrase")) for c in planted_cases)
    assert len({c["id"] for c in planted_cases}) == len(planted_cases)
    assert any(c.page is None for c in planted_chunks) and len({c.source for c in planted_chunks if c.page}) >= 2


@pytest.mark.unit
def test_planted_citations_lexical(planted_cases, planted_chunks):
    precision, recall, counts = flagging_confusion(planted_cases, planted_chunks)
    assert precision >= 0.9 and recall >= 0.9, counts
