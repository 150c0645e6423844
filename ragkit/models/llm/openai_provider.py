"""OpenAI Chat Completions through the official SDK; `base_url` serves any OpenAI-compatible server.

The SDK's own retries are off (max_retries=0): ragkit's orchestration layer is the only retry loop.
The key comes from the environment variable `api_key_env` (default OPENAI_API_KEY) and goes only
where ragkit/config/security.py allows: OPENAI_API_KEY to api.openai.com or an allowed host (else
no key is sent: a local OpenAI-compatible server such as vLLM, llama.cpp or Ollama needs none).
OpenAI caches long prompt prefixes on its own; `prompt_tokens_details.cached_tokens` is read as
cache-read tokens (they are inside `prompt_tokens`, so they are subtracted from the input count).

`stream()` asks for ``stream=True, stream_options={"include_usage": True}``: text arrives in
``chat.completion.chunk`` deltas, the finish reason in the last choice chunk, and the usage (with
``prompt_tokens_details.cached_tokens``) in a final chunk without choices - read exactly as
`complete` reads it. A compatible server that sends no usage chunk gets the same estimate as
`complete` gives. It returns a `ragkit.models.llm.streaming.LLMStream` (usage of an abandoned
stream, interruptions: see that module).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Sequence

from ragkit.config.security import KeyGrant, grant_key, withheld_hint
from ragkit.errors import AuthenticationError, ContentFilteredError, MalformedResponseError
from ragkit.models.llm.base import estimate_prompt_tokens
from ragkit.models.llm.errors_map import map_exception
from ragkit.models.llm.streaming import LLMStream, StreamState, token_counter
from ragkit.types import Completion, Message, Usage

# reasoning models take max_completion_tokens and only the default temperature
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def is_reasoning_model(model: str) -> bool:
    return model.startswith(_REASONING_PREFIXES)


def chat_params(model: str, messages: Sequence[Message], max_tokens: int, temperature: float) -> dict[str, Any]:
    """The Chat Completions request body for `messages` (stable prefix first, as given)."""
    params: dict[str, Any] = {"model": model, "messages": [{"role": m.role, "content": m.content} for m in messages]}
    if is_reasoning_model(model):
        params["max_completion_tokens"] = max_tokens
    else:
        params["max_tokens"] = max_tokens
        params["temperature"] = temperature
    return params


def usage_from_openai(usage: Any) -> Usage | None:
    """Usage from the response's `usage` block; None when the server sent none."""
    if usage is None:
        return None
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    details = getattr(usage, "prompt_tokens_details", None)
    cached = int(getattr(details, "cached_tokens", 0) or 0) if details is not None else 0
    written = int(getattr(details, "cache_write_tokens", 0) or 0) if details is not None else 0
    return Usage(
        input_tokens=max(0, prompt - cached - written),
        output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        cache_read_tokens=cached,
        cache_write_tokens=written,
    )


def read_chunk(chunk: Any, state: StreamState) -> str:
    """One ``chat.completion.chunk``: its text delta; model, usage and finish reason go to `state`."""
    if getattr(chunk, "model", None):
        state.model = chunk.model
    usage = usage_from_openai(getattr(chunk, "usage", None))
    if usage is not None:
        state.usage, state.usage_final = usage, True
    text = ""
    for choice in chunk.choices or ():
        if getattr(choice, "index", 0) != 0:  # one answer is asked for
            continue
        delta = choice.delta
        if delta is not None:
            refusal = getattr(delta, "refusal", None)
            if refusal:
                state.filtered = f"refusal: {refusal[:120]}"
            text += delta.content or ""
        if choice.finish_reason:
            state.finish_reason = choice.finish_reason
            if choice.finish_reason == "content_filter":
                state.filtered = "finish reason content_filter"
    return text


class OpenAIProvider:
    provider = "openai"

    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str | None = None,
                 timeout_s: float = 30.0, context_window: int | None = None, allow_key_hosts: Sequence[str] = (),
                 where: str = ""):
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.context_window = context_window
        self.allow_key_hosts = tuple(allow_key_hosts)  # security.allow_key_hosts of a trusted config
        self.where = where or f"openai model {model!r}"
        self._client = None
        self._key: str | None = None
        self._grant: KeyGrant | None = None
        self._lock = threading.Lock()

    def _get_client(self):
        with self._lock:
            if self._client is None:
                import openai

                # a local OpenAI-compatible server may need no key unless api_key_env names one
                required = self.base_url is None or self.api_key_env is not None
                grant = grant_key("openai", self.api_key_env, self.base_url, allow=self.allow_key_hosts,
                                  required=required, where=self.where)
                self._grant, self._key = grant, grant.value
                # the URL that was checked is the one used (not $OPENAI_BASE_URL read again by the SDK)
                self._client = openai.OpenAI(api_key=self._key or "no-key", base_url=grant.url,
                                             max_retries=0, timeout=self.timeout_s)
            return self._client

    def _map_error(self, exc: BaseException):
        """An SDK failure as a typed ProviderError (a 401 says when the key was withheld on purpose)."""
        import openai

        err = map_exception(exc, openai, provider=self.provider, model=self.model, secrets=[self._key])
        if isinstance(err, AuthenticationError) and self._grant is not None and self._grant.withheld:
            err = AuthenticationError(f"{err}; {withheld_hint(self._grant)}", provider=self.provider,
                                      model=self.model, status=err.status)
        return err

    def complete(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
                 timeout_s: float | None = None) -> Completion:
        client = self._get_client()
        params = chat_params(self.model, messages, max_tokens, temperature)
        t0 = time.perf_counter()
        try:
            resp = client.chat.completions.create(**params, timeout=timeout_s or self.timeout_s)
        except Exception as exc:  # every SDK failure becomes a typed ProviderError
            raise self._map_error(exc) from None
        latency = time.perf_counter() - t0
        try:
            choice = resp.choices[0]
            text = choice.message.content or ""
            finish = choice.finish_reason or "stop"
            refusal = getattr(choice.message, "refusal", None)
        except (AttributeError, IndexError, TypeError) as exc:
            raise MalformedResponseError(f"openai model {self.model!r}: response without choices ({exc})",
                                         provider=self.provider, model=self.model) from None
        if finish == "content_filter" or refusal:
            raise ContentFilteredError(
                f"openai model {self.model!r}: the answer was withheld by the content filter"
                + (f" (refusal: {refusal[:120]})" if refusal else ""),
                provider=self.provider, model=self.model)
        usage = usage_from_openai(getattr(resp, "usage", None))
        if usage is None:  # some compatible servers send none: estimate rather than record zero
            from ragkit.models.tokens import count_tokens, encoding_for_model

            enc = encoding_for_model(self.model)
            usage = Usage(estimate_prompt_tokens(messages, lambda t: count_tokens(t, enc)), count_tokens(text, enc))
        return Completion(text=text, model=getattr(resp, "model", None) or self.model, provider=self.provider,
                          finish_reason=finish, usage=usage, latency_s=latency)

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
               timeout_s: float | None = None) -> LLMStream:
        """Text deltas as they arrive, then one completion (see ragkit/models/llm/streaming.py)."""
        params = chat_params(self.model, messages, max_tokens, temperature)
        params.update(stream=True, stream_options={"include_usage": True})

        def open_stream():
            return self._get_client().chat.completions.create(**params, timeout=timeout_s or self.timeout_s)

        return LLMStream(provider=self.provider, model=self.model, messages=messages, open=open_stream,
                         read=read_chunk, map_error=self._map_error, count=token_counter(self.model))

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None
            self._key = None
            self._grant = None
