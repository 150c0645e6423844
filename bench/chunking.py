"""Chunking benchmark on the SciFact corpus: speed and shape of each strategy, and its cost next to
embedding the chunks it makes.

    .venv/bin/python bench/chunking.py [--strategies semantic,recursive,fixed_size] [--sample 300]

For each strategy: documents/s, chunks, mean tiktoken tokens and embedder word pieces per chunk,
the share of chunks that end at a sentence boundary, and chunking time as a share of the time to
embed its chunks. Embedding every chunk of every strategy would take many minutes on a laptop, so
a fixed random sample of chunks (seed 0) is embedded with the local MiniLM embedder and the
per-chunk time is extrapolated to all chunks (stated in the output). Wall and CPU seconds are both
printed: on a shared machine CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def shared_dir() -> Path:
    return Path(os.environ.get("RAGKIT_SHARED_DIR", REPO.parent / "shared")).resolve()


class Clock:
    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=shared_dir() / "data" / "scifact" / "corpus.jsonl")
    ap.add_argument("--strategies", default="semantic,recursive,fixed_size")
    ap.add_argument("--sample", type=int, default=300, help="chunks embedded to estimate the embed cost")
    ap.add_argument("--batch", type=int, default=256, help="documents per chunk_documents call")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N documents (0: all)")
    args = ap.parse_args()
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus} (set RAGKIT_SHARED_DIR)", file=sys.stderr)
        return 2

    from ragkit.config.data import ChunkingConfig
    from ragkit.ingest.chunking import build_chunker, chunk_document, chunk_documents, split_sentences
    from ragkit.ingest.loaders import is_error_marker, load_path
    from ragkit.models.embedders.local import LocalEmbedder
    from ragkit.models.tokens import get_encoding

    clock = Clock()
    docs = [d for d in load_path(args.corpus, args.corpus.parent, 1 << 40) if not is_error_marker(d)]
    if args.limit:
        docs = docs[: args.limit]
    wall, cpu = clock.stop()
    print(f"loaded {len(docs)} documents in {wall:.2f}s wall / {cpu:.2f}s CPU ({len(docs) / wall:,.0f} docs/s)")

    embedder = LocalEmbedder()
    enc = get_encoding("cl100k_base")
    embedder.count_tokens(["warm up the tokenizer"])
    embedder.embed(["warm up the model"])
    sentence_ends = [{e for _, e in split_sentences(d.text)} for d in docs]
    rows = []
    for name in [s.strip() for s in args.strategies.split(",") if s.strip()]:
        cfg = ChunkingConfig(strategy=name)
        chunker = build_chunker(cfg, embedder.count_tokens, embedder.max_tokens)
        chunker.split("Warm up. Load the encodings.")
        clock = Clock()
        chunks_per_doc = []
        for i in range(0, len(docs), args.batch):
            chunks_per_doc.extend(chunk_documents(docs[i : i + args.batch], chunker))
        wall, cpu = clock.stop()
        repacked = chunker.repacked
        per_doc_n = min(len(docs), 1000)  # what a caller chunking one document at a time pays
        clock = Clock()
        for d in docs[:per_doc_n]:
            chunk_document(d, chunker)
        one_wall, one_cpu = clock.stop()
        chunks = [c for cs in chunks_per_doc for c in cs]
        texts = [c.text for c in chunks]
        tik = [len(enc.encode_ordinary(t)) for t in texts]
        wp = embedder.count_tokens(texts)
        at_end = sum(c.end in ends for cs, ends in zip(chunks_per_doc, sentence_ends) for c in cs)
        sample = random.Random(0).sample(texts, min(args.sample, len(texts)))
        t = Clock()
        embedder.embed(sample)
        embed_wall, embed_cpu = t.stop()
        per_chunk_wall, per_chunk_cpu = embed_wall / len(sample), embed_cpu / len(sample)
        est_wall, est_cpu = per_chunk_wall * len(chunks), per_chunk_cpu * len(chunks)
        rows.append(
            dict(
                strategy=name,
                seconds=wall,
                cpu=cpu,
                docs_s=len(docs) / wall,
                per_doc_s=per_doc_n / one_wall,
                chunks=len(chunks),
                tik=sum(tik) / len(tik),
                wp=sum(wp) / len(wp),
                wp_max=max(wp),
                sentence_end=at_end / len(chunks),
                embed_est=est_wall,
                share=wall / est_wall,
                share_cpu=cpu / est_cpu,
                per_chunk_ms=per_chunk_wall * 1000,
            )
        )
        r = rows[-1]
        print(
            f"\n[{name}] chunked {len(docs)} docs in {wall:.2f}s wall / {cpu:.2f}s CPU: {r['docs_s']:,.0f} docs/s "
            f"batched ({args.batch} docs a call), {r['per_doc_s']:,.0f} docs/s one document a call\n"
            f"  {len(chunks)} chunks, {r['tik']:.0f} tiktoken tokens and {r['wp']:.0f} word pieces per chunk "
            f"(max {r['wp_max']} of {embedder.max_tokens}), {100 * r['sentence_end']:.1f}% end at a sentence boundary; "
            f"{repacked} documents re-packed with real counts (sums of sentence counts were off)\n"
            f"  embedding {len(sample)} sampled chunks took {embed_wall:.2f}s ({r['per_chunk_ms']:.1f} ms/chunk); "
            f"extrapolated to all {len(chunks)} chunks: {est_wall:.0f}s\n"
            f"  chunking / embedding = {100 * r['share']:.2f}% wall, {100 * r['share_cpu']:.2f}% CPU"
        )
    print("\nstrategy     docs/s  chunks  tok/chunk  wp/chunk  sent-end  chunk s  embed s (est)  chunk/embed")
    for r in rows:
        print(
            f"{r['strategy']:<11} {r['docs_s']:>7,.0f} {r['chunks']:>7} {r['tik']:>10.0f} {r['wp']:>9.0f} "
            f"{100 * r['sentence_end']:>8.1f}% {r['seconds']:>8.2f} {r['embed_est']:>14.0f} {100 * r['share']:>11.2f}%"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
