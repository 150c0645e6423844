"""EdgeStore (Qdrant Edge, on disk): the conformance suite plus what only Edge has."""

from __future__ import annotations

import json

import pytest

from ragkit.errors import IndexLockedError
from ragkit.index.edge_store import EdgeStore
from ragkit.testing import StoreConformance

pytestmark = pytest.mark.integration


class TestEdgeStore(StoreConformance):
    reopenable = True

    def make_store(self, path):
        return EdgeStore(path / "edge")


def test_second_open_of_one_index_is_a_clear_lock_error(tmp_path, corpus):
    a = EdgeStore(tmp_path)
    a.ensure_collection(corpus.dim)
    b = EdgeStore(tmp_path)
    with pytest.raises(IndexLockedError, match="one at a time"):
        b.count()
    a.close()
    assert b.count() == 0  # the lock goes with close()
    b.close()


def test_metadata_sidecar_is_plain_json_next_to_the_shard(tmp_path, corpus):
    s = EdgeStore(tmp_path)
    s.ensure_collection(corpus.dim, embedder="m")
    s.update_meta({"bm25": {"avgdl": 12.5}})
    s.close()
    meta = json.loads((tmp_path / "store_meta.json").read_text())
    assert meta["bm25"] == {"avgdl": 12.5} and meta["dim"] == corpus.dim and meta["embedder"] == "m"
    assert (tmp_path / "shard" / "edge_config.json").is_file()
    assert not list(tmp_path.glob(".meta-*"))  # no temp files left behind


def test_lost_sidecar_recovers_dim_from_the_shard(tmp_path, corpus):
    s = EdgeStore(tmp_path)
    s.ensure_collection(corpus.dim)
    s.upsert(corpus.chunks, corpus.dense, corpus.sparse)
    s.close()
    (tmp_path / "store_meta.json").unlink()
    s = EdgeStore(tmp_path)
    assert s.dim == corpus.dim and s.count() == len(corpus.chunks)
    s.close()


def test_optimize_keeps_every_point_and_result(tmp_path, corpus):
    s = EdgeStore(tmp_path)
    s.ensure_collection(corpus.dim)
    s.upsert(corpus.chunks, corpus.dense, corpus.sparse)
    s.delete_ids([corpus.chunks[0].chunk_id])
    dense, sparse = corpus.query("gas giant")
    before = [h.chunk.chunk_id for h in s.search(dense, sparse, top_k=5, candidates=8)]
    s.optimize()
    assert s.count() == len(corpus.chunks) - 1
    assert [h.chunk.chunk_id for h in s.search(dense, sparse, top_k=5, candidates=8)] == before
    s.close()


def test_lock_timeout_waits_for_the_other_holder(tmp_path, corpus):
    import threading

    a = EdgeStore(tmp_path)
    a.ensure_collection(corpus.dim)
    threading.Timer(0.3, a.close).start()
    with EdgeStore(tmp_path, lock_timeout=20) as b:
        assert b.count() == 0


def test_optimize_after_deletes_gives_the_scores_of_a_clean_build(tmp_path, corpus):
    """The engine's IDF counts deleted points until their segment is vacuumed; optimize() does that."""
    updated = EdgeStore(tmp_path / "updated")
    updated.ensure_collection(corpus.dim)
    updated.upsert(corpus.chunks, corpus.dense, corpus.sparse)
    updated.delete_where({"source": {"glob": "guides/*"}})
    clean = EdgeStore(tmp_path / "clean")
    clean.ensure_collection(corpus.dim)
    keep = [i for i, c in enumerate(corpus.chunks) if not c.source.startswith("guides/")]
    clean.upsert([corpus.chunks[i] for i in keep], corpus.dense[keep], [corpus.sparse[i] for i in keep])
    _, q = corpus.query("cats sleep at dusk")

    def scores(store):
        return [(h.chunk.chunk_id, round(h.score, 5)) for h in store.search(None, q, top_k=5, candidates=5)]

    assert scores(updated) != scores(clean)  # stale statistics before the vacuum
    updated.optimize()
    assert scores(updated) == scores(clean)
    updated.close()
    clean.close()
