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
import hashlib
import json
import os
import platform
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ragkit.answer.context import citation_label
from ragkit.answer.verify import verify_answer
from ragkit.types import Chunk

DATA = REPO / "bench" / "data" / "verification"
DOCS_CASES = DATA / "docs_cases.json"
SQUAD_CASES = DATA / "squad_cases.jsonl"
KINDS = ("correct", "wrong_citation", "altered_number", "altered_name", "negation", "other_document")
ERROR_KINDS = KINDS[1:]
TARGETS = {"precision": 0.95, "recall": 0.90}
MIN_SUPPORT = 0.5
CONTEXT = 4  # chunks given to verification per case
AMBIGUOUS = 0.6  # a sentence with this share of its words in the wrongly cited chunk is not used


@dataclass(frozen=True)
class Case:
    id: str
    origin: str  # "docs" | "squad"
    kind: str
    answer: str
    chunks: tuple[Chunk, ...]
    note: str = ""

    @property
    def expected_flagged(self) -> bool:
        return self.kind != "correct"


def shared_dir() -> Path:
    return Path(os.environ.get("RAGKIT_SHARED_DIR", REPO.parent / "shared")).resolve()


def squad_path() -> Path:
    return shared_dir() / "data" / "squad2" / "dev-v2.0.json"


# ---- text helpers of the generator (independent of ragkit's own) -------------------------------
_ABBR = {"mr", "mrs", "ms", "dr", "st", "mt", "jr", "sr", "vs", "no", "co", "inc", "ltd", "gen", "col", "lt", "prof"}
_END = re.compile(r"[.!?…][\"'”’)\]]*\s+")
_NUM = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w]|[.,]\d)")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Za-z]+)?(?:\s+(?:of\s+|de\s+)?[A-Z][a-z]+(?:[-'][A-Za-z]+)?)*")
_AUX = re.compile(r"\b(is|was|are|were|has|have|had|can|could|will|would|should|may|might|must|does|did)\b")
_NEG = re.compile(r"\b(not|never|no|n't|cannot|nor|without)\b|n't\b", re.IGNORECASE)
_NOT_NAMES = {"The", "A", "An", "In", "On", "At", "By", "For", "From", "To", "Of", "And", "But", "Or", "It", "Its",
              "This", "That", "These", "Those", "He", "She", "They", "His", "Her", "Their", "As", "After", "Before",
              "During", "When", "While", "With", "However", "There", "Although", "Since", "Many", "Some", "Most"}
_WORD = re.compile(r"[a-z0-9]+")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph: a split after . ! ? … (and closing quotes) before a capital or digit,
    except after an initial ("J.", "U.S.") or a common abbreviation ("St.")."""
    out, start = [], 0
    for m in _END.finditer(text):
        nxt = text[m.end():].lstrip("\"'“‘([")
        word = re.findall(r"[\w'’]+$", text[start:m.start()])
        if not nxt or not (nxt[0].isupper() or nxt[0].isdigit()) or (
                word and ((len(word[0]) == 1 and word[0].isupper()) or word[0].lower() in _ABBR)):
            continue
        out.append(text[start:m.end()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def word_share(sentence: str, passage: str) -> float:
    """Share of the sentence's words of 4+ letters found in the passage (lower case, exact)."""
    mine = {w for w in _WORD.findall(sentence.lower()) if len(w) >= 4}
    theirs = set(_WORD.findall(passage.lower()))
    return len(mine & theirs) / len(mine) if mine else 1.0


def name_spans(sentence: str) -> list[tuple[int, str]]:
    """Capitalised word runs that are not the sentence's first word nor a function word."""
    out = []
    for m in _NAME.finditer(sentence):
        text = m.group(0)
        if m.start() == 0 or text in _NOT_NAMES:
            continue
        out.append((m.start(), text))
    return out


def alter_number(sentence: str, rng: random.Random) -> tuple[int, str, str] | None:
    nums = [(m.start(), m.group(0)) for m in _NUM.finditer(sentence)]
    if not nums:
        return None
    at, old = rng.choice(nums)
    value = old.replace(",", "")
    if "." in value:
        head, tail = value.split(".")
        new = f"{head}.{tail[:-1]}{(int(tail[-1]) + rng.randint(1, 8)) % 10}"
    else:
        n = int(value)
        step = rng.choice([1, 2, 3, 5, 10]) if 1000 <= n <= 2100 else rng.choice([1, 2, n or 1, 10])
        new = str(n + step if rng.random() < 0.5 or n - step <= 0 else n - step)
        if "," in old:
            new = f"{int(new):,}"
    return (at, old, new) if new not in sentence else None


