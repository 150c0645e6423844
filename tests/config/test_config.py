"""Config: strict keys, env overrides, redaction, and configs/ files that validate."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.config import load_config, redacted
from ragkit.config.defaults import default_yaml
from ragkit.errors import ConfigError

pytestmark = pytest.mark.unit
CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_default_yaml_matches_the_models() -> None:
    assert (CONFIGS / "default.yaml").read_text() == default_yaml(), (
        "configs/default.yaml is stale: python -m ragkit.config.defaults > configs/default.yaml"
    )


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_validates(path: Path) -> None:
    load_config(path, env={})


def test_unknown_key_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"chunking\.chunk_sise: unknown key"):
        load_config(overrides={"chunking": {"chunk_sise": 100}}, env={})


def test_bad_value_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"retrieval\.top_k"):
        load_config(overrides={"retrieval": {"top_k": 0}}, env={})


def test_env_overrides_nested_keys_and_parses_scalars() -> None:
    cfg = load_config(env={"RAGKIT_STORE__URL": ":memory:", "RAGKIT_RETRIEVAL__TOP_K": "7",
                           "RAGKIT_STORE__BACKEND": "qdrant"})
    assert cfg.store.url == ":memory:" and cfg.retrieval.top_k == 7 and cfg.store.backend == "qdrant"


def test_unknown_env_key_is_an_error() -> None:
    with pytest.raises(ConfigError, match="retrieval.topk: unknown key"):
        load_config(env={"RAGKIT_RETRIEVAL__TOPK": "3"})


def test_env_beats_file_and_file_beats_defaults(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("retrieval:\n  top_k: 5\n  rrf_k: 30\n")
    cfg = load_config(f, env={"RAGKIT_RETRIEVAL__TOP_K": "9"})
    assert (cfg.retrieval.top_k, cfg.retrieval.rrf_k, cfg.retrieval.candidates) == (9, 30, 100)


def test_redaction_hides_secrets_and_url_credentials() -> None:
    data = {"store": {"url": "https://user:s3cret@host:6333", "api_key_env": "QDRANT_API_KEY"},
            "x": {"api_key": "sk-live-123", "token": "t0k"}}
    out = redacted(data)
    text = repr(out)
    assert "s3cret" not in text and "sk-live-123" not in text and "t0k" not in text
    assert out["store"]["api_key_env"] == "QDRANT_API_KEY"


def test_default_paths_live_under_home(tmp_path: Path) -> None:
    cfg = load_config(overrides={"home": str(tmp_path / "h")}, env={})
    assert cfg.index_path == tmp_path / "h" / "index"
    assert cfg.cache_path == tmp_path / "h" / "cache" and cfg.ledger_path == tmp_path / "h" / "ledger.db"
