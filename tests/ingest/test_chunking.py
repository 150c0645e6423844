"""Chunking pieces on hand-built inputs: sentences, cohesion maths, packing, strategies, ids."""

from __future__ import annotations

import uuid
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragkit.config.data import ChunkingConfig
from ragkit.errors import ConfigError
from ragkit.ingest.chunking import (
    CHUNK_NAMESPACE,
    FixedSizeStrategy,
    RecursiveStrategy,
    SemanticStrategy,
    SentenceChunker,
    TokenBudget,
    build_chunker,
    chunk_document,
    chunk_documents,
    split_sentences,
)
from ragkit.ingest.chunking.cohesion import batch_gap_similarities, boundaries, depth_scores, gap_similarities
from ragkit.ingest.chunking.packing import NEVER, GapPlan, pack
from ragkit.ingest.chunking.units import _longest
from ragkit.text.sentences import gap_levels
from ragkit.protocols import Chunker
from ragkit.types import Document, Span

pytestmark = pytest.mark.unit


def words(texts: list[str]) -> list[int]:
    """A real, simple token counter: whitespace-separated words."""
    return [len(t.split()) for t in texts]


def sents(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


# ---- sentences ------------------------------------------------------------------------------------
def test_abbreviations_decimals_and_figures_do_not_split():
    text = "Dr. Smith et al. showed e.g. a 3.5-fold rise (see Fig. 2 and No. 5 in the U.S. data). It held."
    assert sents(text) == [
        "Dr. Smith et al. showed e.g. a 3.5-fold rise (see Fig. 2 and No. 5 in the U.S. data).",
        "It held.",
    ]


def test_terminators_quotes_ellipses_and_lowercase_continuations():
    text = 'Wait... what? Yes! "Quoted." Then it went on... and on. 2024 was a year.'
    assert sents(text) == ["Wait... what?", "Yes!", '"Quoted."', "Then it went on... and on.", "2024 was a year."]


def test_newlines_paragraphs_lists_and_headings_are_boundaries():
    text = "# Title\nIntro line without a stop\nstill the same sentence\n\nNew paragraph\n- item one\n- item two\n1. numbered"
    assert sents(text) == [
        "# Title",
        "Intro line without a stop\nstill the same sentence",
        "New paragraph",
        "- item one",
        "- item two",
        "1. numbered",
    ]


def test_spans_are_trimmed_and_cover_all_non_whitespace():
    text = "  \n One.  Two?\t\tThree!  \n\n  Four  "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["One.", "Two?", "Three!", "Four"]
    covered = {i for s, e in spans for i in range(s, e)}
    assert all(i in covered for i, c in enumerate(text) if not c.isspace())
    assert split_sentences("   \n\t ") == []


def test_gap_levels():
    text = "Aa. Bb.\nCc.\n\nDd."  # (single capitals with dots would read as initials: "J. R. R.")
    assert gap_levels(text, split_sentences(text)) == [0, 0, 1, 2]


# ---- cohesion maths -------------------------------------------------------------------------------
def test_gap_similarities_identical_and_disjoint_windows():
    terms = [[1, 2], [1, 2], [3, 4], [3, 4]]
    assert np.allclose(gap_similarities(terms, 1), [1.0, 0.0, 1.0])
    assert np.allclose(gap_similarities(terms, 2), [np.sqrt(0.5), 0.0, np.sqrt(0.5)])
    assert np.allclose(gap_similarities([[], [1]], 1), [0.0])  # an empty window has no similarity
    assert gap_similarities([[1]], 3).shape == (0,)


def reference_similarities(terms: list[list[int]], window: int) -> list[float]:
    """The definition, computed the slow way with dictionaries."""
    out = []
    for g in range(1, len(terms)):
        left, right = Counter(), Counter()
        for s in terms[max(0, g - window) : g]:
            left.update(s)
        for s in terms[g : g + window]:
            right.update(s)
        dot = sum(c * right[t] for t, c in left.items())
        norm = np.sqrt(sum(c * c for c in left.values()) * sum(c * c for c in right.values()))
        out.append(dot / norm if norm else 0.0)
    return out


def test_batched_similarities_match_the_definition_document_by_document():
    rng = np.random.default_rng(0)
    docs = [
        [[int(t) for t in rng.integers(0, 25, size=rng.integers(0, 7))] for _ in range(rng.integers(0, 30))]
        for _ in range(40)
    ]
    for window in (1, 3):
        batched = batch_gap_similarities(docs, window)
        assert len(batched) == len(docs)
        for doc, sims in zip(docs, batched):
            assert np.allclose(sims, reference_similarities(doc, window))


def test_depth_scores_climb_to_the_peaks_on_each_side():
    sims = np.array([0.9, 0.8, 0.2, 0.7, 0.9, 0.1, 0.5])
    depth = depth_scores(sims)
    assert depth[2] == pytest.approx((0.9 - 0.2) + (0.9 - 0.2))
    assert depth[5] == pytest.approx((0.9 - 0.1) + (0.5 - 0.1))
    assert depth[0] == 0 and depth[4] == 0
    assert list(boundaries(sims, depth)) == [False, False, True, False, False, True, False]


def test_flat_cohesion_has_no_boundaries():
    sims = np.full(6, 0.5)
    assert not boundaries(sims, depth_scores(sims)).any()


def test_sentence_terms_drop_stopwords_and_share_stems():
    from ragkit.ingest.chunking.cohesion import make_stemmer, sentence_terms

    vocab: dict[str, int] = {}
    terms = sentence_terms([["The cats were running.", "A cat runs!"], ["Of the and to."]], make_stemmer(), vocab)
    assert set(vocab) == {"cat", "run"}
    assert terms == [[[vocab["cat"], vocab["run"]], [vocab["cat"], vocab["run"]]], [[]]]


@given(lo=st.integers(0, 5), span=st.integers(0, 3000), data=st.data())
@settings(max_examples=300, deadline=None)
def test_longest_prefix_search_finds_the_boundary(lo, span, data):
    hi = lo + span
    answer = data.draw(st.integers(lo, hi))
    guess = data.draw(st.integers(lo - 5, hi + 5))
    calls = []

    def ok(i: int) -> bool:
        assert lo <= i <= hi
        calls.append(i)
        return i <= answer

    assert _longest(ok, lo, hi, guess) == answer
    assert len(calls) <= 4 * max(1, span).bit_length() + 2


# ---- packing --------------------------------------------------------------------------------------
def plan(n, score=None, voluntary=None, overlap=True, greedy=False, min_tokens=0):
    return GapPlan(
        score if score is not None else [0.0] * n,
        voluntary if voluntary is not None else [False] * n,
        [overlap] * n,
        greedy=greedy,
        min_tokens=min_tokens,
    )


def test_greedy_packing_fills_each_chunk():
    costs = [[3, 3, 3, 3, 3]]
    assert pack(costs, [7], [True] * 5, plan(5, greedy=True), 0) == [(0, 0, 2), (2, 2, 4), (4, 4, 5)]


def test_every_budget_binds():
    costs = [[1, 1, 1, 1], [5, 5, 5, 5]]  # the second budget is the tight one
    assert pack(costs, [100, 10], [True] * 4, plan(4, greedy=True), 0) == [(0, 0, 2), (2, 2, 4)]


def test_best_cut_prefers_the_highest_scoring_gap():
    costs = [[2, 2, 2, 2, 2]]
    score = [NEVER, 0.1, 0.9, 0.2, 0.3]
    # chunk full at 4 units (room 8); the best gap inside is before unit 2
    assert pack(costs, [8], [True] * 5, plan(5, score=score), 0)[0] == (0, 0, 2)


def test_min_tokens_rules_out_early_cuts():
    costs = [[2] * 7]
    score = [NEVER, 0.9, 0.1, 0.2, 0.3, 0.0, 0.0]
    assert pack(costs, [8], [True] * 7, plan(7, score=score, min_tokens=4), 0)[0] == (0, 0, 4)


def test_forced_cut_prefers_leaving_min_tokens_after_it():
    costs = [[2] * 5]
    score = [NEVER, 0.0, 0.1, 0.2, 0.9]  # the best gap (before unit 4) would leave 2 tokens after it
    assert pack(costs, [8], [True] * 5, plan(5, score=score, min_tokens=4), 0)[0] == (0, 0, 3)


def test_voluntary_cut_needs_min_tokens_on_both_sides():
    costs = [[2] * 6]
    vol = [False, False, False, True, False, False]
    assert pack(costs, [100], [True] * 6, plan(6, voluntary=vol, min_tokens=4), 0) == [(0, 0, 3), (3, 3, 6)]
    assert pack(costs, [100], [True] * 6, plan(6, voluntary=vol, min_tokens=7), 0) == [(0, 0, 6)]


def test_overlap_repeats_whole_preceding_units_within_its_budget():
    costs = [[2, 2, 2, 2, 2, 2]]
    chunks = pack(costs, [6], [True] * 6, plan(6, greedy=True), overlap_tokens=2)
    assert chunks[0] == (0, 0, 3)
    assert all(first == new - 1 for first, new, _ in chunks[1:])  # one unit (2 tokens) repeated
    assert chunks[-1][2] == 6
    # a piece of a split sentence is never repeated
    assert all(f == n for f, n, _ in pack(costs, [6], [True, True, False, True, True, True], plan(6, greedy=True), 2)[:2])


def test_checked_packing_gives_back_units_until_real_counts_fit():
    costs = [[1, 1, 1, 1]]
    # estimates say 4 units fit in 4; the "real" count says at most 2 units per chunk
    chunks = pack(costs, [4], [True] * 4, plan(4, greedy=True), 0, fits=lambda a, b: b - a <= 2)
    assert chunks == [(0, 0, 2), (2, 2, 4)]


# ---- the chunker with a word counter -------------------------------------------------------------
def chunker(strategy, size=12, overlap=0, window=None):
    budgets = [TokenBudget("words", words, size)]
    if window:
        budgets.append(TokenBudget("window", lambda ts: [len(t) for t in ts], window))  # characters
    return SentenceChunker(strategy, budgets, overlap=overlap)


def test_chunker_satisfies_protocol_and_handles_empty_text():
    c = chunker(FixedSizeStrategy())
    assert isinstance(c, Chunker)
    assert c.split("") == [] and c.split(" \n\t") == []


def test_fixed_size_is_greedy_and_sentence_aligned():
    text = "One two three. Four five six. Seven eight nine. Ten eleven twelve. Thirteen fourteen."
    pieces = chunker(FixedSizeStrategy(), size=7).split(text)
    assert [p.text for p in pieces] == [
        "One two three. Four five six.",
        "Seven eight nine. Ten eleven twelve.",
        "Thirteen fourteen.",
    ]
    assert all(text[p.start : p.end] == p.text for p in pieces)


def test_long_sentence_splits_at_words_and_long_word_at_characters():
    text = "a b c d e f g h i j. " + "x" * 25  # one sentence: a lowercase word follows "j."
    pieces = chunker(FixedSizeStrategy(), size=4, window=10).split(text)  # 4 words, 10 characters
    assert [p.text for p in pieces] == ["a b c d", "e f g h", "i j.", "x" * 10, "x" * 10, "x" * 5]


def test_recursive_cuts_at_the_paragraph_break():
    text = "Alpha one two. Alpha three four.\n\nBeta one two. Beta three. Beta four five."
    pieces = chunker(RecursiveStrategy(), size=10).split(text)
    assert pieces[0].text == "Alpha one two. Alpha three four."
    fixed = chunker(FixedSizeStrategy(), size=10).split(text)
    assert fixed[0].text == "Alpha one two. Alpha three four.\n\nBeta one two."


def test_semantic_cuts_where_the_topic_changes():
    cats = [
        "Cats purr when cats feel calm.",
        "Kittens and cats chase string.",
        "Cats sleep most of the day, cats nap.",
        "Old cats groom kittens.",
    ]
    taxes = [
        "Income tax returns are due in April.",
        "The tax office audits late returns.",
        "Deductions lower income tax owed.",
        "File tax returns with the office.",
    ]
    text = " ".join(cats + taxes)
    c = chunker(SemanticStrategy(window=2, min_tokens=5), size=200)
    pieces = c.split(text)
    assert [p.text for p in pieces] == [" ".join(cats), " ".join(taxes)]
    assert len(chunker(FixedSizeStrategy(), size=200).split(text)) == 1


def test_semantic_cuts_at_a_section_break_given_by_the_loader():
    text = "Some words here. More words here. Even more words.\n\nOther words here. Still other words."
    brk = text.index("Other")
    pieces = chunker(SemanticStrategy(window=1, min_tokens=3), size=100).split(text, breaks=[brk])
    assert pieces[1].start == brk


# ---- build_chunker and chunk_document -------------------------------------------------------------
def test_build_chunker_picks_strategy_and_budgets():
    for name, cls in (("semantic", SemanticStrategy), ("recursive", RecursiveStrategy), ("fixed_size", FixedSizeStrategy)):
        c = build_chunker(ChunkingConfig(strategy=name, chunk_size=100, chunk_overlap=10))
        assert isinstance(c.strategy, cls) and c.overlap == 10
        assert [b.limit for b in c.budgets] == [100]
    c = build_chunker(ChunkingConfig(), window_counter=words, window=64)
    assert [b.limit for b in c.budgets] == [512, 64]
    with pytest.raises(ConfigError):
        build_chunker(ChunkingConfig(), window_counter=words)


def test_tiktoken_budget_counts_offline():
    c = build_chunker(ChunkingConfig(chunk_size=16, chunk_overlap=0, strategy="fixed_size"))
    text = " ".join(f"Sentence number {i} is here." for i in range(20))
    pieces = c.split(text)
    assert len(pieces) > 1
    assert all(c.budgets[0].count([p.text])[0] <= 16 for p in pieces)


def make_doc(text: str, **kw) -> Document:
    return Document(source="docs/a.md", text=text, content_hash="h1", title="A", created="2024-01-01", modified="2024-02-02", **kw)


def test_chunk_document_ids_offsets_and_metadata():
    text = "First part one. First part two.\n\nSecond part one. Second part two."
    mid = text.index("Second")
    doc = make_doc(
        text,
        pages=(Span(0, mid - 2, 1), Span(mid, len(text), 2)),
        sections=(Span(0, mid, "Intro"), Span(mid, len(text), "Body")),
        metadata={"lang": "en"},
    )
    c = chunker(RecursiveStrategy(), size=7)
    chunks = chunk_document(doc, c)
    assert [ch.index for ch in chunks] == list(range(len(chunks)))
    assert [ch.page for ch in chunks] == [1, 2]
    assert [ch.section for ch in chunks] == ["Intro", "Body"]
    for ch in chunks:
        assert ch.text == text[ch.start : ch.end]
        assert ch.chunk_id == str(uuid.uuid5(CHUNK_NAMESPACE, f"docs/a.md|h1|{ch.index}"))
        assert (ch.title, ch.created, ch.modified, ch.content_hash) == ("A", "2024-01-01", "2024-02-02", "h1")
        assert ch.metadata == {"lang": "en"}
    assert chunk_document(doc, c)[0].chunk_id == chunks[0].chunk_id  # stable
    assert chunk_documents([doc, doc], c) == [chunks, chunks]


def test_chunk_document_uses_section_starts_as_cut_points():
    text = "Words words words. More words here. Even more words.\n\nOther words here. Still other words."
    mid = text.index("Other")
    doc = make_doc(text, sections=(Span(0, mid, "One"), Span(mid, len(text), "Two")))
    chunks = chunk_document(doc, chunker(SemanticStrategy(window=1, min_tokens=5), size=100))
    assert [c.section for c in chunks] == ["One", "Two"]
