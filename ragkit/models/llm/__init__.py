"""LLM providers behind `ragkit.protocols.LLM`: openai, anthropic, extractive (SDKs load lazily)."""

from ragkit.models.llm.base import GenerationContext, api_key_from_env, estimate_prompt_tokens, scrub
from ragkit.models.llm.extractive_provider import ExtractiveAnswerFn, ExtractiveProvider
from ragkit.models.llm.factory import build_llm, call_llm

__all__ = [
    "ExtractiveAnswerFn",
    "ExtractiveProvider",
    "GenerationContext",
    "api_key_from_env",
    "build_llm",
    "call_llm",
    "estimate_prompt_tokens",
    "scrub",
]
