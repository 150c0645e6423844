"""What every `VectorStore` must do with its data: collection, writes, payload, metadata, filters."""

from __future__ import annotations

import dataclasses

import numpy as np

from ragkit import filters as flt
from ragkit.errors import FilterError, IndexMismatchError, StoreError
from ragkit.protocols import VectorStore
from ragkit.testing.checks import assert_satisfies, close, raises, skip
from ragkit.testing.corpus import PAYLOAD_KEYS
from ragkit.testing.filter_cases import FILTER_CASES, MALFORMED_SPECS, UNKNOWN_FIELD_SPECS, random_filter_specs
from ragkit.testing.store_fixtures import EMBEDDER_NAME, StoreFixtures

NEW_ID = "6f1f3d0e-0000-4000-8000-000000000001"


class StoreDataConformance(StoreFixtures):
    # ---- collection -----------------------------------------------------------------------------
    def test_satisfies_protocol(self):
        assert_satisfies(self.fresh(), VectorStore)

    def test_a_missing_index_says_to_ingest(self):
        s = self.fresh()
        assert s.exists() is False and s.points() == 0
        for read in (s.count, s.meta, s.ids_where):
            with raises(StoreError, match="ragkit ingest"):
                read()

    def test_ensure_collection_creates_once(self):
        s = self.fresh()
        c = self.corpus
        s.ensure_collection(c.dim, embedder=EMBEDDER_NAME)
        assert s.exists() and s.count() == 0
        s.upsert(c.chunks[:2], c.dense[:2], c.sparse[:2])
        s.ensure_collection(c.dim, embedder=EMBEDDER_NAME)
        assert s.count() == 2 and s.meta()["dim"] == c.dim

    def test_dim_mismatch_is_an_error(self):
        s, c = self.loaded(), self.corpus
        with raises(IndexMismatchError, match=f"{c.dim}"):
            s.ensure_collection(c.dim + 1)
        with raises(IndexMismatchError, match="dim"):
            s.upsert(c.chunks[:1], np.ones((1, c.dim + 1), np.float32), c.sparse[:1])

    def test_embedder_mismatch_is_an_error(self):
        with raises(IndexMismatchError, match="other-model"):
            self.loaded().ensure_collection(self.corpus.dim, embedder="other-model")

    # ---- writes ---------------------------------------------------------------------------------
    def test_upsert_then_count(self):
        s = self.loaded()
        assert s.count() == s.points() == len(self.corpus.chunks)
        assert sorted(s.ids_where()) == sorted(self.corpus.ids)

    def test_reupsert_same_ids_overwrites(self):
        s, c = self.filled(), self.corpus
        changed = [dataclasses.replace(x, text=x.text + " (v2)") for x in c.chunks]
        s.upsert(changed, c.dense, c.sparse)
        assert s.count() == len(c.chunks)
        assert {x.text for x in s.chunks_where()} == {x.text for x in changed}

    def test_bad_upsert_is_refused_and_writes_nothing(self):
        s, c = self.empty(), self.corpus
        with raises(StoreError, match="UUID"):
            s.upsert([dataclasses.replace(c.chunks[0], chunk_id="not-a-uuid")], c.dense[:1], c.sparse[:1])
        with raises(StoreError, match="sparse"):
            s.upsert(c.chunks[:2], c.dense[:2], c.sparse[:1])
        bad = c.dense[:1].copy()
        bad[0, 0] = np.nan
        with raises(StoreError, match="NaN"):
            s.upsert(c.chunks[:1], bad, c.sparse[:1])
        assert s.count() == 0

    def test_delete_ids(self):
        s, c = self.filled(), self.corpus
        gone = c.ids[:3]
        s.delete_ids(gone)
        assert s.count() == len(c.chunks) - 3
        assert not set(gone) & set(s.ids_where())
        assert s.get(gone) == []

    def test_delete_where_returns_how_many_matched(self):
        s, c = self.filled(), self.corpus
        assert s.delete_where({"source": "papers/cats.pdf"}) == 2
        assert s.count({"source": "papers/cats.pdf"}) == 0
        assert s.count() == len(c.chunks) - 2
        assert s.delete_where({"source": "papers/cats.pdf"}) == 0

    def test_delete_where_stale_versions_of_a_source(self):
        """What crash-safe ingest runs: drop a source's points whose content_hash is not the new one."""
        s, c = self.filled(), self.corpus
        new = dataclasses.replace(c.chunks[0], chunk_id=NEW_ID, content_hash="new")
        s.upsert([new], c.dense[:1], c.sparse[:1])
        assert s.delete_where({"source": "guides/install.md", "content_hash": {"ne": "new"}}) == 2
        assert s.ids_where({"source": "guides/install.md"}) == [new.chunk_id]
        assert s.count() == len(c.chunks) - 1

    def test_delete_where_refuses_an_empty_filter(self):
        s = self.filled()
        with raises(FilterError, match="non-empty"):
            s.delete_where({})
        assert s.count() == len(self.corpus.chunks)

    def test_points_follow_this_process_writes(self):
        s, c = self.filled(), self.corpus
        assert s.points() == len(c.chunks)
        s.delete_ids(c.ids[:1])
        assert s.points() == s.count() == len(c.chunks) - 1
        s.delete_where({"source": "notes/cooking.txt"})
        assert s.points() == s.count() == len(c.chunks) - 2
        s.upsert(c.chunks, c.dense, c.sparse)
        assert s.points() == len(c.chunks)

    # ---- payload and metadata -------------------------------------------------------------------
    def test_payload_round_trips_to_an_equal_chunk(self):
        s, c = self.loaded(), self.corpus
        got = s.get(c.ids)
        assert got == c.chunks
        assert [g.metadata for g in got] == [x.metadata for x in c.chunks]
        by_id = {x.chunk_id: x for x in s.chunks_where()}
        assert all(by_id[x.chunk_id] == x and by_id[x.chunk_id].metadata == x.metadata for x in c.chunks)

    def test_get_keeps_the_order_asked_and_skips_missing(self):
        ids = self.corpus.ids
        got = self.loaded().get([ids[5], NEW_ID, ids[0], ids[3]])
        assert [g.chunk_id for g in got] == [ids[5], ids[0], ids[3]]

    def test_chunks_where_limit(self):
        s = self.loaded()
        assert len(s.chunks_where(limit=3)) == 3
        assert {x.source for x in s.chunks_where({"lang": "en"}, limit=100)} == \
            {x.source for x in self.corpus.chunks if x.metadata.get("lang") == "en"}

    def test_meta_records_dim_embedder_payload_keys_and_merges_updates(self):
        s = self.filled()
        s.update_meta({"bm25": {"avgdl": 12.5}})
        s.update_meta({"generation": 3})
        meta = s.meta()
        assert meta["dim"] == self.corpus.dim and meta["embedder"] == EMBEDDER_NAME
        assert set(meta["payload_keys"]) == PAYLOAD_KEYS
        assert meta["bm25"] == {"avgdl": 12.5} and meta["generation"] == 3

    def test_data_and_meta_persist_across_reopen(self):
        if not self.reopenable:
            skip("backend keeps nothing across reopen")
        folder, c = self.folder(), self.corpus
        first = self.fresh(folder)
        first.ensure_collection(c.dim, embedder=EMBEDDER_NAME)
        first.upsert(c.chunks, c.dense, c.sparse)
        first.update_meta({"bm25": {"avgdl": 12.5}})
        first.close()
        s = self.fresh(folder)
        assert s.exists() and s.count() == s.points() == len(c.chunks)
        assert s.meta()["bm25"] == {"avgdl": 12.5}
        assert s.count({"lang": "de"}) == 1  # payload keys survived: the field is still known
        with raises(IndexMismatchError):
            s.ensure_collection(c.dim, embedder="another")

    def test_sources_are_distinct_and_sorted(self):
        assert self.loaded().sources() == sorted({x.source for x in self.corpus.chunks})

    # ---- filters --------------------------------------------------------------------------------
    def _want(self, spec) -> set[str]:
        c = self.corpus
        node = flt.expand_globs(flt.parse_filter(spec), lambda f: [x.payload().get(f) for x in c.chunks])
        return {x.chunk_id for x in c.chunks if flt.matches(node, x.payload())}

    def test_each_filter_returns_only_matching_chunks(self):
        s = self.loaded()
        dense, sparse = self.corpus.query("documents search")
        for spec, expected in FILTER_CASES:
            want = self._want(spec)
            assert len(want) == expected, spec  # the reference semantics agree with the hand count
            assert set(s.ids_where(spec)) == want, spec
            assert s.count(spec) == expected, spec
            assert {x.chunk_id for x in s.chunks_where(spec)} == want, spec
            hits = s.search(dense, sparse, top_k=10, candidates=10, filters=spec)
            assert {h.chunk.chunk_id for h in hits} == want, spec

    def test_unknown_field_is_an_error_not_an_empty_result(self):
        s, c = self.loaded(), self.corpus
        for spec in UNKNOWN_FIELD_SPECS:
            for call in (lambda: s.count(spec), lambda: s.delete_where(spec),
                         lambda: s.search(c.dense[0], None, top_k=3, candidates=5, filters=spec)):
                with raises(FilterError, match="unknown field"):
                    call()
        assert s.count() == len(c.chunks)

    def test_malformed_filters_are_errors(self):
        s = self.loaded()
        for bad in MALFORMED_SPECS:
            with raises(FilterError):
                s.count(bad)

    def test_random_filter_trees_match_the_reference(self):
        s = self.loaded()
        for spec in random_filter_specs(60):
            assert set(s.ids_where(spec)) == self._want(spec), spec

    def test_filtered_hybrid_search(self):
        s = self.loaded()
        dense, sparse = self.corpus.query("cats hunting rodents")
        hits = s.search(dense, sparse, top_k=5, candidates=8, filters={"source": {"glob": "guides/*"}})
        assert hits and all(h.chunk.source.startswith("guides/") for h in hits)
        assert s.search(dense, sparse, top_k=5, candidates=8, filters={"source": {"glob": "zzz*"}}) == []
        assert close(hits[0].score, hits[0].scores["rrf"])
