"""Backends written from the protocols alone plug into ragkit: a numpy store and a hashing embedder
pass the conformance suites, and `RAG` ingests, searches and answers with them (given to its
constructor: `RAG(cfg, store=..., embedder=...)`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.rag import RAG
from ragkit.testing import EmbedderConformance, StoreConformance

from tests.testing.hashing_embedder import HashingEmbedder
from tests.testing.numpy_store import NumpyStore

pytestmark = pytest.mark.integration

DOCS = {
    "cats.txt": "Domestic cats sleep for most of the day. They hunt small rodents at dusk.",
    "bread.txt": "Sourdough bread rises slowly. Wild yeast ferments the flour overnight.",
    "planets.md": "# Planets\n\nJupiter is the largest planet of the solar system. It is a gas giant with many moons.",
}


class TestHashingEmbedder(EmbedderConformance):
    def make_embedder(self):
        return HashingEmbedder()


class TestNumpyStore(StoreConformance):
    """The whole store suite on the numpy store, its corpus embedded by the hashing embedder."""

    def make_store(self, path):
        return NumpyStore()

    def make_embedder(self):
        return HashingEmbedder()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_rag_ingests_searches_and_answers_on_custom_backends(tmp_path: Path, docs: Path):
    store, embedder = NumpyStore(), HashingEmbedder()
    with RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False}}, store=store, embedder=embedder) as rag:
        first = rag.ingest(docs)
        assert (first.added, first.failed) == (3, 0) and store.count() == first.chunks_added >= 3
        meta = store.meta()
        assert meta["embedder"] == embedder.name and meta["dim"] == embedder.dim and "bm25" in meta

        hits = rag.search("how long do cats sleep?").results
        assert hits[0].chunk.source == "cats.txt"
        assert {h.chunk.source for h in rag.search("yeast", filters={"source": "bread.txt"}).results} == {"bread.txt"}
        assert {h.chunk.source for h in rag.search("gas giant", mode="sparse").results} == {"planets.md"}

        answer = rag.ask("Which planet is the largest in the solar system?")
        assert not answer.abstained and "Jupiter" in answer.text
        assert answer.citations and {c.source for c in answer.citations} == {"planets.md"}

        again = rag.ingest(docs)
        assert (again.unchanged, again.added, again.embedded) == (3, 0, 0)
        (docs / "bread.txt").unlink()
        gone = rag.ingest(docs)
        assert gone.removed == 1 and store.sources() == ["cats.txt", "planets.md"]
    assert store.count() > 0  # the caller's store: RAG.close() leaves it alone
