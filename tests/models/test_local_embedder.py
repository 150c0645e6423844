"""The local MiniLM embedder: vectors, window, and the direct forward used for queries."""

from __future__ import annotations

import numpy as np
import pytest

from ragkit.models.embedders.local import DIRECT_MAX_TEXTS

TEXTS = [
    "What is the capital of France?",
    "0-dimensional biomaterials show inductive properties.",
    "a",
    "Ürün ß 東京 🚀 long text past the window " * 60,
]


def test_direct_forward_gives_the_vectors_of_encode(embedder_warm):
    assert embedder_warm._direct_forward() is not None  # MiniLM is the plain mean-pooling stack
    for n in range(1, DIRECT_MAX_TEXTS + 1):
        direct = embedder_warm.embed(TEXTS[:n])
        ref = embedder_warm._model.encode(TEXTS[:n], normalize_embeddings=True, convert_to_numpy=True)
        assert direct.dtype == np.float32 and direct.shape == (n, embedder_warm.dim)
        assert np.allclose(direct, ref, atol=1e-5), n
        assert np.allclose(np.linalg.norm(direct, axis=1), 1.0, atol=1e-5)


def test_large_batches_go_through_encode_and_agree(embedder_warm):
    many = TEXTS * 3
    assert len(many) > DIRECT_MAX_TEXTS
    batch = embedder_warm.embed(many)
    single = np.vstack([embedder_warm.embed([t]) for t in many])
    assert np.allclose(batch, single, atol=1e-5)


@pytest.mark.parametrize("text", ["", "   "])
def test_blank_text_still_embeds(embedder_warm, text):
    v = embedder_warm.embed([text])
    assert v.shape == (1, embedder_warm.dim) and np.isfinite(v).all()
