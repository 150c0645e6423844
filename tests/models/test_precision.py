"""Precision of the local models: `auto` follows the hardware, and bf16 autocast keeps the
vectors and the cross-encoder's scores where float32 puts them."""

from __future__ import annotations

import numpy as np
import pytest

from ragkit.config import load_config
from ragkit.errors import ConfigError
from ragkit.models.embedders.local import LocalEmbedder
from ragkit.models.precision import native_bf16_cpu, resolve_precision
from ragkit.retrieve.rerank import CrossEncoderReranker

TEXTS = [
    "0-dimensional biomaterials show inductive properties.",
    "Aspirin inhibits platelet aggregation by acetylating cyclooxygenase.",
    "The capital of France is Paris, on the Seine.",
    "Ürün ß 東京 🚀 long text past the window " * 60,
    "a",
]


def test_auto_follows_the_cpu_and_explicit_values_pass_through():
    assert resolve_precision("auto", "cpu") == ("bfloat16" if native_bf16_cpu() else "float32")
    assert resolve_precision("auto", "cuda:0") == "float32"  # bf16 autocast is a CPU choice only
    assert resolve_precision("float32", "cpu") == "float32"
    assert resolve_precision("bfloat16", "cpu") == "bfloat16"


@pytest.mark.parametrize("bad", ["fp16", "int8", "", "BF16"])
def test_unknown_precisions_are_refused_by_name(bad):
    with pytest.raises(ValueError, match="precision"):
        resolve_precision(bad, "cpu")
    with pytest.raises(ValueError, match="embedder.precision"):
        LocalEmbedder(precision=bad)
    with pytest.raises(ValueError, match="rerank.precision"):
        CrossEncoderReranker("x/y", precision=bad)


def test_config_rejects_an_unknown_precision_and_says_where(tmp_path):
    bad = tmp_path / "ragkit.yaml"
    bad.write_text("embedder:\n  precision: fp16\n")
    with pytest.raises(ConfigError, match="precision"):
        load_config(bad)
    assert load_config(None).embedder.precision == "auto"


def test_bf16_vectors_agree_with_float32(torch_embedder):
    fp32 = LocalEmbedder(precision="float32", engine="torch")
    bf16 = LocalEmbedder(precision="bfloat16", engine="torch")
    fp32._torch._model = bf16._torch._model = torch_embedder._torch.load()  # one loaded copy of the same weights
    for texts in (TEXTS, TEXTS[:2]):  # through encode, and through the direct query forward
        a, b = fp32.embed(texts), bf16.embed(texts)
        assert a.dtype == b.dtype == np.float32
        assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
        cos = (a * b).sum(1)
        assert (cos > 0.9995).all(), cos
        assert not np.array_equal(a, b)  # bf16 did run: the vectors are not bit-identical



def test_query_vectors_do_not_depend_on_their_batch(torch_embedder):
    """A query ranks the same asked alone or in a batch (eval and benchmark batch differently)."""
    from ragkit.retrieve.retriever import embed_queries

    queries = ["short one", "a much longer query about platelet aggregation and aspirin " * 4, "cells", "x y"]
    for precision in ("float32", "bfloat16"):
        e = LocalEmbedder(precision=precision, engine="torch")
        e._torch._model = torch_embedder._torch.load()
        assert e.batch_invariant == (precision == "float32")
        batched = embed_queries(e, queries)
        alone = np.vstack([embed_queries(e, [q]) for q in queries])
        reordered = embed_queries(e, queries[::-1])[::-1]
        assert batched.shape == (len(queries), e.dim) and batched.dtype == np.float32
        if precision == "bfloat16":
            assert np.array_equal(batched, alone) and np.array_equal(batched, reordered)
        else:
            assert np.allclose(batched, alone, atol=1e-5) and np.allclose(batched, reordered, atol=1e-5)
