"""Acceptance 3: the semantic cache with the real MiniLM embedder. A paraphrase hits; a similar
question with different evidence is refused; any index change invalidates; France never serves Germany."""

from __future__ import annotations

import pytest

from tests.loopback.fixtures import openai_route
from tests.loopback.server import Reply
from ragkit.orchestrate.cache_semantic import SemanticCache, key_terms, terms_conflict
from ragkit.orchestrate.gateway import SemanticKey
from ragkit.orchestrate.router import VerificationResult
from ragkit.types import Completion, Message, Usage

from tests.orchestrate.helpers import gateway_for

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


@pytest.mark.integration
def test_gateway_serves_semantic_hits_and_never_caches_unverified_answers(tmp_path, loopback, fake_keys,
                                                                          embedder_warm):
    g = gateway_for(tmp_path, {"small": openai_route(loopback, "gpt-4o-mini")}, cache=True, embedder=embedder_warm)
    g.exact_cache = None  # isolate the semantic cache: every prompt below differs anyway
    loopback.script("gpt-4o-mini", Reply.ok("I don't have enough information.", input_tokens=300, output_tokens=8),
                    Reply.ok("Paris. [Source: france.md]", input_tokens=300, output_tokens=8))

    def key(q):
        return SemanticKey(q, ("c-france",), "g1")

    ok = lambda c: VerificationResult(ok=True, abstained="enough information" in c.text)  # noqa: E731
    r1 = g.complete([Message("user", FRANCE)], semantic=key(FRANCE), verify=ok)
    assert r1.verification.abstained and len(g.semantic_cache) == 0  # an abstention is not cached
    r2 = g.complete([Message("user", FRANCE + " ")], semantic=key(FRANCE), verify=ok)
    assert r2.cache_hit is None and len(g.semantic_cache) == 1
    r3 = g.complete([Message("user", "Which city is the capital of France?")],
                    semantic=key("Which city is the capital of France?"), verify=ok)
    assert r3.cache_hit == "semantic" and r3.completion.text.startswith("Paris") and len(loopback.seen) == 2
    assert r3.saved_usd == pytest.approx(r2.cost_usd) and r3.decision.route == "cache"
    hit_row = g.ledger.rows()[-1]
    assert (hit_row.cache_hit, hit_row.outcome, hit_row.cost_usd) == ("semantic", "cache_hit", 0.0)
    r4 = g.complete([Message("user", "What is the capital of Germany?")],
                    semantic=key("What is the capital of Germany?"), verify=ok)
    assert r4.cache_hit is None  # went to the model (default reply), never served France's answer
    g.close()
