"""Per-key daily budgets: each answer's cost is charged to its key (JSON, SSE and the OpenAI
endpoint), a key over its budget gets 402 budget_exceeded with Retry-After, other keys go on, and
the spend survives a restart; /v1/chat is charged and refused the same way (it is kept in <home>/serve/spend.sqlite)."""

from __future__ import annotations

import json

import pytest

from ragkit.serve.budget import KeySpend, seconds_to_midnight, utc_day
from ragkit.serve.keys import hash_key, load_keys
from ragkit.serve.state import ServedRAG
from tests.loopback.fixtures import fake_keys, loopback, openai_route  # noqa: F401
from tests.loopback.server import Reply
from tests.serve.helpers import DOCS, make_config, parse_sse, start, stop, wait_ready, write_docs

pytestmark = pytest.mark.integration
Q = "At what temperature does the alpha reactor run?"
GOOD = "The alpha reactor runs at 451 kelvin. [Source: acme/alpha.md]"
# gpt-4o-mini: $0.15 per million input tokens, so 1,000,000 input tokens cost $0.15 a call
PRICED = dict(input_tokens=1_000_000, output_tokens=0)


@pytest.fixture
def budget_live(tmp_path, loopback, fake_keys, embedder_warm):  # noqa: F811
    cfg = make_config(tmp_path)
    cfg = cfg.model_copy(update={"llm": cfg.llm.model_validate({"small": openai_route(loopback)}),
                                 "cache": cfg.cache.model_copy(update={"enabled": False})})
    keys_file = tmp_path / "budget-keys.json"
    keys_file.write_text(json.dumps({"keys": [
        {"id": "capped", "sha256": hash_key("k-capped"), "tenant": "acme", "roles": ["query"],
         "budget_usd_per_day": 0.2},
        {"id": "free", "sha256": hash_key("k-free"), "tenant": "acme", "roles": ["query"]}]}))
    write_docs(tmp_path / "uploads", DOCS)
    rag = ServedRAG(cfg, embedder=embedder_warm)
    rag.ingest([tmp_path / "uploads"])
    live = start(cfg, rag, {}, tmp_path, keys=load_keys(str(keys_file), {}))
    wait_ready(live)
    yield live, loopback, cfg
    stop(live)


def test_a_key_over_its_daily_budget_is_refused_until_midnight_and_others_go_on(budget_live):
    live, provider, cfg = budget_live
    provider.script(None, *[Reply.ok(GOOD, **PRICED) for _ in range(6)])
    with live.client("k-capped") as c:
        first = c.post("/v1/ask", json={"question": Q})
        assert first.status_code == 200 and first.json()["cost_usd"] == pytest.approx(0.15)
        with c.stream("POST", "/v1/ask", json={"question": Q, "stream": True}) as r:  # under budget: 0.15 < 0.2
            events = list(parse_sse(r.iter_lines()))
        assert any(kind == "done" for kind, _ in events)
        refused = c.post("/v1/ask", json={"question": Q})
        assert refused.status_code == 402, refused.text
        err = refused.json()["error"]
        assert err["type"] == "budget_exceeded" and "0.3000" in err["message"] and "0.2000" in err["message"]
        assert 0 < int(refused.headers["Retry-After"]) <= 86401
        assert c.post("/v1/chat/completions", json={"model": "ragkit", "messages": [
            {"role": "user", "content": Q}]}).status_code == 402
        assert c.post("/v1/chat", json={"session_id": "s1", "message": Q}).status_code == 402
    with live.client("k-free") as c:
        assert c.post("/v1/chat/completions", json={"model": "ragkit", "messages": [
            {"role": "user", "content": Q}]}).status_code == 200
    again = KeySpend(cfg.home_path / "serve" / "spend.sqlite")  # what a restarted server reads
    try:
        assert again.today("capped") == pytest.approx(0.30)
        assert again.today("free") == pytest.approx(0.15)
        assert again.today("capped", day="1999-01-01") == 0.0
    finally:
        again.close()


def test_spend_is_per_day_and_midnight_is_ahead(tmp_path):
    import datetime as dt

    s = KeySpend(tmp_path / "spend.sqlite")
    s.charge("k", 0.5, day="2026-01-01")
    s.charge("k", 0.25, day="2026-01-01")
    s.charge("k", 1.0, day="2026-01-02")
    assert s.today("k", day="2026-01-01") == pytest.approx(0.75) and s.today("k", day="2026-01-02") == 1.0
    late = dt.datetime(2026, 1, 1, 23, 59, 30, tzinfo=dt.timezone.utc)
    assert seconds_to_midnight(late) == 31 and utc_day(late) == "2026-01-01"
    s.close()
