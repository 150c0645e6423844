"""What every LLM provider shares: keys from the environment, scrubbing, prompt token estimates.

Providers satisfy `ragkit.protocols.LLM`: ``complete(messages, *, max_tokens, temperature,
timeout_s=None)`` returns a `Completion`; ``stream(...)`` yields `StreamDelta`s.
"""

from __future__ import annotations

from typing import Sequence

from ragkit.config.security import DEFAULT_KEY_ENV, grant_key  # noqa: F401  (DEFAULT_KEY_ENV re-exported)
from ragkit.types import Message

_TOKENS_PER_MESSAGE = 4  # chat formats wrap each message in a few tokens
_TOKENS_PER_REQUEST = 3


def api_key_from_env(provider: str, env_name: str | None, *, required: bool = True, base_url: str | None = None,
                     allow_hosts: Sequence[str] = (), where: str = "") -> str | None:
    """The API key from the environment variable `env_name` (default per provider), when it may be
    sent to `base_url` (default: the provider's own host); never from config. KeyPolicyError when
    the variable is no key variable or may not go there (see ragkit/config/security.py)."""
    return grant_key(provider, env_name, base_url, allow=allow_hosts, required=required, where=where).value


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

