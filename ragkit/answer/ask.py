"""The `ask` flow: retrieve -> abstain if the evidence is weak -> prompt -> gateway (routing,
retries, caches, ledger) -> recognise abstention -> verify citations -> `Answer`.

Wired by `RAG.ask`; every dependency comes in as an argument, so this module holds the order of
the steps and nothing else.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ragkit.answer.abstention import (
    AbstentionThresholds,
    evidence_features,
    is_abstention,
    needs_branch_scores,
    should_abstain,
)
from ragkit.answer.answer import ABSTAIN_TEXT, Answer
from ragkit.answer.prompts import build_prompt
from ragkit.answer.verify import verify_answer
from ragkit.types import Usage


@dataclass
class AskDeps:
    retriever: Any  # ragkit.retrieve.retriever.Retriever
    gateway: Any  # ragkit.orchestrate.gateway.Gateway
    answer_cfg: Any  # ragkit.config.app.AnswerConfig
    model_hint: str  # the small route's model: the prompt's token budget is counted in its encoding
    index_version: Callable[[], str]
    embed: Callable | None = None  # for embedding-assisted citation support


def ask(deps: AskDeps, question: str, *, filters: Mapping[str, Any] | None = None, top_k: int | None = None) -> Answer:
    from ragkit.models.llm import GenerationContext
    from ragkit.orchestrate import RoutingFeatures, SemanticKey, VerificationResult

    cfg = deps.answer_cfg
    qid = uuid.uuid4().hex
    t0 = time.perf_counter()
    thresholds = AbstentionThresholds.from_config(cfg)
    # the dense branch score of each candidate is fetched only when a threshold needs it
    res = deps.retriever.search(question, filters=dict(filters) if filters else None, top_k=top_k,
                                branch_scores=needs_branch_scores(thresholds))
    latency = {"embed": res.timings.get("embed", 0.0), "retrieve": res.timings.get("search", 0.0),
               "rerank": res.timings.get("rerank", 0.0)}
    hits = res.results
    notes = (res.rerank_note,) if res.rerank_note else ()

    def done(**kw) -> Answer:
        latency["total"] = time.perf_counter() - t0
        return Answer(question=question, query_id=qid, latency=dict(latency), notes=notes, **kw)

    feats = evidence_features(question, hits) if hits else {}
    abstain, reason = should_abstain(question, hits, thresholds, feats)
    if abstain:
        return done(text=ABSTAIN_TEXT, abstained=True, abstain_reason=f"weak evidence: {reason}",
                    chunks=tuple(hits), model="", provider="", cost_usd=0.0,
                    routing={"mode": "none", "reason": "abstained before any model call"})

    prompt = build_prompt(question, hits, cfg.context_tokens, deps.model_hint,
                          version=cfg.prompt_version, system_prompt=cfg.system_prompt)
    in_context = {c.chunk_id for c in prompt.chunks}
    context_hits = tuple(h for h in hits if h.chunk.chunk_id in in_context)
    embed = deps.embed if cfg.embedding_support else None

    checked: dict[str, object] = {}  # answer text -> its non-strict verification, made once

    def verify_once(text: str, strict: bool):
        if strict:
            return verify_answer(text, prompt.chunks, min_support=cfg.min_support, strict=True, embed=embed)
        if text not in checked:
            checked[text] = verify_answer(text, prompt.chunks, min_support=cfg.min_support, strict=False, embed=embed)
        return checked[text]

    def verify(completion) -> VerificationResult:
        v = verify_once(completion.text, strict=False)
        if v.abstained:
            return VerificationResult(ok=True, reason="the model abstained", abstained=True)
        bad = v.flagged
        if bad:
            return VerificationResult(ok=False, reason=f"{len(bad)} unsupported sentence(s)")
        if not v.claims:
            return VerificationResult(ok=False, reason="no claim to verify")
        return VerificationResult(ok=True, reason="")

    t1 = time.perf_counter()
    gr = deps.gateway.complete(
        list(prompt.messages),
        query_id=qid,
        stage="generate",
        features=RoutingFeatures.from_query(question, [h.score for h in hits]),
        verify=verify,
        context=GenerationContext(question, context_hits),
        semantic=SemanticKey(question, tuple(h.chunk.chunk_id for h in hits), deps.index_version(), res.query_vector),
        template_version=prompt.version,
    )
    latency["generate"] = time.perf_counter() - t1
    c = gr.completion
    routing = {"mode": gr.decision.mode, "route": gr.decision.route, "reason": gr.decision.reason,
               "escalated": gr.decision.escalated, "escalation_reason": gr.decision.escalation_reason}
    common = dict(chunks=context_hits, model=c.model, provider=c.provider, routing=routing,
                  cache_hit=gr.cache_hit, usage=gr.usage or Usage(), cost_usd=gr.cost_usd)
    t2 = time.perf_counter()
    if is_abstention(c.text):
        latency["verify"] = time.perf_counter() - t2
        return done(text=ABSTAIN_TEXT, abstained=True, abstain_reason="the model said the context does not answer",
                    **common)
    v = verify_once(c.text, strict=cfg.strict)  # the routing hook's verification, reused when not strict
    latency["verify"] = time.perf_counter() - t2
    notes = notes + tuple(v.notes)
    return done(text=v.text, citations=v.citations, abstained=v.abstained,
                abstain_reason=(v.reason or "strict mode dropped every unsupported sentence") if v.abstained else None,
                verification=v, **common)
