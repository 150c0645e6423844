"""Acceptance 2: the ledger's cost of a scripted run equals the hand-computed cost, to the cent
fraction, with cache-read and cache-write tokens on both providers."""

from __future__ import annotations

import pytest

from tests.loopback.fixtures import anthropic_route, openai_route
from tests.loopback.server import Reply
from ragkit.orchestrate.ledger import Ledger
from ragkit.types import Message

from tests.orchestrate.helpers import gateway_for

pytestmark = pytest.mark.integration
MSGS = [Message("system", "S", cache=True), Message("user", "context", cache=True), Message("user", "q")]

# Hand-computed (USD per 1M tokens from prices.json 2026-10-24):
#   gpt-4o        in 2.50 out 10 read 1.25           : 1500 in, 300 out, 2048 read  -> 0.009310
#   gpt-4o-mini   in 0.15 out 0.60 read 0.075        : 1200 in, 350 out, 2048 read  -> 0.0005436
#   sonnet-4-6    in 3 out 15 read 0.30 write 3.75   : 50 in, 200 out, 1500 write    -> 0.008775
#   sonnet-4-6    (second call reads the prefix)     : 50 in, 180 out, 1500 read     -> 0.003300
#   haiku-4-5     in 1 out 5 read 0.10 write 1.25    : a 429 (not billed), then
#                                                      400 in, 100 out, 1000 read, 24 write -> 0.001030
EXPECTED = [0.009310, 0.0005436, 0.008775, 0.003300, 0.0, 0.001030]
TOTAL = 0.0229586


def test_ledger_cost_matches_hand_computed(tmp_path, loopback, fake_keys):
    runs = [
        ("gpt-4o", openai_route, [Reply.ok("a", input_tokens=1500, output_tokens=300, cache_read=2048)]),
        ("gpt-4o-mini", openai_route, [Reply.ok("b", input_tokens=1200, output_tokens=350, cache_read=2048)]),
        ("claude-sonnet-4-6", anthropic_route, [
            Reply.ok("c", input_tokens=50, output_tokens=200, cache_write=1500),
            Reply.ok("d", input_tokens=50, output_tokens=180, cache_read=1500)]),
        ("claude-haiku-4-5", anthropic_route, [
            Reply.rate_limited("0"),
            Reply.ok("e", input_tokens=400, output_tokens=100, cache_read=1000, cache_write=24)]),
    ]
    results = []
    for model, route, replies in runs:
        g = gateway_for(tmp_path, {"small": route(loopback, model)}, run_id=f"run-{model}")
        loopback.script(model, *replies)
        for _ in range(len([r for r in replies if r.kind == "ok"])):
            results.append(g.complete(MSGS, query_id=f"q-{model}"))
        g.close()
    with Ledger(tmp_path / "ledger.db") as ledger:
        rows = ledger.rows()
        costs = [r.cost_usd for r in rows]
        assert costs == pytest.approx(EXPECTED, abs=1e-12)
        assert ledger.spent() == pytest.approx(TOTAL, abs=1e-12)
        assert round(ledger.spent() * 100, 6) == round(TOTAL * 100, 6)  # cents, to a millionth of a cent
    assert [(r.cache_read_tokens, r.cache_write_tokens) for r in rows] == [
        (2048, 0), (2048, 0), (0, 1500), (1500, 0), (0, 0), (1000, 24)]
    assert [r.input_tokens for r in rows] == [1500, 1200, 50, 50, 0, 400]  # OpenAI: prompt minus cached
    assert sum(r.cost_usd for r in results) == pytest.approx(TOTAL, abs=1e-12)  # what callers were told
    assert [r.attempt for r in rows] == [1, 1, 1, 1, 1, 2]
