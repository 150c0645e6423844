"""The whole config: defaults -> YAML file -> dict overrides -> an untrusted layer -> RAGKIT_*
environment -> validated model.

Every layer is trusted (the file you name with --config / $RAGKIT_CONFIG / RAG(path), code, your
environment) except the `untrusted` one: a `ragkit.yaml` picked up from the working directory or
an eval suite's config. That layer may not widen where keys and text are sent (no `security`,
no key variable of its own, `base_url` / `url` only to loopback): see ragkit/config/security.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping

from pydantic import Field, ValidationError, model_validator

from ragkit.config.app import AnswerConfig
from ragkit.config.base import Section
from ragkit.config.chat import ChatConfig
from ragkit.config.data import (
    ChunkingConfig,
    EmbedderConfig,
    IngestConfig,
    RerankConfig,
    RetrievalConfig,
    StoreConfig,
)
from ragkit.config.orchestrate import BudgetConfig, CacheConfig, LedgerConfig, LLMConfig, RetryConfig
from ragkit.config.security import SecurityConfig, check_config, check_untrusted
from ragkit.config.serve import ServeConfig
from ragkit.config.yaml_strict import load_yaml, read_yaml_file
from ragkit.errors import ConfigError

ENV_PREFIX = "RAGKIT_"
# RAGKIT_* variables that are not settings: the config file path, test and benchmark switches
NOT_SETTINGS = frozenset({"RAGKIT_CONFIG", "RAGKIT_FAULT", "RAGKIT_FAULT_SEEN", "RAGKIT_SHARED_DIR",
                          "RAGKIT_API_KEYS",  # ragkit serve's keys (ragkit/serve/keys.py)
                          "RAGKIT_REQUIRE_BROWSER", "RAGKIT_UI_ARTIFACTS",  # tests/ui (the web page)
                          "RAGKIT_REQUIRE_OCR"})  # tests/ingest/formats/test_ocr.py
_SECRET_KEY = re.compile(r"(api_key|secret|password|token)$", re.I)


class RagkitConfig(Section):
    home: str = ".ragkit"  # index, cache and ledger live under here unless set one by one
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    chunking: ChunkingConfig = Field(default_factory=ChunkingConfig)
    embedder: EmbedderConfig = Field(default_factory=EmbedderConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    rerank: RerankConfig = Field(default_factory=RerankConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    answer: AnswerConfig = Field(default_factory=AnswerConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    chat: ChatConfig = Field(default_factory=ChatConfig)

    @model_validator(mode="after")
    def _key_policy(self) -> "RagkitConfig":
        check_config(self)  # raises KeyPolicyError (a ConfigError naming the key)
        return self

    # ---- resolved paths ------------------------------------------------------------------------
    @property
    def home_path(self) -> Path:
        return Path(self.home).expanduser().resolve()

    @property
    def index_path(self) -> Path:
        return Path(self.store.path).expanduser().resolve() if self.store.path else self.home_path / "index"

    @property
    def cache_path(self) -> Path:
        return Path(self.cache.path).expanduser().resolve() if self.cache.path else self.home_path / "cache"

    @property
    def chat_path(self) -> Path:
        return Path(self.chat.path).expanduser().resolve() if self.chat.path else self.home_path / "chat" / "sessions.sqlite"

    @property
    def ledger_path(self) -> Path:
        return Path(self.ledger.path).expanduser().resolve() if self.ledger.path else self.home_path / "ledger.db"

    @property
    def manifest_path(self) -> Path:
        return self.index_path / "manifest.json"

    # ---- dict shape ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RagkitConfig":
        return _validate(dict(data))


def load_config(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    untrusted: str | Path | Mapping[str, Any] | None = None,
    untrusted_source: str | None = None,
    untrusted_hint: str | None = None,
) -> RagkitConfig:
    """Load YAML (if given), deep-merge `overrides`, then the `untrusted` layer (a YAML file or a
    mapping, checked first: `untrusted_source` names it in errors, `untrusted_hint` says what to
    do instead), then RAGKIT_* env vars; validate strictly."""
    data: dict[str, Any] = {}
    if path is not None:
        data = _read_file(path)
    if overrides:
        data = _merge(data, dict(overrides))
    if untrusted is not None:
        if isinstance(untrusted, Mapping):
            layer, source = dict(untrusted), untrusted_source or "untrusted config"
        else:
            layer, source = _read_file(untrusted), untrusted_source or str(untrusted)
        check_untrusted(layer, source, untrusted_hint)
        data = _merge(data, layer)
    data = _merge(data, env_overrides(os.environ if env is None else env))
    return _validate(data)


def _read_file(path: str | Path) -> dict[str, Any]:
    loaded = read_yaml_file(path) or {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return loaded


def env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    """RAGKIT_STORE__URL=http://... -> {"store": {"url": "http://..."}}; values parsed as YAML scalars."""
    out: dict[str, Any] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS:
            continue
        keys = [k.lower() for k in name[len(ENV_PREFIX):].split("__") if k]
        if not keys:
            continue
        try:
            value = load_yaml(raw, f"${name}") if raw != "" else None
        except ConfigError as exc:
            if "duplicate key" in str(exc):
                raise
            value = raw
        if isinstance(value, (dict, list)) and not raw.lstrip().startswith(("{", "[")):
            value = raw  # "host:6333" or ":memory:" are strings, not mappings
        node = out
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _validate(data: dict[str, Any]) -> RagkitConfig:
    try:
        return RagkitConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            if err["type"] == "extra_forbidden":
                problems.append(f"{key}: unknown key")
            else:
                problems.append(f"{key}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems)) from None


def redacted(data: Any, key: str = "") -> Any:
    """A copy of a config dict with secret-looking values and URL credentials hidden."""
    if isinstance(data, dict):
        return {k: redacted(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [redacted(v, key) for v in data]
    if isinstance(data, str):
        if _SECRET_KEY.search(key) and not key.endswith("_env"):
            return "***"
        return re.sub(r"(//)[^/@\s]+@", r"\1***@", data)
    return data