def alter_name(sentence: str, chunk_text: str, pool: list[str], rng: random.Random) -> tuple[int, str, str] | None:
    spans = name_spans(sentence)
    if not spans:
        return None
    at, old = rng.choice(spans)
    n_words = len(old.split())
    fits = [p for p in pool if len(p.split()) == n_words and p not in chunk_text and p not in sentence] or \
           [p for p in pool if p not in chunk_text and p not in sentence]
    return (at, old, rng.choice(fits)) if fits else None


def negate(sentence: str) -> tuple[int, str, str] | None:
    if _NEG.search(sentence):
        return None
    m = _AUX.search(sentence, 1)
    return (m.start(), m.group(0), m.group(0) + " not") if m else None


def apply_edit(sentence: str, edit: list | tuple) -> str:
    at, old, new = edit
    if sentence[at:at + len(old)] != old:
        raise ValueError(f"edit {edit!r} does not match {sentence!r}")
    return sentence[:at] + new + sentence[at + len(old):]


# ---- SQuAD cases ---------------------------------------------------------------------------------
def squad_paragraphs(articles: list[dict]) -> dict[str, dict]:
    """paragraph id "<title>/<i>" -> {"title", "text", "article"}."""
    out = {}
    for art in articles:
        for i, p in enumerate(art["paragraphs"]):
            out[f"{art['title']}/{i}"] = {"title": art["title"].replace("_", " "), "text": p["context"],
                                          "article": art["title"]}
    return out


