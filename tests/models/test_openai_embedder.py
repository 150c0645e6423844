"""OpenAI embeddings backend over the loopback server: vectors, dimensions, batching, ledger rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.loopback.server import Reply, fake_embedding
from ragkit.config.data import EmbedderConfig
from ragkit.errors import AuthenticationError, BadRequestError
from ragkit.models.embedders.openai import OpenAIEmbedder, plan_batches
from ragkit.testing import EmbedderConformance


@pytest.mark.unit
def test_plan_batches_respects_both_limits():
    assert plan_batches([1] * 5, max_inputs=2, max_tokens=100) == [range(0, 2), range(2, 4), range(4, 5)]
    assert plan_batches([60, 50, 40, 20], max_inputs=10, max_tokens=100) == [range(0, 1), range(1, 3), range(3, 4)]
    assert plan_batches([], max_inputs=2, max_tokens=10) == []


@pytest.mark.unit
@given(st.lists(st.integers(min_value=1, max_value=90), max_size=60), st.integers(1, 7))
def test_plan_batches_covers_every_input_once_within_limits(counts, max_inputs):
    batches = plan_batches(counts, max_inputs=max_inputs, max_tokens=100)
    assert [i for b in batches for i in b] == list(range(len(counts)))
    for b in batches:
        assert 1 <= len(b) <= max_inputs
        assert sum(counts[i] for i in b) <= 100


@pytest.mark.integration
def test_embeds_over_loopback_with_dimensions(loopback, fake_keys):
    e = OpenAIEmbedder("text-embedding-3-small", dimensions=64, base_url=loopback.openai_base_url)
    assert e.dim == 64 and e.max_tokens == 8191
    vecs = e.embed(["alpha", "beta", "alpha"])
    assert vecs.shape == (3, 64) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vecs[0], vecs[2]) and not np.allclose(vecs[0], vecs[1])
    assert np.allclose(vecs[1], fake_embedding("beta", 64), atol=1e-6)  # the server's vector, in input order
    body = loopback.requests("/embeddings")[0].body
    assert body["dimensions"] == 64 and body["input"] == ["alpha", "beta", "alpha"]
    assert e.count_tokens(["hello world"]) == [2]  # tiktoken cl100k_base
    e.close()


@pytest.mark.integration
def test_batches_and_records_usage_through_the_runner(loopback, fake_keys, tmp_path):
    from ragkit.config import load_config
    from ragkit.orchestrate import build_gateway

    cfg = load_config(overrides={"home": str(tmp_path)})
    gateway = build_gateway(cfg, routes={})  # no LLM route: only the embedding runner is used
    e = OpenAIEmbedder("text-embedding-3-large", base_url=loopback.openai_base_url, batch_size=2,
                       runner=gateway.embedding_runner())
    loopback.script("text-embedding-3-large", Reply.ok(input_tokens=1000), Reply.server_error(),
                    Reply.ok(input_tokens=500))
    with e.runner.scope(query_id="q-7", stage="ingest"):
        vecs = e.embed(["a", "b", "c"])
    assert vecs.shape == (3, 3072)
    assert [len(s.body["input"]) for s in loopback.requests("/embeddings")] == [2, 1, 1]  # 2, then 1 retried
    rows = gateway.ledger.rows()
    assert [(r.outcome, r.attempt, r.input_tokens) for r in rows] == [("ok", 1, 1000), ("ServerError", 1, 0),
                                                                      ("ok", 2, 500)]
    assert all(r.kind == "embedding" and r.stage == "ingest" and r.query_id == "q-7" for r in rows)
    assert rows[0].cost_usd == pytest.approx(1000 * 0.13 / 1e6, abs=1e-15)
    assert rows[2].cost_usd == pytest.approx(500 * 0.13 / 1e6, abs=1e-15)
    gateway.close()


@pytest.mark.integration
def test_oversized_input_is_refused_before_any_call(loopback, fake_keys):
    e = OpenAIEmbedder(base_url=loopback.openai_base_url)
    with pytest.raises(BadRequestError, match="input 1 has"):
        e.embed(["ok", "word " * 9000])
    assert loopback.seen == []


@pytest.mark.integration
def test_from_config_and_key_from_env(loopback, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    cfg = EmbedderConfig(provider="openai", model="all-MiniLM-L6-v2", dimensions=32)
    e = OpenAIEmbedder.from_config(cfg)
    assert e.name == "text-embedding-3-small" and e.dim == 32
    with pytest.raises(AuthenticationError, match="OPENAI_API_KEY"):
        e.embed(["x"])  # the public API needs a key: none in the environment, no request made


@pytest.mark.integration
class TestOpenAIEmbedderOverLoopback(EmbedderConformance):
    """The shared conformance suite, over real HTTP to the loopback server (64-d vectors)."""

    @pytest.fixture(autouse=True)
    def _server(self, loopback):
        self.server = loopback

    def make_embedder(self):
        return OpenAIEmbedder("text-embedding-3-small", dimensions=64, base_url=self.server.openai_base_url)
