"""LLM providers behind `ragkit.protocols.LLM`: openai, anthropic (SDKs load lazily)."""

from ragkit.models.llm.base import api_key_from_env, estimate_prompt_tokens, scrub
from ragkit.models.llm.factory import build_llm

__all__ = ["api_key_from_env", "build_llm", "estimate_prompt_tokens", "scrub"]
