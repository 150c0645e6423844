"""Issue 15: does citation verification reject sentences that their cited chunk states?

    python bench/verification.py [--modes lexical,embedding] [--regenerate] [--seed 0] [--no-scan]
                                 [--correct 200] [--per-error 40] [--limit N] [--home DIR] [--tag T]

A set of planted errors, each one answer (one sentence and its `[Source: ...]`, built with
`citation_label`) plus the context chunks verification is given (the cited chunk and a few others,
as ask gives them), labelled with what verification should say:

  correct         the sentence as the cited chunk states it, right citation: should verify;
  wrong_citation  a sentence of one context chunk cited to another context chunk (another document,
                  or the right document's wrong page);
  altered_number  the sentence with one number changed, right citation;
  altered_name    the sentence with one name (or code span / config key) changed, right citation;
  negation        the sentence with a negation inserted, right citation;
  other_document  a sentence of a document NOT in the context, cited to a context chunk.
Every kind but `correct` should be flagged (not verified).

Two sources of cases. (1) bench/data/verification/docs_cases.json: hand-made over the bundled docs
(docs/ is ingested with the default pipeline into --home, and each case finds its chunks among the
stored ones, so they are the chunks users get; the other context chunks are `RAG.search`'s top
candidates for the case's query; some answers have two or three cited sentences, as the extractive
generator writes them, after a code block, a table row, a heading or a list item). (2) SQuAD 2.0 dev (read from the shared data folder): each
paragraph is one chunk (source "<article>/<index>" as the SQuAD protocol's corpus, title the
article's); a case is a sentence of a gold paragraph, altered deterministically, with 3 other
paragraphs of the same article as the rest of the context. The SQuAD case list (paragraph and
sentence ids, a hash of each sentence, the edits) is bench/data/verification/squad_cases.jsonl,
drawn with --seed by --regenerate (or when missing); the texts are read back from the dev set.

Verification is `ragkit.answer.verify.verify_answer` with min_support 0.5, lexical only
(embed=None) and with embedding support (the default local MiniLM's `embed`). A case counts as
flagged when its answer is not verified (`VerifiedAnswer.all_verified` false). Positive class:
flagged. Prints, per mode: per kind the share flagged (recall for error kinds, false-rejection
rate for `correct`), precision and recall of "not verified" per source and overall against the
targets (precision >= 0.95, recall >= 0.90), the false rejections, and the missed errors by kind.
Also (unless --no-scan) a lexical scan of every usable SQuAD dev sentence cited verbatim to its own
paragraph: how many correct single sentences verification rejects. Prints the CPU model and flags.
Writes bench/results/verification-<date>[-<tag>].json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ragkit.answer.context import citation_label
from ragkit.answer.verify import verify_answer
sys.path.insert(0, str(REPO / "bench"))

from verification_cases import (  # noqa: E402
    CONTEXT,
    DOCS_CASES,
    ERROR_KINDS,
    KINDS,
    SQUAD_CASES,
    Case,
    alter_name,
    alter_number,
    apply_edit,
    by_article,
    docs_cases,
    generate_squad_specs,
    ingest_docs,
    load_squad_specs,
    negate,
    split_sentences,
    squad_cases,
    squad_chunk,
    squad_path,
    squad_paragraphs,
    usable,
    write_squad_specs,
)

__all__ = ["Case", "alter_name", "alter_number", "apply_edit", "negate", "squad_paragraphs"]  # for its tests

TARGETS = {"precision": 0.95, "recall": 0.90}
MIN_SUPPORT = 0.5


def scan_correct(articles: list[dict], seed: int = 0, show: int = 10) -> dict:
    """Every usable sentence of every dev paragraph, cited to its paragraph with 3 seeded paragraphs
    of the same article beside it, verified lexically: how many does verification reject?"""
    paras = squad_paragraphs(articles)
    arts = by_article(paras)
    rng, n, bad = random.Random(f"{seed}:scan"), 0, []
    for pid, p in paras.items():
        others = [q for q in arts[p["article"]] if q != pid]
        ctx = tuple(squad_chunk(q, paras[q]) for q in [pid, *rng.sample(others, min(CONTEXT - 1, len(others)))])
        for s in filter(usable, split_sentences(p["text"])):
            r = run_case(Case(pid, "squad", "correct", f"{s} {citation_label(ctx[0])}", ctx))
            n += 1
            if r["flagged"]:
                bad.append({"paragraph": pid, "answer": f"{s} {citation_label(ctx[0])}", "reason": r["reason"]})
    return {"n": n, "flagged": len(bad), "rate": len(bad) / n if n else None, "examples": bad[:show]}


# ---- measurement ---------------------------------------------------------------------------------
def run_case(case: Case, embed=None, min_support: float = MIN_SUPPORT) -> dict:
    """Verify one case; the row records the verdict and how it was reached."""
    v = verify_answer(case.answer, list(case.chunks), min_support=min_support, embed=embed)
    flagged = not v.all_verified
    return {"id": case.id, "origin": case.origin, "kind": case.kind, "expected": case.expected_flagged,
            "flagged": flagged,
            "outcome": ("t" if flagged == case.expected_flagged else "f") + ("p" if flagged else "n"),
            "support": [c.support for c in v.citations], "reason": v.reason,
            "why": [c.reason for c in v.citations if not c.verified]}


def confusion(rows: list[dict]) -> dict:
    """tp/fp/fn/tn of "not verified" (positive: flagged), precision, recall, false-rejection rate."""
    n = {k: sum(1 for r in rows if r["outcome"] == k) for k in ("tp", "fp", "fn", "tn")}
    tp, fp, fn, tn = n["tp"], n["fp"], n["fn"], n["tn"]
    return {**n, "n": len(rows),
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
            "false_rejection_rate": fp / (fp + tn) if fp + tn else None}


def figures(rows: list[dict]) -> dict:
    """Per kind (share flagged; error kinds: recall, and precision against all correct cases of the
    same origin), per origin and overall, with the targets' verdicts."""
    def block(rs: list[dict]) -> dict:
        conf = confusion(rs)
        correct = [r for r in rs if r["kind"] == "correct"]
        kinds = {}
        for k in KINDS:
            ks = [r for r in rs if r["kind"] == k]
            if ks:
                kinds[k] = {"n": len(ks), "flagged": sum(r["flagged"] for r in ks),
                            "share_flagged": sum(r["flagged"] for r in ks) / len(ks)}
                if k != "correct":
                    kinds[k]["precision_vs_correct"] = confusion(ks + correct)["precision"]
        return {**conf, "kinds": kinds}

    out = {"all": block(rows)}
    for origin in sorted({r["origin"] for r in rows}):
        out[origin] = block([r for r in rows if r["origin"] == origin])
    a = out["all"]
    out["met"] = {k: a[k] is not None and a[k] >= t for k, t in TARGETS.items()}
    return out


