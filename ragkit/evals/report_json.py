"""The JSON report: a stable, documented schema (`schema_version` 1). Additive changes keep the
version; a rename or removal bumps it.

Top level::

    schema_version   1
    kind             "ragkit.eval.report"
    ragkit_version   the package version that wrote it
    status           "pass" (no check failed and no question raised an error) | "fail"
    summary          {"pass": n, "fail": n, "skip": n, "info": n}
    suite            {name, description, path, sha256, full, sampled, corpus_kind, queries_kind, sample, thresholds}
    run              {started, finished (ISO-8601 UTC), seconds, phases_s {ingest, chunks, search, ask, judge},
                      phases_cpu_s (CPU seconds of the process per phase, all threads),
                      work_dir, host {python, platform, cpus}, notes [str],
                      query_embedding {search|ask: {batches, queries, batch_size, seconds (ask)}}}
    config           the pipeline config under test (secrets redacted)
    corpus           {documents, chunks, ingest {added, updated, unchanged, ..., reused_index}}
    queries          {total, searched, asked, errors (questions whose RAG.ask raised), groups {group: n}}
    checks           [check], in checklist order
    headline         [metric] with bootstrap CIs: the figures to look at first
    metrics          {"<check>.<metric>": value}: every metric, flat (what --compare reads)
    items            [{id, group, question, answerable, tags, gold, ranked (top 10 ids), abstained,
                       abstain_reason, answer, gold_contained, citations, verified_citations, error}]
    comparison       present with --compare: see compare.py

check   = {id, number, title, status (pass|fail|skip|info), reason, metrics [metric], details {...}}
metric  = {key "<check>.<metric>", title, value (number or null), unit (null|"s"|"usd"|"count"),
           better ("higher"|"lower"), ci ([lo, hi] or null), n, threshold ({op ">="|"<=", value} or null),
           passed (true|false|null when no threshold)}

Timings (`unit` "s", `run`, `latency` details) vary between runs; every other number is
deterministic for a deterministic pipeline (fixed seeds, no caches).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from ragkit.errors import SuiteError
from ragkit.evals.host import host_info

SCHEMA_VERSION = 1
KIND = "ragkit.eval.report"
HEADLINE = (
    "retrieval.ndcg@10", "retrieval.recall@k", "retrieval.mrr@10", "retrieval.gold_hit_rate", "rerank.ndcg@10_delta",
    "hallucination.abstention_out_of_corpus", "hallucination.abstention_adversarial",
    "hallucination.gold_answer_contained", "hallucination.unsupported_sentence_share", "citations.verified_share",
    "citations.gold_source_cited", "idk.precision", "idk.recall", "idk.wrongly_abstained",
    "latency.total_p95_s", "cost.mean_usd",
)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf become null, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def build_report(suite, opts, cfg, items: Sequence, obs, results: Sequence, *, started: float, finished: float,
                 home: Path) -> dict[str, Any]:
    from ragkit import __version__
    from ragkit.config import redacted
    from ragkit.evals.observations import contains_any

    checks = [r.to_dict() for r in results]
    summary = {s: sum(1 for c in checks if c["status"] == s) for s in ("pass", "fail", "skip", "info")}
    metrics = {m["key"]: m["value"] for c in checks for m in c["metrics"]}
    by_key = {m["key"]: m for c in checks for m in c["metrics"]}
    headline = [by_key[k] for k in HEADLINE if k in by_key and by_key[k]["value"] is not None]
    searches = {s.item_id: s for s in obs.searches}
    answers = {a.item_id: a for a in obs.answers}
    groups: dict[str, int] = {}
    rows = []
    for it in items:
        groups[it.group or "all"] = groups.get(it.group or "all", 0) + 1
        s, a = searches.get(it.id), answers.get(it.id)
        rows.append({
            "id": it.id, "group": it.group, "question": it.question, "answerable": it.answerable, "tags": list(it.tags),
            "gold": sorted(it.gold), "ranked": s.final[:10] if s else None,
            "abstained": a.abstained if a else None, "abstain_reason": a.abstain_reason if a else None,
            "answer": a.raw[:500] if a else None,
            "gold_contained": (not a.abstained and contains_any(a.text, it.answers)) if a and it.answers else None,
            "citations": len(a.citations) if a else None,
            "verified_citations": sum(c.verified for c in a.citations) if a else None,
            "error": a.error if a else None,
        })
    sources = {c.source for c in obs.chunks}
    errors = sum(1 for a in obs.answers if a.error)
    report = {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "ragkit_version": __version__,
        "status": "fail" if summary["fail"] or errors else "pass",
        "summary": summary,
        "suite": {
            "name": suite.name, "description": suite.description, "path": suite.path, "sha256": suite.sha256,
            "full": bool(opts.full), "sampled": _sampled(suite, opts), "corpus_kind": suite.corpus.kind, "queries_kind": suite.queries.kind,
            "sample": suite.sample.model_dump(), "thresholds": {k: t.model_dump(exclude_none=True)
                                                                for k, t in suite.thresholds.items()},
        },
        "run": {
            "started": _iso(started), "finished": _iso(finished), "seconds": round(finished - started, 3),
            "phases_s": dict(obs.phases_s), "phases_cpu_s": dict(obs.phases_cpu_s), "work_dir": str(home), "host": host_info(), "notes": list(obs.notes),
            "query_embedding": dict(obs.query_embedding),
        },
        "config": redacted(cfg.to_dict()),
        "corpus": {"documents": len(sources) if obs.chunks else None, "chunks": len(obs.chunks) if obs.chunks else None,
                   "ingest": obs.ingest},
        "queries": {"total": len(items), "searched": len(obs.searches), "asked": len(obs.answers),
                    "errors": errors, "groups": groups},
        "checks": checks,
        "headline": headline,
        "metrics": metrics,
        "items": rows,
    }
    return _clean(report)


def _sampled(suite, opts) -> bool:
    """Did sampling leave queries out (or unasked)?"""
    if opts.full:
        return False
    kind = suite.queries.kind
    return suite.sample.size is not None or kind == "squad2" or (kind == "beir" and suite.sample.ask is not None)


def write_json(report: dict[str, Any], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    return p


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a report written by `write_json`; a SuiteError says why it cannot be compared."""
    p = Path(path)
    if not p.is_file():
        raise SuiteError(f"--compare: report not found: {p}")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SuiteError(f"--compare: {p} is not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise SuiteError(f"--compare: {p} is not a ragkit eval report (no kind {KIND!r})")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise SuiteError(f"--compare: {p} has schema_version {data.get('schema_version')!r}; this ragkit reads "
                         f"{SCHEMA_VERSION}")
    return data


def stable_view(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what legitimately varies between two runs of one suite (timings, run
    metadata, latency details): two runs of a deterministic pipeline give equal stable views."""
    out = {k: v for k, v in report.items() if k not in ("run", "comparison")}
    checks = []
    for c in report.get("checks", []):
        c = dict(c)
        c["metrics"] = [m for m in c["metrics"] if m.get("unit") != "s" and not m["key"].startswith("latency.")]
        if c["id"] == "latency":
            c["details"] = {}
            c["status"] = None
        checks.append(c)
    out["checks"] = checks
    out["metrics"] = {k: v for k, v in report.get("metrics", {}).items() if not k.startswith("latency.")}
    out["headline"] = [m for m in report.get("headline", []) if not m["key"].startswith("latency.")]
    out["status"] = None  # a latency threshold may flip it on a loaded machine
    out["summary"] = None
    out["corpus"] = {k: v for k, v in report.get("corpus", {}).items() if k != "ingest"}
    return out
