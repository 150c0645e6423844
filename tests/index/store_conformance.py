"""StoreConformance: the behaviour every VectorStore backend must show. Subclass per backend.

A subclass defines `make_store(self, path)` returning a fresh (unopened) store whose data lives
under `path` (or in memory) and, if the backend persists, `reopenable = True`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragkit.errors import FilterError, IndexMismatchError, StoreError
from ragkit.protocols import VectorStore
from ragkit.retrieve import filters as flt

FILTER_CASES = [
    ({"source": "guides/install.md"}, 2),
    ({"source": ["guides/query.md", "notes/cooking.txt"]}, 3),
    ({"source": {"glob": "guides/*.md"}}, 4),
    ({"source": {"glob": "*.txt"}}, 2),
    ({"source": {"glob": "nowhere/*"}}, 0),
    ({"created": {"gte": "2024-01-01", "lt": "2025-01-01"}}, 4),
    ({"modified": {"gt": "2024-06-01T10:00:00Z"}}, 2),
    ({"modified": "2024-06-01"}, 2),
    ({"section": "Install"}, 1),
    ({"section": None}, 1),
    ({"page": {"gte": 1, "lte": 3}}, 4),
    ({"page": 4}, 1),
    ({"lang": "de"}, 1),
    ({"stars": 2}, 2),
    ({"title": "cats.pdf", "page": {"gt": 4}}, 1),
    ({"or": [{"section": "Planets"}, {"section": "Bread"}]}, 2),
    ({"not": {"source": {"glob": "guides/*"}}}, 4),
    ({"source": {"glob": "guides/*"}, "not": {"page": 1}}, 2),
    ({"and": [{"lang": "en"}, {"or": [{"page": 5}, {"section": "Search"}]}]}, 2),
    ({"source": []}, 0),
    ({"and": []}, 8),
]


class StoreConformance:
    reopenable = False

    def make_store(self, path):  # pragma: no cover - provided by the backend's test class
        raise NotImplementedError

    @pytest.fixture
    def empty(self, tmp_path, corpus):
        s = self.make_store(tmp_path)
        s.ensure_collection(corpus.dim, embedder="all-MiniLM-L6-v2")
        yield s
        s.close()

    @pytest.fixture
    def store(self, empty, corpus):
        """A fresh store holding the corpus, for tests that write."""
        empty.upsert(corpus.chunks, corpus.dense, corpus.sparse)
        return empty

    @pytest.fixture(scope="class")
    @classmethod
    def loaded(cls, tmp_path_factory, corpus):
        """One store holding the corpus, shared by the read-only tests of a class."""
        s = cls().make_store(tmp_path_factory.mktemp(cls.__name__))
        s.ensure_collection(corpus.dim, embedder="all-MiniLM-L6-v2")
        s.upsert(corpus.chunks, corpus.dense, corpus.sparse)
        yield s
        s.close()

    # ---- collection -----------------------------------------------------------------------------
    def test_satisfies_protocol(self, empty):
        assert isinstance(empty, VectorStore)

    def test_ensure_collection_is_idempotent(self, empty, corpus):
        empty.upsert(corpus.chunks[:2], corpus.dense[:2], corpus.sparse[:2])
        empty.ensure_collection(corpus.dim, embedder="all-MiniLM-L6-v2")
        assert empty.count() == 2
        assert empty.meta()["dim"] == corpus.dim

    def test_dim_mismatch_is_an_error(self, loaded, corpus):
        with pytest.raises(IndexMismatchError, match="384-d"):
            loaded.ensure_collection(corpus.dim + 1)
        with pytest.raises(IndexMismatchError, match="dim"):
            loaded.upsert(corpus.chunks[:1], np.ones((1, 5), np.float32), corpus.sparse[:1])

    def test_embedder_mismatch_is_an_error(self, loaded, corpus):
        with pytest.raises(IndexMismatchError, match="other-model"):
            loaded.ensure_collection(corpus.dim, embedder="other-model")

    def test_using_a_missing_index_says_what_to_do(self, tmp_path):
        s = self.make_store(tmp_path / "never-created")
        with pytest.raises(StoreError, match="ragkit ingest"):
            s.count()
        s.close()

    # ---- writes ---------------------------------------------------------------------------------
    def test_upsert_then_count(self, loaded, corpus):
        assert loaded.count() == len(corpus.chunks)

    def test_reupsert_same_ids_overwrites(self, store, corpus):
        changed = [dataclasses.replace(c, text=c.text + " (v2)") for c in corpus.chunks]
        store.upsert(changed, corpus.dense, corpus.sparse)
        assert store.count() == len(corpus.chunks)
        assert {c.text for c in store.chunks_where()} == {c.text for c in changed}

    def test_bad_upsert_is_refused(self, empty, corpus):
        with pytest.raises(StoreError, match="UUID"):
            empty.upsert([dataclasses.replace(corpus.chunks[0], chunk_id="not-a-uuid")], corpus.dense[:1], corpus.sparse[:1])
        with pytest.raises(StoreError, match="sparse"):
            empty.upsert(corpus.chunks[:2], corpus.dense[:2], corpus.sparse[:1])
        assert empty.count() == 0

    def test_delete_ids(self, store, corpus):
        gone = [c.chunk_id for c in corpus.chunks[:3]]
        store.delete_ids(gone)
        assert store.count() == len(corpus.chunks) - 3
        assert not set(gone) & set(store.ids_where())
        assert store.get(gone) == []

    def test_delete_where_source(self, store, corpus):
        assert store.delete_where({"source": "papers/cats.pdf"}) == 2
        assert store.count({"source": "papers/cats.pdf"}) == 0
        assert store.count() == len(corpus.chunks) - 2

    def test_delete_where_stale_versions_of_a_source(self, store, corpus):
        """What crash-safe ingest runs: drop a source's points whose content_hash is not the new one."""
        new = dataclasses.replace(corpus.chunks[0], chunk_id="6f1f3d0e-0000-4000-8000-000000000001", content_hash="new")
        store.upsert([new], corpus.dense[:1], corpus.sparse[:1])
        n = store.delete_where({"source": "guides/install.md", "content_hash": {"ne": "new"}})
        assert n == 2
        assert store.ids_where({"source": "guides/install.md"}) == [new.chunk_id]
        assert store.count() == len(corpus.chunks) - 1

    def test_delete_where_refuses_an_empty_filter(self, store, corpus):
        with pytest.raises(FilterError, match="non-empty"):
            store.delete_where({})
        assert store.count() == len(corpus.chunks)

    # ---- payload and metadata -------------------------------------------------------------------
    def test_payload_round_trips_to_an_equal_chunk(self, loaded, corpus):
        got = loaded.get([c.chunk_id for c in corpus.chunks])
        assert got == corpus.chunks
        assert [g.metadata for g in got] == [c.metadata for c in corpus.chunks]
        by_id = {c.chunk_id: c for c in loaded.chunks_where()}
        assert all(by_id[c.chunk_id] == c and by_id[c.chunk_id].metadata == c.metadata for c in corpus.chunks)

    def test_meta_records_dim_embedder_payload_keys_and_updates(self, store, corpus):
        store.update_meta({"bm25": corpus.encoder.params()})
        meta = store.meta()
        assert meta["dim"] == corpus.dim and meta["embedder"] == "all-MiniLM-L6-v2"
        assert set(meta["payload_keys"]) == {"lang", "stars"}
        assert meta["bm25"]["avgdl"] == pytest.approx(corpus.encoder.avgdl)

    def test_meta_persists_across_reopen(self, tmp_path, corpus):
        if not self.reopenable:
            pytest.skip("backend keeps nothing across reopen")
        s = self.make_store(tmp_path)
        s.ensure_collection(corpus.dim, embedder="all-MiniLM-L6-v2")
        s.upsert(corpus.chunks, corpus.dense, corpus.sparse)
        s.update_meta({"bm25": corpus.encoder.params()})
        s.close()
        s = self.make_store(tmp_path)
        try:
            assert s.count() == len(corpus.chunks)
            assert s.meta()["bm25"]["avgdl"] == pytest.approx(corpus.encoder.avgdl)
            assert s.count({"lang": "de"}) == 1  # payload keys survived: the field is still known
            with pytest.raises(IndexMismatchError):
                s.ensure_collection(corpus.dim, embedder="another")
        finally:
            s.close()

    def test_sources_are_distinct(self, loaded, corpus):
        assert loaded.sources() == sorted({c.source for c in corpus.chunks})

    # ---- filters --------------------------------------------------------------------------------
    @pytest.mark.parametrize("spec,expected", FILTER_CASES, ids=[str(c[0]) for c in FILTER_CASES])
    def test_each_filter_returns_only_matching_chunks(self, loaded, corpus, spec, expected):
        node = flt.expand_globs(flt.parse_filter(spec), lambda f: [c.payload().get(f) for c in corpus.chunks])
        want = {c.chunk_id for c in corpus.chunks if flt.matches(node, c.payload())}
        assert len(want) == expected  # the reference semantics agree with the hand count
        assert set(loaded.ids_where(spec)) == want
        assert loaded.count(spec) == expected
        q = corpus.query("documents search")
        hits = loaded.search(q[0], q[1], top_k=10, candidates=10, filters=spec)
        assert {h.chunk.chunk_id for h in hits} == want

    @pytest.mark.parametrize("spec", [
        {"autor": "x"},
        {"or": [{"page": 1}, {"sectoin": "Install"}]},
        {"not": {"typo": []}},
    ])
    def test_unknown_field_is_an_error_not_an_empty_result(self, loaded, corpus, spec):
        with pytest.raises(FilterError, match="unknown field"):
            loaded.count(spec)
        with pytest.raises(FilterError, match="unknown field"):
            loaded.search(corpus.dense[0], None, top_k=3, candidates=5, filters=spec)
        with pytest.raises(FilterError, match="unknown field"):
            loaded.delete_where(spec)
        assert loaded.count() == len(corpus.chunks)

    def test_malformed_filters_are_errors(self, loaded):
        for bad in ({"page": {"between": 1}}, {"created": {"gte": "last tuesday"}}, {"page": "one"}, {"or": {"page": 1}}):
            with pytest.raises(FilterError):
                loaded.count(bad)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors])
    @given(data=st.data())
    def test_random_filter_trees_match_the_reference(self, loaded, corpus, data):
        spec = data.draw(filter_specs())
        node = flt.expand_globs(flt.parse_filter(spec), lambda f: [c.payload().get(f) for c in corpus.chunks])
        want = {c.chunk_id for c in corpus.chunks if flt.matches(node, c.payload())}
        assert set(loaded.ids_where(spec)) == want

    # ---- search ---------------------------------------------------------------------------------
    def test_dense_search_finds_the_paraphrased_chunk(self, loaded, corpus):
        dense, _ = corpus.query("how long do house cats sleep?")
        hits = loaded.search(dense, None, top_k=3, candidates=10)
        assert hits[0].chunk.text.startswith("Domestic cats")
        assert [h.rank for h in hits] == [1, 2, 3]
        assert hits[0].scores["dense"] == pytest.approx(hits[0].score)
        assert hits[0].score == pytest.approx(float(corpus.dense[4] @ dense), abs=1e-4)

    def test_sparse_search_ranks_by_bm25(self, loaded, corpus):
        _, sparse = corpus.query("sourdough yeast")
        hits = loaded.search(None, sparse, top_k=5, candidates=10)
        assert len(hits) == 1 and hits[0].chunk.text.startswith("Sourdough")
        assert hits[0].scores["sparse"] > 0

    def test_hybrid_search_fuses_both_branches(self, loaded, corpus):
        dense, sparse = corpus.query("which planet is the biggest gas giant")
        hits = loaded.search(dense, sparse, top_k=3, candidates=8, branch_scores=True)
        top = hits[0]
        assert top.chunk.text.startswith("Jupiter")
        assert set(top.scores) == {"rrf", "dense", "sparse"}
        assert top.score == pytest.approx(2 / 60, rel=1e-4)  # first in both branches: 2 / (k + 0)

    def test_rrf_k_changes_the_fused_score(self, loaded, corpus):
        dense, sparse = corpus.query("which planet is the biggest gas giant")
        top = loaded.search(dense, sparse, top_k=1, candidates=8, rrf_k=2)[0]
        assert top.score == pytest.approx(2 / 2, rel=1e-4)

    def test_fusion_modes(self, loaded, corpus):
        dense, sparse = corpus.query("feline activity at twilight")
        rrf = loaded.search(dense, sparse, top_k=8, candidates=8)
        even = loaded.search(dense, sparse, top_k=8, candidates=8, fusion="weighted", dense_weight=0.5)
        assert [h.chunk.chunk_id for h in even] == [h.chunk.chunk_id for h in rrf]
        assert [h.score for h in even] == pytest.approx([h.score for h in rrf])
        dense_only = loaded.search(dense, None, top_k=8, candidates=8)
        all_dense = loaded.search(dense, sparse, top_k=8, candidates=8, fusion="weighted", dense_weight=1.0)
        assert [h.chunk.chunk_id for h in all_dense] == [h.chunk.chunk_id for h in dense_only][: len(all_dense)]
        dbsf = loaded.search(dense, sparse, top_k=3, candidates=8, fusion="dbsf")
        assert dbsf[0].chunk.text.startswith("The feline") and "dbsf" in dbsf[0].scores
        with pytest.raises(StoreError, match="fusion"):
            loaded.search(dense, sparse, top_k=3, candidates=8, fusion="borda")

    def test_stopword_only_query_falls_back_to_dense(self, loaded, corpus):
        dense, sparse = corpus.query("the of and")
        assert sparse.indices == ()
        assert [h.chunk for h in loaded.search(dense, sparse, top_k=3, candidates=8)] == \
            [h.chunk for h in loaded.search(dense, None, top_k=3, candidates=8)]
        assert loaded.search(None, sparse, top_k=3, candidates=8) == []

    def test_batched_search_equals_single_searches(self, loaded, corpus):
        texts = ["bread fermentation", "gas giant moons", "install with pip"]
        dense = corpus.embedder.embed(texts)
        sparse = [corpus.encoder.encode_query(t) for t in texts]
        for kw in ({}, {"filters": {"lang": "en"}}, {"fusion": "dbsf"}):
            batch = loaded.search_batch(dense, sparse, top_k=4, candidates=8, **kw)
            single = [loaded.search(dense[i], sparse[i], top_k=4, candidates=8, **kw) for i in range(3)]
            assert [[h.chunk.chunk_id for h in r] for r in batch] == [[h.chunk.chunk_id for h in r] for r in single]
        dense_batch = loaded.search_batch(dense, None, top_k=2, candidates=8)
        assert [r[0].chunk.text.split()[0] for r in dense_batch] == ["Sourdough", "Jupiter", "Install"]

    def test_filtered_hybrid_search(self, loaded, corpus):
        dense, sparse = corpus.query("cats hunting rodents")
        hits = loaded.search(dense, sparse, top_k=5, candidates=8, filters={"source": {"glob": "guides/*"}})
        assert hits and all(h.chunk.source.startswith("guides/") for h in hits)
        assert loaded.search(dense, sparse, top_k=5, candidates=8, filters={"source": {"glob": "zzz*"}}) == []


