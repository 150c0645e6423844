"""Acceptance 4: budgets are checked on the estimated cost before each call; the run stops before
the budget is exceeded, says so, and the refused call is never sent."""

from __future__ import annotations

import pytest

from tests.loopback.fixtures import openai_route
from tests.loopback.server import Reply
from ragkit.errors import BudgetExceededError
from ragkit.models.prices import load_prices
from ragkit.orchestrate.budget import estimate_cost, estimate_tokens
from ragkit.types import Message

from tests.orchestrate.helpers import gateway_for

pytestmark = pytest.mark.integration
MSGS = [Message("user", "What is the capital of France?")]
CALL = Reply.ok("Paris", input_tokens=100, output_tokens=50)  # gpt-4o: (100*2.5 + 50*10)/1e6 = 0.00075


def test_estimate_is_prompt_plus_max_tokens():
    tokens = estimate_tokens(MSGS, "gpt-4o")
    assert 8 <= tokens <= 20
    assert estimate_cost(load_prices(), "gpt-4o", tokens, 100) == pytest.approx((tokens * 2.5 + 100 * 10) / 1e6)
    assert estimate_cost(load_prices(), "nope", tokens, 100) is None
    # other vendors' tokenizers: a margin over the tiktoken count; a cached prefix at the cache-write rate
    assert estimate_cost(load_prices(), "claude-haiku-4-5", 1000, 100, provider="anthropic",
                         cached_prefix=True) == pytest.approx((1350 * 1.25 + 100 * 5) / 1e6)


def test_run_stops_before_the_budget_is_exceeded(tmp_path, loopback, fake_keys):
    g = gateway_for(tmp_path, {"small": openai_route(loopback, "gpt-4o", max_tokens=100)},
                    budget={"per_run_usd": 0.002})
    loopback.default = CALL
    g.complete(MSGS)  # spent 0 + est ~0.00104 <= 0.002
    g.complete(MSGS)  # spent 0.00075 + est <= 0.002
    with pytest.raises(BudgetExceededError, match="run budget would be exceeded") as info:
        g.complete(MSGS)  # spent 0.0015 + est ~0.00104 > 0.002
    assert "was not made" in str(info.value) and "per_run_usd" in str(info.value)
    assert len(loopback.seen) == 2  # the third call never reached the provider
    spent = g.ledger.spent(run_id=g.run_id)
    assert spent == pytest.approx(0.0015, abs=1e-12) and spent <= 0.002
    assert len(g.ledger.rows()) == 2


def test_daily_budget_spans_runs(tmp_path, loopback, fake_keys):
    loopback.default = CALL
    a = gateway_for(tmp_path, {"small": openai_route(loopback, "gpt-4o", max_tokens=10)}, run_id="a",
                    budget={"per_day_usd": 0.0008})
    a.complete(MSGS)
    a.close()
    b = gateway_for(tmp_path, {"small": openai_route(loopback, "gpt-4o", max_tokens=10)}, run_id="b",
                    budget={"per_day_usd": 0.0008})
    with pytest.raises(BudgetExceededError, match="daily budget"):
        b.complete(MSGS)  # 0.00075 spent today by run a + this estimate (~0.00014) > 0.0008
    assert len(loopback.seen) == 1


def test_unpriced_model_is_refused_when_a_budget_is_set(tmp_path, loopback, fake_keys):
    g = gateway_for(tmp_path, {"small": openai_route(loopback, "my-local-model")}, budget={"per_run_usd": 1.0})
    with pytest.raises(BudgetExceededError, match="has no price"):
        g.complete(MSGS)
    assert loopback.seen == []


def test_paid_embedding_calls_are_held_to_the_budget(tmp_path, loopback, fake_keys):
    from ragkit.models.embedders.openai import OpenAIEmbedder

    g = gateway_for(tmp_path, {"small": openai_route(loopback, "gpt-4o")}, budget={"per_run_usd": 0.000001})
    e = OpenAIEmbedder("text-embedding-3-large", base_url=loopback.openai_base_url, runner=g.embedding_runner())
    e.embed(["tiny"])  # 1 token * 0.13/1M fits
    with pytest.raises(BudgetExceededError):
        e.embed(["many words " * 2000])  # ~4000 tokens * 0.13/1M = 0.00052 > budget
    assert len(loopback.seen) == 1
