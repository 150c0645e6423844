"""Issue 17: follow-up condensation, measured on TREC CAsT 2021 (retrieval) and CANARD dev (the
rewrite against the gold rewrite).

    python bench/conversation.py [--cast-only | --canard-only] [--tag TAG] [--llm]

Data: ../shared/data/multiturn (or $RAGKIT_SHARED_DIR/data/multiturn), read in place, never copied.

CAsT 2021: the 239 canonical passages are written as a BEIR JSONL corpus into a temporary folder
and ingested with ragkit's default retrieval (hybrid dense MiniLM + BM25, DBSF fusion; reranker
off) into .ragkit/bench/cast2021. Each conversation is then played through `RAG.chat` (offline
condenser, extractive answers): the condenser sees only the earlier questions and ragkit's own
answers. For each of the 213 follow-ups, the turn's canonical passage is looked for in the top of
`RAG.search` with (a) the raw question, (b) ragkit's standalone question, (c) the manual rewrite,
(d) the track's automatic rewrite (T5), and (e) the raw question with every earlier question
appended (naive concatenation): hit@1, hit@5, nDCG@3 (one relevant passage). The follow-ups whose
manual rewrite equals the raw question ("already stand alone") are reported apart.

CANARD dev: the 2,940 follow-ups (turn > 1). The condenser sees the earlier question/answer pairs
(the article title and section, history[0:2], dropped: no live chat has them) and its own earlier
standalone questions. Scored: F1 of the content words (stemmed) each rewrite adds to the raw
question against those the gold rewrite adds (1.0 when neither adds any), and the share of
follow-ups whose gold-added names (capitalized words) all appear in the rewrite. Baselines: the raw
question, and "append the history's most frequent name to any follow-up with a pronoun". Reported
on the whole set and on its two halves (`half`: the design half the offline rules were developed
on, and the held-out half). Two diagnostics that no chat can compute show where the gold's added
words come from: the raw question plus the article title, and plus the title's words that the
history shows.

Writes bench/results/conversation-<date>[-<tag>].json.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ragkit.chat.condense import HistoryTurn, OfflineCondenser  # noqa: E402
from ragkit.chat.names import cap_phrases  # noqa: E402
from ragkit.chat.words import PERSON_PRONOUNS, THING_PRONOUNS, content_words, norm, words  # noqa: E402
from ragkit.chat.metrics import added_f1, names_added, stemset  # noqa: E402


def data_dir() -> Path:
    shared = os.environ.get("RAGKIT_SHARED_DIR")
    base = Path(shared) if shared else REPO.parent / "shared"
    return base / "data" / "multiturn"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def conversations(rows: list[dict]) -> dict[str, list[dict]]:
    convs: dict[str, list[dict]] = collections.defaultdict(list)
    for r in rows:
        convs[str(r["conv"])].append(r)
    for turns in convs.values():
        turns.sort(key=lambda r: int(r["turn"]))
    return dict(convs)


# ---- CANARD: the rewrite against the gold rewrite ---------------------------------------------
_stemset = stemset


def frequent_name_baseline(raw: str, history: list[HistoryTurn]) -> str:
    toks = {norm(t) for t in words(raw)}
    if not toks & (set(PERSON_PRONOUNS) | set(THING_PRONOUNS)):
        return raw
    counts = collections.Counter()
    for h in history:
        for p in cap_phrases(h.question) + cap_phrases(h.answer):
            for w in p.split():
                if norm(w) in content_words(w):
                    counts[w] += 1
    if not counts:
        return raw
    name = counts.most_common(1)[0][0]
    return f"{raw.rstrip()} {name}"


def half(conv: str) -> str:
    """CANARD dev split by dialogue context: the QuAC id without its trailing dialogue number (two
    dialogues on one passage fall in the same half), sha256-hashed; even = the design half (the
    offline condenser's rules were developed on it), odd = held out."""
    group = str(conv).rsplit("_", 1)[0]
    return "design" if int(hashlib.sha256(group.encode()).hexdigest(), 16) % 2 == 0 else "heldout"


def canard(condenser: OfflineCondenser, rows: list[dict], llm=None) -> dict:
    f1: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    names_ok: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    changed = 0
    examples = []
    for conv, turns in conversations(rows).items():
        part = half(conv)
        own: list[str] = []  # the condenser's own standalone questions, turn by turn
        for r in turns:
            h = r["history"][2:]
            pairs = [(h[i], h[i + 1] if i + 1 < len(h) else "") for i in range(0, len(h), 2)]
            history = [HistoryTurn(q, a, own[k] if k < len(own) else "") for k, (q, a) in enumerate(pairs)]
            c = condenser.condense(r["raw"], history)
            own.append(c.standalone)
            if int(r["turn"]) == 1:
                continue
            gold = r["manual_rewrite"]
            seen = {norm(w) for x in h for w in words(x)}
            outs = {"raw": r["raw"], "frequent-name": frequent_name_baseline(r["raw"], history),
                    "offline": c.standalone,
                    # diagnostics, not rewrites a chat can make: the article title no chat sees, and
                    # the title's words that the history shows (a perfect pick of the subject)
                    "oracle: raw + article title": f"{r['raw']} {r['title']}",
                    "oracle: raw + the title words the history shows":
                        r["raw"] + " " + " ".join(w for w in words(r["title"]) if norm(w) in seen)}
            changed += c.changed
            want = names_added(r["raw"], gold)
            for k, v in outs.items():
                for p in (part, "all"):
                    f1[p][k].append(added_f1(r["raw"], v, gold))
                    if want:
                        names_ok[p][k].append(float(want <= _stemset(v)))
            if len(examples) < 12 and c.changed and part == "heldout":
                examples.append({"raw": r["raw"], "offline": c.standalone, "gold": gold})

    def figures(p: str) -> dict:
        return {"follow_ups": len(f1[p]["raw"]),
                "added_word_f1": {k: round(sum(v) / len(v), 4) for k, v in f1[p].items()},
                "added_names_all_present": {k: round(sum(v) / len(v), 4) for k, v in names_ok[p].items()},
                "follow_ups_with_gold_added_names": len(names_ok[p]["raw"])}

    out = figures("all") | {"changed_by_offline": changed}
    out["halves"] = {p: figures(p) for p in ("design", "heldout") if f1[p]["raw"]}
    out["examples_heldout"] = examples
    return out


# ---- CAsT: retrieval ---------------------------------------------------------------------------
def rank_of(hits, gold: str) -> int | None:
    seen: list[str] = []
    for h in hits:
        if h.chunk.source not in seen:
            seen.append(h.chunk.source)
    return seen.index(gold) + 1 if gold in seen else None


def scores(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {"hit@1": round(sum(r == 1 for r in ranks) / n, 4),
            "hit@5": round(sum(r is not None and r <= 5 for r in ranks) / n, 4),
            "ndcg@3": round(sum(1 / math.log2(r + 1) for r in ranks if r is not None and r <= 3) / n, 4)}


def scripted_llm(rows: list[dict]):
    """The loopback provider server of tests/loopback (real HTTP, the real OpenAI SDK): a condense
    request is answered with the turn's manual rewrite, any other with an abstention. A plumbing
    check of the LLM condenser (its stage, cache and guard), no claim about a model's quality."""
    from ragkit.chat.llm import SYSTEM
    from tests.loopback.server import LoopbackServer, Reply

    gold = {r["raw"].strip(): r["manual_rewrite"] for r in rows}
    server = LoopbackServer().start()

    def respond(path, body):
        msgs = body.get("messages", [])
        if msgs and msgs[0].get("content") == SYSTEM:
            last = msgs[-1]["content"].split("Last question: ", 1)[-1].split("\n\nStandalone question:")[0]
            return Reply.ok(gold.get(last.strip(), last))
        return Reply.ok("I don't have enough information.")

    server.responder = respond
    os.environ.setdefault("OPENAI_API_KEY", "sk-loopback-bench")
    os.environ["RAGKIT_SECURITY__ALLOW_KEY_HOSTS"] = "127.0.0.1"
    return server


def cast(rows: list[dict], home: Path, llm: bool = False) -> dict:
    from ragkit.rag import RAG

    # a fixed path outside the repository: the same documents on every run (a new path would be new documents)
    corpus_dir = Path(tempfile.gettempdir()) / "ragkit-bench-cast2021"
    corpus_dir.mkdir(exist_ok=True)
    corpus = corpus_dir / "cast2021-passages.jsonl"
    seen: dict[str, str] = {}
    for r in rows:
        seen.setdefault(r["canonical_id"], r["passage"])
    text = "".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in seen.items())
    if not corpus.is_file() or corpus.read_text(encoding="utf-8") != text:
        corpus.write_text(text, encoding="utf-8")
    cfg = {"home": str(home), "rerank": {"enabled": False}, "cache": {"semantic": False}}
    server = None
    if llm:
        server = scripted_llm(rows)
        cfg.update(llm={"small": {"provider": "openai", "model": "gpt-4o-mini", "base_url": server.openai_base_url,
                                  "timeout_s": 5.0}, "routing": {"mode": "none"}}, chat={"condenser": "llm"})
    out: dict = {"passages": len(seen)}
    with RAG(cfg) as rag:
        t = time.perf_counter()
        rep = rag.ingest([corpus])
        out["ingest_s"] = round(time.perf_counter() - t, 1)
        out["points"] = rag.store.count()
        out["added"] = rep.added
        assert out["points"] < 2 * len(seen) * 3, "the index holds other documents: remove --home and rerun"
        ranks: dict[str, list] = collections.defaultdict(list)
        alone: dict[str, list] = collections.defaultdict(list)
        first: dict[str, list] = collections.defaultdict(list)
        examples, t_chat, since = [], time.perf_counter(), time.time()
        methods: collections.Counter = collections.Counter()
        n_turns = 0
        for conv, turns in conversations(rows).items():
            session = f"cast-{conv}"
            rag.chat_sessions.delete(session)
            earlier: list[str] = []
            for r in turns:
                ans = rag.chat(session, r["raw"])
                methods[ans.condense["method"]] += 1
                n_turns += 1
                queries = {"raw": r["raw"], "condensed": ans.standalone_question, "manual": r["manual_rewrite"],
                           "automatic": r["automatic_rewrite"], "concatenation": " ".join(earlier + [r["raw"]])}
                earlier.append(r["raw"])
                got = {k: rank_of(rag.search(q, top_k=20).results, r["canonical_id"]) for k, q in queries.items()}
                bucket = first if int(r["turn"]) == 1 else ranks
                for k, v in got.items():
                    bucket[k].append(v)
                if int(r["turn"]) > 1 and r["manual_rewrite"].strip() == r["raw"].strip():
                    for k, v in got.items():
                        alone[k].append(v)
                if int(r["turn"]) > 1 and len(examples) < 15:
                    examples.append({"raw": r["raw"], "condensed": ans.standalone_question,
                                     "manual": r["manual_rewrite"]})
            rag.chat_sessions.delete(session)
        out["chat_seconds_per_turn"] = round((time.perf_counter() - t_chat) / max(n_turns, 1), 3)
        out["condense_methods"] = dict(methods)
        if llm:
            rows_ok = [x for x in rag.gateway.ledger.rows(since=since) if x.stage == "condense"]  # this run's
            out["condense_ledger_rows"] = len(rows_ok)
    if server is not None:
        server.close()
    out["follow_ups"] = len(ranks["raw"])
    out["follow_ups"] = {k: scores(v) for k, v in ranks.items()} | {"n": len(ranks["raw"])}
    out["stand_alone_follow_ups"] = {k: scores(v) for k, v in alone.items()} | {"n": len(alone["raw"])}
    out["first_turns"] = {k: scores(v) for k, v in first.items()} | {"n": len(first["raw"])}
    a, b, c = (out["follow_ups"][k]["hit@5"] for k in ("raw", "condensed", "manual"))
    out["hit@5_gap_closed"] = round((b - a) / (c - a), 4) if c != a else None
    out["examples"] = examples
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cast-only", action="store_true")
    ap.add_argument("--canard-only", action="store_true")
    ap.add_argument("--tag", default="")
    ap.add_argument("--home", type=Path, default=REPO / ".ragkit" / "bench" / "cast2021")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--llm", action="store_true", help="also CAsT with the LLM condenser on scripted rewrites")
    args = ap.parse_args()
    d = data_dir()
    out: dict = {"date": dt.date.today().isoformat(), "cpu_count": os.cpu_count(), "condenser": "offline"}
    condenser = OfflineCondenser()
    if not args.cast_only:
        t = time.perf_counter()
        out["canard_dev"] = canard(condenser, load(d / "canard_dev.jsonl"))
        out["canard_dev"]["seconds"] = round(time.perf_counter() - t, 1)
        print("CANARD", json.dumps({k: v for k, v in out["canard_dev"].items() if not k.startswith("examples")},
                                   indent=1))
    if not args.canard_only:
        out["cast2021"] = cast(load(d / "cast2021.jsonl"), args.home)
        print("CAsT", json.dumps({k: v for k, v in out["cast2021"].items() if k != "examples"}, indent=1))
    if args.llm:
        out["cast2021_llm_scripted"] = cast(load(d / "cast2021.jsonl"), args.home, llm=True)
        print("CAsT (LLM condenser, scripted)", json.dumps(
            {k: v for k, v in out["cast2021_llm_scripted"].items() if k != "examples"}, indent=1))
    if not args.no_write:
        name = f"conversation-{out['date']}{'-' + args.tag if args.tag else ''}.json"
        (REPO / "bench" / "results" / name).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        print("wrote bench/results/" + name)


if __name__ == "__main__":
    main()
