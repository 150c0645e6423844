"""Conformance mixins: the behaviour behind each protocol of `ragkit.protocols`, as test classes.

A backend's tests subclass its mixin and say how to make the backend (a factory method); every
test of the mixin then runs against it. ragkit's own backends' tests do exactly that, and so can
the tests of a backend of your own. The mixins import no test framework: they run under pytest
(plain `setup_method` / `teardown_method`, `unittest.SkipTest` for skips).

    store.py       StoreConformance         VectorStore (data: store_data.py; search: store_search.py)
    embedder.py    EmbedderConformance      Embedder
    sparse.py      SparseEncoderConformance SparseEncoder
    reranker.py    RerankerConformance      Reranker
    cache.py       CacheConformance, AnswerCacheConformance   Cache, AnswerCache
    llm.py         LLMConformance           LLM (chat models behind an API; streaming included)
    generator.py   GeneratorConformance     Generator
    corpus.py      the small corpus the store tests fill stores with
    reference.py   the search scores a store must return, computed with numpy
    filter_cases.py  filter specs with hand-counted matches, and random filter trees
    checks.py      assertion helpers (raises, skip, assert_satisfies)
    scratch.py     per-test folders and backends, closed and removed afterwards
"""

from ragkit.testing.cache import AnswerCacheConformance, CacheConformance
from ragkit.testing.embedder import EmbedderConformance
from ragkit.testing.generator import GeneratorConformance
from ragkit.testing.llm import LLMConformance
from ragkit.testing.reranker import RerankerConformance
from ragkit.testing.sparse import SparseEncoderConformance
from ragkit.testing.store import StoreConformance

__all__ = [
    "AnswerCacheConformance",
    "CacheConformance",
    "EmbedderConformance",
    "GeneratorConformance",
    "LLMConformance",
    "RerankerConformance",
    "SparseEncoderConformance",
    "StoreConformance",
]
