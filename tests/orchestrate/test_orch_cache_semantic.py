"""Acceptance 3: the semantic cache with the real MiniLM embedder, and the answer cache conformance
suite. A paraphrase hits; a similar question with different evidence is refused; any index change
invalidates; France never serves Germany. (`ask` serving its hits: tests/answer/test_ask_routing.py.)"""

from __future__ import annotations

import pytest

from ragkit.orchestrate.cache_semantic import SemanticCache, key_terms, terms_conflict
from ragkit.testing import AnswerCacheConformance
from ragkit.types import Completion, Usage

FRANCE = "What is the capital of France?"
ANSWER = Completion("Paris is the capital of France. [Source: france.md]", "gpt-4o-mini", "openai",
                    usage=Usage(500, 20))


@pytest.mark.unit
def test_key_terms_and_conflicts():
    assert key_terms("What was the revenue of Acme in 2022?") == {"acme", "2022"}
    assert key_terms("What's France's capital?") == {"france"}
    assert terms_conflict(FRANCE, "what is the capital of france") == frozenset()  # case differs only
    assert terms_conflict(FRANCE, "What is the capital of Germany?") == {"france", "germany"}
    assert terms_conflict("revenue in 2022?", "revenue in 2023?") == {"2022", "2023"}


@pytest.mark.integration
class TestSemanticCache(AnswerCacheConformance):
    """The answer cache conformance suite on diskcache and the session's MiniLM."""

    @pytest.fixture(autouse=True)
    def _warm(self, embedder_warm):
        self.warm = embedder_warm

    def make_embedder(self):
        return self.warm

    def make_cache(self, path):
        return SemanticCache(path, self.warm, threshold=0.92)


@pytest.fixture
def cache(tmp_path, embedder_warm):
    c = SemanticCache(tmp_path / "sem", embedder_warm, threshold=0.92)
    c.store(FRANCE, ANSWER, evidence_ids=["c-france"], index_version="g1", cost_usd=0.0001)
    yield c
    c.close()


@pytest.mark.integration
@pytest.mark.parametrize("paraphrase", ["What's the capital city of France?", "Which city is the capital of France?",
                                        "Tell me the capital of France."])
def test_paraphrase_hits(cache, paraphrase):
    got = cache.lookup(paraphrase, evidence_ids=["c-france"], index_version="g1")
    assert got.hit and got.completion == ANSWER and got.similarity >= 0.92 and got.cost_usd == 0.0001
    assert cache.hits == 1


@pytest.mark.integration
def test_capital_of_france_never_serves_germany(cache):
    germany = "What is the capital of Germany?"
    assert not cache.lookup(germany, evidence_ids=["c-germany"], index_version="g1").hit
    assert not cache.lookup(germany, evidence_ids=["c-france"], index_version="g1").hit  # below threshold
    cache.threshold = 0.5  # even a careless threshold does not serve it
    got = cache.lookup(germany, evidence_ids=["c-france"], index_version="g1")
    assert not got.hit and "different numbers or names" in got.reason
    got = cache.lookup(germany, evidence_ids=["c-germany"], index_version="g1")
    assert not got.hit and "evidence" in got.reason


@pytest.mark.integration
def test_similar_question_with_different_evidence_is_refused(cache):
    got = cache.lookup("What's the capital city of France?", evidence_ids=["c-france", "c-lyon"], index_version="g1")
    assert not got.hit and got.reason.startswith("refused") and "evidence" in got.reason
    assert cache.refusal_reasons["evidence_changed"] == 1
    assert cache.lookup(FRANCE, evidence_ids=["c-other"], index_version="g1").hit is False


@pytest.mark.integration
def test_any_index_change_invalidates(cache):
    for q in (FRANCE, "What's the capital city of France?"):
        got = cache.lookup(q, evidence_ids=["c-france"], index_version="g2")
        assert not got.hit and "index changed" in got.reason
    assert cache.refusal_reasons["index_changed"] == 2 and cache.hits == 0


@pytest.mark.integration
def test_numbers_must_match_even_when_embeddings_are_close(tmp_path, embedder_warm):
    c = SemanticCache(tmp_path / "n", embedder_warm, threshold=0.92)
    c.store("What was the revenue in 2022?", ANSWER, evidence_ids=["r"], index_version="g")
    got = c.lookup("What was the revenue in 2023?", evidence_ids=["r"], index_version="g")
    assert not got.hit and got.similarity >= 0.92 and "2023" in got.reason  # MiniLM: 0.94 similar
    assert c.stats() == {"hits": 0, "misses": 0, "refusals": 1, "refusal_reasons": {"terms_differ": 1}}
    c.close()


@pytest.mark.integration
def test_entries_persist_and_reuse_a_given_vector(tmp_path, embedder_warm):
    c = SemanticCache(tmp_path / "p", embedder_warm)
    vec = embedder_warm.embed([FRANCE])[0]
    c.store(FRANCE, ANSWER, evidence_ids=["x"], index_version="g", vector=vec)
    c.close()
    again = SemanticCache(tmp_path / "p", embedder_warm)
    assert len(again) == 1
    assert again.lookup(FRANCE, evidence_ids=["x"], index_version="g", vector=vec).hit
    assert again.lookup("Completely unrelated question about whales?", evidence_ids=["x"],
                        index_version="g").reason.startswith("miss")
    again.close()
