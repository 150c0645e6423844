"""The local MiniLM embedder: the embedder conformance suite on each engine (the default `auto`,
torch, ONNX, and auto with bf16 bulk batches), and the torch engine's direct forward for queries."""

from __future__ import annotations

import numpy as np
import pytest

from ragkit.models.embedders.local import DIRECT_MAX_TEXTS, LocalEmbedder
from ragkit.models.precision import autocast
from ragkit.testing import EmbedderConformance
from ragkit.testing.embedder import TEXTS


def test_direct_forward_gives_the_vectors_of_encode(torch_embedder):
    engine = torch_embedder._torch
    assert engine.direct_forward() is not None  # MiniLM is the plain mean-pooling stack
    for n in range(1, DIRECT_MAX_TEXTS + 1):
        direct = torch_embedder.embed(TEXTS[:n])
        with autocast(engine.precision, "cpu"):  # the same arithmetic as embed()
            ref = engine.load().encode(TEXTS[:n], normalize_embeddings=True, convert_to_numpy=True)
        assert direct.dtype == np.float32 and direct.shape == (n, torch_embedder.dim)
        assert np.allclose(direct, ref, atol=1e-5), n
        assert np.allclose(np.linalg.norm(direct, axis=1), 1.0, atol=1e-5)


class TestLocalEmbedder(EmbedderConformance):
    """The shared conformance suite, on the session's warm MiniLM (default config: engine auto)."""

    @pytest.fixture(autouse=True)
    def _warm(self, embedder_warm):
        self.warm = embedder_warm

    def make_embedder(self):
        return self.warm


class TestTorchEngine(EmbedderConformance):
    @pytest.fixture(autouse=True)
    def _warm(self, torch_embedder):
        assert torch_embedder.engines == ("torch", "torch")
        self.warm = torch_embedder

    def make_embedder(self):
        return self.warm


class TestOnnxEngine(EmbedderConformance):
    @pytest.fixture(autouse=True)
    def _warm(self, onnx_embedder):
        assert onnx_embedder.engines == ("onnx", "onnx") and onnx_embedder.batch_invariant
        self.warm = onnx_embedder

    def make_embedder(self):
        return self.warm


class TestAutoWithBf16Bulk(EmbedderConformance):
    """auto with bf16 torch for bulk batches (what a native-bf16 CPU gets): not batch-invariant."""

    @pytest.fixture(autouse=True)
    def _warm(self, onnx_root):
        self.e = LocalEmbedder(engine="auto", precision="bfloat16", onnx_cache_dir=onnx_root)
        assert self.e.engines == ("onnx", "torch") and not self.e.batch_invariant

    def make_embedder(self):
        return self.e
