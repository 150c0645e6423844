"""The overlapped ingest (chunk groups, embedding on a worker thread while the run plans and
writes) against the sequential one, on the real chunker, ONNX embedder, store and manifest:
the same chunks, the same vectors in the same points, a bad document failing alone, an embedder
error raised to the caller, and a crash leaving no half document."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ragkit.ingest.pipeline import Ingestor
from ragkit.rag import RAG

pytestmark = pytest.mark.integration

N_DOCS = 48


@pytest.fixture(scope="module")
def onnx_embedder():
    from ragkit.models.embedders.local import LocalEmbedder

    e = LocalEmbedder(engine="onnx", batch_size=8)  # 4 * 8 waiting texts allow an early batch
    if e.onnx_file is None:
        pytest.skip("no ONNX export of the embedder (python -m ragkit.models.embedders.onnx_export)")
    e.embed(["warm up"])
    yield e
    e.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, shared) -> Path:
    """SciFact's first documents (a few long enough for several chunks) and three Markdown files."""
    src = shared / "data/scifact/corpus.jsonl"
    if not src.is_file():
        pytest.skip(f"no SciFact corpus at {src}")
    root = tmp_path_factory.mktemp("overlap") / "corpus"
    root.mkdir()
    with open(src, encoding="utf-8") as f, open(root / "scifact.jsonl", "w", encoding="utf-8") as g:
        for _, line in zip(range(N_DOCS), f):
            g.write(line)
    long_section = " ".join(f"Sentence {i} of the long section talks about pumps and valves." for i in range(120))
    (root / "guide.md").write_text(f"# Guide\n\nIntro text. Short.\n\n## Pumps\n\n{long_section}\n\n## End\n\nBye.")
    (root / "notes.md").write_text("# Notes\n\nThe archive opens at nine. Badges are green.")
    (root / "copy.md").write_text("# Notes\n\nThe archive opens at nine. Badges are green.")
    return root


def run(home: Path, root: Path, embedder, monkeypatch, *, overlapped: bool, chunker=None):
    """Ingest `root` into a new index; returns (report, {chunk_id: chunk}, rag)."""
    monkeypatch.setattr(Ingestor, "embed_ahead", overlapped)
    monkeypatch.setattr(Ingestor, "chunk_group", 5 if overlapped else 1)
    monkeypatch.setattr(Ingestor, "embed_window", 40 if overlapped else 10_000)
    rag = RAG({"home": str(home), "rerank": {"enabled": False}, "ingest": {"batch_size": 16}}, embedder=embedder)
    report = rag.ingest(root)
    return report, {c.chunk_id: c for c in rag.store.chunks_where(None)}, rag


def own_text_hits(rag: RAG, chunks: dict) -> dict[str, tuple[str, float]]:
    """chunk id -> (top dense hit, score) searching the store with the chunk's own index text."""
    from ragkit.ingest.chunking.document import index_texts

    ids = sorted(chunks)
    texts = index_texts([chunks[i] for i in ids], rag.embedder.count_tokens, rag.embedder.max_tokens)
    out = {}
    for cid, text in zip(ids, texts):
        hit = rag.search(text, mode="dense", rerank=False, top_k=3).results[0]
        out[cid] = (hit.chunk.chunk_id, hit.score)
    return out


def test_overlapped_run_gives_the_sequential_runs_chunks_and_vectors(corpus, tmp_path, onnx_embedder, monkeypatch):
    seq_report, seq, seq_rag = run(tmp_path / "seq", corpus, onnx_embedder, monkeypatch, overlapped=False)
    ovl_report, ovl, ovl_rag = run(tmp_path / "ovl", corpus, onnx_embedder, monkeypatch, overlapped=True)
    try:
        assert len(ovl) > 80 and ovl_report.failed == 0
        assert ovl == seq  # same ids, texts, offsets, metadata
        assert ovl_report.embedded == seq_report.embedded == ovl_report.chunks_added - 1  # copy.md shares one
        assert ovl_rag.last_stage_seconds["embed"] > 0
        # every point holds its own chunk's vector: its own index text finds it first at cosine 1
        hits = own_text_hits(ovl_rag, ovl)
        seq_hits = own_text_hits(seq_rag, seq)
        for cid, (top, score) in hits.items():
            same_text = {c for c in ovl if ovl[c].text == ovl[cid].text and ovl[c].title == ovl[cid].title}
            assert top in same_text and score > 0.9999, (cid, top, score)
            assert abs(score - seq_hits[cid][1]) < 1e-4
        # queries rank the same
        for q in ("cerebral white matter in newborns", "pumps and valves", "when does the archive open"):
            a = [(h.chunk.chunk_id, round(h.score, 4)) for h in ovl_rag.search(q, mode="dense", rerank=False).results]
            b = [(h.chunk.chunk_id, round(h.score, 4)) for h in seq_rag.search(q, mode="dense", rerank=False).results]
            assert a == b
        again = ovl_rag.ingest(corpus)
        assert again.embedded == 0 and again.unchanged == N_DOCS + 3
    finally:
        seq_rag.close()
        ovl_rag.close()
    assert not [t for t in threading.enumerate() if t.name == "ragkit-embed-ahead" and t.is_alive()]


