"""The local MiniLM embedder: vectors, window, and the direct forward used for queries."""

from __future__ import annotations

import numpy as np
import pytest

from ragkit.models.embedders.local import DIRECT_MAX_TEXTS
from ragkit.models.precision import autocast

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
        with autocast(embedder_warm.compute_precision, "cpu"):  # the same arithmetic as embed()
            ref = embedder_warm._model.encode(TEXTS[:n], normalize_embeddings=True, convert_to_numpy=True)
        assert direct.dtype == np.float32 and direct.shape == (n, embedder_warm.dim)
        assert np.allclose(direct, ref, atol=1e-5), n
        assert np.allclose(np.linalg.norm(direct, axis=1), 1.0, atol=1e-5)


def test_large_batches_go_through_encode_and_agree(embedder_warm):
    many = TEXTS * 3
    assert len(many) > DIRECT_MAX_TEXTS
    batch = embedder_warm.embed(many)
    single = np.vstack([embedder_warm.embed([t]) for t in many])
    # float32: padding does not change a vector; bf16 autocast: only in the 4th decimal
    tol = 1e-5 if embedder_warm.compute_precision == "float32" else 3e-3
    assert np.allclose(batch, single, atol=tol)
    assert ((batch * single).sum(1) > 0.9999).all()


@pytest.mark.parametrize("text", ["", "   "])
def test_blank_text_still_embeds(embedder_warm, text):
    v = embedder_warm.embed([text])
    assert v.shape == (1, embedder_warm.dim) and np.isfinite(v).all()
