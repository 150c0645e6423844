"""The local MiniLM embedder: the embedder conformance suite, and the direct forward used for queries."""

from __future__ import annotations

import numpy as np
import pytest

from ragkit.models.embedders.local import DIRECT_MAX_TEXTS
from ragkit.models.precision import autocast
from ragkit.testing import EmbedderConformance
from ragkit.testing.embedder import TEXTS

def test_direct_forward_gives_the_vectors_of_encode(embedder_warm):
    assert embedder_warm._direct_forward() is not None  # MiniLM is the plain mean-pooling stack
    for n in range(1, DIRECT_MAX_TEXTS + 1):
        direct = embedder_warm.embed(TEXTS[:n])
        with autocast(embedder_warm.compute_precision, "cpu"):  # the same arithmetic as embed()
            ref = embedder_warm._model.encode(TEXTS[:n], normalize_embeddings=True, convert_to_numpy=True)
        assert direct.dtype == np.float32 and direct.shape == (n, embedder_warm.dim)
        assert np.allclose(direct, ref, atol=1e-5), n
        assert np.allclose(np.linalg.norm(direct, axis=1), 1.0, atol=1e-5)


class TestLocalEmbedder(EmbedderConformance):
    """The shared conformance suite, on the session's warm MiniLM."""

    @pytest.fixture(autouse=True)
    def _warm(self, embedder_warm):
        self.warm = embedder_warm

    def make_embedder(self):
        return self.warm
