"""The offline `extractive` provider: no model call, zero cost, deterministic.

The answer logic belongs to the application layer (`ragkit/answer/extractive.py`), and imports
only run downward, so this provider receives it by injection::

    from ragkit.answer.extractive import answer as extractive_answer     # in rag.py
    llm = ExtractiveProvider(answer_fn=lambda question, chunks: extractive_answer(question, chunks))

`answer_fn(question: str, chunks: Sequence[ScoredChunk])` returns the answer text with its
`[Source: ...]` citations, or an object with a `.text` attribute (e.g. `ExtractiveResult`). The provider cannot answer from a rendered prompt: the caller passes a
`GenerationContext` (question + reranked chunks) as `context=` (the gateway forwards it because
`accepts_context` is True). Usage is zero and the cost is exactly 0.0.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

from ragkit.errors import BadRequestError
from ragkit.models.llm.base import GenerationContext
from ragkit.types import Completion, Message, ScoredChunk, Usage

ExtractiveAnswerFn = Callable[[str, Sequence[ScoredChunk]], Any]  # -> str, or an object with .text


class ExtractiveProvider:
    provider = "extractive"
    accepts_context = True
    accepts_timeout = False
    context_window = None

    def __init__(self, answer_fn: ExtractiveAnswerFn | None = None, model: str = "extractive"):
        self.model = model
        self.answer_fn = answer_fn

    def complete(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
                 context: GenerationContext | None = None) -> Completion:
        if self.answer_fn is None:
            raise BadRequestError(
                "extractive provider has no answer function: build it as ExtractiveProvider(answer_fn=...) "
                "(RAG wires ragkit.answer.extractive), or configure llm.small.provider as openai/anthropic",
                provider=self.provider, model=self.model)
        if context is None:
            raise BadRequestError(
                "extractive provider needs the question and chunks: pass context=GenerationContext(question, "
                "chunks) to the gateway", provider=self.provider, model=self.model)
        t0 = time.perf_counter()
        result = self.answer_fn(context.question, context.chunks)
        text = result if isinstance(result, str) else getattr(result, "text", None)
        if not isinstance(text, str):
            raise TypeError(f"extractive answer_fn returned {type(result).__name__}; it must return str or have .text")
        return Completion(text=text, model=self.model, provider=self.provider, finish_reason="stop",
                          usage=Usage(), latency_s=time.perf_counter() - t0, cost_usd=0.0)

    def close(self) -> None:
        pass
