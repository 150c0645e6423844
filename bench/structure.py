"""Issue 15: headings, document titles and code blocks are structure, never an answer sentence.

    python bench/structure.py [--n 300] [--seed 0] [--tag TAG] [--no-docs]

Every SQuAD 2.0 dev paragraph (35 articles, 1,204 paragraphs) is written as a BEIR JSONL corpus
(`title` the article title, `text` the paragraph; ragkit.evals.squad.corpus_lines) into a
temporary folder, never the repository, and ingested into a temporary home. All articles, not
one half: 7 of the 35 titles have three words or more, the length at which a title can be chosen
as a sentence at all. A seeded sample of `--n` answerable questions is asked through `RAG.ask` (extractive generator, no reranker, no caches). Each answer
is cut into its sentences at its citation markers (the extractive generator writes "sentence
[Source: x]" per sentence), and counted:

  title_only      answers whose every sentence is a bare document title;
  bare_title      answers with at least one bare title sentence;
  glued_title     answers with a sentence that is a title glued to the paragraph's first words;
  structural      answers with a sentence that is a Markdown heading, a code fence or a table row;
  gold_contained  answers containing a gold answer (SQuAD normalisation, bench/squad_qa.py);
  abstained       answers that abstained.

Then SciFact through the same loader path (`--scifact N` test claims, 0 to skip; the gold
documents of those claims and as many others): answers that are only a title, answers with a bare
title sentence (SciFact's titles are sentences), first citation at a gold document.

Unless `--no-docs`, the same counts for the questions of tests/answer/test_examples.py (the
README's, docs/index.md's and scripts/setup.sh's examples, plus the questions of issue 15) over
a copy of the bundled docs/, with each first sentence printed. Writes
bench/results/structure-<date>[-<tag>].json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from squad_qa import contains_gold, normalize  # noqa: E402

from ragkit.answer.citations import parse_citations  # noqa: E402
from ragkit.evals.items import sample  # noqa: E402
from ragkit.evals.squad import corpus_lines, load_squad  # noqa: E402

SQUAD = "data/squad2/dev-v2.0.json"
DOCS_QUESTIONS = [  # the examples (tests/answer/test_examples.py reads them from the docs) and issue 15's
    "How do I scale out to a Qdrant server?", "What is the default RRF constant?",
    "Which chunking strategy is the default?", "What does the reranker do?", "What is the cost ledger?",
]
_STRUCTURAL = re.compile(r"^\s*(?:#{1,6}\s|```|~~~|\|)")


def answer_sentences(text: str) -> list[str]:
    """The sentences of an extractive answer: the text before each citation marker."""
    out, prev = [], 0
    for ref in parse_citations(text):
        seg = text[prev:ref.start].strip()
        if seg:
            out.append(seg)
        prev = ref.end
    if text[prev:].strip():
        out.append(text[prev:].strip())
    return out


def classify(sentences: list[str], titles: set[str], openings: dict[str, list[str]]) -> dict[str, bool]:
    """The structure counts of one answer. `openings`: normalised title -> first words of its
    paragraphs (normalised), to tell a title glued to its paragraph from a sentence naming it."""
    norm = [normalize(s) for s in sentences]
    bare = [n in titles for n in norm]
    glued = False
    for n in norm:
        for t in titles:
            if n.startswith(t + " ") and any(n[len(t) + 1:].startswith(o) for o in openings.get(t, ())):
                glued = True
    return {
        "title_only": bool(sentences) and all(bare),
        "bare_title": any(bare),
        "glued_title": glued,
        "structural": any(_STRUCTURAL.match(s) for s in sentences),
    }


def squad_part(args, work: Path) -> dict:
    from ragkit.rag import RAG

    shared = Path(args.shared)
    articles = load_squad(shared / SQUAD)
    corpus = work / "corpus" / "squad2-dev.jsonl"
    corpus.parent.mkdir(parents=True)
    corpus.write_text("\n".join(corpus_lines(articles)) + "\n", encoding="utf-8")
    titles, openings, pool = set(), {}, []
    for art in articles:
        t = normalize(str(art["title"]).replace("_", " "))
        titles.add(t)
        paras = openings.setdefault(t, [t])  # [t]: a title glued to a paragraph that starts by naming it
        for para in art["paragraphs"]:
            paras.append(" ".join(normalize(para["context"]).split()[:4]))
            pool += [(q["question"], tuple(a["text"] for a in q["answers"]))
                     for q in para["qas"] if not q.get("is_impossible")]
    items = sample(pool, args.n, args.seed)
    config = {"home": str(work / "home"), "rerank": {"enabled": False}, "cache": {"enabled": False}}
    rows = []
    with RAG(config) as rag:
        t0 = time.perf_counter()
        report = rag.ingest([str(corpus)])
        print(f"ingest: {report} ({time.perf_counter() - t0:.1f} s)", flush=True)
        t0 = time.perf_counter()
        for k, (question, golds) in enumerate(items, 1):
            ans = rag.ask(question)
            sents = [] if ans.abstained else answer_sentences(ans.text)
            row = {"question": question, "abstained": ans.abstained, "verified": ans.verified,
                   "contained": (not ans.abstained) and contains_gold(ans.text, golds),
                   **{k2: (not ans.abstained) and v for k2, v in classify(sents, titles, openings).items()},
                   "first": sents[0] if sents else ""}
            rows.append(row)
            if k % 50 == 0:
                print(f"  {k}/{len(items)} asked ({time.perf_counter() - t0:.0f} s)", flush=True)
    n = len(rows)
    fig = {key: sum(r[key] for r in rows) for key in
           ("title_only", "bare_title", "glued_title", "structural", "contained", "abstained")}
    fig["n"] = n
    fig["gold_contained_share"] = round(fig["contained"] / n, 4) if n else 0.0
    fig["examples_title_only"] = [r["first"] for r in rows if r["title_only"]][:5]
    return fig


def scifact_part(args, work: Path) -> dict:
    """SciFact through the same BEIR loader path: the gold documents of the test claims and as many
    other documents (seeded), `--scifact` test claims asked. SciFact's titles are sentences (they
    end with a full stop), so only the title itself can tell them from text."""
    import random

    from ragkit.rag import RAG

    root = Path(args.shared) / "data" / "scifact"
    queries = {q["_id"]: q["text"] for q in map(json.loads, (root / "queries.jsonl").read_text().splitlines())}
    gold: dict[str, set[str]] = {}
    for line in (root / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, did, *_ = line.split("\t")
        gold.setdefault(qid, set()).add(did)
    asked = sample(sorted(gold, key=int), args.scifact, args.seed)
    keep = {d for q in asked for d in gold[q]}
    records = [json.loads(x) for x in (root / "corpus.jsonl").read_text().splitlines() if x.strip()]
    others = [r["_id"] for r in records if r["_id"] not in keep]
    keep |= set(random.Random(args.seed).sample(others, min(len(others), len(keep))))
    corpus = work / "corpus" / "scifact-part.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records if r["_id"] in keep), encoding="utf-8")
    titles = {normalize(r["title"]) for r in records if r["_id"] in keep and r.get("title")}
    rows = []
    with RAG({"home": str(work / "scifact-home"), "rerank": {"enabled": False}, "cache": {"enabled": False}}) as rag:
        t0 = time.perf_counter()
        report = rag.ingest([str(corpus)])
        print(f"scifact ingest: {report} ({time.perf_counter() - t0:.1f} s)", flush=True)
        for qid in asked:
            ans = rag.ask(queries[qid])
            sents = [] if ans.abstained else answer_sentences(ans.text)
            bare = [normalize(x) in titles for x in sents]
            rows.append({"abstained": ans.abstained, "title_only": bool(sents) and all(bare), "bare_title": any(bare),
                         "first_at_gold": bool(ans.citations) and ans.citations[0].source in gold[qid]})
    fig = {k: sum(r[k] for r in rows) for k in ("title_only", "bare_title", "abstained", "first_at_gold")}
    fig["n"] = len(rows)
    fig["documents"] = len(keep)
    return fig


def markdown_structure(path: Path) -> list[str]:
    """The normalised text of each heading line and fenced code block of a Markdown file."""
    out, block = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"^ {0,3}(```|~~~)", line):
            if block is None:
                block = []
            else:
                out.append(" ".join(block))
                block = None
        elif block is not None:
            block.append(line)
        elif re.match(r"^ {0,3}#{1,6}\s", line):
            out.append(line)
    return [" ".join(x.split()) for x in out]


def is_structure(sentence: str, source: str | None, docs: Path, labels: set[str]) -> bool:
    """A sentence that is a heading, a title or section label, or part of a code block of its source."""
    flat = " ".join(sentence.split())
    if not flat or _STRUCTURAL.match(flat) or flat in labels:
        return True
    if source and source.endswith(".md") and (docs / source).is_file():
        head = flat[:40]
        return any(head in block or flat == block.lstrip("# ") for block in markdown_structure(docs / source))
    return False


def docs_part(work: Path) -> list[dict]:
    from ragkit.rag import RAG

    shutil.copytree(REPO / "docs", work / "docs")
    out = []
    with RAG({"home": str(work / "docs-home"), "cache": {"enabled": False}}) as rag:
        rag.ingest([str(work / "docs")])
        for q in DOCS_QUESTIONS:
            ans = rag.ask(q)
            sents = [] if ans.abstained else answer_sentences(ans.text)
            first = sents[0] if sents else ""
            source = ans.citations[0].source if ans.citations else None
            labels = {x for h in ans.chunks for x in (h.chunk.title, h.chunk.section) if x}
            out.append({"question": q, "first": first, "structural": is_structure(first, source, work / "docs", labels),
                        "first_verified": bool(ans.citations) and ans.citations[0].verified,
                        "first_source": source})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tag", default="")
    ap.add_argument("--no-docs", action="store_true")
    ap.add_argument("--scifact", type=int, default=100, help="SciFact test claims to ask (0: none)")
    ap.add_argument("--shared", default=os.environ.get("RAGKIT_SHARED_DIR", str(REPO.parent / "shared")))
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="ragkit-structure-"))
    try:
        fig = squad_part(args, work)
        sci = scifact_part(args, work) if args.scifact else {}
        docs = [] if args.no_docs else docs_part(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = fig["n"]
    print(f"\nSQuAD dev (all paragraphs as BEIR jsonl with titles), {n} answerable questions, seed {args.seed}:")
    for key, label in (("title_only", "answer is only a title"), ("bare_title", "a bare title sentence"),
                       ("glued_title", "a title glued to its paragraph"), ("structural", "a heading/code/table sentence"),
                       ("abstained", "abstained"), ("contained", "gold answer contained")):
        print(f"  {label:<34} {fig[key]:>4} / {n}  ({fig[key] / max(n, 1):.1%})")
    if sci:
        print(f"\nSciFact ({sci['documents']} documents: the gold ones and as many others), {sci['n']} test claims:")
        for key, label in (("title_only", "answer is only a title"), ("bare_title", "a bare title sentence"),
                           ("abstained", "abstained"), ("first_at_gold", "first citation at a gold document")):
            print(f"  {label:<34} {sci[key]:>4} / {sci['n']}  ({sci[key] / max(sci['n'], 1):.1%})")
    if docs:
        print("\nbundled docs/, first sentence of each answer:")
        for d in docs:
            mark = "STRUCTURE " if d["structural"] else ""
            print(f"  {d['question']}\n    {mark}{d['first'][:150]!r} [{d['first_source']}, verified={d['first_verified']}]")
    out = REPO / "bench" / "results" / f"structure-{dt.date.today().isoformat()}{'-' + args.tag if args.tag else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"squad": fig, "scifact": sci, "docs": docs, "seed": args.seed, "n": args.n}, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
