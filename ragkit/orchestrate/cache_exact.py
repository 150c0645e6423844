"""Exact response cache on diskcache.

Key: sha256 of the canonical JSON (sorted keys, no whitespace) of provider, model, base_url, the
messages, the call parameters and the prompt template version - any change to any of them is a
different key. Values are plain dicts (a `Completion` and the dollars it cost). TTL and a size
limit bound it; `hits`/`misses` count lookups.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping, Sequence

from ragkit.types import Completion, Message, Usage


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def exact_key(*, provider: str, model: str, messages: Sequence[Message], params: Mapping[str, Any],
              template_version: str, base_url: str | None = None) -> str:
    """sha256 hex of the canonical request. Pure."""
    body = {
        "provider": provider,
        "model": model,
        "base_url": base_url,
        "messages": [[m.role, m.content, bool(m.cache)] for m in messages],
        "params": dict(params),
        "template_version": template_version,
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def completion_to_dict(c: Completion) -> dict[str, Any]:
    d = asdict(c)
    d["usage"] = asdict(c.usage)
    return d


def completion_from_dict(d: Mapping[str, Any]) -> Completion:
    data = dict(d)
    data["usage"] = Usage(**data.get("usage", {}))
    return Completion(**data)


class ExactCache:
    """A `ragkit.protocols.Cache` on diskcache at `path`; opened on first use; `close()` releases it."""

    def __init__(self, path: str | Path, *, ttl_s: float | None = 7 * 24 * 3600, size_limit_mb: int = 512):
        self.path = Path(path)
        self.ttl_s = ttl_s
        self.size_limit = int(size_limit_mb) * 1024 * 1024
        self.hits = 0
        self.misses = 0
        self._cache = None
        self._lock = threading.Lock()

    def _store(self):
        if self._cache is None:
            with self._lock:
                if self._cache is None:
                    import diskcache

                    self.path.mkdir(parents=True, exist_ok=True)
                    self._cache = diskcache.Cache(str(self.path), size_limit=self.size_limit)
        return self._cache

    def get(self, key: str) -> dict[str, Any] | None:
        value = self._store().get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        return value

    def set(self, key: str, value: dict[str, Any]) -> None:
        self._store().set(key, value, expire=self.ttl_s)

    def get_completion(self, key: str) -> tuple[Completion, float | None] | None:
        """(completion, what it cost when it was made) or None."""
        value = self.get(key)
        if value is None:
            return None
        return completion_from_dict(value["completion"]), value.get("cost_usd")

    def set_completion(self, key: str, completion: Completion, cost_usd: float | None) -> None:
        self.set(key, {"completion": completion_to_dict(completion), "cost_usd": cost_usd})

    def clear(self) -> None:
        self._store().clear()

    def close(self) -> None:
        with self._lock:
            if self._cache is not None:
                self._cache.close()
                self._cache = None
