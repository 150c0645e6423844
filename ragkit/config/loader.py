"""The whole config: YAML file -> dict overrides -> RAGKIT_* environment -> validated model."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import Field, ValidationError

from ragkit.config.app import AnswerConfig
from ragkit.config.base import Section
from ragkit.config.data import (
    ChunkingConfig,
    EmbedderConfig,
    IngestConfig,
    RerankConfig,
    RetrievalConfig,
    StoreConfig,
)
from ragkit.config.orchestrate import BudgetConfig, CacheConfig, LedgerConfig, LLMConfig, RetryConfig
from ragkit.errors import ConfigError

ENV_PREFIX = "RAGKIT_"
# RAGKIT_* variables that are not settings: the config file path, test and benchmark switches
NOT_SETTINGS = frozenset({"RAGKIT_CONFIG", "RAGKIT_FAULT", "RAGKIT_FAULT_SEEN", "RAGKIT_SHARED_DIR"})
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
) -> RagkitConfig:
    """Load YAML (if given), deep-merge `overrides`, then RAGKIT_* env vars; validate strictly."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}")
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{p}: the top level must be a mapping of sections")
        data = loaded
    if overrides:
        data = _merge(data, dict(overrides))
    data = _merge(data, env_overrides(os.environ if env is None else env))
    return _validate(data)


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
            value = yaml.safe_load(raw) if raw != "" else None
        except yaml.YAMLError:
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