def by_article(paras: dict[str, dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pid, p in paras.items():
        out.setdefault(p["article"], []).append(pid)
    return out


def _ix(pid: str) -> int:
    """The paragraph index of a paragraph id "<title>/<i>"."""
    return int(pid.rsplit("/", 1)[1])


def usable(sentence: str) -> bool:
    words = len(sentence.split())
    return (8 <= words <= 60 and sentence[-1:] in ".!?\"'" and "\n" not in sentence
            and bool(re.match(r"[\"'“(]?[A-Z0-9]", sentence)))


def generate_squad_specs(articles: list[dict], seed: int = 0, n_correct: int = 200, per_error: int = 40) -> list[dict]:
    """The SQuAD case list, drawn with `seed`: ids, paragraphs, sentence indices and hashes, edits."""
    paras = squad_paragraphs(articles)
    arts = by_article(paras)
    names_by_article = {a: sorted({nm for pid in pids for s in split_sentences(paras[pid]["text"])
                                   for _, nm in name_spans(s)}) for a, pids in arts.items()}
    specs = []
    for k, kind in enumerate(KINDS):
        rng = random.Random(f"{seed}:{kind}")
        want = n_correct if kind == "correct" else per_error
        order = sorted(paras)
        rng.shuffle(order)
        made = 0
        for pid in order:
            if made >= want:
                break
            art = paras[pid]["article"]
            others = [q for q in arts[art] if q != pid]
            if len(others) < CONTEXT:
                continue
            picked = rng.sample(others, CONTEXT)
            distractors, outside = picked[:CONTEXT - 1], picked[CONTEXT - 1]
            sents = split_sentences(paras[pid]["text"])
            idx = [i for i, s in enumerate(sents) if usable(s)]
            if not idx:
                continue
            si = rng.choice(idx)
            s = sents[si]
            spec = {"id": f"squad-{kind}-{made:03d}", "kind": kind, "art": art, "p": _ix(pid), "s": si,
                    "sha": sha(s), "cite": _ix(pid), "ctx": [_ix(pid), *map(_ix, distractors)]}
            if kind == "wrong_citation":
                fits = [d for d in distractors if word_share(s, paras[d]["text"]) < AMBIGUOUS]
                if not fits:
                    continue
                spec["cite"] = _ix(rng.choice(fits))
            elif kind == "other_document":
                osents = [(i, t) for i, t in enumerate(split_sentences(paras[outside]["text"]))
                          if usable(t) and word_share(t, paras[pid]["text"]) < AMBIGUOUS]
                if not osents:
                    continue
                oi, ot = rng.choice(osents)
                spec.update({"p": _ix(outside), "s": oi, "sha": sha(ot)})
            elif kind != "correct":
                pool = [nm for a, ns in names_by_article.items() if a != art for nm in ns]
                edit = (alter_number(s, rng) if kind == "altered_number" else
                        alter_name(s, paras[pid]["text"], pool, rng) if kind == "altered_name" else negate(s))
                if edit is None:
                    continue
                spec["edit"] = list(edit)
            specs.append(spec)
            made += 1
    return specs


def squad_chunk(pid: str, para: dict) -> Chunk:
    return Chunk(chunk_id=pid, source=pid, text=para["text"], start=0, end=len(para["text"]), index=0,
                 content_hash=sha(para["text"]), title=para["title"])


def squad_cases(specs: list[dict], articles: list[dict]) -> list[Case]:
    """The cases of a SQuAD case list, with their texts read back from the dev set."""
    paras = squad_paragraphs(articles)
    cases = []
    for sp in specs:
        def pid(i: int, art: str = sp["art"]) -> str:
            return f"{art}/{i}"

        sentence = split_sentences(paras[pid(sp["p"])]["text"])[sp["s"]]
        if sha(sentence) != sp["sha"]:
            raise ValueError(f"{sp['id']}: sentence hash differs (data set or splitter changed): {sentence!r}")
        claim = apply_edit(sentence, sp["edit"]) if "edit" in sp else sentence
        chunks = {i: squad_chunk(pid(i), paras[pid(i)]) for i in sp["ctx"]}
        answer = f"{claim} {citation_label(chunks[sp['cite']])}"
        cases.append(Case(sp["id"], "squad", sp["kind"], answer, tuple(chunks.values())))
    return cases


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


def load_squad_specs(path: Path = SQUAD_CASES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_squad_specs(specs: list[dict], path: Path = SQUAD_CASES) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = (json.dumps(s, ensure_ascii=False, separators=(",", ":")) + "\n" for s in specs)
    path.write_text("".join(lines), encoding="utf-8")


# ---- docs cases ----------------------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(text.split())


def find_chunk(chunks: list[Chunk], source: str, text: str | None = None, page: int | None = None,
               near: str = "") -> Chunk | None:
    """The chunk of `source` (and `page`) containing `text` (whitespace-insensitive), or, without
    `text`, the one sharing most words with `near`."""
    mine = [c for c in chunks if c.source == source and (page is None or c.page == page)]
    if text is not None:
        return next((c for c in mine if _norm(text) in _norm(c.text)), None)
    return max(mine, key=lambda c: (word_share(near, c.text), -c.start), default=None)


def _cited(claim: str, chunk: Chunk, inside: bool = False) -> str:
    """`claim` with its citation after it, or (`inside`) before its final punctuation."""
    if inside and claim[-1:] in ".;:!?":
        return f"{claim[:-1]} {citation_label(chunk)}{claim[-1]}"
    return f"{claim} {citation_label(chunk)}"


def docs_cases(cases: list[dict], chunks: list[Chunk], search) -> tuple[list[Case], list[str]]:
    """Hand-made docs cases over the stored chunks; `search(query)` gives ranked context chunks.
    Returns the cases and the ids that could not be built (their text no longer in the docs)."""
    out, stale = [], []
    for c in cases:
        own = find_chunk(chunks, c["source"], c["text"])
        claim = c.get("claim", c["text"])
        cited = own if "cite" not in c and "cite_page" not in c else find_chunk(
            chunks, c.get("cite", c["source"]), c.get("cite_text"), c.get("cite_page"), near=claim)
        before = [(b["claim"], find_chunk(chunks, b["source"], b["text"])) for b in c.get("before", [])]
        if own is None or cited is None or any(ch is None for _, ch in before):
            stale.append(c["id"])
            continue
        need = [cited, *(ch for _, ch in before)] + ([own] if c["kind"] != "other_document" else [])
        ctx = {x.chunk_id: x for x in need}
        for x in search(c.get("query", c["text"])):
            if len(ctx) >= CONTEXT + len(before):
                break
            if c["kind"] != "other_document" or x.chunk_id != own.chunk_id:
                ctx.setdefault(x.chunk_id, x)
        inside = bool(c.get("inside"))
        answer = " ".join([*(_cited(t, ch, inside) for t, ch in before), _cited(claim, cited, inside)])
        out.append(Case(c["id"], "docs", c["kind"], answer, tuple(ctx.values()), c.get("note", "")))
    return out, stale


def ingest_docs(home: Path):
    """docs/ ingested with the default pipeline (no reranker, no cache) into `home`; the RAG."""
    from ragkit.rag import RAG

    rag = RAG({"home": str(home), "rerank": {"enabled": False}, "cache": {"enabled": False}})
    rag.ingest(REPO / "docs")
    return rag


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
