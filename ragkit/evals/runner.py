"""Run a suite: ingest the corpus (incrementally), observe chunks, searches and answers through
the `RAG` facade (the same code path users run), read the ledger, apply the checks, build the
report. No rich, no typer here: progress goes to a plain callback.

    report = run_suite(load_suite("evals/sample_docs.yaml"), RunOptions(full=False))
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from ragkit.errors import RagkitError
from ragkit.evals import checks as c14
from ragkit.evals import checks_answers as c57
from ragkit.evals import checks_ops as c810
from ragkit.evals.items import EvalItem
from ragkit.evals.observations import (
    AnswerObs, Caps, ChunkObs, SearchObs, answer_obs, ends_at_boundary, payload_flags, pipeline_ranking, ranked_ids,
)
from ragkit.evals.registry import default_thresholds, metric_specs
from ragkit.evals.suite import Suite, Threshold
from ragkit.evals.workdir import base_config, corpus_paths, eval_config, load_items, work_dir

Progress = Callable[[str, int, "int | None"], None]  # (phase, advance, total when known)
Confirm = Callable[[str], bool]
SEARCH_BATCH = 200  # queries per Retriever.search_batch call (embedded in one call)
ASK_BATCH = 200  # asked questions embedded in one call before they are asked (batching.py)
EMBED_ALONE_SAMPLE = 5  # asked questions also embedded alone, timed: what a question asked alone waits
ABORT_AFTER = 3


class EvalRunError(RagkitError):
    """The pipeline under test cannot run (not a question's fault)."""


@dataclass
class RunOptions:
    full: bool = False
    work_root: str | Path | None = None  # default .ragkit/evals
    progress: Progress | None = None
    confirm: Confirm | None = None  # asked before the judge spends money; None: refuse unless `yes`
    yes: bool = False


@dataclass
class Observed:
    chunks: list[ChunkObs] = field(default_factory=list)
    caps: Caps | None = None
    searches: list[SearchObs] = field(default_factory=list)
    answers: list[AnswerObs] = field(default_factory=list)
    rows: list[dict[str, Any]] | None = None
    judge: dict[str, Any] | None = None
    ingest: dict[str, Any] = field(default_factory=dict)
    phases_s: dict[str, float] = field(default_factory=dict)
    phases_cpu_s: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    query_embedding: dict[str, dict[str, Any]] = field(default_factory=dict)  # phase -> batches, queries, seconds
    embed_alone_s: list[float] = field(default_factory=list)
    condensation: dict[str, Any] | None = None  # conversation suites: turns, condensed, added_word_f1


def thresholds_for(suite: Suite) -> dict[str, Threshold]:
    """The registry's defaults (e.g. latency p95 under the target), overridden by the suite's."""
    specs = metric_specs()
    out = {k: Threshold.default(specs[k].better, v) for k, v in default_thresholds(suite.latency_target_s).items()}
    out.update(suite.thresholds)
    return out


def run_suite(suite: Suite, options: RunOptions | None = None) -> dict[str, Any]:
    """Run every enabled check of `suite`; return the report (see report_json.py)."""
    from ragkit.evals.report_json import build_report
    from ragkit.rag import RAG

    opts = options or RunOptions()
    progress = opts.progress or (lambda phase, n, total: None)
    started = time.time()
    home = work_dir(suite, opts.work_root)
    home.mkdir(parents=True, exist_ok=True)
    items = load_items(suite, opts.full)
    paths = corpus_paths(suite, home)
    cfg, rebuilt = eval_config(base_config(suite), home, paths)
    enabled = suite.enabled_checks()
    obs = Observed()
    if rebuilt:
        obs.notes.append("the index was rebuilt: the corpus or the index-shaping config changed")
    with RAG(cfg) as rag:
        _phase(obs, "ingest", lambda: _ingest(rag, suite, paths, obs, progress))
        if {"chunking", "metadata"} & set(enabled):
            _phase(obs, "chunks", lambda: _observe_chunks(rag, cfg, paths, obs, progress))
        chats: dict[str, Any] = {}
        if any(it.conversation for it in items):
            _phase(obs, "chat", lambda: chats.update(_play_conversations(rag, items, obs, progress)))
        searched = [replace(it, question=chats[it.id].standalone_question) if it.id in chats else it for it in items]
        _phase(obs, "search", lambda: _search(rag, cfg, suite, searched, obs, progress))
        asked = [it for it in items if it.ask]
        if asked and set(enabled) & {"hallucination", "citations", "idk", "latency", "cost", "judge"}:
            _phase(obs, "ask", lambda: _ask(rag, asked, obs, progress, chats))
    finished = time.time()
    if cfg.ledger.enabled:
        obs.rows = _ledger_rows(cfg.ledger_path, started, finished + 1.0)
    if "judge" in enabled and suite.judge is not None:
        from ragkit.evals.judge import run_judge

        answered = {a.item_id: a for a in obs.answers}
        _phase(obs, "judge", lambda: setattr(obs, "judge", run_judge(
            suite.judge, cfg, [(it, answered[it.id]) for it in items if it.id in answered], opts, progress)))
        if obs.rows is not None:
            obs.rows = _ledger_rows(cfg.ledger_path, started, time.time() + 1.0)
    results = evaluate(suite, items, obs, cfg, enabled)
    return build_report(suite, opts, cfg, items, obs, results, started=started, finished=time.time(), home=home)


def evaluate(suite: Suite, items: Sequence[EvalItem], obs: Observed, cfg, enabled: Sequence[str]) -> list:
    boot = c14.Boot(suite.bootstrap.n, suite.bootstrap.seed, suite.bootstrap.alpha)
    th = thresholds_for(suite)
    run = {
        "chunking": lambda: c14.check_chunking(obs.chunks, obs.caps or Caps(cfg.chunking.chunk_size, None), th),
        "metadata": lambda: c14.check_metadata(obs.chunks, obs.searches, obs.answers, items, th),
        "retrieval": lambda: c14.check_retrieval(items, obs.searches, suite.retrieval.recall_k, boot, th,
                                                 depth=(suite.retrieval.chunks, suite.retrieval.deepest)),
        "rerank": lambda: c14.check_rerank(items, obs.searches, boot, th),
        "hallucination": lambda: c57.check_hallucination(items, obs.answers, boot, th),
        "citations": lambda: c57.check_citations(items, obs.answers, boot, th),
        "idk": lambda: c57.check_idk(items, obs.answers, boot, th),
        "latency": lambda: c810.check_latency(obs.answers, obs.searches, suite.latency_target_s, th,
                                              embed_alone=obs.embed_alone_s),
        "cost": lambda: c810.check_cost(obs.answers, obs.rows, th, str(cfg.ledger_path)),
        "judge": lambda: c810.check_judge(obs.judge, boot, th),
    }
    return [run[c]() for c in enabled]


def _phase(obs: Observed, name: str, fn) -> None:
    """Run one phase; record its wall seconds and the CPU seconds the process spent in it (all
    threads): on a busy machine the CPU figure says what the phase costs on an idle one."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    obs.phases_s[name] = round(time.perf_counter() - t, 3)
    obs.phases_cpu_s[name] = round(time.process_time() - c, 3)


def _ingest(rag, suite: Suite, paths: list[Path], obs: Observed, progress: Progress) -> None:
    def on(event: str, n: int) -> None:
        if event == "total_chunks":
            progress("ingest", 0, n)
        elif event == "chunks":
            progress("ingest", n, None)

    report = rag.ingest(paths, progress=on)
    obs.ingest = report.to_dict()
    obs.ingest["reused_index"] = report.added == 0 and report.updated == 0 and report.unchanged > 0
    stored = report.added + report.updated + report.unchanged
    where = suite.path or "suite"
    if report.failures:
        listed = "; ".join(f"{src}: {why}" for src, why in report.failures[:20])
        more = f"; and {len(report.failures) - 20} more" if len(report.failures) > 20 else ""
        what = f"{report.failed} of {report.failed + stored} corpus file(s) failed to ingest: {listed}{more}"
        if not stored:
            raise EvalRunError(f"{where}: {what}. Nothing was indexed, so nothing can be evaluated: fix or "
                               "remove these files (or exclude them with the config's ingest.exclude)")
        obs.notes.append(what + " (the run evaluates the others)")
    elif not stored:
        raise EvalRunError(f"{where}: corpus: no file to ingest under {', '.join(map(str, paths))} (no file there "
                           "matches the config's ingest.include and ingest.exclude patterns)")


def _observe_chunks(rag, cfg, paths: list[Path], obs: Observed, progress: Progress) -> None:
    from ragkit.models.tokens import get_encoding

    chunks = rag.store.chunks_where()
    chunks.sort(key=lambda c: (c.source, c.index))
    progress("chunks", 0, len(chunks))
    texts = _doc_texts(cfg, paths)
    last = {}
    for ch in chunks:
        last[ch.source] = max(last.get(ch.source, -1), ch.index)
    enc = get_encoding(cfg.chunking.encoding)
    tik = [len(enc.encode_ordinary(ch.text)) for ch in chunks]
    emb = rag.embedder
    try:
        window = int(emb.max_tokens)
        wcounts: list[int | None] = list(emb.count_tokens([ch.text for ch in chunks]))
    except RagkitError:  # e.g. a hosted embedder whose tokenizer cannot be loaded offline
        window, wcounts = None, [None] * len(chunks)
    obs.caps = Caps(cfg.chunking.chunk_size, window)
    for ch, t, w in zip(chunks, tik, wcounts):
        boundary = ends_at_boundary(texts.get(ch.source), ch.text, ch.start, ch.index == last[ch.source])
        obs.chunks.append(ChunkObs(
            source=ch.source, index=ch.index, boundary=boundary, tiktoken_tokens=t, window_tokens=w,
            tail="" if boundary else ch.text.rstrip()[-80:], **payload_flags(ch.payload())))
    progress("chunks", len(chunks), None)


def _doc_texts(cfg, paths: list[Path]) -> dict[str, str]:
    """The ingested documents' texts, reloaded with ragkit's loaders (sentence-boundary check)."""
    from ragkit.errors import LoaderError
    from ragkit.ingest.loaders import default_loaders, load_path, max_bytes_for
    from ragkit.ingest.walker import walk

    out: dict[str, str] = {}
    limit = max_bytes_for(cfg.ingest.max_file_mb)
    # the loaders as the ingest configured them (ingest.loaders): the texts the chunks point into
    loaders = default_loaders(on_error=lambda e: None, max_record_bytes=limit, options=cfg.ingest.loaders)
    for root in paths:
        base = root if root.is_dir() else root.parent
        for found in walk(root, cfg.ingest.include, cfg.ingest.exclude):
            try:
                for doc in load_path(found.path, base, limit, loaders=loaders):
                    out[doc.source] = doc.text
            except LoaderError:
                continue
    return out


def _filter_counts(spec, hits) -> tuple[int, int]:
    from ragkit.filters import matches, parse_filter

    node = parse_filter(spec)
    seen = {h.chunk.chunk_id: h.chunk for h in hits}
    return len(seen), sum(1 for ch in seen.values() if matches(node, ch.payload()))


def _search(rag, cfg, suite: Suite, items: Sequence[EvalItem], obs: Observed, progress: Progress) -> None:
    todo = [it for it in items if it.gold or it.filters]
    progress("search", 0, len(todo))
    groups: dict[str, list[EvalItem]] = {}
    for it in todo:
        groups.setdefault(json.dumps(it.filters, sort_keys=True), []).append(it)
    top_k = max(suite.retrieval.chunks, cfg.retrieval.top_k)
    top_n = max(10, cfg.rerank.top_n)
    calls = 0
    for key, group in groups.items():
        spec = json.loads(key)
        for i in range(0, len(group), SEARCH_BATCH):
            part = group[i:i + SEARCH_BATCH]
            results = rag.retriever.search_batch([it.question for it in part], filters=spec, top_k=top_k, top_n=top_n)
            calls += 1
            found = []
            for it, res in zip(part, results):
                s = SearchObs(it.id, ranked_ids(res.candidates),
                              pipeline_ranking(res.candidates, res.results, res.reranked),
                              cfg.rerank.top_n if res.reranked else cfg.retrieval.top_k,
                              res.reranked, res.rerank_note, dict(res.timings), depth=top_k)
                if spec:
                    s.filter_checked, s.filter_matched = _filter_counts(spec, [*res.candidates, *res.results])
                obs.searches.append(s)
                found.append((it, s, len(res.candidates) >= top_k))
            _deepen(rag, found, spec, top_k, suite.retrieval.recall_k, suite.retrieval.deepest)
            progress("search", len(part), None)
    obs.query_embedding["search"] = {"batches": calls, "queries": len(todo), "batch_size": SEARCH_BATCH}


def _deepen(rag, found, spec, depth: int, want: int, cap: int) -> None:
    """Queries whose first `depth` chunks hold fewer than `want` documents, while the index had
    more chunks to give, are searched again at twice the depth (up to `cap`, without reranking);
    the documents the deeper search adds are ranked after the ones already there."""
    pending = [(it, s) for it, s, full in found if full and len(s.first_stage) < want]
    while pending and depth < cap:
        depth = min(2 * depth, cap)
        deeper = rag.retriever.search_batch([it.question for it, _ in pending], filters=spec, top_k=depth,
                                            rerank=False)
        still = []
        for (it, s), res in zip(pending, deeper):
            extra = ranked_ids(res.candidates)
            s.first_stage = list(dict.fromkeys([*s.first_stage, *extra]))
            s.final = list(dict.fromkeys([*s.final, *extra]))
            s.depth = depth
            if len(res.candidates) >= depth and len(s.first_stage) < want:
                still.append((it, s))
        pending = still


def _play_conversations(rag, items: Sequence[EvalItem], obs: Observed, progress: Progress) -> dict[str, Any]:
    """Each conversation's turns through RAG.chat, in file order, one fresh session each: item id ->
    ChatAnswer (its standalone question is what retrieval is scored on). Adds the condensation figures
    to the notes."""
    from ragkit.chat.metrics import added_f1

    turns = [it for it in items if it.conversation]
    progress("chat", 0, len(turns))
    out: dict[str, Any] = {}
    for conv in dict.fromkeys(it.conversation for it in turns):
        rag.chat_delete(f"eval:{conv}")
    for it in turns:
        try:
            out[it.id] = rag.chat(f"eval:{it.conversation}", it.question, filters=it.filters)
        except RagkitError as exc:
            obs.notes.append(f"conversation {it.conversation}, turn {it.id}: {type(exc).__name__}: {exc}")
        progress("chat", 1, None)
    for conv in dict.fromkeys(it.conversation for it in turns):
        rag.chat_delete(f"eval:{conv}")
    done = [it for it in turns if it.id in out]
    changed = sum(out[it.id].standalone_question != it.question for it in done)
    scored = [added_f1(it.question, out[it.id].standalone_question, it.rewrite) for it in done if it.rewrite]
    f1 = f"; added-word F1 against the gold rewrites {sum(scored) / len(scored):.3f} ({len(scored)} turns)" \
        if scored else ""
    obs.notes.append(f"conversations: {len(done)} turns in {len({it.conversation for it in done})} conversation(s), "
                     f"{changed} condensed{f1}")
    obs.condensation = {"turns": len(done), "condensed": changed,
                        "added_word_f1": round(sum(scored) / len(scored), 4) if scored else None}
    return out


def _ask(rag, asked: Sequence[EvalItem], obs: Observed, progress: Progress, chats=None) -> None:
    """Ask each question; a question that raises is recorded with its error (a bad question never
    stops the run). When the first ABORT_AFTER questions all fail with the same exception that is
    not a RagkitError, the pipeline itself is broken: the run stops with that error.

    The questions are embedded ASK_BATCH at a time (batching.py); each answer's `embed` latency is
    its share of its batch, and EMBED_ALONE_SAMPLE questions are also timed embedded alone."""
    from ragkit.evals.batching import embed_alone_seconds, prefetched_queries

    progress("ask", 0, len(asked))
    crashes: list[Exception] = []
    stats = obs.query_embedding.setdefault("ask", {"batches": 0, "queries": 0, "seconds": 0.0,
                                                   "batch_size": ASK_BATCH})
    dense = rag.retriever.cfg.mode in ("hybrid", "dense")  # a sparse-only search embeds nothing
    sample = [it.question for it in asked[:EMBED_ALONE_SAMPLE]] if dense else []
    if sample:
        embedder = rag.retriever.embedder
        embedder.embed(sample[:1])  # loads the model (an index reused from the last run has not yet)
        obs.embed_alone_s = embed_alone_seconds(embedder, sample)
    n = 0
    for start in range(0, len(asked), ASK_BATCH):
        block = asked[start:start + ASK_BATCH]
        with prefetched_queries(rag.retriever, [it.question for it in block] if dense else []) as batch:
            if batch.queries:
                stats["batches"] += 1
                stats["queries"] += batch.queries
                stats["seconds"] = round(stats["seconds"] + batch.seconds, 6)
            for it in block:
                n += 1
                try:
                    hits = batch.hits
                    ans = chats[it.id] if chats and it.id in chats else rag.ask(it.question, filters=it.filters)
                    a = answer_obs(it.id, ans)
                    if batch.hits > hits:
                        _batched_embed_latency(a, batch.per_query_s)
                    if it.filters:
                        a.filter_checked, a.filter_matched = _filter_counts(it.filters, ans.chunks)
                except Exception as exc:  # noqa: BLE001 - recorded per question, reported, and fails the run
                    a = AnswerObs(it.id, "", False, error=f"{type(exc).__name__}: {exc}")
                    if not isinstance(exc, RagkitError):
                        crashes.append(exc)
                        if len(crashes) == n == ABORT_AFTER and len({type(e) for e in crashes}) == 1:
                            raise EvalRunError(f"RAG.ask fails on every question ({type(exc).__name__}: {exc}); "
                                               "the pipeline is broken, not the questions") from exc
                obs.answers.append(a)
                progress("ask", 1, None)
    failed = [a for a in obs.answers if a.error]
    if failed:
        obs.notes.append(f"{len(failed)} of {len(asked)} questions raised an error (first: {failed[0].error}); "
                         "the run fails")


def _batched_embed_latency(a: AnswerObs, share_s: float) -> None:
    """The answer's query vector was read from its batch: its embed stage (and total) gain the
    question's share of the batch's embedding time."""
    if "embed" in a.latency:
        a.latency["embed"] += share_s
        if "total" in a.latency:
            a.latency["total"] += share_s


def _ledger_rows(path: Path, since: float, until: float) -> list[dict[str, Any]]:
    from ragkit.orchestrate.ledger import Ledger

    if not Path(path).is_file():
        return []
    with Ledger(path) as led:
        return [r for r in led.dicts(since=since) if float(r["ts"]) <= until]
