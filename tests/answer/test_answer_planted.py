"""Acceptance 2 of issue 5: a planted-citation set (data/planted_citations.jsonl over
data/planted_chunks.json). Verification must flag wrong sources, wrong pages, invented numbers,
unsupported and uncited claims, and must not flag correct citations or supported paraphrases:
precision and recall of flagging >= 0.9, with and without embedding support."""

from __future__ import annotations

from collections import Counter

import pytest

from ragkit.answer.verify import verify_answer

KINDS = {"correct", "paraphrase", "wrong_source", "wrong_page", "invented_number", "unsupported", "uncited"}


def _confusion(cases, chunks, embed=None):
    counts = Counter()
    misses = []
    for case in cases:
        v = verify_answer(case["answer"], chunks, embed=embed, min_support=0.5)
        flagged = not v.all_verified
        key = ("t" if flagged == case["flagged"] else "f") + ("p" if flagged else "n")
        counts[key] += 1
        if flagged != case["flagged"]:
            misses.append((case["id"], [c.support for c in v.citations]))
    tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\nplanted citations (embed={'yes' if embed else 'no'}): tp={tp} fp={fp} fn={fn} tn={tn} "
          f"precision={precision:.3f} recall={recall:.3f} misses={misses}")
    return precision, recall, counts


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
    precision, recall, counts = _confusion(planted_cases, planted_chunks)
    assert precision >= 0.9 and recall >= 0.9, counts


@pytest.mark.integration
def test_planted_citations_with_embeddings(planted_cases, planted_chunks, embed):
    precision, recall, counts = _confusion(planted_cases, planted_chunks, embed=embed)
    assert precision >= 0.9 and recall >= 0.9, counts