# ---- random filter specs for the property test --------------------------------------------------
_VALUES = {
    "source": ["guides/install.md", "guides/query.md", "papers/cats.pdf", "notes/cooking.txt", "missing.md"],
    "section": ["Install", "Search", "Planets", "Nope", None],
    "page": [1, 2, 3, 4, 5],
    "lang": ["en", "de", "fr"],
    "stars": [0, 1, 2],
}


def _leaf():
    field = st.sampled_from(sorted(_VALUES))
    return st.one_of(
        field.flatmap(lambda f: st.sampled_from(_VALUES[f]).map(lambda v: {f: v})),
        field.filter(lambda f: f != "section").flatmap(
            lambda f: st.lists(st.sampled_from(_VALUES[f]), min_size=1, max_size=3).map(lambda v: {f: v})),
        st.sampled_from(["guides/*", "*.txt", "papers/c?ts.pdf", "[gn]*", "x*"]).map(lambda g: {"source": {"glob": g}}),
        st.tuples(st.integers(0, 5), st.integers(0, 6)).map(lambda r: {"page": {"gte": r[0], "lt": r[1]}}),
        st.sampled_from(["2023-01-01", "2024-02-01", "2024-03-02", "2025-01-01"]).flatmap(
            lambda d: st.sampled_from(["gte", "gt", "lte", "lt"]).map(lambda op: {"created": {op: d}})),
        st.sampled_from(["Install", "Bread"]).map(lambda s: {"section": {"ne": s}}),
    )


def filter_specs():
    return st.recursive(
        _leaf(),
        lambda kids: st.one_of(
            st.lists(kids, min_size=1, max_size=3).map(lambda k: {"and": k}),
            st.lists(kids, min_size=1, max_size=3).map(lambda k: {"or": k}),
            kids.map(lambda k: {"not": k}),
        ),
        max_leaves=6,
    )
