"""Routing inside `ask`, through the real SDKs against the loopback server: policy and cascade
decisions with their reasons in the Answer and the ledger, escalation on a failed verification,
the always-large counterfactual that prices routing savings, the offline generator as a route, and
the semantic cache (served above the gateway, never storing an unverified answer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.answer.events import AnswerDelta, AnswerFinal, AnswerReset
from ragkit.rag import RAG
from tests.answer.ask_helpers import write_corpus
from tests.loopback.fixtures import anthropic_route, fake_keys, loopback, openai_route  # noqa: F401
from tests.loopback.server import Reply

pytestmark = pytest.mark.integration

DOCS = {
    "alpha.md": "# Alpha reactor\n\nThe alpha reactor runs at 451 kelvin. It was commissioned in 2019 by "
                "the Northwind energy board.",
    "beta.txt": "Beta pump notes. The beta pump moves 12 litres per minute. Its seals are replaced every spring.",
}
Q = "At what temperature does the alpha reactor run?"
GOOD = "The alpha reactor runs at 451 kelvin. [Source: alpha.md]"
BAD = "The alpha reactor runs at 999 kelvin on Mondays. [Source: beta.txt]"
SMALL, LARGE = "gpt-4o-mini", "claude-sonnet-4-6"


def small_cost(i: int, o: int) -> float:
    return (i * 0.15 + o * 0.6) / 1e6


def large_cost(i: int, o: int) -> float:
    return (i * 3 + o * 15) / 1e6


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path, DOCS)


def make_rag(tmp_path: Path, corpus: Path, llm: dict, *, cache: dict | None = None) -> RAG:
    rag = RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False},
               "cache": cache or {"enabled": False}, "llm": llm,
               "retry": {"base_delay_s": 0.01, "max_delay_s": 0.05},
               "answer": {"abstain_min_evidence": None, "abstain_min_name_overlap": None}})
    rag.ingest([corpus])
    return rag


def two_routes(loopback, mode: str, **routing) -> dict:
    return {"small": openai_route(loopback, SMALL), "large": anthropic_route(loopback, LARGE),
            "routing": {"mode": mode, **routing}}


def generate_rows(rag: RAG):
    return [r for r in rag.gateway.ledger.rows() if r.stage == "generate"]


def test_policy_sends_long_questions_large(tmp_path, corpus, loopback, fake_keys, embedder_warm):
    loopback.script(SMALL, Reply.ok(GOOD))
    loopback.script(LARGE, Reply.ok(GOOD))
    long_q = Q + " Please answer with the exact figure from the reactor's documentation and nothing else at all."
    with make_rag(tmp_path, corpus, two_routes(loopback, "policy", max_small_query_tokens=15)) as rag:
        short, long = rag.ask(Q), rag.ask(long_q)
        rows = generate_rows(rag)
    assert (short.routing["route"], long.routing["route"]) == ("small", "large")
    assert (short.model, long.model) == (SMALL, LARGE)
    assert "tokens" in long.routing["reason"] and [s.model for s in loopback.seen] == [SMALL, LARGE]
    assert [json.loads(r.routing)["route"] for r in rows] == ["small", "large"]
    assert json.loads(rows[1].routing)["reason"] == long.routing["reason"]


def test_cascade_escalates_when_the_small_answer_fails_verification(tmp_path, corpus, loopback, fake_keys,
                                                                    embedder_warm):
    loopback.script(SMALL, Reply.ok(BAD, input_tokens=1000, output_tokens=10))
    loopback.script(LARGE, Reply.ok(GOOD, input_tokens=1000, output_tokens=10))
    with make_rag(tmp_path, corpus, two_routes(loopback, "cascade")) as rag:
        ans = rag.ask(Q)
        rows = generate_rows(rag)
    assert "451 kelvin" in ans.text and ans.verified and ans.model == LARGE
    assert ans.routing["escalated"] and ans.routing["route"] == "large"
    assert "failed verification" in ans.routing["escalation_reason"]
    assert any(n.startswith("escalated:") for n in ans.notes)
    assert ans.cost_usd == pytest.approx(small_cost(1000, 10) + large_cost(1000, 10), abs=1e-12)
    assert ans.usage.input_tokens == 2000
    assert [(r.model, json.loads(r.routing)["escalated"]) for r in rows] == [(SMALL, False), (LARGE, True)]
    # the counterfactual sits on the final row: the same answer on the large route
    assert rows[0].counterfactual_usd is None and rows[1].counterfactual_usd == pytest.approx(large_cost(1000, 10))


def test_cascade_keeps_a_verified_small_answer_and_records_the_saving(tmp_path, corpus, loopback, fake_keys,
                                                                      embedder_warm):
    loopback.script(SMALL, Reply.ok(GOOD, input_tokens=1000, output_tokens=10))
    with make_rag(tmp_path, corpus, two_routes(loopback, "cascade")) as rag:
        ans = rag.ask(Q)
        rows = generate_rows(rag)
    assert not ans.routing["escalated"] and ans.model == SMALL and [s.model for s in loopback.seen] == [SMALL]
    assert rows[0].cost_usd == pytest.approx(small_cost(1000, 10))
    assert rows[0].counterfactual_usd == pytest.approx(large_cost(1000, 10))


def test_the_offline_generator_is_a_route_with_a_priced_counterfactual(tmp_path, corpus, loopback, fake_keys,
                                                                       embedder_warm):
    llm = {"large": openai_route(loopback, "gpt-4.1"), "routing": {"mode": "cascade"}}
    with make_rag(tmp_path, corpus, llm) as rag:
        ans = rag.ask(Q)
        rows = generate_rows(rag)
    assert ans.provider == "extractive" and "451 kelvin" in ans.text and ans.cost_usd == 0.0
    assert loopback.seen == []
    assert [(r.provider, r.outcome, r.cost_usd) for r in rows] == [("extractive", "ok", 0.0)]
    assert rows[0].counterfactual_usd > 0  # what gpt-4.1 would have charged for the same prompt and answer


def test_every_api_model_failing_falls_back_to_an_offline_entry(tmp_path, corpus, loopback, fake_keys,
                                                                embedder_warm):
    route = openai_route(loopback, SMALL, fallbacks=[{"provider": "extractive"}])
    loopback.script(SMALL, *[Reply.server_error(500) for _ in range(10)])
    with make_rag(tmp_path, corpus, {"small": route}) as rag:
        ans = rag.ask(Q)
        rows = generate_rows(rag)
    assert ans.provider == "extractive" and "451 kelvin" in ans.text and len(loopback.seen) >= 2
    assert any("answered offline" in n and "ServerError" in n for n in ans.notes)
    assert [r.outcome for r in rows][-1] == "ok" and rows[-1].provider == "extractive"
    assert all(r.outcome == "ServerError" for r in rows[:-1])


def test_a_streamed_escalation_resets_and_ends_like_ask(tmp_path, corpus, loopback, fake_keys, embedder_warm):
    loopback.script(SMALL, Reply.ok(BAD, input_tokens=1000, output_tokens=10),
                    Reply.ok(BAD, input_tokens=1000, output_tokens=10))
    loopback.script(LARGE, Reply.ok(GOOD, input_tokens=1000, output_tokens=10),
                    Reply.ok(GOOD, input_tokens=1000, output_tokens=10))
    with make_rag(tmp_path, corpus, two_routes(loopback, "cascade")) as rag:
        plain = rag.ask(Q)
        events = list(rag.ask_stream(Q))
    kinds = [type(e).__name__ for e in events]
    reset = kinds.index("AnswerReset")
    before = "".join(e.text for e in events[:reset] if isinstance(e, AnswerDelta))
    after = "".join(e.text for e in events[reset:] if isinstance(e, AnswerDelta))
    assert before == BAD and after == GOOD and isinstance(events[reset], AnswerReset)
    final = events[-1]
    assert isinstance(final, AnswerFinal)
    assert (final.answer.text, final.answer.routing, final.answer.cost_usd) == (plain.text, plain.routing,
                                                                               plain.cost_usd)


def test_semantic_cache_serves_verified_answers_and_never_stores_unverified_ones(tmp_path, corpus, loopback,
                                                                                 fake_keys, embedder_warm):
    loopback.script(SMALL, Reply.ok(BAD), Reply.ok(GOOD, input_tokens=800, output_tokens=12))
    cache = {"enabled": True, "exact": False, "semantic": True}
    with make_rag(tmp_path, corpus, {"small": openai_route(loopback, SMALL)}, cache=cache) as rag:
        first = rag.ask(Q)  # unsupported: answered, flagged, not stored
        second = rag.ask(Q)  # asked again: a real call, verified, stored
        third = rag.ask("At what temperature does the alpha reactor run ?")  # served from the cache
        rows = generate_rows(rag)
    assert not first.verified and second.verified and len(loopback.seen) == 2
    assert third.cache_hit == "semantic" and third.text == second.text and third.cost_usd == 0.0
    assert third.routing["route"] == "cache" and third.verified
    hit = rows[-1]
    assert (hit.outcome, hit.cache_hit) == ("cache_hit", "semantic")
    assert hit.saved_usd == pytest.approx(small_cost(800, 12))
