"""The two `Generator`s `ask` writes answers with, and the config -> generators wiring.

* `ExtractiveGenerator`: the offline default. Calls `ragkit.answer.extractive` on the evidence
  itself (no prompt, no API, $0); its answer still gets one ledger row through the gateway, so
  cost reports count every answer. It streams its sentences.
* `LLMGenerator`: one route of the gateway (retries, fallbacks, cooldowns, budgets, exact cache,
  ledger). An `extractive` entry in that route's chain is its last resort: when every API model
  of the route fails, the offline generator answers and a note says why.

`build_generators(cfg, gateway)` gives one generator per configured route (`small`, `large`);
`api_routes(cfg)` the API providers of each route, which is what the gateway is built over. This
is the only place that tells the offline generator from an API provider.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Iterator, Sequence

from ragkit.errors import AllModelsFailedError
from ragkit.types import Completion, Generation, GenerationRequest, StreamDelta, Usage

if TYPE_CHECKING:
    from ragkit.config.orchestrate import ProviderConfig
    from ragkit.orchestrate.gateway import Gateway

OFFLINE = "extractive"  # the provider name config uses for the offline generator
_PIECE = re.compile(r"(?<=\]) (?=\S)")  # extractive answers join "sentence [Source: ...]" parts by one space


class ExtractiveGenerator:
    """Answers from the chunks' own sentences; deterministic, free, offline."""

    def __init__(self, max_sentences: int = 3, *, model: str = OFFLINE, route: str = "small",
                 gateway: "Gateway | None" = None):
        self.name = OFFLINE
        self.model = model
        self.max_sentences = max_sentences
        self.route = route
        self.gateway = gateway  # records the $0 row; None: nothing recorded

    def generate(self, request: GenerationRequest) -> Generation:
        from ragkit.answer.extractive import extractive_answer

        t0 = time.perf_counter()
        text = extractive_answer(request.question, request.chunks, self.max_sentences).text
        completion = Completion(text=text, model=self.model, provider=OFFLINE, usage=Usage(),
                                latency_s=time.perf_counter() - t0, cost_usd=0.0)
        if self.gateway is None:
            return Generation(completion, 0.0, Usage())
        return self.gateway.record_free(self.route, completion, query_id=request.query_id, stage=request.stage,
                                        decision=request.routing)

    def stream(self, request: GenerationRequest) -> Iterator[StreamDelta | Generation]:
        gen = self.generate(request)
        for i, part in enumerate(_PIECE.split(gen.completion.text)):
            yield StreamDelta(text=part if i == 0 else " " + part)
        yield gen

    def estimate_cost(self, request: GenerationRequest, completion: Completion) -> float | None:
        return 0.0


class LLMGenerator:
    """One gateway route; `offline` answers when every API model of the route has failed."""

    def __init__(self, gateway: "Gateway", route: str, *, offline: ExtractiveGenerator | None = None):
        self.gateway = gateway
        self.route = route
        self.offline = offline
        primary = gateway.routes[route][0]
        self.name = f"{primary.provider}:{primary.model}"

    def generate(self, request: GenerationRequest) -> Generation:
        try:
            return self.gateway.complete(request.messages, **self._kw(request))
        except AllModelsFailedError as exc:
            if self.offline is None:
                raise
            return self._offline_note(self.offline.generate(request), exc)

    def stream(self, request: GenerationRequest) -> Iterator[StreamDelta | Generation]:
        pieces = self.gateway.stream(request.messages, **self._kw(request))
        try:
            first = next(pieces)
        except AllModelsFailedError as exc:  # raised before any text: the offline generator can still answer
            if self.offline is None:
                raise
            for piece in self.offline.stream(request):
                yield self._offline_note(piece, exc) if isinstance(piece, Generation) else piece
            return
        yield first
        yield from pieces

    def estimate_cost(self, request: GenerationRequest, completion: Completion) -> float | None:
        """What this route's primary model charges for `completion` (its tokens counted when it has none)."""
        return self.gateway.priced_on(self.route, completion.usage, request.messages, completion.text)

    def _kw(self, request: GenerationRequest) -> dict:
        return dict(route=self.route, query_id=request.query_id, stage=request.stage, template_version=request.template_version,
                    decision=request.routing)

    def _offline_note(self, gen: Generation, exc: AllModelsFailedError) -> Generation:
        return replace(gen, notes=gen.notes + (f"every model of the {self.route} route failed, answered offline: "
                                               f"{exc}",))


def api_routes(cfg) -> dict[str, list["ProviderConfig"]]:
    """Each configured route's API providers, in chain order (what the gateway is built over)."""
    from ragkit.orchestrate.wiring import configured_routes

    out = {}
    for name, chain in configured_routes(cfg).items():
        out[name] = [] if chain[0].provider == OFFLINE else [pc for pc in chain if pc.provider != OFFLINE]
    return out


def build_generators(cfg, gateway: "Gateway") -> dict[str, ExtractiveGenerator | LLMGenerator]:
    """One generator per configured route, over a gateway built from `api_routes(cfg)`."""
    from ragkit.orchestrate.wiring import configured_routes

    out: dict[str, ExtractiveGenerator | LLMGenerator] = {}
    for name, chain in configured_routes(cfg).items():
        offline = _offline(cfg, name, chain, gateway)
        out[name] = offline if chain[0].provider == OFFLINE else LLMGenerator(gateway, name, offline=offline)
    return out


def _offline(cfg, route: str, chain: Sequence["ProviderConfig"], gateway: "Gateway") -> ExtractiveGenerator | None:
    pc = next((pc for pc in chain if pc.provider == OFFLINE), None)
    if pc is None:
        return None
    return ExtractiveGenerator(cfg.answer.max_sentences, model=pc.model, route=route, gateway=gateway)

