"""Conformance of the caches: `CacheConformance` (exact, keyed) and `AnswerCacheConformance` (semantic).

    class TestMyCache(CacheConformance):
        def make_cache(self, path):        # a cache whose data lives under `path` (a fresh folder)
            return MyCache(path)

    class TestMyAnswerCache(AnswerCacheConformance):
        def make_embedder(self):           # the embedder the cache compares questions with
            return MyEmbedder()

        def make_cache(self, path):
            return MyAnswerCache(path, self.make_embedder())

`reopenable = True` (the default): a new cache object at the same path sees what was stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ragkit.protocols import AnswerCache, Cache, Embedder
from ragkit.testing.checks import assert_satisfies, skip
from ragkit.testing.scratch import Scratch
from ragkit.types import Completion, Usage

ANSWER = Completion("Paris is the capital of France. [Source: france.md]", "gpt-4o-mini", "openai",
                    finish_reason="stop", usage=Usage(500, 20, 300, 7), latency_s=0.25, cost_usd=0.0001)
OTHER = Completion("Berlin.", "claude-haiku-4-5", "anthropic", finish_reason="length", usage=Usage(9, 1))
FRANCE = "What is the capital of France?"


class _Caches(Scratch):
    reopenable = True
    _path: Path | None = None  # this test's folder and cache, made on first use
    _cache: Any = None

    def make_cache(self, path: Path) -> Any:
        raise NotImplementedError("a cache conformance subclass defines make_cache(self, path)")

    @property
    def path(self) -> Path:
        """This test's cache folder."""
        if self._path is None:
            self._path = self.folder()
        return self._path

    @property
    def cache(self) -> Any:
        """This test's cache, opened on first use (after the subclass's fixtures ran)."""
        if self._cache is None:
            self._cache = self._open(self.path)
        return self._cache

    def _open(self, path: Path) -> Any:
        return self.closed_after(self.make_cache(path))


class CacheConformance(_Caches):
    def test_satisfies_protocol(self):
        assert_satisfies(self.cache, Cache)

    def test_a_miss_then_a_hit_counted(self):
        c = self.cache
        assert c.get_completion("k") is None and (c.hits, c.misses) == (0, 1)
        c.set_completion("k", ANSWER, 0.0001)
        assert c.get_completion("k") == (ANSWER, 0.0001) and (c.hits, c.misses) == (1, 1)

    def test_every_field_round_trips_and_a_cost_may_be_unknown(self):
        self.cache.set_completion("a", ANSWER, 0.5)
        self.cache.set_completion("b", OTHER, None)
        assert self.cache.get_completion("a") == (ANSWER, 0.5)
        assert self.cache.get_completion("b") == (OTHER, None)

    def test_a_key_holds_its_last_value_and_keys_are_independent(self):
        c = self.cache
        c.set_completion("k", ANSWER, 1.0)
        c.set_completion("k", OTHER, 2.0)
        c.set_completion("j", ANSWER, 3.0)
        assert c.get_completion("k") == (OTHER, 2.0) and c.get_completion("j") == (ANSWER, 3.0)

    def test_clear_empties_it(self):
        self.cache.set_completion("k", ANSWER, 1.0)
        self.cache.clear()
        assert self.cache.get_completion("k") is None

    def test_close_then_use_again(self):
        self.cache.set_completion("k", ANSWER, 1.0)
        self.cache.close()
        self.cache.set_completion("j", OTHER, None)
        assert self.cache.get_completion("j") == (OTHER, None)

    def test_entries_survive_reopening(self):
        if not self.reopenable:
            skip("this cache keeps nothing across reopen")
        self.cache.set_completion("k", ANSWER, 1.0)
        self.cache.close()
        assert self._open(self.path).get_completion("k") == (ANSWER, 1.0)


class AnswerCacheConformance(_Caches):
    """`make_cache(path)` returns an answer cache over `make_embedder()`, a real embedder (a
    paraphrase must come out near its question)."""

    def make_embedder(self) -> Embedder:
        raise NotImplementedError("an AnswerCacheConformance subclass defines make_embedder(self)")

    def _stored(self, index_version: str = "g1", evidence=("c-france", "c-paris")) -> Any:
        self.cache.store(FRANCE, ANSWER, evidence_ids=list(evidence), index_version=index_version, cost_usd=0.0001)
        return self.cache

    def test_satisfies_protocol(self):
        assert_satisfies(self.cache, AnswerCache)

    def test_an_empty_cache_misses(self):
        look = self.cache.lookup(FRANCE, evidence_ids=["c-france"], index_version="g1")
        assert not look.hit and look.completion is None and self.cache.stats()["misses"] == 1

    def test_the_same_question_on_the_same_evidence_hits(self):
        c = self._stored()
        look = c.lookup(FRANCE, evidence_ids=["c-paris", "c-france"], index_version="g1")  # a set: order aside
        assert look.hit and look.completion == ANSWER and look.cost_usd == 0.0001 and look.cached_question == FRANCE
        assert c.stats()["hits"] == 1

    def test_a_paraphrase_hits(self):
        look = self._stored().lookup("What's the capital city of France?", evidence_ids=["c-france", "c-paris"],
                                     index_version="g1")
        assert look.hit and look.completion == ANSWER and look.similarity is not None

    def test_a_changed_index_or_evidence_is_refused(self):
        c = self._stored()
        assert not c.lookup(FRANCE, evidence_ids=["c-france", "c-paris"], index_version="g2").hit
        assert not c.lookup(FRANCE, evidence_ids=["c-france"], index_version="g1").hit
        assert not c.lookup(FRANCE, evidence_ids=["c-france", "c-paris", "c-lyon"], index_version="g1").hit
        stats = c.stats()
        assert stats["hits"] == 0 and stats["misses"] + stats["refusals"] == 3

    def test_other_names_or_numbers_never_share_an_answer(self):
        c = self._stored()
        for q in ("What is the capital of Germany?", "What was the capital of France in 1790?"):
            assert not c.lookup(q, evidence_ids=["c-france", "c-paris"], index_version="g1").hit, q

    def test_a_given_vector_stands_for_the_question(self):
        c, v = self.cache, self.make_embedder().embed([FRANCE])[0]
        assert isinstance(c.store(FRANCE, ANSWER, evidence_ids=["c-france"], index_version="g1", vector=v), str)
        assert c.lookup(FRANCE, evidence_ids=["c-france"], index_version="g1", vector=v).hit
        assert not c.lookup(FRANCE, evidence_ids=["c-france"], index_version="g1", vector=-v).hit

    def test_clear_empties_it(self):
        c = self._stored()
        c.clear()
        assert not c.lookup(FRANCE, evidence_ids=["c-france", "c-paris"], index_version="g1").hit

    def test_entries_survive_reopening(self):
        if not self.reopenable:
            skip("this cache keeps nothing across reopen")
        self._stored().close()
        look = self._open(self.path).lookup(FRANCE, evidence_ids=["c-france", "c-paris"], index_version="g1")
        assert look.hit and look.completion == ANSWER
