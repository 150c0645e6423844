"""Config-level key policy (issue 13 item 7) and duplicate YAML keys: refused at load, before any request.

Which variables a config may name as an API key, which hosts an untrusted layer (a `ragkit.yaml`
picked up from the working directory, an eval suite's config) may point an endpoint at, and what
`security.allow_key_hosts` accepts. The request-level half is tests/models/test_key_hosts.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ragkit.config import RagkitConfig, load_config
from ragkit.errors import ConfigError

pytestmark = pytest.mark.unit
SECRET = "not-a-key-but-a-secret-0123456789"


def _route(**kw):
    return {"provider": "openai", "model": "gpt-4o-mini", **kw}


# ---- variables a config may name -------------------------------------------------------------
@pytest.mark.parametrize("where,overrides", [
    ("llm.small.api_key_env", {"llm": {"small": _route(base_url="https://llm.example.com/v1",
                                                       api_key_env="SOME_SECRET_VAR")}}),
    ("llm.small.fallbacks.0.api_key_env", {"llm": {"small": _route(fallbacks=[_route(api_key_env="HOME")])}}),
    ("llm.fallbacks.0.api_key_env", {"llm": {"fallbacks": [_route(api_key_env="GITHUB_TOKEN")]}}),
    ("llm.large.api_key_env", {"llm": {"large": {"provider": "anthropic", "model": "claude-haiku-4-5",
                                                 "api_key_env": "AWS_SECRET_ACCESS_KEY"}}}),
    ("embedder.api_key_env", {"embedder": {"provider": "openai", "api_key_env": "SOME_SECRET_VAR"}}),
    ("store.api_key_env", {"store": {"backend": "qdrant", "url": "https://q.example.com",
                                     "api_key_env": "SOME_SECRET_VAR"}}),
])
def test_a_variable_that_is_not_a_key_variable_is_refused(monkeypatch, where, overrides):
    monkeypatch.setenv("SOME_SECRET_VAR", SECRET)
    with pytest.raises(ConfigError) as info:
        load_config(overrides=overrides, env={})
    msg = str(info.value)
    assert where in msg and "_API_KEY" in msg and SECRET not in msg


def test_the_same_check_guards_from_dict():  # code paths that build a config from a dict (the eval judge)
    with pytest.raises(ConfigError, match=r"llm\.small\.api_key_env"):
        RagkitConfig.from_dict({"llm": {"small": _route(base_url="https://x.example.com/v1",
                                                        api_key_env="SOME_SECRET_VAR")}})


def test_another_providers_documented_key_is_refused():
    with pytest.raises(ConfigError, match=r"llm\.small\.api_key_env.*ANTHROPIC_API_KEY"):
        load_config(overrides={"llm": {"small": _route(api_key_env="ANTHROPIC_API_KEY")}}, env={})


def test_a_trusted_config_may_name_its_own_api_key_variable_for_its_own_host():
    cfg = load_config(overrides={"llm": {"small": _route(base_url="https://llm.example.com/v1",
                                                         api_key_env="MY_VLLM_API_KEY")}}, env={})
    assert cfg.llm.small.api_key_env == "MY_VLLM_API_KEY"


def test_a_custom_key_for_a_loopback_host_needs_the_host_allowed(monkeypatch):
    monkeypatch.delenv("RAGKIT_SECURITY__ALLOW_KEY_HOSTS", raising=False)
    route = _route(base_url="http://127.0.0.1:8000/v1", api_key_env="MY_VLLM_API_KEY")
    with pytest.raises(ConfigError, match=r"llm\.small.*127\.0\.0\.1.*security\.allow_key_hosts"):
        load_config(overrides={"llm": {"small": route}}, env={})
    cfg = load_config(overrides={"llm": {"small": route}, "security": {"allow_key_hosts": ["127.0.0.1:8000"]}},
                      env={})
    assert cfg.security.allow_key_hosts == ["127.0.0.1:8000"]


def test_allow_key_hosts_from_the_environment_and_bad_entries():
    cfg = load_config(env={"RAGKIT_SECURITY__ALLOW_KEY_HOSTS": "llm.example.com, 127.0.0.1:8080"})
    assert cfg.security.allow_key_hosts == ["llm.example.com", "127.0.0.1:8080"]
    with pytest.raises(ConfigError, match=r"security\.allow_key_hosts"):
        load_config(overrides={"security": {"allow_key_hosts": ["https://llm.example.com/v1"]}}, env={})


# ---- untrusted layers ---------------------------------------------------------------------------
def _yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("layer,key", [
    ({"llm": {"small": _route(base_url="https://evil.example.com/v1")}}, "llm.small.base_url"),
    ({"llm": {"small": _route(base_url=None)}}, "llm.small.base_url"),
    ({"llm": {"small": _route(api_key_env="EVIL_API_KEY")}}, "llm.small.api_key_env"),
    ({"llm": {"fallbacks": [_route(base_url="http://10.0.0.1/v1")]}}, "llm.fallbacks.0.base_url"),
    ({"embedder": {"provider": "openai", "base_url": "http://127.0.0.1@evil.example.com/v1"}}, "embedder.base_url"),
    ({"store": {"backend": "qdrant", "url": "https://q.evil.example.com"}}, "store.url"),
    ({"security": {"allow_key_hosts": ["evil.example.com"]}}, "security"),
])
def test_an_untrusted_file_may_not_widen_where_keys_and_text_go(tmp_path, layer, key):
    f = _yaml(tmp_path / "ragkit.yaml", layer)
    with pytest.raises(ConfigError) as info:
        load_config(untrusted=f, env={})
    msg = str(info.value)
    assert str(f) in msg and key in msg and "--config" in msg
    assert "evil" not in msg or "evil.example.com" in msg  # the value is named, credentials are not


def test_an_untrusted_mapping_names_its_source():
    with pytest.raises(ConfigError, match=r"(?s)suite\.yaml: config.*llm\.small\.base_url"):
        load_config(untrusted={"llm": {"small": _route(base_url="https://evil.example.com/v1")}},
                    untrusted_source="suite.yaml: config", env={})


def test_an_untrusted_layer_may_still_choose_models_thresholds_and_loopback_servers(tmp_path):
    layer = {"llm": {"small": _route(base_url="http://127.0.0.1:8080/v1", api_key_env="OPENAI_API_KEY"),
                     "fallbacks": [{"provider": "anthropic", "model": "claude-haiku-4-5", "base_url": "http://[::1]:9"}]},
             "retrieval": {"top_k": 4}, "answer": {"min_support": 0.7},
             "store": {"backend": "qdrant", "url": ":memory:"}}
    cfg = load_config(untrusted=_yaml(tmp_path / "ragkit.yaml", layer), env={})
    assert cfg.llm.small.base_url == "http://127.0.0.1:8080/v1" and cfg.retrieval.top_k == 4
    assert cfg.store.url == ":memory:"


def test_trusted_layers_still_set_what_an_untrusted_one_may_not(tmp_path, monkeypatch):
    monkeypatch.delenv("RAGKIT_SECURITY__ALLOW_KEY_HOSTS", raising=False)
    trusted = _yaml(tmp_path / "mine.yaml", {"llm": {"small": _route(base_url="https://llm.example.com/v1",
                                                                     api_key_env="MY_VLLM_API_KEY")}})
    untrusted = _yaml(tmp_path / "ragkit.yaml", {"llm": {"small": {"model": "other-model"}}})
    cfg = load_config(trusted, untrusted=untrusted, env={"RAGKIT_SECURITY__ALLOW_KEY_HOSTS": "127.0.0.1"})
    assert (cfg.llm.small.model, cfg.llm.small.base_url) == ("other-model", "https://llm.example.com/v1")
    assert cfg.security.allow_key_hosts == ["127.0.0.1"]
    # an untrusted layer cannot move the trusted key to a host of its choosing, loopback included
    moved = _yaml(tmp_path / "moved.yaml", {"llm": {"small": {"base_url": "http://127.0.0.1:9/v1"}}})
    with pytest.raises(ConfigError, match="MY_VLLM_API_KEY"):
        load_config(trusted, untrusted=moved, env={})


# ---- duplicate YAML keys ------------------------------------------------------------------------
def test_a_duplicate_key_is_an_error_naming_the_key_the_file_and_the_line(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("retrieval:\n  top_k: 5\n  rrf_k: 30\n  top_k: 7\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(f, env={})
    msg = str(info.value)
    assert str(f) in msg and "retrieval.top_k" in msg and "line 4" in msg and "line 2" in msg


def test_a_duplicate_section_and_a_duplicate_in_an_untrusted_file(tmp_path):
    f = tmp_path / "ragkit.yaml"
    f.write_text("llm:\n  small: {provider: extractive}\nretrieval: {top_k: 3}\nllm:\n  large: null\n")
    with pytest.raises(ConfigError, match=r"ragkit\.yaml:4: duplicate key 'llm'"):
        load_config(untrusted=f, env={})
    f.write_text("llm:\n  fallbacks:\n    - {provider: openai, model: a, model: b}\n")
    with pytest.raises(ConfigError, match=r"llm\.fallbacks\.0\.model"):
        load_config(f, env={})


def test_merge_keys_are_not_duplicates(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("retrieval:\n  <<: {top_k: 3, rrf_k: 30}\n  top_k: 5\n")
    assert load_config(f, env={}).retrieval.top_k == 5


def test_a_duplicate_key_in_an_environment_value():
    with pytest.raises(ConfigError, match="duplicate key 'a'"):
        load_config(env={"RAGKIT_ANSWER__ABSTAIN_EVIDENCE_WEIGHTS": "{a: 1, a: 2}"})


# ---- the working directory's ragkit.yaml (the CLI) ---------------------------------------------
def test_the_cli_treats_a_ragkit_yaml_in_the_working_directory_as_untrusted(tmp_path):
    _yaml(tmp_path / "ragkit.yaml", {"llm": {"small": _route(base_url="https://evil.example.com/v1",
                                                             api_key_env="EVIL_API_KEY")}})
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])  # this checkout's ragkit
    r = subprocess.run([sys.executable, "-m", "ragkit.cli.__main__", "config", "show"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "ragkit.yaml" in r.stderr and "llm.small.base_url" in r.stderr
    r = subprocess.run([sys.executable, "-m", "ragkit.cli.__main__", "config", "show", "--config", "ragkit.yaml"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr  # named explicitly: trusted
