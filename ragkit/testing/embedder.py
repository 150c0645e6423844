"""EmbedderConformance: the behaviour every `Embedder` backend must show. Subclass it per backend::

    class TestMyEmbedder(EmbedderConformance):
        def make_embedder(self):      # called once per test; return a shared instance if loading is slow
            return MyEmbedder()
"""

from __future__ import annotations

import numpy as np

from ragkit.protocols import Embedder
from ragkit.testing.checks import assert_satisfies

TEXTS = [
    "What is the capital of France?",
    "0-dimensional biomaterials show inductive properties.",
    "a",
    "Ürün ß 東京 🚀 long text past the window " * 60,
]


class EmbedderConformance:
    _embedder: Embedder | None = None  # this test's backend, made on first use

    def make_embedder(self) -> Embedder:
        raise NotImplementedError("an EmbedderConformance subclass defines make_embedder(self)")

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self.make_embedder()
        return self._embedder

    def _tol(self) -> float:
        return 1e-5 if self.embedder.batch_invariant else 3e-3  # bf16 autocast moves the 4th decimal

    def test_satisfies_protocol(self):
        assert_satisfies(self.embedder, Embedder)
        assert isinstance(self.embedder.name, str) and self.embedder.name
        assert isinstance(self.embedder.dim, int) and self.embedder.dim > 0

    def test_vectors_are_float32_unit_rows_of_dim(self):
        e = self.embedder
        v = e.embed(TEXTS)
        assert isinstance(v, np.ndarray) and v.dtype == np.float32 and v.shape == (len(TEXTS), e.dim)
        assert np.isfinite(v).all()
        assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)

    def test_no_texts_give_an_empty_matrix(self):
        v = self.embedder.embed([])
        assert v.shape == (0, self.embedder.dim) and v.dtype == np.float32

    def test_blank_texts_still_embed(self):
        v = self.embedder.embed(["", "   "])
        assert v.shape == (2, self.embedder.dim) and np.isfinite(v).all()

    def test_rows_follow_the_input_order(self):
        e = self.embedder
        a = e.embed(TEXTS[:3])
        b = e.embed([TEXTS[2], TEXTS[0], TEXTS[1]])
        assert np.allclose(a[[2, 0, 1]], b, atol=self._tol())

    def test_a_text_gets_one_vector_and_others_differ(self):
        v = self.embedder.embed([TEXTS[0], TEXTS[1], TEXTS[0]])
        assert np.allclose(v[0], v[2], atol=self._tol())
        assert float(v[0] @ v[1]) < 0.999
        assert np.allclose(self.embedder.embed([TEXTS[0]])[0], v[0], atol=self._tol())

    def test_batch_invariance_is_as_declared(self):
        e = self.embedder
        many = TEXTS * 3
        batch = e.embed(many)
        single = np.vstack([e.embed([t]) for t in many])
        assert np.allclose(batch, single, atol=self._tol())
        assert ((batch * single).sum(1) > 0.9999).all()

    def test_count_tokens_counts_in_the_models_tokens(self):
        e = self.embedder
        counts = e.count_tokens(TEXTS)
        assert len(counts) == len(TEXTS) and all(isinstance(n, int) and n >= 1 for n in counts)
        assert counts[2] < counts[0] < counts[3]
        assert e.count_tokens([TEXTS[3] * 2])[0] > 1.9 * counts[3]  # untruncated: windows are the chunker's business
        assert e.count_tokens([]) == []
        assert isinstance(e.max_tokens, int) and e.max_tokens >= 8

    def test_close_releases_and_the_next_call_loads_again(self):
        e = self.embedder
        before = e.embed([TEXTS[0]])
        e.close()
        assert np.allclose(e.embed([TEXTS[0]]), before, atol=self._tol())
