"""Config -> gateway wiring, the example configs, and import lightness."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ragkit.config import load_config
from ragkit.errors import ConfigError
from ragkit.orchestrate import build_gateway

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.unit
@pytest.mark.parametrize("name", ["openai.yaml", "anthropic.yaml"])
def test_example_configs_build_a_gateway(tmp_path, name):
    cfg = load_config(REPO / "configs" / name, overrides={"home": str(tmp_path), "ledger": {"path": None}}, env={})
    g = build_gateway(cfg)
    small, large = g.routes["small"], g.routes["large"]
    assert small[0].provider == large[0].provider == name.split(".")[0]
    assert len(small) == 2 and all(s.context_window for s in small)  # windows come from the price table
    assert g.budget is not None and cfg.llm.routing.mode in ("policy", "cascade")
    g.close()


@pytest.mark.unit
def test_default_config_is_extractive_and_offline(tmp_path):
    from ragkit.answer.generators import ExtractiveGenerator, api_routes, build_generators

    cfg = load_config(overrides={"home": str(tmp_path)}, env={})
    g = build_gateway(cfg, routes=api_routes(cfg))
    assert g.routes == {} and g.budget is None  # the offline generator is no API route
    gens = build_generators(cfg, g)
    assert list(gens) == ["small"] and isinstance(gens["small"], ExtractiveGenerator)
    g.close()


@pytest.mark.unit
def test_an_offline_entry_is_kept_out_of_the_gateway_and_answers_last(tmp_path):
    from ragkit.answer.generators import LLMGenerator, api_routes, build_generators

    cfg = load_config(overrides={"home": str(tmp_path), "llm": {
        "small": {"provider": "openai", "model": "gpt-4o-mini", "fallbacks": [{"provider": "extractive"}]}}}, env={})
    g = build_gateway(cfg, routes=api_routes(cfg))
    assert [s.provider for s in g.routes["small"]] == ["openai"]
    gen = build_generators(cfg, g)["small"]
    assert isinstance(gen, LLMGenerator) and gen.offline is not None
    with pytest.raises(ConfigError, match="no API provider"):
        build_gateway(cfg)  # every configured entry, the offline one included: refused, not mistaken
    g.close()


@pytest.mark.unit
def test_bad_routing_and_unknown_keys_are_config_errors():
    with pytest.raises(ConfigError, match="llm.routing.mode"):
        load_config(overrides={"llm": {"routing": "sometimes"}}, env={})
    with pytest.raises(ConfigError, match="llm.small.api_key: unknown key"):
        load_config(overrides={"llm": {"small": {"api_key": "sk-x"}}}, env={})  # keys never live in config


@pytest.mark.unit
def test_importing_the_layers_loads_no_sdk():
    code = ("import sys, ragkit, ragkit.orchestrate, ragkit.models.llm, ragkit.models.prices, "
            "ragkit.models.embedders.openai, ragkit.cli.cost\n"
            "print(sorted(m for m in ('openai', 'anthropic', 'torch', 'sentence_transformers', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
