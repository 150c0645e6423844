"""Anthropic Messages API through the official SDK, with `cache_control` on the stable prefix.

Messages are laid out stable-prefix-first by the caller (system, then context, then question);
each `Message` with `cache=True` ends a cacheable prefix and gets `cache_control: ephemeral` on its
text block (Anthropic allows 4 breakpoints: the last 4 marks are kept). System messages become the
`system` blocks; consecutive turns of one role merge into one turn of several blocks. Usage reads
`cache_read_input_tokens` and `cache_creation_input_tokens` as cache-read / cache-write tokens.
SDK retries are off; the key comes from `api_key_env` (default ANTHROPIC_API_KEY) and goes only to
api.anthropic.com or a host allowed in security.allow_key_hosts (ragkit/config/security.py): a
`base_url` elsewhere is refused before the first request. The route's
temperature is sent when the installed SDK's `messages.create` still takes one (2.x does not).

`stream()` sends the same body with ``stream=True`` and reads the raw events: ``message_start``
carries the input usage (uncached input, cache reads, cache writes), ``content_block_delta`` the
text, ``message_delta`` the stop reason and the output tokens (and, where the API sends them, the
cumulative input figures, which then win); the resulting Usage equals what `complete` reports. It
returns a `ragkit.models.llm.streaming.LLMStream` (usage of an abandoned stream, interruptions:
see that module).
"""

from __future__ import annotations

import inspect
import threading
import time
from typing import Any, Sequence

from ragkit.errors import ContentFilteredError, MalformedResponseError
from ragkit.config.security import grant_key
from ragkit.models.llm.errors_map import map_exception
from ragkit.models.llm.streaming import LLMStream, StreamState, token_counter
from ragkit.types import Completion, Message, Usage

MAX_CACHE_BREAKPOINTS = 4
_STOP = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


def messages_params(model: str, messages: Sequence[Message], max_tokens: int, temperature: float | None
                    ) -> dict[str, Any]:
    """The Messages API request body: system blocks, merged turns, cache_control on marked blocks.

    `temperature` None leaves it out (SDK releases whose Messages API no longer takes it)."""
    marked = [i for i, m in enumerate(messages) if m.cache][-MAX_CACHE_BREAKPOINTS:]

    def block(i: int, m: Message) -> dict[str, Any]:
        b: dict[str, Any] = {"type": "text", "text": m.content}
        if i in marked:
            b["cache_control"] = {"type": "ephemeral"}
        return b

    system = [block(i, m) for i, m in enumerate(messages) if m.role == "system"]
    turns: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        if m.role == "system":
            continue
        if turns and turns[-1]["role"] == m.role:  # consecutive turns of one role merge
            turns[-1]["content"].append(block(i, m))
        else:
            turns.append({"role": m.role, "content": [block(i, m)]})
    params: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": turns}
    if temperature is not None:
        params["temperature"] = min(temperature, 1.0)
    if system:
        params["system"] = system
    return params


def usage_from_anthropic(usage: Any) -> Usage:
    return Usage(
        input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
        cache_read_tokens=int(getattr(usage, "cache_read_input_tokens", 0) or 0),
        cache_write_tokens=int(getattr(usage, "cache_creation_input_tokens", 0) or 0),
    )


def read_event(event: Any, state: StreamState) -> str:
    """One raw Messages stream event: its text delta; model, usage and stop reason go to `state`."""
    kind = getattr(event, "type", "")
    if kind == "message_start":
        state.model = getattr(event.message, "model", None) or state.model
        state.usage = usage_from_anthropic(event.message.usage)
    elif kind == "content_block_delta":
        delta = event.delta
        if getattr(delta, "type", "") == "text_delta":
            return delta.text or ""
    elif kind == "message_delta":
        base = state.usage or Usage()
        u = event.usage

        def later(name: str, known: int) -> int:  # message_delta's figures are cumulative when present
            value = getattr(u, name, None)
            return known if value is None else int(value)

        state.usage = Usage(input_tokens=later("input_tokens", base.input_tokens),
                            output_tokens=later("output_tokens", base.output_tokens),
                            cache_read_tokens=later("cache_read_input_tokens", base.cache_read_tokens),
                            cache_write_tokens=later("cache_creation_input_tokens", base.cache_write_tokens))
        state.usage_final = True
        stop = getattr(event.delta, "stop_reason", None) or "end_turn"
        if stop == "refusal":
            state.filtered = "stop_reason refusal"
        state.finish_reason = _STOP.get(stop, stop)
    return ""


class AnthropicProvider:
    provider = "anthropic"

    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str | None = None,
                 timeout_s: float = 30.0, context_window: int | None = None, allow_key_hosts: Sequence[str] = (),
                 where: str = ""):
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.context_window = context_window
        self.allow_key_hosts = tuple(allow_key_hosts)  # security.allow_key_hosts of a trusted config
        self.where = where or f"anthropic model {model!r}"
        self._client = None
        self._key: str | None = None
        self._takes_temperature = False
        self._lock = threading.Lock()

    def _get_client(self):
        with self._lock:
            if self._client is None:
                import anthropic

                grant = grant_key("anthropic", self.api_key_env, self.base_url, allow=self.allow_key_hosts,
                                  required=True, where=self.where)
                self._key = grant.value
                # an explicit key and URL: the SDK reads no credential or base URL of its own from the environment
                self._client = anthropic.Anthropic(api_key=self._key, base_url=grant.url, max_retries=0,
                                                   timeout=self.timeout_s)
                # recent SDK releases dropped `temperature` from Messages.create: send it only where taken
                self._takes_temperature = "temperature" in inspect.signature(self._client.messages.create).parameters
            return self._client

    def _map_error(self, exc: BaseException):
        import anthropic

        return map_exception(exc, anthropic, provider=self.provider, model=self.model, secrets=[self._key])

    def complete(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
                 timeout_s: float | None = None) -> Completion:
        client = self._get_client()
        params = messages_params(self.model, messages, max_tokens, temperature if self._takes_temperature else None)
        t0 = time.perf_counter()
        try:
            resp = client.messages.create(**params, timeout=timeout_s or self.timeout_s)
        except Exception as exc:
            raise self._map_error(exc) from None
        latency = time.perf_counter() - t0
        try:
            text = "".join(getattr(b, "text", "") for b in resp.content if getattr(b, "type", "") == "text")
            stop = resp.stop_reason or "end_turn"
            usage = usage_from_anthropic(resp.usage)
        except (AttributeError, TypeError) as exc:
            raise MalformedResponseError(f"anthropic model {self.model!r}: unexpected response shape ({exc})",
                                         provider=self.provider, model=self.model) from None
        if stop == "refusal":
            raise ContentFilteredError(f"anthropic model {self.model!r}: the model refused to answer (stop_reason "
                                       "refusal)", provider=self.provider, model=self.model)
        return Completion(text=text, model=getattr(resp, "model", None) or self.model, provider=self.provider,
                          finish_reason=_STOP.get(stop, stop), usage=usage, latency_s=latency)

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
               timeout_s: float | None = None) -> LLMStream:
        """Text deltas as they arrive, then one completion (see ragkit/models/llm/streaming.py)."""

        def open_stream():
            client = self._get_client()
            params = messages_params(self.model, messages, max_tokens,
                                     temperature if self._takes_temperature else None)
            return client.messages.create(**params, stream=True, timeout=timeout_s or self.timeout_s)

        return LLMStream(provider=self.provider, model=self.model, messages=messages, open=open_stream,
                         read=read_event, map_error=self._map_error, count=token_counter(self.model))

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None
            self._key = None
