"""Fixtures of the index tests: the conformance corpus (ragkit.testing.corpus) with real MiniLM embeddings."""

from __future__ import annotations

import pytest

from ragkit.testing.corpus import Corpus, make_corpus


@pytest.fixture(scope="session")
def corpus(embedder_warm) -> Corpus:
    return make_corpus(embedder_warm)
