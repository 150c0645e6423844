"""What every LLM provider shares: the generation context, keys from the environment, scrubbing.

Providers satisfy `ragkit.protocols.LLM`: ``complete(messages, *, max_tokens, temperature)`` returns
a `Completion`. A provider that also sets ``accepts_context = True`` takes a keyword ``context``
(a `GenerationContext`: the question and the reranked chunks) - the extractive provider needs it
because it answers from the chunks themselves rather than from the rendered prompt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from ragkit.errors import AuthenticationError
from ragkit.types import Message, ScoredChunk

DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
_TOKENS_PER_MESSAGE = 4  # chat formats wrap each message in a few tokens
_TOKENS_PER_REQUEST = 3


@dataclass(frozen=True)
class GenerationContext:
    """Structured input for providers that answer from evidence rather than from a prompt."""

    question: str
    chunks: tuple[ScoredChunk, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def chunk_ids(self) -> tuple[str, ...]:
        return tuple(sc.chunk.chunk_id for sc in self.chunks)


def api_key_from_env(provider: str, env_name: str | None, *, required: bool = True) -> str | None:
    """The API key from the environment variable `env_name` (default per provider); never from config."""
    name = env_name or DEFAULT_KEY_ENV.get(provider, "")
    value = os.environ.get(name, "") if name else ""
    if not value and required:
        raise AuthenticationError(
            f"{provider}: no API key: set the environment variable {name or '(api_key_env)'} "
            f"(config key llm.<route>.api_key_env names a different variable)",
            provider=provider,
        )
    return value or None


def scrub(text: str, secrets: Sequence[str | None]) -> str:
    """`text` with every secret (and any 8+ character slice of its tail) replaced by ***."""
    for s in secrets:
        if not s or len(s) < 4:
            continue
        text = text.replace(s, "***")
        if len(s) >= 12:  # providers echo keys partly masked: "sk-abc...wxyz"
            text = text.replace(s[-8:], "***").replace(s[:8], "***")
    return text


def estimate_prompt_tokens(messages: Sequence[Message], count) -> int:
    """Prompt tokens before the call: `count(text)` per message plus the chat format's overhead."""
    return _TOKENS_PER_REQUEST + sum(_TOKENS_PER_MESSAGE + count(m.content) for m in messages)

