"""The ONNX engine against sentence-transformers (torch): the same vectors, tokens and window,
and query-time vectors equal to ingest-time ones whichever engine a batch runs on."""

from __future__ import annotations

import numpy as np

from ragkit.models.embedders.local import BULK_MIN_PIECES, LocalEmbedder

LONG = ("Qdrant Edge keeps the index in-process; a server takes over when one machine is not enough. " * 40)
TEXTS = [
    "What is the default RRF constant?",
    "The constant k is `retrieval.rrf_k`, 60 by default.",
    "a",
    "",
    "   ",
    "Ürün ß 東京 🚀 naïve café — ﬁligree, Ω≈ç√∫, İstanbul, Ελληνικά, עברית, русский текст",
    "数学是研究数量、结构、变化以及空间等概念的一门学科。" * 30,  # CJK past the window
    LONG,  # English past the window
    "0-dimensional biomaterials show inductive properties. " * 3,
    "\n\n# Heading\n\n- a list item\n- `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1)


def test_onnx_vectors_match_torch_float32(onnx_embedder, torch_embedder):
    a, b = onnx_embedder.embed(TEXTS), torch_embedder.embed(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384) and a.dtype == np.float32
    cos = cosines(a, b)
    assert cos.min() >= 0.99999, cos  # float32 both: only summation order differs
    alone = np.vstack([onnx_embedder.embed([t]) for t in TEXTS])  # query path: one text a call
    assert cosines(alone, torch_embedder.embed(TEXTS)).min() >= 0.99999


def test_texts_past_the_window_are_truncated_like_sentence_transformers(onnx_embedder, torch_embedder):
    window = onnx_embedder.max_tokens
    assert window == 256 == torch_embedder._torch.load().max_seq_length
    assert onnx_embedder.count_tokens([LONG])[0] > 2 * window
    longer = LONG + " and then something else entirely about bananas." * 20
    a = onnx_embedder.embed([LONG, longer])
    assert np.allclose(a[0], a[1], atol=1e-6)  # what lies past the window is not read
    short = onnx_embedder.embed([LONG[:200]])[0]
    assert float(a[0] @ short) < 0.999  # but the window is: a prefix gives another vector
    assert float(a[0] @ torch_embedder.embed([longer])[0]) >= 0.99999


def test_count_tokens_is_the_same_on_both_engines_and_in_the_model_inputs(onnx_embedder, torch_embedder):
    counts = onnx_embedder.count_tokens(TEXTS)
    assert counts == torch_embedder.count_tokens(TEXTS)
    hf = torch_embedder._torch.load().tokenizer  # the tokenizer sentence-transformers runs
    assert counts == [len(ids) for ids in hf(TEXTS, truncation=False)["input_ids"]]
    feeds = onnx_embedder._onnx_runtime().feeds(TEXTS)
    fed = feeds["attention_mask"].sum(1).tolist()
    assert fed == [min(n, onnx_embedder.max_tokens) for n in counts]
    assert set(feeds) == {"input_ids", "attention_mask", "token_type_ids"}


def test_onnx_vectors_do_not_depend_on_the_batch(onnx_embedder):
    """Different lengths in one batch pad each other; the padding must not reach the vectors."""
    texts = TEXTS * 3
    batched = onnx_embedder.embed(texts)
    alone = np.vstack([onnx_embedder.embed([t]) for t in texts])
    reordered = onnx_embedder.embed(texts[::-1])[::-1]
    assert np.abs(batched - alone).max() < 1e-5
    assert np.abs(batched - reordered).max() < 1e-5
    small = LocalEmbedder(engine="onnx", batch_size=3, onnx_cache_dir=onnx_embedder._cache_root)
    assert np.abs(small.embed(texts) - batched).max() < 1e-5  # batches of 3 after sorting by length


def test_bulk_batches_on_torch_bf16_agree_with_query_vectors(onnx_root, onnx_embedder):
    """auto on a native-bf16 CPU: an ingest batch runs on torch bf16, a query alone on ONNX. Forced
    here with precision bfloat16 so every CPU checks it (bf16 is emulated where not native)."""
    assert LocalEmbedder().bulk_min_pieces == BULK_MIN_PIECES
    e = LocalEmbedder(engine="auto", precision="bfloat16", onnx_cache_dir=onnx_root, bulk_min_pieces=16 * 256)
    window = e.max_tokens
    full = [LONG] * (e.bulk_min_pieces // window)  # each truncated to the window: exactly the threshold
    assert e.engine_for(TEXTS[:1]) == "onnx" and e.engine_for(full) == "torch"
    assert e.engine_for(full[:-1]) == "onnx"  # one window short
    assert e.engine_for(["a"] * (e.bulk_min_pieces // 3 - 1)) == "onnx"  # many texts, few pieces: [CLS] a [SEP]
    corpus = TEXTS + full
    assert e.engine_for(corpus) == "torch"
    ingest = e.embed(corpus)[: len(TEXTS)]  # one bulk call: torch bf16
    queries = np.vstack([e.embed([t]) for t in TEXTS])  # one text a call: ONNX float32
    assert not np.array_equal(ingest, queries)  # two engines did run
    assert cosines(ingest, queries).min() >= 0.9999
    assert cosines(ingest, onnx_embedder.embed(TEXTS)).min() >= 0.9999
    assert e.compute_precision == "bfloat16"
    e.close()


def test_length_batches_cover_every_text_once_in_similar_lengths():
    from ragkit.models.embedders.onnx_runtime import length_batches

    lengths = [225, 7, 8, 130, 10, 12, 183, 13, 14, 56, 15, 166, 16, 17, 19, 3, 3, 3, 3, 3]
    batches = length_batches(lengths, batch_size=4)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(1 <= len(b) <= 4 for b in batches)
    for b in batches:
        first, last = lengths[b[0]], lengths[b[-1]]
        assert first <= last <= first + max(8, first // 4)
    padded = sum(len(b) * lengths[b[-1]] for b in batches)
    assert padded < 0.6 * len(lengths) * max(lengths)  # one batch padded to its longest does far more work
    assert [lengths[b[0]] for b in batches] == sorted(lengths[b[0]] for b in batches)
    assert length_batches([], 4) == [] and length_batches([5], 4) == [[0]]
