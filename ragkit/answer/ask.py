"""The `ask` pipeline, one straight line, each step a call downward, each run once:

    retrieve -> semantic-cache lookup -> evidence gate -> prompt -> generate -> refusal check
    -> verify -> (escalate to the large route when the routing policy says so) -> cache store
    -> `Answer`

`ask` and `ask_stream` run the same steps (`run_ask`); they differ only in how the generator is
called (`generate` once, or `stream` with each text piece passed on), so both end in the same
`Answer`. Wired by `RAG.ask`; every dependency comes in through `AskDeps`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from ragkit.answer.answer import ABSTAIN_TEXT, Answer
from ragkit.answer.events import AnswerDelta, AnswerError, AnswerFinal, AnswerReset, AskEvent, CitationVerified
from ragkit.answer.evidence_gate import AbstentionThresholds, evidence_features, needs_branch_scores, should_abstain
from ragkit.answer.prompts import build_prompt
from ragkit.answer.refusal import is_abstention
from ragkit.answer.verify import verify_answer
from ragkit.errors import RagkitError, StreamInterruptedError
from ragkit.protocols import AnswerCache, Generator
from ragkit.types import Generation, GenerationRequest, StreamDelta, Usage

if TYPE_CHECKING:
    from ragkit.answer.types import VerifiedAnswer
    from ragkit.config.app import AnswerConfig
    from ragkit.config.orchestrate import RoutingConfig
    from ragkit.orchestrate.gateway import Gateway
    from ragkit.retrieve.retriever import Retriever


@dataclass
class AskDeps:
    retriever: "Retriever"
    generators: Mapping[str, Generator]  # "small" always; "large" when configured
    gateway: "Gateway"  # records semantic-cache hits and the always-large counterfactual
    answer_cfg: "AnswerConfig"
    routing: "RoutingConfig"
    model_hint: str  # the small route's model: the prompt's token budget is counted in its encoding
    index_version: Callable[[], str]
    semantic_cache: "AnswerCache | None" = None
    embed: Callable | None = None  # for embedding-assisted citation support


def ask(deps: AskDeps, question: str, *, filters: Mapping[str, Any] | None = None,
        top_k: int | None = None) -> Answer:
    """A grounded answer with verified citations, or ABSTAIN_TEXT. Errors are raised."""
    for event in run_ask(deps, question, filters=filters, top_k=top_k, stream=False):
        if isinstance(event, AnswerFinal):
            return event.answer
    raise AssertionError("run_ask ended without an answer")  # pragma: no cover


def ask_stream(deps: AskDeps, question: str, *, filters: Mapping[str, Any] | None = None,
               top_k: int | None = None) -> Iterator[AskEvent]:
    """The events of ragkit.answer.events; a ragkit error ends the stream in one `AnswerError`."""
    pipeline = run_ask(deps, question, filters=filters, top_k=top_k, stream=True)
    try:
        yield from pipeline
    except StreamInterruptedError as exc:
        yield AnswerError(type(exc).__name__, str(exc), pipeline.query_id, exc.partial_text, exc.usage or Usage())
    except RagkitError as exc:
        yield AnswerError(type(exc).__name__, str(exc), pipeline.query_id)
    finally:
        pipeline.close()


class run_ask:  # noqa: N801  (an iterator that also exposes the query id)
    """The pipeline as an iterator of AskEvents; `stream=False` yields only the `AnswerFinal`."""

    def __init__(self, deps: AskDeps, question: str, *, filters: Mapping[str, Any] | None, top_k: int | None,
                 stream: bool):
        self.query_id = uuid.uuid4().hex
        self._it = _steps(deps, question, filters, top_k, stream, self.query_id)

    def __iter__(self) -> "run_ask":
        return self

    def __next__(self) -> AskEvent:
        return next(self._it)

    def close(self) -> None:
        self._it.close()


@dataclass
class _Run:
    """What one `ask` has gathered so far, and how it ends."""

    question: str
    query_id: str
    t0: float
    latency: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    generations: list[Generation] = field(default_factory=list)

    def answer(self, **kw) -> Answer:
        self.latency["total"] = time.perf_counter() - self.t0
        for g in self.generations:
            self.notes += tuple(n for n in g.notes if n not in self.notes)
        return Answer(question=self.question, query_id=self.query_id, latency=dict(self.latency), notes=self.notes,
                      **kw)

    def spent(self) -> tuple[float | None, Usage]:
        costs = [g.cost_usd for g in self.generations]
        usage = Usage()
        for g in self.generations:
            usage = usage + g.usage
        return (None if any(c is None for c in costs) else float(sum(costs))), usage  # type: ignore[arg-type]


def _steps(deps: AskDeps, question: str, filters, top_k, stream: bool, qid: str) -> Iterator[AskEvent]:
    from ragkit.orchestrate.router import RoutingDecision, RoutingFeatures, cascade_escalation, policy_route

    cfg, routing = deps.answer_cfg, deps.routing
    run = _Run(question, qid, time.perf_counter())
    thresholds = AbstentionThresholds.from_config(cfg)

    # 1. retrieve (the dense branch score of each candidate only when a threshold needs it)
    res = deps.retriever.search(question, filters=dict(filters) if filters else None, top_k=top_k,
                                branch_scores=needs_branch_scores(thresholds))
    run.latency.update(embed=res.timings.get("embed", 0.0), retrieve=res.timings.get("search", 0.0))
    if "rerank" in res.timings:  # no "rerank 0 ms" when no reranker ran
        run.latency["rerank"] = res.timings["rerank"]
    hits = res.results
    run.notes = (res.rerank_note,) if res.rerank_note else ()
    evidence = tuple(h.chunk.chunk_id for h in hits)
    index_version = deps.index_version() if deps.semantic_cache is not None else ""

    # 2. semantic-cache lookup (an answer verified for this very evidence and index version)
    cached = None
    if deps.semantic_cache is not None:
        look = deps.semantic_cache.lookup(question, evidence_ids=evidence, index_version=index_version,
                                          vector=res.query_vector)
        run.notes += (f"semantic cache {look.reason}",)
        if look.hit and look.completion is not None:
            cached = look

    # 3. evidence gate (before any model call)
    if cached is None:
        feats = evidence_features(question, hits, answerability=thresholds.min_answerable is not None) if hits else {}
        abstain, reason = should_abstain(question, hits, thresholds, feats)
        if abstain:
            yield AnswerFinal(run.answer(text=ABSTAIN_TEXT, abstained=True, abstain_reason=f"weak evidence: {reason}",
                                         chunks=tuple(hits), model="", provider="", cost_usd=0.0,
                                         routing={"mode": "none", "reason": "abstained before any model call"}))
            return

    # 4. prompt
    prompt = build_prompt(question, hits, cfg.context_tokens, deps.model_hint, version=cfg.prompt_version,
                          system_prompt=cfg.system_prompt)
    in_context = {c.chunk_id for c in prompt.chunks}
    context_hits = tuple(h for h in hits if h.chunk.chunk_id in in_context)
    embed = deps.embed if cfg.embedding_support else None
    checked: dict[str, "VerifiedAnswer"] = {}

    def verified(text: str) -> "VerifiedAnswer":  # each text verified once (non-strict)
        if text not in checked:
            checked[text] = verify_answer(text, prompt.chunks, min_support=cfg.min_support, strict=False, embed=embed)
        return checked[text]

    features = RoutingFeatures.from_query(question, [h.score for h in hits])
    has_large = "large" in deps.generators
    if cached is not None:
        decision = RoutingDecision(routing.mode, "cache", f"semantic cache hit (similarity {cached.similarity:.3f})")
        route = "cache"
    else:
        route, why = _route(routing, features, has_large, policy_route)
        decision = RoutingDecision(routing.mode, route, why)
    request = GenerationRequest(question, context_hits, tuple(prompt.messages), qid, prompt.version, "generate",
                                decision)

    # 5. generate (or serve the cached answer)
    t1 = time.perf_counter()
    if cached is not None:
        gen = deps.gateway.record_hit("cache", cached.completion, kind="semantic", saved_usd=cached.cost_usd,
                                      query_id=qid, decision=decision, latency_s=time.perf_counter() - t1)
        if stream:
            yield AnswerDelta(gen.completion.text, "cache")
    else:
        gen = yield from _generate(deps.generators[route], request, stream, route)
    run.generations.append(gen)

    # 6.-7. refusal check and verification; 8. escalation in cascade mode
    if cached is None and routing.mode == "cascade" and has_large and route == "small":
        why = cascade_escalation(_verdict(gen, verified), features, routing)
        if why:
            decision = RoutingDecision(routing.mode, "large", decision.reason, escalated=True, escalation_reason=why)
            run.notes += (f"escalated: {why}",)
            if stream:
                yield AnswerReset(why)
            request = GenerationRequest(question, context_hits, request.messages, qid, prompt.version, "generate",
                                        decision)
            gen = yield from _generate(deps.generators["large"], request, stream, "large")
            run.generations.append(gen)
    run.latency["generate"] = time.perf_counter() - t1
    if cached is None and has_large:
        warning = deps.gateway.set_counterfactual(gen.ledger_row,
                                                  deps.generators["large"].estimate_cost(request, gen.completion))
        run.notes += (warning,) if warning else ()

    t2 = time.perf_counter()
    c = gen.completion
    cost, usage = run.spent()
    common = dict(chunks=context_hits, model=c.model, provider=c.provider, routing=_routing_dict(decision),
                  cache_hit=gen.cache_hit, usage=usage, cost_usd=cost)
    if is_abstention(c.text):
        run.latency["verify"] = time.perf_counter() - t2
        yield AnswerFinal(run.answer(text=ABSTAIN_TEXT, abstained=True,
                                     abstain_reason="the model said the context does not answer", **common))
        return
    v = verify_answer(c.text, prompt.chunks, min_support=cfg.min_support, strict=True, embed=embed) if cfg.strict \
        else verified(c.text)
    run.latency["verify"] = time.perf_counter() - t2

    # 9. cache store: only a verified, non-abstaining, freshly generated answer
    fresh = cached is None and gen.cache_hit is None
    if deps.semantic_cache is not None and fresh and _verdict(gen, verified).ok and not v.abstained:
        deps.semantic_cache.store(question, c, evidence_ids=evidence, index_version=index_version,
                                  cost_usd=c.cost_usd, vector=res.query_vector)
    run.notes += tuple(v.notes)
    if stream:
        for citation in v.citations:
            yield CitationVerified(citation)
    yield AnswerFinal(run.answer(
        text=v.text, citations=v.citations, abstained=v.abstained, verification=v,
        abstain_reason=(v.reason or "strict mode dropped every unsupported sentence") if v.abstained else None,
        **common))


def _generate(generator: Generator, request: GenerationRequest, stream: bool, route: str):
    """One generator call; when streaming, each text piece is passed on as an AnswerDelta."""
    if not stream:
        return generator.generate(request)
    for piece in generator.stream(request):
        if isinstance(piece, StreamDelta):
            if piece.text:
                yield AnswerDelta(piece.text, route)
        else:
            return piece
    raise StreamInterruptedError(f"the {route} generator's stream ended without its answer")


def _route(routing: "RoutingConfig", features, has_large: bool, policy_route) -> tuple[str, str]:
    mode = routing.mode
    if mode == "policy" and has_large:
        return policy_route(features, routing)
    if mode == "cascade" and has_large:
        return "small", "cascade: the small route answers first"
    return "small", "routing off" if mode == "none" else f"{mode} routing, but no large route"


def _verdict(gen: Generation, verified: Callable[[str], "VerifiedAnswer"]):
    """The routing policy's view of an answer: abstained, unsupported, or fine."""
    from ragkit.orchestrate.router import VerificationResult

    text = gen.completion.text
    if is_abstention(text):
        return VerificationResult(ok=True, reason="the model abstained", abstained=True)
    v = verified(text)
    if v.abstained:
        return VerificationResult(ok=True, reason="the model abstained", abstained=True)
    if v.flagged:
        return VerificationResult(ok=False, reason=f"{len(v.flagged)} unsupported sentence(s)")
    if not v.claims:
        return VerificationResult(ok=False, reason="no claim to verify")
    return VerificationResult(ok=True, reason="")


def _routing_dict(d) -> dict[str, Any]:
    return {"mode": d.mode, "route": d.route, "reason": d.reason, "escalated": d.escalated,
            "escalation_reason": d.escalation_reason}