def cpu_facts() -> dict:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        info = ""
    model = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "unknown")
    flags = next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), [])
    shown = sorted(f for f in flags if f.startswith(("avx", "amx", "fma", "sse4", "f16c")))
    return {"cpu_model": model, "cpu_count": os.cpu_count(), "flags": shown, "platform": platform.platform(),
            "python": platform.python_version()}


def _f(x) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def report(mode: str, fig: dict, rows: list[dict], show_misses: int = 3) -> None:
    ok = {True: "met", False: "MISSED"}
    origins = [o for o in fig if o != "met"]
    print(f"\n== verification, {mode} (min_support {MIN_SUPPORT}); per kind: flagged/n, share, and for error kinds the "
          f"precision of 'not verified' on that kind plus the correct cases ==")
    print(f"{'kind':15s}" + "".join(f"{o:>30s}" for o in origins))
    for k in KINDS:
        cells = []
        for o in origins:
            kk = fig[o]["kinds"].get(k)
            cell = "" if kk is None else f"{kk['flagged']}/{kk['n']} {kk['share_flagged']:.3f}" + (
                f"  P {_f(kk['precision_vs_correct'])}" if k != "correct" else "  (false rej.)")
            cells.append(f"{cell:>30s}")
        print(f"{k:15s}" + "".join(cells))
    for o in origins:
        b = fig[o]
        print(f"  {o:5s}: n={b['n']} tp={b['tp']} fp={b['fp']} fn={b['fn']} tn={b['tn']}"
              f"  precision {_f(b['precision'])}"
              f"  recall {_f(b['recall'])}  false-rejection rate {_f(b['false_rejection_rate'])}")
    a = fig["all"]
    print(f"  targets: precision {_f(a['precision'])} >= {TARGETS['precision']}: {ok[fig['met']['precision']]}; "
          f"recall {_f(a['recall'])} >= {TARGETS['recall']}: {ok[fig['met']['recall']]}")
    fps = [r for r in rows if r["outcome"] == "fp"]
    print(f"  false rejections (correct cases flagged): {len(fps)}")
    for r in fps:
        print(f"    {r['id']}: support {r['support']}: {r['reason']}; {'; '.join(r['why'])}\n      {r['answer']}")
    for k in ERROR_KINDS:
        fns = [r for r in rows if r["outcome"] == "fn" and r["kind"] == k]
        if fns:
            print(f"  missed {k}: {len(fns)}, e.g.")
            for r in fns[:show_misses]:
                print(f"    {r['id']}: support {r['support']}: {r['answer'][:200]}")


def compact(rows: list[dict]) -> list[dict]:
    """Rows for the results file: the answer text only where verification erred on a docs case or
    rejected a correct one (the SQuAD texts are rebuilt from the case list), the reason only when flagged."""
    out = []
    for r in rows:
        c = {k: r[k] for k in ("id", "kind", "flagged", "outcome", "support")}
        if r["flagged"]:
            c["reason"], c["why"] = r["reason"], r["why"]
        if r["outcome"] == "fp" or (r["outcome"] == "fn" and r["origin"] == "docs"):
            c["answer"] = r["answer"]
        out.append(c)
    return out


