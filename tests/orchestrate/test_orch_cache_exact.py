"""Exact cache: the cache conformance suite, canonical keys, hits served without a call and counted in
the ledger, TTL."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.loopback.fixtures import openai_route
from tests.loopback.server import Reply
from ragkit.orchestrate.cache_exact import ExactCache, canonical_json, exact_key
from ragkit.testing import CacheConformance
from ragkit.types import Completion, Message, Usage

from tests.orchestrate.helpers import gateway_for

MSGS = [Message("system", "S", cache=True), Message("user", "What is the capital of France?")]
BASE = dict(provider="openai", model="gpt-4o-mini", messages=MSGS, params={"max_tokens": 10, "temperature": 0.1},
            template_version="v1")


@pytest.mark.unit
def test_key_is_canonical_and_sensitive_to_every_part():
    k = exact_key(**BASE)
    assert len(k) == 64 and k == exact_key(**{**BASE, "params": {"temperature": 0.1, "max_tokens": 10}})
    variants = [
        {"model": "gpt-4o"},
        {"provider": "anthropic"},
        {"template_version": "v2"},
        {"params": {"max_tokens": 11, "temperature": 0.1}},
        {"messages": [MSGS[0], Message("user", "What is the capital of Germany?")]},
        {"messages": [Message("system", "S", cache=False), MSGS[1]]},
        {"base_url": "http://other/v1"},
    ]
    assert len({exact_key(**{**BASE, **v}) for v in variants} | {k}) == len(variants) + 1


@pytest.mark.unit
@given(st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5), st.booleans())))
def test_canonical_json_ignores_key_order(d):
    assert canonical_json(d) == canonical_json(dict(reversed(list(d.items()))))


@pytest.mark.integration
class TestExactCache(CacheConformance):
    """The exact cache conformance suite on diskcache."""

    def make_cache(self, path):
        return ExactCache(path)


@pytest.mark.unit
def test_ttl_expires_entries(tmp_path):
    cache = ExactCache(tmp_path / "c", ttl_s=0.2)
    c = Completion("x", "m", "openai", usage=Usage(1, 2))
    cache.set_completion("k", c, 0.5)
    assert cache.get_completion("k") == (c, 0.5)
    time.sleep(0.35)
    assert cache.get_completion("k") is None
    assert (cache.hits, cache.misses) == (1, 1)
    cache.close()


@pytest.mark.integration
def test_hit_is_served_without_a_call_and_recorded(tmp_path, loopback, fake_keys):
    g = gateway_for(tmp_path, {"small": openai_route(loopback, "gpt-4o-mini")}, cache=True)
    loopback.script("gpt-4o-mini", Reply.ok("Paris.", input_tokens=1000, output_tokens=20))
    first = g.complete(MSGS, query_id="a", template_version="v1")
    second = g.complete(MSGS, query_id="b", template_version="v1")
    assert len(loopback.seen) == 1
    assert second.cache_hit == "exact" and second.completion.text == "Paris." and second.cost_usd == 0.0
    assert second.saved_usd == pytest.approx(first.cost_usd) == pytest.approx((1000 * 0.15 + 20 * 0.6) / 1e6)
    rows = g.ledger.rows()
    assert [(r.outcome, r.cache_hit, r.query_id) for r in rows] == [("ok", None, "a"), ("cache_hit", "exact", "b")]
    assert rows[1].saved_usd == pytest.approx(first.cost_usd) and rows[1].cost_usd == 0.0
    loopback.script("gpt-4o-mini", Reply.ok("Paris!"))
    third = g.complete(MSGS, template_version="v2")  # a new prompt template version is a new key
    assert third.cache_hit is None and len(loopback.seen) == 2
    fourth = g.complete(MSGS, template_version="v1", use_cache=False)
    assert fourth.cache_hit is None and len(loopback.seen) == 3
    g.close()
