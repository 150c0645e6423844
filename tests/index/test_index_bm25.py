"""BM25 maths (ragkit.index.bm25) and the encoder (ragkit.index.sparse): the sparse encoder conformance
suite, and hand-built inputs."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragkit.index import bm25
from ragkit.index.sparse import BM25Encoder
from ragkit.testing import SparseEncoderConformance

pytestmark = pytest.mark.unit


class TestBM25Conformance(SparseEncoderConformance):
    def make_encoder(self, context_words=0):
        return BM25Encoder(context_words=context_words)


# ---- pure functions -------------------------------------------------------------------------------
def test_raw_tokens_lowercase_split_and_drop_stopwords():
    assert bm25.raw_tokens("The COVID-19 vaccine, and a naïve_model!") == ["covid", "19", "vaccine", "naïve", "model"]
    assert bm25.raw_tokens("the of and to") == []
    assert len(bm25.STOPWORDS) == 33


def test_term_ids_are_stable_31_bit_blake2b():
    # fixed literals: a change here silently invalidates every stored index
    assert bm25.term_id("run") == 1218283866
    assert bm25.term_id("studi") == 703673219
    digest = hashlib.blake2b(b"run", digest_size=4).digest()
    assert bm25.term_id("run") == int.from_bytes(digest, "big") & 0x7FFFFFFF


@given(st.text(max_size=30))
def test_term_ids_fit_31_bits(term):
    assert 0 <= bm25.term_id(term) < 2**31


def test_saturation_by_hand():
    # len == avgdl: w = tf * 2.2 / (tf + 1.2)
    np.testing.assert_allclose(bm25.saturate(np.array([1, 2, 10]), 50, 50), [1.0, 4.4 / 3.2, 22 / 11.2], rtol=1e-6)
    # twice as long as average: norm = 1.2 * (0.25 + 0.75 * 2) = 2.1
    np.testing.assert_allclose(bm25.saturate(np.array([1]), 100, 50), [2.2 / 3.1], rtol=1e-6)
    # b = 0: no length normalisation; k1 = 0: binary weights
    assert bm25.saturate(np.array([3]), 1000, 10, b=0.0)[0] == pytest.approx(bm25.saturate(np.array([3]), 10, 10)[0])
    np.testing.assert_allclose(bm25.saturate(np.array([1, 5]), 7, 3, k1=0.0), [1.0, 1.0])


@settings(max_examples=60, deadline=None)
@given(tf=st.integers(1, 50), dl=st.integers(1, 2000), avgdl=st.floats(1, 500), k1=st.floats(0.1, 3), b=st.floats(0, 1))
def test_saturation_is_monotone_and_bounded(tf, dl, avgdl, k1, b):
    w, w_more_tf, w_longer = (bm25.saturate(np.array([t]), d, avgdl, k1, b)[0] for t, d in ((tf, dl), (tf + 1, dl), (tf, dl + 10)))
    assert 0 < w <= k1 + 1 + 1e-5
    assert w_more_tf >= w - 1e-6  # more occurrences never lower the weight
    assert w_longer <= w + 1e-6  # a longer document never raises it


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**31 - 1) | st.integers(0, 20), max_size=30), max_size=8), st.floats(1, 100))
def test_batched_document_weights_equal_one_by_one(docs, avgdl):
    arrays = [np.array(d, dtype=np.int64) for d in docs]
    batched = bm25.batch_document_weights(arrays, avgdl)
    assert len(batched) == len(docs)
    for d, (idx, w) in zip(docs, batched):
        one_idx, one_w = bm25.document_weights(d, avgdl)
        np.testing.assert_array_equal(idx, one_idx)
        np.testing.assert_allclose(w, one_w, rtol=1e-6)
        assert list(idx) == sorted(set(d))


def test_query_weights_are_unique_ids_with_weight_one():
    idx, w = bm25.query_weights([7, 3, 7, 1])
    assert idx.tolist() == [1, 3, 7] and w.tolist() == [1.0, 1.0, 1.0]


def test_average_length_is_at_least_one():
    assert bm25.average_length([]) == 1.0
    assert bm25.average_length([0, 0]) == 1.0
    assert bm25.average_length([2, 4]) == 3.0


# ---- the encoder ----------------------------------------------------------------------------------
def test_analyze_stems_with_snowball():
    enc = BM25Encoder()
    assert enc.analyze("The Studies were RUNNING on p53-knockout mice_models") == \
        ["studi", "were", "run", "p53", "knockout", "mice", "model"]


def test_query_and_document_share_term_ids_through_stemming():
    enc = BM25Encoder(avgdl=5)
    (doc,) = enc.encode_documents(["she runs and ran and keeps running"])
    q = enc.encode_query("Running")
    assert q.values == (1.0,) and q.indices[0] in doc.indices
    assert list(doc.indices) == sorted(doc.indices)


def test_document_weights_by_hand():
    enc = BM25Encoder(avgdl=4)
    (v,) = enc.encode_documents(["cat cat dog bird"])  # len 4 == avgdl
    w = dict(zip(v.indices, v.values))
    assert w[bm25.term_id("cat")] == pytest.approx(2 * 2.2 / 3.2)
    assert w[bm25.term_id("dog")] == pytest.approx(1.0)


def test_avgdl_is_fixed_by_the_first_batch_and_then_kept():
    enc = BM25Encoder()
    first = enc.encode_documents(["one two three four", "five six"])
    assert enc.avgdl == 3.0
    enc.encode_documents(["a much longer document " * 20])
    assert enc.avgdl == 3.0
    assert enc.fit(["x"]) == 3.0  # fit never moves a fixed avgdl
    # a later run restored from the stored params gives identical vectors for identical text
    again = BM25Encoder.from_params(enc.params()).encode_documents(["one two three four", "five six"])
    assert again == first


def test_fit_fixes_avgdl_from_the_corpus():
    enc = BM25Encoder()
    assert enc.fit(["the cat sat", "dogs bark loudly at night"]) == pytest.approx((2 + 4) / 2)  # "the", "at" are stopwords


def test_stopword_only_and_empty_texts():
    enc = BM25Encoder(avgdl=3)
    assert enc.encode_query("the and of").indices == ()
    assert enc.encode_documents(["", "the"])[0].indices == ()
    assert enc.encode_documents([]) == []


def test_bad_parameters_are_refused():
    for kw in ({"k1": -1}, {"b": 1.5}, {"avgdl": 0}):
        with pytest.raises(ValueError):
            BM25Encoder(**kw)
    with pytest.raises(ValueError):
        BM25Encoder().avgdl = -2


def test_encode_queries_matches_encode_query():
    enc = BM25Encoder(avgdl=3)
    texts = ["gas giant", "the moons of Jupiter", ""]
    assert enc.encode_queries(texts) == [enc.encode_query(t) for t in texts]


# ---- context passages -----------------------------------------------------------------------------
_sparse = st.dictionaries(st.integers(0, 2**31 - 1), st.floats(0.01, 10), max_size=8)


@given(st.lists(st.tuples(_sparse, _sparse), max_size=6), st.floats(0.1, 2))
def test_add_vectors_is_the_per_term_sum(pairs, scale):
    def vec(d):
        idx = np.array(sorted(d), dtype=np.int64)
        return idx, np.array([d[i] for i in idx], dtype=np.float32)

    out = bm25.add_vectors([vec(a) for a, _ in pairs], [vec(b) for _, b in pairs], scale)
    assert len(out) == len(pairs)
    for (a, b), (idx, w) in zip(pairs, out):
        want = {t: a.get(t, 0.0) + scale * b.get(t, 0.0) for t in set(a) | set(b)}
        assert idx.tolist() == sorted(want)
        np.testing.assert_allclose(w, [want[t] for t in sorted(want)], rtol=1e-5)


def test_add_vectors_refuses_unequal_lengths():
    with pytest.raises(ValueError, match="1 vectors against 0"):
        bm25.add_vectors([(np.array([1]), np.array([1.0]))], [])


def test_context_windows_by_hand():
    # budget 10: piece 0 takes piece 1 (4+3), not piece 2 (+5 > 10); piece 1 takes piece 2 after it
    # (3+5), then not piece 0 before it (+4 > 10); piece 3 (9) takes nothing
    assert bm25.context_windows([4, 3, 5, 9], 10) == [(0, 2), (1, 3), (1, 3), (3, 4)]
    assert bm25.context_windows([4, 3, 5, 9], 12) == [(0, 3), (0, 3), (0, 3), (3, 4)]
    assert bm25.context_windows([20, 1], 10) == [(0, 1), (1, 2)]  # a piece over budget stands alone
    assert bm25.context_windows([], 10) == []


@given(st.lists(st.integers(0, 30), max_size=12), st.integers(0, 80))
def test_context_windows_hold_their_piece_fit_the_budget_and_cannot_grow(lengths, budget):
    for i, (lo, hi) in enumerate(bm25.context_windows(lengths, budget)):
        assert lo <= i < hi <= len(lengths)
        total = sum(lengths[lo:hi])
        assert total <= budget or (lo, hi) == (i, i + 1)
        assert hi == len(lengths) or total + lengths[hi] > budget  # the next piece after does not fit
        assert lo == 0 or total + lengths[lo - 1] > budget  # nor the one before


def test_context_adds_the_passage_weights_to_the_chunk_vector():
    enc = BM25Encoder(avgdl=4, context_words=100, context_avgdl=8)
    (v,) = enc.encode_documents(["cat sat mat dog"], ["cat sat mat dog bird fish tree moon"])
    w = dict(zip(v.indices, v.values))
    # len 4 == avgdl and len 8 == context avgdl: each term 1.0 from the chunk, 1.0 from the passage
    assert w[bm25.term_id("cat")] == pytest.approx(2.0)
    assert w[bm25.term_id("bird")] == pytest.approx(1.0)  # a neighbour's word, found at a lower weight
    assert len(w) == 8
    plain = BM25Encoder(avgdl=4).encode_documents(["cat sat mat dog"], ["cat sat mat dog bird fish tree moon"])
    assert plain == BM25Encoder(avgdl=4).encode_documents(["cat sat mat dog"])  # context_words 0: passages unused
    with pytest.raises(ValueError, match="2 context passages for 1 texts"):
        enc.encode_documents(["cat"], ["a", "b"])


def test_context_params_travel_with_the_index_and_old_indexes_stay_chunk_only():
    enc = BM25Encoder(context_words=50)
    enc.fit(["one two", "three four five six"], iter(["one two three four five six", "three four five six"]))
    assert (enc.avgdl, enc.params()["context_avgdl"]) == (3.0, 5.0)
    first = enc.encode_documents(["one two"], ["one two three four five six"])
    again = BM25Encoder.from_params(enc.params())
    assert again.context_words == 50 and again.encode_documents(["one two"], ["one two three four five six"]) == first
    old = {"avgdl": 3.0, "k1": 1.2, "b": 0.75}  # params of an index built before context passages
    assert BM25Encoder.from_params(old).context_words == 0
    assert BM25Encoder(context_words=3).context_windows(["one two", "three", "four five six", "seven"]) == \
        [(0, 2), (0, 2), (2, 3), (3, 4)]


def test_fit_fixes_the_passage_length_even_when_avgdl_was_given():
    enc = BM25Encoder(avgdl=7.0, context_words=50)
    assert enc.fit(["ignored"], iter(["one two three", "four five six seven eight"])) == 7.0
    assert enc.params()["context_avgdl"] == 4.0