class PoisonedChunker:
    """The real chunker, except that it cannot chunk a text holding POISON (as a chunker bug would)."""

    def __init__(self, real):
        self.real = real
        self.name = real.name

    def split(self, text, breaks=()):
        if "POISON" in text:
            raise ValueError("this text cannot be chunked")
        return self.real.split(text, breaks)

    def split_many(self, texts, breaks=None):
        if any("POISON" in t for t in texts):
            raise ValueError("one of these texts cannot be chunked")
        return self.real.split_many(texts, breaks)


def ingest_with(rag: RAG, root: Path, chunker_factory):
    from ragkit.ingest.chunking import chunk_document
    from ragkit.ingest.loaders import load_path

    ing = Ingestor(rag.cfg, rag.store, rag.embedder, rag.sparse, rag.manifest, chunker_factory=chunker_factory,
                   load_path=load_path, chunk_document=chunk_document)
    return ing.ingest([root])


def test_a_document_that_cannot_be_chunked_fails_alone_in_an_overlapped_run(corpus, tmp_path, onnx_embedder,
                                                                             monkeypatch):
    from ragkit.ingest.chunking import build_chunker

    root = tmp_path / "poisoned"
    root.mkdir()
    lines = (corpus / "scifact.jsonl").read_text(encoding="utf-8").splitlines()[:20]
    bad = json.loads(lines[7])
    bad["text"] += " POISON"
    lines[7] = json.dumps(bad)
    (root / "scifact.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "guide.md").write_text((corpus / "guide.md").read_text())
    clean_root = tmp_path / "clean"
    clean_root.mkdir()
    (clean_root / "scifact.jsonl").write_text("\n".join(lines[:7] + lines[8:]) + "\n", encoding="utf-8")
    (clean_root / "guide.md").write_text((corpus / "guide.md").read_text())

    monkeypatch.setattr(Ingestor, "chunk_group", 4)
    monkeypatch.setattr(Ingestor, "embed_window", 16)
    with RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False}}, embedder=onnx_embedder) as rag:
        report = ingest_with(rag, root, lambda: PoisonedChunker(
            build_chunker(rag.cfg.chunking, rag.embedder.count_tokens, rag.embedder.max_tokens)))
        got = {c.chunk_id: c for c in rag.store.chunks_where(None)}
    assert report.failed == 1 and report.added == 20
    assert report.failures == (("scifact.jsonl", "ValueError: this text cannot be chunked"),)
    with RAG({"home": str(tmp_path / "clean_home"), "rerank": {"enabled": False}}, embedder=onnx_embedder) as rag:
        rag.ingest(clean_root)
        clean = {c.chunk_id: c for c in rag.store.chunks_where(None)}
    assert got == clean  # every other document, whole, as in a run without the bad one


class FailingEmbedder:
    """The real embedder, down for any call holding a text with EXPLODE (as a provider outage)."""

    def __init__(self, real):
        self.real = real
        self.name, self.dim, self.max_tokens = real.name, real.dim, real.max_tokens
        self.batch_invariant, self.batch_size = real.batch_invariant, real.batch_size

    def embed(self, texts):
        if any("EXPLODE" in t for t in texts):
            raise RuntimeError("embedder is down")
        return self.real.embed(texts)

    def count_tokens(self, texts):
        return self.real.count_tokens(texts)

    def close(self):
        pass


def test_an_embedder_error_on_the_worker_fails_the_run_and_the_next_run_recovers(corpus, tmp_path, onnx_embedder,
                                                                                 monkeypatch):
    root = tmp_path / "c"
    root.mkdir()
    (root / "notes.md").write_text((corpus / "notes.md").read_text())
    (root / "guide.md").write_text((corpus / "guide.md").read_text())
    (root / "zz.md").write_text("# Boom\n\nThis one makes the embedder EXPLODE.")
    monkeypatch.setattr(Ingestor, "embed_window", 4)
    home = tmp_path / "home"
    with RAG({"home": str(home), "rerank": {"enabled": False}}, embedder=FailingEmbedder(onnx_embedder)) as rag:
        with pytest.raises(RuntimeError, match="embedder is down"):
            rag.ingest(root)
        # raised at the first write batch: journalled, nothing written, nothing committed
        assert rag.manifest.count() == 0 and rag.store.count() == 0 and len(rag.manifest.pending()) == 3
    assert not [t for t in threading.enumerate() if t.name == "ragkit-embed-ahead" and t.is_alive()]
    (root / "zz.md").write_text("# Calm\n\nThis one is fine.")
    with RAG({"home": str(home), "rerank": {"enabled": False}}, embedder=onnx_embedder) as rag:
        report = rag.ingest(root)
        assert report.failed == 0 and report.added == 3 and not rag.manifest.pending()
        stored = {c.chunk_id for c in rag.store.chunks_where(None)}
        committed = {cid for e in rag.manifest.all(str(root)).values() for cid in e.chunk_ids}
        assert stored == committed and len(stored) == report.chunks_added