def evaluate(cases: list[Case], embed=None) -> list[dict]:
    rows = []
    for c in cases:
        r = run_case(c, embed)
        r["answer"] = c.answer
        rows.append(r)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--modes", default="lexical,embedding")
    ap.add_argument("--regenerate", action="store_true", help="draw the SQuAD case list again with --seed")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--correct", type=int, default=200, help="SQuAD correct cases (with --regenerate)")
    ap.add_argument("--per-error", type=int, default=40, help="SQuAD cases per error kind (with --regenerate)")
    ap.add_argument("--limit", type=int, help="only the first N SQuAD cases of each kind (a quick run)")
    ap.add_argument("--home", default=str(REPO / ".ragkit" / "bench" / "verification"),
                    help="where docs/ is ingested (reused while unchanged)")
    ap.add_argument("--no-scan", action="store_true", help="skip the lexical scan of every SQuAD dev sentence")
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"lexical", "embedding"}:
        ap.error("--modes: lexical and/or embedding")
    machine = cpu_facts()
    print(f"CPU: {machine['cpu_model']} ({machine['cpu_count']} cores); flags: {' '.join(machine['flags'])}")
    t0 = time.perf_counter()
    if not squad_path().is_file():
        print(f"SQuAD 2.0 dev not found at {squad_path()} (set RAGKIT_SHARED_DIR)", file=sys.stderr)
        return 2
    articles = json.loads(squad_path().read_text(encoding="utf-8"))["data"]
    if args.regenerate or not SQUAD_CASES.is_file():
        write_squad_specs(generate_squad_specs(articles, args.seed, args.correct, args.per_error))
        print(f"wrote {SQUAD_CASES.relative_to(REPO)} (seed {args.seed})")
    specs = load_squad_specs()
    if args.limit:
        specs = [s for k in KINDS for s in [x for x in specs if x["kind"] == k][:args.limit]]
    cases = squad_cases(specs, articles)
    scan = None
    if not args.no_scan:
        t = time.perf_counter()
        scan = scan_correct(articles, args.seed)
        print(f"scan: every usable SQuAD 2.0 dev sentence cited to its own paragraph (lexical): {scan['flagged']} of "
              f"{scan['n']} not verified ({time.perf_counter() - t:.1f} s)")
        for e in scan["examples"]:
            print(f"    {e['reason']}\n      {e['answer']}")
    rag = ingest_docs(Path(args.home))
    try:
        stored = rag.store.chunks_where()
        hand = json.loads(DOCS_CASES.read_text(encoding="utf-8"))["cases"]
        dcases, stale = docs_cases(hand, stored, lambda q: [h.chunk for h in rag.search(q, top_k=8).candidates])
        if stale:
            print(f"docs cases whose text is no longer in docs/ (skipped): {stale}")
        cases = dcases + cases
        print(f"cases: {len(dcases)} from docs/ ({len(stored)} chunks), {len(cases) - len(dcases)} from SQuAD 2.0 dev; "
              + ", ".join(f"{k} {sum(c.kind == k for c in cases)}" for k in KINDS))
        results, seconds = {}, {}
        embedder = rag.embedder
        for mode in modes:
            t = time.perf_counter()
            embed = embedder.embed if mode == "embedding" else None
            rows = evaluate(cases, embed)
            seconds[mode] = round(time.perf_counter() - t, 1)
            results[mode] = {"figures": figures(rows), "rows": rows}
            report(mode, results[mode]["figures"], rows)
            print(f"  ({seconds[mode]} s)")
        try:  # the engine a verification call's batch (about 10 sentences) runs on
            engine = embedder.engine_for(["a sentence of a chunk"] * 10)
        except (AttributeError, TypeError):
            engine = "?"
        emb_name = f"{type(embedder).__name__}({getattr(embedder, 'name', '?')}, engine {engine})"
    finally:
        rag.close()
    today = dt.date.today().isoformat()
    out = REPO / "bench" / "results" / f"verification-{today}{'-' + args.tag if args.tag else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"date": today, "script": "bench/verification.py", "argv": sys.argv[1:] if argv is None else argv,
              "machine": machine, "protocol": {
                  "min_support": MIN_SUPPORT, "context_chunks": CONTEXT, "seed": args.seed, "limit": args.limit,
                  "flagged": "not VerifiedAnswer.all_verified", "embedder": emb_name,
                  "docs_cases": str(DOCS_CASES.relative_to(REPO)), "squad_cases": str(SQUAD_CASES.relative_to(REPO)),
                  "stale_docs_cases": stale},
              "targets": TARGETS, "scan_correct": scan,
              "seconds": seconds | {"total": round(time.perf_counter() - t0, 1)},
              "results": {m: {"figures": r["figures"], "rows": compact(r["rows"])} for m, r in results.items()}}
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwrote {out.relative_to(REPO)} ({result['seconds']['total']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
