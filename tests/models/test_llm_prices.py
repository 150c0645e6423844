"""Prices: the pure cost function to the cent fraction, name resolution, unknown = None, overrides."""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ragkit.errors import ConfigError
from ragkit.models.prices import Price, Rates, UnknownPriceWarning, cost_usd, load_prices
from ragkit.types import Usage

pytestmark = pytest.mark.unit


def test_bundled_table_is_versioned_and_covers_both_families():
    table = load_prices()
    assert table.version and table.date.count("-") == 2
    for model in ("gpt-5.5", "gpt-5.4-mini", "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini",
                  "text-embedding-3-small", "text-embedding-3-large", "claude-opus-5-5", "claude-sonnet-5-5",
                  "claude-sonnet-4-6", "claude-sonnet-4-5", "claude-haiku-5-5", "claude-haiku-4-5", "claude-3-5-haiku",
                  "claude-opus-4-1"):
        assert model in table, model


def test_cost_by_hand_openai_with_cached_tokens():
    # gpt-4o-mini: 0.15 in, 0.60 out, 0.075 cached read (USD / 1M)
    usage = Usage(input_tokens=1200, output_tokens=350, cache_read_tokens=2048)
    expected = (1200 * 0.15 + 350 * 0.60 + 2048 * 0.075) / 1e6  # = 0.0005436
    assert load_prices().cost("gpt-4o-mini", usage) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.0005436, abs=1e-12)


def test_cost_by_hand_anthropic_with_cache_write_and_read():
    # claude-sonnet-4-5: 3 in, 15 out, 0.30 read, 3.75 write
    usage = Usage(input_tokens=50, output_tokens=200, cache_read_tokens=3000, cache_write_tokens=1500)
    expected = (50 * 3 + 200 * 15 + 3000 * 0.30 + 1500 * 3.75) / 1e6  # = 0.009675
    assert load_prices().cost("claude-sonnet-4-5", usage) == pytest.approx(0.009675, abs=1e-12)
    assert expected == pytest.approx(0.009675, abs=1e-12)


def test_long_context_tier_applies_above_threshold():
    table = load_prices()
    small = Usage(input_tokens=200_000, output_tokens=1000)
    large = Usage(input_tokens=200_001, output_tokens=1000)
    assert table.cost("claude-sonnet-4-5", small) == pytest.approx((200_000 * 3 + 1000 * 15) / 1e6, abs=1e-12)
    assert table.cost("claude-sonnet-4-5", large) == pytest.approx((200_001 * 6 + 1000 * 22.5) / 1e6, abs=1e-12)


def test_prompt_length_tier_prices_every_token_of_the_call():
    # claude-haiku-5-5: <= 100k prompt tokens 0.10/0.50/0.01/0.125; above, 0.50/2.50/0.05/0.625 on every token
    table = load_prices()
    short = Usage(input_tokens=60_000, output_tokens=1000, cache_read_tokens=40_000)
    long = Usage(input_tokens=60_000, output_tokens=1000, cache_read_tokens=40_000, cache_write_tokens=1)
    assert table.cost("claude-haiku-5-5", short) == pytest.approx((60_000 * 0.10 + 1000 * 0.50 + 40_000 * 0.01) / 1e6)
    assert table.cost("claude-haiku-5-5", long) == pytest.approx(
        (60_000 * 0.50 + 1000 * 2.50 + 40_000 * 0.05 + 1 * 0.625) / 1e6)


@pytest.mark.parametrize("name,base", [
    ("gpt-4o-2024-08-06", "gpt-4o"),
    ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
    ("claude-sonnet-4-0", "claude-sonnet-4"),
])
def test_snapshot_ids_resolve_to_their_base(name, base):
    table = load_prices()
    assert table.get(name) is table.get(base)


def test_prefix_is_not_a_match():
    table = load_prices()
    assert table.get("gpt-4o-mini") is not table.get("gpt-4o")
    assert table.get("gpt-4o-turbo-preview") is None  # no guessing from a prefix


def test_unknown_model_costs_none_and_warns_once():
    table = load_prices()
    with pytest.warns(UnknownPriceWarning, match="my-local-model"):
        assert table.cost("my-local-model", Usage(100, 100)) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert table.cost("my-local-model", Usage(1, 1)) is None  # no second warning


def test_user_file_overrides_and_adds(tmp_path):
    f = tmp_path / "prices.json"
    f.write_text(json.dumps({"version": "mine-1", "date": "2030-01-01",
                             "models": {"gpt-4o": {"input": 1, "output": 2},
                                        "my-local-model": {"input": 0, "output": 0}}}))
    table = load_prices(f)
    assert table.cost("gpt-4o", Usage(1_000_000, 1_000_000, 1_000_000)) == pytest.approx(1 + 2 + 1)  # read = input
    assert table.cost("my-local-model", Usage(10, 10)) == 0.0
    assert "mine-1" in table.version
    assert table.get("claude-haiku-4-5") is not None  # the rest of the bundled table stays


def test_bad_override_says_what_is_wrong(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_prices(tmp_path / "missing.json")
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"models": {"x": {"input": "cheap"}}}))
    with pytest.raises(ConfigError, match="models.x"):
        load_prices(f)


_PRICE = Price("m", "p", Rates(2.5, 10.0, 1.25, 3.125))
tokens = st.integers(min_value=0, max_value=5_000_000)
usages = st.builds(Usage, tokens, tokens, tokens, tokens)


@given(usages, usages)
def test_cost_is_additive_and_non_negative(a, b):
    assert cost_usd(a, _PRICE) >= 0
    assert cost_usd(a + b, _PRICE) == pytest.approx(cost_usd(a, _PRICE) + cost_usd(b, _PRICE), rel=1e-12, abs=1e-12)
