"""build_store: the one place a `VectorStore` backend is chosen from config."""

from __future__ import annotations

from ragkit.errors import ConfigError


def build_store(cfg) -> "object":
    """An `EdgeStore` at ``cfg.index_path / "edge"`` or a `QdrantStore` at ``cfg.store.url``.

    Cheap: nothing is opened until the store is first used.
    """
    store = cfg.store
    if store.backend == "edge":
        from ragkit.index.edge_store import EdgeStore

        return EdgeStore(cfg.index_path / "edge", lock_timeout=store.lock_wait_s)
    if store.backend == "qdrant":
        if not store.url:
            raise ConfigError(
                "store.backend is 'qdrant' but store.url is not set: give a server URL "
                "(http://host:6333), or ':memory:' / a local directory for tests"
            )
        from ragkit.index.qdrant_store import QdrantStore, api_key_from_env

        key = api_key_from_env(store.api_key_env, store.url, allow_hosts=store._key_hosts,
                               where=store._key_where or "store")
        return QdrantStore(store.url, store.collection, api_key=key)
    raise ConfigError(f"store.backend: unknown backend {store.backend!r}; use 'edge' or 'qdrant'")