CRASH_SCRIPT = """
import sys
from ragkit.ingest.pipeline import Ingestor
from ragkit.models.embedders.local import LocalEmbedder
from ragkit.rag import RAG
Ingestor.chunk_group, Ingestor.embed_window = 5, 24
with RAG({"home": sys.argv[1], "rerank": {"enabled": False}, "ingest": {"batch_size": 8},
          "embedder": {"engine": "onnx"}}, embedder=LocalEmbedder(engine="onnx", batch_size=4)) as rag:
    rag.ingest([sys.argv[2]])
"""


@pytest.mark.parametrize("fault", ["after_journal", "after_upsert:3", "after_commit:2"])
def test_a_crash_mid_overlapped_run_leaves_no_half_document(corpus, tmp_path, onnx_embedder, fault):
    home = tmp_path / "home"
    env = {**os.environ, "RAGKIT_FAULT": fault}
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(home), str(corpus)], env=env, capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    with RAG({"home": str(home), "rerank": {"enabled": False}}, embedder=onnx_embedder) as rag:
        by_source: dict[str, set[str]] = {}
        for c in rag.store.chunks_where(None):
            by_source.setdefault(c.source, set()).add(c.chunk_id)
        committed = rag.manifest.all(str(corpus))
        for source, entry in committed.items():  # a committed document is whole
            assert by_source.get(source) == set(entry.chunk_ids), source
        report = rag.ingest(corpus)  # recovers: the half-written document goes, then is written whole
        assert report.added == N_DOCS + 3 - len(committed)
        stored = {}
        for c in rag.store.chunks_where(None):
            stored.setdefault(c.source, set()).add(c.chunk_id)
        entries = rag.manifest.all(str(corpus))
        assert not rag.manifest.pending() and len(entries) == N_DOCS + 3
        assert stored == {s: set(e.chunk_ids) for s, e in entries.items()}


@pytest.mark.parametrize("strategy", ["semantic", "recursive", "fixed_size"])
def test_documents_chunked_together_get_each_ones_own_chunks(corpus, strategy):
    """The pipeline chunks `chunk_group` documents in one `chunk_documents` call: the chunks must be
    those of each document alone, with the real budgets (tiktoken and the embedder's tokenizer)."""
    from ragkit.config.data import ChunkingConfig
    from ragkit.ingest.chunking import build_chunker, chunk_document, chunk_documents
    from ragkit.ingest.loaders import load_path
    from ragkit.ingest.loaders.registry import default_loaders
    from ragkit.models.embedders.local import LocalEmbedder

    emb = LocalEmbedder()  # its tokenizer only: no engine loads
    docs = [d for f in sorted(corpus.iterdir())
            for d in load_path(f, corpus, 1 << 26, loaders=default_loaders(max_record_bytes=1 << 26))]
    odd = [
        "# Heading only",
        "one endless sentence without any stop " * 90,
        "A word too long for any chunk: " + "x" * 5000 + ". Then a normal sentence. And one more.",
        "Short.\n\n## Part\n\n" + " ".join(f"Item {i} is listed here." for i in range(200)),
    ]
    docs += [dataclasses.replace(docs[-1], source=f"odd{i}.md", text=t, sections=(), content_hash=f"h{i}")
             for i, t in enumerate(odd)]
    c = build_chunker(ChunkingConfig(strategy=strategy, chunk_size=128), emb.count_tokens, emb.max_tokens)
    alone = [chunk_document(d, c) for d in docs]
    assert sum(map(len, alone)) > len(docs)
    for size in (2, 7, len(docs)):
        together = [chunks for i in range(0, len(docs), size) for chunks in chunk_documents(docs[i : i + size], c)]
        assert together == alone


def test_a_chunker_that_cannot_be_built_fails_each_file_once_and_the_run_completes(corpus, tmp_path, onnx_embedder):
    from ragkit.errors import ConfigError

    def no_chunker():
        raise ConfigError("embedder window of 4 tokens is too small to chunk for (need at least 8)")

    with RAG({"home": str(tmp_path / "home"), "rerank": {"enabled": False}}, embedder=onnx_embedder) as rag:
        report = ingest_with(rag, corpus, no_chunker)
        assert rag.manifest.count() == 0 and (not rag.store.exists() or rag.store.count() == 0)
    assert report.added == 0 and report.failed == 4  # scifact.jsonl and the three Markdown files
    assert sorted(o for o, _ in report.failures) == ["copy.md", "guide.md", "notes.md", "scifact.jsonl"]
    assert all("too small to chunk" in r for _, r in report.failures)
